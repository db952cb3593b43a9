// The registry's files are readable by their owner only (docs/server.md "Security model"): the
// database holds sealed PSKs, the user servers' keys and the replay caches, and its -wal and -shm
// files hold recent pages of it. Before SQLite opens `path`, protectRegistryFiles refuses a
// database, -wal or -shm file that others may access (the operator decides what to do with a file
// that was readable; the server does not quietly hide that it was), takes group access away from
// the others (as 0600), and creates a missing database file 0600 — SQLite gives the -wal, -shm and
// -journal files it creates later the mode of the database file, so they are 0600 as well.
import { closeSync, constants, fchmodSync, fstatSync, openSync } from "node:fs";

/** The files SQLite keeps for the database at `path`. */
export const REGISTRY_FILE_SUFFIXES = ["", "-wal", "-shm", "-journal"] as const;

/** Is `path` a database on disk (not ":memory:", not a URL such as postgres://…)? */
function isFilePath(path: string): boolean {
  return path !== "" && path !== ":memory:" && !path.startsWith("file:") && !/^[a-z][a-z0-9+.-]*:\/\//i.test(path);
}

/**
 * Make the registry files at `path` 0600 before SQLite opens them; refuse any of them that others
 * (not the owner's group: "others") may read, write or execute. Does nothing on Windows or for an
 * in-memory database.
 * @throws Error naming the file, its mode and the chmod to run
 */
export function protectRegistryFiles(path: string): void {
  if (process.platform === "win32" || !isFilePath(path)) return;
  for (const suffix of REGISTRY_FILE_SUFFIXES) {
    const file = path + suffix;
    let fd: number;
    try {
      // O_NOFOLLOW would refuse a symlinked database that some deployments use; O_NONBLOCK keeps a
      // FIFO in its place from hanging the open
      fd = openSync(
        file,
        suffix === ""
          ? constants.O_RDWR | constants.O_CREAT | (constants.O_NONBLOCK ?? 0)
          : constants.O_RDONLY | (constants.O_NONBLOCK ?? 0),
        0o600,
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" && suffix !== "") continue;
      throw e;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Error(`${file}: not a regular file; the registry must be one`);
      const mode = st.mode & 0o777;
      if ((mode & 0o007) !== 0) {
        const octal = mode.toString(8).padStart(3, "0");
        throw new Error(
          `${file}: mode ${octal} lets every user of this machine read the registry (sealed PSKs, user server keys, replay caches); run \`chmod 600 ${path}*\` and start again`,
        );
      }
      if (mode !== 0o600) fchmodSync(fd, 0o600);
    } finally {
      closeSync(fd);
    }
  }
}
