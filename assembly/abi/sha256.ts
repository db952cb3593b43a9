// SHA-256 exports (docs/abi.md § SHA-256): one-shot SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104)
// and the ANSI X9.63 KDF with SHA-256 (SEC 1 v2.0 §3.6.1) over (ptr, len) ranges, plus streaming
// contexts addressed by handle in the table SM3 uses (hash-slots.ts; same rules). Every
// call returns an i32 status and checks every range against linear memory first
// (ERR_OUT_OF_BOUNDS); nothing traps, nothing is allocated. Outputs may overlap inputs (all input
// is consumed before the first output byte is written), except the KDF's SharedInfo, which is
// read for every output block: an output over it is ERR_BAD_PARAM.
import { OK, ERR_BAD_KEY_INDEX, ERR_BAD_LENGTH, ERR_BAD_PARAM, ERR_OUT_OF_BOUNDS } from "../status";
import { inBounds, wipe } from "../mem";
import { SHA256_DIGEST_SIZE, sha256, sha256Final, sha256Init, sha256Update } from "../sha256/sha256";
import { hmacSha256, hmacSha256Final, hmacSha256Init, hmacSha256Update } from "../sha256/hmac";
import { x963KdfSha256 } from "../sha256/kdf";
import {
  HASH_SLOTS, HASH_HANDLE_SIZE, KIND_HMAC_SHA256, KIND_SHA256, KIND_EMPTY, badHashHandle, hashCtxOf, hashSlot, setHashKind,
} from "./hash-slots";

/** Longest KDF output one call may produce: 1 MiB (as sm3_kdf_max). */
const KDF_MAX: usize = 1 << 20;

// ---------------------------------------------------------------- one-shot

/** SHA-256 of [in_ptr, in_ptr+in_len) into the 32 bytes at out_ptr. */
export function sha256_digest(in_ptr: usize, in_len: usize, out_ptr: usize): i32 {
  if (!inBounds(in_ptr, in_len) || !inBounds(out_ptr, SHA256_DIGEST_SIZE)) return ERR_OUT_OF_BOUNDS;
  sha256(in_ptr, in_len, out_ptr);
  return OK;
}

/** HMAC-SHA-256 with the key_len-byte key (any length) of the msg_len-byte message, 32 bytes to out_ptr. */
export function hmac_sha256(key_ptr: usize, key_len: usize, msg_ptr: usize, msg_len: usize, out_ptr: usize): i32 {
  if (!inBounds(key_ptr, key_len) || !inBounds(msg_ptr, msg_len) || !inBounds(out_ptr, SHA256_DIGEST_SIZE)) {
    return ERR_OUT_OF_BOUNDS;
  }
  hmacSha256(key_ptr, key_len, msg_ptr, msg_len, out_ptr);
  return OK;
}

/**
 * X9.63 KDF with SHA-256: out_len bytes of Hash(Z ‖ ct ‖ SharedInfo) ‖ … into out_ptr.
 * out_len ≤ x963_kdf_sha256_max() else ERR_BAD_LENGTH; the output overlapping SharedInfo →
 * ERR_BAD_PARAM (it may overlap Z).
 */
export function x963_kdf_sha256(z_ptr: usize, z_len: usize, info_ptr: usize, info_len: usize, out_ptr: usize, out_len: usize): i32 {
  if (out_len > KDF_MAX) return ERR_BAD_LENGTH;  // first, as sm3_kdf
  if (!inBounds(z_ptr, z_len) || !inBounds(info_ptr, info_len) || !inBounds(out_ptr, out_len)) return ERR_OUT_OF_BOUNDS;
  if (info_len != 0 && out_len != 0 && out_ptr < info_ptr + info_len && info_ptr < out_ptr + out_len) return ERR_BAD_PARAM;
  x963KdfSha256(z_ptr, z_len, info_ptr, info_len, out_ptr, out_len);
  return OK;
}

