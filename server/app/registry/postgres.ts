// The registry in PostgreSQL through `pg` (docs/server.md "Registry"), for several auth server
// instances on one database: the replay caches' primary keys decide which instance accepts an
// authcode or request nonce first (INSERT … ON CONFLICT DO NOTHING: the loser sees no row). Reads
// go straight to the pool; writes are grouped (group-commit.ts): one transaction per batch,
// durable at COMMIT with PostgreSQL's default synchronous_commit. Every write is one statement
// that decides before it changes anything, so a job that fails (DEVICE_EXISTS …) leaves nothing
// behind; device counters are applied last, in TID order, so concurrent batches of different
// instances lock device rows in the same order. A batch that fails as a whole (a deadlock between
// replays, a lost connection) is run again job by job.
import { createRequire } from "node:module";
import type { Pool, PoolClient } from "pg";
import { masterKeyCheck, sealPsk, unsealPsk } from "../master-key.js";
import {
  deviceInfo,
  fingerprint,
  normalisePem,
  nowSeconds,
  requirePsk,
  requireSuite,
  requireTid,
  rowSuite,
  tidHex,
  type DeviceRow,
} from "./common.js";
import { GroupCommit, type Job, type Outcome } from "./group-commit.js";
import { MIGRATIONS_TABLE, pendingMigrations } from "./migrations.js";
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

/** A batch's transaction: its connection, and the authentications to count at the end. */
interface Tx {
  client: PoolClient;
  counts: Map<string, number>;
}

/** Key of the advisory lock that serialises migrations of instances starting together. */
const MIGRATION_LOCK = 0x7469_6400;

