/**
 * @module bindings/block-cipher
 * The modes shared by the typed 128-bit block ciphers over the wasm module (bindings/sm4.ts:
 * SM4 of GB/T 32907-2016; bindings/aes.ts: AES-128 of FIPS 197), whose exports are one for one
 * (docs/abi.md § SM4 and § AES-128: `<prefix>_ecb_encrypt`, …): ECB and CBC (NIST SP 800-38A,
 * PKCS#7 of RFC 5652 §6.3 or no padding), CTR (32- or 128-bit counter) and GCM (NIST SP 800-38D).
 * `BlockCipherKey` holds one of its cipher's key handles (a HandlePool per cipher and instance),
 * zeroed by `destroy()` or, for a key never destroyed, when it is garbage-collected.
 *
 * Data moves through the module's I/O region, in 64 KiB pieces for larger inputs. Nothing is
 * allocated off the V8 heap for calls up to 64 bytes (typed arrays of <= 64 bytes live on the
 * heap); larger results are views into Node's Buffer pool up to 4 KiB, so pass `out` to choose
 * where a result goes. Every call, successful or not, zeroes the I/O cells and the part of the
 * data area it used.
 */
import { TidError, check, requireBytes, requireInt } from "./errors.js";
import { Status } from "./status.js";
import type { TidWasm } from "./wasm.js";
import { HandlePool } from "./handle-pool.js";
import { perInstance, requireWasm } from "./per-instance.js";

export type BlockPadding = "pkcs7" | "none";

export interface OutOption {
  /** Write the result here (at offset 0) instead of a new array; returned trimmed to the result. */
  out?: Uint8Array;
}
export interface BlockModeOptions extends OutOption {
  /** "pkcs7" (default, as node:crypto) or "none" (data must be a multiple of 16 bytes). */
  padding?: BlockPadding;
}
export interface CtrOptions extends OutOption {
  /** 128 (default: the whole block is the counter, as node:crypto "sm4-ctr" / "aes-128-ctr") or 32 (low 32 bits wrap). */
  counterBits?: 32 | 128;
}
export interface GcmOpenOptions extends OutOption {
  /** Length of the tag at the end of `sealed`: 12..16 (default 16). */
  tagLength?: number;
}

/** A block cipher of the module: names for messages and the prefix of its exports. */
export interface BlockCipher {
  /** "SM4" or "AES". */
  readonly name: string;
  /** Export prefix: "sm4" or "aes". */
  readonly prefix: string;
  /** The key class, for messages: "Sm4Key" or "AesKey". */
  readonly className: string;
}

export const KEY_SIZE = 16;
export const GCM_TAG_SIZE = 16;

// I/O region layout used by these bindings (tid_io_cap() = 66,560 bytes).
const IV = 0; // 16: CBC IV / CTR counter cell
export const TAG = 16; // 16: GCM tag (SM4: CMAC)
const OUTLEN = 32; // 4: u32 length cell
const KEY = 48; // 16: key, wiped after <prefix>_key_set
export const SMALL = 64; // 960: GCM IV + AAD for one-shot calls; PKCS#7 last block; CMAC chaining cell
const SMALL_CAP = 960;
export const DATA = 1024; // 65,536: data pieces
export const CHUNK = 65536;
/** Longest input whose PKCS#7-padded form still fits one piece. */
const PAD_CHUNK = CHUNK - 16;
const MAX_GCM_IV = CHUNK;

type Fn = (...args: number[]) => number;

/** The exports of a cipher with the prefix dropped: ops.ecb_encrypt is sm4_ecb_encrypt / aes_ecb_encrypt. */
function opsOf(wasm: TidWasm, cipher: BlockCipher): Record<string, Fn> {
  const ops: Record<string, Fn> = {};
  const pre = `${cipher.prefix}_`;
  for (const [name, f] of Object.entries(wasm.exports)) {
    if (name.startsWith(pre) && typeof f === "function") ops[name.slice(pre.length)] = f as Fn;
  }
  return ops;
}

