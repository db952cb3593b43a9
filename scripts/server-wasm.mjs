// Copies build/release.wasm into the @tid-wasm/server build (server/dist/build/release.wasm): the
// auth server runs its SM2 on the wasm (server/app/server-data.ts), and bindings/wasm.ts, compiled
// to server/dist/bindings/wasm.js, finds the module at ../build/ from there — inside the packed
// server package too. Run by `npm run build:ts` (root) and the server package's own build.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const to = join(root, "server", "dist", "build", "release.wasm");
mkdirSync(dirname(to), { recursive: true });
copyFileSync(join(root, "build", "release.wasm"), to);