function loadPg(): typeof import("pg") {
  try {
    return createRequire(import.meta.url)("pg") as typeof import("pg");
  } catch (e) {
    throw new Error("a postgres:// registry needs the `pg` package (a dependency of @tid-wasm/server): reinstall @tid-wasm/server", {
      cause: e,
    });
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}

const USER_COLUMNS = "user_uin, public_key_pem, active, created_at, updated_at";

export class PostgresRegistry implements Registry {
  readonly kind = "postgres" as const;
  readonly location: string;
  readonly schemaVersion: number;
  private readonly pool: Pool;
  private readonly masterKey: Uint8Array;
  private readonly now: () => number;
  private readonly writes: GroupCommit<Tx>;
  private lastPrune = 0;

  private constructor(location: string, pool: Pool, schemaVersion: number, options: RegistryOptions) {
    this.location = location;
    this.pool = pool;
    this.schemaVersion = schemaVersion;
    this.masterKey = options.masterKey.slice();
    this.now = options.now ?? nowSeconds;
    this.writes = new GroupCommit<Tx>((jobs) => this.commit(jobs));
  }

  /** Connect to `url` (postgres://user:pass@host:port/db), create or migrate the schema, check the master key. */
  static async open(url: string, options: RegistryOptions & { poolSize?: number }): Promise<PostgresRegistry> {
    const check = masterKeyCheck(options.masterKey);
    const location = redact(url);
    const { Pool } = loadPg();
    const pool = new Pool({ connectionString: url, max: options.poolSize ?? 8 });
    pool.on("error", () => {}); // an idle connection that dies is replaced on the next query
    try {
      const version = await migrate(pool, location, check, (options.now ?? nowSeconds)());
      return new PostgresRegistry(location, pool, version, options);
    } catch (e) {
      await pool.end().catch(() => {});
      throw e;
    }
  }

  private async commit(jobs: Job<Tx>[]): Promise<Outcome[]> {
    const client = await this.pool.connect();
    try {
      try {
        return await this.runBatch(client, jobs);
      } catch (e) {
        if (jobs.length === 1) throw e;
        const outcomes: Outcome[] = [];
        for (const job of jobs) {
          try {
            outcomes.push(...(await this.runBatch(client, [job])));
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
        return outcomes;
      }
    } finally {
      client.release();
    }
  }

  private async runBatch(client: PoolClient, jobs: Job<Tx>[]): Promise<Outcome[]> {
    const tx: Tx = { client, counts: new Map() };
    await client.query("BEGIN");
    try {
      const outcomes: Outcome[] = [];
      for (const job of jobs) {
        try {
          outcomes.push({ ok: true, value: await job.run(tx) });
        } catch (error) {
          if (!(error instanceof RegistryError)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
      const now = this.now();
      for (const tid of [...tx.counts.keys()].sort()) {
        await client.query("UPDATE devices SET auth_count = auth_count + $1, last_auth_at = $2 WHERE tid = $3", [
          tx.counts.get(tid),
          now,
          Buffer.from(tid, "hex"),
        ]);
      }
      await client.query("COMMIT");
      return outcomes;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    }
  }

  // ---- devices ------------------------------------------------------------------------------

  async addDevice(tid: Uint8Array, psk: Uint8Array, opts: AddDeviceOptions = {}): Promise<DeviceInfo> {
    const t = requireTid(tid);
    requirePsk(psk);
    const suite = requireSuite(opts.suite);
    const sealed = Buffer.from(sealPsk(this.masterKey, t, psk));
    const values = [t, sealed, opts.active !== false, opts.label ?? null, opts.owner ?? null, this.now(), suite];
    const insert =
      "INSERT INTO devices (tid, psk_sealed, active, label, owner_uin, created_at, updated_at, suite) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)";
    const row = await this.writes.submit(async ({ client }) => {
      const r = opts.replace
        ? await client.query<DeviceRow>(
            `${insert} ON CONFLICT (tid) DO UPDATE SET psk_sealed = $2, active = $3, label = $4, owner_uin = $5, updated_at = $6, suite = $7 RETURNING *`,
            values,
          )
        : await client.query<DeviceRow>(`${insert} ON CONFLICT (tid) DO NOTHING RETURNING *`, values);
      if (r.rowCount === 0) throw new RegistryError("DEVICE_EXISTS", `device ${tidHex(t)} is already registered`);
      return r.rows[0]!;
    });
    return deviceInfo(row);
  }

  async getDevicePsk(tid: Uint8Array, forUser?: string): Promise<DeviceSecret | undefined> {
    const r = await this.pool.query<{ tid: Buffer; psk_sealed: Buffer; active: boolean; owner_uin: string | null; suite: string }>(
      "SELECT tid, psk_sealed, active, owner_uin, suite FROM devices WHERE tid = $1",
      [requireTid(tid)],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    if (forUser !== undefined && row.owner_uin !== null && row.owner_uin !== forUser) return undefined;
    const suite = rowSuite(row.suite);
    return { psk: unsealPsk(this.masterKey, row.tid, row.psk_sealed), active: row.active, suite };
  }

  async describeDevice(tid: Uint8Array): Promise<DeviceInfo | undefined> {
    const r = await this.pool.query<DeviceRow>("SELECT * FROM devices WHERE tid = $1", [requireTid(tid)]);
    return r.rows[0] && deviceInfo(r.rows[0]);
  }

  async setDeviceActive(tid: Uint8Array, active: boolean): Promise<DeviceInfo> {
    const t = requireTid(tid);
    const row = await this.writes.submit(async ({ client }) => {
      const r = await client.query<DeviceRow>("UPDATE devices SET active = $1, updated_at = $2 WHERE tid = $3 RETURNING *", [
        active,
        this.now(),
        t,
      ]);
      if (r.rowCount === 0) throw new RegistryError("UNKNOWN_DEVICE", `device ${tidHex(t)} is not registered`);
      return r.rows[0]!;
    });
    return deviceInfo(row);
  }

  async countDevices(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>("SELECT count(*) AS n FROM devices")).rows[0]!.n);
  }

  // ---- user servers -------------------------------------------------------------------------

  async addUserServer(userUin: string, publicKeyPem: string, opts: { replace?: boolean } = {}): Promise<UserServerInfo> {
    const pem = normalisePem(publicKeyPem);
    const insert = "INSERT INTO user_servers (user_uin, public_key_pem, active, created_at, updated_at) VALUES ($1, $2, TRUE, $3, $3)";
    const row = await this.writes.submit(async ({ client }) => {
      const r = opts.replace
        ? await client.query<UserRow>(
            `${insert} ON CONFLICT (user_uin) DO UPDATE SET public_key_pem = $2, active = TRUE, updated_at = $3 RETURNING ${USER_COLUMNS}`,
            [userUin, pem, this.now()],
          )
        : await client.query<UserRow>(`${insert} ON CONFLICT (user_uin) DO NOTHING RETURNING ${USER_COLUMNS}`, [userUin, pem, this.now()]);
      if (r.rowCount === 0) throw new RegistryError("USER_EXISTS", `user server ${userUin} is already registered`);
      return r.rows[0]!;
    });
    return userInfo(row);
  }

  async getUserServer(userUin: string): Promise<{ publicKeyPem: string; active: boolean } | undefined> {
    const r = await this.pool.query<UserRow>("SELECT public_key_pem, active FROM user_servers WHERE user_uin = $1", [userUin]);
    const row = r.rows[0];
    return row && { publicKeyPem: row.public_key_pem, active: row.active };
  }

  async describeUserServer(userUin: string): Promise<UserServerInfo | undefined> {
    const r = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM user_servers WHERE user_uin = $1`, [userUin]);
    return r.rows[0] && userInfo(r.rows[0]);
  }

  async setUserServerActive(userUin: string, active: boolean): Promise<UserServerInfo> {
    const row = await this.writes.submit(async ({ client }) => {
      const r = await client.query<UserRow>(
        `UPDATE user_servers SET active = $1, updated_at = $2 WHERE user_uin = $3 RETURNING ${USER_COLUMNS}`,
        [active, this.now(), userUin],
      );
      if (r.rowCount === 0) throw new RegistryError("UNKNOWN_USER", `user server ${userUin} is not registered`);
      return r.rows[0]!;
    });
    return userInfo(row);
  }

  // ---- replay caches --------------------------------------------------------------------------

  recordAuthentication(tid: Uint8Array, nd: Uint8Array, expiresAt: number): Promise<boolean> {
    const t = requireTid(tid);
    const n = Buffer.from(nd);
    this.pruneIfDue();
    return this.writes.submit((tx) => recordAuthentication(tx, t, n, expiresAt));
  }

  rememberRequestNonce(userUin: string, nonce: string, expiresAt: number): Promise<boolean> {
    this.pruneIfDue();
    return this.writes.submit((tx) => rememberNonce(tx, userUin, nonce, expiresAt));
  }

  acceptAuthentication(a: Acceptance): Promise<AcceptResult> {
    const t = requireTid(a.tid);
    const n = Buffer.from(a.nd);
    this.pruneIfDue();
    return this.writes.submit(async (tx) => {
      if (!(await rememberNonce(tx, a.userUin, a.nonce, a.nonceExpiresAt))) return "replayed-request";
      return (await recordAuthentication(tx, t, n, a.expiresAt)) ? "accepted" : "replayed-authcode";
    });
  }

  /** Expired rows go at most once a minute per instance, in a transaction of their own (not in a batch). */
  private pruneIfDue(): void {
    const now = this.now();
    if (now - this.lastPrune < 60) return;
    this.lastPrune = now;
    this.pruneExpired(now).catch(() => {
      this.lastPrune = 0; // try again with the next write
    });
  }

  async pruneExpired(now = this.now()): Promise<{ authcodes: number; nonces: number }> {
    const a = await this.pool.query("DELETE FROM seen_authcodes WHERE expires_at < $1", [now]);
    const n = await this.pool.query("DELETE FROM seen_request_nonces WHERE expires_at < $1", [now]);
    return { authcodes: a.rowCount ?? 0, nonces: n.rowCount ?? 0 };
  }

  async replayCacheSize(): Promise<{ authcodes: number; nonces: number }> {
    const r = await this.pool.query<{ a: string; n: string }>(
      "SELECT (SELECT count(*) FROM seen_authcodes) AS a, (SELECT count(*) FROM seen_request_nonces) AS n",
    );
    return { authcodes: Number(r.rows[0]!.a), nonces: Number(r.rows[0]!.n) };
  }

  async close(): Promise<void> {
    await this.writes.drain();
    await this.pool.end();
    this.masterKey.fill(0);
  }
}

async function rememberNonce({ client }: Tx, userUin: string, nonce: string, expiresAt: number): Promise<boolean> {
  const r = await client.query("INSERT INTO seen_request_nonces (user_uin, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
    userUin,
    nonce,
    expiresAt,
  ]);
  return r.rowCount === 1;
}

/** Remember (TID, Nd); the device's counters are updated at the end of the batch (runBatch). */
async function recordAuthentication({ client, counts }: Tx, tid: Buffer, nd: Buffer, expiresAt: number): Promise<boolean> {
  const r = await client.query("INSERT INTO seen_authcodes (tid, nd, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
    tid,
    nd,
    expiresAt,
  ]);
  if (r.rowCount === 0) return false;
  const key = tid.toString("hex");
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return true;
}

interface UserRow {
  user_uin: string;
  public_key_pem: string;
  active: boolean;
  created_at: string | number;
  updated_at: string | number;
}

function userInfo(row: UserRow): UserServerInfo {
  return {
    userUin: row.user_uin,
    active: row.active,
    fingerprint: fingerprint(row.public_key_pem),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Create or migrate the schema and check the master key, in one transaction under the migration lock. */
async function migrate(pool: Pool, where: string, check: string, now: number): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query(MIGRATIONS_TABLE.postgres);
      let current = Number((await client.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations")).rows[0]!.v ?? 0);
      for (const m of pendingMigrations(current, where)) {
        await client.query(m.postgres);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [m.version, now]);
        current = m.version;
      }
      const row = (await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'master_key_check'")).rows[0];
      if (!row) await client.query("INSERT INTO meta (key, value) VALUES ('master_key_check', $1)", [check]);
      else if (row.value !== check) throw new Error(`${where}: the master key does not match this database`);
      await client.query("COMMIT");
      return current;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    }
  } finally {
    client.release();
  }
}
