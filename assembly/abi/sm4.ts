// SM4 exports (docs/abi.md § SM4): a fixed table of key handles, ECB/CBC/CTR/GCM over pointers
// into linear memory, i32 statuses. GB/T 32907-2016 (SM4), NIST SP 800-38A (ECB/CBC/CTR),
// RFC 5652 §6.3 (PKCS#7 padding), NIST SP 800-38D and RFC 8998 (SM4-GCM).
//
// Rules shared by every call:
// - every range is checked against linear memory first (ERR_OUT_OF_BOUNDS); nothing traps;
// - `out` may be exactly `in` (in place) or disjoint from it; a partial overlap is ERR_BAD_PARAM,
//   and so is `out` overlapping an IV/counter/tag/length cell the call reads or writes;
// - on any error nothing is written (outputs, IV/counter cells, key state are unchanged);
// - nothing is allocated; key handles are zeroed when cleared.
// ECB, CBC, CTR and GCM are abi/block-modes.ts's, shared with AES-128; CMAC is SM4's own.
import { OK, ERR_VERIFY_FAILED, ERR_BAD_PARAM, ERR_BAD_LENGTH, ERR_BAD_KEY_INDEX, ERR_OUT_OF_BOUNDS, ERR_SLOT_EMPTY } from "../status";
import { inBounds, wipe, overlaps } from "../mem";
import { sm4CmacUpdate, sm4CmacFinal } from "../sm4/cmac";
import { ctEqual } from "../ct";
import { SM4_GCM_CTX_SIZE, GCM_STREAM_SIZE, sm4GcmInit } from "../sm4/gcm";
import { GCM_SM4 } from "../gcm/gcm";
import {
  modeEcb, modeCbc, modeEncryptPadded, modeDecryptPadded, modeCtr, modeGcmSeal, modeGcmOpen, modeGcmStart,
  modeGcmAad, modeGcmEncrypt, modeGcmFinish, modeGcmAbsorb, modeGcmVerify, modeGcmDecrypt,
} from "./block-modes";

/** Number of key handles (0 .. SLOTS-1). */
const SLOTS: u32 = 64;
// One handle: GCM context (key schedule + GHASH key), GCM stream state, "set" flag.
const H_STREAM: usize = SM4_GCM_CTX_SIZE;
const H_SET: usize = H_STREAM + GCM_STREAM_SIZE;
const HANDLE_SIZE: usize = (H_SET + 4 + 15) & ~15;
const TABLE: usize = memory.data(<i32>(HANDLE_SIZE * SLOTS), 16);

// A computed MAC.
const MAC: usize = memory.data(16, 16);

/** Handle index → context pointer, or 0 when the index is out of range or the handle is empty. */
// @ts-ignore: decorator
@inline
function ctxOf(h: u32): usize {
  const p = TABLE + <usize>h * HANDLE_SIZE;
  return h < SLOTS && load<u32>(p + H_SET) != 0 ? p : 0;
}

/** ERR_BAD_KEY_INDEX or ERR_SLOT_EMPTY for a handle ctxOf rejected. */
function badHandle(h: u32): i32 {
  return h < SLOTS ? ERR_SLOT_EMPTY : ERR_BAD_KEY_INDEX;
}

// ---------------------------------------------------------------- key handles

/** Number of key handles in the table. */
export function sm4_key_slots(): u32 {
  return SLOTS;
}

/** Expand the 16-byte key at key_ptr into handle h (replacing any key there; a stream is reset). */
export function sm4_key_set(h: u32, key_ptr: usize): i32 {
  if (h >= SLOTS) return ERR_BAD_KEY_INDEX;
  if (!inBounds(key_ptr, 16)) return ERR_OUT_OF_BOUNDS;
  const p = TABLE + <usize>h * HANDLE_SIZE;
  wipe(p, HANDLE_SIZE);
  sm4GcmInit(p, key_ptr);
  store<u32>(p + H_SET, 1);
  return OK;
}

/** Zero handle h (key schedule, GHASH key, stream state). Clearing an empty handle is OK. */
export function sm4_key_clear(h: u32): i32 {
  if (h >= SLOTS) return ERR_BAD_KEY_INDEX;
  wipe(TABLE + <usize>h * HANDLE_SIZE, HANDLE_SIZE);
  return OK;
}

/** 1 when handle h holds a key, 0 when empty, ERR_BAD_KEY_INDEX when out of range. */
export function sm4_key_is_set(h: u32): i32 {
  if (h >= SLOTS) return ERR_BAD_KEY_INDEX;
  return ctxOf(h) != 0 ? 1 : 0;
}

// ---------------------------------------------------------------- ECB, CBC, CTR, GCM (abi/block-modes.ts)

