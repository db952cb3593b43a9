// The SE command profile "TID applet v1" (docs/se-profile.md): constants (profile.ts), the one
// APDU encoder (commands.ts, exported as the `seCommands` namespace) and the typed sync/async
// calls over an APDU channel (client.ts), shielded when a link key is pinned (secure-channel.ts).
export * from "./profile.js";
export * as seCommands from "./commands.js";
export {
  SeFormatError,
  statusOfSw,
  type SeCommand,
  type SelectInfo,
  type AppletInfo,
  type Lifecycle,
  type SlotState,
  type AuthBeginInput,
  type AuthFinishOptions,
} from "./commands.js";
export { SeClient, SeStatusError, type SeIdentity, type SeClientOptions } from "./client.js";
export { SecureChannel, repeatPolicy, type RepeatPolicy } from "./secure-channel.js";
export { SeImpostorError, SeSessionLostError, SeSecureMessagingError } from "./link-errors.js";
