/**
 * @module bindings/sm3
 * Typed SM3 (GB/T 32905-2016), HMAC-SM3 (RFC 2104) and the SM3 KDF (GB/T 32918.4-2016 §5.4.3)
 * over the wasm module (docs/abi.md § SM3). Bytes in, bytes out; every argument is checked and a
 * bad one throws a TypeError or RangeError naming it.
 *
 * Data moves through the module's I/O region in 64 KiB pieces, so any input length works.
 * A call with at most 64 bytes of input allocates nothing off the V8 heap (the 32-byte result is
 * an on-heap typed array). HMAC keys and KDF inputs/outputs are zeroed in the I/O region after use.
 *
 * Streaming hashers (`createSm3`, `createHmacSm3`) each hold one of the module's 64 stream
 * handles until `digest()` (or `destroy()`, or garbage collection) gives it back, zeroed.
 *
 * @example
 * const { sm3, createHmacSm3, sm3Kdf } = sm3Api(TidWasm.create());
 * sm3(new TextEncoder().encode("abc"));           // 66c7f0f4…8f4ba8e0
 * const mac = createHmacSm3(key).update(part1).update(part2).digest();
 * const k = sm3Kdf(z, 32);                         // GB/T 32918.4 KDF, counter from 1
 */
import { check, requireBytes, requireInt } from "./errors.js";
import type { TidWasm } from "./wasm.js";
import { perInstance, requireWasm } from "./per-instance.js";
import { DATA, CHUNK, hashRuntimeOf, type Hasher, type HashRuntime } from "./hash-family.js";

export const SM3_DIGEST_SIZE = 32;
export const SM3_BLOCK_SIZE = 64;
/** Longest `z` that sm3Kdf accepts (the shared secret of a key agreement is far shorter). */
export const SM3_KDF_MAX_Z = 32768;

/** A streaming SM3 or HMAC-SM3 computation. */
export type Sm3Hasher = Hasher;

/** The SM3 family bound to one module instance. */
export interface Sm3Api {
  /** SM3 digest (32 bytes) of `data`. */
  sm3(data: Uint8Array): Uint8Array;
  /** A streaming SM3 hasher. */
  createSm3(): Sm3Hasher;
  /** HMAC-SM3 (32 bytes) of `data` under `key` (any length; keys over 64 bytes are hashed first). */
  hmacSm3(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** A streaming HMAC-SM3 under `key`. */
  createHmacSm3(key: Uint8Array): Sm3Hasher;
  /** `length` bytes (0..1 MiB) of the GB/T 32918.4 KDF of `z` (at most 32 KiB). */
  sm3Kdf(z: Uint8Array, length: number): Uint8Array;
}

// I/O region layout of the KDF (the hash calls' layout is bindings/hash-family.ts's).
const KDF_Z = DATA; // 32,768: KDF input Z
const KDF_OUT = DATA + SM3_KDF_MAX_Z; // 32,768: one piece of KDF output (a multiple of 32)
const KDF_PIECE = CHUNK - SM3_KDF_MAX_Z;

const SM3 = { name: "SM3", prefix: "sm3" } as const;

/** `length` bytes of the GB/T 32918.4 KDF of z, in pieces through sm3_kdf_from. */
function sm3Kdf(rt: HashRuntime, kdfMax: number, z: Uint8Array, length: number): Uint8Array {
  requireBytes("z", z, { max: SM3_KDF_MAX_Z });
  requireInt("length", length, 0, kdfMax);
  const x = rt.x,
    io = rt.io;
  const out = new Uint8Array(length);
  const heap = rt.wasm.bytes();
  heap.set(z, io + KDF_Z);
  try {
    for (let off = 0; off < length; off += KDF_PIECE) {
      const n = Math.min(KDF_PIECE, length - off);
      check(x.sm3_kdf_from!(io + KDF_Z, z.length, 1 + off / SM3_DIGEST_SIZE, io + KDF_OUT, n), "sm3_kdf_from");
      rt.copyOut(io + KDF_OUT, out, off, n);
    }
  } finally {
    rt.wasm.bytes().fill(0, io + KDF_Z, io + KDF_OUT + Math.min(length, KDF_PIECE));
  }
  return out;
}

/** The SM3 family bound to `wasm` (one object per instance). */
export function sm3Api(wasm: TidWasm): Sm3Api {
  return perInstance(requireWasm(wasm), "sm3Api", (): Sm3Api => {
    const rt = hashRuntimeOf(wasm, SM3);
    const kdfMax = rt.x.sm3_kdf_max!();
    return {
      sm3: (data) => rt.digest(data),
      createSm3: () => rt.stream(null),
      hmacSm3: (key, data) => rt.hmac(key, data),
      createHmacSm3: (key) => rt.stream(requireBytes("key", key)),
      sm3Kdf: (z, length) => sm3Kdf(rt, kdfMax, z, length),
    };
  });
}
