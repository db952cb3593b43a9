// SM3 exports (docs/abi.md § SM3): one-shot SM3 (GB/T 32905-2016), HMAC-SM3 (RFC 2104) and the
// SM3 KDF (GB/T 32918.4-2016 §5.4.3) over (ptr, len) ranges, plus a fixed table of streaming
// contexts addressed by handle (hash-slots.ts, shared with the SHA-256 streams). Every call returns an i32 status and checks every range against
// linear memory first (ERR_OUT_OF_BOUNDS); nothing traps, nothing is allocated. Outputs may
// overlap inputs: all input is consumed before the first output byte is written.
import { OK, ERR_BAD_KEY_INDEX, ERR_BAD_LENGTH, ERR_BAD_PARAM, ERR_OUT_OF_BOUNDS } from "../status";
import { inBounds, wipe } from "../mem";
import { SM3_DIGEST_SIZE, sm3, sm3Final, sm3Init, sm3Update } from "../sm3/sm3";
import { hmacSm3, hmacSm3Final, hmacSm3Init, hmacSm3Update } from "../sm3/hmac";
import { sm3KdfFrom } from "../sm3/kdf";
import {
  HASH_SLOTS, HASH_HANDLE_SIZE, KIND_HMAC_SM3, KIND_SM3, KIND_EMPTY, badHashHandle, hashCtxOf, hashSlot, setHashKind,
} from "./hash-slots";

/** Longest KDF output one call (or one derivation in pieces) may produce: 1 MiB. */
const KDF_MAX: usize = 1 << 20;

// ---------------------------------------------------------------- one-shot

/** SM3 of [in_ptr, in_ptr+in_len) into the 32 bytes at out_ptr. */
export function sm3_digest(in_ptr: usize, in_len: usize, out_ptr: usize): i32 {
  if (!inBounds(in_ptr, in_len) || !inBounds(out_ptr, SM3_DIGEST_SIZE)) return ERR_OUT_OF_BOUNDS;
  sm3(in_ptr, in_len, out_ptr);
  return OK;
}

/** HMAC-SM3 with the key_len-byte key (any length) of the msg_len-byte message, 32 bytes to out_ptr. */
export function hmac_sm3(key_ptr: usize, key_len: usize, msg_ptr: usize, msg_len: usize, out_ptr: usize): i32 {
  if (!inBounds(key_ptr, key_len) || !inBounds(msg_ptr, msg_len) || !inBounds(out_ptr, SM3_DIGEST_SIZE)) {
    return ERR_OUT_OF_BOUNDS;
  }
  hmacSm3(key_ptr, key_len, msg_ptr, msg_len, out_ptr);
  return OK;
}

/** KDF(Z, out_len) of GB/T 32918.4 into out_ptr; out_len ≤ sm3_kdf_max() else ERR_BAD_LENGTH. */
export function sm3_kdf(z_ptr: usize, z_len: usize, out_ptr: usize, out_len: usize): i32 {
  return sm3_kdf_from(z_ptr, z_len, 1, out_ptr, out_len);
}

/**
 * Bytes [32·(counter-1), 32·(counter-1) + out_len) of KDF(Z, ·): the output from counter value
 * `counter` on, so a host can produce a long output in pieces. counter ≥ 1 (ERR_BAD_PARAM) and
 * 32·(counter-1) + out_len ≤ sm3_kdf_max() (ERR_BAD_LENGTH).
 */
export function sm3_kdf_from(z_ptr: usize, z_len: usize, counter: u32, out_ptr: usize, out_len: usize): i32 {
  if (counter == 0) return ERR_BAD_PARAM;
  const skip = <u64>(counter - 1) << 5;
  if (skip + <u64>out_len > <u64>KDF_MAX) return ERR_BAD_LENGTH;
  if (!inBounds(z_ptr, z_len) || !inBounds(out_ptr, out_len)) return ERR_OUT_OF_BOUNDS;
  sm3KdfFrom(z_ptr, z_len, counter, out_ptr, out_len);
  return OK;
}

