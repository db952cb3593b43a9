// The reference TID auth server (docs/server.md): startAuthServer runs it over HTTP(S); Registry
// is its durable SQLite registry of devices, user servers and replay caches, with device PSKs
// sealed under the master key (master-key.ts). The protocol it serves is reference/.
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
