// ECDSA on P-256 with SHA-256 (FIPS 186-5 §6.4, SEC 1 §4.1):
//   e = the digest as an integer (SHA-256's 256 bits are n's length, so no truncation), mod n;
//   k ∈ [1, n − 1] from host entropy; (x1, y1) = [k]G; r = x1 mod n (retry if 0);
//   s = k^(−1) (e + r d) mod n (retry if 0).
// Verification: r, s ∈ [1, n − 1]; w = s^(−1); (x1, y1) = [e w]G + [r w]Q, not infinity;
// accept when x1 mod n = r. Signatures are r ‖ s, 64 big-endian bytes; s is not normalised
// (both s and n − s verify, as FIPS 186-5 says).
// k is drawn straight from the host (32 bytes, rejected when 0 or ≥ n) — a test host can replay
// RFC 6979's k values, and a host that wants deterministic signatures controls `random`.
import { hostRandom } from "../host";
import { OK, ERR_BAD_POINT, ERR_BAD_SCALAR, ERR_RNG_FAILED, ERR_VERIFY_FAILED } from "../status";
import { sha256 } from "../sha256/sha256";
import { useCurve, CURVE_P256 } from "../ec/curve";
import { bnFromBytes, bnToBytes, bnIsZeroMask, bnEqual } from "../ec/bn";
import { snAdd, snMul, snInv, snReduce, snIsPrivateMask, snIsNonZeroMask } from "../ec/scalar";
import { affineFromBytes } from "../ec/point";
import { mulBase, mulAddPublic } from "../ec/mul";
import {
  SIG_H as H, SIG_E as E, SIG_D as D, SIG_K as KK, SIG_R as RR, SIG_S as SS, SIG_T as T, SIG_PT as PT,
  SIG_AFF as AFF, SIG_RND as RND, sigWipe as wipeAll, sigXModN,
} from "../ec/sig-scratch";

/** Attempts at drawing k before giving up. */
const SIGN_TRIES = 16;

/**
 * Sign the 32-byte digest e with the private key d (32 bytes): r ‖ s (64 bytes) into sigOut.
 * ERR_BAD_SCALAR (d ∉ [1, n − 1]), ERR_RNG_FAILED. Nothing is written on failure.
 */
export function ecdsaP256SignDigest(d: usize, e: usize, sigOut: usize): i32 {
  useCurve(CURVE_P256);
  bnFromBytes(D, d);
  if (snIsPrivateMask(D) == 0) { wipeAll(); return ERR_BAD_SCALAR; }
  bnFromBytes(E, e);
  snReduce(E, E);
  for (let i = 0; i < SIGN_TRIES; i++) {
    if (hostRandom(RND, 32) != 0) break;
    bnFromBytes(KK, RND);
    if (snIsNonZeroMask(KK) == 0) continue;             // k = 0 or ≥ n: draw again
    mulBase(PT, KK);
    sigXModN(RR, PT);                                    // [k]G is finite: 0 < k < n
    if (bnIsZeroMask(RR) != 0) continue;                 // r = 0
    snMul(T, RR, D);
    snAdd(T, E, T);                                      // e + r d
    snInv(KK, KK);
    snMul(SS, KK, T);                                    // s = k^(−1) (e + r d)
    if (bnIsZeroMask(SS) != 0) continue;
    bnToBytes(sigOut, RR);
    bnToBytes(sigOut + 32, SS);
    wipeAll();
    return OK;
  }
  wipeAll();
  return ERR_RNG_FAILED;
}

/** Sign msg: ecdsaP256SignDigest over SHA-256(msg). */
export function ecdsaP256Sign(d: usize, msg: usize, msgLen: usize, sigOut: usize): i32 {
  sha256(msg, msgLen, H);
  return ecdsaP256SignDigest(d, H, sigOut);
}

/**
 * Verify r ‖ s (64 bytes) over the 32-byte digest e under the public key pub (x ‖ y). OK;
 * ERR_VERIFY_FAILED; ERR_BAD_SCALAR when r or s ∉ [1, n − 1] (checked first); ERR_BAD_POINT
 * when pub is not a point of the curve. Public data only: variable time.
 */
export function ecdsaP256VerifyDigest(pub: usize, e: usize, sig: usize): i32 {
  useCurve(CURVE_P256);
  bnFromBytes(RR, sig);
  bnFromBytes(SS, sig + 32);
  if ((snIsNonZeroMask(RR) & snIsNonZeroMask(SS)) == 0) { wipeAll(); return ERR_BAD_SCALAR; }
  if (!affineFromBytes(AFF, pub)) { wipeAll(); return ERR_BAD_POINT; }
  bnFromBytes(E, e);
  snReduce(E, E);
  snInv(SS, SS);                                         // w
  snMul(E, E, SS);                                       // u1 = e w (may be 0)
  snMul(T, RR, SS);                                      // u2 = r w (never 0)
  memory.copy(SS, RR, 32);                               // keep r
  mulAddPublic(PT, E, AFF, T);
  const ok = sigXModN(RR, PT) && bnEqual(RR, SS);
  wipeAll();
  return ok ? OK : ERR_VERIFY_FAILED;
}

/** Verify r ‖ s over SHA-256(msg) under pub. As ecdsaP256VerifyDigest. */
export function ecdsaP256Verify(pub: usize, msg: usize, msgLen: usize, sig: usize): i32 {
  sha256(msg, msgLen, H);
  return ecdsaP256VerifyDigest(pub, H, sig);
}
