// SM2 public-key encryption (GB/T 32918.4-2016 §6–7), ciphertext C = C1 ‖ C3 ‖ C2:
//   k ∈ [1, n − 1] from host entropy; C1 = [k]G as 04 ‖ x1 ‖ y1 (65 bytes);
//   (x2, y2) = [k]P_B; t = KDF(x2 ‖ y2, klen) (retry with a new k if t is all zero);
//   C2 = M ⊕ t; C3 = SM3(x2 ‖ M ‖ y2) (32 bytes).
// Decryption checks C1 is a point of the curve, computes (x2, y2) = [d_B]C1 and t, and releases
// M' = C2 ⊕ t only when SM3(x2 ‖ M' ‖ y2) = C3 (compared in constant time); otherwise nothing
// is written. The KDF (GB/T 32918.4 §5.4.3, counter from 1) is run block by block from an SM3
// state that has absorbed x2 ‖ y2 once, so no buffer of klen bytes is needed.
import { hostRandom } from "../host";
import { useCurve, CURVE_SM2 } from "../ec/curve";
import { wipe } from "../mem";
import { ctEqual } from "../ct";
import { OK, ERR_BAD_LENGTH, ERR_BAD_POINT, ERR_BAD_SCALAR, ERR_RNG_FAILED, ERR_VERIFY_FAILED } from "../status";
import { SM3_CTX_SIZE, sm3Init, sm3Update, sm3Final } from "../sm3/sm3";
import { bnFromBytes } from "../ec/bn";
import { snIsPrivateMask, snIsNonZeroMask } from "../ec/scalar";
import { JAC_SIZE, AFFINE_SIZE, affineFromBytes, affineToBytes, jacToAffine, pointWipeScratch } from "../ec/point";
import { mulBase, mulPoint } from "../ec/mul";

/** Bytes of C1 (04 ‖ x1 ‖ y1) plus C3. */
export const SM2_CIPHER_OVERHEAD: usize = 97;
const TRIES = 16;

const KDF_BASE: usize = memory.data(<i32>SM3_CTX_SIZE, 16);  // SM3 state after x2 ‖ y2
const KDF_WORK: usize = memory.data(<i32>SM3_CTX_SIZE, 16);
const HASH: usize = memory.data(<i32>SM3_CTX_SIZE, 16);      // C3 = SM3(x2 ‖ M ‖ y2)
const T: usize = memory.data(32, 16);                        // one KDF block
const CTR: usize = memory.data(4, 4);
const XY2: usize = memory.data(64, 16);                      // x2 ‖ y2
const C1: usize = memory.data(68, 16);                       // 04 ‖ x1 ‖ y1
const C3: usize = memory.data(32, 16);
const K: usize = memory.data(32, 16);
const PT: usize = memory.data(<i32>JAC_SIZE, 16);
const Q: usize = memory.data(<i32>AFFINE_SIZE, 16);

function wipeAll(): void {
  wipe(KDF_BASE, SM3_CTX_SIZE); wipe(KDF_WORK, SM3_CTX_SIZE); wipe(HASH, SM3_CTX_SIZE);
  wipe(T, 32); wipe(XY2, 64); wipe(C1, 68); wipe(C3, 32); wipe(K, 32);
  wipe(PT, JAC_SIZE); wipe(Q, AFFINE_SIZE);
  pointWipeScratch();
}

/** KDF block `ct` (counter from 1) of x2 ‖ y2 into T. */
function kdfBlock(ct: u32): void {
  memory.copy(KDF_WORK, KDF_BASE, SM3_CTX_SIZE);
  store<u32>(CTR, bswap<u32>(ct));
  sm3Update(KDF_WORK, CTR, 4);
  sm3Final(KDF_WORK, T);
}

/** Start the KDF over XY2. Returns whether t (len bytes) has a non-zero bit. */
function kdfStart(len: usize): bool {
  sm3Init(KDF_BASE);
  sm3Update(KDF_BASE, XY2, 64);
  let any: u32 = 0;
  let ct: u32 = 1;
  for (let off: usize = 0; off < len; off += 32, ct++) {
    kdfBlock(ct);
    const n = min<usize>(32, len - off);
    for (let i: usize = 0; i < n; i++) any |= load<u8>(T + i);
  }
  return any != 0;
}

