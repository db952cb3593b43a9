// Open the registry a `db` setting names: a postgres:// or postgresql:// URL is PostgreSQL
// (postgres.ts), anything else a SQLite file path (sqlite.ts; ":memory:" for a throw-away one).
import { PostgresRegistry } from "./postgres.js";
import { SqliteRegistry } from "./sqlite.js";
import type { Registry, RegistryOptions } from "./types.js";

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** Open (creating or migrating) the registry at `db`. */
export async function openRegistry(db: string, options: RegistryOptions): Promise<Registry> {
  if (typeof db !== "string" || db.length === 0) throw new TypeError("db must be a SQLite path or a postgres:// URL");
  return isPostgresUrl(db) ? PostgresRegistry.open(db, options) : SqliteRegistry.open(db, options);
}