/** ECB encrypt len bytes (a multiple of 16), no padding. */
export function sm4_ecb_encrypt(h: u32, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeEcb(GCM_SM4, ctx, in_ptr, out_ptr, len, false);
}

/** ECB decrypt len bytes (a multiple of 16), no padding. */
export function sm4_ecb_decrypt(h: u32, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeEcb(GCM_SM4, ctx, in_ptr, out_ptr, len, true);
}

/** ECB encrypt len bytes (any length) with PKCS#7 padding; writes (len & ~15) + 16 bytes. */
export function sm4_ecb_encrypt_pkcs7(h: u32, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeEncryptPadded(GCM_SM4, ctx, false, 0, in_ptr, out_ptr, len);
}

/**
 * ECB decrypt len bytes (a non-zero multiple of 16) and strip PKCS#7 padding. The plaintext
 * (len - pad bytes) goes to out_ptr (room for len bytes required) and its length to the u32 cell
 * at out_len_ptr. Bad padding: ERR_BAD_PADDING and nothing written.
 */
export function sm4_ecb_decrypt_pkcs7(h: u32, in_ptr: usize, out_ptr: usize, len: usize, out_len_ptr: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeDecryptPadded(GCM_SM4, ctx, false, 0, in_ptr, out_ptr, len, out_len_ptr);
}

/** CBC encrypt len bytes (multiple of 16), no padding. The 16-byte iv cell is updated to the last ciphertext block. */
export function sm4_cbc_encrypt(h: u32, iv_ptr: usize, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeCbc(GCM_SM4, ctx, iv_ptr, in_ptr, out_ptr, len, false);
}

/** CBC decrypt len bytes (multiple of 16), no padding. The iv cell is updated to the last ciphertext block. */
export function sm4_cbc_decrypt(h: u32, iv_ptr: usize, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeCbc(GCM_SM4, ctx, iv_ptr, in_ptr, out_ptr, len, true);
}

/** CBC encrypt len bytes (any length) with PKCS#7 padding; writes (len & ~15) + 16 bytes; iv updated. */
export function sm4_cbc_encrypt_pkcs7(h: u32, iv_ptr: usize, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeEncryptPadded(GCM_SM4, ctx, true, iv_ptr, in_ptr, out_ptr, len);
}

/**
 * CBC decrypt len bytes (a non-zero multiple of 16) and strip PKCS#7 padding; see
 * sm4_ecb_decrypt_pkcs7 for out_ptr/out_len_ptr. The iv cell is updated only on success.
 */
export function sm4_cbc_decrypt_pkcs7(h: u32, iv_ptr: usize, in_ptr: usize, out_ptr: usize, len: usize, out_len_ptr: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeDecryptPadded(GCM_SM4, ctx, true, iv_ptr, in_ptr, out_ptr, len, out_len_ptr);
}

/**
 * CTR over len bytes (any length) with the 16-byte counter block at ctr_ptr; counter_bits = 32
 * (the low 32 bits wrap) or 128 (whole block, big-endian, as OpenSSL sm4-ctr). The counter cell
 * is updated to the next unused counter block. Encryption and decryption are the same call.
 */
export function sm4_ctr(h: u32, ctr_ptr: usize, in_ptr: usize, out_ptr: usize, len: usize, counter_bits: u32): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeCtr(GCM_SM4, ctx, ctr_ptr, in_ptr, out_ptr, len, counter_bits);
}

/**
 * SM4-GCM seal: encrypt len bytes at in_ptr into out_ptr and write the 16-byte tag at tag_ptr.
 * iv_len >= 1 (12 recommended); aad may overlap anything.
 */
export function sm4_gcm_seal(h: u32, iv_ptr: usize, iv_len: usize, aad_ptr: usize, aad_len: usize,
                             in_ptr: usize, out_ptr: usize, len: usize, tag_ptr: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmSeal(GCM_SM4, ctx, iv_ptr, iv_len, aad_ptr, aad_len, in_ptr, out_ptr, len, tag_ptr);
}

/**
 * SM4-GCM open: check the tag_len-byte tag (12..16) of the len bytes at in_ptr, and only then
 * decrypt them into out_ptr. ERR_VERIFY_FAILED: nothing written.
 */
export function sm4_gcm_open(h: u32, iv_ptr: usize, iv_len: usize, aad_ptr: usize, aad_len: usize,
                             in_ptr: usize, out_ptr: usize, len: usize, tag_ptr: usize, tag_len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmOpen(GCM_SM4, ctx, iv_ptr, iv_len, aad_ptr, aad_len, in_ptr, out_ptr, len, tag_ptr, tag_len);
}