/** Per-instance state of one cipher: its exports, the pool of key handles and the I/O region's address. */
export class CipherRuntime {
  readonly wasm: TidWasm;
  readonly cipher: BlockCipher;
  readonly ops: Record<string, Fn>;
  readonly io: number;
  readonly handles: HandlePool;
  private heapView: Uint8Array;
  private dv: DataView;
  /** Views of the first 16, 32, 48, 64 bytes of the data region, and of the tag cell (made once). */
  private dataViews: Uint8Array[] = [];
  private tagView!: Uint8Array;

  constructor(wasm: TidWasm, cipher: BlockCipher) {
    this.wasm = wasm;
    this.cipher = cipher;
    this.ops = opsOf(wasm, cipher);
    if (typeof this.ops.key_set !== "function") throw new Error(`this wasm build has no ${cipher.name} exports`);
    if (wasm.ioCap < DATA + CHUNK) throw new Error(`I/O region too small for ${cipher.name}: ${wasm.ioCap} bytes`);
    this.io = wasm.ioPtr;
    const slots = this.ops.key_slots!();
    const clear = this.ops.key_clear!;
    this.handles = new HandlePool({
      handles: Array.from({ length: slots }, (_, i) => i),
      clear: (h) => clear(h),
      exhausted: `all ${slots} ${cipher.name} key handles of this instance are in use; destroy() keys that are no longer needed`,
    });
    this.heapView = wasm.bytes();
    this.dv = new DataView(this.heapView.buffer);
    this.makeViews();
  }
  private makeViews(): void {
    const b = this.heapView,
      d = this.io + DATA;
    this.dataViews = [0, 1, 2, 3, 4].map((k) => b.subarray(d, d + 16 * k));
    this.tagView = b.subarray(this.io + TAG, this.io + TAG + 16);
  }

  /**
   * Copy n bytes of linear memory at `from` into dst[at..]. Small whole-block results come from
   * the views made once (no view object per call), other small ones through a plain loop.
   */
  copyOut(from: number, dst: Uint8Array, at: number, n: number): void {
    const heap = this.heap();
    if (n > 64) {
      dst.set(heap.subarray(from, from + n), at);
    } else if ((n & 15) === 0 && from === this.io + DATA) {
      dst.set(this.dataViews[n >> 4]!, at);
    } else if (n === 16 && from === this.io + TAG) {
      dst.set(this.tagView, at);
    } else {
      for (let i = 0; i < n; i++) dst[at + i] = heap[from + i]!;
    }
  }

  /**
   * Zero the I/O region's cells and the first `n` bytes of its data area, so no plaintext (or
   * IV, AAD, tag) stays in linear memory after a call, successful or not.
   */
  scrub(n: number): void {
    this.heap().fill(0, this.io, this.io + DATA + Math.min(n > 0 ? n + 16 : 0, CHUNK));
  }

  /** `run()`, then (returning or throwing) scrub the part of the I/O region an input of this size used. */
  scrubAfter<T>(input: Uint8Array | undefined, run: () => T): T {
    try {
      return run();
    } finally {
      this.scrub(input?.length ?? 0);
    }
  }

  /** A one-shot GCM call's IV and AAD, side by side in the small area (the AAD right after the IV). */
  placeIvAad(iv: Uint8Array, aad: Uint8Array | undefined): void {
    const heap = this.heap();
    heap.set(iv, this.io + SMALL);
    if (aad !== undefined) heap.set(aad, this.io + SMALL + iv.length);
  }

  /** The byte view of linear memory (re-made only if memory ever grew). */
  heap(): Uint8Array {
    // memory never grows (docs/abi.md); if it ever did, the old buffer is detached (length 0)
    if (this.heapView.length === 0) {
      this.heapView = this.wasm.bytes();
      this.dv = new DataView(this.heapView.buffer);
      this.makeViews();
    }
    return this.heapView;
  }

  /**
   * Run `op(m)` on the first n bytes of `src` in pieces of at most 64 KiB, each put at the data
   * region, checking every status (a failure is a TidError with `what`); with `out`, copy each
   * piece's result from the data region to `out` at the piece's offset.
   */
  pieces(src: Uint8Array, n: number, what: string, op: (m: number) => number, out?: Uint8Array): void {
    for (let off = 0; off < n; off += CHUNK) {
      const m = Math.min(CHUNK, n - off);
      this.heap().set(m === src.length ? src : src.subarray(off, off + m), this.io + DATA);
      check(op(m), what);
      if (out !== undefined) this.copyOut(this.io + DATA, out, off, m);
    }
  }

