// GHASH, the universal hash of GCM (NIST SP 800-38D §6.4), constant-time; used by the GCM mode
// (gcm.ts) for both SM4-GCM and AES-128-GCM.
//
// One block at a time (J0, lengths, tails): carry-less 64x64 multiplication from integer
// multiplies with the bits spread four apart (holes absorb the carries), Karatsuba for 128x128,
// then reduction modulo x^128 + x^7 + x^2 + x + 1. This is the construction of Thomas Pornin's
// BearSSL (src/hash/ghash_ctmul64.c, MIT licence).
//
// Four blocks at a time (the bulk, ghashUpdate): aggregated reduction,
// Y' = (Y ^ X1)·H^4 ^ X2·H^3 ^ X3·H^2 ^ X4·H, with the 128x128 products cut by three levels of
// Karatsuba into 27 products of 16-bit pieces, computed four at a time in the 32-bit lanes of
// i32x4.mul. A 16x16 carry-less product is exact in a 32-bit integer product when the bits of
// each operand are spread three apart (at most 6 terms per column fit in the 3-bit holes), so one
// product is 9 integer multiplies and needs no bit reversal. The 27 products of the four blocks
// are summed (XOR) before one Karatsuba recombination and one reduction per four blocks.
//
// Neither path has table look-ups or branches on data: timing does not depend on H or the input.
// The portable build (no SIMD: ASC_FEATURE_SIMD is false) has only the one-block path; the
// four-block one is not compiled into it.
//
// A hash key is 96 bytes: H as two u64 (high, low) and their bit-reversals, then H^4, H^3, H^2,
// H as 128-bit little-endian integers (u64 low, u64 high). The running value Y is 16 bytes: two
// u64 (high at +0, low at +8) in native order, not the byte string. Blocks are read as
// big-endian 128-bit integers, which is GCM's bit order reflected (BearSSL's convention).

import { wipe } from "../mem";

export const GHASH_KEY_SIZE: usize = 96;
/** Offset of H^4, H^3, H^2, H in the hash key. */
const HK_POW: usize = 32;
export const GHASH_STATE_SIZE: usize = 16;

function bmul64(x: u64, y: u64): u64 {
  const x0 = x & 0x1111111111111111;
  const x1 = x & 0x2222222222222222;
  const x2 = x & 0x4444444444444444;
  const x3 = x & 0x8888888888888888;
  const y0 = y & 0x1111111111111111;
  const y1 = y & 0x2222222222222222;
  const y2 = y & 0x4444444444444444;
  const y3 = y & 0x8888888888888888;
  const z0 = ((x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1)) & 0x1111111111111111;
  const z1 = ((x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2)) & 0x2222222222222222;
  const z2 = ((x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3)) & 0x4444444444444444;
  const z3 = ((x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0)) & 0x8888888888888888;
  return z0 | z1 | z2 | z3;
}

/**
 * Bit-reverse the two 64-bit words at p and p + 8 in place. Kept as one out-of-line function
 * (too big to be inlined) so its 64-bit mask constants appear once in the module.
 */
function rev64x2(p: usize): void {
  let x = load<u64>(p);
  let y = load<u64>(p, 8);
  x = ((x & 0x5555555555555555) << 1) | ((x >> 1) & 0x5555555555555555);
  y = ((y & 0x5555555555555555) << 1) | ((y >> 1) & 0x5555555555555555);
  x = ((x & 0x3333333333333333) << 2) | ((x >> 2) & 0x3333333333333333);
  y = ((y & 0x3333333333333333) << 2) | ((y >> 2) & 0x3333333333333333);
  x = ((x & 0x0f0f0f0f0f0f0f0f) << 4) | ((x >> 4) & 0x0f0f0f0f0f0f0f0f);
  y = ((y & 0x0f0f0f0f0f0f0f0f) << 4) | ((y >> 4) & 0x0f0f0f0f0f0f0f0f);
  store<u64>(p, bswap<u64>(x));
  store<u64>(p, bswap<u64>(y), 8);
}

// Scratch for rev64x2 (single-threaded module).
const REV: usize = memory.data(16, 16);

