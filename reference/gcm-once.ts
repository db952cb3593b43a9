// One-shot GCM (NIST SP 800-38D) over a keyed instance — sm4-gcm.ts's Sm4Gcm or aes-gcm.ts's
// AesGcm: one encryption or one decryption, then the instance's key is wiped, whatever happened.
// The one-shot calls of both ciphers (sm4GcmEncrypt / aesGcmEncrypt and their decrypts) are these.

/** A block-cipher GCM instance with one key (Sm4Gcm or AesGcm). */
export interface KeyedGcm {
  encrypt(iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array };
  decrypt(iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad?: Uint8Array): Uint8Array | null;
  destroy(): void;
}

/** Encrypt once with `g`, then destroy it: the ciphertext (as long as the plaintext) and the tag. */
export function gcmEncryptOnce(
  g: KeyedGcm,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): { ciphertext: Uint8Array; tag: Uint8Array } {
  try {
    return g.encrypt(iv, plaintext, aad);
  } finally {
    g.destroy();
  }
}

/** Decrypt once with `g`, then destroy it; null when the tag does not verify. */
export function gcmDecryptOnce(g: KeyedGcm, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  try {
    return g.decrypt(iv, ciphertext, tag, aad);
  } finally {
    g.destroy();
  }
}
