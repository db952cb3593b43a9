// AES-128 modes of operation over aes.ts: CBC and CTR (NIST SP 800-38A §6.2, §6.5). PKCS#7
// padding (RFC 5652 §6.3) is the SM4 modes' (assembly/sm4/modes.ts). Callers check lengths and
// ranges (abi/aes.ts). Chaining values live in 16-byte cells the caller owns and are updated on
// return, so a long message can be processed in pieces of whole blocks: CBC leaves the last
// ciphertext block in `iv`; CTR leaves the next unused counter block in `ctr`.
// The bitsliced kernels take four blocks at a time (eight in the SIMD build): CTR batches eight
// (four), CBC decryption four; CBC encryption is serial by nature and pays a four-block pass per
// block.
import { aesEcb } from "./aes";
import { aesEncrypt4, aesDecrypt4, aesEncrypt8 } from "./bitslice";
import { wipe } from "../mem";

// Scratch: saved ciphertext (one four-block batch) and keystream (one batch of the kernel: eight
// blocks in the SIMD build, four otherwise). Single-threaded module.
const SAVE: usize = memory.data(64, 16);
// (128 bytes in both builds, so both have the same memory map.)
const KS_SIZE: usize = ASC_FEATURE_SIMD ? 128 : 64;
const KS: usize = memory.data(128, 16);

/** CBC encryption of `len` bytes (multiple of 16); src may equal dst. */
export function aesCbcEncrypt(rk: usize, iv: usize, src: usize, dst: usize, len: usize): void {
  let c0 = load<u64>(iv),
    c1 = load<u64>(iv, 8);
  memory.fill(KS, 0, 64);
  for (let i: usize = 0; i < len; i += 16) {
    store<u64>(KS, c0 ^ load<u64>(src + i));
    store<u64>(KS, c1 ^ load<u64>(src + i, 8), 8);
    aesEncrypt4(rk, KS, KS);
    c0 = load<u64>(KS);
    c1 = load<u64>(KS, 8);
    store<u64>(dst + i, c0);
    store<u64>(dst + i, c1, 8);
  }
  store<u64>(iv, c0);
  store<u64>(iv, c1, 8);
  wipe(KS, 64);
}

/** CBC decryption of `len` bytes (multiple of 16); src may equal dst. */
export function aesCbcDecrypt(rk: usize, iv: usize, src: usize, dst: usize, len: usize): void {
  let c0 = load<u64>(iv),
    c1 = load<u64>(iv, 8);
  for (let i: usize = 0; i < len; i += 64) {
    const n = min<usize>(len - i, 64);
    memory.copy(SAVE, src + i, n);
    if (n < 64) memory.fill(SAVE + n, 0, 64 - n);
    aesDecrypt4(rk, SAVE, KS);
    for (let j: usize = 0; j < n; j += 16) {
      store<u64>(dst + i + j, load<u64>(KS + j) ^ c0);
      store<u64>(dst + i + j, load<u64>(KS + j, 8) ^ c1, 8);
      c0 = load<u64>(SAVE + j);
      c1 = load<u64>(SAVE + j, 8);
    }
  }
  store<u64>(iv, c0);
  store<u64>(iv, c1, 8);
  wipe(SAVE, 64);
  wipe(KS, 64);
}

/**
 * CTR: dst = src XOR E(counter), E(counter + 1), … over `len` bytes (any length; a partial last
 * block uses the start of its keystream block). `wide` = false increments only the low 32 bits
 * of the counter block (wrapping, as GCM does); true increments all 128 bits (OpenSSL /
 * node:crypto "aes-128-ctr", SP 800-38A Appendix B.1). src may equal dst.
 */
export function aesCtr(rk: usize, ctr: usize, src: usize, dst: usize, len: usize, wide: bool): void {
  let hi = bswap<u64>(load<u64>(ctr));
  let lo = bswap<u64>(load<u64>(ctr, 8));
  for (let i: usize = 0; i < len; ) {
    const n = min<usize>(len - i, KS_SIZE);
    for (let k: usize = 0; k < KS_SIZE; k += 16) {
      if (k < n) {
        store<u64>(KS + k, bswap<u64>(hi));
        store<u64>(KS + k, bswap<u64>(lo), 8);
        const next = lo + 1;
        hi += <u64>(wide & (next == 0));
        lo = wide ? next : (lo & 0xffffffff00000000) | (next & 0xffffffff);
      }
    }
    if (ASC_FEATURE_SIMD && n > 64) aesEncrypt8(rk, KS, KS);
    else aesEncrypt4(rk, KS, KS);
    let j: usize = 0;
    for (; j + 8 <= n; j += 8) store<u64>(dst + i + j, load<u64>(src + i + j) ^ load<u64>(KS + j));
    for (; j < n; j++) store<u8>(dst + i + j, load<u8>(src + i + j) ^ load<u8>(KS + j));
    i += n;
  }
  store<u64>(ctr, bswap<u64>(hi));
  store<u64>(ctr, bswap<u64>(lo), 8);
  wipe(KS, KS_SIZE);
}

export { aesEcb };
