/**
 * @module tid-wasm — the package's public entry (package.json "exports": "."): the TID device
 * client over the wasm module, its errors and status table, the soft key file, and the typed
 * SM4 / SM3 / SM2 bindings and those of the international suite (AES-128, SHA-256). The HAL is
 * the separate entry "tid-wasm/hal"; the auth server and its SDK are the separate package
 * @tid-wasm/server.
 */
export {
  TidClient,
  TID_SIZE,
  PSK_SIZE,
  TOKEN_SIZE,
  MAX_EXTRA,
  AEAD_OVERHEAD,
  type TidClientOptions,
  type SoftOptions,
  type SeOptions,
  type SoftIdentity,
  type AuthcodeOptions,
} from "./client.js";
export { TidError, check, requireBytes, requireInt, type BytesRule } from "./errors.js";
export { Status, statusName, statusLayer, type StatusName, type StatusCode, type StatusLayer } from "./status.js";
export {
  readKeyFile,
  writeKeyFile,
  stageKeyFile,
  inspectKeyFile,
  encodeKeyFile,
  decodeKeyFile,
  KeyFileError,
  KEYFILE_SIZE,
  KEYFILE_V2_SIZE,
  KEYFILE_VERSION,
  DEFAULT_SCRYPT,
  type KeyFileSecret,
  type KeyFileIdentity,
  type KeyFileHeader,
  type StagedKeyFile,
  type KeyFileErrorCode,
  type ScryptParams,
} from "./keyfile.js";
export { linkTransceiver, statusOfLinkError, type ApduLink, type LinkTransceiver } from "./se-backend.js";
export {
  TidWasm,
  wasmPath,
  wasmModule,
  WASM_BUILDS,
  type WasmBuild,
  type WasmMemory,
  type WasmModule,
  type HostImports,
  type RawExports,
} from "./wasm.js";
export * from "./sm4.js";
export * from "./sm3.js";
export * from "./sm2.js";
export * from "./p256.js";
export { ecSignatureToDer, ecSignatureFromDer } from "./ec-der.js";
export type { EcKeyPair, EcKeysApi, EcPublicKeyFormat } from "./ec-keys.js";
export * from "./sha256.js";
export * from "./aes.js";
export type { BlockPadding, OutOption, BlockModeOptions, CtrOptions, GcmOpenOptions, BlockCipherKey } from "./block-cipher.js";
export type { Hasher } from "./hash-family.js";
