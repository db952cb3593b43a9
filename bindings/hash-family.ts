/**
 * @module bindings/hash-family
 * The machinery shared by the typed hash bindings (bindings/sm3.ts: SM3 of GB/T 32905-2016;
 * bindings/sha256.ts: SHA-256 of FIPS 180-4), each with HMAC of RFC 2104 (B = 64, L = 32):
 * one-shot digest and HMAC through the I/O region in 64 KiB pieces, and streaming hashers over
 * the module's one table of 64 stream handles (docs/abi.md § SM3 "Streaming handles"), which
 * holds streams of both hashes. So there is ONE handle pool per module instance for both
 * families: handles 1..63 are lent out, handle 0 is kept for one-shot calls on inputs larger
 * than one piece (never lent, and always cleared before such a call returns).
 */
import { TidError, check, requireBytes } from "./errors.js";
import { Status } from "./status.js";
import type { TidWasm, RawExports } from "./wasm.js";
import { HandlePool } from "./handle-pool.js";
import { perInstance } from "./per-instance.js";

export const HASH_DIGEST_SIZE = 32;
export const HASH_BLOCK_SIZE = 64;

/** A streaming hash or HMAC computation. */
export interface Hasher {
  /** Absorb more data (any length, any Uint8Array view). Returns this hasher. */
  update(data: Uint8Array): this;
  /** The 32-byte digest / MAC. The hasher is finished afterwards: any further call throws. */
  digest(): Uint8Array;
  /** Abandon the computation and give its handle back, zeroed. Idempotent. */
  destroy(): void;
}

/** A hash family: its display name and the prefix of its exports (docs/abi.md). */
export interface HashFamily {
  /** "SM3" or "SHA-256". */
  readonly name: string;
  /** Export prefix: "sm3" (sm3_digest, hmac_sm3, …) or "sha256" (sha256_digest, hmac_sha256, …). */
  readonly prefix: string;
}

// I/O region layout used by the hash bindings (tid_io_cap() = 66,560 bytes).
export const OUT = 0; // 32: digest / MAC
const KEY = 64; // 64: HMAC key, zeroed after use
export const DATA = 1024; // 65,536: data pieces (and the KDFs' inputs and outputs)
export const CHUNK = 65536;
/** Stream handle kept for one-shot calls on inputs larger than one piece (never lent out). */
const ONE_SHOT = 0;

type Fn = (...args: number[]) => number;

/** The exports of one family, looked up once. */
interface FamilyExports {
  digest: Fn;
  hmac: Fn;
  init: Fn;
  update: Fn;
  final: Fn;
  hmacInit: Fn;
  hmacUpdate: Fn;
  hmacFinal: Fn;
}

function exportsOf(x: RawExports, family: HashFamily): FamilyExports {
  const p = family.prefix;
  const get = (name: string): Fn => {
    const f = x[name];
    if (typeof f !== "function") throw new Error(`this wasm build has no ${family.name} exports (${name})`);
    return f;
  };
  return {
    digest: get(`${p}_digest`),
    hmac: get(`hmac_${p}`),
    init: get(`${p}_init`),
    update: get(`${p}_update`),
    final: get(`${p}_final`),
    hmacInit: get(`hmac_${p}_init`),
    hmacUpdate: get(`hmac_${p}_update`),
    hmacFinal: get(`hmac_${p}_final`),
  };
}

/** The stream handle pool of `wasm`'s hash table, shared by every hash family. */
export function hashHandlesOf(wasm: TidWasm): HandlePool {
  return perInstance(wasm, "hash stream handles", () => {
    const x = wasm.exports;
    if (typeof x.sm3_slots !== "function" || typeof x.sm3_clear !== "function") {
      throw new Error("this wasm build has no hash stream exports");
    }
    const slots = x.sm3_slots();
    const clear = x.sm3_clear;
    return new HandlePool({
      handles: Array.from({ length: slots - 1 }, (_, i) => ONE_SHOT + 1 + i),
      clear: (h) => clear(h),
      exhausted: `all ${slots - 1} SM3 stream handles of this instance are in use (SM3 and SHA-256 hashers share them); call digest() or destroy() on hashers no longer needed`,
    });
  });
}

/** One family on one module instance: its exports, the shared handle pool, the I/O region. */
export class HashRuntime {
  readonly wasm: TidWasm;
  readonly x: RawExports;
  readonly io: number;
  readonly family: HashFamily;
  readonly f: FamilyExports;
  /** Stream handles 1 .. slots − 1, shared with the other hash families of this instance. */
  readonly handles: HandlePool;

  constructor(wasm: TidWasm, family: HashFamily) {
    this.wasm = wasm;
    this.x = wasm.exports;
    this.family = family;
    this.f = exportsOf(this.x, family);
    if (wasm.ioCap < DATA + CHUNK) throw new Error(`I/O region too small for ${family.name}: ${wasm.ioCap} bytes`);
    this.io = wasm.ioPtr;
    this.handles = hashHandlesOf(wasm);
  }

  /** Feed `data` to stream handle h in pieces through the I/O region. */
  feed(update: Fn, h: number, data: Uint8Array, what: string): void {
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
    const out = new Uint8Array(HASH_DIGEST_SIZE);
    const p = this.io + OUT;
    for (let i = 0; i < HASH_DIGEST_SIZE; i++) out[i] = heap[p + i]!;
    return out;
  }

