// SHA-256 (FIPS 180-4 §6.2): streaming (init / update / final over a caller-owned context) and
// one-shot. 64-byte blocks, 32-byte digest, big-endian words, 64-bit bit count (§5.1.1). No
// allocation: the context is caller memory; the compression function (compress.ts, generated)
// keeps the message schedule in locals. Lengths: up to 2^32-1 bytes per update, 2^61-1 in total.
// The context layout is SM3's (assembly/sm3/sm3.ts), so both hashes share their handle rules.
import { wipe } from "../mem";
import { sha256Compress as compress } from "./compress";

export const SHA256_DIGEST_SIZE: usize = 32;
export const SHA256_BLOCK_SIZE: usize = 64;

// Context layout (SHA256_CTX_SIZE bytes, any alignment):
//   0  state  H0..H7 as u32 (native byte order)
//  32  total  bytes absorbed so far, u64
//  40  fill   bytes waiting in the block buffer, u32
//  48  block  64-byte buffer for a partial block
const CTX_TOTAL: usize = 32;
const CTX_FILL: usize = 40;
const CTX_BLOCK: usize = 48;
export const SHA256_CTX_SIZE: usize = 112;

/** Start a hash in the SHA256_CTX_SIZE bytes at `ctx` (initial value: FIPS 180-4 §5.3.3). */
export function sha256Init(ctx: usize): void {
  store<u32>(ctx, 0x6a09e667, 0); store<u32>(ctx, 0xbb67ae85, 4);
  store<u32>(ctx, 0x3c6ef372, 8); store<u32>(ctx, 0xa54ff53a, 12);
  store<u32>(ctx, 0x510e527f, 16); store<u32>(ctx, 0x9b05688c, 20);
  store<u32>(ctx, 0x1f83d9ab, 24); store<u32>(ctx, 0x5be0cd19, 28);
  store<u64>(ctx + CTX_TOTAL, 0);
  store<u32>(ctx + CTX_FILL, 0);
}

/** Absorb `len` bytes at `src` (any length, any alignment). */
export function sha256Update(ctx: usize, src: usize, len: usize): void {
  if (len == 0) return;
  store<u64>(ctx + CTX_TOTAL, load<u64>(ctx + CTX_TOTAL) + <u64>len);
  // `& 63`: the cell is always < 64, but it is memory an in-bounds host output can overwrite;
  // as an offset it must never trap.
  let fill = <usize>(load<u32>(ctx + CTX_FILL) & 63);
  const buf = ctx + CTX_BLOCK;
  if (fill != 0) {
    const take = min<usize>(SHA256_BLOCK_SIZE - fill, len);
    memory.copy(buf + fill, src, take);
    fill += take; src += take; len -= take;
    if (fill < SHA256_BLOCK_SIZE) { store<u32>(ctx + CTX_FILL, <u32>fill); return; }
    compress(ctx, buf, 1);
    fill = 0;
  }
  const whole = len >> 6;
  if (whole != 0) {
    compress(ctx, src, whole);
    src += whole << 6; len &= 63;
  }
  if (len != 0) memory.copy(buf, src, len);
  store<u32>(ctx + CTX_FILL, <u32>len);
}

/** Pad (§5.1.1), write the 32-byte digest to `out`, and wipe the context (`out` may lie inside it). */
export function sha256Final(ctx: usize, out: usize): void {
  const buf = ctx + CTX_BLOCK;
  let fill = <usize>(load<u32>(ctx + CTX_FILL) & 63);  // see sha256Update
  const bits = load<u64>(ctx + CTX_TOTAL) << 3;
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > 56) {
    memory.fill(buf + fill, 0, SHA256_BLOCK_SIZE - fill);
    compress(ctx, buf, 1);
    fill = 0;
  }
  memory.fill(buf + fill, 0, 56 - fill);
  store<u64>(buf + 56, bswap<u64>(bits));
  compress(ctx, buf, 1);
  const v0 = load<u64>(ctx, 0), v1 = load<u64>(ctx, 8), v2 = load<u64>(ctx, 16), v3 = load<u64>(ctx, 24);
  wipe(ctx, SHA256_CTX_SIZE);
  store<u64>(out, v0, 0); store<u64>(out, v1, 8); store<u64>(out, v2, 16); store<u64>(out, v3, 24);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(out + i)));
}

const oneShotCtx: usize = memory.data(<i32>SHA256_CTX_SIZE, 16);

/** One-shot SHA-256 of `len` bytes at `src` into 32 bytes at `out` (may overlap the input). */
export function sha256(src: usize, len: usize, out: usize): void {
  sha256Init(oneShotCtx);
  sha256Update(oneShotCtx, src, len);
  sha256Final(oneShotCtx, out);
}
