// HMAC-SHA-256: RFC 2104 (FIPS 198-1) with SHA-256 (FIPS 180-4) as H, B = 64, L = 32. Keys longer
// than 64 bytes are hashed first. The context holds the inner hash and the padded key K0 (needed
// again for the outer hash); the scratch pad that holds K0 ^ ipad / K0 ^ opad is wiped after
// each use.
import { wipe } from "../mem";
import { SHA256_CTX_SIZE, sha256, sha256Final, sha256Init, sha256Update } from "./sha256";

// Context layout: 0 inner SHA-256 context; SHA256_CTX_SIZE: 64-byte key block K0 (key zero-padded).
const CTX_KEY: usize = SHA256_CTX_SIZE;
export const HMAC_SHA256_CTX_SIZE: usize = SHA256_CTX_SIZE + 64;

const pad: usize = memory.data(64 + 32, 16);

/** XOR the 64-byte key block at `k` with `byte` into the scratch pad. */
function xorPad(k: usize, byte: u32): void {
  const m = <u64>byte * 0x0101010101010101;
  for (let i: usize = 0; i < 64; i += 8) store<u64>(pad + i, load<u64>(k + i) ^ m);
}

/** Start HMAC-SHA-256 with a key of any length (the key bytes may be anywhere, even inside ctx). */
export function hmacSha256Init(ctx: usize, key: usize, keyLen: usize): void {
  const k0 = ctx + CTX_KEY;
  if (keyLen > 64) {
    sha256(key, keyLen, pad);
    memory.copy(k0, pad, 32);
    memory.fill(k0 + 32, 0, 32);
  } else {
    memory.copy(k0, key, keyLen);
    memory.fill(k0 + keyLen, 0, 64 - keyLen);
  }
  xorPad(k0, 0x36);
  sha256Init(ctx);
  sha256Update(ctx, pad, 64);
  wipe(pad, 64 + 32);
}

/** Absorb `len` bytes of the message. */
export function hmacSha256Update(ctx: usize, src: usize, len: usize): void {
  sha256Update(ctx, src, len);
}

/** Write the 32-byte MAC to `out` and wipe the context (`out` may lie inside it). */
export function hmacSha256Final(ctx: usize, out: usize): void {
  sha256Final(ctx, pad + 64);              // inner hash H(K0 ^ ipad ‖ text)
  xorPad(ctx + CTX_KEY, 0x5c);
  wipe(ctx + CTX_KEY, 64);
  sha256Init(ctx);
  sha256Update(ctx, pad, 64 + 32);         // K0 ^ opad ‖ inner
  wipe(pad, 64 + 32);
  sha256Final(ctx, out);
}

const oneShotCtx: usize = memory.data(<i32>HMAC_SHA256_CTX_SIZE, 16);

/** One-shot HMAC-SHA-256 into 32 bytes at `out`. */
export function hmacSha256(key: usize, keyLen: usize, msg: usize, msgLen: usize, out: usize): void {
  hmacSha256Init(oneShotCtx, key, keyLen);
  sha256Update(oneShotCtx, msg, msgLen);
  hmacSha256Final(oneShotCtx, out);
}
