// GCM (NIST SP 800-38D) over either block cipher of the module: SM4 (GB/T 32907-2016, as RFC 8998
// §3 uses it) and AES-128 (FIPS 197). The first parameter of every call, GCM_SM4 or GCM_AES, says
// which; it is fixed at each call site (sm4/gcm.ts and aes/gcm.ts are the typed entry points), a
// public choice that no secret influences. Any IV length >= 1 byte (12 bytes is the fast path,
// J0 = IV ‖ 0^31 ‖ 1), tags of 12..16 bytes on open. Open computes and checks the tag in constant
// time before it writes any plaintext, and writes nothing when the tag is wrong.
//
// One-shot seal/open for data already in linear memory, and a stream API (start, aad, then
// encrypt+finish, or absorb+verify+decrypt) for messages larger than the host's I/O region.
// A GCM context is the cipher's key context (SM4: key schedule, SM4_KEY_CTX_SIZE bytes; AES:
// round-key planes, AES_RK_SIZE bytes), then the GHASH key of H = E(K, 0^128).
import { SM4_KEY_CTX_SIZE, sm4SetKey, sm4Crypt1 } from "../sm4/sm4";
import { sm4Ctr } from "../sm4/modes";
import { AES_RK_SIZE, aesExpandKey, aesEncrypt1 } from "../aes/aes";
import { aesCtr } from "../aes/modes";
import { GHASH_KEY_SIZE, ghashSetKey, ghashReset, ghashUpdate, ghashWords, ghashOutput } from "./ghash";
import { ctEqual } from "../ct";
import { wipe } from "../mem";
import { OK, ERR_VERIFY_FAILED, ERR_BAD_LENGTH, ERR_NOT_INITIALISED } from "../status";
import { HAS_SM, HAS_INTL } from "../suites";

/** The block cipher of a GCM call. */
export const GCM_SM4: u32 = 0;
export const GCM_AES: u32 = 1;

/** c is AES (a build with one suite, suites.ts, answers at compile time). */
// @ts-ignore: decorator
@inline
export function isAes(c: u32): bool {
  return HAS_INTL && (!HAS_SM || c == GCM_AES);
}

/** Bytes of a GCM context of each cipher: key context, then GHASH key. */
export const SM4_GCM_CTX_SIZE: usize = SM4_KEY_CTX_SIZE + GHASH_KEY_SIZE;
export const AES_GCM_CTX_SIZE: usize = AES_RK_SIZE + GHASH_KEY_SIZE;

/** The GHASH key inside a GCM context of cipher c. */
// @ts-ignore: decorator
@inline
function hkOf(c: u32, gctx: usize): usize {
  return gctx + (isAes(c) ? AES_RK_SIZE : SM4_KEY_CTX_SIZE);
}

/** E(K, src) → dst, one block. */
function block(c: u32, gctx: usize, src: usize, dst: usize): void {
  if (isAes(c)) aesEncrypt1(gctx, src, dst);
  else sm4Crypt1(gctx, src, dst);
}

/** CTR with the 32-bit counter of GCM. */
function ctrBlocks(c: u32, gctx: usize, cb: usize, src: usize, dst: usize, len: usize, wide: bool): void {
  if (isAes(c)) aesCtr(gctx, cb, src, dst, len, wide);
  else sm4Ctr(gctx, cb, src, dst, len, wide);
}

/** Largest message for one IV: 2^32 - 2 blocks (SP 800-38D §5.2.1.1). */
const MAX_TEXT: u64 = (<u64>0xfffffffe) << 4;

// Scratch for one call: Y, counter block, E(K, J0), computed tag. Single-threaded module.
const SCRATCH: usize = memory.data(64, 16);
const Y: usize = SCRATCH;
const CTR: usize = SCRATCH + 16;
const EJ0: usize = SCRATCH + 32;
const TAG: usize = SCRATCH + 48;

/** Key the GCM context `gctx` of cipher c with the 16 raw key bytes at `key`. */
export function gcmInit(c: u32, gctx: usize, key: usize): void {
  if (isAes(c)) aesExpandKey(gctx, key);
  else sm4SetKey(gctx, key);
  if (ASC_FEATURE_SIMD) v128.store(TAG, i64x2.splat(0));
  else wipe(TAG, 16);
  block(c, gctx, TAG, TAG);
  ghashSetKey(hkOf(c, gctx), TAG);
  wipe(TAG, 16);
}

/** Pre-counter block J0 into `j0` (SP 800-38D §7.1 step 2). Uses `y` as GHASH scratch. */
function computeJ0(c: u32, gctx: usize, iv: usize, ivLen: usize, j0: usize, y: usize): void {
  if (ivLen == 12) {
    memory.copy(j0, iv, 12);
    store<u32>(j0, bswap<u32>(1), 12);
  } else {
    ghashReset(y);
    ghashUpdate(hkOf(c, gctx), y, iv, ivLen);
    ghashWords(hkOf(c, gctx), y, 0, <u64>ivLen << 3);
    ghashOutput(y, j0);
  }
}

