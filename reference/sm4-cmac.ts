// SM4 building blocks of the shielded SE link (docs/se-profile.md "The shielded link"):
//   CMAC-SM4   NIST SP 800-38B / RFC 4493 structure (the same construction as MAC algorithm 5 of
//              GB/T 15852.1-2020) with SM4 as the block cipher, 16-byte tag;
//   SM4-CBC    with a given ICV and ISO/IEC 9797-1 padding method 2 (80 00 …), whole blocks.
// On node:crypto ("sm4-ecb", "sm4-cbc"); the AssemblyScript build has its own (assembly/sm4/).
import { createCipheriv, createDecipheriv } from "node:crypto";

const BLOCK = 16;

function key16(name: string, key: unknown): Uint8Array {
  if (!(key instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (key.length !== BLOCK) throw new RangeError(`${name} must be 16 bytes, got ${key.length}`);
  return key;
}

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

function ecb(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = createCipheriv("sm4-ecb", key, null);
  c.setAutoPadding(false);
  return view(Buffer.concat([c.update(block), c.final()]));
}

/** Doubling in GF(2^128) (SP 800-38B §6.1) on a big-endian block; returns a new block. */
function dbl(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = ((b[i]! << 1) | (i + 1 < BLOCK ? b[i + 1]! >>> 7 : 0)) & 0xff;
  out[BLOCK - 1]! ^= 0x87 & -(b[0]! >>> 7);
  return out;
}

/** CMAC-SM4(key, parts[0] ‖ parts[1] ‖ …): the 16-byte tag. */
export function sm4Cmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  key16("key", key);
  for (const [i, p] of parts.entries()) if (!(p instanceof Uint8Array)) throw new TypeError(`parts[${i}] must be a Uint8Array`);
  const n = parts.reduce((s, p) => s + p.length, 0);
  const m = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    m.set(p, o);
    o += p.length;
  }
  const l = ecb(key, new Uint8Array(BLOCK));
  const k1 = dbl(l);
  const whole = n > 0 && n % BLOCK === 0;
  const sub = whole ? k1 : dbl(k1);
  const blocks = n === 0 ? 1 : Math.ceil(n / BLOCK);
  const last = new Uint8Array(BLOCK);
  last.set(m.subarray((blocks - 1) * BLOCK));
  if (!whole) last[n - (blocks - 1) * BLOCK] = 0x80;
  for (let i = 0; i < BLOCK; i++) last[i]! ^= sub[i]!;
  // X = E(X ⊕ M_i) over the blocks before the last: SM4-CBC with a zero IV, keep its last block.
  let x = new Uint8Array(BLOCK);
  if (blocks > 1) {
    const c = createCipheriv("sm4-cbc", key, new Uint8Array(BLOCK));
    c.setAutoPadding(false);
    const out = view(Buffer.concat([c.update(m.subarray(0, (blocks - 1) * BLOCK)), c.final()]));
    x = out.slice(out.length - BLOCK);
    out.fill(0);
  }
  for (let i = 0; i < BLOCK; i++) last[i]! ^= x[i]!;
  const tag = ecb(key, last);
  for (const b of [l, k1, sub, last, x, m]) b.fill(0);
  return tag;
}

/** SM4 of one 16-byte block (ECB), e.g. an ICV from a counter block. */
export function sm4Block(key: Uint8Array, block: Uint8Array): Uint8Array {
  key16("key", key);
  key16("block", block);
  return ecb(key, block);
}

/** data ‖ 80 ‖ 00 … to a whole number of blocks (ISO/IEC 9797-1 padding method 2; always ≥ 1 byte). */
export function padIso9797m2(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / BLOCK) + 1) * BLOCK);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** The data before ISO/IEC 9797-1 method-2 padding, or null when the padding is not well formed. */
export function unpadIso9797m2(padded: Uint8Array): Uint8Array | null {
  if (padded.length === 0 || padded.length % BLOCK !== 0) return null;
  let i = padded.length - 1;
  while (i >= padded.length - BLOCK && padded[i] === 0x00) i--;
  if (i < padded.length - BLOCK || padded[i] !== 0x80) return null;
  return padded.slice(0, i);
}

/** SM4-CBC encrypt whole blocks with `icv`. */
export function sm4CbcEncrypt(key: Uint8Array, icv: Uint8Array, data: Uint8Array): Uint8Array {
  key16("key", key);
  key16("icv", icv);
  if (!(data instanceof Uint8Array) || data.length % BLOCK !== 0) throw new RangeError("data must be whole 16-byte blocks");
  const c = createCipheriv("sm4-cbc", key, icv);
  c.setAutoPadding(false);
  return view(Buffer.concat([c.update(data), c.final()]));
}

/** SM4-CBC decrypt whole blocks with `icv`. */
export function sm4CbcDecrypt(key: Uint8Array, icv: Uint8Array, data: Uint8Array): Uint8Array {
  key16("key", key);
  key16("icv", icv);
  if (!(data instanceof Uint8Array) || data.length % BLOCK !== 0) throw new RangeError("data must be whole 16-byte blocks");
  const c = createDecipheriv("sm4-cbc", key, icv);
  c.setAutoPadding(false);
  return view(Buffer.concat([c.update(data), c.final()]));
}
