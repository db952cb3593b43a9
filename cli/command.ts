// What every `tid` command is made of (cli/main.ts dispatches, cli/commands/* implement): the I/O
// and command interfaces, the exit codes, the usage error and strict argument parsing.
//
// Exit codes: 0 success; 1 the operation failed; 2 a usage error — a wrong invocation, including
// a file option that names no file, something other than a regular file, or a file of the wrong
// size or format (cli/option-file.ts). Usage errors are found before anything is created or
// registered.
import { parseArgs, type ParseArgsConfig } from "node:util";

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

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

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
