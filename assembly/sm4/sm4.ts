// SM4 block cipher, GB/T 32907-2016 (also ISO/IEC 18033-3:2010/Amd 1:2021; English text in
// draft-ribose-cfrg-sm4): key schedule, block encryption/decryption and ECB.
//
// Implementation: four 1 KiB T-tables (S-box and the linear map L fused), built once at module
// start from the 256-byte S-box. The 32-bit words of the state are kept in the byte order wasm
// loads them (little-endian), so the hot path has no byte swaps: the tables and the round keys
// are stored byte-swapped instead. Four blocks run interleaved so their dependency chains overlap.
// Table look-ups are indexed by secret data, as in OpenSSL's generic C SM4 and the JS peers: not
// constant-time against an attacker who can observe this CPU's cache.
import { wipe } from "../mem";

/** Encrypt round keys (32 x u32) at +0, decrypt round keys (the same, reversed) at +128. */
export const SM4_KEY_CTX_SIZE: usize = 256;
/** Offset of the decrypt round keys in a key context. */
export const SM4_DEC: usize = 128;
export const SM4_BLOCK: usize = 16;

// GB/T 32907-2016 §6.2 S-box.
const SBOX: usize = memory.data<u8>([
  0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7, 0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05,
  0x2b, 0x67, 0x9a, 0x76, 0x2a, 0xbe, 0x04, 0xc3, 0xaa, 0x44, 0x13, 0x26, 0x49, 0x86, 0x06, 0x99,
  0x9c, 0x42, 0x50, 0xf4, 0x91, 0xef, 0x98, 0x7a, 0x33, 0x54, 0x0b, 0x43, 0xed, 0xcf, 0xac, 0x62,
  0xe4, 0xb3, 0x1c, 0xa9, 0xc9, 0x08, 0xe8, 0x95, 0x80, 0xdf, 0x94, 0xfa, 0x75, 0x8f, 0x3f, 0xa6,
  0x47, 0x07, 0xa7, 0xfc, 0xf3, 0x73, 0x17, 0xba, 0x83, 0x59, 0x3c, 0x19, 0xe6, 0x85, 0x4f, 0xa8,
  0x68, 0x6b, 0x81, 0xb2, 0x71, 0x64, 0xda, 0x8b, 0xf8, 0xeb, 0x0f, 0x4b, 0x70, 0x56, 0x9d, 0x35,
  0x1e, 0x24, 0x0e, 0x5e, 0x63, 0x58, 0xd1, 0xa2, 0x25, 0x22, 0x7c, 0x3b, 0x01, 0x21, 0x78, 0x87,
  0xd4, 0x00, 0x46, 0x57, 0x9f, 0xd3, 0x27, 0x52, 0x4c, 0x36, 0x02, 0xe7, 0xa0, 0xc4, 0xc8, 0x9e,
  0xea, 0xbf, 0x8a, 0xd2, 0x40, 0xc7, 0x38, 0xb5, 0xa3, 0xf7, 0xf2, 0xce, 0xf9, 0x61, 0x15, 0xa1,
  0xe0, 0xae, 0x5d, 0xa4, 0x9b, 0x34, 0x1a, 0x55, 0xad, 0x93, 0x32, 0x30, 0xf5, 0x8c, 0xb1, 0xe3,
  0x1d, 0xf6, 0xe2, 0x2e, 0x82, 0x66, 0xca, 0x60, 0xc0, 0x29, 0x23, 0xab, 0x0d, 0x53, 0x4e, 0x6f,
  0xd5, 0xdb, 0x37, 0x45, 0xde, 0xfd, 0x8e, 0x2f, 0x03, 0xff, 0x6a, 0x72, 0x6d, 0x6c, 0x5b, 0x51,
  0x8d, 0x1b, 0xaf, 0x92, 0xbb, 0xdd, 0xbc, 0x7f, 0x11, 0xd9, 0x5c, 0x41, 0x1f, 0x10, 0x5a, 0xd8,
  0x0a, 0xc1, 0x31, 0x88, 0xa5, 0xcd, 0x7b, 0xbd, 0x2d, 0x74, 0xd0, 0x12, 0xb8, 0xe5, 0xb4, 0xb0,
  0x89, 0x69, 0x97, 0x4a, 0x0c, 0x96, 0x77, 0x7e, 0x65, 0xb9, 0xf1, 0x09, 0xc5, 0x6e, 0xc6, 0x84,
  0x18, 0xf0, 0x7d, 0xec, 0x3a, 0xdc, 0x4d, 0x20, 0x79, 0xee, 0x5f, 0x3e, 0xd7, 0xcb, 0x39, 0x48,]);

