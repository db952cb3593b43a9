// SM2 digital signatures (GB/T 32918.2-2016 §6–7):
//   Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A), ENTL_A = bit length of ID_A (2 bytes)
//   e = SM3(Z_A ‖ M); k ∈ [1, n − 1] from host entropy; (x1, y1) = [k]G
//   r = (e + x1) mod n (retry if r = 0 or r + k = n); s = (1 + d)^(−1) (k − r d) mod n (retry if 0)
// Verification: r, s ∈ [1, n − 1], t = (r + s) mod n ≠ 0, (x1, y1) = [s]G + [t]P_A,
// accept when (e + x1) mod n = r. Signatures are r ‖ s, 64 big-endian bytes.
// k is drawn straight from the host (32 bytes, rejected when 0 or ≥ n), so a test host can
// replay the standard's worked example.
import { hostRandom } from "../host";
import { useCurve, CURVE_SM2 } from "../ec/curve";
import { wipe } from "../mem";
import { OK, ERR_BAD_LENGTH, ERR_BAD_POINT, ERR_BAD_SCALAR, ERR_RNG_FAILED, ERR_VERIFY_FAILED } from "../status";
import { SM3_CTX_SIZE, sm3Init, sm3Update, sm3Final } from "../sm3/sm3";
import { bnFromBytes, bnToBytes, bnIsZeroMask, bnAdd, bnEqual } from "../ec/bn";
import { snAdd, snSub, snMul, snInv, snReduce, snIsPrivateMask, snIsNonZeroMask } from "../ec/scalar";
import { affineFromBytes } from "../ec/point";
import { mulBase, mulAddPublic } from "../ec/mul";
import {
  SIG_H as Z, SIG_E as E, SIG_D as D, SIG_K as KK, SIG_R as RR, SIG_S as SS, SIG_T as T, SIG_PT as PT, SIG_AFF as AFF,
  SIG_RND as RND, sigWipe, sigXModN,
} from "../ec/sig-scratch";

/** Longest ID: its bit length must fit ENTL's 16 bits. */
export const SM2_MAX_ID_LEN: usize = 8191;
/** Attempts at drawing k before giving up. */
const SIGN_TRIES = 16;

/** a ‖ b ‖ x_G ‖ y_G, big-endian, as hashed into Z_A. */
const CURVE_BYTES: usize = memory.data<u8>([
  0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc,
  0x28, 0xe9, 0xfa, 0x9e, 0x9d, 0x9f, 0x5e, 0x34, 0x4d, 0x5a, 0x9e, 0x4b, 0xcf, 0x65, 0x09, 0xa7,
  0xf3, 0x97, 0x89, 0xf5, 0x15, 0xab, 0x8f, 0x92, 0xdd, 0xbc, 0xbd, 0x41, 0x4d, 0x94, 0x0e, 0x93,
  0x32, 0xc4, 0xae, 0x2c, 0x1f, 0x19, 0x81, 0x19, 0x5f, 0x99, 0x04, 0x46, 0x6a, 0x39, 0xc9, 0x94,
  0x8f, 0xe3, 0x0b, 0xbf, 0xf2, 0x66, 0x0b, 0xe1, 0x71, 0x5a, 0x45, 0x89, 0x33, 0x4c, 0x74, 0xc7,
  0xbc, 0x37, 0x36, 0xa2, 0xf4, 0xf6, 0x77, 0x9c, 0x59, 0xbd, 0xce, 0xe3, 0x6b, 0x69, 0x21, 0x53,
  0xd0, 0xa9, 0x87, 0x7c, 0xc6, 0x2a, 0x47, 0x40, 0x02, 0xdf, 0x32, 0xe5, 0x21, 0x39, 0xf0, 0xa0,
]);

const CTX: usize = memory.data(<i32>SM3_CTX_SIZE, 16);
const ENTL: usize = memory.data(2);
const DINV: usize = memory.data(32, 16);   // (1 + d)^(−1)

/** z = Z_A over the ID (idLen ≤ SM2_MAX_ID_LEN) and public key x ‖ y (big-endian bytes). */
export function sm2Za(pub: usize, id: usize, idLen: usize, z: usize): void {
  const bits = <u32>idLen << 3;
  store<u8>(ENTL, <u8>(bits >> 8));
  store<u8>(ENTL, <u8>bits, 1);
  sm3Init(CTX);
  sm3Update(CTX, ENTL, 2);
  sm3Update(CTX, id, idLen);
  sm3Update(CTX, CURVE_BYTES, 128);
  sm3Update(CTX, pub, 64);
  sm3Final(CTX, z);
}

/** E = SM3(Z_A ‖ M) mod n. */
function digest(pub: usize, id: usize, idLen: usize, msg: usize, msgLen: usize): void {
  sm2Za(pub, id, idLen, Z);
  sm3Init(CTX);
  sm3Update(CTX, Z, 32);
  sm3Update(CTX, msg, msgLen);
  sm3Final(CTX, E);
  bnFromBytes(E, E);
  snReduce(E, E);
}

function wipeAll(): void {
  wipe(DINV, 32);
  sigWipe();
}

