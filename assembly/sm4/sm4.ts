// SM4 block cipher, GB/T 32907-2016 (also ISO/IEC 18033-3:2010/Amd 1:2021; English text in
// draft-ribose-cfrg-sm4): key schedule, block encryption/decryption and ECB.
//
// Constant-time: no memory address and no branch depends on the key or the data. The S-box τ is
// computed with GF((2^4)^2) arithmetic and i8x16.swizzle (sbox.ts); the linear map L is lane
// shuffles, shifts and XORs. Blocks run four at a time: their words are transposed so that vector
// W_j holds word j of four blocks (lane b = block b, as a native u32), and one τ call maps the
// 16 bytes of the four round inputs. Eight blocks interleave two such groups, which keeps both
// of the CPU's vector pipes busy; one block uses the same code with its words in every lane.
// Runs of 32 blocks (512 bytes) go to the bitsliced kernel of bitslice.ts, about twice as fast.
//
// The portable build (no SIMD; ASC_FEATURE_SIMD is false, and the SIMD code below is not
// compiled into it) runs every path on the bitsliced scalar kernels of bitslice-scalar.ts:
// 8 blocks on u32 planes, 16 on u64 planes; one to seven blocks go through a scratch batch of
// eight, and the key schedule uses the same S-box circuit on one word. Still constant time.
import { sm4Tau16 } from "./sbox";
import { sm4Crypt32 as sm4Crypt32Simd } from "./bitslice";
import { sm4Crypt8Scalar, sm4Crypt16Scalar, sm4TauScalar } from "./bitslice-scalar";
import { wipe } from "../mem";

/** Encrypt round keys (32 x u32, native values) at +0, decrypt round keys (reversed) at +128. */
export const SM4_KEY_CTX_SIZE: usize = 256;
/** Offset of the decrypt round keys in a key context. */
export const SM4_DEC: usize = 128;
export const SM4_BLOCK: usize = 16;

// Rotations of each 32-bit lane by whole bytes are byte shuffles.
// @ts-ignore: decorator
@inline
function rotl8(x: v128): v128 {
  return i8x16.shuffle(x, x, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14);
}
// @ts-ignore: decorator
@inline
function rotl16(x: v128): v128 {
  return i8x16.shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}
