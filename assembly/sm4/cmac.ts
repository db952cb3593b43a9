// SM4-CMAC: CMAC (NIST SP 800-38B; the same construction as MAC algorithm 5 of GB/T 15852.1-2020)
// with SM4. The chaining value lives in a 16-byte cell the caller owns (start: zeros), so a long
// message is fed as whole-block pieces (sm4CmacUpdate) followed by its last 0..n bytes
// (sm4CmacFinal), which holds back the last block for the K1/K2 step.
import { sm4Crypt1 } from "./sm4";
import { wipe } from "../mem";

// Scratch: subkey (16), padded last block (16). Single-threaded module.
const SUB: usize = memory.data(32, 16);
const LASTB: usize = SUB + 16;

/** X = E(X ^ M_i) over `len` bytes of whole blocks (len % 16 == 0, checked by the caller). */
export function sm4CmacUpdate(ctx: usize, x: usize, src: usize, len: usize): void {
  if (!ASC_FEATURE_SIMD) {
    // the portable build: the same, with the block XOR as two u64
    for (let i: usize = 0; i < len; i += 16) {
      store<u64>(x, load<u64>(x) ^ load<u64>(src + i));
      store<u64>(x, load<u64>(x, 8) ^ load<u64>(src + i, 8), 8);
      sm4Crypt1(ctx, x, x);
    }
    return;
  }
  let c = v128.load(x);
  for (let i: usize = 0; i < len; i += 16) {
    v128.store(x, v128.xor(c, v128.load(src + i)));
    sm4Crypt1(ctx, x, x);
    c = v128.load(x);
  }
}

/** Double in GF(2^128) (SP 800-38B §6.1), in place on the big-endian block at p; constant-time. */
function dbl(p: usize): void {
  let carry: u32 = 0;
  for (let i: i32 = 15; i >= 0; i--) {
    const b = <u32>load<u8>(p + i);
    store<u8>(p + i, <u8>((b << 1) | carry));
    carry = b >> 7;
  }
  // the top bit shifted out: reduce by x^128 = x^7 + x^2 + x + 1
  store<u8>(p + 15, load<u8>(p + 15) ^ <u8>(0x87 & (0 - carry)));
}

/**
 * Absorb the last `len` bytes of the message (any length; 0 only for an empty message) and
 * write the 16-byte MAC at `mac`. Blocks before the last one go through sm4CmacUpdate first.
 * The chaining cell `x` is zeroed afterwards.
 */
export function sm4CmacFinal(ctx: usize, x: usize, src: usize, len: usize, mac: usize): void {
  // all but the last block
  const body: usize = len == 0 ? 0 : (len - 1) & ~15;
  sm4CmacUpdate(ctx, x, src, body);
  const rem = len - body; // 0..16
  // L = E(0); K1 = dbl(L) for a whole last block, K2 = dbl(K1) for a padded one
  if (ASC_FEATURE_SIMD) v128.store(SUB, i64x2.splat(0));
  else wipe(SUB, 16);
  sm4Crypt1(ctx, SUB, SUB);
  for (let d: usize = rem < 16 ? 2 : 1; d > 0; d--) dbl(SUB);
  if (ASC_FEATURE_SIMD) v128.store(LASTB, i64x2.splat(0));
  else wipe(LASTB, 16);
  memory.copy(LASTB, src + body, rem);
  if (rem < 16) store<u8>(LASTB + rem, 0x80); // M* ‖ 10…0
  if (ASC_FEATURE_SIMD) {
    v128.store(LASTB, v128.xor(v128.xor(v128.load(LASTB), v128.load(SUB)), v128.load(x)));
  } else {
    store<u64>(LASTB, load<u64>(LASTB) ^ load<u64>(SUB) ^ load<u64>(x));
    store<u64>(LASTB, load<u64>(LASTB, 8) ^ load<u64>(SUB, 8) ^ load<u64>(x, 8), 8);
  }
  sm4Crypt1(ctx, LASTB, mac);
  wipe(SUB, 32);
  wipe(x, 16);
}
