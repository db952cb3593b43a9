// The server SDK: what a device maker's user server uses (docs/server.md "Server SDK").
// - authDevice / TidAuthClient: send a device's authcode to the TID auth server, get back the
//   server data for the device and the session token;
// - the business-data helpers on that token, in the device's algorithm suite (authDevice says
//   which; docs/protocol.md "Algorithm suites"): sm4Encrypt / sm4Decrypt (raw SM4-ECB, suite SM)
//   and aesEncrypt / aesDecrypt (raw AES-128-ECB, suite INTL), the device's sym_crypto, or
//   symEncrypt / symDecrypt by suite; seal / open / AeadSession (SM4-GCM or AES-128-GCM messages,
//   the device's tid_seal / tid_open; aeadSessionFor keys one from an authDevice result);
//   Sm4Gcm / AesGcm and their one-shot forms;
// - keygen: the user server's RSA key pair; request signing and token encryption;
// - admin calls for provisioning: registerDevice, registerUserServer, setDeviceActive, getDevice;
// - createTlsServer: the user server's end of TID-TLS (docs/tls.md).
// It needs node:crypto and node:http only: no database, nothing native.
export {
  authDevice,
  TidAuthClient,
  TidServerError,
  destroyAgents,
  sm4Encrypt,
  sm4Decrypt,
  aesEncrypt,
  aesDecrypt,
  symEncrypt,
  symDecrypt,
  seal,
  open,
  AeadSession,
  aeadSessionFor,
  AeadError,
  aeadNonce,
  PREFIX_UPLINK,
  PREFIX_DOWNLINK,
  AEAD_OVERHEAD,
  keygen,
  type AuthDeviceOptions,
  type AuthDeviceResult,
  type SuiteName,
} from "./auth-device.js";
export { Sm4Gcm, sm4GcmEncrypt, sm4GcmDecrypt } from "../../reference/sm4-gcm.js";
export { AesGcm, aesGcmEncrypt, aesGcmDecrypt } from "../../reference/aes-gcm.js";
export {
  canonicalString,
  audienceOf,
  signRequest,
  verifyRequest,
  encryptToken,
  decryptToken,
  SIGNATURE_SCHEME,
  TOKEN_ENCRYPTION,
} from "./signing.js";
export { registerDevice, registerUserServer, setDeviceActive, getDevice, getUserServer, type AdminOptions } from "./admin-client.js";
export { createTlsServer, TidTlsSocket, TidTlsError, type TlsServerOptions, type TlsAuthResult, type ResumeToken } from "./tls-server.js";
