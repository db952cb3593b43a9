// The registry's files are the owner's only (server/app/file-mode.ts): under a umask that would
// make them 0644, the database and the -wal and -shm files SQLite creates are 0600; a database or
// -wal file that others may read is refused with the chmod to run; group access is taken away.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteRegistry } from "../../server/app/index.js";

const dir = mkdtempSync(join(tmpdir(), "tid-file-mode-"));
const masterKey = new Uint8Array(randomBytes(32));
const mode = (p: string) => statSync(p).mode & 0o777;
let umask: number;

beforeAll(() => {
  umask = process.umask(0o022); // what most systems run with: new files 0644
});
afterAll(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform === "win32")("registry file modes", () => {
  it("a new registry: the database, -wal and -shm are 0600 under umask 022", async () => {
    const path = join(dir, "new.db");
    const r = SqliteRegistry.open(path, { masterKey });
    await r.addDevice(new Uint8Array(8).fill(1), new Uint8Array(16).fill(2)); // something in the WAL
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      expect(existsSync(f), f).toBe(true);
      expect(mode(f).toString(8), f).toBe("600");
    }
    await r.close();
  });

  it("refuses a database or -wal file that others may read, naming it and the chmod", async () => {
    const path = join(dir, "open.db");
    await SqliteRegistry.open(path, { masterKey }).close();
    chmodSync(path, 0o644);
    expect(() => SqliteRegistry.open(path, { masterKey })).toThrow(
      /open\.db: mode 644 lets every user of this machine read the registry.*chmod 600/,
    );
    expect(mode(path)).toBe(0o644); // left as it was: the operator decides
    chmodSync(path, 0o600);
    writeFileSync(`${path}-wal`, "");
    chmodSync(`${path}-wal`, 0o604);
    expect(() => SqliteRegistry.open(path, { masterKey })).toThrow(/open\.db-wal: mode 604 lets every user/);
    chmodSync(`${path}-wal`, 0o600);
    await SqliteRegistry.open(path, { masterKey }).close();
  });

  it("takes group access away (0640 → 0600) and opens", async () => {
    const path = join(dir, "group.db");
    await SqliteRegistry.open(path, { masterKey }).close();
    chmodSync(path, 0o640);
    const r = SqliteRegistry.open(path, { masterKey });
    expect(mode(path)).toBe(0o600);
    await r.close();
  });

  it("an in-memory registry is left alone", async () => {
    await SqliteRegistry.open(":memory:", { masterKey }).close();
  });
});