  u32(offset: number): number {
    this.heap();
    return this.dv.getUint32(this.io + offset, true);
  }
}

function runtimeOf(wasm: TidWasm, cipher: BlockCipher): CipherRuntime {
  return perInstance(wasm, `${cipher.prefix} cipher runtime`, () => new CipherRuntime(wasm, cipher));
}

/**
 * A new result array of n bytes: on the V8 heap up to 64 bytes; above, an uninitialised Buffer
 * (from Node's pool below 4 KiB), since every byte is written before the array is returned.
 */
function allocResult(n: number): Uint8Array {
  if (n > 64) {
    const b = Buffer.allocUnsafe(n);
    return new Uint8Array(b.buffer, b.byteOffset, n);
  }
  return new Uint8Array(n);
}

/** The caller's `out` (checked: long enough, not partially overlapping `input`) or a new array. */
export function resultFor(out: Uint8Array | undefined, n: number, input: Uint8Array): Uint8Array {
  if (out === undefined) return allocResult(n);
  requireBytes("options.out", out, { min: n });
  if (out.buffer === input.buffer && out.byteOffset !== input.byteOffset) {
    const a = out.byteOffset,
      b = input.byteOffset;
    if (a < b + input.length && b < a + n) {
      throw new RangeError("options.out must be the same memory as the input (in place) or not overlap it; got a partial overlap");
    }
  }
  return out.length === n ? out : out.subarray(0, n);
}

function paddingOf(options: BlockModeOptions | undefined): boolean {
  const p = options?.padding;
  if (p === undefined || p === "pkcs7") return true;
  if (p === "none") return false;
  throw new TypeError(`options.padding must be "pkcs7" or "none", got ${typeof p === "string" ? `"${p}"` : typeof p}`);
}

export function optionsObject(options: unknown): void {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw new TypeError(`options must be an object, got ${options === null ? "null" : typeof options}`);
  }
}

/** A 128-bit key of `cipher` held in one of the module's key handles. */
export abstract class BlockCipherKey {
  protected readonly rt: CipherRuntime;
  protected h: number;

  /**
   * @param wasm the module instance to hold the key in
   * @param key 16 bytes
   * @throws TypeError/RangeError for a bad key; TidError ERR_BAD_KEY_INDEX when all handles are in use
   */
  protected constructor(wasm: TidWasm, key: Uint8Array, cipher: BlockCipher) {
    requireWasm(wasm);
    requireBytes("key", key, { length: KEY_SIZE });
    const rt = runtimeOf(wasm, cipher);
    const h = rt.handles.acquire();
    const heap = rt.heap();
    const p = rt.io + KEY;
    heap.set(key, p);
    const st = rt.ops.key_set!(h, p);
    heap.fill(0, p, p + KEY_SIZE);
    if (st !== Status.OK) {
      rt.handles.release(h);
      check(st, `${rt.cipher.prefix}_key_set`);
    }
    this.rt = rt;
    this.h = h;
    // A key garbage-collected without destroy() gives its handle back, zeroed.
    rt.handles.track(this, h);
  }

  /** The module handle index (for the raw exports), or -1 after destroy(). */
  get handle(): number {
    return this.h;
  }

  /** Zero the key schedule in the module and give the handle back. Idempotent. */
  destroy(): void {
    if (this.h < 0) return;
    this.rt.handles.untrack(this);
    this.rt.handles.release(this.h);
    this.h = -1;
  }

  protected live(): number {
    if (this.h < 0) throw new TidError(Status.ERR_SLOT_EMPTY, `this ${this.rt.cipher.className} was destroyed`);
    return this.h;
  }

  // ------------------------------------------------------------------ ECB / CBC