// ---------------------------------------------------------------- GCM stream (state in the handle)

/** Begin a GCM message on handle h (any stream in progress on h is dropped). */
export function sm4_gcm_start(h: u32, iv_ptr: usize, iv_len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmStart(GCM_SM4, ctx, ctx + H_STREAM, iv_ptr, iv_len);
}

/** Absorb AAD (after start, before any text); every piece but the last a multiple of 16 bytes. */
export function sm4_gcm_aad(h: u32, aad_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmAad(GCM_SM4, ctx, ctx + H_STREAM, aad_ptr, len);
}

/** Encrypt a piece of plaintext (every piece but the last a multiple of 16 bytes). */
export function sm4_gcm_encrypt(h: u32, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmEncrypt(GCM_SM4, ctx, ctx + H_STREAM, in_ptr, out_ptr, len);
}

/** Write the 16-byte tag of the sealed message and end the stream. */
export function sm4_gcm_finish(h: u32, tag_ptr: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmFinish(GCM_SM4, ctx, ctx + H_STREAM, tag_ptr);
}

/** Open, pass 1: hash a piece of ciphertext (no output). */
export function sm4_gcm_absorb(h: u32, in_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmAbsorb(GCM_SM4, ctx, ctx + H_STREAM, in_ptr, len);
}

/** Open: check the tag (12..16 bytes) of the absorbed ciphertext; OK arms sm4_gcm_decrypt. */
export function sm4_gcm_verify(h: u32, tag_ptr: usize, tag_len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmVerify(GCM_SM4, ctx, ctx + H_STREAM, tag_ptr, tag_len);
}

/** Open, pass 2 (after OK from verify): decrypt the same ciphertext, piece by piece. */
export function sm4_gcm_decrypt(h: u32, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmDecrypt(GCM_SM4, ctx, ctx + H_STREAM, in_ptr, out_ptr, len);
}

// ---------------------------------------------------------------- CMAC

/**
 * CMAC, whole-block pieces: the 16-byte chaining cell at x_ptr (zeros at the start of a
 * message) absorbs len bytes (a multiple of 16) that are not the end of the message.
 */
export function sm4_cmac_update(h: u32, x_ptr: usize, in_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  if (ctx == 0) return badHandle(h);
  if (!inBounds(x_ptr, 16) || !inBounds(in_ptr, len)) return ERR_OUT_OF_BOUNDS;
  if ((len & 15) != 0) return ERR_BAD_LENGTH;
  if (overlaps(x_ptr, 16, in_ptr, len)) return ERR_BAD_PARAM;
  sm4CmacUpdate(ctx, x_ptr, in_ptr, len);
  return OK;
}

/** Shared checks of the final calls. */
function cmacArgs(h: u32, x: usize, inp: usize, len: usize, mac: usize, macLen: usize): i32 {
  if (ctxOf(h) == 0) return badHandle(h);
  if (!inBounds(x, 16) || !inBounds(inp, len) || !inBounds(mac, macLen)) return ERR_OUT_OF_BOUNDS;
  if (overlaps(x, 16, inp, len) || overlaps(x, 16, mac, macLen)) return ERR_BAD_PARAM;
  return OK;
}

/**
 * CMAC, last piece: absorb the final len bytes (any length) and write the 16-byte MAC at
 * mac_ptr. The chaining cell is zeroed.
 */
export function sm4_cmac_final(h: u32, x_ptr: usize, in_ptr: usize, len: usize, mac_ptr: usize): i32 {
  const st = cmacArgs(h, x_ptr, in_ptr, len, mac_ptr, 16);
  if (st != OK) return st;
  sm4CmacFinal(ctxOf(h), x_ptr, in_ptr, len, MAC);
  memory.copy(mac_ptr, MAC, 16);
  wipe(MAC, 16);
  return OK;
}

/**
 * CMAC, last piece, then compare with the mac_len-byte MAC (8..16: the leading bytes) at
 * mac_ptr in constant time: OK or ERR_VERIFY_FAILED. The chaining cell is zeroed.
 */
export function sm4_cmac_verify(h: u32, x_ptr: usize, in_ptr: usize, len: usize, mac_ptr: usize, mac_len: usize): i32 {
  const st = cmacArgs(h, x_ptr, in_ptr, len, mac_ptr, mac_len);
  if (st != OK) return st;
  if (mac_len < 8 || mac_len > 16) return ERR_BAD_LENGTH;
  sm4CmacFinal(ctxOf(h), x_ptr, in_ptr, len, MAC);
  const ok = ctEqual(MAC, mac_ptr, mac_len);
  wipe(MAC, 16);
  return ok ? OK : ERR_VERIFY_FAILED;
}
