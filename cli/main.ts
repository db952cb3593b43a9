// The `tid` command line (bin/tid.js → main): a table of subcommands, each in
// cli/commands/<name>.ts exporting a CliCommand (cli/command.ts). To add one: write the file,
// import it here and add it to COMMANDS. Exit codes: 0 success, 1 the operation failed, 2 usage
// error.
//
//   tid help [COMMAND]        this list, or one command's usage
//   tid --version             the package version
//   tid probe --board NAME    find and identify the SE on a board (cli/commands/probe.ts)
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type CliCommand, type CliIo } from "./command.js";
import { probe } from "./commands/probe.js";
import { keygen } from "./commands/keygen.js";
import { server } from "./commands/server.js";
import { provision } from "./commands/provision.js";
import { auth } from "./commands/auth.js";
import { demo } from "./commands/demo.js";
import { packageVersion } from "./version.js";

export const COMMANDS: CliCommand[] = [probe, keygen, server, provision, auth, demo];

const processIo: CliIo = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : t + "\n"),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : t + "\n"),
  env: process.env,
};

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), "version".length);
  return [
    "usage: tid <command> [options]",
    "",
    "commands:",
    `  ${"help".padEnd(width)}  show this list, or \`tid help <command>\` for one command`,
    `  ${"version".padEnd(width)}  print the tid-wasm version (also \`tid --version\`)`,
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Set TID_DEBUG=hal to trace every bus transaction.",
  ].join("\n");
}

/** Run the CLI; returns the exit code (bin/tid.js sets process.exitCode). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(usage());
    return EXIT_USAGE;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    if (rest.length > 0) {
      io.err(`tid: ${name} takes no arguments\n\n${usage()}`);
      return EXIT_USAGE;
    }
    io.out(`tid-wasm ${packageVersion()}`);
    return EXIT_OK;
  }
  if (name === "help" || name === "--help" || name === "-h") {
    const topic = rest[0];
    if (topic === undefined) {
      io.out(usage());
      return EXIT_OK;
    }
    const c = COMMANDS.find((x) => x.name === topic);
    if (!c) {
      io.err(`tid: no command "${topic}"\n\n${usage()}`);
      return EXIT_USAGE;
    }
    io.out(c.usage);
    return EXIT_OK;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`tid: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(cmd.usage);
    return EXIT_OK;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tid ${cmd.name}: ${e.message}\n\n${cmd.usage}`);
      return EXIT_USAGE;
    }
    io.err(`tid ${cmd.name}: ${e instanceof Error ? e.message : String(e)}`);
    if (io.env.TID_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return EXIT_FAILED;
  }
}
