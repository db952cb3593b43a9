// AES-128-GCM: GCM (NIST SP 800-38D) with AES-128 (FIPS 197) as the block cipher. The mode is
// assembly/gcm/gcm.ts (shared with SM4-GCM); these are its AES entry points. A GCM context here is
// the round-key planes (AES_RK_SIZE bytes) and the GHASH key: abi/aes.ts expands it per call.
import {
  GCM_AES, gcmInit, gcmSeal, gcmOpen, gcmStreamStart, gcmStreamAad, gcmStreamEncrypt, gcmStreamFinish,
  gcmStreamAbsorb, gcmStreamVerify, gcmStreamDecrypt,
} from "../gcm/gcm";
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

// @ts-ignore: decorator
@inline
export function aesGcmStreamStart(gctx: usize, s: usize, iv: usize, ivLen: usize): void {
  gcmStreamStart(GCM_AES, gctx, s, iv, ivLen);
}

// @ts-ignore: decorator
@inline
export function aesGcmStreamAad(gctx: usize, s: usize, src: usize, len: usize): i32 {
  return gcmStreamAad(GCM_AES, gctx, s, src, len);
}

// @ts-ignore: decorator
@inline
export function aesGcmStreamEncrypt(gctx: usize, s: usize, src: usize, dst: usize, len: usize): i32 {
  return gcmStreamEncrypt(GCM_AES, gctx, s, src, dst, len);
}

// @ts-ignore: decorator
@inline
export function aesGcmStreamFinish(gctx: usize, s: usize, tag: usize): i32 {
  return gcmStreamFinish(GCM_AES, gctx, s, tag);
}

// @ts-ignore: decorator
@inline
export function aesGcmStreamAbsorb(gctx: usize, s: usize, src: usize, len: usize): i32 {
  return gcmStreamAbsorb(GCM_AES, gctx, s, src, len);
}

// @ts-ignore: decorator
@inline
export function aesGcmStreamVerify(gctx: usize, s: usize, tag: usize, tagLen: usize): i32 {
  return gcmStreamVerify(GCM_AES, gctx, s, tag, tagLen);
}

// @ts-ignore: decorator
@inline
export function aesGcmStreamDecrypt(gctx: usize, s: usize, src: usize, dst: usize, len: usize): i32 {
  return gcmStreamDecrypt(GCM_AES, gctx, s, src, dst, len);
}
