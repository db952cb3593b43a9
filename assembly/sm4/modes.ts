// SM4 modes of operation over sm4.ts: CBC and CTR (NIST SP 800-38A §6.2, §6.5; GB/T 17964-2021),
// and PKCS#7 padding (RFC 5652 §6.3). Callers check lengths and ranges (abi/sm4.ts).
// Chaining values live in 16-byte cells the caller owns and are updated on return, so a long
// message can be processed in pieces of whole blocks: CBC leaves the last ciphertext block in
// `iv`; CTR leaves the next unused counter block in `ctr`.
// The portable build (ASC_FEATURE_SIMD false) XORs blocks as two u64 and batches blocks for the
// scalar kernels of bitslice-scalar.ts instead.
import { SM4_DEC, sm4Crypt1, sm4Crypt4, sm4Crypt8, sm4Crypt32 } from "./sm4";
import { sm4Crypt8Scalar, sm4Crypt16Scalar } from "./bitslice-scalar";
import { wipe } from "../mem";

// Scratch: chaining value, saved ciphertext and keystream (512 B: one bitsliced batch of 32
// blocks). Single-threaded module.
const CHAIN: usize = memory.data(16, 16);
const SAVE: usize = memory.data(512, 16);
const KS: usize = memory.data(512, 16);

/** CBC encryption of `len` bytes (multiple of 16); src may equal dst. */
export function sm4CbcEncrypt(ctx: usize, iv: usize, src: usize, dst: usize, len: usize): void {
  if (!ASC_FEATURE_SIMD) {
    let c0 = load<u64>(iv),
      c1 = load<u64>(iv, 8);
    for (let i: usize = 0; i < len; i += 16) {
      store<u64>(CHAIN, c0 ^ load<u64>(src + i));
      store<u64>(CHAIN, c1 ^ load<u64>(src + i, 8), 8);
      sm4Crypt1(ctx, CHAIN, CHAIN);
      c0 = load<u64>(CHAIN);
      c1 = load<u64>(CHAIN, 8);
      store<u64>(dst + i, c0);
      store<u64>(dst + i, c1, 8);
    }
    store<u64>(iv, c0);
    store<u64>(iv, c1, 8);
    wipe(CHAIN, 16);
    return;
  }
  let c = v128.load(iv);
  for (let i: usize = 0; i < len; i += 16) {
    v128.store(CHAIN, v128.xor(c, v128.load(src + i)));
    sm4Crypt1(ctx, CHAIN, CHAIN);
    c = v128.load(CHAIN);
    v128.store(dst + i, c);
  }
  v128.store(iv, c);
  v128.store(CHAIN, i64x2.splat(0));
}

/**
 * CBC decryption of one run of n = 64, 128 or 512 bytes (4, 8 or 32 blocks, decrypted side by
 * side) after the chaining value `c`; returns the run's last ciphertext block, the next one.
 */
// @ts-ignore: decorator
@inline
function cbcDecryptRun(rk: usize, src: usize, dst: usize, n: usize, c: v128): v128 {
  // keep the ciphertext in memory, not in locals, so the block code keeps its registers
  memory.copy(SAVE, src, n);
  if (n == 512) sm4Crypt32(rk, SAVE, dst);
  else if (n == 128) sm4Crypt8(rk, SAVE, dst);
  else sm4Crypt4(rk, SAVE, dst);
  v128.store(dst, v128.xor(v128.load(dst), c));
  for (let j: usize = 16; j < n; j += 16) v128.store(dst + j, v128.xor(v128.load(dst + j), v128.load(SAVE + j - 16)));
  return v128.load(SAVE + n - 16);
}

