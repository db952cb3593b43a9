// The SE command profile "TID applet v1" (docs/se-profile.md): constants (profile.ts), the one
// APDU encoder (commands.ts) and the typed sync/async calls over an APDU channel (client.ts).
export * from "./profile.js";
export * from "./commands.js";
export * from "./client.js";
