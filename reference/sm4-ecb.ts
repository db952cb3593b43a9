// Business-data cipher matching the device's tid_client_sym_crypto (docs/protocol.md "Business data
// with the token"): raw SM4-ECB (GB/T 32907) with the 16-byte session token as the key — token-ecb.ts
// with SM4. Kept for compatibility with the original SDK; new code should use the AEAD messages of
// aead.ts.
import { tokenEcb } from "./token-ecb.js";

/** SM4-ECB encrypt `data` (a positive multiple of 16 bytes) with the session token. */
export function sm4Encrypt(token: Uint8Array, data: Uint8Array): Uint8Array {
  return tokenEcb("sm4-ecb", false, token, data);
}

/** SM4-ECB decrypt `data` (a positive multiple of 16 bytes) with the session token. */
export function sm4Decrypt(token: Uint8Array, data: Uint8Array): Uint8Array {
  return tokenEcb("sm4-ecb", true, token, data);
}
