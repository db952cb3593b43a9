/**
 * @module bindings/sm4
 * Typed SM4 (GB/T 32907-2016) over the wasm module: ECB and CBC (NIST SP 800-38A, PKCS#7 of
 * RFC 5652 §6.3 or no padding), CTR (32- or 128-bit counter) and SM4-GCM (NIST SP 800-38D,
 * RFC 8998) and CMAC (NIST SP 800-38B); all but CMAC are bindings/block-cipher.ts's, shared with
 * AesKey. One `Sm4Key` holds one of the module's key handles: the key schedule is computed once,
 * in wasm, and zeroed by `destroy()` (or, for a key that is never destroyed, when it is
 * garbage-collected).
 *
 * Data moves through the module's I/O region (docs/abi.md), in 64 KiB pieces for larger inputs.
 * Nothing is allocated off the V8 heap for calls up to 64 bytes (typed arrays of <= 64 bytes live
 * on the heap); larger results are views into Node's Buffer pool up to 4 KiB, so pass `out` to
 * choose where a result goes.
 *
 * @example
 * const wasm = TidWasm.create();
 * const key = new Sm4Key(wasm, keyBytes);
 * const sealed = key.sealGcm(nonce12, plaintext, aad);
 * const plain = key.openGcm(nonce12, sealed, aad);   // throws TidError ERR_VERIFY_FAILED on a bad tag
 * key.destroy();
 */
import { check, requireBytes } from "./errors.js";
import { Status } from "./status.js";
import type { TidWasm } from "./wasm.js";
import {
  BlockCipherKey,
  CHUNK,
  DATA,
  GCM_TAG_SIZE,
  KEY_SIZE,
  SMALL,
  TAG,
  optionsObject,
  resultFor,
  type BlockModeOptions,
  type BlockPadding,
  type CtrOptions,
  type GcmOpenOptions,
  type OutOption,
} from "./block-cipher.js";

export type Sm4Padding = BlockPadding;
export type Sm4OutOption = OutOption;
export type Sm4BlockOptions = BlockModeOptions;
export type Sm4CtrOptions = CtrOptions;
export type Sm4GcmOpenOptions = GcmOpenOptions;

export const SM4_KEY_SIZE = KEY_SIZE;
export const SM4_BLOCK_SIZE = 16;
export const SM4_GCM_TAG_SIZE = GCM_TAG_SIZE;
export const SM4_CMAC_SIZE = 16;

const SM4 = { name: "SM4", prefix: "sm4", className: "Sm4Key" } as const;

/**
 * An SM4 key held in one of the module's 64 SM4 key handles: ECB, CBC, CTR and GCM
 * (bindings/block-cipher.ts) and CMAC.
 */
export class Sm4Key extends BlockCipherKey {
  /**
   * @param wasm the module instance to hold the key in
   * @param key 16 bytes
   * @throws TypeError/RangeError for a bad key; TidError ERR_BAD_KEY_INDEX when all handles are in use
   */
  constructor(wasm: TidWasm, key: Uint8Array) {
    super(wasm, key, SM4);
  }

  /** SM4-CMAC (NIST SP 800-38B) of data: 16 bytes. */
  cmac(data: Uint8Array, options?: Sm4OutOption): Uint8Array {
    this.live();
    requireBytes("data", data);
    optionsObject(options);
    const out = resultFor(options?.out, SM4_CMAC_SIZE, data);
    try {
      check(this.cmacRun(data, -1), "SM4-CMAC");
      this.rt.copyOut(this.rt.io + TAG, out, 0, SM4_CMAC_SIZE);
    } finally {
      this.rt.scrub(data.length);
    }
    return out;
  }

  /**
   * Check an SM4-CMAC in constant time. @param mac 8..16 bytes (a MAC truncated to its leading
   * bytes is accepted) @returns true when it matches
   */
  verifyCmac(data: Uint8Array, mac: Uint8Array): boolean {
    this.live();
    requireBytes("data", data);
    requireBytes("mac", mac, { min: 8, max: SM4_CMAC_SIZE });
    this.rt.heap().set(mac, this.rt.io + TAG);
    let st: number;
    try {
      st = this.cmacRun(data, mac.length);
    } finally {
      this.rt.scrub(data.length);
    }
    if (st === Status.ERR_VERIFY_FAILED) return false;
    check(st, "SM4-CMAC");
    return true;
  }

  /** Whole pieces through sm4_cmac_update, the rest through final (macLen < 0) or verify. */
  private cmacRun(data: Uint8Array, macLen: number): number {
    const h = this.h,
      rt = this.rt,
      x = rt.ops,
      io = rt.io;
    const heap = rt.heap();
    heap.fill(0, io + SMALL, io + SMALL + 16);
    const n = data.length;
    let off = 0;
    for (; n - off > CHUNK; off += CHUNK) {
      heap.set(data.subarray(off, off + CHUNK), io + DATA);
      const st = x.cmac_update!(h, io + SMALL, io + DATA, CHUNK);
      if (st !== Status.OK) return st;
    }
    heap.set(off === 0 ? data : data.subarray(off), io + DATA);
    return macLen < 0
      ? x.cmac_final!(h, io + SMALL, io + DATA, n - off, io + TAG)
      : x.cmac_verify!(h, io + SMALL, io + DATA, n - off, io + TAG, macLen);
  }
}
