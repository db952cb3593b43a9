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
import { TidError, check, requireBytes, requireInt } from "./errors.js";
import { Status } from "./status.js";
import type { TidWasm, RawExports } from "./wasm.js";
import { HandlePool } from "./handle-pool.js";

export const SM3_DIGEST_SIZE = 32;
export const SM3_BLOCK_SIZE = 64;
/** Longest `z` that sm3Kdf accepts (the shared secret of a key agreement is far shorter). */
export const SM3_KDF_MAX_Z = 32768;

/** A streaming SM3 or HMAC-SM3 computation. */
export interface Sm3Hasher {
  /** Absorb more data (any length, any Uint8Array view). Returns this hasher. */
  update(data: Uint8Array): this;
  /** The 32-byte digest / MAC. The hasher is finished afterwards: any further call throws. */
  digest(): Uint8Array;
  /** Abandon the computation and give its handle back, zeroed. Idempotent. */
  destroy(): void;
}

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

// I/O region layout used by these bindings (tid_io_cap() = 66,560 bytes).
const OUT = 0; // 32: digest / MAC
const KEY = 64; // 64: HMAC key, zeroed after use
const DATA = 1024; // 65,536: data pieces
const CHUNK = 65536;
const KDF_Z = DATA; // 32,768: KDF input Z
const KDF_OUT = DATA + SM3_KDF_MAX_Z; // 32,768: one piece of KDF output (a multiple of 32)
const KDF_PIECE = CHUNK - SM3_KDF_MAX_Z;
/** Stream handle kept for one-shot calls on inputs larger than one piece (never lent out). */
const ONE_SHOT = 0;

/** Per-instance state: exports, the pool of stream handles and the I/O region's address. */
class Sm3Runtime {
  readonly wasm: TidWasm;
  readonly x: RawExports;
  readonly io: number;
  readonly slots: number;
  readonly kdfMax: number;
  /** Stream handles 1 .. slots − 1 (handle 0 is kept for one-shot calls). */
  readonly handles: HandlePool;

  constructor(wasm: TidWasm) {
    this.wasm = wasm;
    this.x = wasm.exports;
    if (typeof this.x.sm3_digest !== "function") throw new Error("this wasm build has no SM3 exports");
    if (wasm.ioCap < DATA + CHUNK) throw new Error(`I/O region too small for SM3: ${wasm.ioCap} bytes`);
    this.io = wasm.ioPtr;
    this.slots = this.x.sm3_slots!();
    this.kdfMax = this.x.sm3_kdf_max!();
    const clear = this.x.sm3_clear!;
    this.handles = new HandlePool({
      handles: Array.from({ length: this.slots - 1 }, (_, i) => ONE_SHOT + 1 + i),
      clear: (h) => clear(h),
      exhausted: `all ${this.slots - 1} SM3 stream handles of this instance are in use; call digest() or destroy() on hashers no longer needed`,
    });
  }

  /** Feed `data` to stream handle h in pieces through the I/O region. */
  feed(update: (h: number, p: number, n: number) => number, h: number, data: Uint8Array, what: string): void {
    const p = this.io + DATA;
    for (let off = 0; off < data.length; off += CHUNK) {
      const n = Math.min(CHUNK, data.length - off);
      this.wasm.bytes().set(n === data.length ? data : data.subarray(off, off + n), p);
      check(update(h, p, n), what);
    }
  }

  /** The 32 bytes at io+OUT as a new (on-heap) array. */
  result(): Uint8Array {
    const heap = this.wasm.bytes();
    const out = new Uint8Array(SM3_DIGEST_SIZE);
    const p = this.io + OUT;
    for (let i = 0; i < SM3_DIGEST_SIZE; i++) out[i] = heap[p + i]!;
    return out;
  }

  /** Put an HMAC key (≤ 64 bytes after hashing a longer one) at io+KEY; returns its length. */
  placeKey(key: Uint8Array): number {
    const io = this.io;
    if (key.length <= SM3_BLOCK_SIZE) {
      this.wasm.bytes().set(key, io + KEY);
      return key.length;
    }
    // RFC 2104: a key longer than the block is replaced by its hash (as the module would do).
    const k = this.sm3(key);
    const heap = this.wasm.bytes();
    heap.set(k, io + KEY);
    k.fill(0);
    heap.fill(0, io + OUT, io + OUT + SM3_DIGEST_SIZE);
    heap.fill(0, io + DATA, io + DATA + Math.min(key.length, CHUNK));
    return SM3_DIGEST_SIZE;
  }

  wipeKey(): void {
    this.wasm.bytes().fill(0, this.io + KEY, this.io + KEY + SM3_BLOCK_SIZE);
  }

  sm3(data: Uint8Array): Uint8Array {
    requireBytes("data", data);
    const x = this.x,
      io = this.io;
    if (data.length <= CHUNK) {
      this.wasm.bytes().set(data, io + DATA);
      check(x.sm3_digest!(io + DATA, data.length, io + OUT), "sm3_digest");
    } else {
      check(x.sm3_init!(ONE_SHOT), "sm3_init");
      try {
        this.feed(x.sm3_update!, ONE_SHOT, data, "sm3_update");
        check(x.sm3_final!(ONE_SHOT, io + OUT), "sm3_final");
      } finally {
        x.sm3_clear!(ONE_SHOT);
      }
    }
    return this.result();
  }

