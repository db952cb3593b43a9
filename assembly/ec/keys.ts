// Key pairs and ECDH on the selected curve (curve.ts) — SM2: GB/T 32918.1-2016 §6, GB/T 32918.3
// for the shared point; P-256: SEC 1 §3.2.1 (keys), §3.3.1 (ECDH primitive), §2.3.4 (decoding):
// private keys d (SM2 ∈ [1, n − 2], P-256 ∈ [1, n − 1]) drawn from host entropy by rejection,
// public keys P = [d]G as x ‖ y (64 big-endian bytes), the compressed form 02/03 ‖ x decoded
// with a square root, and ECDH = the x-coordinate of [d]Q after checking Q is a point of the
// curve (full public-key validation: both curves have cofactor 1).
import { hostRandom } from "../host";
import { wipe } from "../mem";
import { OK, ERR_BAD_POINT, ERR_BAD_SCALAR, ERR_RNG_FAILED, ERR_BAD_LENGTH } from "../status";
import { bnFromBytes } from "./bn";
import { FE_SIZE, fpFromBytes, fpToBytes, fpSqrt, fpNeg, fpReduce, fpParity } from "./field";
import { snIsPrivateMask } from "./scalar";
import { AFFINE_SIZE, JAC_SIZE, affineFromBytes, affineToBytes, jacToAffine, curveRhs, pointWipeScratch } from "./point";
import { mulBase, mulPoint } from "./mul";

/** Attempts at drawing a private key before giving up (each fails with probability < 2^−32). */
const KEYGEN_TRIES = 16;

const D: usize = memory.data(32, 16);                  // private key (limbs)
const R: usize = memory.data(<i32>JAC_SIZE, 16);       // Jacobian result
const A: usize = memory.data(<i32>AFFINE_SIZE, 16);    // affine result / decoded point
const RND: usize = memory.data(32, 16);

function wipeAll(): void {
  wipe(D, 32); wipe(R, JAC_SIZE); wipe(A, AFFINE_SIZE); wipe(RND, 32);
  pointWipeScratch();
}

/** Public key x ‖ y of the private key in D (valid) into pubOut. */
function publicOf(pubOut: usize): void {
  mulBase(R, D);
  jacToAffine(A, R);
  affineToBytes(pubOut, A);
}

/**
 * Draw a key pair: d (32 bytes, big-endian) into dOut and P = [d]G (x ‖ y) into pubOut.
 * OK, or ERR_RNG_FAILED when the host's entropy failed (nothing is written then).
 */
export function ecKeygen(dOut: usize, pubOut: usize): i32 {
  for (let i = 0; i < KEYGEN_TRIES; i++) {
    if (hostRandom(RND, 32) != 0) break;
    bnFromBytes(D, RND);
    if (snIsPrivateMask(D) == 0) continue;            // out of range: draw again
    publicOf(pubOut);
    memory.copy(dOut, RND, 32);
    wipeAll();
    return OK;
  }
  wipeAll();
  return ERR_RNG_FAILED;
}

/** pubOut = [d]G (x ‖ y). ERR_BAD_SCALAR when d is not a private key of the curve. */
export function ecPublicFromPrivate(d: usize, pubOut: usize): i32 {
  bnFromBytes(D, d);
  if (snIsPrivateMask(D) == 0) {
    wipeAll();
    return ERR_BAD_SCALAR;
  }
  publicOf(pubOut);
  wipeAll();
  return OK;
}

/**
 * xOut = x-coordinate of [d]Q (32 bytes). ERR_BAD_POINT when Q (x ‖ y) is not a point of the
 * curve (a coordinate ≥ p, off the curve; the encoding has no point at infinity);
 * ERR_BAD_SCALAR when d is not a private key of the curve. Nothing is written on failure.
 */
export function ecEcdh(d: usize, peerPub: usize, xOut: usize): i32 {
  if (!affineFromBytes(A, peerPub)) {
    wipeAll();
    return ERR_BAD_POINT;
  }
  bnFromBytes(D, d);
  if (snIsPrivateMask(D) == 0) {
    wipeAll();
    return ERR_BAD_SCALAR;
  }
  mulPoint(R, A, D);
  const finite = jacToAffine(A, R);               // always finite: Q has order n, 0 < d < n
  if (finite) fpToBytes(xOut, A);
  wipeAll();
  return finite ? OK : ERR_BAD_POINT;
}

/** OK when the 64 bytes x ‖ y at `pub` are a point of the curve, else ERR_BAD_POINT. */
export function ecCheckPublic(pub: usize): i32 {
  const ok = affineFromBytes(A, pub);
  wipe(A, AFFINE_SIZE);
  return ok ? OK : ERR_BAD_POINT;
}

/**
 * Decode a public key in any of its encodings into x ‖ y (64 bytes at out):
 * 64 bytes x ‖ y, 65 bytes 04 ‖ x ‖ y, or 33 bytes 02/03 ‖ x (y recovered as a square root, its
 * parity given by the prefix). ERR_BAD_LENGTH for another length, ERR_BAD_POINT for a wrong
 * prefix, a coordinate ≥ p, x with no point, or a point off the curve. out may alias src.
 */
export function ecDecodePoint(src: usize, len: usize, out: usize): i32 {
  if (len == 64 || len == 65) {
    if (len == 65 && load<u8>(src) != 0x04) return ERR_BAD_POINT;
    const ok = affineFromBytes(A, src + len - 64);
    if (ok) affineToBytes(out, A);
    wipe(A, AFFINE_SIZE);
    return ok ? OK : ERR_BAD_POINT;
  }
  if (len != 33) return ERR_BAD_LENGTH;
  const prefix = load<u8>(src);
  if (prefix != 0x02 && prefix != 0x03) return ERR_BAD_POINT;
  let ok = fpFromBytes(A, src + 1) != 0;              // x < p
  const y = A + FE_SIZE, rhs = R;
  curveRhs(rhs, A);                                   // y² = x³ − 3x + b
  fpReduce(rhs, rhs);
  ok = fpSqrt(y, rhs) && ok;                          // x with no point: rhs is not a square
  if (ok) {
    // pick the root whose parity is the prefix's (y ≠ 0: there is no point of order 2)
    if (fpParity(y) != <u32>(prefix & 1)) fpNeg(y, y);
    affineToBytes(out, A);
  }
  wipeAll();
  return ok ? OK : ERR_BAD_POINT;
}