/** inc32 (SP 800-38D §6.2) of the counter block at `cb`. */
// @ts-ignore: decorator
@inline
function inc32(cb: usize): void {
  store<u32>(cb, bswap<u32>(bswap<u32>(load<u32>(cb, 12)) + 1), 12);
}

/** Tag = E(K, J0) XOR GHASH(…, [len(A)]64 ‖ [len(C)]64) into `out` (16 bytes). */
function finishTag(c: u32, gctx: usize, y: usize, ej0: usize, aadLen: u64, ctLen: u64, out: usize): void {
  ghashWords(hkOf(c, gctx), y, aadLen << 3, ctLen << 3);
  ghashOutput(y, out);
  if (ASC_FEATURE_SIMD) {
    v128.store(out, v128.xor(v128.load(out), v128.load(ej0)));
  } else {
    store<u64>(out, load<u64>(out) ^ load<u64>(ej0));
    store<u64>(out, load<u64>(out, 8) ^ load<u64>(ej0, 8), 8);
  }
}

/** CTR over [src, src+len) into dst with GHASH of the ciphertext; `encrypt` picks which side is hashed. */
function cryptAndHash(c: u32, gctx: usize, y: usize, ctr: usize, src: usize, dst: usize, len: usize, encrypt: bool): void {
  // 4 KiB slices keep the ciphertext in L1 between the two passes, and make GHASH's per-call
  // set-up (the operands of H^1..H^4, zeroed again after each call) rare
  for (let i: usize = 0; i < len; i += 4096) {
    const n = min<usize>(4096, len - i);
    if (!encrypt) ghashUpdate(hkOf(c, gctx), y, src + i, n);
    ctrBlocks(c, gctx, ctr, src + i, dst + i, n, false);
    if (encrypt) ghashUpdate(hkOf(c, gctx), y, dst + i, n);
  }
}

/**
 * Encrypt `len` bytes at `src` into `dst` (src may equal dst) and write the 16-byte tag at `tag`.
 * The caller checks ranges and ivLen >= 1.
 */
export function gcmSeal(
  c: u32, gctx: usize, iv: usize, ivLen: usize, aad: usize, aadLen: usize,
  src: usize, len: usize, dst: usize, tag: usize,
): void {
  computeJ0(c, gctx, iv, ivLen, CTR, Y);
  block(c, gctx, CTR, EJ0);
  inc32(CTR);
  ghashReset(Y);
  ghashUpdate(hkOf(c, gctx), Y, aad, aadLen);
  cryptAndHash(c, gctx, Y, CTR, src, dst, len, true);
  finishTag(c, gctx, Y, EJ0, aadLen, len, tag);
  wipe(SCRATCH, 64);
}

/**
 * Check the `tagLen`-byte tag (12..16) of the `len` bytes at `src`, then decrypt them into `dst`
 * (src may equal dst). OK, ERR_VERIFY_FAILED (dst untouched) or ERR_BAD_LENGTH (tagLen).
 */
export function gcmOpen(
  c: u32, gctx: usize, iv: usize, ivLen: usize, aad: usize, aadLen: usize,
  src: usize, len: usize, tag: usize, tagLen: usize, dst: usize,
): i32 {
  if (tagLen < 12 || tagLen > 16) return ERR_BAD_LENGTH;
  computeJ0(c, gctx, iv, ivLen, CTR, Y);
  block(c, gctx, CTR, EJ0);
  inc32(CTR);
  ghashReset(Y);
  ghashUpdate(hkOf(c, gctx), Y, aad, aadLen);
  ghashUpdate(hkOf(c, gctx), Y, src, len);
  finishTag(c, gctx, Y, EJ0, aadLen, len, TAG);
  const ok = ctEqual(TAG, tag, tagLen);
  if (ok) ctrBlocks(c, gctx, CTR, src, dst, len, false);
  wipe(SCRATCH, 64);
  return ok ? OK : ERR_VERIFY_FAILED;
}

// ---- stream state (GCM_STREAM_SIZE bytes, owned by the caller) ----
//  +0 Y (16) · +16 counter block (16) · +32 E(K, J0) (16) · +48 AAD bytes (u64)
//  +56 text bytes absorbed or encrypted (u64) · +64 text bytes decrypted (u64) · +72 phase (u32)
export const GCM_STREAM_SIZE: usize = 80;
const S_Y: usize = 0;
const S_CTR: usize = 16;
const S_EJ0: usize = 32;
const S_AAD: usize = 48;
const S_TEXT: usize = 56;
const S_DONE: usize = 64;
const S_PHASE: usize = 72;

// phases
const P_IDLE: u32 = 0;
const P_AAD: u32 = 1; // started; AAD may follow
const P_ENC: u32 = 2; // encrypting; finish next
const P_ABSORB: u32 = 3; // hashing ciphertext before verify
const P_DEC: u32 = 4; // tag verified; decrypt the same ciphertext

