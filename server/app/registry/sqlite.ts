// The registry in one SQLite file through better-sqlite3 (docs/server.md "Registry"): WAL journal,
// synchronous=FULL (a commit is on disk before it returns), busy_timeout 5 s. Reads run directly
// on this process's connection. Writes (sqlite-writes.ts) are grouped (group-commit.ts): one
// BEGIN IMMEDIATE … COMMIT per turn of the event loop. A write refused by the registry's rules
// (RegistryError: DEVICE_EXISTS …) decides before it changes anything, so it fails alone with no
// savepoint around it; any other error rolls the whole batch back and fails every write in it.
// Several processes (cluster workers) may share the file: each group-commits its own writes, and
// SQLite's write lock (busy_timeout) takes them in turn.
import { createRequire } from "node:module";
import type Database from "better-sqlite3";
import { masterKeyCheck, sealPsk, unsealPsk } from "../master-key.js";
import { protectRegistryFiles } from "../file-mode.js";
import {
  deviceInfo,
  fingerprint,
  normalisePem,
  nowSeconds,
  requirePsk,
  requireSuite,
  requireTid,
  rowSuite,
  type DeviceRow,
} from "./common.js";
import { GroupCommit, type Outcome, type Job } from "./group-commit.js";
import { MIGRATIONS_TABLE, pendingMigrations } from "./migrations.js";
import { applyWrite, type WriteOp } from "./sqlite-writes.js";
import {
  RegistryError,
  type AcceptResult,
  type Acceptance,
  type AddDeviceOptions,
  type DeviceInfo,
  type DeviceSecret,
  type Registry,
  type RegistryOptions,
  type UserServerInfo,
} from "./types.js";

type Db = Database.Database;

/**
 * better-sqlite3 is a dependency of the @tid-wasm/server package only (a device that installs
 * tid-wasm compiles no SQLite): it is loaded when a registry is first opened, with a clear error
 * where it is missing or failed to build.
 */
function loadSqlite(): typeof Database {
  try {
    return createRequire(import.meta.url)("better-sqlite3") as typeof Database;
  } catch (e) {
    throw new Error(
      "the reference auth server needs better-sqlite3 (a dependency of @tid-wasm/server), which is not installed or failed to build: reinstall @tid-wasm/server, or `npm install better-sqlite3@12`",
      { cause: e },
    );
  }
}

