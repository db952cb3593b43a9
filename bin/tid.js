#!/usr/bin/env node
// The `tid` command line: probe, provision, auth, keygen. Compiled from cli/main.ts.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
