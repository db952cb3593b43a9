// Files named by `tid` options (cli/command.ts states the exit-code rule they follow).
//
// Inputs (readOptionFile): opened non-blocking and checked on the open descriptor (fstat), so a
// FIFO or a device cannot hang or flood the command and nothing can swap the file between check
// and read; a path that is missing, not a regular file or larger than the input can be is a usage
// error naming the option. Each caller then checks the format, and only then the permissions.
//
// Outputs (checkDestination): the directory exists and takes a new file, and the file is not there
// yet (or, with --force, is a regular file to replace) — checked before anything is registered.
import { randomBytes } from "node:crypto";
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readSync, statSync, unlinkSync, type Stats } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { writePrivateFile } from "../bindings/private-file.js";
import { UsageError } from "./command.js";

export interface OptionFile {
  bytes: Buffer;
  /** the file's mode bits (from the same descriptor the bytes were read from) */
  mode: number;
}

/** What kind of file system object `st` is, for messages. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

function openError(option: string, path: string, e: unknown, hint: string | undefined): UsageError {
  const code = (e as NodeJS.ErrnoException).code;
  const more = hint ? `; ${hint}` : "";
  if (code === "ENOENT") return new UsageError(`${option} ${path}: no such file${more}`);
  if (code === "EACCES" || code === "EPERM") return new UsageError(`${option} ${path}: permission denied (this user cannot read it)`);
  if (code === "ENOTDIR") return new UsageError(`${option} ${path}: a part of the path is not a directory${more}`);
  return new UsageError(`${option} ${path}: cannot open it (${code ?? (e as Error).message})`);
}

/**
 * Read the input file `path` given as `option`: a regular file of at most `maxBytes` bytes.
 * @param what  what the file is, for messages ("passphrase file")
 * @param hint  what to do when it does not exist ("make one with `tid keygen DIR`")
 * @throws UsageError naming the option
 */
export function readOptionFile(option: string, path: string, limits: { maxBytes: number; what: string; hint?: string }): OptionFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw openError(option, path, e, limits.hint);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`${option} ${path}: ${fileKind(st)}, not the ${limits.what} it should be`);
    if (st.size > limits.maxBytes)
      throw new UsageError(`${option} ${path}: ${st.size} bytes, larger than a ${limits.what} can be (${limits.maxBytes} bytes at most)`);
    // Files such as those of /proc report size 0: read up to one byte past the limit either way.
    const buf = Buffer.alloc(limits.maxBytes + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > limits.maxBytes) {
        buf.fill(0);
        throw new UsageError(`${option} ${path}: larger than a ${limits.what} can be (${limits.maxBytes} bytes at most)`);
      }
    }
    const bytes = Buffer.from(buf.subarray(0, got));
    buf.fill(0);
    return { bytes, mode: st.mode & 0o777 };
  } finally {
    closeSync(fd);
  }
}

/** The bytes of `path` as UTF-8 text; anything else is a usage error naming the option. */
export function utf8Text(option: string, path: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${option} ${path}: not UTF-8 text`);
  }
}

/**
 * A JSON file of this project named by `option`: readOptionFile's checks, then UTF-8, a JSON
 * object and its `format` field equal to `format` — each a usage error saying it is not the
 * `what` it should be. The bytes read are wiped (such files may hold secrets); the caller checks
 * the fields and then the mode.
 */
export function readJsonOptionFile(
  option: string,
  path: string,
  spec: { maxBytes: number; what: string; hint?: string; format: string },
): { json: Record<string, unknown>; mode: number } {
  const { bytes, mode } = readOptionFile(option, path, spec);
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(utf8Text(option, path, bytes));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not a JSON object");
    json = parsed as Record<string, unknown>;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${option} ${path}: not a ${spec.what} (${(e as Error).message})`);
  } finally {
    bytes.fill(0);
  }
  if (json.format !== spec.format) throw new UsageError(`${option} ${path}: not a ${spec.what} (format ${JSON.stringify(json.format)})`);
  return { json, mode };
}

/** Does a group- or world-accessible mode leave a secret open to other users? (not on Windows) */
export function tooOpen(mode: number): boolean {
  return process.platform !== "win32" && (mode & 0o077) !== 0;
}

/**
 * Check that the command can create the file `path` given as `option`: its directory exists and
 * takes a new file (tried for real: a temporary file is created and removed), and `path` does not
 * exist — or, with `force`, is a regular file that may be replaced.
 * @throws Error naming the option and what to do
 */
export function checkDestination(option: string, path: string, { force }: { force: boolean }): void {
  if (path.length === 0 || /[/\\]$/.test(path)) throw new Error(`${option} ${JSON.stringify(path)}: give a file name, not a directory`);
  const dir = dirname(resolve(path));
  let dirStat: Stats;
  try {
    dirStat = statSync(dir);
  } catch {
    throw new Error(`${option} ${path}: the directory ${dir} does not exist; create it first (mkdir -p ${dir})`);
  }
  if (!dirStat.isDirectory()) throw new Error(`${option} ${path}: ${dir} is not a directory`);
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined;
  }
  if (existing) {
    if (!force) throw new Error(`${option} ${path} exists (use --force to replace it)`);
    const target = existing.isSymbolicLink() ? statSync(path, { throwIfNoEntry: false }) : existing;
    if (target && !target.isFile()) throw new Error(`${option} ${path}: ${fileKind(target)}; --force replaces a file only`);
  }
  const probe = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.probe`);
  try {
    closeSync(openSync(probe, "wx", 0o600));
    unlinkSync(probe);
  } catch (e) {
    throw new Error(`${option} ${path}: cannot create a file in ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * Write `value` as indented JSON to a private file (0600, atomically: bindings/private-file.ts),
 * not over an existing file unless `overwrite` — and if one appears meanwhile, the final link
 * fails with EEXIST rather than replace it. The state and pin files of `tid provision` use it.
 */
export async function writeJsonPrivateFile(path: string, value: object, options: { overwrite?: boolean } = {}): Promise<void> {
  if (!options.overwrite && existsSync(path)) throw new Error(`${path} exists (use --force to replace it)`);
  await writePrivateFile(path, JSON.stringify(value, null, 2) + "\n", options);
}
