#!/usr/bin/env node
// The `tid` command line: probe, keygen, server, provision, auth, demo (`tid help` lists them).
// Compiled from cli/main.ts; `npm run build` makes dist/.
import { main } from "../dist/cli/main.js";

// `tid … | head`: a reader that goes away must not stop a command before it cleans up.
process.stdout.on("error", (e) => {
  if (e.code !== "EPIPE") throw e;
});
process.exitCode = await main(process.argv.slice(2));
