// GHASH, the universal hash of GCM (NIST SP 800-38D §6.4), constant-time.
//
// Carry-less 64x64 multiplication from integer multiplies with the bits spread four apart
// (holes absorb the carries), Karatsuba for 128x128, then reduction modulo x^128 + x^7 + x^2 + x + 1.
// This is the construction of Thomas Pornin's BearSSL (src/hash/ghash_ctmul64.c, MIT licence):
// no table look-ups and no branches on data, so timing does not depend on H or the input.
//
// A hash key is 32 bytes: H as two u64 (high, low) and their bit-reversals. The running value
// Y is 16 bytes: two u64 (high at +0, low at +8) in native order, not the byte string.

export const GHASH_KEY_SIZE: usize = 32;
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
}

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
  v128.store(REV, i64x2.splat(0));
}

/** Absorb `len` bytes at `src`; a final partial block is zero-padded (SP 800-38D §7.1 step 5). */
export function ghashUpdate(hk: usize, y: usize, src: usize, len: usize): void {
  let i: usize = 0;
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
