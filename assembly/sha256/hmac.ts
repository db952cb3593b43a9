// HMAC-SHA-256: RFC 2104 (FIPS 198-1) with SHA-256 (FIPS 180-4) as H, B = 64, L = 32 — the typed
// entry points of hash/hmac.ts (the HMAC code SHA-256 shares with SM3) with HASH_SHA256.
import { HASH_SHA256 } from "../hash/md";
import { HMAC_CTX_SIZE, hmac, hmacFinal, hmacInit } from "../hash/hmac";
import { sha256Update } from "./sha256";

export const HMAC_SHA256_CTX_SIZE: usize = HMAC_CTX_SIZE;

/** Start HMAC-SHA-256 with a key of any length (the key bytes may be anywhere, even inside ctx). */
// @ts-ignore: decorator
@inline
export function hmacSha256Init(ctx: usize, key: usize, keyLen: usize): void {
  hmacInit(HASH_SHA256, ctx, key, keyLen);
}

/** Absorb `len` bytes of the message. */
// @ts-ignore: decorator
@inline
export function hmacSha256Update(ctx: usize, src: usize, len: usize): void {
  sha256Update(ctx, src, len);
}

/** Write the 32-byte MAC to `out` and wipe the context (`out` may lie inside it). */
// @ts-ignore: decorator
@inline
export function hmacSha256Final(ctx: usize, out: usize): void {
  hmacFinal(HASH_SHA256, ctx, out);
}

/** One-shot HMAC-SHA-256 into 32 bytes at `out`. */
// @ts-ignore: decorator
@inline
export function hmacSha256(key: usize, keyLen: usize, msg: usize, msgLen: usize, out: usize): void {
  hmac(HASH_SHA256, key, keyLen, msg, msgLen, out);
}