/** Create or migrate the schema, check the master key; in one BEGIN IMMEDIATE transaction. */
function migrate(db: Db, path: string, check: string, now: number): number {
  return db
    .transaction(() => {
      const userVersion = db.pragma("user_version", { simple: true }) as number;
      db.exec(MIGRATIONS_TABLE.sqlite);
      const recorded = (db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
      // a file from before schema_migrations: its user_version says what is applied
      const adopt = db.prepare("INSERT OR IGNORE INTO schema_migrations (version, applied_at) VALUES (?, ?)");
      for (let v = recorded + 1; v <= userVersion; v++) adopt.run(v, now);
      let current = Math.max(recorded, userVersion);
      for (const m of pendingMigrations(current, path)) {
        db.exec(m.sqlite);
        db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(m.version, now);
        db.pragma(`user_version = ${m.version}`);
        current = m.version;
      }
      const row = db.prepare("SELECT value FROM meta WHERE key = 'master_key_check'").get() as { value: string } | undefined;
      if (!row) db.prepare("INSERT INTO meta (key, value) VALUES ('master_key_check', ?)").run(check);
      else if (row.value !== check) throw new Error(`${path}: the master key does not match this database`);
      return current;
    })
    .immediate();
}

export class SqliteRegistry implements Registry {
  readonly kind = "sqlite" as const;
  readonly location: string;
  readonly schemaVersion: number;
  private readonly db: Db;
  private readonly masterKey: Uint8Array;
  private readonly now: () => number;
  private readonly writes: GroupCommit<Db>;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly stmt = (sql: string): Database.Statement => {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  };
  private lastPrune = 0;

  private constructor(path: string, db: Db, schemaVersion: number, options: RegistryOptions) {
    this.location = path;
    this.db = db;
    this.schemaVersion = schemaVersion;
    this.masterKey = options.masterKey.slice();
    this.now = options.now ?? nowSeconds;
    this.writes = new GroupCommit<Db>((jobs) => Promise.resolve(this.commit(jobs)));
  }

  /** Open (creating or migrating) the registry at `path` (":memory:" for a throw-away one). */
  static open(path: string, options: RegistryOptions): SqliteRegistry {
    const check = masterKeyCheck(options.masterKey);
    const Sqlite = loadSqlite();
    protectRegistryFiles(path);
    const db = new Sqlite(path);
    let version: number;
    try {
      if (path !== ":memory:") {
        const mode = db.pragma("journal_mode = WAL", { simple: true });
        if (String(mode).toLowerCase() !== "wal") throw new Error(`could not switch ${path} to WAL (got ${String(mode)})`);
      }
      db.pragma("synchronous = FULL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000");
      version = migrate(db, path, check, (options.now ?? nowSeconds)());
      const ok = db.pragma("quick_check", { simple: true });
      if (ok !== "ok") throw new Error(`${path}: integrity check failed: ${String(ok)}`);
    } catch (e) {
      db.close();
      throw e;
    }
    return new SqliteRegistry(path, db, version, options);
  }

  /** Apply a write in this process's next group commit. */
  private writer(op: WriteOp): Promise<unknown> {
    return this.writes.submit(() => applyWrite(this.stmt, op, this.now()));
  }

  /** One batch: BEGIN IMMEDIATE, each job, a prune when due, COMMIT (durable: synchronous=FULL). */
  private commit(jobs: Job<Db>[]): Outcome[] {
    const outcomes: Outcome[] = [];
    this.db.exec("BEGIN IMMEDIATE");
    try {
      for (const job of jobs) {
        try {
          outcomes.push({ ok: true, value: job.run(this.db) });
        } catch (error) {
          // a RegistryError is decided before its write changes anything (sqlite-writes.ts); any
          // other error may have left half a write, so the whole batch is rolled back and fails
          if (!(error instanceof RegistryError)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
      const now = this.now(); // expired replay-cache rows go at most once a minute
      if (now - this.lastPrune >= 60) {
        this.lastPrune = now;
        applyWrite(this.stmt, { kind: "prune", now }, now);
      }
      this.db.exec("COMMIT");
    } catch (e) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw e;
    }
    return outcomes;
  }

  // ---- devices ------------------------------------------------------------------------------

  async addDevice(tid: Uint8Array, psk: Uint8Array, opts: AddDeviceOptions = {}): Promise<DeviceInfo> {
    const t = requireTid(tid);
    requirePsk(psk);
    const suite = requireSuite(opts.suite);
    const sealed = sealPsk(this.masterKey, t, psk);
    await this.writer({
      kind: "addDevice",
      tid: t,
      sealed,
      active: opts.active !== false,
      label: opts.label ?? null,
      owner: opts.owner ?? null,
      suite,
      replace: opts.replace === true,
    });
    return (await this.describeDevice(t))!;
  }

  async getDevicePsk(tid: Uint8Array, forUser?: string): Promise<DeviceSecret | undefined> {
    const row = this.stmt("SELECT tid, psk_sealed, active, owner_uin, suite FROM devices WHERE tid = ?").get(requireTid(tid)) as
      { tid: Buffer; psk_sealed: Buffer; active: number; owner_uin: string | null; suite: string } | undefined;
    if (!row) return undefined;
    if (forUser !== undefined && row.owner_uin !== null && row.owner_uin !== forUser) return undefined;
    const suite = rowSuite(row.suite);
    return { psk: unsealPsk(this.masterKey, row.tid, row.psk_sealed), active: row.active === 1, suite };
  }

  async describeDevice(tid: Uint8Array): Promise<DeviceInfo | undefined> {
    const row = this.stmt("SELECT * FROM devices WHERE tid = ?").get(requireTid(tid)) as DeviceRow | undefined;
    return row && deviceInfo(row);
  }

  async setDeviceActive(tid: Uint8Array, active: boolean): Promise<DeviceInfo> {
    const t = requireTid(tid);
    await this.writer({ kind: "setDeviceActive", tid: t, active });
    return (await this.describeDevice(t))!;
  }

  async countDevices(): Promise<number> {
    return (this.stmt("SELECT count(*) AS n FROM devices").get() as { n: number }).n;
  }

  // ---- user servers -------------------------------------------------------------------------

  async addUserServer(userUin: string, publicKeyPem: string, opts: { replace?: boolean } = {}): Promise<UserServerInfo> {
    await this.writer({ kind: "addUserServer", userUin, pem: normalisePem(publicKeyPem), replace: opts.replace === true });
    return (await this.describeUserServer(userUin))!;
  }

  async getUserServer(userUin: string): Promise<{ publicKeyPem: string; active: boolean } | undefined> {
    const row = this.stmt("SELECT public_key_pem, active FROM user_servers WHERE user_uin = ?").get(userUin) as
      { public_key_pem: string; active: number } | undefined;
    return row && { publicKeyPem: row.public_key_pem, active: row.active === 1 };
  }

  async describeUserServer(userUin: string): Promise<UserServerInfo | undefined> {
    const row = this.stmt("SELECT * FROM user_servers WHERE user_uin = ?").get(userUin) as
      { user_uin: string; public_key_pem: string; active: number; created_at: number; updated_at: number } | undefined;
    if (!row) return undefined;
    return {
      userUin: row.user_uin,
      active: row.active === 1,
      fingerprint: fingerprint(row.public_key_pem),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async setUserServerActive(userUin: string, active: boolean): Promise<UserServerInfo> {
    await this.writer({ kind: "setUserServerActive", userUin, active });
    return (await this.describeUserServer(userUin))!;
  }

  // ---- replay caches --------------------------------------------------------------------------

  async recordAuthentication(tid: Uint8Array, nd: Uint8Array, expiresAt: number): Promise<boolean> {
    return (await this.writer({ kind: "recordAuthentication", tid: requireTid(tid), nd, expiresAt })) as boolean;
  }

  async rememberRequestNonce(userUin: string, nonce: string, expiresAt: number): Promise<boolean> {
    return (await this.writer({ kind: "rememberRequestNonce", userUin, nonce, expiresAt })) as boolean;
  }

  async acceptAuthentication(a: Acceptance): Promise<AcceptResult> {
    return (await this.writer({ kind: "acceptAuthentication", ...a, tid: requireTid(a.tid) })) as AcceptResult;
  }

  async pruneExpired(now = this.now()): Promise<{ authcodes: number; nonces: number }> {
    return (await this.writer({ kind: "prune", now })) as { authcodes: number; nonces: number };
  }

  async replayCacheSize(): Promise<{ authcodes: number; nonces: number }> {
    return {
      authcodes: (this.stmt("SELECT count(*) AS n FROM seen_authcodes").get() as { n: number }).n,
      nonces: (this.stmt("SELECT count(*) AS n FROM seen_request_nonces").get() as { n: number }).n,
    };
  }

  /** Run SQLite's full integrity check; "ok" when sound. */
  integrityCheck(): string {
    return String(this.db.pragma("integrity_check", { simple: true }));
  }

  async close(): Promise<void> {
    await this.writes.drain();
    if (this.db.open) this.db.close();
    this.masterKey.fill(0);
  }
}
