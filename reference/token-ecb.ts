// The business-data cipher both suites share, matching the device's tid_client_sym_crypto
// (docs/protocol.md "Business data with the token"): raw ECB (NIST SP 800-38A) of the suite's block
// cipher — SM4 (GB/T 32907) or AES-128 (FIPS 197) — over whole 16-byte blocks with the 16-byte
// session token as the key, length-preserving, no padding, no integrity. sm4-ecb.ts and
// aes-ecb.ts are its typed entry points; new code should use the AEAD messages of aead.ts.
import { createCipheriv, createDecipheriv } from "node:crypto";

/** The ECB ciphers of the two suites, by node:crypto name. */
export type TokenEcbCipher = "sm4-ecb" | "aes-128-ecb";

function check(token: unknown, data: unknown): void {
  if (!(token instanceof Uint8Array)) throw new TypeError("token must be a Uint8Array");
  if (token.length !== 16) throw new RangeError(`token must be 16 bytes, got ${token.length}`);
  if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new RangeError(`data must be a positive multiple of 16 bytes, got ${data.length}`);
  }
}

/** Encrypt or decrypt `data` (a positive multiple of 16 bytes) with the session token. */
export function tokenEcb(cipher: TokenEcbCipher, decrypt: boolean, token: Uint8Array, data: Uint8Array): Uint8Array {
  check(token, data);
  const c = decrypt ? createDecipheriv(cipher, token, null) : createCipheriv(cipher, token, null);
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(data), c.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