/** Longest KDF output in bytes (1 MiB). */
export function sm3_kdf_max(): u32 {
  return <u32>KDF_MAX;
}

// ---------------------------------------------------------------- streaming handles

/** Number of streaming handles (shared by SM3, HMAC-SM3, SHA-256 and HMAC-SHA-256 streams). */
export function sm3_slots(): u32 {
  return HASH_SLOTS;
}

/** Start an SM3 stream in handle h (replacing whatever it held). */
export function sm3_init(h: u32): i32 {
  if (h >= HASH_SLOTS) return ERR_BAD_KEY_INDEX;
  const p = hashSlot(h);
  wipe(p, HASH_HANDLE_SIZE);
  sm3Init(p);
  setHashKind(p, KIND_SM3);
  return OK;
}

/** Absorb [in_ptr, in_ptr+len) into the SM3 stream in handle h. */
export function sm3_update(h: u32, in_ptr: usize, len: usize): i32 {
  const p = hashCtxOf(h, KIND_SM3);
  if (p == 0) return badHashHandle(h);
  if (!inBounds(in_ptr, len)) return ERR_OUT_OF_BOUNDS;
  sm3Update(p, in_ptr, len);
  return OK;
}

/** Write the digest of handle h's SM3 stream to the 32 bytes at out_ptr; the handle becomes empty. */
export function sm3_final(h: u32, out_ptr: usize): i32 {
  const p = hashCtxOf(h, KIND_SM3);
  if (p == 0) return badHashHandle(h);
  if (!inBounds(out_ptr, SM3_DIGEST_SIZE)) return ERR_OUT_OF_BOUNDS;
  setHashKind(p, KIND_EMPTY);
  sm3Final(p, out_ptr);
  return OK;
}

/** Start an HMAC-SM3 stream keyed with [key_ptr, key_ptr+key_len) in handle h. */
export function hmac_sm3_init(h: u32, key_ptr: usize, key_len: usize): i32 {
  if (h >= HASH_SLOTS) return ERR_BAD_KEY_INDEX;
  if (!inBounds(key_ptr, key_len)) return ERR_OUT_OF_BOUNDS;
  const p = hashSlot(h);
  // Forget whatever stream the handle held (as sm3_init does), unless the key itself lies in it.
  if (key_ptr >= p + HASH_HANDLE_SIZE || key_ptr + key_len <= p) wipe(p, HASH_HANDLE_SIZE);
  hmacSm3Init(p, key_ptr, key_len);
  setHashKind(p, KIND_HMAC_SM3);
  return OK;
}

/** Absorb [in_ptr, in_ptr+len) into the HMAC-SM3 stream in handle h. */
export function hmac_sm3_update(h: u32, in_ptr: usize, len: usize): i32 {
  const p = hashCtxOf(h, KIND_HMAC_SM3);
  if (p == 0) return badHashHandle(h);
  if (!inBounds(in_ptr, len)) return ERR_OUT_OF_BOUNDS;
  hmacSm3Update(p, in_ptr, len);
  return OK;
}

/** Write handle h's MAC to the 32 bytes at out_ptr; the handle is zeroed and becomes empty. */
export function hmac_sm3_final(h: u32, out_ptr: usize): i32 {
  const p = hashCtxOf(h, KIND_HMAC_SM3);
  if (p == 0) return badHashHandle(h);
  if (!inBounds(out_ptr, SM3_DIGEST_SIZE)) return ERR_OUT_OF_BOUNDS;
  setHashKind(p, KIND_EMPTY);
  hmacSm3Final(p, out_ptr);
  return OK;
}

/** Zero handle h, abandoning any stream in it (clearing an empty handle is OK). */
export function sm3_clear(h: u32): i32 {
  if (h >= HASH_SLOTS) return ERR_BAD_KEY_INDEX;
  wipe(hashSlot(h), HASH_HANDLE_SIZE);
  return OK;
}