/** Longest X9.63 KDF output in bytes (1 MiB). */
export function x963_kdf_sha256_max(): u32 {
  return <u32>KDF_MAX;
}

// ---------------------------------------------------------------- streaming handles

/** Number of streaming handles: the table SM3 uses (sm3_slots), shared by all four kinds of stream. */
export function sha256_slots(): u32 {
  return HASH_SLOTS;
}

/** Start a SHA-256 stream in handle h (replacing whatever it held). */
export function sha256_init(h: u32): i32 {
  if (h >= HASH_SLOTS) return ERR_BAD_KEY_INDEX;
  const p = hashSlot(h);
  wipe(p, HASH_HANDLE_SIZE);
  sha256Init(p);
  setHashKind(p, KIND_SHA256);
  return OK;
}

/** Absorb [in_ptr, in_ptr+len) into the SHA-256 stream in handle h. */
export function sha256_update(h: u32, in_ptr: usize, len: usize): i32 {
  const p = hashCtxOf(h, KIND_SHA256);
  if (p == 0) return badHashHandle(h);
  if (!inBounds(in_ptr, len)) return ERR_OUT_OF_BOUNDS;
  sha256Update(p, in_ptr, len);
  return OK;
}

/** Write the digest of handle h's SHA-256 stream to the 32 bytes at out_ptr; the handle becomes empty. */
export function sha256_final(h: u32, out_ptr: usize): i32 {
  const p = hashCtxOf(h, KIND_SHA256);
  if (p == 0) return badHashHandle(h);
  if (!inBounds(out_ptr, SHA256_DIGEST_SIZE)) return ERR_OUT_OF_BOUNDS;
  setHashKind(p, KIND_EMPTY);
  sha256Final(p, out_ptr);
  return OK;
}

/** Start an HMAC-SHA-256 stream keyed with [key_ptr, key_ptr+key_len) in handle h. */
export function hmac_sha256_init(h: u32, key_ptr: usize, key_len: usize): i32 {
  if (h >= HASH_SLOTS) return ERR_BAD_KEY_INDEX;
  if (!inBounds(key_ptr, key_len)) return ERR_OUT_OF_BOUNDS;
  const p = hashSlot(h);
  // Forget whatever stream the handle held (as sha256_init does), unless the key itself lies in it.
  if (key_ptr >= p + HASH_HANDLE_SIZE || key_ptr + key_len <= p) wipe(p, HASH_HANDLE_SIZE);
  hmacSha256Init(p, key_ptr, key_len);
  setHashKind(p, KIND_HMAC_SHA256);
  return OK;
}

/** Absorb [in_ptr, in_ptr+len) into the HMAC-SHA-256 stream in handle h. */
export function hmac_sha256_update(h: u32, in_ptr: usize, len: usize): i32 {
  const p = hashCtxOf(h, KIND_HMAC_SHA256);
  if (p == 0) return badHashHandle(h);
  if (!inBounds(in_ptr, len)) return ERR_OUT_OF_BOUNDS;
  hmacSha256Update(p, in_ptr, len);
  return OK;
}

/** Write handle h's MAC to the 32 bytes at out_ptr; the handle is zeroed and becomes empty. */
export function hmac_sha256_final(h: u32, out_ptr: usize): i32 {
  const p = hashCtxOf(h, KIND_HMAC_SHA256);
  if (p == 0) return badHashHandle(h);
  if (!inBounds(out_ptr, SHA256_DIGEST_SIZE)) return ERR_OUT_OF_BOUNDS;
  setHashKind(p, KIND_EMPTY);
  hmacSha256Final(p, out_ptr);
  return OK;
}

/** Zero handle h, abandoning any stream in it, of any kind (as sm3_clear; clearing an empty handle is OK). */
export function sha256_clear(h: u32): i32 {
  if (h >= HASH_SLOTS) return ERR_BAD_KEY_INDEX;
  wipe(hashSlot(h), HASH_HANDLE_SIZE);
  return OK;
}
