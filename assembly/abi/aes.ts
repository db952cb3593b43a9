// AES-128 exports (docs/abi.md § AES-128): a fixed table of key handles, ECB/CBC/CTR/GCM over
// pointers into linear memory, i32 statuses. FIPS 197 (AES), NIST SP 800-38A (ECB/CBC/CTR),
// RFC 5652 §6.3 (PKCS#7 padding), NIST SP 800-38D (GCM). The calls, their checks and their rules
// are SM4's (abi/sm4.ts) one for one, without CMAC — the same code, abi/block-modes.ts:
// - every range is checked against linear memory first (ERR_OUT_OF_BOUNDS); nothing traps;
// - `out` may be exactly `in` (in place) or disjoint from it; a partial overlap is ERR_BAD_PARAM,
//   and so is `out` overlapping an IV/counter/tag/length cell the call reads or writes;
// - on any error nothing is written (outputs, IV/counter cells, key state are unchanged);
// - nothing is allocated; key handles are zeroed when cleared.
// A handle keeps the raw 16-byte key and its GCM stream; each call expands the key into the
// round-key planes (and the GHASH key, for GCM) in one shared scratch context, zeroed before the
// call returns. That costs a few microseconds a call and keeps the module's static data within its
// four pages (a handle is 112 bytes instead of 912).
import { OK, ERR_BAD_KEY_INDEX, ERR_OUT_OF_BOUNDS, ERR_SLOT_EMPTY } from "../status";
import { inBounds, wipe } from "../mem";
import { GCM_AES, GCM_STREAM_SIZE } from "../gcm/gcm";
import {
  modeEcb, modeCbc, modeEncryptPadded, modeDecryptPadded, modeCtr, modeGcmSeal, modeGcmOpen, modeGcmStart,
  modeGcmAad, modeGcmEncrypt, modeGcmFinish, modeGcmAbsorb, modeGcmVerify, modeGcmDecrypt,
} from "./block-modes";

/** Number of key handles (0 .. SLOTS-1). */
const SLOTS: u32 = 16;
// One handle: the raw key, the GCM stream state, the "set" flag.
const H_STREAM: usize = 16;
const H_SET: usize = H_STREAM + GCM_STREAM_SIZE;
const HANDLE_SIZE: usize = (H_SET + 4 + 15) & ~15;
const TABLE: usize = memory.data(<i32>(HANDLE_SIZE * SLOTS), 16);

// The key being set (it may lie in the handle itself).
const KEY_IN: usize = memory.data(16, 16);

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
export function aes_key_slots(): u32 {
  return SLOTS;
}

/** Keep the 16-byte key at key_ptr in handle h (replacing any key there; a stream is reset). */
export function aes_key_set(h: u32, key_ptr: usize): i32 {
  if (h >= SLOTS) return ERR_BAD_KEY_INDEX;
  if (!inBounds(key_ptr, 16)) return ERR_OUT_OF_BOUNDS;
  const p = TABLE + <usize>h * HANDLE_SIZE;
  memory.copy(KEY_IN, key_ptr, 16); // the key may lie in the handle itself
  wipe(p, HANDLE_SIZE);
  memory.copy(p, KEY_IN, 16);
  wipe(KEY_IN, 16);
  store<u32>(p + H_SET, 1);
  return OK;
}

/** Zero handle h (key, stream state). Clearing an empty handle is OK. */
export function aes_key_clear(h: u32): i32 {
  if (h >= SLOTS) return ERR_BAD_KEY_INDEX;
  wipe(TABLE + <usize>h * HANDLE_SIZE, HANDLE_SIZE);
  return OK;
}

/** 1 when handle h holds a key, 0 when empty, ERR_BAD_KEY_INDEX when out of range. */
export function aes_key_is_set(h: u32): i32 {
  if (h >= SLOTS) return ERR_BAD_KEY_INDEX;
  return ctxOf(h) != 0 ? 1 : 0;
}

// ---------------------------------------------------------------- ECB, CBC, CTR, GCM (abi/block-modes.ts)

/** ECB encrypt len bytes (a multiple of 16), no padding. */
export function aes_ecb_encrypt(h: u32, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeEcb(GCM_AES, ctx, in_ptr, out_ptr, len, false);
}

/** ECB decrypt len bytes (a multiple of 16), no padding. */
export function aes_ecb_decrypt(h: u32, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeEcb(GCM_AES, ctx, in_ptr, out_ptr, len, true);
}

/** ECB encrypt len bytes (any length) with PKCS#7 padding; writes (len & ~15) + 16 bytes. */
export function aes_ecb_encrypt_pkcs7(h: u32, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeEncryptPadded(GCM_AES, ctx, false, 0, in_ptr, out_ptr, len);
}

/**
 * ECB decrypt len bytes (a non-zero multiple of 16) and strip PKCS#7 padding. The plaintext
 * (len - pad bytes) goes to out_ptr (room for len bytes required) and its length to the u32 cell
 * at out_len_ptr. Bad padding: ERR_BAD_PADDING and nothing written.
 */
export function aes_ecb_decrypt_pkcs7(h: u32, in_ptr: usize, out_ptr: usize, len: usize, out_len_ptr: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeDecryptPadded(GCM_AES, ctx, false, 0, in_ptr, out_ptr, len, out_len_ptr);
}

