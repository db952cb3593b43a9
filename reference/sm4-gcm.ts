// SM4-GCM (RFC 8998 §A.1 / NIST SP 800-38D with SM4 as the block cipher) on node:crypto.
// OpenSSL 3.0 as bundled with Node 20 has sm4-ecb but no sm4-gcm, so the block cipher comes from
// node:crypto ("sm4-ecb", no padding) and GHASH is done here: Shoup's 4-bit table method over
// four 32-bit limbs (the same tables as mbed TLS's gcm.c), big-endian, GCM bit order.
// Tags are 16 bytes. Any IV length ≥ 1 is accepted (12 bytes is the fast, recommended path).
import { createCipheriv, timingSafeEqual, type Cipher } from "node:crypto";
import { gcmDecryptOnce, gcmEncryptOnce } from "./gcm-once.js";

export const SM4_GCM_TAG_SIZE = 16;
export const SM4_GCM_KEY_SIZE = 16;

/** Reduction constants for a 4-bit shift (mbed TLS "last4"). */
const LAST4 = new Uint32Array([
  0x0000, 0x1c20, 0x3840, 0x2460, 0x7080, 0x6ca0, 0x48c0, 0x54e0, 0xe100, 0xfd20, 0xd940, 0xc560, 0x9180, 0x8da0, 0xa9c0, 0xb5e0,
]);

/** GHASH_H state: y ← (y ⊕ block) · H in GF(2^128). */
class Ghash {
  /** 16 multiples of H, 4 limbs each, most significant limb first. */
  private readonly t = new Uint32Array(64);
  private y = new Uint32Array(4);
  private readonly block = new Uint8Array(16);

  constructor(h: Uint8Array) {
    const dv = new DataView(h.buffer, h.byteOffset, 16);
    let v0 = dv.getUint32(0),
      v1 = dv.getUint32(4),
      v2 = dv.getUint32(8),
      v3 = dv.getUint32(12);
    const t = this.t;
    t.set([v0, v1, v2, v3], 8 * 4);
    for (let i = 4; i > 0; i >>= 1) {
      const r = v3 & 1 ? 0xe1000000 : 0;
      v3 = (v3 >>> 1) | (v2 << 31);
      v2 = (v2 >>> 1) | (v1 << 31);
      v1 = (v1 >>> 1) | (v0 << 31);
      v0 = (v0 >>> 1) ^ r;
      t.set([v0, v1, v2, v3], i * 4);
    }
    for (let i = 2; i <= 8; i *= 2) {
      for (let j = 1; j < i; j++) {
        for (let l = 0; l < 4; l++) t[(i + j) * 4 + l] = t[i * 4 + l]! ^ t[j * 4 + l]!;
      }
    }
  }

  /** Absorb `data`, zero-padding its last partial block. */
  update(data: Uint8Array): void {
    for (let off = 0; off < data.length; off += 16) {
      const n = Math.min(16, data.length - off);
      if (n === 16) this.absorb(data, off);
      else {
        this.block.fill(0);
        this.block.set(data.subarray(off, off + n));
        this.absorb(this.block, 0);
      }
    }
  }

  private absorb(src: Uint8Array, off: number): void {
    const y = this.y;
    for (let l = 0; l < 4; l++) {
      y[l] ^= (src[off + 4 * l]! << 24) | (src[off + 4 * l + 1]! << 16) | (src[off + 4 * l + 2]! << 8) | src[off + 4 * l + 3]!;
    }
    this.mul();
  }