/** Begin a message with the IV at `iv` (ivLen >= 1, checked by the caller). */
export function gcmStreamStart(c: u32, gctx: usize, s: usize, iv: usize, ivLen: usize): void {
  wipe(s, GCM_STREAM_SIZE);
  computeJ0(c, gctx, iv, ivLen, s + S_CTR, s + S_Y);
  block(c, gctx, s + S_CTR, s + S_EJ0);
  inc32(s + S_CTR);
  ghashReset(s + S_Y);
  store<u32>(s + S_PHASE, P_AAD);
}

/** Absorb AAD; every piece but the last must be a multiple of 16 bytes. */
export function gcmStreamAad(c: u32, gctx: usize, s: usize, src: usize, len: usize): i32 {
  if (load<u32>(s + S_PHASE) != P_AAD) return ERR_NOT_INITIALISED;
  const done = load<u64>(s + S_AAD);
  if ((done & 15) != 0 && len != 0) return ERR_BAD_LENGTH;
  ghashUpdate(hkOf(c, gctx), s + S_Y, src, len);
  store<u64>(s + S_AAD, done + len);
  return OK;
}

/** Shared checks of the text calls: phase move and the piece rule. */
function textStep(s: usize, len: usize, from: u32, to: u32): i32 {
  const phase = load<u32>(s + S_PHASE);
  if (phase != from && phase != to) return ERR_NOT_INITIALISED;
  const done = load<u64>(s + S_TEXT);
  if ((done & 15) != 0 && len != 0) return ERR_BAD_LENGTH;
  if (done + <u64>len > MAX_TEXT) return ERR_BAD_LENGTH;
  store<u64>(s + S_TEXT, done + len);
  store<u32>(s + S_PHASE, to);
  return OK;
}

/** Encrypt a piece (multiple of 16 bytes unless it is the last); src may equal dst. */
export function gcmStreamEncrypt(c: u32, gctx: usize, s: usize, src: usize, dst: usize, len: usize): i32 {
  const st = textStep(s, len, P_AAD, P_ENC);
  if (st != OK) return st;
  cryptAndHash(c, gctx, s + S_Y, s + S_CTR, src, dst, len, true);
  return OK;
}

/** Write the 16-byte tag of the message sealed so far and end the stream. */
export function gcmStreamFinish(c: u32, gctx: usize, s: usize, tag: usize): i32 {
  const phase = load<u32>(s + S_PHASE);
  if (phase != P_AAD && phase != P_ENC) return ERR_NOT_INITIALISED;
  finishTag(c, gctx, s + S_Y, s + S_EJ0, load<u64>(s + S_AAD), load<u64>(s + S_TEXT), tag);
  wipe(s, GCM_STREAM_SIZE);
  return OK;
}

/** Hash a piece of ciphertext to be opened (no output). */
export function gcmStreamAbsorb(c: u32, gctx: usize, s: usize, src: usize, len: usize): i32 {
  const st = textStep(s, len, P_AAD, P_ABSORB);
  if (st != OK) return st;
  ghashUpdate(hkOf(c, gctx), s + S_Y, src, len);
  return OK;
}

/**
 * Check the tag of the ciphertext absorbed so far. OK arms decryption of that same ciphertext
 * (gcmStreamDecrypt); ERR_VERIFY_FAILED ends the stream. ERR_BAD_LENGTH if tagLen ∉ 12..16.
 */
export function gcmStreamVerify(c: u32, gctx: usize, s: usize, tag: usize, tagLen: usize): i32 {
  const phase = load<u32>(s + S_PHASE);
  if (phase != P_AAD && phase != P_ABSORB) return ERR_NOT_INITIALISED;
  if (tagLen < 12 || tagLen > 16) {
    wipe(s, GCM_STREAM_SIZE);
    return ERR_BAD_LENGTH;
  }
  finishTag(c, gctx, s + S_Y, s + S_EJ0, load<u64>(s + S_AAD), load<u64>(s + S_TEXT), TAG);
  const ok = ctEqual(TAG, tag, tagLen);
  wipe(TAG, 16);
  if (!ok) {
    wipe(s, GCM_STREAM_SIZE);
    return ERR_VERIFY_FAILED;
  }
  // restart the counter at inc32(J0) for the decryption pass
  wipe(s + S_Y, 16);
  store<u32>(s + S_PHASE, P_DEC);
  if (load<u64>(s + S_TEXT) == 0) wipe(s, GCM_STREAM_SIZE);
  return OK;
}

/**
 * Decrypt a piece of the verified ciphertext (the same bytes, in the same pieces' order, as were
 * absorbed). The stream ends when all of it is decrypted; more than was verified is ERR_BAD_LENGTH.
 */
export function gcmStreamDecrypt(c: u32, gctx: usize, s: usize, src: usize, dst: usize, len: usize): i32 {
  if (load<u32>(s + S_PHASE) != P_DEC) return ERR_NOT_INITIALISED;
  const done = load<u64>(s + S_DONE);
  const total = load<u64>(s + S_TEXT);
  if (done + <u64>len > total || ((done & 15) != 0 && len != 0)) return ERR_BAD_LENGTH;
  ctrBlocks(c, gctx, s + S_CTR, src, dst, len, false);
  if (done + len == total) wipe(s, GCM_STREAM_SIZE);
  else store<u64>(s + S_DONE, done + len);
  return OK;
}