  /** Put an HMAC key (≤ 64 bytes after hashing a longer one) at io+KEY; returns its length. */
  placeKey(key: Uint8Array): number {
    const io = this.io;
    if (key.length <= HASH_BLOCK_SIZE) {
      this.wasm.bytes().set(key, io + KEY);
      return key.length;
    }
    // RFC 2104: a key longer than the block is replaced by its hash (as the module would do).
    const k = this.digest(key);
    const heap = this.wasm.bytes();
    heap.set(k, io + KEY);
    k.fill(0);
    heap.fill(0, io + OUT, io + OUT + HASH_DIGEST_SIZE);
    heap.fill(0, io + DATA, io + DATA + Math.min(key.length, CHUNK));
    return HASH_DIGEST_SIZE;
  }

  wipeKey(): void {
    this.wasm.bytes().fill(0, this.io + KEY, this.io + KEY + HASH_BLOCK_SIZE);
  }

  private what(op: string): string {
    return `${this.family.prefix}_${op}`;
  }

  digest(data: Uint8Array): Uint8Array {
    requireBytes("data", data);
    const f = this.f,
      io = this.io;
    if (data.length <= CHUNK) {
      this.wasm.bytes().set(data, io + DATA);
      check(f.digest(io + DATA, data.length, io + OUT), this.what("digest"));
    } else {
      check(f.init(ONE_SHOT), this.what("init"));
      try {
        this.feed(f.update, ONE_SHOT, data, this.what("update"));
        check(f.final(ONE_SHOT, io + OUT), this.what("final"));
      } finally {
        this.x.sm3_clear!(ONE_SHOT);
      }
    }
    return this.result();
  }

  hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
    requireBytes("key", key);
    requireBytes("data", data);
    const f = this.f,
      io = this.io,
      p = this.family.prefix;
    if (data.length <= CHUNK) {
      try {
        const kl = this.placeKey(key);
        this.wasm.bytes().set(data, io + DATA);
        check(f.hmac(io + KEY, kl, io + DATA, data.length, io + OUT), `hmac_${p}`);
      } finally {
        this.wipeKey();
      }
    } else {
      try {
        check(f.hmacInit(ONE_SHOT, io + KEY, this.placeKey(key)), `hmac_${p}_init`);
        this.wipeKey();
        this.feed(f.hmacUpdate, ONE_SHOT, data, `hmac_${p}_update`);
        check(f.hmacFinal(ONE_SHOT, io + OUT), `hmac_${p}_final`);
      } finally {
        this.wipeKey();
        this.x.sm3_clear!(ONE_SHOT);
      }
    }
    return this.result();
  }

  /** A streaming hasher (key null) or HMAC (a checked key) holding one handle of the shared pool. */
  stream(key: Uint8Array | null): Hasher {
    return new Stream(this, key);
  }

  /** Copy n bytes of linear memory at `from` into dst[at..] (a plain loop for small results). */
  copyOut(from: number, dst: Uint8Array, at: number, n: number): void {
    const src = this.wasm.bytes();
    if (n <= 64) for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
    else dst.set(src.subarray(from, from + n), at);
  }
}

/** One stream handle: the hash when `hmac` is false, else its HMAC (already keyed). */
class Stream implements Hasher {
  private readonly rt: HashRuntime;
  private readonly hmac: boolean;
  private h: number;

  constructor(rt: HashRuntime, key: Uint8Array | null) {
    this.rt = rt;
    this.hmac = key !== null;
    const h = rt.handles.acquire();
    const p = rt.family.prefix;
    try {
      if (key === null) {
        check(rt.f.init(h), `${p}_init`);
      } else {
        try {
          check(rt.f.hmacInit(h, rt.io + KEY, rt.placeKey(key)), `hmac_${p}_init`);
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
      const name = this.rt.family.name;
      throw new TidError(
        Status.ERR_NOT_INITIALISED,
        `${what}() on a finished ${this.hmac ? `HMAC-${name}` : name} hasher: digest() or destroy() was already called; create a new one`,
      );
    }
    return this.h;
  }

  update(data: Uint8Array): this {
    const h = this.live("update");
    requireBytes("data", data);
    const f = this.rt.f,
      p = this.rt.family.prefix;
    if (this.hmac) this.rt.feed(f.hmacUpdate, h, data, `hmac_${p}_update`);
    else this.rt.feed(f.update, h, data, `${p}_update`);
    return this;
  }

  digest(): Uint8Array {
    const h = this.live("digest");
    const f = this.rt.f,
      out = this.rt.io + OUT,
      p = this.rt.family.prefix;
    const st = this.hmac ? f.hmacFinal(h, out) : f.final(h, out);
    this.destroy();
    check(st, this.hmac ? `hmac_${p}_final` : `${p}_final`);
    return this.rt.result();
  }

  destroy(): void {
    if (this.h < 0) return;
    this.rt.handles.untrack(this);
    this.rt.handles.release(this.h);
    this.h = -1;
  }
}

/** The runtime of `family` on `wasm` (one per instance and family). */
export function hashRuntimeOf(wasm: TidWasm, family: HashFamily): HashRuntime {
  return perInstance(wasm, `${family.prefix} hash runtime`, () => new HashRuntime(wasm, family));
}
