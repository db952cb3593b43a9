// Points of the selected curve y² = x³ + ax + b over F_p (curve.ts: SM2 of GB/T 32918.5-2017 or
// P-256 of SEC 2 §2.4.2; both have a = −3).
// Jacobian coordinates (X, Y, Z) ↔ affine (X/Z², Y/Z³); Z = 0 is the point at infinity.
// Layout: affine = x ‖ y (AFFINE_SIZE bytes), Jacobian = X ‖ Y ‖ Z (JAC_SIZE bytes), each a
// field element (field.ts: Montgomery domain, tight limbs). Formulas from the Explicit-Formulas
// Database: dbl-2001-b (a = −3) with 4β computed as X·4γ and Z3 as 2Y·Z, add-1998-cmo-2 and
// madd-2004-hmv (no factor 2 in H and R, so Z3 = Z1·Z2·H and Z1·H are products). Every
// multiplication input is a sum or difference of at most four tight elements within field.ts's
// limb rule (L_a·L_b ≤ 14); Z3 comes out of a multiplication tight, X3 and Y3 go through
// fpReduce — two reductions per formula. One square is past field.ts's value rule: the
// doubling's alpha = 3·(X − δ)(X + δ) is squared unreduced (3 × 3 limbs, value ≤ 5.1p), which
// gives the right residue with a value up to 1.82p, and that result only feeds X3's fpReduce.
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
  const delta = T1, gamma2 = T2, beta4 = T3, alpha = T4;
  fpSqr(delta, p + Z);               // delta = Z²
  fpSqr(gamma2, p + Y);              // gamma = Y²
  fpAdd(T5, p + Y, p + Y);
  fpMul(r + Z, T5, p + Z);           // Z3 = 2Y · Z (2 × 1): tight; Z is not read again
  fpAdd(gamma2, gamma2, gamma2);     // 2 gamma
  fpAdd(T5, gamma2, gamma2);
  fpMul(beta4, p, T5);               // 4 beta = X · 4 gamma (1 × 4): tight
  fpSub(T6, p, delta);
  fpAdd(T7, p, delta);
  fpMul(T6, T6, T7);
  fpAdd(alpha, T6, T6);
  fpAdd(alpha, alpha, T6);           // alpha = 3 (X − delta)(X + delta): 3 limbs, not reduced
  fpSqr(T6, alpha);                  // 3 × 3 ≤ 14; the value may pass 1.7p, fpReduce follows
  fpSub(T6, T6, beta4);
  fpSub(T6, T6, beta4);
  fpReduce(r, T6);                   // X3 = alpha² − 8 beta
  fpSub(T6, beta4, r);
  fpMul(T6, T6, alpha);              // (4 beta − X3) · alpha (2 × 3): tight
  fpSqr(gamma2, gamma2);             // (2 gamma)² (2 × 2): tight
  fpSub(T6, T6, gamma2);
  fpSub(T6, T6, gamma2);
  fpReduce(r + Y, T6);               // Y3 = alpha (4 beta − X3) − 8 gamma²
}

/**
 * The end both additions share (add-1998-cmo-2, madd-2004-hmv): from H and R (2 limbs each) and
 * U1, S1 (tight; X1 and Y1 in the mixed form), X3 = R² − H³ − 2V and Y3 = R (V − X3) − S1 H³ with
 * V = U1 H², into r (Z3 is the caller's). Scratch: T3 … T7, written in that order, each after
 * the reads before it — so u1 may be T5 and s1 T6; h and rr lie outside T3 … T7. u1 and s1 are
 * read before r is written, so they may lie in r. Inlined: it is the hot end of every addition.
 */
// @ts-ignore: decorator
@inline
function addFinish(r: usize, h: usize, rr: usize, u1: usize, s1: usize): void {
  const hh = T3, hhh = T4, v = T5, shhh = T6;
  fpSqr(hh, h);                      // H² (2 × 2)
  fpMul(hhh, h, hh);                 // H³
  fpMul(v, u1, hh);                  // V = U1 H²
  fpMul(shhh, s1, hhh);              // S1 H³
  fpSqr(T7, rr);
  fpSub(T7, T7, hhh);
  fpSub(T7, T7, v);
  fpSub(T7, T7, v);
  fpReduce(r, T7);                   // X3 = R² − H³ − 2V
  fpSub(v, v, r);
  fpMul(v, v, rr);                   // (V − X3) · R (2 × 2)
  fpSub(v, v, shhh);
  fpReduce(r + Y, v);                // Y3 = R (V − X3) − S1 H³
}

/**
 * r = p + q (Jacobian + Jacobian). r may alias p or q. Wrong when p or q is at infinity or
 * p = ±q (then Z3 = 0).
 */
export function jacAdd(r: usize, p: usize, q: usize): void {
  const h = T1, rr = T2, z1z1 = T3, z2z2 = T4, u1 = T5, s1 = T6;
  fpSqr(z1z1, p + Z);
  fpSqr(z2z2, q + Z);
  fpMul(u1, p, z2z2);                // U1 = X1 Z2²
  fpMul(h, q, z1z1);
  fpSub(h, h, u1);                   // H = U2 − U1 (2 limbs)
  fpMul(s1, p + Y, q + Z);
  fpMul(s1, s1, z2z2);               // S1 = Y1 Z2³
  fpMul(rr, q + Y, p + Z);
  fpMul(rr, rr, z1z1);
  fpSub(rr, rr, s1);                 // R = S2 − S1 (2 limbs)
  fpMul(T7, p + Z, q + Z);
  fpMul(r + Z, T7, h);               // Z3 = Z1 Z2 H (1 × 2): tight; Z1, Z2 are not read again
  addFinish(r, h, rr, u1, s1);
}

/**
 * r = p + q with p Jacobian and q affine (Z2 = 1). r may alias p. Wrong when p is at infinity
 * or p = ±q.
 */
export function jacAddAffine(r: usize, p: usize, q: usize): void {
  const h = T1, rr = T2, z1z1 = T3;
  fpSqr(z1z1, p + Z);
  fpMul(h, q, z1z1);
  fpSub(h, h, p);                    // H = U2 − X1 (2 limbs)
  fpMul(rr, q + Y, p + Z);
  fpMul(rr, rr, z1z1);
  fpSub(rr, rr, p + Y);              // R = S2 − Y1 (2 limbs)
  fpMul(r + Z, p + Z, h);            // Z3 = Z1 H (1 × 2): tight; Z1 is not read again
  addFinish(r, h, rr, p, p + Y);     // U1 = X1, S1 = Y1 (p's X and Y are still intact)
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