/** Prepare the hash key at `hk` from the 16-byte block H at `h`. */
export function ghashSetKey(hk: usize, h: usize): void {
  const h1 = bswap<u64>(load<u64>(h));
  const h0 = bswap<u64>(load<u64>(h, 8));
  store<u64>(hk, h1);
  store<u64>(hk, h0, 8);
  store<u64>(hk, h1, 16);
  store<u64>(hk, h0, 24);
  rev64x2(hk + 16);
  // H^1 .. H^4 for the four-block path, highest power first (the portable build keeps the same
  // hash-key format, though it does not use them)
  store<u64>(POW, h1);
  store<u64>(POW, h0, 8);
  for (let k: usize = 0; k < 4; k++) {
    const p = hk + HK_POW + 16 * (3 - k);
    store<u64>(p, load<u64>(POW, 8));
    store<u64>(p, load<u64>(POW), 8);
    if (k < 3) ghashWords(hk, POW, 0, 0); // POW = POW * H
  }
  if (ASC_FEATURE_SIMD) v128.store(POW, i64x2.splat(0));
  else wipe(POW, 16);
}

// Scratch for the powers of H (single-threaded module).
const POW: usize = memory.data(16, 16);

/** Y = 0. */
export function ghashReset(y: usize): void {
  store<u64>(y, 0);
  store<u64>(y, 0, 8);
}

/** Absorb two 64-bit words (high, low) as one block: Y = (Y ^ block) * H. */
export function ghashWords(hk: usize, y: usize, b1: u64, b0: u64): void {
  const h1 = load<u64>(hk);
  const h0 = load<u64>(hk, 8);
  const h1r = load<u64>(hk, 16);
  const h0r = load<u64>(hk, 24);
  const y1 = load<u64>(y) ^ b1;
  const y0 = load<u64>(y, 8) ^ b0;
  store<u64>(REV, y0);
  store<u64>(REV, y1, 8);
  rev64x2(REV);
  const y0r = load<u64>(REV);
  const y1r = load<u64>(REV, 8);
  const z0 = bmul64(y0, h0);
  const z1 = bmul64(y1, h1);
  let z2 = bmul64(y0 ^ y1, h0 ^ h1);
  let z0h = bmul64(y0r, h0r);
  let z1h = bmul64(y1r, h1r);
  let z2h = bmul64(y0r ^ y1r, h0r ^ h1r);
  z2 ^= z0 ^ z1;
  z2h ^= z0h ^ z1h;
  store<u64>(REV, z0h);
  store<u64>(REV, z1h, 8);
  rev64x2(REV);
  z0h = load<u64>(REV) >> 1;
  z1h = load<u64>(REV, 8) >> 1;
  store<u64>(REV, z2h);
  rev64x2(REV);
  z2h = load<u64>(REV) >> 1;
  let v0 = z0;
  let v1 = z0h ^ z2;
  let v2 = z1 ^ z2h;
  let v3 = z1h;
  v3 = (v3 << 1) | (v2 >> 63);
  v2 = (v2 << 1) | (v1 >> 63);
  v1 = (v1 << 1) | (v0 >> 63);
  v0 = v0 << 1;
  v2 ^= v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7);
  v1 ^= (v0 << 63) ^ (v0 << 62) ^ (v0 << 57);
  v3 ^= v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7);
  v2 ^= (v1 << 63) ^ (v1 << 62) ^ (v1 << 57);
  store<u64>(y, v3);
  store<u64>(y, v2, 8);
  if (ASC_FEATURE_SIMD) v128.store(REV, i64x2.splat(0));
  else wipe(REV, 16);
}

// ---- four blocks at a time ----
//
// A 128-bit integer is eight 16-bit pieces a0..a7 (a0 lowest). Karatsuba three levels deep (64-,
// 32-, 16-bit halves and the XOR of the halves at each level) turns a 128x128 product into 27
// products of 16-bit operands, laid out in seven vectors of four 32-bit lanes:
//   v0..v2  pieces of the low half, the high half, and low^high (k = 0, 1, 2): [p0, p1, p2, p3]
//   v3..v5  for the same k: [p0^p2, p1^p3, p0^p1, p2^p3]
//   v6      [p0^p1^p2^p3 for k = 0, 1, 2, (unused)]
// Lane by lane products of the operands of X and of H are the 27 partial products of X·H.

