// Business-data cipher of suite INTL matching the device's tid_client_sym_crypto (docs/protocol.md
// "Business data with the token", "Algorithm suites"): raw AES-128-ECB (FIPS 197, NIST SP 800-38A)
// over whole 16-byte blocks with the 16-byte session token as the key, length-preserving, no
// padding, no integrity — the suite INTL counterpart of sm4-ecb.ts. New code should use the AEAD
// messages of aead.ts.
import { createCipheriv, createDecipheriv } from "node:crypto";

function check(token: unknown, data: unknown): void {
  if (!(token instanceof Uint8Array)) throw new TypeError("token must be a Uint8Array");
  if (token.length !== 16) throw new RangeError(`token must be 16 bytes, got ${token.length}`);
  if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new RangeError(`data must be a positive multiple of 16 bytes, got ${data.length}`);
  }
}

function run(c: ReturnType<typeof createCipheriv>, data: Uint8Array): Uint8Array {
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(data), c.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** AES-128-ECB encrypt `data` (a positive multiple of 16 bytes) with the session token. */
export function aesEncrypt(token: Uint8Array, data: Uint8Array): Uint8Array {
  check(token, data);
  return run(createCipheriv("aes-128-ecb", token, null), data);
}

/** AES-128-ECB decrypt `data` (a positive multiple of 16 bytes) with the session token. */
export function aesDecrypt(token: Uint8Array, data: Uint8Array): Uint8Array {
  check(token, data);
  return run(createDecipheriv("aes-128-ecb", token, null), data);
}