// @ts-ignore: decorator
@inline
function rotl24(x: v128): v128 {
  return i8x16.shuffle(x, x, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
}

/** T(x) = L(τ(x)) on each lane: L(B) = B ^ (B <<< 2) ^ (B <<< 10) ^ (B <<< 18) ^ (B <<< 24). */
// @ts-ignore: decorator
@inline
function roundT(x: v128): v128 {
  const b = sm4Tau16(x);
  // (B <<< 2) ^ (B <<< 10) ^ (B <<< 18) = (B ^ (B <<< 8) ^ (B <<< 16)) <<< 2
  const c = v128.xor(v128.xor(b, rotl8(b)), rotl16(b));
  return v128.xor(v128.xor(b, rotl24(b)), v128.or(i32x4.shl(c, 2), i32x4.shr_u(c, 30)));
}

/** Byte-swap each 32-bit lane (SM4 words are big-endian). */
// @ts-ignore: decorator
@inline
function bswapLanes(x: v128): v128 {
  return i8x16.shuffle(x, x, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
}

/** Four blocks at `src` → their words transposed into W0..W3 at `st`, st + 16, st + 32, st + 48. */
// @ts-ignore: decorator
@inline
function gather4(src: usize, st: usize): void {
  const b0 = bswapLanes(v128.load(src)),
    b1 = bswapLanes(v128.load(src, 16)),
    b2 = bswapLanes(v128.load(src, 32)),
    b3 = bswapLanes(v128.load(src, 48));
  const t0 = i32x4.shuffle(b0, b1, 0, 4, 1, 5),
    t1 = i32x4.shuffle(b2, b3, 0, 4, 1, 5),
    t2 = i32x4.shuffle(b0, b1, 2, 6, 3, 7),
    t3 = i32x4.shuffle(b2, b3, 2, 6, 3, 7);
  v128.store(st, i64x2.shuffle(t0, t1, 0, 2));
  v128.store(st, i64x2.shuffle(t0, t1, 1, 3), 16);
  v128.store(st, i64x2.shuffle(t2, t3, 0, 2), 32);
  v128.store(st, i64x2.shuffle(t2, t3, 1, 3), 48);
}

/** The output of four blocks from X32..X35 at st..st + 48: each block is (X35, X34, X33, X32). */
// @ts-ignore: decorator
@inline
function scatter4(st: usize, dst: usize): void {
  const w0 = v128.load(st),
    w1 = v128.load(st, 16),
    w2 = v128.load(st, 32),
    w3 = v128.load(st, 48);
  const t0 = i32x4.shuffle(w3, w2, 0, 4, 1, 5),
    t1 = i32x4.shuffle(w1, w0, 0, 4, 1, 5),
    t2 = i32x4.shuffle(w3, w2, 2, 6, 3, 7),
    t3 = i32x4.shuffle(w1, w0, 2, 6, 3, 7);
  v128.store(dst, bswapLanes(i64x2.shuffle(t0, t1, 0, 2)));
  v128.store(dst, bswapLanes(i64x2.shuffle(t0, t1, 1, 3)), 16);
  v128.store(dst, bswapLanes(i64x2.shuffle(t2, t3, 0, 2)), 32);
  v128.store(dst, bswapLanes(i64x2.shuffle(t2, t3, 1, 3)), 48);
}

// Transposed state of up to eight blocks (single-threaded module), wiped after each use; the
// portable build's batch of one to seven blocks.
const STATE: usize = memory.data(128, 16);

const FK0: u32 = 0xa3b1bac6;
const FK1: u32 = 0x56aa3350;
const FK2: u32 = 0x677d9197;
const FK3: u32 = 0xb27022dc;

/** CK_i of the key expansion (GB/T 32907 §7.3): bytes (4i + j) · 7 mod 256, j = 0..3. */
// @ts-ignore: decorator
@inline
function ck(i: u32): u32 {
  const c = i * 28;
  return ((c & 255) << 24) | (((c + 7) & 255) << 16) | (((c + 14) & 255) << 8) | ((c + 21) & 255);
}

/** T' of the key expansion: τ (the same constant-time S-box, in every lane) then L'. */
// @ts-ignore: decorator
@inline
function keyT(x: u32): u32 {
  let b: u32;
  if (ASC_FEATURE_SIMD) b = i32x4.extract_lane(sm4Tau16(i32x4.splat(x)), 0);
  else b = sm4TauScalar(x);
  return b ^ rotl<u32>(b, 13) ^ rotl<u32>(b, 23);
}

/** Expand the 16-byte key at `key` into the key context `ctx` (SM4_KEY_CTX_SIZE bytes). */
export function sm4SetKey(ctx: usize, key: usize): void {
  let k0 = bswap<u32>(load<u32>(key)) ^ FK0;
  let k1 = bswap<u32>(load<u32>(key, 4)) ^ FK1;
  let k2 = bswap<u32>(load<u32>(key, 8)) ^ FK2;
  let k3 = bswap<u32>(load<u32>(key, 12)) ^ FK3;
  for (let i: u32 = 0; i < 32; i++) {
    const rk = k0 ^ keyT(k1 ^ k2 ^ k3 ^ ck(i));
    k0 = k1;
    k1 = k2;
    k2 = k3;
    k3 = rk;
    store<u32>(ctx + (<usize>i << 2), rk);
    store<u32>(ctx + SM4_DEC + (<usize>(31 - i) << 2), rk);
  }
}

/**
 * The 16-byte key of the key context `ctx`, written to `key`: the key expansion run backwards.
 * rk_0..rk_3 are K_4..K_7, and K_i = K_{i+4} ^ T'(K_{i+1} ^ K_{i+2} ^ K_{i+3} ^ CK_i) for
 * i = 3, 2, 1, 0; MK = K_0..K_3 ^ FK. For a context that keeps only schedules (a session slot)
 * and must hand its key to a KDF once. Constant time, like sm4SetKey.
 */
export function sm4KeyFromSchedule(ctx: usize, key: usize): void {
  let k4 = load<u32>(ctx), k5 = load<u32>(ctx, 4), k6 = load<u32>(ctx, 8), k7 = load<u32>(ctx, 12);
  for (let i: i32 = 3; i >= 0; i--) {
    const k = k7 ^ keyT(k4 ^ k5 ^ k6 ^ ck(<u32>i));
    k7 = k6;
    k6 = k5;
    k5 = k4;
    k4 = k;
  }
  store<u32>(key, bswap<u32>(k4 ^ FK0));
  store<u32>(key, bswap<u32>(k5 ^ FK1), 4);
  store<u32>(key, bswap<u32>(k6 ^ FK2), 8);
  store<u32>(key, bswap<u32>(k7 ^ FK3), 12);
}

/** The 32 rounds on the four-lane words W0..W3 at st .. st + 48, in place (X32..X35 on return). */
// @ts-ignore: decorator
@inline
function rounds4(rk: usize, st: usize): void {
  let w0 = v128.load(st),
    w1 = v128.load(st, 16),
    w2 = v128.load(st, 32),
    w3 = v128.load(st, 48);
  for (let end = rk + 128; rk < end; rk += 16) {
    w0 = v128.xor(w0, roundT(v128.xor(v128.xor(w1, w2), v128.xor(w3, v128.load32_splat(rk)))));
    w1 = v128.xor(w1, roundT(v128.xor(v128.xor(w2, w3), v128.xor(w0, v128.load32_splat(rk, 4)))));
    w2 = v128.xor(w2, roundT(v128.xor(v128.xor(w3, w0), v128.xor(w1, v128.load32_splat(rk, 8)))));
    w3 = v128.xor(w3, roundT(v128.xor(v128.xor(w0, w1), v128.xor(w2, v128.load32_splat(rk, 12)))));
  }
  v128.store(st, w0);
  v128.store(st, w1, 16);
  v128.store(st, w2, 32);
  v128.store(st, w3, 48);
}

/** One block with the round keys at `rk` (encrypt or decrypt: SM4 is its own inverse with reversed keys). */
export function sm4Crypt1(rk: usize, src: usize, dst: usize): void {
  if (!ASC_FEATURE_SIMD) {
    cryptFewScalar(rk, src, dst, 16);
    return;
  }
  // the block's words in every lane: the four-lane rounds, lane 0 read back
  v128.store(STATE, i32x4.splat(bswap<u32>(load<u32>(src))));
  v128.store(STATE, i32x4.splat(bswap<u32>(load<u32>(src, 4))), 16);
  v128.store(STATE, i32x4.splat(bswap<u32>(load<u32>(src, 8))), 32);
  v128.store(STATE, i32x4.splat(bswap<u32>(load<u32>(src, 12))), 48);
  rounds4(rk, STATE);
  store<u32>(dst, bswap<u32>(load<u32>(STATE, 48)));
  store<u32>(dst, bswap<u32>(load<u32>(STATE, 32)), 4);
  store<u32>(dst, bswap<u32>(load<u32>(STATE, 16)), 8);
  store<u32>(dst, bswap<u32>(load<u32>(STATE)), 12);
  wipe(STATE, 64);
}

/** Four consecutive blocks (64 bytes); src may equal dst. */
export function sm4Crypt4(rk: usize, src: usize, dst: usize): void {
  if (!ASC_FEATURE_SIMD) {
    cryptFewScalar(rk, src, dst, 64);
    return;
  }
  gather4(src, STATE);
  rounds4(rk, STATE);
  scatter4(STATE, dst);
  wipe(STATE, 64);
}

/** Eight consecutive blocks (128 bytes), two groups of four interleaved; src may equal dst. */
export function sm4Crypt8(rk: usize, src: usize, dst: usize): void {
  if (!ASC_FEATURE_SIMD) {
    sm4Crypt8Scalar(rk, src, dst);
    return;
  }
  gather4(src, STATE);
  gather4(src + 64, STATE + 64);
  let w0 = v128.load(STATE),
    w1 = v128.load(STATE, 16),
    w2 = v128.load(STATE, 32),
    w3 = v128.load(STATE, 48);
  let v0 = v128.load(STATE, 64),
    v1 = v128.load(STATE, 80),
    v2 = v128.load(STATE, 96),
    v3 = v128.load(STATE, 112);
  for (let end = rk + 128; rk < end; rk += 16) {
    let k = v128.load32_splat(rk);
    w0 = v128.xor(w0, roundT(v128.xor(v128.xor(w1, w2), v128.xor(w3, k))));
    v0 = v128.xor(v0, roundT(v128.xor(v128.xor(v1, v2), v128.xor(v3, k))));
    k = v128.load32_splat(rk, 4);
    w1 = v128.xor(w1, roundT(v128.xor(v128.xor(w2, w3), v128.xor(w0, k))));
    v1 = v128.xor(v1, roundT(v128.xor(v128.xor(v2, v3), v128.xor(v0, k))));
    k = v128.load32_splat(rk, 8);
    w2 = v128.xor(w2, roundT(v128.xor(v128.xor(w3, w0), v128.xor(w1, k))));
    v2 = v128.xor(v2, roundT(v128.xor(v128.xor(v3, v0), v128.xor(v1, k))));
    k = v128.load32_splat(rk, 12);
    w3 = v128.xor(w3, roundT(v128.xor(v128.xor(w0, w1), v128.xor(w2, k))));
    v3 = v128.xor(v3, roundT(v128.xor(v128.xor(v0, v1), v128.xor(v2, k))));
  }
  v128.store(STATE, w0);
  v128.store(STATE, w1, 16);
  v128.store(STATE, w2, 32);
  v128.store(STATE, w3, 48);
  v128.store(STATE, v0, 64);
  v128.store(STATE, v1, 80);
  v128.store(STATE, v2, 96);
  v128.store(STATE, v3, 112);
  scatter4(STATE, dst);
  scatter4(STATE + 64, dst + 64);
  wipe(STATE, 128);
}

/** Thirty-two consecutive blocks (512 bytes); src may equal dst. */
// @ts-ignore: decorator
@inline
export function sm4Crypt32(rk: usize, src: usize, dst: usize): void {
  if (ASC_FEATURE_SIMD) {
    sm4Crypt32Simd(rk, src, dst);
  } else {
    sm4Crypt16Scalar(rk, src, dst);
    sm4Crypt16Scalar(rk, src + 256, dst + 256);
  }
}

/**
 * Portable build: `len` bytes (16 … 112, whole blocks) through one eight-block scalar pass over
 * the STATE scratch (the unused blocks are zeros: STATE is wiped after every use).
 */
function cryptFewScalar(rk: usize, src: usize, dst: usize, len: usize): void {
  memory.copy(STATE, src, len);
  sm4Crypt8Scalar(rk, STATE, STATE);
  memory.copy(dst, STATE, len);
  wipe(STATE, 128);
}

/** Encrypt one 16-byte block; src may equal dst. */
export function sm4EncryptBlock(ctx: usize, src: usize, dst: usize): void {
  sm4Crypt1(ctx, src, dst);
}

/** Decrypt one 16-byte block; src may equal dst. */
export function sm4DecryptBlock(ctx: usize, src: usize, dst: usize): void {
  sm4Crypt1(ctx + SM4_DEC, src, dst);
}

/** ECB over `len` bytes (a multiple of 16) with the round keys at `rk`; src may equal dst. */
export function sm4Ecb(rk: usize, src: usize, dst: usize, len: usize): void {
  let i: usize = 0;
  if (!ASC_FEATURE_SIMD) {
    for (; i + 256 <= len; i += 256) sm4Crypt16Scalar(rk, src + i, dst + i);
    if (i + 128 <= len) {
      sm4Crypt8Scalar(rk, src + i, dst + i);
      i += 128;
    }
    if (i < len) cryptFewScalar(rk, src + i, dst + i, len - i);
    return;
  }
  for (; i + 512 <= len; i += 512) sm4Crypt32(rk, src + i, dst + i);
  for (; i + 128 <= len; i += 128) sm4Crypt8(rk, src + i, dst + i);
  if (i + 64 <= len) {
    sm4Crypt4(rk, src + i, dst + i);
    i += 64;
  }
  const rest = len - i;
  if (rest > 16) {
    // two or three blocks: one four-block pass over a scratch copy costs what one block does
    memory.copy(TAIL, src + i, rest);
    sm4Crypt4(rk, TAIL, TAIL);
    memory.copy(dst + i, TAIL, rest);
    wipe(TAIL, 64);
  } else if (rest == 16) {
    sm4Crypt1(rk, src + i, dst + i);
  }
}

// Scratch for sm4Ecb's last two or three blocks.
const TAIL: usize = memory.data(64, 16);

/** ECB encryption of `len` bytes (a multiple of 16; the caller checks). */
export function sm4EcbEncrypt(ctx: usize, src: usize, dst: usize, len: usize): void {
  sm4Ecb(ctx, src, dst, len);
}

/** ECB decryption of `len` bytes (a multiple of 16; the caller checks). */
export function sm4EcbDecrypt(ctx: usize, src: usize, dst: usize, len: usize): void {
  sm4Ecb(ctx + SM4_DEC, src, dst, len);
}

/** Zero a key or GCM context of `size` bytes. */
export function sm4Wipe(ctx: usize, size: usize): void {
  wipe(ctx, size);
}
