// The Merkle–Damgård hashes of the module, SM3 (GB/T 32905-2016) and SHA-256 (FIPS 180-4 §6.2),
// which differ only in their initial value and compression function: 64-byte blocks, a 32-byte
// digest of big-endian words, padding with 0x80, zeros and the 64-bit big-endian bit count.
// Streaming (init / update / final over a caller-owned context) and one-shot. The first parameter
// of every call, HASH_SM3 or HASH_SHA256, says which; it is fixed at each call site
// (sm3/sm3.ts and sha256/sha256.ts are the typed entry points). No allocation: the context is
// caller memory; the compression functions (sm3/compress.ts, sha256/compress.ts, generated) keep
// the message schedule in locals. Lengths: up to 2^32-1 bytes per update, 2^61-1 in total.
import { wipe } from "../mem";
import { sm3Compress } from "../sm3/compress";
import { sha256Compress } from "../sha256/compress";
import { HAS_SM, HAS_INTL } from "../suites";

/** The hash of a call. */
export const HASH_SM3: u32 = 0;
export const HASH_SHA256: u32 = 1;

/** h is SHA-256 (a build with one suite, suites.ts, answers at compile time). */
// @ts-ignore: decorator
@inline
function isSha256(h: u32): bool {
  return HAS_INTL && (!HAS_SM || h == HASH_SHA256);
}

export const HASH_DIGEST_SIZE: usize = 32;
export const HASH_BLOCK_SIZE: usize = 64;

// Context layout (HASH_CTX_SIZE bytes, any alignment), the same for both hashes:
//   0  state  8 words as u32 (native byte order)
//  32  total  bytes absorbed so far, u64
//  40  fill   bytes waiting in the block buffer, u32
//  48  block  64-byte buffer for a partial block
const CTX_TOTAL: usize = 32;
const CTX_FILL: usize = 40;
const CTX_BLOCK: usize = 48;
export const HASH_CTX_SIZE: usize = 112;

/** The compression function of hash h over `n` 64-byte blocks at `src`. */
// @ts-ignore: decorator
@inline
function compress(h: u32, ctx: usize, src: usize, n: usize): void {
  if (isSha256(h)) sha256Compress(ctx, src, n);
  else sm3Compress(ctx, src, n);
}

/** Start hash h in the HASH_CTX_SIZE bytes at `ctx` (initial values: GB/T 32905 §4.1, FIPS 180-4 §5.3.3). */
export function hashInit(h: u32, ctx: usize): void {
  if (isSha256(h)) {
    store<u32>(ctx, 0x6a09e667, 0); store<u32>(ctx, 0xbb67ae85, 4);
    store<u32>(ctx, 0x3c6ef372, 8); store<u32>(ctx, 0xa54ff53a, 12);
    store<u32>(ctx, 0x510e527f, 16); store<u32>(ctx, 0x9b05688c, 20);
    store<u32>(ctx, 0x1f83d9ab, 24); store<u32>(ctx, 0x5be0cd19, 28);
  } else {
    store<u32>(ctx, 0x7380166f, 0); store<u32>(ctx, 0x4914b2b9, 4);
    store<u32>(ctx, 0x172442d7, 8); store<u32>(ctx, 0xda8a0600, 12);
    store<u32>(ctx, 0xa96f30bc, 16); store<u32>(ctx, 0x163138aa, 20);
    store<u32>(ctx, 0xe38dee4d, 24); store<u32>(ctx, 0xb0fb0e4e, 28);
  }
  store<u64>(ctx + CTX_TOTAL, 0);
  store<u32>(ctx + CTX_FILL, 0);
}

/** Absorb `len` bytes at `src` (any length, any alignment). */
export function hashUpdate(h: u32, ctx: usize, src: usize, len: usize): void {
  if (len == 0) return;
  store<u64>(ctx + CTX_TOTAL, load<u64>(ctx + CTX_TOTAL) + <u64>len);
  // `& 63`: the cell is always < 64, but it is memory an in-bounds host output can overwrite
  // (e.g. a KDF output over the module's own contexts); as an offset it must never trap.
  let fill = <usize>(load<u32>(ctx + CTX_FILL) & 63);
  const buf = ctx + CTX_BLOCK;
  if (fill != 0) {
    const take = min<usize>(HASH_BLOCK_SIZE - fill, len);
    memory.copy(buf + fill, src, take);
    fill += take; src += take; len -= take;
    if (fill < HASH_BLOCK_SIZE) { store<u32>(ctx + CTX_FILL, <u32>fill); return; }
    compress(h, ctx, buf, 1);
    fill = 0;
  }
  const whole = len >> 6;
  if (whole != 0) {
    compress(h, ctx, src, whole);
    src += whole << 6; len &= 63;
  }
  if (len != 0) memory.copy(buf, src, len);
  store<u32>(ctx + CTX_FILL, <u32>len);
}

/** Pad, write the 32-byte digest to `out`, and wipe the context (`out` may lie inside it). */
export function hashFinal(h: u32, ctx: usize, out: usize): void {
  const buf = ctx + CTX_BLOCK;
  let fill = <usize>(load<u32>(ctx + CTX_FILL) & 63);  // see hashUpdate
  const bits = load<u64>(ctx + CTX_TOTAL) << 3;
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > 56) {
    memory.fill(buf + fill, 0, HASH_BLOCK_SIZE - fill);
    compress(h, ctx, buf, 1);
    fill = 0;
  }
  memory.fill(buf + fill, 0, 56 - fill);
  store<u64>(buf + 56, bswap<u64>(bits));
  compress(h, ctx, buf, 1);
  const v0 = load<u64>(ctx, 0), v1 = load<u64>(ctx, 8), v2 = load<u64>(ctx, 16), v3 = load<u64>(ctx, 24);
  wipe(ctx, HASH_CTX_SIZE);
  store<u64>(out, v0, 0); store<u64>(out, v1, 8); store<u64>(out, v2, 16); store<u64>(out, v3, 24);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(out + i)));
}

const oneShotCtx: usize = memory.data(<i32>HASH_CTX_SIZE, 16);

/** One-shot hash h of `len` bytes at `src` into 32 bytes at `out` (may overlap the input). */
export function hash(h: u32, src: usize, len: usize, out: usize): void {
  hashInit(h, oneShotCtx);
  hashUpdate(h, oneShotCtx, src, len);
  hashFinal(h, oneShotCtx, out);
}
