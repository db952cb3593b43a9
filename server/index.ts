// tid-wasm/server — the counterpart of the device SDK (DESIGN.md §4, docs/server.md):
// - the TID protocol v1 reference on node:crypto (both halves): ./protocol/index.ts
// - the reference TID auth server: startAuthServer, Registry (durable SQLite registry)
// - the server SDK for a device maker's user server: authDevice, TidAuthClient, sm4Encrypt /
//   sm4Decrypt (raw SM4-ECB, the device's sym_crypto), seal / open / AeadSession (SM4-GCM
//   messages), keygen (the user server's RSA key pair)
// - admin client calls for provisioning: registerDevice, registerUserServer, setDeviceActive
export * as protocol from "./protocol/index.js";
export { startAuthServer, PROTOCOL_HTTP_STATUS, AUTH_PATH, type AuthServer, type AuthServerOptions } from "./auth-server.js";
export { Registry, RegistryError, SCHEMA_VERSION, type DeviceInfo, type UserServerInfo, type RegistryOptions } from "./registry.js";
export { createMasterKeyFile, readMasterKeyFile, masterKeyFromEnv, MASTER_KEY_ENV, MASTER_KEY_SIZE } from "./master-key.js";
export {
  authDevice,
  TidAuthClient,
  TidServerError,
  destroyAgents,
  sm4Encrypt,
  sm4Decrypt,
  seal,
  open,
  AeadSession,
  AeadError,
  aeadNonce,
  PREFIX_UPLINK,
  PREFIX_DOWNLINK,
  AEAD_OVERHEAD,
  keygen,
  type AuthDeviceOptions,
  type AuthDeviceResult,
} from "./sdk.js";
export { Sm4Gcm, sm4GcmEncrypt, sm4GcmDecrypt } from "./sm4-gcm.js";
export { canonicalString, signRequest, verifyRequest, encryptToken, decryptToken, SIGNATURE_SCHEME, TOKEN_ENCRYPTION } from "./signing.js";
export { registerDevice, registerUserServer, setDeviceActive, getDevice, type AdminOptions } from "./admin-client.js";
export { runAuthServerCli } from "./main.js";
