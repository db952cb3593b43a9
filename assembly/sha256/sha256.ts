// SHA-256 (FIPS 180-4 §6.2): the typed entry points of hash/md.ts (the streaming
// and one-shot Merkle–Damgård code SHA-256 shares with SM3) with HASH_SHA256. The context is
// caller memory of SHA256_CTX_SIZE bytes; the compression function is compress.ts (generated).
import { HASH_BLOCK_SIZE, HASH_CTX_SIZE, HASH_DIGEST_SIZE, HASH_SHA256, hash, hashFinal, hashInit, hashUpdate } from "../hash/md";

export const SHA256_DIGEST_SIZE: usize = HASH_DIGEST_SIZE;
export const SHA256_BLOCK_SIZE: usize = HASH_BLOCK_SIZE;
export const SHA256_CTX_SIZE: usize = HASH_CTX_SIZE;

/** Start a hash in the SHA256_CTX_SIZE bytes at `ctx`. */
// @ts-ignore: decorator
@inline
export function sha256Init(ctx: usize): void {
  hashInit(HASH_SHA256, ctx);
}

/** Absorb `len` bytes at `src` (any length, any alignment). */
// @ts-ignore: decorator
@inline
export function sha256Update(ctx: usize, src: usize, len: usize): void {
  hashUpdate(HASH_SHA256, ctx, src, len);
}

/** Pad, write the 32-byte digest to `out`, and wipe the context (`out` may lie inside it). */
// @ts-ignore: decorator
@inline
export function sha256Final(ctx: usize, out: usize): void {
  hashFinal(HASH_SHA256, ctx, out);
}

/** One-shot SHA-256 of `len` bytes at `src` into 32 bytes at `out` (may overlap the input). */
// @ts-ignore: decorator
@inline
export function sha256(src: usize, len: usize, out: usize): void {
  hash(HASH_SHA256, src, len, out);
}
