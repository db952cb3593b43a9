/**
 * @module bindings/sha256
 * Typed SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104) and the ANSI X9.63 KDF with SHA-256
 * (SEC 1 v2.0 §3.6.1) over the wasm module (docs/abi.md § SHA-256). Bytes in, bytes out; every
 * argument is checked and a bad one throws a TypeError or RangeError naming it.
 *
 * Data moves through the module's I/O region in 64 KiB pieces, so any input length works.
 * A call with at most 64 bytes of input allocates nothing off the V8 heap (the 32-byte result is
 * an on-heap typed array). HMAC keys and KDF inputs/outputs are zeroed in the I/O region after use.
 *
 * Streaming hashers (`createSha256`, `createHmacSha256`) each hold one of the module's 64 stream
 * handles until `digest()` (or `destroy()`, or garbage collection) gives it back, zeroed. The
 * module has one table of stream handles for SM3 and SHA-256, so these hashers and those of
 * bindings/sm3.ts take their handles from one pool (bindings/hash-family.ts).
 *
 * @example
 * const { sha256, createHmacSha256, x963KdfSha256 } = sha256Api(TidWasm.create());
 * sha256(new TextEncoder().encode("abc"));        // ba7816bf…f20015ad
 * const mac = createHmacSha256(key).update(part1).update(part2).digest();
 * const k = x963KdfSha256(z, 32, sharedInfo);     // SEC 1 §3.6.1, counter from 1
 */
import { check, requireBytes, requireInt } from "./errors.js";
import type { TidWasm } from "./wasm.js";
import { perInstance, requireWasm } from "./per-instance.js";
import { DATA, CHUNK, hashRuntimeOf, type Hasher, type HashRuntime } from "./hash-family.js";

export const SHA256_DIGEST_SIZE = 32;
export const SHA256_BLOCK_SIZE = 64;
/** Longest `z` that x963KdfSha256 accepts (the shared secret of a key agreement is far shorter). */
export const SHA256_KDF_MAX_Z = 16384;
/** Longest `sharedInfo` that x963KdfSha256 accepts. */
export const SHA256_KDF_MAX_INFO = 16380;

/** A streaming SHA-256 or HMAC-SHA-256 computation. */
export type Sha256Hasher = Hasher;

/** The SHA-256 family bound to one module instance. */
export interface Sha256Api {
  /** SHA-256 digest (32 bytes) of `data`. */
  sha256(data: Uint8Array): Uint8Array;
  /** A streaming SHA-256 hasher. */
  createSha256(): Sha256Hasher;
  /** HMAC-SHA-256 (32 bytes) of `data` under `key` (any length; keys over 64 bytes are hashed first). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** A streaming HMAC-SHA-256 under `key`. */
  createHmacSha256(key: Uint8Array): Sha256Hasher;
  /**
   * `length` bytes (0..1 MiB) of the X9.63 KDF of `z` (at most 16 KiB) with `sharedInfo`
   * (at most 16,380 bytes; none when omitted).
   */
  x963KdfSha256(z: Uint8Array, length: number, sharedInfo?: Uint8Array): Uint8Array;
}

// I/O region layout of the KDF (the hash calls' layout is bindings/hash-family.ts's):
// Z ‖ counter ‖ SharedInfo at KDF_IN, so one block beyond the first piece is one sha256_digest.
const KDF_IN = DATA; // 32,768: Z (≤ 16,384), a 4-byte counter cell, SharedInfo (≤ 16,380)
const KDF_OUT = DATA + 32768; // 32,768: one piece of KDF output (a multiple of 32)
const KDF_PIECE = CHUNK - 32768;

const SHA256 = { name: "SHA-256", prefix: "sha256" } as const;

/**
 * `length` bytes of the X9.63 KDF: the first piece through x963_kdf_sha256, every later block
 * K_ct = SHA-256(Z ‖ ct ‖ SharedInfo) (SEC 1 §3.6.1 step 5) through sha256_digest.
 */
function x963Kdf(rt: HashRuntime, kdfMax: number, z: Uint8Array, length: number, info: Uint8Array | undefined): Uint8Array {
  requireBytes("z", z, { max: SHA256_KDF_MAX_Z });
  requireInt("length", length, 0, kdfMax);
  if (info !== undefined) requireBytes("sharedInfo", info, { max: SHA256_KDF_MAX_INFO });
  const x = rt.x,
    io = rt.io;
  const zl = z.length,
    il = info === undefined ? 0 : info.length;
  const ctCell = io + KDF_IN + zl;
  const out = new Uint8Array(length);
  const heap = rt.wasm.bytes();
  heap.set(z, io + KDF_IN);
  if (info !== undefined) heap.set(info, ctCell + 4);
  try {
    const first = Math.min(KDF_PIECE, length);
    check(x.x963_kdf_sha256!(io + KDF_IN, zl, ctCell + 4, il, io + KDF_OUT, first), "x963_kdf_sha256");
    rt.copyOut(io + KDF_OUT, out, 0, first);
    for (let off = first; off < length; off += KDF_PIECE) {
      const n = Math.min(KDF_PIECE, length - off);
      for (let b = 0; b < n; b += SHA256_DIGEST_SIZE) {
        const ct = 1 + (off + b) / SHA256_DIGEST_SIZE;
        const cell = rt.wasm.bytes();
        cell[ctCell] = ct >>> 24;
        cell[ctCell + 1] = (ct >>> 16) & 0xff;
        cell[ctCell + 2] = (ct >>> 8) & 0xff;
        cell[ctCell + 3] = ct & 0xff;
        check(x.sha256_digest!(io + KDF_IN, zl + 4 + il, io + KDF_OUT + b), "sha256_digest");
      }
      rt.copyOut(io + KDF_OUT, out, off, n);
    }
  } finally {
    rt.wasm.bytes().fill(0, io + KDF_IN, io + KDF_OUT + Math.min(length, KDF_PIECE));
  }
  return out;
}

/** The SHA-256 family bound to `wasm` (one object per instance). */
export function sha256Api(wasm: TidWasm): Sha256Api {
  return perInstance(requireWasm(wasm), "sha256Api", (): Sha256Api => {
    const rt = hashRuntimeOf(wasm, SHA256);
    if (typeof rt.x.x963_kdf_sha256_max !== "function") throw new Error("this wasm build has no SHA-256 exports (x963_kdf_sha256_max)");
    const kdfMax = rt.x.x963_kdf_sha256_max();
    return {
      sha256: (data) => rt.digest(data),
      createSha256: () => rt.stream(null),
      hmacSha256: (key, data) => rt.hmac(key, data),
      createHmacSha256: (key) => rt.stream(requireBytes("key", key)),
      x963KdfSha256: (z, length, sharedInfo) => x963Kdf(rt, kdfMax, z, length, sharedInfo),
    };
  });
}