/** CBC decryption of `len` bytes (multiple of 16); src may equal dst. */
export function sm4CbcDecrypt(ctx: usize, iv: usize, src: usize, dst: usize, len: usize): void {
  const rk = ctx + SM4_DEC;
  if (!ASC_FEATURE_SIMD) {
    // pieces of up to 16 blocks: ciphertext saved, decrypted into KS, XORed with the previous one
    let c0 = load<u64>(iv),
      c1 = load<u64>(iv, 8);
    for (let i: usize = 0; i < len; ) {
      const n = min<usize>(len - i, 256);
      memory.copy(SAVE, src + i, n);
      if (n > 128) sm4Crypt16Scalar(rk, SAVE, KS);
      else sm4Crypt8Scalar(rk, SAVE, KS);
      for (let j: usize = 0; j < n; j += 16) {
        store<u64>(dst + i + j, load<u64>(KS + j) ^ c0);
        store<u64>(dst + i + j, load<u64>(KS + j, 8) ^ c1, 8);
        c0 = load<u64>(SAVE + j);
        c1 = load<u64>(SAVE + j, 8);
      }
      i += n;
    }
    store<u64>(iv, c0);
    store<u64>(iv, c1, 8);
    wipe(SAVE, 512);
    wipe(KS, 512);
    return;
  }
  let c = v128.load(iv);
  let i: usize = 0;
  for (; i + 512 <= len; i += 512) c = cbcDecryptRun(rk, src + i, dst + i, 512, c);
  for (; i + 128 <= len; i += 128) c = cbcDecryptRun(rk, src + i, dst + i, 128, c);
  if (i + 64 <= len) {
    c = cbcDecryptRun(rk, src + i, dst + i, 64, c);
    i += 64;
  }
  for (; i < len; i += 16) {
    const s = v128.load(src + i);
    sm4Crypt1(rk, src + i, dst + i);
    v128.store(dst + i, v128.xor(v128.load(dst + i), c));
    c = s;
  }
  v128.store(iv, c);
  wipe(SAVE, 512);
}

/**
 * CTR: dst = src XOR E(counter), E(counter + 1), … over `len` bytes (any length; a partial last
 * block uses the start of its keystream block). `wide` = false increments only the low 32 bits
 * of the counter block (wrapping, as GCM and RFC 3686 do); true increments all 128 bits
 * (OpenSSL / node:crypto "sm4-ctr"). src may equal dst.
 */
export function sm4Ctr(ctx: usize, ctr: usize, src: usize, dst: usize, len: usize, wide: bool): void {
  let hi = bswap<u64>(load<u64>(ctr));
  let lo = bswap<u64>(load<u64>(ctr, 8));
  for (let i: usize = 0; i < len; ) {
    const n = min<usize>(len - i, 512);
    // one counter block per (partial) block of this slice
    for (let k: usize = 0; k < n; k += 16) {
      store<u64>(KS + k, bswap<u64>(hi));
      store<u64>(KS + k, bswap<u64>(lo), 8);
      const next = lo + 1;
      hi += <u64>(wide & (next == 0));
      lo = wide ? next : (lo & 0xffffffff00000000) | (next & 0xffffffff);
    }
    // unused trailing counter blocks are harmless; a 32-block batch costs about two 8-block passes
    if (n > 256) sm4Crypt32(ctx, KS, KS);
    else if (ASC_FEATURE_SIMD) {
      if (n > 64) for (let k: usize = 0; k < n; k += 128) sm4Crypt8(ctx, KS + k, KS + k);
      else if (n > 16) sm4Crypt4(ctx, KS, KS);
      else sm4Crypt1(ctx, KS, KS);
    } else if (n > 128) sm4Crypt16Scalar(ctx, KS, KS);
    else sm4Crypt8Scalar(ctx, KS, KS);
    let j: usize = 0;
    if (ASC_FEATURE_SIMD) for (; j + 16 <= n; j += 16) v128.store(dst + i + j, v128.xor(v128.load(src + i + j), v128.load(KS + j)));
    else for (; j + 8 <= n; j += 8) store<u64>(dst + i + j, load<u64>(src + i + j) ^ load<u64>(KS + j));
    for (; j < n; j++) store<u8>(dst + i + j, load<u8>(src + i + j) ^ load<u8>(KS + j));
    i += n;
  }
  store<u64>(ctr, bswap<u64>(hi));
  store<u64>(ctr, bswap<u64>(lo), 8);
  wipe(KS, 512);
}

/** Fill the 16-byte block at `dst` with the `rem` (0..15) bytes at `src` and PKCS#7 padding. */
export function pkcs7Pad(src: usize, rem: usize, dst: usize): void {
  const pad = <u8>(16 - rem);
  for (let j: usize = 0; j < 16; j++) store<u8>(dst + j, j < rem ? load<u8>(src + j) : pad);
}

/**
 * Length of the padding at the end of the decrypted 16-byte block `blk`: 1..16, or 0 when the
 * padding is invalid. The check reads all 16 bytes whatever the outcome (no early exit).
 */
export function pkcs7Check(blk: usize): u32 {
  const p = <u32>load<u8>(blk, 15);
  // bad != 0 when p == 0 or p > 16
  let bad: u32 = ((p - 1) >> 31) | ((16 - p) >> 31);
  for (let j: u32 = 0; j < 16; j++) {
    // inPad = all ones when j >= 16 - p
    const inPad = ~(<u32>((<i32>(j - (16 - p))) >> 31));
    bad |= inPad & (<u32>load<u8>(blk + j) ^ p);
  }
  return bad == 0 ? p : 0;
}
