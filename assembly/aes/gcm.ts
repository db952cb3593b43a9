// AES-128-GCM: GCM (NIST SP 800-38D) with AES-128 (FIPS 197) as the block cipher. The mode is
// assembly/gcm/gcm.ts (shared with SM4-GCM); these are its AES entry points. A GCM context here is
// the round-key planes (AES_RK_SIZE bytes) and the GHASH key: aes/call-key.ts expands one per call.
import { GCM_AES, gcmInit, gcmSeal, gcmOpen } from "../gcm/gcm";
export { AES_GCM_CTX_SIZE, GCM_STREAM_SIZE } from "../gcm/gcm";

// @ts-ignore: decorator
@inline
export function aesGcmInit(gctx: usize, key: usize): void {
  gcmInit(GCM_AES, gctx, key);
}

// @ts-ignore: decorator
@inline
export function aesGcmSeal(gctx: usize, iv: usize, ivLen: usize, aad: usize, aadLen: usize, src: usize, len: usize, dst: usize, tag: usize): void {
  gcmSeal(GCM_AES, gctx, iv, ivLen, aad, aadLen, src, len, dst, tag);
}

// @ts-ignore: decorator
@inline
export function aesGcmOpen(gctx: usize, iv: usize, ivLen: usize, aad: usize, aadLen: usize, src: usize, len: usize, tag: usize, tagLen: usize, dst: usize): i32 {
  return gcmOpen(GCM_AES, gctx, iv, ivLen, aad, aadLen, src, len, tag, tagLen, dst);
}
