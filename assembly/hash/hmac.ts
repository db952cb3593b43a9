// HMAC (RFC 2104, FIPS 198-1) over either hash of hash/md.ts, B = 64, L = 32: HMAC-SM3 and
// HMAC-SHA-256; the first parameter, HASH_SM3 or HASH_SHA256, is fixed at each call site
// (sm3/hmac.ts and sha256/hmac.ts are the typed entry points). Keys longer than 64 bytes are
// hashed first. The context holds the inner hash and the padded key K0 (needed again for the
// outer hash); the scratch pad that holds K0 ^ ipad / K0 ^ opad is wiped after each use.
import { wipe } from "../mem";
import { HASH_CTX_SIZE, hash, hashFinal, hashInit, hashUpdate } from "./md";

// Context layout: 0 inner hash context; HASH_CTX_SIZE: 64-byte key block K0 (key zero-padded).
const CTX_KEY: usize = HASH_CTX_SIZE;
export const HMAC_CTX_SIZE: usize = HASH_CTX_SIZE + 64;

const pad: usize = memory.data(64 + 32, 16);

/** XOR the 64-byte key block at `k` with `byte` into the scratch pad. */
function xorPad(k: usize, byte: u32): void {
  const m = <u64>byte * 0x0101010101010101;
  for (let i: usize = 0; i < 64; i += 8) store<u64>(pad + i, load<u64>(k + i) ^ m);
}

/** Start HMAC over hash h with a key of any length (the key bytes may be anywhere, even inside ctx). */
export function hmacInit(h: u32, ctx: usize, key: usize, keyLen: usize): void {
  const k0 = ctx + CTX_KEY;
  if (keyLen > 64) {
    hash(h, key, keyLen, pad);
    memory.copy(k0, pad, 32);
    memory.fill(k0 + 32, 0, 32);
  } else {
    memory.copy(k0, key, keyLen);
    memory.fill(k0 + keyLen, 0, 64 - keyLen);
  }
  xorPad(k0, 0x36);
  hashInit(h, ctx);
  hashUpdate(h, ctx, pad, 64);
  wipe(pad, 64 + 32);
}

/** Write the 32-byte MAC to `out` and wipe the context (`out` may lie inside it). */
export function hmacFinal(h: u32, ctx: usize, out: usize): void {
  hashFinal(h, ctx, pad + 64);             // inner hash H(K0 ^ ipad ‖ text)
  xorPad(ctx + CTX_KEY, 0x5c);
  wipe(ctx + CTX_KEY, 64);
  hashInit(h, ctx);
  hashUpdate(h, ctx, pad, 64 + 32);        // K0 ^ opad ‖ inner
  wipe(pad, 64 + 32);
  hashFinal(h, ctx, out);
}

const oneShotCtx: usize = memory.data(<i32>HMAC_CTX_SIZE, 16);

/** One-shot HMAC over hash h into 32 bytes at `out`. */
export function hmac(h: u32, key: usize, keyLen: usize, msg: usize, msgLen: usize, out: usize): void {
  hmacInit(h, oneShotCtx, key, keyLen);
  hashUpdate(h, oneShotCtx, msg, msgLen);
  hmacFinal(h, oneShotCtx, out);
}
