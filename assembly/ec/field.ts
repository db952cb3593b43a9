// Arithmetic modulo the prime p of the selected curve (curve.ts): SM2's
//   p = 2^256 − 2^224 − 2^96 + 2^64 − 1 (GB/T 32918.5-2017), or P-256's
//   p = 2^256 − 2^224 + 2^192 + 2^96 − 1 (SEC 2 §2.4.2).
//
// An element is 9 signed limbs of radix 2^29 (value Σ l_i 2^(29 i)), stored as i32 in FE_SIZE
// bytes, in the Montgomery domain (x is held as x·R mod p, R = 2^261), not necessarily reduced:
// many representatives of the same residue are allowed. Multiplication, squaring and reduction
// are generated straight-line code for each prime (curves.ts from curves.gen.mjs); the functions
// here dispatch on the selected curve, and the rest is the same code for both.
//
// Bounds (checked by test/crypto/ec-field.test.ts against BigInt on extreme inputs, for both
// primes). Write an element as (L, V): limbs |l_i| ≤ L·2^28, value |x| ≤ V·p.
// - fpMul/fpSqr/fpReduce/fpFromBytes outputs are "tight": limbs 0..7 in [−2^28, 2^28), value
//   |x| ≤ 1.7p (mul: p + |a·b|/R), so L = 1 up to the top limb.
// - fpAdd/fpSub of two tight elements give (2, 3.4): still a valid multiplication input.
// - A multiplication input must have L_a·L_b ≤ 14 (every column of 9 products stays below 2^63)
//   and V_a·V_b ≤ 22 (so the output is ≤ 1.7p). Tight elements and sums or differences of two
//   tight elements satisfy both; anything longer goes through fpReduce first.
// - Past the value rule (the limb rule still kept) the output is still the right residue with
//   limbs 0..7 in [−2^28, 2^28) and |x| ≤ p + |a·b|/R, but no longer tight: only fpReduce may
//   take it (point.ts's doubling squares its alpha this way).
// - Limbs are stored as i32: a sum of at most 7 tight elements.
// Every function runs in time independent of the values (the curve selection is public).
import { bnFromBytes, bnToBytes, bnLtMask } from "./bn";
import {
  fpMulSm2, fpSqrSm2, fpReduceSm2, fpMulP256, fpSqrP256, fpReduceP256,
  PARAM_P, PARAM_R2, PARAM_ONE, PARAM_B, PARAM_GX, PARAM_GY, PARAM_P32,
} from "./curves";
import { isP256, param } from "./curve";

/** Bytes of one field element (9 × i32 limbs + padding). */
export const FE_SIZE: usize = 40;

/** r = a · b · R^(−1) mod p. r may alias a or b. */
// @ts-ignore: decorator
@inline
export function fpMul(r: usize, a: usize, b: usize): void {
  if (isP256()) fpMulP256(r, a, b);
  else fpMulSm2(r, a, b);
}

/** r = a² · R^(−1) mod p. r may alias a. */
// @ts-ignore: decorator
@inline
export function fpSqr(r: usize, a: usize): void {
  if (isP256()) fpSqrP256(r, a);
  else fpSqrSm2(r, a);
}

/** 1 in the Montgomery domain. */
// @ts-ignore: decorator
@inline
export function fpOne(): usize {
  return param(PARAM_ONE);
}

/** The curve coefficient b (Montgomery domain). */
// @ts-ignore: decorator
@inline
export function fpB(): usize {
  return param(PARAM_B);
}

/** x of the base point G (Montgomery domain). */
// @ts-ignore: decorator
@inline
export function fpGx(): usize {
  return param(PARAM_GX);
}

/** y of the base point G (Montgomery domain). */
// @ts-ignore: decorator
@inline
export function fpGy(): usize {
  return param(PARAM_GY);
}

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
 * above 2^256 back in with 2^256 ≡ 2^256 − p. Accepts any stored element.
 */
