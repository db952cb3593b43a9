// Arithmetic modulo the SM2 prime of GB/T 32918.5-2017 (curve sm2p256v1):
//   p = 2^256 − 2^224 − 2^96 + 2^64 − 1.
// Elements are 8 little-endian u32 limbs (bn.ts), always fully reduced into [0, p).
// Products are reduced with the special form of p (Solinas): 2^256 ≡ 2^224 + 2^96 − 2^64 + 1,
// so each high word c8..c15 folds into the low words with small signed coefficients.
// Every function runs in time independent of the values.
import { BN_SIZE, bnAdd, bnSub, cmov } from "./bn";

export const FE_SIZE: usize = BN_SIZE;

/** p, little-endian limbs. */
export const P: usize = memory.data<u32>([
  0xffffffff, 0xffffffff, 0x00000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xfffffffe,
]);

const T: usize = memory.data(64, 16); // 512-bit product
const D: usize = memory.data(32, 16); // trial difference

/** r = a + b mod p. */
export function fpAdd(r: usize, a: usize, b: usize): void {
  const carry = bnAdd(r, a, b);
  const borrow = bnSub(D, r, P);
  // a + b ≥ p exactly when the sum carried out or the trial subtraction did not borrow
  cmov(r, D, <u64>0 - <u64>(carry | (borrow ^ 1)), 32);
}

/** r = a − b mod p. */
export function fpSub(r: usize, a: usize, b: usize): void {
  const borrow = bnSub(r, a, b);
  const mask: u64 = <u64>0 - <u64>borrow;
  let c: u64 = 0;
  for (let i: usize = 0; i < 32; i += 4) {
    c += <u64>load<u32>(r + i) + (<u64>load<u32>(P + i) & mask);
    store<u32>(r + i, <u32>c);
    c >>= 32;
  }
}

/** r = −a mod p. */
export function fpNeg(r: usize, a: usize): void {
  memory.fill(D, 0, 32);
  fpSub(r, D, a);
}

/** r = a · b mod p. */
export function fpMul(r: usize, a: usize, b: usize): void {
  memory.fill(T, 0, 64);
  for (let i: usize = 0; i < 32; i += 4) {
    const ai = <u64>load<u32>(a + i);
    let c: u64 = 0;
    for (let j: usize = 0; j < 32; j += 4) {
      const t = ai * <u64>load<u32>(b + j) + <u64>load<u32>(T + i + j) + c;
      store<u32>(T + i + j, <u32>t);
      c = t >> 32;
    }
    store<u32>(T + i + 32, <u32>c);
  }
  reduce(r, T);
}

/** r = a² mod p. */
export function fpSqr(r: usize, a: usize): void {
  fpMul(r, a, a);
}