  /** ECB encryption. @throws RangeError if padding is "none" and data is not whole blocks */
  encryptEcb(data: Uint8Array, options?: BlockModeOptions): Uint8Array {
    return this.blockMode(false, false, undefined, data, options);
  }

  /** ECB decryption. @throws TidError ERR_BAD_PADDING (nothing returned or written) */
  decryptEcb(data: Uint8Array, options?: BlockModeOptions): Uint8Array {
    return this.blockMode(true, false, undefined, data, options);
  }

  /** CBC encryption with a 16-byte IV. */
  encryptCbc(iv: Uint8Array, data: Uint8Array, options?: BlockModeOptions): Uint8Array {
    return this.blockMode(false, true, iv, data, options);
  }

  /** CBC decryption with a 16-byte IV. @throws TidError ERR_BAD_PADDING (nothing written) */
  decryptCbc(iv: Uint8Array, data: Uint8Array, options?: BlockModeOptions): Uint8Array {
    return this.blockMode(true, true, iv, data, options);
  }

  private blockMode(
    dec: boolean,
    cbc: boolean,
    iv: Uint8Array | undefined,
    data: Uint8Array,
    options: BlockModeOptions | undefined,
  ): Uint8Array {
    return this.rt.scrubAfter(data, () => this.blockModeRun(dec, cbc, iv, data, options));
  }

  private blockModeRun(
    dec: boolean,
    cbc: boolean,
    iv: Uint8Array | undefined,
    data: Uint8Array,
    options: BlockModeOptions | undefined,
  ): Uint8Array {
    const h = this.live();
    if (cbc) requireBytes("iv", iv, { length: 16 });
    optionsObject(options);
    const pad = paddingOf(options);
    requireBytes("data", data, pad && dec ? { min: 16, multipleOf: 16 } : pad ? {} : { multipleOf: 16 });
    const rt = this.rt,
      x = rt.ops,
      io = rt.io;
    let heap = rt.heap();
    if (cbc) heap.set(iv!, io + IV);
    const n = data.length;

    if (!pad) {
      const out = resultFor(options?.out, n, data);
      const cbcOp = dec ? x.cbc_decrypt! : x.cbc_encrypt!,
        ecbOp = dec ? x.ecb_decrypt! : x.ecb_encrypt!;
      rt.pieces(
        data,
        n,
        rt.cipher.name,
        (m) => (cbc ? cbcOp(h, io + IV, io + DATA, io + DATA, m) : ecbOp(h, io + DATA, io + DATA, m)),
        out,
      );
      return out;
    }

    if (!dec) {
      // PKCS#7 encryption: whole pieces without padding, the last (shorter) one padded
      const total = (n & ~15) + 16;
      const out = resultFor(options?.out, total, data);
      let off = 0;
      for (; n - off >= PAD_CHUNK; off += PAD_CHUNK) {
        heap.set(data.subarray(off, off + PAD_CHUNK), io + DATA);
        check(
          cbc ? x.cbc_encrypt!(h, io + IV, io + DATA, io + DATA, PAD_CHUNK) : x.ecb_encrypt!(h, io + DATA, io + DATA, PAD_CHUNK),
          rt.cipher.name,
        );
        rt.copyOut(io + DATA, out, off, PAD_CHUNK);
      }
      const m = n - off;
      heap.set(off === 0 ? data : data.subarray(off), io + DATA);
      check(
        cbc ? x.cbc_encrypt_pkcs7!(h, io + IV, io + DATA, io + DATA, m) : x.ecb_encrypt_pkcs7!(h, io + DATA, io + DATA, m),
        rt.cipher.name,
      );
      rt.copyOut(io + DATA, out, off, (m & ~15) + 16);
      return out;
    }

    // PKCS#7 decryption
    if (n <= CHUNK) {
      heap.set(data, io + DATA);
      const st = cbc
        ? x.cbc_decrypt_pkcs7!(h, io + IV, io + DATA, io + DATA, n, io + OUTLEN)
        : x.ecb_decrypt_pkcs7!(h, io + DATA, io + DATA, n, io + OUTLEN);
      check(st, st === Status.ERR_BAD_PADDING ? "invalid PKCS#7 padding" : rt.cipher.name);
      const m = rt.u32(OUTLEN);
      heap = rt.heap();
      const out = resultFor(options?.out, m, data);
      rt.copyOut(io + DATA, out, 0, m);
      return out;
    }
    // large: check the padding on the last block first, so a bad one releases nothing
    const last = n - 16;
    heap.set(data.subarray(last), io + SMALL);
    if (cbc) heap.set(data.subarray(last - 16, last), io + IV);
    const st = cbc
      ? x.cbc_decrypt_pkcs7!(h, io + IV, io + SMALL, io + SMALL, 16, io + OUTLEN)
      : x.ecb_decrypt_pkcs7!(h, io + SMALL, io + SMALL, 16, io + OUTLEN);
    check(st, st === Status.ERR_BAD_PADDING ? "invalid PKCS#7 padding" : rt.cipher.name);
    const tail = rt.u32(OUTLEN);
    heap = rt.heap();
    const out = resultFor(options?.out, last + tail, data);
    // keep the tail before the data region is reused (out may be data itself)
    const tailBytes = heap.slice(io + SMALL, io + SMALL + tail);
    heap.fill(0, io + SMALL, io + SMALL + 16);
    if (cbc) heap.set(iv!, io + IV);
    rt.pieces(
      data,
      last,
      rt.cipher.name,
      (m) => (cbc ? x.cbc_decrypt!(h, io + IV, io + DATA, io + DATA, m) : x.ecb_decrypt!(h, io + DATA, io + DATA, m)),
      out,
    );
    out.set(tailBytes, last);
    return out;
  }

