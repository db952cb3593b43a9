// SM4-GCM: GCM (NIST SP 800-38D) with SM4 as the block cipher, as RFC 8998 §3 uses it for TLS 1.3.
// The mode is assembly/gcm/gcm.ts (shared with AES-128-GCM); these are its SM4 entry points, under
// the names the rest of the module uses. See gcm.ts for IV and tag lengths, the open-before-write
// rule and the stream API (which abi/block-modes.ts calls with the cipher selector).
import { GCM_SM4, gcmInit, gcmSeal, gcmOpen } from "../gcm/gcm";
export { SM4_GCM_CTX_SIZE, GCM_STREAM_SIZE } from "../gcm/gcm";

/**
 * The SM4 key context inside a GCM context (its first SM4_KEY_CTX_SIZE bytes): a GCM context
 * serves the block modes of sm4.ts too, so one key schedule covers both.
 */
// @ts-ignore: decorator
@inline
export function sm4GcmKeyCtx(gctx: usize): usize {
  return gctx;
}

// @ts-ignore: decorator
@inline
export function sm4GcmInit(gctx: usize, key: usize): void {
  gcmInit(GCM_SM4, gctx, key);
}

// @ts-ignore: decorator
@inline
export function sm4GcmSeal(gctx: usize, iv: usize, ivLen: usize, aad: usize, aadLen: usize, src: usize, len: usize, dst: usize, tag: usize): void {
  gcmSeal(GCM_SM4, gctx, iv, ivLen, aad, aadLen, src, len, dst, tag);
}

// @ts-ignore: decorator
@inline
export function sm4GcmOpen(gctx: usize, iv: usize, ivLen: usize, aad: usize, aadLen: usize, src: usize, len: usize, tag: usize, tagLen: usize, dst: usize): i32 {
  return gcmOpen(GCM_SM4, gctx, iv, ivLen, aad, aadLen, src, len, tag, tagLen, dst);
}
