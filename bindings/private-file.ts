// Writing a file only its owner may read (mode 0600), atomically: the bytes go to a temporary file
// in the same directory, are fsynced, and the file is then put in place with one link (which
// fails with EEXIST rather than replace a file) or, when replacing is asked for, one rename. A
// reader therefore sees the old file or the whole new one, never part of it. Staging and putting
// in place are separate steps, so a caller can do its own work in between and still back out.
import { randomBytes } from "node:crypto";
import { link, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** A file written next to its path, not yet in place. */
export interface StagedFile {
  readonly path: string;
  /** Put the file in place: link, or rename with `overwrite`. A link onto an existing file rejects with code EEXIST. */
  commit(): Promise<void>;
  /** Remove the temporary file (after commit: nothing to do). */
  discard(): Promise<void>;
}

/** Write `bytes` to a 0600 temporary file beside `path` and fsync it; commit() puts it in place. */
export async function stagePrivateFile(
  path: string,
  bytes: Uint8Array | string,
  options: { overwrite?: boolean } = {},
): Promise<StagedFile> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.chmod(0o600); // whatever the umask
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  let done = false;
  return {
    path,
    async commit() {
      if (done) throw new Error(`the staged file for ${path} was already committed or discarded`);
      done = true;
      try {
        if (options.overwrite) await rename(tmp, path);
        else await link(tmp, path);
      } finally {
        await unlink(tmp).catch(() => undefined); // after a rename it is already gone
      }
      try {
        const dir = await open(dirname(path), "r");
        await dir.sync().catch(() => undefined);
        await dir.close();
      } catch {
        // directory fsync is best effort (not supported everywhere)
      }
    },
    async discard() {
      if (done) return;
      done = true;
      await unlink(tmp).catch(() => undefined);
    },
  };
}

/** Stage and commit in one step. */
export async function writePrivateFile(path: string, bytes: Uint8Array | string, options: { overwrite?: boolean } = {}): Promise<void> {
  const staged = await stagePrivateFile(path, bytes, options);
  try {
    await staged.commit();
  } finally {
    await staged.discard();
  }
}
