// Points of the SM2 curve y² = x³ + ax + b over F_p (GB/T 32918.5-2017, sm2p256v1), a = −3.
// Jacobian coordinates (X, Y, Z) ↔ affine (X/Z², Y/Z³); Z = 0 is the point at infinity.
// Layout: affine = x ‖ y (64 bytes), Jacobian = X ‖ Y ‖ Z (96 bytes), each coordinate a field
// element (field.ts). Formulas from the Explicit-Formulas Database: dbl-2001-b (a = −3),
// add-2007-bl, madd-2007-bl. They do not branch on values; callers handle the exceptional cases
// (an input at infinity, P = ±Q) where they can occur.
import { bnIsZeroMask, bnLtMask, bnFromBytes, bnToBytes } from "./bn";
import { P, fpAdd, fpSub, fpMul, fpSqr, fpInv, fpEqual } from "./field";

export const AFFINE_SIZE: usize = 64;
export const JAC_SIZE: usize = 96;

/** b of the curve equation, little-endian limbs. */
export const B: usize = memory.data<u32>([
  0x4d940e93, 0xddbcbd41, 0x15ab8f92, 0xf39789f5, 0xcf6509a7, 0x4d5a9e4b, 0x9d9f5e34, 0x28e9fa9e,
]);
/** The base point G = (x_G, y_G), affine, little-endian limbs. */
export const G: usize = memory.data<u32>([
  0x334c74c7, 0x715a4589, 0xf2660be1, 0x8fe30bbf, 0x6a39c994, 0x5f990446, 0x1f198119, 0x32c4ae2c,
  0x2139f0a0, 0x02df32e5, 0xc62a4740, 0xd0a9877c, 0x6b692153, 0x59bdcee3, 0xf4f6779c, 0xbc3736a2,
]);

const T1: usize = memory.data(32, 16);
const T2: usize = memory.data(32, 16);
const T3: usize = memory.data(32, 16);
const T4: usize = memory.data(32, 16);
const T5: usize = memory.data(32, 16);
const T6: usize = memory.data(32, 16);
const T7: usize = memory.data(32, 16);

/** r = 2p (Jacobian). r may alias p. Doubling the point at infinity gives infinity. */
export function jacDouble(r: usize, p: usize): void {
  const x = p, y = p + 32, z = p + 64;
  const delta = T1, gamma = T2, beta = T3, alpha = T4, z3 = T5;
  fpSqr(delta, z);
  fpSqr(gamma, y);
  fpMul(beta, x, gamma);
  fpSub(T6, x, delta);
  fpAdd(T7, x, delta);
  fpMul(T6, T6, T7);
  fpAdd(alpha, T6, T6);
  fpAdd(alpha, alpha, T6);           // alpha = 3(x − delta)(x + delta)
  fpAdd(z3, y, z);
  fpSqr(z3, z3);
  fpSub(z3, z3, gamma);
  fpSub(z3, z3, delta);              // Z3 = (y + z)² − gamma − delta = 2yz
  fpAdd(beta, beta, beta);
  fpAdd(beta, beta, beta);           // 4 beta
  fpSqr(T6, alpha);
  fpAdd(T7, beta, beta);
  fpSub(r, T6, T7);                  // X3 = alpha² − 8 beta
  fpSub(T6, beta, r);
  fpMul(T6, T6, alpha);
  fpSqr(gamma, gamma);
  fpAdd(gamma, gamma, gamma);
  fpAdd(gamma, gamma, gamma);
  fpAdd(gamma, gamma, gamma);        // 8 gamma²
  fpSub(r + 32, T6, gamma);          // Y3 = alpha(4 beta − X3) − 8 gamma²
  memory.copy(r + 64, z3, 32);
}

/**
 * r = p + q (Jacobian + Jacobian). r may alias p or q. Wrong when p or q is at infinity or
 * p = ±q; afterwards T1 holds H = U2 − U1 and T2 holds S2 − S1, so a caller working on public
 * data can tell those cases apart (H = 0: p = ±q; then S2 − S1 = 0: p = q).
 */
export function jacAdd(r: usize, p: usize, q: usize): void {
  const h = T1, rr = T2, z1z1 = T3, z2z2 = T4, u1 = T5, s1 = T6;
  fpSqr(z1z1, p + 64);
  fpSqr(z2z2, q + 64);
  fpMul(u1, p, z2z2);
  fpMul(h, q, z1z1);
  fpSub(h, h, u1);                   // H = U2 − U1
  fpMul(s1, p + 32, q + 64);
  fpMul(s1, s1, z2z2);               // S1 = Y1 Z2³
  fpMul(rr, q + 32, p + 64);
  fpMul(rr, rr, z1z1);
  fpSub(rr, rr, s1);                 // S2 − S1
  // Z3 = ((Z1 + Z2)² − Z1Z1 − Z2Z2) H = 2 Z1 Z2 H
  fpAdd(T7, p + 64, q + 64);
  fpSqr(T7, T7);
  fpSub(T7, T7, z1z1);
  fpSub(T7, T7, z2z2);
  fpMul(r + 64, T7, h);
  const i = z1z1, j = z2z2, v = T7;
  fpAdd(i, h, h);
  fpSqr(i, i);                       // I = (2H)²
  fpMul(j, h, i);                    // J = H I
  fpMul(v, u1, i);                   // V = U1 I
  fpAdd(u1, rr, rr);                 // r = 2 (S2 − S1)
  fpSqr(r, u1);
  fpSub(r, r, j);
  fpSub(r, r, v);
  fpSub(r, r, v);                    // X3 = r² − J − 2V
  fpSub(v, v, r);
  fpMul(v, v, u1);
  fpMul(s1, s1, j);
  fpAdd(s1, s1, s1);
  fpSub(r + 32, v, s1);              // Y3 = r (V − X3) − 2 S1 J
}

