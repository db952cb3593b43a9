// The `tid` command line (bin/tid.js → main): a table of subcommands, each in
// cli/commands/<name>.ts exporting a CliCommand. To add one: write the file, import it here
// and add it to COMMANDS. Exit codes: 0 success, 1 the operation failed, 2 usage error.
//
//   tid help [COMMAND]        this list, or one command's usage
//   tid probe --board NAME    find and identify the SE on a board (cli/commands/probe.ts)
import { parseArgs, type ParseArgsConfig } from "node:util";
import { probe } from "./commands/probe.js";
import { provision } from "./commands/provision.js";
import { auth } from "./commands/auth.js";
import { keygen } from "./commands/keygen.js";
import { server } from "./commands/server.js";

export interface CliIo {
  /** standard output, one call per line or block (no trailing newline needed) */
  out(text: string): void;
  /** standard error */
  err(text: string): void;
  env: Record<string, string | undefined>;
}

export interface CliCommand {
  name: string;
  /** one line for `tid help` */
  summary: string;
  /** full usage text for `tid help NAME` / `tid NAME --help` */
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/** A wrong invocation: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parse a command's arguments strictly (node:util parseArgs); any unknown option, missing value or
 * (unless allowed) stray positional is a UsageError.
 */
export function parseCommandArgs<const T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  { positionals = true }: { positionals?: boolean } = {},
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const COMMANDS: CliCommand[] = [probe, provision, auth, keygen, server];

const processIo: CliIo = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : t + "\n"),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : t + "\n"),
  env: process.env,
};

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 4);
  return [
    "usage: tid <command> [options]",
    "",
    "commands:",
    `  ${"help".padEnd(width)}  show this list, or \`tid help <command>\` for one command`,
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