// @ts-ignore: decorator
@inline
export function fpReduce(r: usize, a: usize): void {
  if (isP256()) fpReduceP256(r, a);
  else fpReduceSm2(r, a);
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
    const x = <i64>load<i32>(C + i) - <i64>load<i32>(param(PARAM_P) + i) + b;
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
  const ok = bnLtMask(W, param(PARAM_P32));
  for (let i: usize = 0; i < 9; i++) {
    const bit = i * 29;
    const pair = load<u64>(W + ((bit >> 5) << 2));
    store<i32>(C + (i << 2), <i32>(pair >> (bit & 31)) & 0x1fffffff);
  }
  fpMul(r, C, param(PARAM_R2));
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
// Exponentiation by fixed chains, one per prime: inversion (a^(p−2)) and square roots
// (a^((p+1)/4)).

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
 * The runs of ones both primes' exponents are made of: X2, X3, X30, X32 = x^(2^k − 1) for
 * k = 2, 3, 30, 32, and ACC = x^(2^31 − 1).
 */
function powOnes(x: usize): void {
  sqrN(X2, x, 1); fpMul(X2, X2, x);        // 2 ones
  sqrN(X3, X2, 1); fpMul(X3, X3, x);       // 3
  sqrN(ACC, X3, 3); fpMul(ACC, ACC, X3);   // 6
  sqrN(X30, ACC, 6); fpMul(X30, X30, ACC); // 12
  sqrN(X30, X30, 3); fpMul(X30, X30, X3);  // 15
  sqrN(ACC, X30, 15); fpMul(X30, ACC, X30); // 30
  sqrN(ACC, X30, 1); fpMul(ACC, ACC, x);   // 31
  sqrN(X32, ACC, 1); fpMul(X32, X32, x);   // 32 ones
}

/**
 * SM2: ACC = x^e where e (in binary) is 31 ones, a zero, 128 ones: the common prefix of p − 2
 * and (p + 1)/4.
 */
function sm2Prefix(x: usize): void {
  powOnes(x);
  fpSqr(ACC, ACC);                         // 31 ones, 0
  for (let i = 0; i < 4; i++) { sqrN(ACC, ACC, 32); fpMul(ACC, ACC, X32); } // 128 ones
}

/**
 * P-256: ACC = x^e where e (in binary) is 32 ones, 31 zeros, a one: the common prefix of p − 2
 * and (p + 1)/4.
 */
function p256Prefix(x: usize): void {
  powOnes(x);
  sqrN(ACC, X32, 32); fpMul(ACC, ACC, x);
}

/** r = a^(−1) (r = 0 when a ≡ 0), by Fermat: a^(p−2) by a fixed chain of 255 squarings. */
export function fpInv(r: usize, a: usize): void {
  if (isP256()) {
    p256Prefix(a);
    // p − 2 goes on with 96 zeros, 64 ones, 30 ones, 0, 1
    sqrN(ACC, ACC, 96);
    sqrN(ACC, ACC, 32); fpMul(ACC, ACC, X32);
    sqrN(ACC, ACC, 32); fpMul(ACC, ACC, X32);
  } else {
    sm2Prefix(a);
    // p − 2 goes on with 32 zeros, 62 ones, 0, 1
    sqrN(ACC, ACC, 32);
    sqrN(ACC, ACC, 32); fpMul(ACC, ACC, X32);
  }
  sqrN(ACC, ACC, 30); fpMul(ACC, ACC, X30);
  sqrN(ACC, ACC, 2); fpMul(r, ACC, a);
  wipeChain();
}

/** r = a^((p+1)/4), a square root of a when there is one (p ≡ 3 mod 4). Returns whether r² ≡ a. */
export function fpSqrt(r: usize, a: usize): bool {
  if (isP256()) {
    p256Prefix(a);
    // (p + 1)/4 goes on with 95 zeros, 1, 94 zeros
    sqrN(ACC, ACC, 96); fpMul(ACC, ACC, a);
    sqrN(ACC, ACC, 94);
  } else {
    sm2Prefix(a);
    // (p + 1)/4 goes on with 31 zeros, 1, 62 zeros
    sqrN(ACC, ACC, 32); fpMul(ACC, ACC, a);
    sqrN(ACC, ACC, 62);
  }
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
