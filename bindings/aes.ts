/**
 * @module bindings/aes
 * Typed AES-128 (FIPS 197) over the wasm module (docs/abi.md § AES-128): ECB and CBC
 * (NIST SP 800-38A, PKCS#7 of RFC 5652 §6.3 or no padding), CTR (32- or 128-bit counter) and
 * AES-128-GCM (NIST SP 800-38D), the same calls as `Sm4Key` without CMAC (the modes are
 * bindings/block-cipher.ts, shared with SM4). One `AesKey` holds one of the module's 16 AES key
 * handles; `destroy()` zeroes it (or, for a key that is never destroyed, garbage collection).
 * Its option types are block-cipher.ts's (`BlockModeOptions`, `CtrOptions`, `GcmOpenOptions`,
 * `OutOption`), exported from the package entry.
 *
 * Data moves through the module's I/O region (docs/abi.md), in 64 KiB pieces for larger inputs.
 * Nothing is allocated off the V8 heap for calls up to 64 bytes; larger results are views into
 * Node's Buffer pool up to 4 KiB, so pass `out` to choose where a result goes.
 *
 * @example
 * const wasm = TidWasm.create();
 * const key = new AesKey(wasm, keyBytes);
 * const sealed = key.sealGcm(nonce12, plaintext, aad);
 * const plain = key.openGcm(nonce12, sealed, aad);   // throws TidError ERR_VERIFY_FAILED on a bad tag
 * key.destroy();
 */
import type { TidWasm } from "./wasm.js";
import { BlockCipherKey, GCM_TAG_SIZE, KEY_SIZE } from "./block-cipher.js";

export const AES_KEY_SIZE = KEY_SIZE;
export const AES_BLOCK_SIZE = 16;
export const AES_GCM_TAG_SIZE = GCM_TAG_SIZE;

const AES = { name: "AES", prefix: "aes", className: "AesKey" } as const;

/** An AES-128 key held in one of the module's 16 AES key handles: ECB, CBC, CTR and GCM. */
export class AesKey extends BlockCipherKey {
  /**
   * @param wasm the module instance to hold the key in
   * @param key 16 bytes (AES-128)
   * @throws TypeError/RangeError for a bad key; TidError ERR_BAD_KEY_INDEX when all 16 handles are in use
   */
  constructor(wasm: TidWasm, key: Uint8Array) {
    super(wasm, key, AES);
  }
}
