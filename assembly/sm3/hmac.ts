// HMAC-SM3: RFC 2104 with SM3 (GB/T 32905-2016) as H, B = 64, L = 32. Keys longer than 64 bytes
// are hashed first. The context holds the inner hash and the padded key K0 (needed again for the
// outer hash); the scratch pad that holds K0 ^ ipad / K0 ^ opad is wiped after each use.
import { wipe } from "../mem";
import { SM3_CTX_SIZE, sm3, sm3Final, sm3Init, sm3Update } from "./sm3";

// Context layout: 0 inner SM3 context; SM3_CTX_SIZE: 64-byte key block K0 (key zero-padded).
const CTX_KEY: usize = SM3_CTX_SIZE;
export const HMAC_SM3_CTX_SIZE: usize = SM3_CTX_SIZE + 64;

const pad: usize = memory.data(64 + 32, 16);

/** XOR the 64-byte key block at `k` with `byte` into the scratch pad. */
function xorPad(k: usize, byte: u32): void {
  const m = <u64>byte * 0x0101010101010101;
  for (let i: usize = 0; i < 64; i += 8) store<u64>(pad + i, load<u64>(k + i) ^ m);
}

/** Start HMAC-SM3 with a key of any length (the key bytes may be anywhere, even inside ctx). */
export function hmacSm3Init(ctx: usize, key: usize, keyLen: usize): void {
  const k0 = ctx + CTX_KEY;
  if (keyLen > 64) {
    sm3(key, keyLen, pad);
    memory.copy(k0, pad, 32);
    memory.fill(k0 + 32, 0, 32);
  } else {
    memory.copy(k0, key, keyLen);
    memory.fill(k0 + keyLen, 0, 64 - keyLen);
  }
  xorPad(k0, 0x36);
  sm3Init(ctx);
  sm3Update(ctx, pad, 64);
  wipe(pad, 64 + 32);
}

/** Absorb `len` bytes of the message. */
export function hmacSm3Update(ctx: usize, src: usize, len: usize): void {
  sm3Update(ctx, src, len);
}

/** Write the 32-byte MAC to `out` and wipe the context (`out` may lie inside it). */
export function hmacSm3Final(ctx: usize, out: usize): void {
  sm3Final(ctx, pad + 64);                 // inner hash H(K0 ^ ipad ‖ text)
  xorPad(ctx + CTX_KEY, 0x5c);
  wipe(ctx + CTX_KEY, 64);
  sm3Init(ctx);
  sm3Update(ctx, pad, 64 + 32);            // K0 ^ opad ‖ inner
  wipe(pad, 64 + 32);
  sm3Final(ctx, out);
}

const oneShotCtx: usize = memory.data(<i32>HMAC_SM3_CTX_SIZE, 16);

/** One-shot HMAC-SM3 into 32 bytes at `out`. */
export function hmacSm3(key: usize, keyLen: usize, msg: usize, msgLen: usize, out: usize): void {
  hmacSm3Init(oneShotCtx, key, keyLen);
  sm3Update(oneShotCtx, msg, msgLen);
  hmacSm3Final(oneShotCtx, out);
}
