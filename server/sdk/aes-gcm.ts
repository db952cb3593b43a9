// One-shot AES-128-GCM (NIST SP 800-38D, FIPS 197) for a user server of suite INTL devices
// (docs/protocol.md "Algorithm suites"): aesGcmEncrypt / aesGcmDecrypt over reference/aes-gcm.ts's
// AesGcm, the counterparts of reference/sm4-gcm.ts's sm4GcmEncrypt / sm4GcmDecrypt with the same
// arguments and results. The key is wiped from the one-shot instance before returning.
import { AesGcm } from "../../reference/aes-gcm.js";

export { AesGcm, AES_GCM_KEY_SIZE, AES_GCM_TAG_SIZE } from "../../reference/aes-gcm.js";

/** One-shot AES-128-GCM encryption: the ciphertext (as long as the plaintext) and the 16-byte tag. */
export function aesGcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): { ciphertext: Uint8Array; tag: Uint8Array } {
  const g = new AesGcm(key);
  try {
    return g.encrypt(iv, plaintext, aad);
  } finally {
    g.destroy();
  }
}

/** One-shot AES-128-GCM decryption; null when the tag does not verify. */
export function aesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad?: Uint8Array,
): Uint8Array | null {
  const g = new AesGcm(key);
  try {
    return g.decrypt(iv, ciphertext, tag, aad);
  } finally {
    g.destroy();
  }
}
