// Schema migrations of the registry, one list for both databases (docs/server.md "Registry").
// Applied versions are rows of `schema_migrations (version, applied_at)`; each open applies the
// missing ones in order, in one transaction (PostgreSQL: under an advisory lock, so instances
// starting together migrate once). A database newer than this server is refused. SQLite files
// from before the table kept their version in PRAGMA user_version (1 or 2): those versions are
// recorded as applied, and user_version is still kept in step.

export interface Migration {
  version: number;
  what: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: "devices, user servers, replay caches",
    sqlite: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
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
        tid BLOB NOT NULL, nd BLOB NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (tid, nd)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX seen_authcodes_expiry ON seen_authcodes (expires_at);
      CREATE TABLE seen_request_nonces (
        user_uin TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (user_uin, nonce)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX seen_request_nonces_expiry ON seen_request_nonces (expires_at);`,
    postgres: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE devices (
        tid          BYTEA PRIMARY KEY CHECK (length(tid) = 8),
        psk_sealed   BYTEA NOT NULL,
        active       BOOLEAN NOT NULL DEFAULT TRUE,
        label        TEXT,
        created_at   BIGINT NOT NULL,
        updated_at   BIGINT NOT NULL,
        last_auth_at BIGINT,
        auth_count   BIGINT NOT NULL DEFAULT 0
      );
      CREATE TABLE user_servers (
        user_uin       TEXT PRIMARY KEY,
        public_key_pem TEXT NOT NULL,
        active         BOOLEAN NOT NULL DEFAULT TRUE,
        created_at     BIGINT NOT NULL,
        updated_at     BIGINT NOT NULL
      );
      CREATE TABLE seen_authcodes (
        tid BYTEA NOT NULL, nd BYTEA NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (tid, nd)
      );
      CREATE INDEX seen_authcodes_expiry ON seen_authcodes (expires_at);
      CREATE TABLE seen_request_nonces (
        user_uin TEXT NOT NULL, nonce TEXT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (user_uin, nonce)
      );
      CREATE INDEX seen_request_nonces_expiry ON seen_request_nonces (expires_at);`,
  },
  {
    // a device may belong to one user server (its owner); only the owner can authenticate it.
    // Devices registered before (owner NULL) stay open to every registered user server.
    version: 2,
    what: "device owner",
    sqlite: `ALTER TABLE devices ADD COLUMN owner_uin TEXT;`,
    postgres: `ALTER TABLE devices ADD COLUMN owner_uin TEXT;`,
  },
  {
    // the algorithm suite a device was provisioned in (docs/protocol.md "Algorithm suites"): its
    // authcodes must name it. Devices registered before speak suite SM, the only one there was.
    version: 3,
    what: "device suite",
    sqlite: `ALTER TABLE devices ADD COLUMN suite TEXT NOT NULL DEFAULT 'sm' CHECK (suite IN ('sm', 'intl'));`,
    postgres: `ALTER TABLE devices ADD COLUMN suite TEXT NOT NULL DEFAULT 'sm' CHECK (suite IN ('sm', 'intl'));`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export const MIGRATIONS_TABLE = {
  sqlite: "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT",
  postgres: "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
};

/** The migrations still to apply to a database at `current`; throws for a newer database. */
export function pendingMigrations(current: number, where: string): readonly Migration[] {
  if (current > SCHEMA_VERSION) throw new Error(`${where}: schema version ${current} is newer than this server's (${SCHEMA_VERSION})`);
  return MIGRATIONS.filter((m) => m.version > current);
}