/** Operand vectors (7 × 16 bytes) of the 128-bit little-endian integer `x`, stored at `dst`. */
// @ts-ignore: decorator
@inline
function operands(x: v128, dst: usize): void {
  const p0 = i32x4.extend_low_i16x8_u(x);
  const p1 = i32x4.extend_high_i16x8_u(x);
  const p2 = v128.xor(p0, p1);
  const q0 = v128.xor(
    i8x16.shuffle(p0, p0, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11),
    i8x16.shuffle(p0, p0, 8, 9, 10, 11, 12, 13, 14, 15, 4, 5, 6, 7, 12, 13, 14, 15));
  const q1 = v128.xor(
    i8x16.shuffle(p1, p1, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11),
    i8x16.shuffle(p1, p1, 8, 9, 10, 11, 12, 13, 14, 15, 4, 5, 6, 7, 12, 13, 14, 15));
  const q2 = v128.xor(
    i8x16.shuffle(p2, p2, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11),
    i8x16.shuffle(p2, p2, 8, 9, 10, 11, 12, 13, 14, 15, 4, 5, 6, 7, 12, 13, 14, 15));
  // [q0[0], q0[1], q1[0], q1[1]] XOR its pairwise swap = [t0, t0, t1, t1]
  let t = i8x16.shuffle(q0, q1, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  t = v128.xor(t, i8x16.shuffle(t, t, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
  const t2 = v128.xor(q2, i8x16.shuffle(q2, q2, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
  t = i8x16.shuffle(t, t2, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 16, 17, 18, 19);
  v128.store(dst, p0);
  v128.store(dst, p1, 16);
  v128.store(dst, p2, 32);
  v128.store(dst, q0, 48);
  v128.store(dst, q1, 64);
  v128.store(dst, q2, 80);
  v128.store(dst, t, 96);
}

// Masks: bits of a 16-bit operand by position mod 3 (m0, m1, m2), bits of a 32-bit product by
// position mod 3 (c0, c1, c2), and the byte reversal of a block.
const MASKS: usize = memory.data<u32>([
  0x9249, 0x9249, 0x9249, 0x9249,
  0x2492, 0x2492, 0x2492, 0x2492,
  0x4924, 0x4924, 0x4924, 0x4924,
  0x49249249, 0x49249249, 0x49249249, 0x49249249,
  0x92492492, 0x92492492, 0x92492492, 0x92492492,
  0x24924924, 0x24924924, 0x24924924, 0x24924924,
  0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203,
], 16);

// Scratch (single-threaded module), wiped after each use: the operand vectors of H^4..H^1 split
// by the three masks (4 × 7 × 3 vectors), the operands of four blocks, the seven product vectors.
const HTAB: usize = memory.data(4 * 7 * 3 * 16, 16);
const XOPS: usize = memory.data(4 * 7 * 16, 16);
const PROD: usize = memory.data(7 * 16, 16);

/** The 64-bit carry-less product of the 32-bit operands whose 16-bit products are lo, hi, mid. */
// @ts-ignore: decorator
@inline
function kara32(lo: u64, hi: u64, mid: u64): u64 {
  return lo ^ ((mid ^ lo ^ hi) << 16) ^ (hi << 32);
}

/** Absorb the `n` bytes (a multiple of 64) at `src`. */
function ghashBlocks4(hk: usize, y: usize, src: usize, n: usize): void {
  const m0 = v128.load(MASKS);
  const m1 = v128.load(MASKS, 16);
  const m2 = v128.load(MASKS, 32);
  const c0 = v128.load(MASKS, 48);
  const c1 = v128.load(MASKS, 64);
  const c2 = v128.load(MASKS, 80);
  const bswap128 = v128.load(MASKS, 96);
  for (let b: usize = 0; b < 4; b++) {
    operands(v128.load(hk + HK_POW + 16 * b), XOPS);
    for (let v: usize = 0; v < 7; v++) {
      const x = v128.load(XOPS + 16 * v);
      const p = HTAB + 48 * (7 * b + v);
      v128.store(p, v128.and(x, m0));
      v128.store(p, v128.and(x, m1), 16);
      v128.store(p, v128.and(x, m2), 32);
    }
  }
  let y1 = load<u64>(y);
  let y0 = load<u64>(y, 8);
  for (let i: usize = 0; i < n; i += 64) {
    const yv = i64x2.replace_lane(i64x2.splat(y0), 1, y1);
    operands(v128.xor(i8x16.swizzle(v128.load(src + i), bswap128), yv), XOPS);
    operands(i8x16.swizzle(v128.load(src + i, 16), bswap128), XOPS + 112);
    operands(i8x16.swizzle(v128.load(src + i, 32), bswap128), XOPS + 224);
    operands(i8x16.swizzle(v128.load(src + i, 48), bswap128), XOPS + 336);
    // 16x16 carry-less products, four lanes at a time, summed over the four blocks; s_k collects
    // the integer products whose bits of class k (position mod 3) are the carry-less ones
    for (let v: usize = 0; v < 7; v++) {
      let s0 = i32x4.splat(0);
      let s1 = i32x4.splat(0);
      let s2 = i32x4.splat(0);
      for (let b: usize = 0; b < 4; b++) {
        const x = v128.load(XOPS + 112 * b + 16 * v);
        const p = HTAB + 48 * (7 * b + v);
        const x0 = v128.and(x, m0);
        const x1 = v128.and(x, m1);
        const x2 = v128.and(x, m2);
        const h0 = v128.load(p);
        const h1 = v128.load(p, 16);
        const h2 = v128.load(p, 32);
        s0 = v128.xor(s0, v128.xor(i32x4.mul(x0, h0), v128.xor(i32x4.mul(x1, h2), i32x4.mul(x2, h1))));
        s1 = v128.xor(s1, v128.xor(i32x4.mul(x0, h1), v128.xor(i32x4.mul(x1, h0), i32x4.mul(x2, h2))));
        s2 = v128.xor(s2, v128.xor(i32x4.mul(x0, h2), v128.xor(i32x4.mul(x1, h1), i32x4.mul(x2, h0))));
      }
      v128.store(PROD + 16 * v, v128.or(v128.and(s0, c0), v128.or(v128.and(s1, c1), v128.and(s2, c2))));
    }
    // Karatsuba recombination: 16 -> 32 -> 64 bits for each half k, then 64 -> 128
    let g0lo: u64 = 0, g0hi: u64 = 0, g1lo: u64 = 0, g1hi: u64 = 0, g2lo: u64 = 0, g2hi: u64 = 0;
    for (let k: usize = 0; k < 3; k++) {
      const pc = PROD + 16 * k;
      const pq = PROD + 48 + 16 * k;
      const lo = kara32(<u64>load<u32>(pc), <u64>load<u32>(pc, 4), <u64>load<u32>(pq, 8));
      const hi = kara32(<u64>load<u32>(pc, 8), <u64>load<u32>(pc, 12), <u64>load<u32>(pq, 12));
      const mid = kara32(<u64>load<u32>(pq), <u64>load<u32>(pq, 4), <u64>load<u32>(PROD + 96 + 4 * k));
      const m = mid ^ lo ^ hi;
      const glo = lo ^ (m << 32);
      const ghi = hi ^ (m >> 32);
      if (k == 0) { g0lo = glo; g0hi = ghi; }
      else if (k == 1) { g1lo = glo; g1hi = ghi; }
      else { g2lo = glo; g2hi = ghi; }
    }
    let v0 = g0lo;
    let v1 = g0hi ^ g2lo ^ g0lo ^ g1lo;
    let v2 = g1lo ^ g2hi ^ g0hi ^ g1hi;
    let v3 = g1hi;
    // the 255-bit product of bit-reflected values, shifted to 256 bits, then reduced
    v3 = (v3 << 1) | (v2 >> 63);
    v2 = (v2 << 1) | (v1 >> 63);
    v1 = (v1 << 1) | (v0 >> 63);
    v0 = v0 << 1;
    v2 ^= v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7);
    v1 ^= (v0 << 63) ^ (v0 << 62) ^ (v0 << 57);
    v3 ^= v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7);
    v2 ^= (v1 << 63) ^ (v1 << 62) ^ (v1 << 57);
    y1 = v3;
    y0 = v2;
  }
  store<u64>(y, y1);
  store<u64>(y, y0, 8);
  wipe(HTAB, 4 * 7 * 3 * 16);
  wipe(XOPS, 4 * 7 * 16);
  wipe(PROD, 7 * 16);
}

/** Absorb `len` bytes at `src`; a final partial block is zero-padded (SP 800-38D §7.1 step 5). */
export function ghashUpdate(hk: usize, y: usize, src: usize, len: usize): void {
  let i: usize = ASC_FEATURE_SIMD ? len & ~(<usize>63) : 0;
  if (ASC_FEATURE_SIMD && i != 0) ghashBlocks4(hk, y, src, i);
  for (; i + 16 <= len; i += 16) {
    ghashWords(hk, y, bswap<u64>(load<u64>(src + i)), bswap<u64>(load<u64>(src + i, 8)));
  }
  if (i < len) {
    // zero-padded last block, assembled big-endian without reading past src + len
    let b1: u64 = 0;
    let b0: u64 = 0;
    for (let j: usize = 0; i + j < len; j++) {
      const v = <u64>load<u8>(src + i + j);
      if (j < 8) b1 |= v << (56 - 8 * <u64>j);
      else b0 |= v << (120 - 8 * <u64>j);
    }
    ghashWords(hk, y, b1, b0);
  }
}

/** Write Y as the 16-byte big-endian block at `out`. */
export function ghashOutput(y: usize, out: usize): void {
  store<u64>(out, bswap<u64>(load<u64>(y)));
  store<u64>(out, bswap<u64>(load<u64>(y, 8)), 8);
}
