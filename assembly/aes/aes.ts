// AES-128 (FIPS 197): the key expansion (§5.2) into the round-key planes of the bitsliced kernels
// (bitslice.ts, generated), and ECB over any number of whole blocks (eight at a time in the SIMD
// build, four at a time otherwise). Constant-time: SubWord in
// the key expansion runs the same S-box circuit on bit planes; no address or branch depends on
// the key or the data.
//
// The round-key planes fold in the S-box's constant 0x63 (aes-circuit.mjs computes S' = S ⊕ 0x63):
// round keys 1..10 are stored XORed with 63 63 … 63. The constant passes ShiftRows and
// MixColumns unchanged (MixColumns maps a column of equal bytes c to itself: 2 ⊕ 3 ⊕ 1 ⊕ 1 = 1),
// so adding it at the next AddRoundKey is adding it right after SubBytes. Decryption uses the
// same planes backwards: InvSubBytes(x) = S⁻¹'(x ⊕ 63), and the 63 it needs comes from the round
// key added just before it (InvMixColumns also maps constant columns to themselves).
import { aesEncrypt4, aesDecrypt4, aesEncrypt8, aesDecrypt8, aesPlanes, aesSboxPlanes } from "./bitslice";
import { wipe } from "../mem";

/** Bytes of the round-key planes: 11 round keys × 8 planes × 8 bytes. */
export const AES_RK_SIZE: usize = 704;

// Scratch (single-threaded module), wiped after use: the expanded key bytes, SubWord's planes,
// and a four-block buffer (key expansion, partial batches).
const W: usize = memory.data(176, 16);
const PL: usize = memory.data(64, 16);
const BLK: usize = memory.data(64, 16);

/** S-box of each byte of w (SubWord, FIPS 197 §5.2) through the bitsliced circuit. */
function subWord(w: u32): u32 {
  for (let i: u32 = 0; i < 8; i++) {
    let p: u64 = 0;
    for (let t: u32 = 0; t < 4; t++) p |= <u64>((w >> (8 * t + i)) & 1) << t;
    store<u64>(PL + 8 * <usize>i, p);
  }
  aesSboxPlanes(PL);
  let r: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) {
    const p = load<u64>(PL + 8 * <usize>i);
    for (let t: u32 = 0; t < 4; t++) r |= <u32>((p >> t) & 1) << (8 * t + i);
  }
  wipe(PL, 64);
  return r ^ 0x63636363;
}

/** Expand the 16-byte key at `key` into the AES_RK_SIZE bytes of round-key planes at `rk`. */
export function aesExpandKey(rk: usize, key: usize): void {
  memory.copy(W, key, 16);
  let rcon: u32 = 1;
  for (let i: usize = 4; i < 44; i++) {
    // words as little-endian u32: byte 0 of the word is its low byte, RotWord is rotr by 8
    let t = load<u32>(W + 4 * (i - 1));
    if ((i & 3) == 0) {
      t = subWord(rotr<u32>(t, 8)) ^ rcon;
      rcon = (rcon << 1) ^ ((rcon >> 7) * 0x11b); // Rcon[i/4] = x^(i/4 - 1) in GF(2^8); public
    }
    store<u32>(W + 4 * i, load<u32>(W + 4 * (i - 4)) ^ t);
  }
  for (let r: usize = 0; r < 11; r++) {
    const c: u64 = r == 0 ? 0 : 0x6363636363636363;
    const k0 = load<u64>(W + 16 * r) ^ c;
    const k1 = load<u64>(W + 16 * r, 8) ^ c;
    for (let b: usize = 0; b < 64; b += 16) {
      store<u64>(BLK + b, k0);
      store<u64>(BLK + b, k1, 8);
    }
    aesPlanes(BLK, rk + 64 * r);
  }
  wipe(W, 176);
  wipe(BLK, 64);
}

/** Encrypt (dec = false) or decrypt `len` bytes (a multiple of 16) at `src` into `dst` (may be `src`). */
export function aesEcb(rk: usize, src: usize, dst: usize, len: usize, dec: bool): void {
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 128 <= len; i += 128) {
      if (dec) aesDecrypt8(rk, src + i, dst + i);
      else aesEncrypt8(rk, src + i, dst + i);
    }
  }
  for (; i + 64 <= len; i += 64) {
    if (dec) aesDecrypt4(rk, src + i, dst + i);
    else aesEncrypt4(rk, src + i, dst + i);
  }
  if (i < len) {
    const n = len - i;
    memory.copy(BLK, src + i, n);
    memory.fill(BLK + n, 0, 64 - n);
    if (dec) aesDecrypt4(rk, BLK, BLK);
    else aesEncrypt4(rk, BLK, BLK);
    memory.copy(dst + i, BLK, n);
    wipe(BLK, 64);
  }
}

/** Encrypt the one 16-byte block at `src` into `dst` (may be `src`). */
export function aesEncrypt1(rk: usize, src: usize, dst: usize): void {
  aesEcb(rk, src, dst, 16, false);
}
