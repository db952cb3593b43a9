// 256-bit unsigned integers as 8 little-endian u32 limbs (32 bytes at a pointer), shared by the
// field (mod p) and scalar (mod n) arithmetic of both curves. Every function runs in time independent of
// the values: carries and borrows are arithmetic, selection is by mask.

/** Bytes of one 256-bit number (8 × u32 limbs, least significant first). */
export const BN_SIZE: usize = 32;

/** r = a + b mod 2^256; returns the carry (0 or 1). r may alias a or b. */
export function bnAdd(r: usize, a: usize, b: usize): u32 {
  let c: u64 = 0;
  for (let i: usize = 0; i < 32; i += 4) {
    c += <u64>load<u32>(a + i) + <u64>load<u32>(b + i);
    store<u32>(r + i, <u32>c);
    c >>= 32;
  }
  return <u32>c;
}

/** r = a − b mod 2^256; returns the borrow (0 or 1). r may alias a or b. */
export function bnSub(r: usize, a: usize, b: usize): u32 {
  let c: i64 = 0;
  for (let i: usize = 0; i < 32; i += 4) {
    c += <i64>load<u32>(a + i) - <i64>load<u32>(b + i);
    store<u32>(r + i, <u32>c);
    c >>= 32;
  }
  return <u32>(c & 1);
}

/** Where `mask` is all ones, copy `len` bytes (a multiple of 8) from `src` to `dst`; where 0, keep. */
export function cmov(dst: usize, src: usize, mask: u64, len: usize): void {
  for (let i: usize = 0; i < len; i += 8) {
    const d = load<u64>(dst + i);
    store<u64>(dst + i, d ^ ((d ^ load<u64>(src + i)) & mask));
  }
}

/** All ones when the 32 bytes at `a` are zero, else 0. */
export function bnIsZeroMask(a: usize): u64 {
  const x = load<u64>(a) | load<u64>(a, 8) | load<u64>(a, 16) | load<u64>(a, 24);
  // (x | −x) has its top bit set iff x ≠ 0
  return ((x | (0 - x)) >> 63) - 1;
}

/** True when the 32 bytes at a and b are equal (every word read: no early exit). */
export function bnEqual(a: usize, b: usize): bool {
  return ((load<u64>(a) ^ load<u64>(b)) | (load<u64>(a, 8) ^ load<u64>(b, 8))
    | (load<u64>(a, 16) ^ load<u64>(b, 16)) | (load<u64>(a, 24) ^ load<u64>(b, 24))) == 0;
}

/** All ones when a < b (as 256-bit integers), else 0. */
export function bnLtMask(a: usize, b: usize): u64 {
  let c: i64 = 0;
  for (let i: usize = 0; i < 32; i += 4) {
    c += <i64>load<u32>(a + i) - <i64>load<u32>(b + i);
    c >>= 32;
  }
  return <u64>c; // 0 or −1
}

/** Read 32 big-endian bytes at `src` into limbs at `r` (r may alias src). */
export function bnFromBytes(r: usize, src: usize): void {
  const w0 = load<u64>(src), w1 = load<u64>(src, 8), w2 = load<u64>(src, 16), w3 = load<u64>(src, 24);
  store<u64>(r, bswap<u64>(w3));
  store<u64>(r, bswap<u64>(w2), 8);
  store<u64>(r, bswap<u64>(w1), 16);
  store<u64>(r, bswap<u64>(w0), 24);
}

/** Write the limbs at `a` as 32 big-endian bytes at `dst` (dst may alias a). */
export function bnToBytes(dst: usize, a: usize): void {
  bnFromBytes(dst, a); // the byte reversal is its own inverse
}
