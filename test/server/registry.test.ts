// The auth server's registry (server/app/registry/): one conformance suite run against both
// implementations — SQLite (a temp file) and PostgreSQL (test/support/postgres.ts: a throwaway
// cluster or $TID_TEST_POSTGRES_URL; skipped with a message without either) — then what only
// SQLite has: WAL + synchronous=FULL, the file's contents, pre-migrations-table files, master key files.
// Both backends also migrate a database made at schema version 2 (before the device suite column).
import Database from "better-sqlite3";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  createMasterKeyFile,
  MIGRATIONS,
  openRegistry,
  readMasterKeyFile,
  SCHEMA_VERSION,
  SqliteRegistry,
  type Registry,
  type RegistryOptions,
} from "../../server/app/index.js";
import { masterKeyCheck, sealPsk } from "../../server/app/master-key.js";
import { MIGRATIONS_TABLE } from "../../server/app/registry/migrations.js";
import { startTestPostgres } from "../support/postgres.js";

const dir = mkdtempSync(join(tmpdir(), "tid-registry-"));
const postgres = await startTestPostgres();
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!("skip" in postgres)) await postgres.stop();
});

const masterKey = new Uint8Array(randomBytes(32));
const tid = new Uint8Array(Buffer.from("671007e10029b0a2", "hex"));
const psk = new Uint8Array(Buffer.from("00112233445566778899aabbccddeeff", "hex"));
const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = publicKey.export({ type: "spki", format: "pem" }) as string;

interface Backend {
  name: "sqlite" | "postgres";
  /** where a new, empty registry can be made */
  fresh(): Promise<string>;
  /** run SQL on the database directly (to forge what a newer or broken server left) */
  sql(db: string, statement: string): Promise<void>;
}

let files = 0;
const sqlite: Backend = {
  name: "sqlite",
  fresh: async () => join(dir, `r${files++}.db`),
  sql: async (db, statement) => {
    const d = new Database(db);
    try {
      d.exec(statement);
    } finally {
      d.close();
      chmodSync(db, 0o600); // a registry file others may read is refused at open
    }
  },
};
const postgresBackend: Backend | undefined =
  "skip" in postgres
    ? undefined
    : {
        name: "postgres",
        fresh: () => postgres.freshDatabase(),
        sql: async (db, statement) => {
          const c = new pg.Client({ connectionString: db });
          await c.connect();
          try {
            await c.query(statement);
          } finally {
            await c.end();
          }
        },
      };
if ("skip" in postgres) console.warn(`registry.test.ts: the PostgreSQL backend is skipped: ${postgres.skip}`);

/** A byte string as an SQL literal of the backend's dialect. */
function bytesLiteral(dialect: Backend["name"], b: Uint8Array): string {
  const hex = Buffer.from(b).toString("hex");
  return dialect === "sqlite" ? `x'${hex}'` : `'\\x${hex}'::bytea`;
}

const open = (db: string, opts: Partial<RegistryOptions> = {}): Promise<Registry> => openRegistry(db, { masterKey, ...opts });

