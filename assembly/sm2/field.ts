// Arithmetic modulo the SM2 prime of GB/T 32918.5-2017 (curve sm2p256v1):
//   p = 2^256 − 2^224 − 2^96 + 2^64 − 1.
//
// An element is 9 signed limbs of radix 2^29 (value Σ l_i 2^(29 i)), stored as i32 in FE_SIZE
// bytes, in the Montgomery domain (x is held as x·R mod p, R = 2^261), not necessarily reduced:
// many representatives of the same residue are allowed. Multiplication and squaring are
// generated straight-line code (fieldmul.ts from fieldmul.gen.mjs).
//
// Bounds (checked by test/crypto/sm2-field.test.ts against BigInt on extreme inputs). Write an
// element as (L, V): limbs |l_i| ≤ L·2^28, value |x| ≤ V·p.
// - fpMul/fpSqr/fpReduce/fpFromBytes outputs are "tight": limbs 0..7 in [−2^28, 2^28), value
//   |x| ≤ 1.7p (mul: p + |a·b|/R), so L = 1 up to the top limb.
// - fpAdd/fpSub of two tight elements give (2, 3.4): still a valid multiplication input.
// - A multiplication input must have L_a·L_b ≤ 14 (every column of 9 products stays below 2^63)
//   and V_a·V_b ≤ 22 (so the output is ≤ 1.7p). Tight elements and sums or differences of two
//   tight elements satisfy both; anything longer goes through fpReduce first.
// - Limbs are stored as i32: a sum of at most 7 tight elements.
// Every function runs in time independent of the values.
import { bnFromBytes, bnToBytes, bnLtMask } from "./bn";
import { fpMul, fpSqr, FP_R2, FP_P } from "./fieldmul";

export { fpMul, fpSqr, FP_ONE, FP_R2, FP_B, FP_GX, FP_GY } from "./fieldmul";

/** Bytes of one field element (9 × i32 limbs + padding). */
export const FE_SIZE: usize = 40;

