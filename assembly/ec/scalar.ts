// Arithmetic modulo the order n of the selected curve's base point (curve.ts): SM2's
//   n = FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF 7203DF6B 21C6052B 53BBF409 39D54123 (GB/T 32918.5),
// or P-256's
//   n = FFFFFFFF 00000000 FFFFFFFF FFFFFFFF BCE6FAAD A7179E84 F3B9CAC2 FC632551 (SEC 2 §2.4.2).
// Numbers are 8 little-endian u32 limbs (bn.ts). Multiplication is Montgomery's (CIOS, R = 2^256,
// unrolled in curves.ts). Both orders are above 2^255, which the bounds below rely on.
// Every function runs in time independent of the values.
import { bnAdd, bnSub, cmov, bnIsZeroMask, bnLtMask } from "./bn";
import { PARAM_N, PARAM_N_MINUS_2, PARAM_RN2, PARAM_PRIV_LIMIT, PARAM_N0, snMontMul } from "./curves";
import { param } from "./curve";

/** n of the selected curve, little-endian limbs. */
// @ts-ignore: decorator
@inline
export function scalarN(): usize {
  return param(PARAM_N);
}

const D: usize = memory.data(32, 16);
const ONE: usize = memory.data<u32>([1, 0, 0, 0, 0, 0, 0, 0]);

/** r = a mod n for any a < 2^256 (one conditional subtraction, since 2^256 < 2n). */
export function snReduce(r: usize, a: usize): void {
  const borrow = bnSub(D, a, scalarN());
  memory.copy(r, a, 32);
  cmov(r, D, <u64>borrow - 1, 32);
}

/** r = a + b mod n (a, b < n). */
export function snAdd(r: usize, a: usize, b: usize): void {
  const carry = bnAdd(r, a, b);
  const borrow = bnSub(D, r, scalarN());
  cmov(r, D, <u64>0 - <u64>(carry | (borrow ^ 1)), 32);
}

/** r = a − b mod n (a, b < n). */
export function snSub(r: usize, a: usize, b: usize): void {
  const borrow = bnSub(r, a, b);
  const mask: u64 = <u64>0 - <u64>borrow;
  const n = scalarN();
  let c: u64 = 0;
  for (let i: usize = 0; i < 32; i += 4) {
    c += <u64>load<u32>(r + i) + (<u64>load<u32>(n + i) & mask);
    store<u32>(r + i, <u32>c);
    c >>= 32;
  }
}

/** r = a · b · R^(−1) mod n (Montgomery product; a, b < n). r may alias a or b. */
// @ts-ignore: decorator
@inline
function montMul(r: usize, a: usize, b: usize): void {
  snMontMul(r, a, b, scalarN(), <u64>load<u32>(param(PARAM_N0)));
}

/** r = a · b mod n (a, b < n). */
export function snMul(r: usize, a: usize, b: usize): void {
  montMul(r, a, b);
  montMul(r, r, param(PARAM_RN2));
}

const W: usize = memory.data(16 * 32, 16); // a^0 … a^15 in the Montgomery domain
const X: usize = memory.data(32, 16);

/** r = a^(−1) mod n by Fermat (a^(n−2)), fixed 4-bit windows over the public exponent. */
export function snInv(r: usize, a: usize): void {
  montMul(W + 32, a, param(PARAM_RN2));                        // a·R
  montMul(W, ONE, param(PARAM_RN2));                           // R (one)
  for (let i: usize = 2; i < 16; i++) montMul(W + (i << 5), W + ((i - 1) << 5), W + 32);
  memory.copy(X, W, 32);
  for (let i = 63; i >= 0; i--) {
    for (let s = 0; s < 4; s++) montMul(X, X, X);
    const digit = (load<u32>(param(PARAM_N_MINUS_2) + (<usize>(i >> 3) << 2)) >> ((i & 7) << 2)) & 15;
    montMul(X, X, W + (<usize>digit << 5));      // exponent digits are public
  }
  montMul(r, X, ONE);                            // leave the Montgomery domain
  memory.fill(W, 0, 16 * 32);
  memory.fill(X, 0, 32);
  memory.fill(D, 0, 32);
}

/**
 * All ones when a is a valid private key of the selected curve, else 0: 1 ≤ a ≤ n − 2 for SM2
 * (GB/T 32918.1 §6.1), 1 ≤ a ≤ n − 1 for P-256 (SEC 1 §3.2.1).
 */
export function snIsPrivateMask(a: usize): u64 {
  return ~bnIsZeroMask(a) & bnLtMask(a, param(PARAM_PRIV_LIMIT));
}

/** All ones when 1 ≤ a ≤ n − 1 (a valid signature component r or s), else 0. */
export function snIsNonZeroMask(a: usize): u64 {
  return ~bnIsZeroMask(a) & bnLtMask(a, scalarN());
}

/** Zero the Montgomery scratch (it held products of secret scalars). */
export function scalarWipeScratch(): void {
  memory.fill(D, 0, 32);
}
