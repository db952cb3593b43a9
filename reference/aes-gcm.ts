// AES-128-GCM (NIST SP 800-38D, FIPS 197) with one key on node:crypto, 16-byte tags: the suite INTL
// counterpart of sm4-gcm.ts with the same interface (and the same one-shot calls), so aead.ts
// seals and opens either suite's messages (docs/protocol.md "Algorithm suites").
import { createCipheriv, createDecipheriv } from "node:crypto";
import { requireBytes } from "./codec.js";
import { gcmDecryptOnce, gcmEncryptOnce } from "./gcm-once.js";

export const AES_GCM_TAG_SIZE = 16;
export const AES_GCM_KEY_SIZE = 16;

/** AES-128-GCM with one key. Not safe to share a nonce. */
export class AesGcm {
  private readonly key: Uint8Array;
  private destroyed = false;

  constructor(key: Uint8Array) {
    requireBytes("key", key);
    if (key.length !== AES_GCM_KEY_SIZE) throw new RangeError(`key must be 16 bytes, got ${key.length}`);
    this.key = new Uint8Array(key); // a copy: a Buffer's slice() would be a view, and destroy() would wipe the caller's key
  }

  private live(): Uint8Array {
    if (this.destroyed) throw new Error("AesGcm used after destroy()");
    return this.key;
  }

  /** Encrypt: returns the ciphertext (same length as the plaintext) and the 16-byte tag. */
  encrypt(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = new Uint8Array(0)): { ciphertext: Uint8Array; tag: Uint8Array } {
    requireBytes("iv", iv);
    requireBytes("plaintext", plaintext);
    requireBytes("aad", aad);
    if (iv.length === 0) throw new RangeError("iv must not be empty");
    const c = createCipheriv("aes-128-gcm", this.live(), iv, { authTagLength: AES_GCM_TAG_SIZE });
    c.setAAD(aad);
    const out = Buffer.concat([c.update(plaintext), c.final()]);
    const tag = c.getAuthTag();
    return {
      ciphertext: new Uint8Array(out.buffer, out.byteOffset, out.length),
      tag: new Uint8Array(tag.buffer, tag.byteOffset, tag.length),
    };
  }

  /** Decrypt and check the tag; null when the tag (16 bytes) does not verify. */
  decrypt(iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array | null {
    requireBytes("iv", iv);
    requireBytes("ciphertext", ciphertext);
    requireBytes("tag", tag);
    requireBytes("aad", aad);
    if (iv.length === 0) throw new RangeError("iv must not be empty");
    if (tag.length !== AES_GCM_TAG_SIZE) throw new RangeError(`tag must be 16 bytes, got ${tag.length}`);
    const d = createDecipheriv("aes-128-gcm", this.live(), iv, { authTagLength: AES_GCM_TAG_SIZE });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const out = d.update(ciphertext);
    try {
      d.final();
    } catch {
      out.fill(0);
      return null;
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  /** Zero the key. The object is unusable afterwards. */
  destroy(): void {
    this.key.fill(0);
    this.destroyed = true;
  }
}

/** One-shot AES-128-GCM encryption (gcm-once.ts): the ciphertext and the 16-byte tag. */
export function aesGcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): { ciphertext: Uint8Array; tag: Uint8Array } {
  return gcmEncryptOnce(new AesGcm(key), iv, plaintext, aad);
}

/** One-shot AES-128-GCM decryption; null when the tag does not verify. */
export function aesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad?: Uint8Array,
): Uint8Array | null {
  return gcmDecryptOnce(new AesGcm(key), iv, ciphertext, tag, aad);
}