/** p as 8 × u32 limbs (for range checks on encoded coordinates). */
export const P32: usize = memory.data<u32>([
  0xffffffff, 0xffffffff, 0x00000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xfffffffe,
]);
/** 1 as plain limbs: multiplying by it leaves the Montgomery domain. */
const PLAIN_ONE: usize = memory.data<i32>([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

const W: usize = memory.data(40, 16);   // 8 × u32 words (+ pad) for byte conversion
const C: usize = memory.data(40, 16);   // canonical limbs

/** r = a + b (limb-wise, not reduced). */
export function fpAdd(r: usize, a: usize, b: usize): void {
  if (ASC_FEATURE_SIMD) {
    v128.store(r, i32x4.add(v128.load(a), v128.load(b)));
    v128.store(r, i32x4.add(v128.load(a, 16), v128.load(b, 16)), 16);
    store<i32>(r, load<i32>(a, 32) + load<i32>(b, 32), 32);
  } else {
    for (let i: usize = 0; i < 36; i += 4) store<i32>(r + i, load<i32>(a + i) + load<i32>(b + i));
  }
}

/** r = a − b (limb-wise, not reduced). */
export function fpSub(r: usize, a: usize, b: usize): void {
  if (ASC_FEATURE_SIMD) {
    v128.store(r, i32x4.sub(v128.load(a), v128.load(b)));
    v128.store(r, i32x4.sub(v128.load(a, 16), v128.load(b, 16)), 16);
    store<i32>(r, load<i32>(a, 32) - load<i32>(b, 32), 32);
  } else {
    for (let i: usize = 0; i < 36; i += 4) store<i32>(r + i, load<i32>(a + i) - load<i32>(b + i));
  }
}

/** r = −a. */
export function fpNeg(r: usize, a: usize): void {
  if (ASC_FEATURE_SIMD) {
    v128.store(r, i32x4.neg(v128.load(a)));
    v128.store(r, i32x4.neg(v128.load(a, 16)), 16);
    store<i32>(r, -load<i32>(a, 32), 32);
  } else {
    for (let i: usize = 0; i < 36; i += 4) store<i32>(r + i, -load<i32>(a + i));
  }
}

/** r = a (FE_SIZE bytes). */
// @ts-ignore: decorator
@inline
export function fpCopy(r: usize, a: usize): void {
  memory.copy(r, a, FE_SIZE);
}

/**
 * r ≡ a, tight (limbs 0..7 in [−2^28, 2^28), |value| < 2^256): carries, then folds the bits
 * above 2^256 back in with 2^256 ≡ 2^224 + 2^96 − 2^64 + 1. Accepts any stored element.
 */
export function fpReduce(r: usize, a: usize): void {
  let l0 = <i64>load<i32>(a, 0), l1 = <i64>load<i32>(a, 4), l2 = <i64>load<i32>(a, 8);
  let l3 = <i64>load<i32>(a, 12), l4 = <i64>load<i32>(a, 16), l5 = <i64>load<i32>(a, 20);
  let l6 = <i64>load<i32>(a, 24), l7 = <i64>load<i32>(a, 28), l8 = <i64>load<i32>(a, 32);
  let c: i64;
  for (let pass = 0; pass < 2; pass++) {
    c = (l0 + 0x10000000) >> 29; l0 -= c << 29; l1 += c;
    c = (l1 + 0x10000000) >> 29; l1 -= c << 29; l2 += c;
    c = (l2 + 0x10000000) >> 29; l2 -= c << 29; l3 += c;
    c = (l3 + 0x10000000) >> 29; l3 -= c << 29; l4 += c;
    c = (l4 + 0x10000000) >> 29; l4 -= c << 29; l5 += c;
    c = (l5 + 0x10000000) >> 29; l5 -= c << 29; l6 += c;
    c = (l6 + 0x10000000) >> 29; l6 -= c << 29; l7 += c;
    c = (l7 + 0x10000000) >> 29; l7 -= c << 29; l8 += c;
    if (pass == 0) {
      // l8 carries weight 2^232; h = the part from 2^256 up (rounded), folded back
      const h = (l8 + 0x800000) >> 24;
      l8 -= h << 24;
      l0 += h; l2 -= h << 6; l3 += h << 9; l7 += h << 21;
    }
  }
  store<i32>(r, <i32>l0, 0); store<i32>(r, <i32>l1, 4); store<i32>(r, <i32>l2, 8);
  store<i32>(r, <i32>l3, 12); store<i32>(r, <i32>l4, 16); store<i32>(r, <i32>l5, 20);
  store<i32>(r, <i32>l6, 24); store<i32>(r, <i32>l7, 28); store<i32>(r, <i32>l8, 32);
}

/**
 * C = the canonical plain value of a: leaves the Montgomery domain (a·1·R^(−1), which lies in
 * [0, p] for |a| < R), makes the limbs non-negative 29-bit, subtracts p once if needed.
 */
function canon(a: usize): void {
  fpMul(C, a, PLAIN_ONE);
  let c: i64 = 0;
  for (let i: usize = 0; i < 32; i += 4) {
    const x = <i64>load<i32>(C + i) + c;
    store<i32>(C + i, <i32>(x & 0x1fffffff));
    c = x >> 29;
  }
  store<i32>(C, load<i32>(C, 32) + <i32>c, 32);
  // trial subtraction of p; keep it unless it borrowed
  let b: i64 = 0;
  for (let i: usize = 0; i < 36; i += 4) {
    const x = <i64>load<i32>(C + i) - <i64>load<i32>(FP_P + i) + b;
    store<i32>(W + i, <i32>(x & 0x1fffffff));
    b = x >> 29;
  }
  const keep = <i32>b;                     // −1 when C < p (keep C), 0 when C = p (take C − p)
  for (let i: usize = 0; i < 36; i += 4) {
    store<i32>(C + i, (load<i32>(C + i) & keep) | (load<i32>(W + i) & ~keep));
  }
}

/** All ones when a ≡ 0 (mod p), else 0. */
export function fpIsZeroMask(a: usize): u64 {
  canon(a);
  let x: i32 = 0;
  for (let i: usize = 0; i < 36; i += 4) x |= load<i32>(C + i);
  wipeConv();
  return <u64>((<i64>x - 1) >> 63);      // x ≥ 0: all ones exactly when x = 0
}

/** True when a ≡ b (mod p). */
export function fpEqual(a: usize, b: usize): bool {
  fpSub(W, a, b);
  return fpIsZeroMask(W) != 0;
}

/**
 * Read 32 big-endian bytes at src into the element r (Montgomery domain). Returns all ones when
 * the encoded value is below p (a valid coordinate), else 0 (r is then still the value mod p).
 */
export function fpFromBytes(r: usize, src: usize): u64 {
  bnFromBytes(W, src);
  store<u32>(W, 0, 32);
  const ok = bnLtMask(W, P32);
  for (let i: usize = 0; i < 9; i++) {
    const bit = i * 29;
    const pair = load<u64>(W + ((bit >> 5) << 2));
    store<i32>(C + (i << 2), <i32>(pair >> (bit & 31)) & 0x1fffffff);
  }
  fpMul(r, C, FP_R2);
  wipeConv();
  return ok;
}

/** Write a's canonical value (in [0, p)) as 32 big-endian bytes at dst. */
export function fpToBytes(dst: usize, a: usize): void {
  canon(a);
  let acc: u64 = 0, bits: u32 = 0, w: usize = 0;
  for (let i: usize = 0; i < 9; i++) {
    acc |= <u64>load<u32>(C + (i << 2)) << bits;
    bits += 29;
    if (bits >= 32 && w < 32) {
      store<u32>(W + w, <u32>acc);
      acc >>= 32; bits -= 32; w += 4;
    }
  }
  bnToBytes(dst, W);
  wipeConv();
}

/** Low bit of a's canonical value (the parity used by compressed points). */
export function fpParity(a: usize): u32 {
  canon(a);
  const bit = load<u32>(C) & 1;
  wipeConv();
  return bit;
}

function wipeConv(): void {
  memory.fill(W, 0, 40);
  memory.fill(C, 0, 40);
}

// ---------------------------------------------------------------------------------------------
// Exponentiation by fixed chains: inversion (a^(p−2)) and square roots (a^((p+1)/4)).

const X2: usize = memory.data(40, 16);  // x^(2^2 − 1)
const X3: usize = memory.data(40, 16);  // x^(2^3 − 1)
const X30: usize = memory.data(40, 16); // x^(2^30 − 1)
const X32: usize = memory.data(40, 16); // x^(2^32 − 1)
const ACC: usize = memory.data(40, 16);

function sqrN(r: usize, a: usize, n: i32): void {
  fpSqr(r, a);
  for (let i = 1; i < n; i++) fpSqr(r, r);
}

/**
 * ACC = x^e where e (in binary) is 31 ones, a zero, 128 ones: the common prefix of p − 2 and
 * (p + 1)/4. Also leaves x^(2^30 − 1) in X30 and x^(2^32 − 1) in X32 for the inversion's tail.
 */
function powPrefix(x: usize): void {
  sqrN(X2, x, 1); fpMul(X2, X2, x);        // 2 ones
  sqrN(X3, X2, 1); fpMul(X3, X3, x);       // 3
  sqrN(ACC, X3, 3); fpMul(ACC, ACC, X3);   // 6
  sqrN(X30, ACC, 6); fpMul(X30, X30, ACC); // 12
  sqrN(X30, X30, 3); fpMul(X30, X30, X3);  // 15
  sqrN(ACC, X30, 15); fpMul(X30, ACC, X30); // 30
  sqrN(ACC, X30, 1); fpMul(ACC, ACC, x);   // 31
  sqrN(X32, ACC, 1); fpMul(X32, X32, x);   // 32 ones
  fpSqr(ACC, ACC);                         // 31 ones, 0
  for (let i = 0; i < 4; i++) { sqrN(ACC, ACC, 32); fpMul(ACC, ACC, X32); } // 128 ones
}

/** r = a^(−1) (r = 0 when a ≡ 0), by Fermat: a^(p−2), 255 squarings and 16 multiplications. */
export function fpInv(r: usize, a: usize): void {
  powPrefix(a);
  // p − 2 goes on with 32 zeros, 62 ones, 0, 1
  sqrN(ACC, ACC, 32);
  sqrN(ACC, ACC, 32); fpMul(ACC, ACC, X32);
  sqrN(ACC, ACC, 30); fpMul(ACC, ACC, X30);
  sqrN(ACC, ACC, 2); fpMul(r, ACC, a);
  wipeChain();
}

/** r = a^((p+1)/4), a square root of a when there is one (p ≡ 3 mod 4). Returns whether r² ≡ a. */
export function fpSqrt(r: usize, a: usize): bool {
  powPrefix(a);
  // (p + 1)/4 goes on with 31 zeros, 1, 62 zeros
  sqrN(ACC, ACC, 32); fpMul(ACC, ACC, a);
  sqrN(ACC, ACC, 62);
  fpSqr(X2, ACC);
  const ok = fpEqual(X2, a);
  fpCopy(r, ACC);
  wipeChain();
  return ok;
}

function wipeChain(): void {
  memory.fill(X2, 0, 40); memory.fill(X3, 0, 40); memory.fill(X30, 0, 40);
  memory.fill(X32, 0, 40); memory.fill(ACC, 0, 40);
}