  // ------------------------------------------------------------------ CTR

  /**
   * CTR encryption or decryption (the same operation) of any length, starting from the 16-byte
   * counter block `iv`.
   */
  ctr(iv: Uint8Array, data: Uint8Array, options?: CtrOptions): Uint8Array {
    return this.rt.scrubAfter(data, () => this.ctrRun(iv, data, options));
  }

  private ctrRun(iv: Uint8Array, data: Uint8Array, options?: CtrOptions): Uint8Array {
    const h = this.live();
    requireBytes("iv", iv, { length: 16 });
    requireBytes("data", data);
    optionsObject(options);
    const bits = options?.counterBits ?? 128;
    if (bits !== 32 && bits !== 128) throw new RangeError(`options.counterBits must be 32 or 128, got ${String(bits)}`);
    const rt = this.rt,
      x = rt.ops,
      io = rt.io;
    const heap = rt.heap();
    const n = data.length;
    const out = resultFor(options?.out, n, data);
    heap.set(iv, io + IV);
    rt.pieces(data, n, `${rt.cipher.name}-CTR`, (m) => x.ctr!(h, io + IV, io + DATA, io + DATA, m, bits), out);
    return out;
  }

  // ------------------------------------------------------------------ GCM

  /**
   * GCM seal. @param iv 1..65536 bytes (12 recommended; never reuse one with the same key)
   * @returns ciphertext ‖ 16-byte tag
   */
  sealGcm(iv: Uint8Array, data: Uint8Array, aad?: Uint8Array, options?: OutOption): Uint8Array {
    return this.rt.scrubAfter(data, () => this.sealGcmRun(iv, data, aad, options));
  }

  private sealGcmRun(iv: Uint8Array, data: Uint8Array, aad?: Uint8Array, options?: OutOption): Uint8Array {
    const h = this.live();
    requireBytes("iv", iv, { min: 1, max: MAX_GCM_IV });
    requireBytes("data", data);
    if (aad !== undefined) requireBytes("aad", aad);
    optionsObject(options);
    const rt = this.rt,
      x = rt.ops,
      io = rt.io;
    const heap = rt.heap();
    const n = data.length;
    const out = resultFor(options?.out, n + GCM_TAG_SIZE, data);
    const aadLen = aad === undefined ? 0 : aad.length;
    if (n <= CHUNK && iv.length + aadLen <= SMALL_CAP) {
      rt.placeIvAad(iv, aad);
      heap.set(data, io + DATA);
      check(
        x.gcm_seal!(h, io + SMALL, iv.length, io + SMALL + iv.length, aadLen, io + DATA, io + DATA, n, io + TAG),
        `${rt.cipher.name}-GCM seal`,
      );
      rt.copyOut(io + DATA, out, 0, n);
      rt.copyOut(io + TAG, out, n, GCM_TAG_SIZE);
      return out;
    }
    this.gcmStart(iv, aad);
    rt.pieces(data, n, `${rt.cipher.name}-GCM seal`, (m) => x.gcm_encrypt!(h, io + DATA, io + DATA, m), out);
    check(x.gcm_finish!(h, io + TAG), `${rt.cipher.name}-GCM seal`);
    rt.copyOut(io + TAG, out, n, GCM_TAG_SIZE);
    return out;
  }