// T0..T3: byte-swapped L(S(b) << 24), L(S(b) << 16), L(S(b) << 8), L(S(b)), contiguous.
const T: usize = memory.data(4096, 64);

function initTables(): void {
  for (let b: u32 = 0; b < 256; b++) {
    const s = <u32>load<u8>(SBOX + b) << 24;
    const l = s ^ rotl<u32>(s, 2) ^ rotl<u32>(s, 10) ^ rotl<u32>(s, 18) ^ rotl<u32>(s, 24);
    // bswap(rotr(l, 8k)) = rotl(bswap(l), 8k)
    const t = bswap<u32>(l);
    const p = T + (<usize>b << 2);
    store<u32>(p, t);
    store<u32>(p, rotl<u32>(t, 8), 1024);
    store<u32>(p, rotl<u32>(t, 16), 2048);
    store<u32>(p, rotl<u32>(t, 24), 3072);
  }
}
initTables();

/** T(x) = L(τ(x)) on a byte-swapped word, giving a byte-swapped word. */
// @ts-ignore: decorator
@inline
function tt(x: u32): u32 {
  return (
    load<u32>(<usize>((x << 2) & 0x3fc), T) ^
    load<u32>(<usize>((x >> 6) & 0x3fc), T + 1024) ^
    load<u32>(<usize>((x >> 14) & 0x3fc), T + 2048) ^
    load<u32>(<usize>((x >> 22) & 0x3fc), T + 3072)
  );
}

/** S-box applied to each byte of a (normal, big-endian) word. */
// @ts-ignore: decorator
@inline
function tauWord(x: u32): u32 {
  return (
    (<u32>load<u8>(SBOX + (x >>> 24)) << 24) |
    (<u32>load<u8>(SBOX + ((x >>> 16) & 255)) << 16) |
    (<u32>load<u8>(SBOX + ((x >>> 8) & 255)) << 8) |
    <u32>load<u8>(SBOX + (x & 255))
  );
}

const FK0: u32 = 0xa3b1bac6;
const FK1: u32 = 0x56aa3350;
const FK2: u32 = 0x677d9197;
const FK3: u32 = 0xb27022dc;

/** Expand the 16-byte key at `key` into the key context `ctx` (SM4_KEY_CTX_SIZE bytes). */
export function sm4SetKey(ctx: usize, key: usize): void {
  let k0 = bswap<u32>(load<u32>(key)) ^ FK0;
  let k1 = bswap<u32>(load<u32>(key, 4)) ^ FK1;
  let k2 = bswap<u32>(load<u32>(key, 8)) ^ FK2;
  let k3 = bswap<u32>(load<u32>(key, 12)) ^ FK3;
  for (let i: u32 = 0; i < 32; i++) {
    // CK_i: bytes (4i + j) * 7 mod 256, j = 0..3
    const c = i * 28;
    const ck = ((c & 255) << 24) | (((c + 7) & 255) << 16) | (((c + 14) & 255) << 8) | ((c + 21) & 255);
    const b = tauWord(k1 ^ k2 ^ k3 ^ ck);
    const rk = k0 ^ b ^ rotl<u32>(b, 13) ^ rotl<u32>(b, 23);
    k0 = k1;
    k1 = k2;
    k2 = k3;
    k3 = rk;
    store<u32>(ctx + (<usize>i << 2), bswap<u32>(rk));
    store<u32>(ctx + SM4_DEC + (<usize>(31 - i) << 2), bswap<u32>(rk));
  }
}

