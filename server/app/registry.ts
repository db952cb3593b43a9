// The auth server's durable registry (docs/server.md "Registry"): devices (TID, sealed PSK,
// active flag), user servers (userUin → RSA public key), and the two replay caches — (TID, Nd)
// of accepted authcodes and (userUin, nonce) of signed requests — so a restart keeps replay
// protection. SQLite through better-sqlite3: WAL journal, synchronous=FULL (a commit is on disk
// before it returns), one transaction per write, schema version in PRAGMA user_version.
import { createRequire } from "node:module";
import type Database from "better-sqlite3";

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
import { createHash, createPublicKey } from "node:crypto";
import { masterKeyCheck, sealPsk, unsealPsk } from "./master-key.js";
import { protectRegistryFiles } from "./file-mode.js";
import { rsaPublicKey } from "../sdk/signing.js";

export const SCHEMA_VERSION = 2;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;
    CREATE TABLE devices (
      tid          BLOB PRIMARY KEY CHECK (length(tid) = 8),
      psk_sealed   BLOB NOT NULL,
      active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
      label        TEXT,
      created_at   INTEGER NOT NULL,
      updated_at   INTEGER NOT NULL,
      last_auth_at INTEGER,
      auth_count   INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE user_servers (
      user_uin       TEXT PRIMARY KEY,
      public_key_pem TEXT NOT NULL,
      active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
      created_at     INTEGER NOT NULL,
      updated_at     INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE seen_authcodes (
      tid        BLOB NOT NULL,
      nd         BLOB NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (tid, nd)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX seen_authcodes_expiry ON seen_authcodes (expires_at);
    CREATE TABLE seen_request_nonces (
      user_uin   TEXT NOT NULL,
      nonce      TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (user_uin, nonce)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX seen_request_nonces_expiry ON seen_request_nonces (expires_at);
  `,
  // 2: a device may belong to one user server (its owner); only the owner can authenticate it.
  // Devices registered before (owner NULL) stay open to every registered user server.
  2: `
    ALTER TABLE devices ADD COLUMN owner_uin TEXT;
  `,
};

export class RegistryError extends Error {
  readonly code: "DEVICE_EXISTS" | "USER_EXISTS" | "UNKNOWN_DEVICE" | "UNKNOWN_USER" | "BAD_PUBLIC_KEY";
  constructor(code: RegistryError["code"], message: string) {
    super(message);
    this.name = "RegistryError";
    this.code = code;
  }
}

/** A device as the admin API shows it (never the PSK). */
export interface DeviceInfo {
  tid: string;
  active: boolean;
  /** the user server allowed to authenticate it, or null: any registered user server */
  owner: string | null;
  label: string | null;
  createdAt: number;
  updatedAt: number;
  lastAuthAt: number | null;
  authCount: number;
}

export interface UserServerInfo {
  userUin: string;
  active: boolean;
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex */
  fingerprint: string;
  createdAt: number;
  updatedAt: number;
}

export interface RegistryOptions {
  /** 32-byte master key that seals the PSKs */
  masterKey: Uint8Array;
  /** Unix seconds (test hook); default the system clock */
  now?: () => number;
}

interface DeviceRow {
  tid: Buffer;
  psk_sealed: Buffer;
  active: number;
  label: string | null;
  owner_uin: string | null;
  created_at: number;
  updated_at: number;
  last_auth_at: number | null;
  auth_count: number;
}

interface UserRow {
  user_uin: string;
  public_key_pem: string;
  active: number;
  created_at: number;
  updated_at: number;
}

function tidHex(tid: Uint8Array): string {
  return Buffer.from(tid).toString("hex");
}

function requireTid(tid: Uint8Array): Buffer {
  if (!(tid instanceof Uint8Array) || tid.length !== 8) throw new RangeError("tid must be 8 bytes");
  return Buffer.from(tid);
}

export class Registry {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly masterKey: Uint8Array;
  private readonly now: () => number;
  private lastPrune = 0;

  private constructor(path: string, db: Database.Database, options: RegistryOptions) {
    this.path = path;
    this.db = db;
    this.masterKey = options.masterKey.slice();
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** Open (creating or migrating) the registry at `path` (":memory:" for a throw-away one). */
  static open(path: string, options: RegistryOptions): Registry {
    const check = masterKeyCheck(options.masterKey);
    const Sqlite = loadSqlite();
    protectRegistryFiles(path);
    const db = new Sqlite(path);
    try {
      if (path !== ":memory:") {
        const mode = db.pragma("journal_mode = WAL", { simple: true });
        if (String(mode).toLowerCase() !== "wal") throw new Error(`could not switch ${path} to WAL (got ${String(mode)})`);
      }
      db.pragma("synchronous = FULL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000");
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new Error(`${path}: schema version ${version} is newer than this server's (${SCHEMA_VERSION})`);
      }
      db.transaction(() => {
        for (let v = version + 1; v <= SCHEMA_VERSION; v++) {
          db.exec(MIGRATIONS[v]!);
          db.pragma(`user_version = ${v}`);
        }
        const row = db.prepare("SELECT value FROM meta WHERE key = 'master_key_check'").get() as { value: string } | undefined;
        if (!row) db.prepare("INSERT INTO meta (key, value) VALUES ('master_key_check', ?)").run(check);
        else if (row.value !== check) throw new Error(`${path}: the master key does not match this database`);
      }).immediate();
      const ok = db.pragma("quick_check", { simple: true });
      if (ok !== "ok") throw new Error(`${path}: integrity check failed: ${String(ok)}`);
    } catch (e) {
      db.close();
      throw e;
    }
    return new Registry(path, db, options);
  }

  get schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  // ---- devices ------------------------------------------------------------------------------

  /** Register a device. DEVICE_EXISTS unless `replace` (which also re-activates it). */
  addDevice(
    tid: Uint8Array,
    psk: Uint8Array,
    opts: { label?: string | null; active?: boolean; replace?: boolean; owner?: string | null } = {},
  ): DeviceInfo {
    const t = requireTid(tid);
    if (!(psk instanceof Uint8Array) || psk.length !== 16) throw new RangeError("psk must be 16 bytes");
    const now = this.now();
    const sealed = Buffer.from(sealPsk(this.masterKey, t, psk));
    const active = opts.active === false ? 0 : 1;
    this.db
      .transaction(() => {
        const exists = this.db.prepare("SELECT 1 FROM devices WHERE tid = ?").get(t);
        if (exists && !opts.replace) throw new RegistryError("DEVICE_EXISTS", `device ${tidHex(t)} is already registered`);
        if (exists) {
          this.db
            .prepare("UPDATE devices SET psk_sealed = ?, active = ?, label = ?, owner_uin = ?, updated_at = ? WHERE tid = ?")
            .run(sealed, active, opts.label ?? null, opts.owner ?? null, now, t);
        } else {
          this.db
            .prepare("INSERT INTO devices (tid, psk_sealed, active, label, owner_uin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .run(t, sealed, active, opts.label ?? null, opts.owner ?? null, now, now);
        }
      })
      .immediate();
    return this.describeDevice(t)!;
  }

  /**
   * The device's PSK and active flag, or undefined when unknown. With `forUser`, a device owned
   * by another user server is unknown too (its existence is not revealed).
   */
  getDevicePsk(tid: Uint8Array, forUser?: string): { psk: Uint8Array; active: boolean } | undefined {
    const row = this.db.prepare("SELECT tid, psk_sealed, active, owner_uin FROM devices WHERE tid = ?").get(requireTid(tid)) as
      DeviceRow | undefined;
    if (!row) return undefined;
    if (forUser !== undefined && row.owner_uin !== null && row.owner_uin !== forUser) return undefined;
    return { psk: unsealPsk(this.masterKey, row.tid, row.psk_sealed), active: row.active === 1 };
  }

  describeDevice(tid: Uint8Array): DeviceInfo | undefined {
    const row = this.db.prepare("SELECT * FROM devices WHERE tid = ?").get(requireTid(tid)) as DeviceRow | undefined;
    return (
      row && {
        tid: row.tid.toString("hex"),
        active: row.active === 1,
        owner: row.owner_uin,
        label: row.label,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        lastAuthAt: row.last_auth_at,
        authCount: row.auth_count,
      }
    );
  }

  setDeviceActive(tid: Uint8Array, active: boolean): DeviceInfo {
    const t = requireTid(tid);
    const r = this.db
      .transaction(() => this.db.prepare("UPDATE devices SET active = ?, updated_at = ? WHERE tid = ?").run(active ? 1 : 0, this.now(), t))
      .immediate();
    if (r.changes === 0) throw new RegistryError("UNKNOWN_DEVICE", `device ${tidHex(t)} is not registered`);
    return this.describeDevice(t)!;
  }

  countDevices(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM devices").get() as { n: number }).n;
  }

  // ---- user servers -------------------------------------------------------------------------

  /** Register a user server's RSA public key (PEM, ≥ 2048 bits). USER_EXISTS unless `replace`. */
  addUserServer(userUin: string, publicKeyPem: string, opts: { replace?: boolean } = {}): UserServerInfo {
    let pem: string;
    try {
      pem = rsaPublicKey(publicKeyPem).export({ type: "spki", format: "pem" }) as string;
    } catch (e) {
      throw new RegistryError("BAD_PUBLIC_KEY", `publicKeyPem: ${(e as Error).message}`);
    }
    const now = this.now();
    this.db
      .transaction(() => {
        const exists = this.db.prepare("SELECT 1 FROM user_servers WHERE user_uin = ?").get(userUin);
        if (exists && !opts.replace) throw new RegistryError("USER_EXISTS", `user server ${userUin} is already registered`);
        if (exists)
          this.db
            .prepare("UPDATE user_servers SET public_key_pem = ?, active = 1, updated_at = ? WHERE user_uin = ?")
            .run(pem, now, userUin);
        else
          this.db
            .prepare("INSERT INTO user_servers (user_uin, public_key_pem, active, created_at, updated_at) VALUES (?, ?, 1, ?, ?)")
            .run(userUin, pem, now, now);
      })
      .immediate();
    return this.describeUserServer(userUin)!;
  }

  /** The user server's public key PEM and active flag, or undefined. */
  getUserServer(userUin: string): { publicKeyPem: string; active: boolean } | undefined {
    const row = this.db.prepare("SELECT * FROM user_servers WHERE user_uin = ?").get(userUin) as UserRow | undefined;
    return row && { publicKeyPem: row.public_key_pem, active: row.active === 1 };
  }

  describeUserServer(userUin: string): UserServerInfo | undefined {
    const row = this.db.prepare("SELECT * FROM user_servers WHERE user_uin = ?").get(userUin) as UserRow | undefined;
    if (!row) return undefined;
    const der = createPublicKey(row.public_key_pem).export({ type: "spki", format: "der" });
    return {
      userUin: row.user_uin,
      active: row.active === 1,
      fingerprint: createHash("sha256").update(der).digest("hex"),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  setUserServerActive(userUin: string, active: boolean): UserServerInfo {
    const r = this.db
      .transaction(() =>
        this.db.prepare("UPDATE user_servers SET active = ?, updated_at = ? WHERE user_uin = ?").run(active ? 1 : 0, this.now(), userUin),
      )
      .immediate();
    if (r.changes === 0) throw new RegistryError("UNKNOWN_USER", `user server ${userUin} is not registered`);
    return this.describeUserServer(userUin)!;
  }

  // ---- replay caches --------------------------------------------------------------------------

  /**
   * Remember an accepted authcode's (TID, Nd) until `expiresAt` and count the authentication.
   * Returns false (and changes nothing) when the pair is already remembered.
   */
  recordAuthentication(tid: Uint8Array, nd: Uint8Array, expiresAt: number): boolean {
    const t = requireTid(tid);
    const now = this.now();
    return this.db
      .transaction(() => {
        this.pruneIfDue(now);
        const r = this.db
          .prepare("INSERT OR IGNORE INTO seen_authcodes (tid, nd, expires_at) VALUES (?, ?, ?)")
          .run(t, Buffer.from(nd), expiresAt);
        if (r.changes === 0) return false;
        this.db.prepare("UPDATE devices SET last_auth_at = ?, auth_count = auth_count + 1 WHERE tid = ?").run(now, t);
        return true;
      })
      .immediate();
  }

  /** Remember a signed request's (userUin, nonce) until `expiresAt`; false when already seen. */
  rememberRequestNonce(userUin: string, nonce: string, expiresAt: number): boolean {
    const now = this.now();
    return this.db
      .transaction(() => {
        this.pruneIfDue(now);
        const r = this.db
          .prepare("INSERT OR IGNORE INTO seen_request_nonces (user_uin, nonce, expires_at) VALUES (?, ?, ?)")
          .run(userUin, nonce, expiresAt);
        return r.changes === 1;
      })
      .immediate();
  }

  /** Delete replay-cache rows that expired before `now`. */
  pruneExpired(now = this.now()): { authcodes: number; nonces: number } {
    return this.db.transaction(() => this.prune(now)).immediate();
  }

  private prune(now: number): { authcodes: number; nonces: number } {
    this.lastPrune = now;
    return {
      authcodes: this.db.prepare("DELETE FROM seen_authcodes WHERE expires_at < ?").run(now).changes,
      nonces: this.db.prepare("DELETE FROM seen_request_nonces WHERE expires_at < ?").run(now).changes,
    };
  }

  private pruneIfDue(now: number): void {
    if (now - this.lastPrune >= 60) this.prune(now);
  }

  replayCacheSize(): { authcodes: number; nonces: number } {
    return {
      authcodes: (this.db.prepare("SELECT count(*) AS n FROM seen_authcodes").get() as { n: number }).n,
      nonces: (this.db.prepare("SELECT count(*) AS n FROM seen_request_nonces").get() as { n: number }).n,
    };
  }

  /** Run SQLite's full integrity check; "ok" when sound. */
  integrityCheck(): string {
    return String(this.db.pragma("integrity_check", { simple: true }));
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.masterKey.fill(0);
  }
}
