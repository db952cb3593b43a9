// The working memory of the signature schemes (SM2 signatures in sm2/sign.ts, ECDSA in
// p256/ecdsa.ts): one set of buffers, since a call runs one scheme at a time, wiped as one; and
// the x1 mod n step both take from a point.
import { wipe } from "../mem";
import { scalarWipeScratch } from "./scalar";
import { JAC_SIZE, AFFINE_SIZE, pointWipeScratch, jacToAffine } from "./point";
import { bnFromBytes } from "./bn";
import { fpToBytes } from "./field";
import { snReduce } from "./scalar";

/** The message digest (32 bytes). */
export const SIG_H: usize = memory.data(32, 16);
/** e mod n (limbs). */
export const SIG_E: usize = memory.data(32, 16);
/** The private key (limbs). */
export const SIG_D: usize = memory.data(32, 16);
/** The per-signature k (limbs), or its inverse. */
export const SIG_K: usize = memory.data(32, 16);
/** r (limbs). */
export const SIG_R: usize = memory.data(32, 16);
/** s (limbs). */
export const SIG_S: usize = memory.data(32, 16);
/** A scalar temporary (limbs). */
export const SIG_T: usize = memory.data(32, 16);
/** A Jacobian point. */
export const SIG_PT: usize = memory.data(<i32>JAC_SIZE, 16);
/** An affine point. */
export const SIG_AFF: usize = memory.data(<i32>AFFINE_SIZE, 16);
/** 32 bytes from the host's entropy. */
export const SIG_RND: usize = memory.data(32, 16);

/**
 * out = the x-coordinate of the Jacobian point pt, mod n (x < p < 2n, so one subtraction), through
 * SIG_AFF: the "x1 mod n" of both signature schemes. False when pt is the point at infinity.
 */
export function sigXModN(out: usize, pt: usize): bool {
  const finite = jacToAffine(SIG_AFF, pt);
  fpToBytes(out, SIG_AFF);
  bnFromBytes(out, out);
  snReduce(out, out);
  return finite;
}

/** Zero every buffer above and the scalar and point scratch. */
export function sigWipe(): void {
  wipe(SIG_H, 32); wipe(SIG_E, 32); wipe(SIG_D, 32); wipe(SIG_K, 32); wipe(SIG_R, 32);
  wipe(SIG_S, 32); wipe(SIG_T, 32); wipe(SIG_PT, JAC_SIZE); wipe(SIG_AFF, AFFINE_SIZE);
  wipe(SIG_RND, 32);
  scalarWipeScratch();
  pointWipeScratch();
}
