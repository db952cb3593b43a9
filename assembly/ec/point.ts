// Points of the selected curve y² = x³ + ax + b over F_p (curve.ts: SM2 of GB/T 32918.5-2017 or
// P-256 of SEC 2 §2.4.2; both have a = −3).
// Jacobian coordinates (X, Y, Z) ↔ affine (X/Z², Y/Z³); Z = 0 is the point at infinity.
// Layout: affine = x ‖ y (AFFINE_SIZE bytes), Jacobian = X ‖ Y ‖ Z (JAC_SIZE bytes), each a
// field element (field.ts: Montgomery domain, tight limbs). Formulas from the Explicit-Formulas
// Database: dbl-2001-b (a = −3), add-2007-bl, madd-2007-bl, with 2·Z1·Z2·H and 2·Z1·H computed
// directly; every output coordinate is brought back to tight form by fpReduce, and every
// multiplication input is tight or a sum/difference of two tight elements (field.ts bounds).
// The formulas do not branch on values; callers handle the exceptional cases (an input at
// infinity, P = ±Q) where they can occur.
import {
  FE_SIZE, fpB, fpAdd, fpSub, fpMul, fpSqr, fpInv, fpReduce, fpEqual, fpIsZeroMask,
  fpFromBytes, fpToBytes, fpCopy,
} from "./field";

export const AFFINE_SIZE: usize = 2 * FE_SIZE;
export const JAC_SIZE: usize = 3 * FE_SIZE;
const Y: usize = FE_SIZE;
const Z: usize = 2 * FE_SIZE;

const T1: usize = memory.data(<i32>FE_SIZE, 16);
const T2: usize = memory.data(<i32>FE_SIZE, 16);
const T3: usize = memory.data(<i32>FE_SIZE, 16);
const T4: usize = memory.data(<i32>FE_SIZE, 16);
const T5: usize = memory.data(<i32>FE_SIZE, 16);
const T6: usize = memory.data(<i32>FE_SIZE, 16);
const T7: usize = memory.data(<i32>FE_SIZE, 16);

/** r = 2p (Jacobian). r may alias p. Doubling the point at infinity gives infinity. */
export function jacDouble(r: usize, p: usize): void {
  const delta = T1, gamma = T2, beta = T3, alpha = T4, z3 = T5;
  fpSqr(delta, p + Z);
  fpSqr(gamma, p + Y);
  fpMul(beta, p, gamma);
  fpSub(T6, p, delta);
  fpAdd(T7, p, delta);
  fpMul(T6, T6, T7);
  fpAdd(alpha, T6, T6);
  fpAdd(alpha, alpha, T6);
  fpReduce(alpha, alpha);            // alpha = 3 (X − delta)(X + delta)
  fpMul(z3, p + Y, p + Z);
  fpAdd(z3, z3, z3);
  fpReduce(z3, z3);                  // Z3 = 2 Y Z
  fpAdd(beta, beta, beta);
  fpAdd(beta, beta, beta);
  fpReduce(beta, beta);              // 4 beta
  fpSqr(T6, alpha);
  fpSub(T6, T6, beta);
  fpSub(T6, T6, beta);
  fpReduce(r, T6);                   // X3 = alpha² − 8 beta
  fpSub(T6, beta, r);
  fpMul(T6, T6, alpha);
  fpSqr(gamma, gamma);
  fpAdd(gamma, gamma, gamma);
  fpAdd(gamma, gamma, gamma);
  fpReduce(gamma, gamma);            // 4 gamma²
  fpSub(T6, T6, gamma);
  fpSub(T6, T6, gamma);
  fpReduce(r + Y, T6);               // Y3 = alpha (4 beta − X3) − 8 gamma²
  fpCopy(r + Z, z3);
}

/**
 * r = p + q (Jacobian + Jacobian). r may alias p or q. Wrong when p or q is at infinity or
 * p = ±q (then Z3 = 0).
 */
export function jacAdd(r: usize, p: usize, q: usize): void {
  const h = T1, rr = T2, z1z1 = T3, z2z2 = T4, u1 = T5, s1 = T6;
  fpSqr(z1z1, p + Z);
  fpSqr(z2z2, q + Z);
  fpMul(u1, p, z2z2);
  fpMul(h, q, z1z1);
  fpSub(h, h, u1);                   // H = U2 − U1
  fpMul(s1, p + Y, q + Z);
  fpMul(s1, s1, z2z2);               // S1 = Y1 Z2³
  fpMul(rr, q + Y, p + Z);
  fpMul(rr, rr, z1z1);
  fpSub(rr, rr, s1);                 // S2 − S1
  fpMul(T7, p + Z, q + Z);
  fpMul(T7, T7, h);
  fpAdd(T7, T7, T7);
  fpReduce(r + Z, T7);               // Z3 = 2 Z1 Z2 H
  const i = z1z1, j = z2z2, v = T7;
  fpSqr(i, h);
  fpAdd(i, i, i);
  fpAdd(i, i, i);
  fpReduce(i, i);                    // I = (2H)²
  fpMul(j, h, i);                    // J = H I
  fpMul(v, u1, i);                   // V = U1 I
  fpAdd(u1, rr, rr);
  fpReduce(u1, u1);                  // r = 2 (S2 − S1)
  fpSqr(h, u1);
  fpSub(h, h, j);
  fpSub(h, h, v);
  fpSub(h, h, v);
  fpReduce(r, h);                    // X3 = r² − J − 2V
  fpSub(v, v, r);
  fpMul(v, v, u1);
  fpMul(s1, s1, j);
  fpSub(v, v, s1);
  fpSub(v, v, s1);
  fpReduce(r + Y, v);                // Y3 = r (V − X3) − 2 S1 J
}