for (const backend of [sqlite, postgresBackend ?? { name: "postgres" as const, fresh: async () => "", sql: async () => {} }]) {
  describe.skipIf(backend.name === "postgres" && !postgresBackend)(`Registry conformance: ${backend.name}`, () => {
    it("creates the schema and records every migration", async () => {
      const db = await backend.fresh();
      const r = await open(db);
      expect(r.kind).toBe(backend.name);
      expect(r.schemaVersion).toBe(SCHEMA_VERSION);
      await r.close();
      // a second open finds nothing to do
      const r2 = await open(db);
      expect(r2.schemaVersion).toBe(SCHEMA_VERSION);
      await r2.close();
    });

    it("devices: add, duplicate, lookup, deactivate, replace, unknown", async () => {
      const r = await open(await backend.fresh(), { now: () => 1000 });
      const info = await r.addDevice(tid, psk, { label: "lock-1" });
      expect(info).toMatchObject({ tid: "671007e10029b0a2", active: true, label: "lock-1", owner: null, createdAt: 1000, authCount: 0 });
      expect(info.lastAuthAt).toBeNull();
      await expect(r.addDevice(tid, psk)).rejects.toMatchObject({ code: "DEVICE_EXISTS" });
      expect(Buffer.from((await r.getDevicePsk(tid))!.psk).toString("hex")).toBe("00112233445566778899aabbccddeeff");
      expect((await r.setDeviceActive(tid, false)).active).toBe(false);
      expect((await r.getDevicePsk(tid))!.active).toBe(false);
      await expect(r.setDeviceActive(new Uint8Array(8), true)).rejects.toMatchObject({ code: "UNKNOWN_DEVICE" });
      const replaced = await r.addDevice(tid, new Uint8Array(16).fill(5), { replace: true, label: "lock-1b" });
      expect(replaced).toMatchObject({ active: true, label: "lock-1b" });
      expect((await r.getDevicePsk(tid))!.psk).toEqual(new Uint8Array(16).fill(5));
      expect(await r.getDevicePsk(new Uint8Array(8))).toBeUndefined();
      expect(await r.describeDevice(new Uint8Array(8))).toBeUndefined();
      expect(await r.countDevices()).toBe(1);
      await expect(r.addDevice(new Uint8Array(7), psk)).rejects.toThrow(RangeError);
      await expect(r.addDevice(tid, new Uint8Array(15))).rejects.toThrow(RangeError);
      await r.close();
    });

    it("device suites: sm by default, intl recorded, replace may change it, anything else refused", async () => {
      const r = await open(await backend.fresh(), { now: () => 2000 });
      expect((await r.addDevice(tid, psk)).suite).toBe("sm");
      expect(await r.getDevicePsk(tid)).toMatchObject({ active: true, suite: "sm" });
      const intl = new Uint8Array(8).fill(0x20);
      expect((await r.addDevice(intl, psk, { suite: "intl", label: "aes-lock" })).suite).toBe("intl");
      expect((await r.describeDevice(intl))!.suite).toBe("intl");
      expect(await r.getDevicePsk(intl)).toMatchObject({ active: true, suite: "intl" });
      // a duplicate in another suite changes nothing
      await expect(r.addDevice(tid, psk, { suite: "intl" })).rejects.toMatchObject({ code: "DEVICE_EXISTS" });
      expect((await r.describeDevice(tid))!.suite).toBe("sm");
      // replace is a registration in full: the suite given, or the default
      expect((await r.addDevice(tid, psk, { replace: true, suite: "intl" })).suite).toBe("intl");
      expect((await r.getDevicePsk(tid))!.suite).toBe("intl");
      expect((await r.addDevice(tid, psk, { replace: true })).suite).toBe("sm");
      // setDeviceActive keeps the suite
      expect((await r.setDeviceActive(intl, false)).suite).toBe("intl");
      for (const bad of ["SM", "aes", "", "intl "]) {
        await expect(r.addDevice(new Uint8Array(8).fill(1), psk, { suite: bad as never }), bad).rejects.toThrow(RangeError);
        await expect(r.addDevice(intl, psk, { replace: true, suite: bad as never }), bad).rejects.toThrow(/suite must be "sm" or "intl"/);
      }
      for (const bad of [null, 1, {}, true]) {
        await expect(r.addDevice(new Uint8Array(8).fill(1), psk, { suite: bad as never }), String(bad)).rejects.toThrow(TypeError);
      }
      // nothing was written by a refused call
      expect(await r.describeDevice(new Uint8Array(8).fill(1))).toBeUndefined();
      expect(await r.describeDevice(intl)).toMatchObject({ suite: "intl", active: false, label: "aes-lock" });
      expect(await r.countDevices()).toBe(2);
      await r.close();
    });

    it("the suite column refuses what is no suite, whoever writes it", async () => {
      const db = await backend.fresh();
      await (await open(db)).close();
      const insert = (suite: string) =>
        backend.sql(
          db,
          `INSERT INTO devices (tid, psk_sealed, created_at, updated_at, suite) VALUES (${bytesLiteral(backend.name, tid)}, ${bytesLiteral(backend.name, new Uint8Array(45))}, 0, 0, ${suite})`,
        );
      await expect(insert("'aes'")).rejects.toThrow(/CHECK|check constraint/i);
      await expect(insert("NULL")).rejects.toThrow(/NOT NULL|null value/i);
      await insert("'intl'"); // the same row with a suite name is taken
      const r = await open(db);
      expect((await r.describeDevice(tid))!.suite).toBe("intl");
      await r.close();
    });

    it("a database made at schema version 2 migrates: its devices are suite sm and still authenticate", async () => {
      const db = await backend.fresh();
      // what a server of schema version 2 created and wrote: its tables, its migration rows, a device
      const v2 = MIGRATIONS.filter((m) => m.version <= 2);
      const dialect = backend.name;
      const bytes = (b: Uint8Array) => bytesLiteral(dialect, b);
      await backend.sql(
        db,
        [
          MIGRATIONS_TABLE[dialect] + ";",
          ...v2.map((m) => m[dialect]),
          ...v2.map((m) => `INSERT INTO schema_migrations (version, applied_at) VALUES (${m.version}, 0);`),
          `INSERT INTO meta (key, value) VALUES ('master_key_check', '${masterKeyCheck(masterKey)}');`,
          `INSERT INTO devices (tid, psk_sealed, active, label, owner_uin, created_at, updated_at) VALUES (${bytes(tid)}, ${bytes(sealPsk(masterKey, tid, psk))}, ${dialect === "sqlite" ? 1 : "TRUE"}, 'old lock', 'maker-a', 10, 10);`,
          ...(dialect === "sqlite" ? ["PRAGMA user_version = 2;"] : []),
        ].join("\n"),
      );
      const r = await open(db);
      expect(r.schemaVersion).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBe(3);
      expect(await r.describeDevice(tid)).toMatchObject({ suite: "sm", label: "old lock", owner: "maker-a", createdAt: 10 });
      const found = await r.getDevicePsk(tid, "maker-a");
      expect(found).toMatchObject({ active: true, suite: "sm" });
      expect(Buffer.from(found!.psk).toString("hex")).toBe(Buffer.from(psk).toString("hex"));
      // the migrated table takes devices of either suite
      expect((await r.addDevice(new Uint8Array(8).fill(3), psk, { suite: "intl" })).suite).toBe("intl");
      await r.close();
      // the migration is recorded once: a reopen has nothing to do
      const r2 = await open(db);
      expect(r2.schemaVersion).toBe(SCHEMA_VERSION);
      expect((await r2.describeDevice(new Uint8Array(8).fill(3)))!.suite).toBe("intl");
      await r2.close();
    });

    it("device owners: only the owner sees an owned device", async () => {
      const r = await open(await backend.fresh());
      const owned = new Uint8Array(8).fill(7);
      expect((await r.addDevice(owned, psk, { owner: "maker-a" })).owner).toBe("maker-a");
      expect(await r.getDevicePsk(owned, "maker-a")).toBeDefined();
      expect(await r.getDevicePsk(owned, "maker-b")).toBeUndefined();
      expect(await r.getDevicePsk(owned)).toBeDefined(); // admin view: no user given
      await r.addDevice(tid, psk); // no owner: everyone's
      expect(await r.getDevicePsk(tid, "maker-b")).toBeDefined();
      await r.close();
    });

    it("user servers: RSA ≥ 2048 only, fingerprint, deactivate, replace, unknown", async () => {
      const r = await open(await backend.fresh());
      const info = await r.addUserServer("100000000001", pem);
      expect(info).toMatchObject({ userUin: "100000000001", active: true });
      expect(info.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      await expect(r.addUserServer("100000000001", pem)).rejects.toMatchObject({ code: "USER_EXISTS" });
      const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }) as string;
      await expect(r.addUserServer("u2", small)).rejects.toMatchObject({ code: "BAD_PUBLIC_KEY" });
      await expect(r.addUserServer("u3", "not a key")).rejects.toMatchObject({ code: "BAD_PUBLIC_KEY" });
      expect((await r.setUserServerActive("100000000001", false)).active).toBe(false);
      expect((await r.getUserServer("100000000001"))!.active).toBe(false);
      expect((await r.addUserServer("100000000001", pem, { replace: true })).active).toBe(true);
      await expect(r.setUserServerActive("nobody", true)).rejects.toMatchObject({ code: "UNKNOWN_USER" });
      expect(await r.getUserServer("nobody")).toBeUndefined();
      expect(await r.describeUserServer("nobody")).toBeUndefined();
      await r.close();
    });

    it("replay caches survive a reopen, count authentications and expire", async () => {
      const db = await backend.fresh();
      let t = 5000;
      const r = await open(db, { now: () => t });
      await r.addDevice(tid, psk);
      const nd = new Uint8Array(16).fill(3);
      expect(await r.recordAuthentication(tid, nd, t + 301)).toBe(true);
      expect(await r.recordAuthentication(tid, nd, t + 301)).toBe(false);
      expect(await r.rememberRequestNonce("u", "nonce-0123456789", t + 301)).toBe(true);
      expect(await r.rememberRequestNonce("u", "nonce-0123456789", t + 301)).toBe(false);
      expect(await r.rememberRequestNonce("v", "nonce-0123456789", t + 301)).toBe(true); // per user
      await r.close();
      const r2 = await open(db, { now: () => t });
      expect(await r2.recordAuthentication(tid, nd, t + 301)).toBe(false);
      expect(await r2.rememberRequestNonce("u", "nonce-0123456789", t + 301)).toBe(false);
      expect(await r2.describeDevice(tid)).toMatchObject({ authCount: 1, lastAuthAt: 5000 });
      t += 302;
      expect(await r2.pruneExpired()).toEqual({ authcodes: 1, nonces: 2 });
      expect(await r2.replayCacheSize()).toEqual({ authcodes: 0, nonces: 0 });
      await r2.close();
    });

    it("acceptAuthentication: nonce and (TID, Nd) in one write, replays told apart", async () => {
      const r = await open(await backend.fresh(), { now: () => 7000 });
      await r.addDevice(tid, psk);
      const a = { userUin: "u", nonce: "nonce-aaaaaaaaaaaa", nonceExpiresAt: 7301, tid, nd: new Uint8Array(16).fill(1), expiresAt: 7301 };
      expect(await r.acceptAuthentication(a)).toBe("accepted");
      expect(await r.acceptAuthentication(a)).toBe("replayed-request");
      expect(await r.acceptAuthentication({ ...a, nonce: "nonce-bbbbbbbbbbbb" })).toBe("replayed-authcode");
      // the replayed authcode used its nonce up
      expect(await r.rememberRequestNonce("u", "nonce-bbbbbbbbbbbb", 7301)).toBe(false);
      expect(await r.describeDevice(tid)).toMatchObject({ authCount: 1, lastAuthAt: 7000 });
      expect(await r.replayCacheSize()).toEqual({ authcodes: 1, nonces: 2 });
      await r.close();
    });

    it("group commit: concurrent writes all land, each failure alone; one pair is accepted once", async () => {
      const db = await backend.fresh();
      const r = await open(db);
      await r.addDevice(tid, psk);
      const tids = Array.from({ length: 60 }, (_, i) => new Uint8Array(8).fill(0).map((_, j) => (j === 7 ? i : j === 0 ? 0xaa : 0)));
      const adds = tids.map((t) => r.addDevice(t, psk));
      const dup = r.addDevice(tid, psk); // fails in the same batch as the others
      const nd = new Uint8Array(16).fill(9);
      const races = Array.from({ length: 20 }, () => r.recordAuthentication(tid, nd, 2_000_000_000));
      const results = await Promise.allSettled([...adds, dup]);
      expect(results.slice(0, 60).every((x) => x.status === "fulfilled")).toBe(true);
      expect(results[60]).toMatchObject({ status: "rejected", reason: { code: "DEVICE_EXISTS" } });
      expect((await Promise.all(races)).filter(Boolean)).toHaveLength(1);
      await r.close();
      const r2 = await open(db);
      expect(await r2.countDevices()).toBe(61);
      expect((await r2.describeDevice(tid))!.authCount).toBe(1);
      await r2.close();
    });

    it("two registries on one database: a (TID, Nd) pair or a request nonce is accepted once", async () => {
      const db = await backend.fresh();
      const a = await open(db);
      const b = await open(db);
      await a.addDevice(tid, psk);
      for (let i = 0; i < 10; i++) {
        const nd = new Uint8Array(randomBytes(16));
        const got = await Promise.all([a.recordAuthentication(tid, nd, 2_000_000_000), b.recordAuthentication(tid, nd, 2_000_000_000)]);
        expect(got.filter(Boolean)).toHaveLength(1);
        const nonce = randomBytes(12).toString("base64url");
        const n = await Promise.all([a.rememberRequestNonce("u", nonce, 2_000_000_000), b.rememberRequestNonce("u", nonce, 2_000_000_000)]);
        expect(n.filter(Boolean)).toHaveLength(1);
      }
      expect((await a.describeDevice(tid))!.authCount).toBe(10);
      await a.close();
      await b.close();
    });

    it("refuses a wrong master key and a newer schema", async () => {
      const db = await backend.fresh();
      await (await open(db)).close();
      await expect(openRegistry(db, { masterKey: new Uint8Array(32) })).rejects.toThrow(/master key does not match/);
      await backend.sql(db, `INSERT INTO schema_migrations (version, applied_at) VALUES (${SCHEMA_VERSION + 1}, 0)`);
      await expect(open(db)).rejects.toThrow(/newer than this server/);
    });
  });
}