  /**
   * GCM open of ciphertext ‖ tag. The tag is checked (in constant time) before any
   * plaintext is produced. @throws TidError ERR_VERIFY_FAILED on a wrong tag, IV, AAD or key:
   * nothing is returned and nothing is written to `options.out`.
   */
  openGcm(iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array, options?: GcmOpenOptions): Uint8Array {
    return this.rt.scrubAfter(sealed, () => this.openGcmRun(iv, sealed, aad, options));
  }

  private openGcmRun(iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array, options?: GcmOpenOptions): Uint8Array {
    const h = this.live();
    requireBytes("iv", iv, { min: 1, max: MAX_GCM_IV });
    optionsObject(options);
    const tagLen = options?.tagLength === undefined ? GCM_TAG_SIZE : requireInt("options.tagLength", options.tagLength, 12, 16);
    requireBytes("sealed", sealed, { min: tagLen });
    if (aad !== undefined) requireBytes("aad", aad);
    const rt = this.rt,
      x = rt.ops,
      io = rt.io;
    const heap = rt.heap();
    const n = sealed.length - tagLen;
    const aadLen = aad === undefined ? 0 : aad.length;
    const out = resultFor(options?.out, n, sealed);
    heap.set(sealed.subarray(n), io + TAG);
    if (n <= CHUNK && iv.length + aadLen <= SMALL_CAP) {
      rt.placeIvAad(iv, aad);
      heap.set(n === sealed.length ? sealed : sealed.subarray(0, n), io + DATA);
      const st = x.gcm_open!(h, io + SMALL, iv.length, io + SMALL + iv.length, aadLen, io + DATA, io + DATA, n, io + TAG, tagLen);
      check(
        st,
        st === Status.ERR_VERIFY_FAILED
          ? `${rt.cipher.name}-GCM tag does not match (wrong key, IV, AAD, or altered data)`
          : `${rt.cipher.name}-GCM open`,
      );
      rt.copyOut(io + DATA, out, 0, n);
      return out;
    }
    // pass 1: hash the ciphertext; pass 2, only after the tag matched: decrypt it
    this.gcmStart(iv, aad);
    rt.pieces(sealed, n, `${rt.cipher.name}-GCM open`, (m) => x.gcm_absorb!(h, io + DATA, m));
    const st = x.gcm_verify!(h, io + TAG, tagLen);
    check(
      st,
      st === Status.ERR_VERIFY_FAILED
        ? `${rt.cipher.name}-GCM tag does not match (wrong key, IV, AAD, or altered data)`
        : `${rt.cipher.name}-GCM open`,
    );
    rt.pieces(sealed, n, `${rt.cipher.name}-GCM open`, (m) => x.gcm_decrypt!(h, io + DATA, io + DATA, m), out);
    return out;
  }

  /** Stream start: the IV and the AAD, in pieces through the data region. */
  private gcmStart(iv: Uint8Array, aad: Uint8Array | undefined): void {
    const h = this.h,
      rt = this.rt,
      x = rt.ops,
      io = rt.io;
    const heap = rt.heap();
    heap.set(iv, io + DATA);
    check(x.gcm_start!(h, io + DATA, iv.length), `${rt.cipher.name}-GCM`);
    if (aad !== undefined) rt.pieces(aad, aad.length, `${rt.cipher.name}-GCM`, (m) => x.gcm_aad!(h, io + DATA, m));
  }
}
