// SM3 cryptographic hash (GB/T 32905-2016): the typed entry points of hash/md.ts (the streaming
// and one-shot Merkle–Damgård code SM3 shares with SHA-256) with HASH_SM3. The context is
// caller memory of SM3_CTX_SIZE bytes; the compression function is compress.ts (generated).
import { HASH_BLOCK_SIZE, HASH_CTX_SIZE, HASH_DIGEST_SIZE, HASH_SM3, hash, hashFinal, hashInit, hashUpdate } from "../hash/md";

export const SM3_DIGEST_SIZE: usize = HASH_DIGEST_SIZE;
export const SM3_BLOCK_SIZE: usize = HASH_BLOCK_SIZE;
export const SM3_CTX_SIZE: usize = HASH_CTX_SIZE;

/** Start a hash in the SM3_CTX_SIZE bytes at `ctx`. */
// @ts-ignore: decorator
@inline
export function sm3Init(ctx: usize): void {
  hashInit(HASH_SM3, ctx);
}

/** Absorb `len` bytes at `src` (any length, any alignment). */
// @ts-ignore: decorator
@inline
export function sm3Update(ctx: usize, src: usize, len: usize): void {
  hashUpdate(HASH_SM3, ctx, src, len);
}

/** Pad, write the 32-byte digest to `out`, and wipe the context (`out` may lie inside it). */
// @ts-ignore: decorator
@inline
export function sm3Final(ctx: usize, out: usize): void {
  hashFinal(HASH_SM3, ctx, out);
}

/** One-shot SM3 of `len` bytes at `src` into 32 bytes at `out` (may overlap the input). */
// @ts-ignore: decorator
@inline
export function sm3(src: usize, len: usize, out: usize): void {
  hash(HASH_SM3, src, len, out);
}