/** Load d into D and check it; (1 + d)^(−1) into DINV. ERR_BAD_SCALAR when d ∉ [1, n − 2]. */
function loadSigner(d: usize): i32 {
  bnFromBytes(D, d);
  if (snIsPrivateMask(D) == 0) return ERR_BAD_SCALAR;
  memory.fill(DINV, 0, 32);
  store<u32>(DINV, 1);
  bnAdd(DINV, DINV, D);                                  // d ≤ n − 2, so 1 + d ∈ [2, n − 1]
  snInv(DINV, DINV);
  return OK;
}

/** The signing loop over E (digest mod n), D (key) and DINV = (1 + d)^(−1). */
function signLoop(sigOut: usize): i32 {
  for (let i = 0; i < SIGN_TRIES; i++) {
    if (hostRandom(RND, 32) != 0) break;
    bnFromBytes(KK, RND);
    if (snIsNonZeroMask(KK) == 0) continue;             // k = 0 or ≥ n: draw again
    mulBase(PT, KK);
    sigXModN(RR, PT);                                    // x1 mod n ([k]G is finite: 0 < k < n)
    snAdd(RR, E, RR);                                    // r = (e + x1) mod n
    snAdd(SS, RR, KK);
    if ((bnIsZeroMask(RR) | bnIsZeroMask(SS)) != 0) continue; // r = 0 or r + k = n
    snMul(SS, RR, D);
    snSub(SS, KK, SS);
    snMul(SS, SS, DINV);                                 // s = (1 + d)^(−1) (k − r d)
    if (bnIsZeroMask(SS) != 0) continue;
    bnToBytes(sigOut, RR);
    bnToBytes(sigOut + 32, SS);
    wipeAll();
    return OK;
  }
  wipeAll();
  return ERR_RNG_FAILED;
}

/**
 * Sign msg with the private key d (32 bytes) whose public key is pub (x ‖ y, used in Z_A) under
 * the signer ID: r ‖ s (64 bytes) into sigOut. ERR_BAD_SCALAR (d ∉ [1, n − 2]), ERR_BAD_POINT
 * (pub not on the curve), ERR_BAD_LENGTH (idLen > 8191), ERR_RNG_FAILED.
 */
export function sm2Sign(d: usize, pub: usize, id: usize, idLen: usize, msg: usize, msgLen: usize, sigOut: usize): i32 {
  useCurve(CURVE_SM2);
  if (idLen > SM2_MAX_ID_LEN) return ERR_BAD_LENGTH;
  if (!affineFromBytes(AFF, pub)) { wipeAll(); return ERR_BAD_POINT; }
  const st = loadSigner(d);
  if (st != OK) { wipeAll(); return st; }
  digest(pub, id, idLen, msg, msgLen);
  return signLoop(sigOut);
}

/** Sign the 32-byte digest e = SM3(Z_A ‖ M) with d: r ‖ s into sigOut. As sm2Sign. */
export function sm2SignDigest(d: usize, e: usize, sigOut: usize): i32 {
  useCurve(CURVE_SM2);
  const st = loadSigner(d);
  if (st != OK) { wipeAll(); return st; }
  bnFromBytes(E, e);
  snReduce(E, E);
  return signLoop(sigOut);
}

/** Load r, s from sig into RR, SS and pub into AFF; ERR_BAD_SCALAR / ERR_BAD_POINT. */
function loadVerify(pub: usize, sig: usize): i32 {
  bnFromBytes(RR, sig);
  bnFromBytes(SS, sig + 32);
  if ((snIsNonZeroMask(RR) & snIsNonZeroMask(SS)) == 0) return ERR_BAD_SCALAR;
  if (!affineFromBytes(AFF, pub)) return ERR_BAD_POINT;
  return OK;
}

/** [s]G + [t]P_A, compared with r, for E, RR, SS, AFF loaded. */
function verifyLoaded(): i32 {
  snAdd(T, RR, SS);                                      // t = (r + s) mod n
  if (bnIsZeroMask(T) != 0) { wipeAll(); return ERR_VERIFY_FAILED; }
  mulAddPublic(PT, SS, AFF, T);                          // public scalars: variable time
  let ok = false;
  if (sigXModN(T, PT)) {
    snAdd(T, E, T);                                      // R = (e + x1) mod n
    ok = bnEqual(T, RR);
  }
  wipeAll();
  return ok ? OK : ERR_VERIFY_FAILED;
}

/**
 * Verify the signature r ‖ s (64 bytes) of msg under the public key pub (x ‖ y) and signer ID.
 * OK; ERR_VERIFY_FAILED; ERR_BAD_SCALAR when r or s ∉ [1, n − 1]; ERR_BAD_POINT when pub is not
 * a point of the curve; ERR_BAD_LENGTH when idLen > 8191.
 */
export function sm2Verify(pub: usize, id: usize, idLen: usize, msg: usize, msgLen: usize, sig: usize): i32 {
  useCurve(CURVE_SM2);
  if (idLen > SM2_MAX_ID_LEN) return ERR_BAD_LENGTH;
  const st = loadVerify(pub, sig);
  if (st != OK) { wipeAll(); return st; }
  digest(pub, id, idLen, msg, msgLen);
  return verifyLoaded();
}

/** Verify r ‖ s over the 32-byte digest e = SM3(Z_A ‖ M) under pub. As sm2Verify. */
export function sm2VerifyDigest(pub: usize, e: usize, sig: usize): i32 {
  useCurve(CURVE_SM2);
  const st = loadVerify(pub, sig);
  if (st != OK) { wipeAll(); return st; }
  bnFromBytes(E, e);
  snReduce(E, E);
  return verifyLoaded();
}
