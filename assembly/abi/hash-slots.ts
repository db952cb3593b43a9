// The streaming-hash handle table shared by the SM3 and SHA-256 exports (docs/abi.md § SM3 and
// § SHA-256): 64 handles, each empty or holding one stream of SM3, HMAC-SM3, SHA-256 or
// HMAC-SHA-256. One table for both hashes keeps the module's static data within its four pages.
import { ERR_BAD_KEY_INDEX, ERR_BAD_PARAM, ERR_NOT_INITIALISED } from "../status";
import { HMAC_SM3_CTX_SIZE } from "../sm3/hmac";
import { HMAC_SHA256_CTX_SIZE } from "../sha256/hmac";

/** Number of streaming handles (0 .. HASH_SLOTS-1). */
export const HASH_SLOTS: u32 = 64;

export const KIND_EMPTY: u32 = 0;
export const KIND_SM3: u32 = 1;
export const KIND_HMAC_SM3: u32 = 2;
export const KIND_SHA256: u32 = 3;
export const KIND_HMAC_SHA256: u32 = 4;

// One handle: the largest context (an HMAC context: the hash context is its first part), then the
// kind cell.
const H_KIND: usize = HMAC_SM3_CTX_SIZE > HMAC_SHA256_CTX_SIZE ? HMAC_SM3_CTX_SIZE : HMAC_SHA256_CTX_SIZE;
export const HASH_HANDLE_SIZE: usize = (H_KIND + 4 + 15) & ~15;
const TABLE: usize = memory.data(<i32>(HASH_HANDLE_SIZE * HASH_SLOTS), 16);

/** The context of handle h (h < HASH_SLOTS, checked by the caller). */
// @ts-ignore: decorator
@inline
export function hashSlot(h: u32): usize {
  return TABLE + <usize>h * HASH_HANDLE_SIZE;
}

/** Context of handle h if it is in range and holds a stream of `kind`, else 0. */
// @ts-ignore: decorator
@inline
export function hashCtxOf(h: u32, kind: u32): usize {
  const p = TABLE + <usize>h * HASH_HANDLE_SIZE;
  return h < HASH_SLOTS && load<u32>(p + H_KIND) == kind ? p : 0;
}

/** Set the kind of the (in-range) handle whose context is p. */
// @ts-ignore: decorator
@inline
export function setHashKind(p: usize, kind: u32): void {
  store<u32>(p + H_KIND, kind);
}

/** Why hashCtxOf refused h: out of range, empty, or a stream of another kind. */
export function badHashHandle(h: u32): i32 {
  if (h >= HASH_SLOTS) return ERR_BAD_KEY_INDEX;
  return load<u32>(TABLE + <usize>h * HASH_HANDLE_SIZE + H_KIND) == KIND_EMPTY ? ERR_NOT_INITIALISED : ERR_BAD_PARAM;
}