/** One block with the round keys at `rk` (encrypt or decrypt: SM4 is its own inverse with reversed keys). */
export function sm4Crypt1(rk: usize, src: usize, dst: usize): void {
  let x0 = load<u32>(src);
  let x1 = load<u32>(src, 4);
  let x2 = load<u32>(src, 8);
  let x3 = load<u32>(src, 12);
  for (let end = rk + 128; rk < end; rk += 16) {
    // the word written last goes in last: one XOR between it and the next look-ups
    x0 ^= tt((x1 ^ x2 ^ load<u32>(rk)) ^ x3);
    x1 ^= tt((x2 ^ x3 ^ load<u32>(rk, 4)) ^ x0);
    x2 ^= tt((x3 ^ x0 ^ load<u32>(rk, 8)) ^ x1);
    x3 ^= tt((x0 ^ x1 ^ load<u32>(rk, 12)) ^ x2);
  }
  store<u32>(dst, x3);
  store<u32>(dst, x2, 4);
  store<u32>(dst, x1, 8);
  store<u32>(dst, x0, 12);
}

/** Four consecutive blocks (64 bytes) at once, rounds interleaved; src may equal dst. */
export function sm4Crypt4(rk: usize, src: usize, dst: usize): void {
  let a0 = load<u32>(src), a1 = load<u32>(src, 4), a2 = load<u32>(src, 8), a3 = load<u32>(src, 12);
  let b0 = load<u32>(src, 16), b1 = load<u32>(src, 20), b2 = load<u32>(src, 24), b3 = load<u32>(src, 28);
  let c0 = load<u32>(src, 32), c1 = load<u32>(src, 36), c2 = load<u32>(src, 40), c3 = load<u32>(src, 44);
  let d0 = load<u32>(src, 48), d1 = load<u32>(src, 52), d2 = load<u32>(src, 56), d3 = load<u32>(src, 60);
  for (let end = rk + 128; rk < end; rk += 16) {
    let k = load<u32>(rk);
    a0 ^= tt((a1 ^ a2 ^ k) ^ a3);
    b0 ^= tt((b1 ^ b2 ^ k) ^ b3);
    c0 ^= tt((c1 ^ c2 ^ k) ^ c3);
    d0 ^= tt((d1 ^ d2 ^ k) ^ d3);
    k = load<u32>(rk, 4);
    a1 ^= tt((a2 ^ a3 ^ k) ^ a0);
    b1 ^= tt((b2 ^ b3 ^ k) ^ b0);
    c1 ^= tt((c2 ^ c3 ^ k) ^ c0);
    d1 ^= tt((d2 ^ d3 ^ k) ^ d0);
    k = load<u32>(rk, 8);
    a2 ^= tt((a3 ^ a0 ^ k) ^ a1);
    b2 ^= tt((b3 ^ b0 ^ k) ^ b1);
    c2 ^= tt((c3 ^ c0 ^ k) ^ c1);
    d2 ^= tt((d3 ^ d0 ^ k) ^ d1);
    k = load<u32>(rk, 12);
    a3 ^= tt((a0 ^ a1 ^ k) ^ a2);
    b3 ^= tt((b0 ^ b1 ^ k) ^ b2);
    c3 ^= tt((c0 ^ c1 ^ k) ^ c2);
    d3 ^= tt((d0 ^ d1 ^ k) ^ d2);
  }
  store<u32>(dst, a3); store<u32>(dst, a2, 4); store<u32>(dst, a1, 8); store<u32>(dst, a0, 12);
  store<u32>(dst, b3, 16); store<u32>(dst, b2, 20); store<u32>(dst, b1, 24); store<u32>(dst, b0, 28);
  store<u32>(dst, c3, 32); store<u32>(dst, c2, 36); store<u32>(dst, c1, 40); store<u32>(dst, c0, 44);
  store<u32>(dst, d3, 48); store<u32>(dst, d2, 52); store<u32>(dst, d1, 56); store<u32>(dst, d0, 60);
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
  for (; i + 64 <= len; i += 64) sm4Crypt4(rk, src + i, dst + i);
  const rest = len - i;
  if (rest > 16) {
    // two or three blocks: one interleaved pass over a scratch copy beats two or three serial ones
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
