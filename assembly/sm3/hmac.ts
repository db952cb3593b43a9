// HMAC-SM3: RFC 2104 with SM3 (GB/T 32905-2016) as H, B = 64, L = 32 — the typed entry points of
// hash/hmac.ts (the HMAC code SM3 shares with SHA-256) with HASH_SM3.
import { HASH_SM3 } from "../hash/md";
import { HMAC_CTX_SIZE, hmac, hmacFinal, hmacInit } from "../hash/hmac";
import { sm3Update } from "./sm3";

export const HMAC_SM3_CTX_SIZE: usize = HMAC_CTX_SIZE;

/** Start HMAC-SM3 with a key of any length (the key bytes may be anywhere, even inside ctx). */
// @ts-ignore: decorator
@inline
export function hmacSm3Init(ctx: usize, key: usize, keyLen: usize): void {
  hmacInit(HASH_SM3, ctx, key, keyLen);
}

/** Absorb `len` bytes of the message. */
// @ts-ignore: decorator
@inline
export function hmacSm3Update(ctx: usize, src: usize, len: usize): void {
  sm3Update(ctx, src, len);
}

/** Write the 32-byte MAC to `out` and wipe the context (`out` may lie inside it). */
// @ts-ignore: decorator
@inline
export function hmacSm3Final(ctx: usize, out: usize): void {
  hmacFinal(HASH_SM3, ctx, out);
}

/** One-shot HMAC-SM3 into 32 bytes at `out`. */
// @ts-ignore: decorator
@inline
export function hmacSm3(key: usize, keyLen: usize, msg: usize, msgLen: usize, out: usize): void {
  hmac(HASH_SM3, key, keyLen, msg, msgLen, out);
}