/**
 * r = p + q with p Jacobian and q affine (Z2 = 1). r may alias p. Wrong when p is at infinity
 * or p = ±q.
 */
export function jacAddAffine(r: usize, p: usize, q: usize): void {
  const z1z1 = T1, h = T2, hh = T3, rr = T4, i = T5, j = T6, v = T7;
  fpSqr(z1z1, p + Z);
  fpMul(h, q, z1z1);
  fpSub(h, h, p);                    // H = U2 − X1
  fpMul(rr, q + Y, p + Z);
  fpMul(rr, rr, z1z1);
  fpSub(rr, rr, p + Y);
  fpAdd(rr, rr, rr);
  fpReduce(rr, rr);                  // r = 2 (S2 − Y1)
  fpMul(v, p + Z, h);
  fpAdd(v, v, v);
  fpReduce(r + Z, v);                // Z3 = 2 Z1 H
  fpSqr(hh, h);
  fpAdd(hh, hh, hh);
  fpAdd(hh, hh, hh);
  fpReduce(i, hh);                   // I = 4 H²
  fpMul(j, h, i);                    // J = H I
  fpMul(v, p, i);                    // V = X1 I
  fpMul(i, p + Y, j);                // Y1 J (p's Y is still intact)
  fpSqr(z1z1, rr);
  fpSub(z1z1, z1z1, j);
  fpSub(z1z1, z1z1, v);
  fpSub(z1z1, z1z1, v);
  fpReduce(r, z1z1);                 // X3 = r² − J − 2V
  fpSub(v, v, r);
  fpMul(v, v, rr);
  fpSub(v, v, i);
  fpSub(v, v, i);
  fpReduce(r + Y, v);                // Y3 = r (V − X3) − 2 Y1 J
}

/** All ones when the Jacobian point at p is the point at infinity (Z ≡ 0), else 0. */
export function jacIsInfinityMask(p: usize): u64 {
  return fpIsZeroMask(p + Z);
}

/** out (affine) = p. Returns false (out is then zero) when p is at infinity. */
export function jacToAffine(out: usize, p: usize): bool {
  const zinv = T1, zinv2 = T2;
  fpInv(zinv, p + Z);                // 0 when Z ≡ 0
  fpSqr(zinv2, zinv);
  fpMul(out, p, zinv2);
  fpMul(zinv2, zinv2, zinv);
  fpMul(out + Y, p + Y, zinv2);
  return jacIsInfinityMask(p) == 0;
}

/**
 * Read a public key x ‖ y (64 big-endian bytes at src) into the affine point out, and check it
 * is a point of the curve: x, y < p and y² = x³ − 3x + b. (A curve point is never at infinity,
 * and the cofactor is 1, so every such point has order n.) Public data: the result may leak.
 */
export function affineFromBytes(out: usize, src: usize): bool {
  const ok = fpFromBytes(out, src) & fpFromBytes(out + Y, src + 32);
  return ok != 0 && isOnCurve(out);
}

/** t = x³ − 3x + b for the x at a (not reduced: a sum of five tight elements). */
export function curveRhs(t: usize, a: usize): void {
  fpSqr(t, a);
  fpMul(t, t, a);                    // x³
  fpSub(t, t, a);
  fpSub(t, t, a);
  fpSub(t, t, a);
  fpAdd(t, t, fpB());
}

/** True when the affine point satisfies y² = x³ − 3x + b. */
export function isOnCurve(a: usize): bool {
  curveRhs(T1, a);
  fpSqr(T2, a + Y);
  return fpEqual(T1, T2);
}

/** Write the affine point as x ‖ y, 64 big-endian bytes of canonical coordinates. */
export function affineToBytes(dst: usize, a: usize): void {
  fpToBytes(dst, a);
  fpToBytes(dst + 32, a + Y);
}

/** Zero the formulas' scratch (it held intermediate values of secret multiples). */
export function pointWipeScratch(): void {
  memory.fill(T1, 0, FE_SIZE); memory.fill(T2, 0, FE_SIZE); memory.fill(T3, 0, FE_SIZE);
  memory.fill(T4, 0, FE_SIZE); memory.fill(T5, 0, FE_SIZE); memory.fill(T6, 0, FE_SIZE);
  memory.fill(T7, 0, FE_SIZE);
}
