// Business-data cipher of suite INTL matching the device's tid_client_sym_crypto (docs/protocol.md
// "Business data with the token", "Algorithm suites"): raw AES-128-ECB (FIPS 197, NIST SP 800-38A)
// with the 16-byte session token as the key — token-ecb.ts with AES-128, the suite INTL
// counterpart of sm4-ecb.ts. New code should use the AEAD messages of aead.ts.
import { tokenEcb } from "./token-ecb.js";

/** AES-128-ECB encrypt `data` (a positive multiple of 16 bytes) with the session token. */
export function aesEncrypt(token: Uint8Array, data: Uint8Array): Uint8Array {
  return tokenEcb("aes-128-ecb", false, token, data);
}

/** AES-128-ECB decrypt `data` (a positive multiple of 16 bytes) with the session token. */
export function aesDecrypt(token: Uint8Array, data: Uint8Array): Uint8Array {
  return tokenEcb("aes-128-ecb", true, token, data);
}