/** dst = src ⊕ t over len bytes (KDF_BASE started). */
function xorKdf(dst: usize, src: usize, len: usize): void {
  let ct: u32 = 1;
  for (let off: usize = 0; off < len; off += 32, ct++) {
    kdfBlock(ct);
    const n = min<usize>(32, len - off);
    for (let i: usize = 0; i < n; i++) store<u8>(dst + off + i, load<u8>(src + off + i) ^ load<u8>(T + i));
  }
}

/**
 * Encrypt msg (msgLen ≥ 1 bytes) to the public key pub (x ‖ y): C1 ‖ C3 ‖ C2 (97 + msgLen bytes)
 * into out, which must not overlap msg. ERR_BAD_POINT, ERR_BAD_LENGTH (empty message),
 * ERR_RNG_FAILED.
 */
export function sm2Encrypt(pub: usize, msg: usize, msgLen: usize, out: usize): i32 {
  useCurve(CURVE_SM2);
  if (msgLen == 0) return ERR_BAD_LENGTH;
  if (!affineFromBytes(Q, pub)) { wipeAll(); return ERR_BAD_POINT; }
  for (let i = 0; i < TRIES; i++) {
    if (hostRandom(K, 32) != 0) break;
    bnFromBytes(K, K);
    if (snIsNonZeroMask(K) == 0) continue;              // k = 0 or ≥ n: draw again
    mulBase(PT, K);
    jacToAffine(PT, PT);
    store<u8>(C1, 0x04);
    affineToBytes(C1 + 1, PT);
    mulPoint(PT, Q, K);                                  // [k]P_B (never infinity: h = 1)
    jacToAffine(PT, PT);
    affineToBytes(XY2, PT);
    if (!kdfStart(msgLen)) continue;                     // t all zero: new k
    sm3Init(HASH);
    sm3Update(HASH, XY2, 32);
    sm3Update(HASH, msg, msgLen);
    sm3Update(HASH, XY2 + 32, 32);
    sm3Final(HASH, C3);
    xorKdf(out + SM2_CIPHER_OVERHEAD, msg, msgLen);
    memory.copy(out, C1, 65);
    memory.copy(out + 65, C3, 32);
    wipeAll();
    return OK;
  }
  wipeAll();
  return ERR_RNG_FAILED;
}

/**
 * Decrypt C1 ‖ C3 ‖ C2 (cLen ≥ 98 bytes) with the private key d: M (cLen − 97 bytes) into out,
 * which must not overlap c. ERR_BAD_LENGTH, ERR_BAD_SCALAR (d), ERR_BAD_POINT (C1 not 04 ‖ a
 * point of the curve), ERR_VERIFY_FAILED (C3 does not match, or t is all zero); nothing is
 * written on failure.
 */
export function sm2Decrypt(d: usize, c: usize, cLen: usize, out: usize): i32 {
  useCurve(CURVE_SM2);
  if (cLen <= SM2_CIPHER_OVERHEAD) return ERR_BAD_LENGTH;
  const len = cLen - SM2_CIPHER_OVERHEAD, c2 = c + SM2_CIPHER_OVERHEAD;
  if (load<u8>(c) != 0x04 || !affineFromBytes(Q, c + 1)) { wipeAll(); return ERR_BAD_POINT; }
  bnFromBytes(K, d);
  if (snIsPrivateMask(K) == 0) { wipeAll(); return ERR_BAD_SCALAR; }
  mulPoint(PT, Q, K);
  jacToAffine(PT, PT);
  affineToBytes(XY2, PT);
  let ok = kdfStart(len);
  // pass 1: C3' = SM3(x2 ‖ (C2 ⊕ t) ‖ y2), block by block, nothing written to out
  sm3Init(HASH);
  sm3Update(HASH, XY2, 32);
  let ct: u32 = 1;
  for (let off: usize = 0; off < len; off += 32, ct++) {
    kdfBlock(ct);
    const n = min<usize>(32, len - off);
    for (let i: usize = 0; i < n; i++) store<u8>(T + i, load<u8>(c2 + off + i) ^ load<u8>(T + i));
    sm3Update(HASH, T, n);
  }
  sm3Update(HASH, XY2 + 32, 32);
  sm3Final(HASH, C3);
  ok = ctEqual(C3, c + 65, 32) && ok;
  // pass 2: release M
  if (ok) xorKdf(out, c2, len);
  wipeAll();
  return ok ? OK : ERR_VERIFY_FAILED;
}