  /** y ← y · H. */
  private mul(): void {
    const t = this.t;
    const y = this.y;
    const byteAt = (i: number) => (y[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
    let lo = byteAt(15) & 0xf;
    let z0 = t[lo * 4]!,
      z1 = t[lo * 4 + 1]!,
      z2 = t[lo * 4 + 2]!,
      z3 = t[lo * 4 + 3]!;
    for (let i = 15; i >= 0; i--) {
      const x = byteAt(i);
      lo = x & 0xf;
      const hi = x >>> 4;
      if (i !== 15) {
        const rem = z3 & 0xf;
        z3 = (z3 >>> 4) | (z2 << 28);
        z2 = (z2 >>> 4) | (z1 << 28);
        z1 = (z1 >>> 4) | (z0 << 28);
        z0 = (z0 >>> 4) ^ (LAST4[rem]! << 16);
        z0 ^= t[lo * 4]!;
        z1 ^= t[lo * 4 + 1]!;
        z2 ^= t[lo * 4 + 2]!;
        z3 ^= t[lo * 4 + 3]!;
      }
      const rem = z3 & 0xf;
      z3 = (z3 >>> 4) | (z2 << 28);
      z2 = (z2 >>> 4) | (z1 << 28);
      z1 = (z1 >>> 4) | (z0 << 28);
      z0 = (z0 >>> 4) ^ (LAST4[rem]! << 16);
      z0 ^= t[hi * 4]!;
      z1 ^= t[hi * 4 + 1]!;
      z2 ^= t[hi * 4 + 2]!;
      z3 ^= t[hi * 4 + 3]!;
    }
    y[0] = z0;
    y[1] = z1;
    y[2] = z2;
    y[3] = z3;
  }

  /** Absorb the length block [len(A)]64 ‖ [len(C)]64 (in bits) and return the 16-byte digest. */
  finish(aadBytes: number, textBytes: number): Uint8Array {
    const lens = new Uint8Array(16);
    const dv = new DataView(lens.buffer);
    dv.setBigUint64(0, BigInt(aadBytes) * 8n);
    dv.setBigUint64(8, BigInt(textBytes) * 8n);
    this.update(lens);
    const out = new Uint8Array(16);
    const o = new DataView(out.buffer);
    for (let l = 0; l < 4; l++) o.setUint32(4 * l, this.y[l]! >>> 0);
    return out;
  }

  reset(): void {
    this.y.fill(0);
  }

  wipe(): void {
    this.t.fill(0);
    this.y.fill(0);
    this.block.fill(0);
  }
}

function requireBytes(name: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array, got ${v === null ? "null" : typeof v}`);
  return v;
}

/** SM4-GCM with one key: H and the GHASH tables are computed once. Not safe to share a nonce. */
export class Sm4Gcm {
  /** ECB encryptor used as the raw block function; ECB is stateless, so it is reused. */
  private ecb: Cipher;
  private readonly ghash: Ghash;

  constructor(key: Uint8Array) {
    requireBytes("key", key);
    if (key.length !== SM4_GCM_KEY_SIZE) throw new RangeError(`key must be 16 bytes, got ${key.length}`);
    this.ecb = createCipheriv("sm4-ecb", key, null).setAutoPadding(false);
    this.ghash = new Ghash(this.encryptBlocks(new Uint8Array(16)));
  }

  private encryptBlocks(blocks: Uint8Array): Uint8Array {
    const out = this.ecb.update(blocks);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  /** J0 of SP 800-38D §7.1. */
  private j0(iv: Uint8Array): Uint8Array {
    if (iv.length === 12) {
      const j = new Uint8Array(16);
      j.set(iv);
      j[15] = 1;
      return j;
    }
    this.ghash.reset();
    this.ghash.update(iv);
    const j = this.ghash.finish(0, iv.length);
    this.ghash.reset();
    return j;
  }

  /** GCTR starting at inc32(J0): XOR `src` with the keystream. */
  private ctr(j0: Uint8Array, src: Uint8Array): Uint8Array {
    const n = Math.ceil(src.length / 16);
    const counters = new Uint8Array(n * 16);
    const base = new DataView(j0.buffer, j0.byteOffset + 12, 4).getUint32(0);
    for (let i = 0; i < n; i++) {
      counters.set(j0.subarray(0, 12), i * 16);
      new DataView(counters.buffer, i * 16 + 12, 4).setUint32(0, (base + 1 + i) >>> 0);
    }
    const ks = this.encryptBlocks(counters);
    const out = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i]! ^ ks[i]!;
    ks.fill(0);
    return out;
  }

  private tag(j0: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    this.ghash.reset();
    this.ghash.update(aad);
    this.ghash.update(ciphertext);
    const s = this.ghash.finish(aad.length, ciphertext.length);
    this.ghash.reset();
    const e = this.encryptBlocks(j0);
    for (let i = 0; i < 16; i++) s[i]! ^= e[i]!;
    return s;
  }

  /** Encrypt: returns the ciphertext (same length as the plaintext) and the 16-byte tag. */
  encrypt(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = new Uint8Array(0)): { ciphertext: Uint8Array; tag: Uint8Array } {
    requireBytes("iv", iv);
    requireBytes("plaintext", plaintext);
    requireBytes("aad", aad);
    if (iv.length === 0) throw new RangeError("iv must not be empty");
    const j0 = this.j0(iv);
    const ciphertext = this.ctr(j0, plaintext);
    return { ciphertext, tag: this.tag(j0, aad, ciphertext) };
  }

  /** Decrypt and check the tag; null when the tag (16 bytes) does not verify. */
  decrypt(iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array | null {
    requireBytes("iv", iv);
    requireBytes("ciphertext", ciphertext);
    requireBytes("tag", tag);
    requireBytes("aad", aad);
    if (iv.length === 0) throw new RangeError("iv must not be empty");
    if (tag.length !== SM4_GCM_TAG_SIZE) throw new RangeError(`tag must be 16 bytes, got ${tag.length}`);
    const j0 = this.j0(iv);
    const expected = this.tag(j0, aad, ciphertext);
    if (!timingSafeEqual(expected, tag)) return null;
    return this.ctr(j0, ciphertext);
  }

  /** Zero the GHASH tables and drop the key schedule. The object is unusable afterwards. */
  destroy(): void {
    this.ghash.wipe();
    this.ecb.destroy();
  }
}

/** One-shot SM4-GCM encryption (gcm-once.ts): the ciphertext and the 16-byte tag. */
export function sm4GcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): { ciphertext: Uint8Array; tag: Uint8Array } {
  return gcmEncryptOnce(new Sm4Gcm(key), iv, plaintext, aad);
}

/** One-shot SM4-GCM decryption; null when the tag does not verify. */
export function sm4GcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad?: Uint8Array,
): Uint8Array | null {
  return gcmDecryptOnce(new Sm4Gcm(key), iv, ciphertext, tag, aad);
}