/** CBC encrypt len bytes (multiple of 16), no padding. The 16-byte iv cell is updated to the last ciphertext block. */
export function aes_cbc_encrypt(h: u32, iv_ptr: usize, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeCbc(GCM_AES, ctx, iv_ptr, in_ptr, out_ptr, len, false);
}

/** CBC decrypt len bytes (multiple of 16), no padding. The iv cell is updated to the last ciphertext block. */
export function aes_cbc_decrypt(h: u32, iv_ptr: usize, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeCbc(GCM_AES, ctx, iv_ptr, in_ptr, out_ptr, len, true);
}

/** CBC encrypt len bytes (any length) with PKCS#7 padding; writes (len & ~15) + 16 bytes; iv updated. */
export function aes_cbc_encrypt_pkcs7(h: u32, iv_ptr: usize, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeEncryptPadded(GCM_AES, ctx, true, iv_ptr, in_ptr, out_ptr, len);
}

/**
 * CBC decrypt len bytes (a non-zero multiple of 16) and strip PKCS#7 padding; see
 * aes_ecb_decrypt_pkcs7 for out_ptr/out_len_ptr. The iv cell is updated only on success.
 */
export function aes_cbc_decrypt_pkcs7(h: u32, iv_ptr: usize, in_ptr: usize, out_ptr: usize, len: usize, out_len_ptr: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeDecryptPadded(GCM_AES, ctx, true, iv_ptr, in_ptr, out_ptr, len, out_len_ptr);
}

/**
 * CTR over len bytes (any length) with the 16-byte counter block at ctr_ptr; counter_bits = 32
 * (the low 32 bits wrap) or 128 (whole block, big-endian, as OpenSSL aes-128-ctr). The counter cell
 * is updated to the next unused counter block. Encryption and decryption are the same call.
 */
export function aes_ctr(h: u32, ctr_ptr: usize, in_ptr: usize, out_ptr: usize, len: usize, counter_bits: u32): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeCtr(GCM_AES, ctx, ctr_ptr, in_ptr, out_ptr, len, counter_bits);
}

/**
 * AES-128-GCM seal: encrypt len bytes at in_ptr into out_ptr and write the 16-byte tag at tag_ptr.
 * iv_len >= 1 (12 recommended); aad may overlap anything.
 */
export function aes_gcm_seal(h: u32, iv_ptr: usize, iv_len: usize, aad_ptr: usize, aad_len: usize,
                             in_ptr: usize, out_ptr: usize, len: usize, tag_ptr: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmSeal(GCM_AES, ctx, iv_ptr, iv_len, aad_ptr, aad_len, in_ptr, out_ptr, len, tag_ptr);
}

/**
 * AES-128-GCM open: check the tag_len-byte tag (12..16) of the len bytes at in_ptr, and only then
 * decrypt them into out_ptr. ERR_VERIFY_FAILED: nothing written.
 */
export function aes_gcm_open(h: u32, iv_ptr: usize, iv_len: usize, aad_ptr: usize, aad_len: usize,
                             in_ptr: usize, out_ptr: usize, len: usize, tag_ptr: usize, tag_len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmOpen(GCM_AES, ctx, iv_ptr, iv_len, aad_ptr, aad_len, in_ptr, out_ptr, len, tag_ptr, tag_len);
}

// ---------------------------------------------------------------- GCM stream (state in the handle)

/** Begin a GCM message on handle h (any stream in progress on h is dropped). */
export function aes_gcm_start(h: u32, iv_ptr: usize, iv_len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmStart(GCM_AES, ctx, ctx + H_STREAM, iv_ptr, iv_len);
}

/** Absorb AAD (after start, before any text); every piece but the last a multiple of 16 bytes. */
export function aes_gcm_aad(h: u32, aad_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmAad(GCM_AES, ctx, ctx + H_STREAM, aad_ptr, len);
}

/** Encrypt a piece of plaintext (every piece but the last a multiple of 16 bytes). */
export function aes_gcm_encrypt(h: u32, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmEncrypt(GCM_AES, ctx, ctx + H_STREAM, in_ptr, out_ptr, len);
}

/** Write the 16-byte tag of the sealed message and end the stream. */
export function aes_gcm_finish(h: u32, tag_ptr: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmFinish(GCM_AES, ctx, ctx + H_STREAM, tag_ptr);
}

/** Open, pass 1: hash a piece of ciphertext (no output). */
export function aes_gcm_absorb(h: u32, in_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmAbsorb(GCM_AES, ctx, ctx + H_STREAM, in_ptr, len);
}

/** Open: check the tag (12..16 bytes) of the absorbed ciphertext; OK arms aes_gcm_decrypt. */
export function aes_gcm_verify(h: u32, tag_ptr: usize, tag_len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmVerify(GCM_AES, ctx, ctx + H_STREAM, tag_ptr, tag_len);
}

/** Open, pass 2 (after OK from verify): decrypt the same ciphertext, piece by piece. */
export function aes_gcm_decrypt(h: u32, in_ptr: usize, out_ptr: usize, len: usize): i32 {
  const ctx = ctxOf(h);
  return ctx == 0 ? badHandle(h) : modeGcmDecrypt(GCM_AES, ctx, ctx + H_STREAM, in_ptr, out_ptr, len);
}
