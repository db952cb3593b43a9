/**
 * @module tid-wasm/tls — TID-TLS (docs/tls.md): a TLS 1.3-shaped secure channel over TCP keyed by
 * the TID session (RFC 8446 records and key schedule in PSK mode; TLS_SM4_GCM_SM3 of RFC 8998 for
 * the SM suite, TLS_AES_128_GCM_SHA256 for the INTL suite).
 * The device calls connect(); a user server uses createTlsServer() of @tid-wasm/server, which
 * runs the same engine.
 */
export { connect, type ConnectOptions, type ConnectTarget, type DeviceCipherInput } from "./connect.js";
export { TidTlsSocket, DEFAULT_HANDSHAKE_TIMEOUT, type TidTlsSocketOptions } from "./socket.js";
export { TidTlsError, AlertDescription, alertName, type AlertName, type TidTlsErrorCode } from "./alerts.js";
export {
  TLS_SM4_GCM_SM3,
  TLS_AES_128_GCM_SHA256,
  TLS_CIPHER_SUITES,
  type SuiteName,
  TLS_MAX_PLAINTEXT,
  TLS_MAX_CIPHERTEXT,
  TLS_RECORD_HEADER_SIZE,
  TLS_MAX_RECORD,
  ContentType,
  type TlsCipher,
  type TlsSide,
  type TlsDirection,
} from "./cipher.js";
export type { TlsMode } from "./messages.js";
