// The reference TID auth server (docs/server.md): startAuthServer runs it over HTTP(S); Registry
// is its durable SQLite registry of devices, user servers and replay caches, with device PSKs
// sealed under the master key (master-key.ts); the admin token guards its admin API
// (admin-token.ts). The protocol it serves is reference/.
export * as protocol from "../../reference/index.js";
export { startAuthServer, PROTOCOL_HTTP_STATUS, AUTH_PATH, type AuthServer, type AuthServerOptions } from "./auth-server.js";
export { Registry, RegistryError, SCHEMA_VERSION, type DeviceInfo, type UserServerInfo, type RegistryOptions } from "./registry.js";
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