describe("SQLite registry", () => {
  it("is in WAL mode, keeps user_version in step, and never stores a PSK in clear", async () => {
    const path = join(dir, "wal.db");
    const r = SqliteRegistry.open(path, { masterKey });
    await r.addDevice(tid, psk);
    expect(r.integrityCheck()).toBe("ok");
    await r.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
    ]);
    db.close();
    for (const f of [path, path + "-wal"]) {
      try {
        expect(readFileSync(f).includes(Buffer.from(psk))).toBe(false);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
  });

  it("a sealed PSK is bound to its TID (moving it to another row fails)", async () => {
    const path = join(dir, "moved.db");
    const r = SqliteRegistry.open(path, { masterKey });
    const other = new Uint8Array(8).fill(9);
    await r.addDevice(tid, psk);
    await r.addDevice(other, new Uint8Array(16).fill(1));
    await r.close();
    const db = new Database(path);
    db.prepare("UPDATE devices SET psk_sealed = (SELECT psk_sealed FROM devices WHERE tid = ?) WHERE tid = ?").run(
      Buffer.from(tid),
      Buffer.from(other),
    );
    db.close();
    const r2 = SqliteRegistry.open(path, { masterKey });
    await expect(r2.getDevicePsk(other)).rejects.toThrow(/does not open/);
    await r2.close();
  });

  it("a file from before the migrations table (user_version 1, no owner column) is migrated", async () => {
    const path = join(dir, "v1.db");
    const r = SqliteRegistry.open(path, { masterKey });
    await r.addDevice(tid, psk, { owner: "maker-a", suite: "intl" });
    await r.close();
    const db = new Database(path);
    db.exec("DROP TABLE schema_migrations; ALTER TABLE devices DROP COLUMN owner_uin; ALTER TABLE devices DROP COLUMN suite");
    db.pragma("user_version = 1");
    db.close();
    const r2 = SqliteRegistry.open(path, { masterKey });
    expect(r2.schemaVersion).toBe(SCHEMA_VERSION);
    expect((await r2.describeDevice(tid))!.owner).toBeNull(); // old devices: open to every user server
    expect((await r2.describeDevice(tid))!.suite).toBe("sm"); // … and speak suite SM
    expect(await r2.getDevicePsk(tid, "maker-b")).toBeDefined();
    await r2.close();
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
    ]);
    expect(check.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
  });

  it("refuses a file whose user_version is newer (written by a newer server before the table)", () => {
    const path = join(dir, "newer.db");
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    chmodSync(path, 0o600); // a registry others may read is refused before it is opened
    expect(() => SqliteRegistry.open(path, { masterKey })).toThrow(/newer than this server/);
  });

  it("master key files: created 0600, 64 hex characters", () => {
    const p = join(dir, "master.key");
    const k = createMasterKeyFile(p);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readMasterKeyFile(p)).equals(Buffer.from(k))).toBe(true);
    expect(() => createMasterKeyFile(p)).toThrow();
    writeFileSync(join(dir, "bad.key"), "abc", { mode: 0o600 });
    expect(() => readMasterKeyFile(join(dir, "bad.key"))).toThrow(/64 hex/);
  });

  it("a master key file that group or others can access is refused (it unseals every PSK)", () => {
    const p = join(dir, "open.key");
    createMasterKeyFile(p);
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602]) {
      chmodSync(p, mode);
      expect(() => readMasterKeyFile(p), mode.toString(8)).toThrow(/chmod 600/);
    }
    chmodSync(p, 0o400);
    expect(readMasterKeyFile(p).length).toBe(32);
    expect(() => readMasterKeyFile(dir)).toThrow(/not a regular file/);
  });
});