/**
 * r = p + q with p Jacobian and q affine (Z2 = 1). r may alias p. Wrong when p is at infinity
 * or p = ±q.
 */
export function jacAddAffine(r: usize, p: usize, q: usize): void {
  const z1z1 = T1, h = T2, hh = T3, rr = T4, i = T5, j = T6, v = T7;
  fpSqr(z1z1, p + 64);
  fpMul(h, q, z1z1);
  fpSub(h, h, p);                    // H = U2 − X1
  fpMul(rr, q + 32, p + 64);
  fpMul(rr, rr, z1z1);
  fpSub(rr, rr, p + 32);
  fpAdd(rr, rr, rr);                 // r = 2 (S2 − Y1)
  fpSqr(hh, h);
  fpAdd(i, hh, hh);
  fpAdd(i, i, i);                    // I = 4 HH
  fpMul(j, h, i);                    // J = H I
  fpMul(v, p, i);                    // V = X1 I
  fpAdd(r + 64, p + 64, h);
  fpSqr(r + 64, r + 64);
  fpSub(r + 64, r + 64, z1z1);
  fpSub(r + 64, r + 64, hh);         // Z3 = (Z1 + H)² − Z1Z1 − HH
  fpMul(i, p + 32, j);               // Y1 J (p's Y is still intact)
  fpSqr(r, rr);
  fpSub(r, r, j);
  fpSub(r, r, v);
  fpSub(r, r, v);                    // X3 = r² − J − 2V
  fpSub(v, v, r);
  fpMul(v, v, rr);
  fpAdd(i, i, i);
  fpSub(r + 32, v, i);               // Y3 = r (V − X3) − 2 Y1 J
}

/** All ones when the Jacobian point at `p` is the point at infinity (Z = 0), else 0. */
// @ts-ignore: decorator
@inline
export function jacIsInfinityMask(p: usize): u64 {
  return bnIsZeroMask(p + 64);
}

/** out (affine, 64 bytes) = p. Returns false (and writes zeros) when p is at infinity. */
export function jacToAffine(out: usize, p: usize): bool {
  const zinv = T1, zinv2 = T2;
  fpInv(zinv, p + 64);               // 0 when Z = 0
  fpSqr(zinv2, zinv);
  fpMul(out, p, zinv2);
  fpMul(zinv2, zinv2, zinv);
  fpMul(out + 32, p + 32, zinv2);
  return jacIsInfinityMask(p) == 0;
}

/** Jacobian r = affine a with Z = 1. */
export function jacFromAffine(r: usize, a: usize): void {
  memory.copy(r, a, 64);
  memory.fill(r + 64, 0, 32);
  store<u32>(r + 64, 1);
}

/**
 * Read a public key x ‖ y (64 big-endian bytes at `src`) into limbs at `out`, and check it is a
 * point of the curve: x, y < p and y² = x³ − 3x + b. (A curve point is never at infinity, and
 * the cofactor is 1, so every such point has order n.) Public data: the result may leak.
 */
export function affineFromBytes(out: usize, src: usize): bool {
  bnFromBytes(out, src);
  bnFromBytes(out + 32, src + 32);
  if ((bnLtMask(out, P) & bnLtMask(out + 32, P)) == 0) return false;
  return isOnCurve(out);
}

/** True when the affine point (reduced coordinates) satisfies y² = x³ − 3x + b. */
export function isOnCurve(a: usize): bool {
  fpSqr(T1, a);                      // x²
  fpMul(T1, T1, a);                  // x³
  fpAdd(T2, a, a);
  fpAdd(T2, T2, a);                  // 3x
  fpSub(T1, T1, T2);
  fpAdd(T1, T1, B);                  // x³ − 3x + b
  fpSqr(T2, a + 32);
  return fpEqual(T1, T2);
}

/** Write the affine point (limbs) as x ‖ y, 64 big-endian bytes. */
export function affineToBytes(dst: usize, a: usize): void {
  bnToBytes(dst, a);
  bnToBytes(dst + 32, a + 32);
}

/** Zero the formulas' scratch (it held intermediate values of secret multiples). */
export function pointWipeScratch(): void {
  memory.fill(T1, 0, 32); memory.fill(T2, 0, 32); memory.fill(T3, 0, 32); memory.fill(T4, 0, 32);
  memory.fill(T5, 0, 32); memory.fill(T6, 0, 32); memory.fill(T7, 0, 32);
}