/** Reduce the 512-bit number at `t` modulo p into `r`. */
function reduce(r: usize, t: usize): void {
  const c0 = <i64>load<u32>(t, 0), c1 = <i64>load<u32>(t, 4), c2 = <i64>load<u32>(t, 8), c3 = <i64>load<u32>(t, 12);
  const c4 = <i64>load<u32>(t, 16), c5 = <i64>load<u32>(t, 20), c6 = <i64>load<u32>(t, 24), c7 = <i64>load<u32>(t, 28);
  const c8 = <i64>load<u32>(t, 32), c9 = <i64>load<u32>(t, 36), c10 = <i64>load<u32>(t, 40), c11 = <i64>load<u32>(t, 44);
  const c12 = <i64>load<u32>(t, 48), c13 = <i64>load<u32>(t, 52), c14 = <i64>load<u32>(t, 56), c15 = <i64>load<u32>(t, 60);
  // 2^(32k) mod p for k = 8..15, as signed word coefficients, summed per output word
  let s0 = c0 + c8 + c9 + c10 + c11 + c12 + ((c13 + c14 + c15) << 1);
  let s1 = c1 + c9 + c10 + c11 + c12 + c13 + ((c14 + c15) << 1);
  let s2 = c2 - c8 - c9 - c13 - c14;
  let s3 = c3 + c8 + c11 + c12 + (c13 << 1) + c14 + c15;
  let s4 = c4 + c9 + c12 + c13 + (c14 << 1) + c15;
  let s5 = c5 + c10 + c13 + c14 + (c15 << 1);
  let s6 = c6 + c11 + c14 + c15;
  let s7 = c7 + c8 + c9 + c10 + c11 + ((c12 + c13 + c14) << 1) + 3 * c15;
  // Three rounds of (signed carry propagation, fold the carry c·2^256 ≡ c·(2^224 + 2^96 − 2^64 + 1)).
  // After the first the carry is small (|c| < 16); after the second it is −1, 0 or 1; after the
  // third the value lies in [0, 2^256).
  for (let round = 0; round < 3; round++) {
    s1 += s0 >> 32; s0 &= 0xffffffff;
    s2 += s1 >> 32; s1 &= 0xffffffff;
    s3 += s2 >> 32; s2 &= 0xffffffff;
    s4 += s3 >> 32; s3 &= 0xffffffff;
    s5 += s4 >> 32; s4 &= 0xffffffff;
    s6 += s5 >> 32; s5 &= 0xffffffff;
    s7 += s6 >> 32; s6 &= 0xffffffff;
    const c = s7 >> 32; s7 &= 0xffffffff;
    s0 += c; s2 -= c; s3 += c; s7 += c;
  }
  store<u32>(r, <u32>s0, 0); store<u32>(r, <u32>s1, 4); store<u32>(r, <u32>s2, 8); store<u32>(r, <u32>s3, 12);
  store<u32>(r, <u32>s4, 16); store<u32>(r, <u32>s5, 20); store<u32>(r, <u32>s6, 24); store<u32>(r, <u32>s7, 28);
  const borrow = bnSub(D, r, P);
  cmov(r, D, <u64>borrow - 1, 32);
}

const X2: usize = memory.data(32, 16);  // x^(2^2 − 1)
const X3: usize = memory.data(32, 16);  // x^(2^3 − 1)
const X30: usize = memory.data(32, 16); // x^(2^30 − 1)
const X32: usize = memory.data(32, 16); // x^(2^32 − 1)
const ACC: usize = memory.data(32, 16);

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

/** r = a^(−1) mod p by Fermat (a^(p−2)); r = 0 when a = 0. 255 squarings, 16 multiplications. */
export function fpInv(r: usize, a: usize): void {
  powPrefix(a);
  // p − 2 goes on with 32 zeros, 62 ones, 0, 1
  sqrN(ACC, ACC, 32);
  sqrN(ACC, ACC, 32); fpMul(ACC, ACC, X32);
  sqrN(ACC, ACC, 30); fpMul(ACC, ACC, X30);
  sqrN(ACC, ACC, 2); fpMul(r, ACC, a);
  wipeScratch();
}

/**
 * r = a^((p+1)/4): a square root of a when a is a square (p ≡ 3 mod 4). Returns whether r² = a.
 */
export function fpSqrt(r: usize, a: usize): bool {
  powPrefix(a);
  // (p + 1)/4 goes on with 31 zeros, 1, 62 zeros
  sqrN(ACC, ACC, 32); fpMul(ACC, ACC, a);
  sqrN(ACC, ACC, 62);
  fpSqr(X2, ACC);
  const ok = fpEqual(X2, a);
  memory.copy(r, ACC, 32);
  wipeScratch();
  return ok;
}

function wipeScratch(): void {
  memory.fill(X2, 0, 32); memory.fill(X3, 0, 32); memory.fill(X30, 0, 32);
  memory.fill(X32, 0, 32); memory.fill(ACC, 0, 32); memory.fill(T, 0, 64); memory.fill(D, 0, 32);
}

/** True when a = b (both reduced); constant time. */
export function fpEqual(a: usize, b: usize): bool {
  const x = (load<u64>(a) ^ load<u64>(b)) | (load<u64>(a, 8) ^ load<u64>(b, 8))
    | (load<u64>(a, 16) ^ load<u64>(b, 16)) | (load<u64>(a, 24) ^ load<u64>(b, 24));
  return x == 0;
}
