// The reference TID auth server (docs/server.md): startAuthServer runs it over HTTP(S);
// startAuthCluster runs it in several worker processes; the Registry (registry/) keeps devices,
// user servers and replay caches in SQLite or PostgreSQL, with device PSKs sealed under the master
// key (master-key.ts); the admin token guards its admin API (admin-token.ts). The protocol it
// serves is reference/.
export * as protocol from "../../reference/index.js";
export { startAuthServer, PROTOCOL_HTTP_STATUS, AUTH_PATH, type AuthServer, type AuthServerOptions } from "./auth-server.js";
export { startAuthCluster, type AuthCluster, type AuthClusterOptions } from "./cluster.js";
export { buildServerDataWasm } from "./server-data.js";
export {
  RegistryError,
  type Registry,
  type RegistryErrorCode,
  type DeviceInfo,
  type DeviceSecret,
  type SuiteName,
  type UserServerInfo,
  type RegistryOptions,
  type AddDeviceOptions,
} from "./registry/types.js";
export { SqliteRegistry } from "./registry/sqlite.js";
export { PostgresRegistry } from "./registry/postgres.js";
export { openRegistry, isPostgresUrl } from "./registry/open.js";
export { SCHEMA_VERSION, MIGRATIONS } from "./registry/migrations.js";
export {
  createMasterKeyFile,
  readMasterKeyFile,
  parseMasterKey,
  masterKeyFromEnv,
  MASTER_KEY_ENV,
  MASTER_KEY_SIZE,
  MAX_MASTER_KEY_FILE_BYTES,
} from "./master-key.js";
export { generateAdminToken, loadOrCreateAdminToken, adminTokenFileFor, checkAdminToken, ADMIN_TOKEN_PATTERN } from "./admin-token.js";
export { DEFAULT_FAILURES_PER_ADDRESS, DEFAULT_PER_USER, DEFAULT_MAX_CONNECTIONS, type RateLimitOptions } from "./limits.js";
export type { BucketRate } from "./rate-limit.js";
export type { ServerMetrics } from "./metrics.js";
export { jsonLinesLogger, type Logger, type LogFunction } from "./logging.js";