  hmacSm3(key: Uint8Array, data: Uint8Array): Uint8Array {
    requireBytes("key", key);
    requireBytes("data", data);
    const x = this.x,
      io = this.io;
    if (data.length <= CHUNK) {
      try {
        const kl = this.placeKey(key);
        this.wasm.bytes().set(data, io + DATA);
        check(x.hmac_sm3!(io + KEY, kl, io + DATA, data.length, io + OUT), "hmac_sm3");
      } finally {
        this.wipeKey();
      }
    } else {
      try {
        check(x.hmac_sm3_init!(ONE_SHOT, io + KEY, this.placeKey(key)), "hmac_sm3_init");
        this.wipeKey();
        this.feed(x.hmac_sm3_update!, ONE_SHOT, data, "hmac_sm3_update");
        check(x.hmac_sm3_final!(ONE_SHOT, io + OUT), "hmac_sm3_final");
      } finally {
        this.wipeKey();
        x.sm3_clear!(ONE_SHOT);
      }
    }
    return this.result();
  }

  sm3Kdf(z: Uint8Array, length: number): Uint8Array {
    requireBytes("z", z, { max: SM3_KDF_MAX_Z });
    requireInt("length", length, 0, this.kdfMax);
    const x = this.x,
      io = this.io;
    const out = new Uint8Array(length);
    const heap = this.wasm.bytes();
    heap.set(z, io + KDF_Z);
    try {
      for (let off = 0; off < length; off += KDF_PIECE) {
        const n = Math.min(KDF_PIECE, length - off);
        check(x.sm3_kdf_from!(io + KDF_Z, z.length, 1 + off / SM3_DIGEST_SIZE, io + KDF_OUT, n), "sm3_kdf_from");
        const src = this.wasm.bytes();
        if (n <= 64) for (let i = 0; i < n; i++) out[off + i] = src[io + KDF_OUT + i]!;
        else out.set(src.subarray(io + KDF_OUT, io + KDF_OUT + n), off);
      }
    } finally {
      this.wasm.bytes().fill(0, io + KDF_Z, io + KDF_OUT + Math.min(length, KDF_PIECE));
    }
    return out;
  }
}

const runtimes = new WeakMap<TidWasm, Sm3Runtime>();

function runtimeOf(wasm: TidWasm): Sm3Runtime {
  let rt = runtimes.get(wasm);
  if (!rt) {
    rt = new Sm3Runtime(wasm);
    runtimes.set(wasm, rt);
  }
  return rt;
}

/** One stream handle: SM3 when `hmac` is false, else HMAC-SM3 (already keyed). */
class Stream implements Sm3Hasher {
  private readonly rt: Sm3Runtime;
  private readonly hmac: boolean;
  private h: number;

  constructor(rt: Sm3Runtime, key: Uint8Array | null) {
    this.rt = rt;
    this.hmac = key !== null;
    const h = rt.handles.acquire();
    try {
      if (key === null) {
        check(rt.x.sm3_init!(h), "sm3_init");
      } else {
        try {
          check(rt.x.hmac_sm3_init!(h, rt.io + KEY, rt.placeKey(key)), "hmac_sm3_init");
        } finally {
          rt.wipeKey();
        }
      }
    } catch (e) {
      rt.handles.release(h);
      throw e;
    }
    this.h = h;
    // A hasher garbage-collected before digest()/destroy() gives its handle back, zeroed.
    rt.handles.track(this, h);
  }

  private live(what: string): number {
    if (this.h < 0) {
      throw new TidError(
        Status.ERR_NOT_INITIALISED,
        `${what}() on a finished ${this.hmac ? "HMAC-SM3" : "SM3"} hasher: digest() or destroy() was already called; create a new one`,
      );
    }
    return this.h;
  }

  update(data: Uint8Array): this {
    const h = this.live("update");
    requireBytes("data", data);
    const x = this.rt.x;
    if (this.hmac) this.rt.feed(x.hmac_sm3_update!, h, data, "hmac_sm3_update");
    else this.rt.feed(x.sm3_update!, h, data, "sm3_update");
    return this;
  }

  digest(): Uint8Array {
    const h = this.live("digest");
    const x = this.rt.x,
      p = this.rt.io + OUT;
    const st = this.hmac ? x.hmac_sm3_final!(h, p) : x.sm3_final!(h, p);
    this.destroy();
    check(st, this.hmac ? "hmac_sm3_final" : "sm3_final");
    return this.rt.result();
  }

  destroy(): void {
    if (this.h < 0) return;
    this.rt.handles.untrack(this);
    this.rt.handles.release(this.h);
    this.h = -1;
  }
}

const apis = new WeakMap<TidWasm, Sm3Api>();

/** The SM3 family bound to `wasm` (one object per instance). */
export function sm3Api(wasm: TidWasm): Sm3Api {
  if (wasm === null || typeof wasm !== "object" || !("exports" in wasm) || !("ioPtr" in wasm)) {
    throw new TypeError(`wasm must be a TidWasm instance, got ${wasm === null ? "null" : typeof wasm}`);
  }
  let api = apis.get(wasm);
  if (!api) {
    const rt = runtimeOf(wasm);
    api = {
      sm3: (data) => rt.sm3(data),
      createSm3: () => new Stream(rt, null),
      hmacSm3: (key, data) => rt.hmacSm3(key, data),
      createHmacSm3: (key) => new Stream(rt, requireBytes("key", key)),
      sm3Kdf: (z, length) => rt.sm3Kdf(z, length),
    };
    apis.set(wasm, api);
  }
  return api;
}
