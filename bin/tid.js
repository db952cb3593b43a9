#!/usr/bin/env node
// The `tid` command line: probe, provision, auth, keygen. Compiled from bindings/cli.ts.
import { main } from "../dist/bindings/cli.js";

process.exitCode = await main(process.argv.slice(2));
