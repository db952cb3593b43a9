// Hostile input for the raw key-handle exports of a 128-bit block cipher (docs/abi.md "SM4",
// "AES-128": the `<cipher>_key_*`, ECB, CBC, PKCS#7, CTR and GCM calls, which the module
// implements once for both ciphers): bad and empty handles, out-of-bounds and wrapping pointers,
// huge lengths, bad lengths and parameters, partial overlaps, out-of-order GCM stream calls, bad
// PKCS#7 padding, key wiping, in-bounds outputs over the module's own memory, and the instance
// still computing its standard vector afterwards. Every case ends in its status, never a trap,
// never partial output. Called inside a describe block; the `it`s run in order and share handle 7.
import { createCipheriv, randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { Status } from "../../bindings/status.js";
import type { TidWasm } from "../../bindings/wasm.js";
import { contains } from "./assertions.js";
import { toHex } from "../../reference/bytes.js";

export interface RawCipherSpec {
  /** export prefix: sm4_… or aes_… */
  prefix: "sm4" | "aes";
  /** node:crypto's name for the cipher in a mode: "sm4-ecb", "aes-128-cbc", … */
  nodeName: (mode: "ecb" | "cbc") => string;
  /** a standard single-block vector: key, plaintext, ciphertext (hex) */
  vector: { key: Uint8Array; pt: Uint8Array; ct: string };
  /** a new instance of the same build (for the cases that must start from a fresh module) */
  fresh: () => TidWasm;
  /**
   * whether a key handle holds the key's own bytes: AES-128's first round key is the key
   * (FIPS 197 §5.2); SM4's round keys are not (the key schedule of GB/T 32907), so no copy of it may stay
   */
  scheduleHoldsKey: boolean;
}

type Fn = (...a: number[]) => number;

/** Define the raw-export cases for `spec` on the instance `wasm`. */
export function rawBlockCipherHostile(wasm: TidWasm, spec: RawCipherSpec): void {
  const fnOf = (w: TidWasm) => {
    const ex = w.exports as unknown as Record<string, Fn>;
    return (name: string, ...a: number[]): number => ex[`${spec.prefix}_${name}`]!(...a);
  };
  const c = fnOf(wasm);
  const io = wasm.ioPtr;
  const mem = () => wasm.bytes();
  const size = wasm.memory.buffer.byteLength;
  const HUGE = [0xffffffff, 0x80000000, size, size - 15];
  const BAD_PTRS = [size, size - 8, 0xfffffff0, 0xffffffff];
  const h = 7;

  /** Run `fn` and check the sentinel-filled out region is untouched. */
  function noOutput(out: number, len: number, fn: () => number): number {
    mem().fill(0xc3, out, out + len);
    const st = fn();
    expect(
      mem()
        .subarray(out, out + len)
        .every((b) => b === 0xc3),
    ).toBe(true);
    return st;
  }

  it("set a key for the raw calls", () => {
    mem().set(spec.vector.key, io);
    expect(c("key_set", h, io)).toBe(Status.OK);
    mem().fill(0, io, io + 16);
  });

  it("bad handles and empty handles", () => {
    const slots = c("key_slots");
    for (const bad of [slots, slots + 1, 64, 0xffffffff, 0x80000000]) {
      expect(c("key_set", bad, io)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(c("key_clear", bad)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(c("key_is_set", bad)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(c("ecb_encrypt", bad, io, io, 16)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(c("cbc_decrypt_pkcs7", bad, io, io, io + 64, 16, io + 32)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(c("ctr", bad, io, io, io, 16, 128)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(c("gcm_seal", bad, io, 12, io, 0, io, io + 64, 16, io + 32)).toBe(Status.ERR_BAD_KEY_INDEX);
      for (const [name, ...args] of [
        ["gcm_start", io, 12],
        ["gcm_aad", io, 1],
        ["gcm_encrypt", io, io, 1],
        ["gcm_finish", io],
        ["gcm_absorb", io, 1],
        ["gcm_verify", io, 16],
        ["gcm_decrypt", io, io, 1],
      ] as const)
        expect(c(name, bad, ...args), name).toBe(Status.ERR_BAD_KEY_INDEX);
    }
    const empty = slots - 1;
    expect(c("key_is_set", empty)).toBe(0);
    expect(c("ecb_encrypt", empty, io, io, 16)).toBe(Status.ERR_SLOT_EMPTY);
    expect(c("ecb_decrypt", empty, io, io, 16)).toBe(Status.ERR_SLOT_EMPTY);
    expect(c("cbc_encrypt", empty, io, io + 64, io + 64, 16)).toBe(Status.ERR_SLOT_EMPTY);
    expect(c("ecb_encrypt_pkcs7", empty, io, io + 64, 3)).toBe(Status.ERR_SLOT_EMPTY);
    expect(c("gcm_open", empty, io, 12, io, 0, io, io, 0, io, 16)).toBe(Status.ERR_SLOT_EMPTY);
    expect(c("gcm_start", empty, io, 12)).toBe(Status.ERR_SLOT_EMPTY);
    expect(c("key_set", 0, 0xfffffff8)).toBe(Status.ERR_OUT_OF_BOUNDS);
    expect(c("key_is_set", 0)).toBe(0);
  });

  it("out-of-bounds pointers and huge lengths → ERR_OUT_OF_BOUNDS, nothing written", () => {
    const out = io + 4096;
    for (const p of BAD_PTRS) {
      expect(noOutput(out, 64, () => c("ecb_encrypt", h, p, out, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(c("ecb_decrypt", h, io, p, 16)).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("cbc_encrypt", h, p, io, out, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("ctr", h, p, io, out, 16, 128))).toBe(Status.ERR_OUT_OF_BOUNDS);
      if (p > size - 4) expect(noOutput(out, 64, () => c("ecb_decrypt_pkcs7", h, io, out, 16, p))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("gcm_seal", h, p, 12, io, 0, io, out, 16, io + 64))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("gcm_seal", h, io, 12, io, 0, io, out, 16, p))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("gcm_open", h, io, 12, p, 12, io, out, 16, io + 64, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(c("gcm_start", h, p, 12)).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(c("gcm_finish", h, p)).toBe(Status.ERR_OUT_OF_BOUNDS);
    }
    for (const n of HUGE) {
      expect(noOutput(out, 64, () => c("ecb_encrypt", h, io, out, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("ecb_encrypt_pkcs7", h, io, out, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("cbc_encrypt_pkcs7", h, io, io, out, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("cbc_decrypt_pkcs7", h, io, io, out, n, io + 32))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("ctr", h, io, io + 16, out, n, 32))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("gcm_seal", h, io, n, io, 0, io, out, 16, io + 64))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("gcm_seal", h, io, 12, io, n, io, out, 16, io + 64))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("gcm_open", h, io, 12, io, 0, io, out, n, io + 64, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(noOutput(out, 64, () => c("gcm_open", h, io, 12, io, 0, io, out, 16, io + 64, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(c("gcm_aad", h, io, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(c("gcm_absorb", h, io, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(c("gcm_encrypt", h, io, out, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(c("gcm_decrypt", h, io, out, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
    }
    // a range ending exactly at the end of memory is fine
    expect(c("ecb_encrypt", h, size - 16, size - 16, 16)).toBe(Status.OK);
  });

  it("lengths, parameters and overlaps", () => {
    const out = io + 4096;
    expect(noOutput(out, 32, () => c("ecb_encrypt", h, io, out, 15))).toBe(Status.ERR_BAD_LENGTH);
    expect(noOutput(out, 32, () => c("cbc_decrypt", h, io + 256, io, out, 17))).toBe(Status.ERR_BAD_LENGTH);
    expect(noOutput(out, 32, () => c("ecb_decrypt_pkcs7", h, io, out, 0, io + 512))).toBe(Status.ERR_BAD_LENGTH);
    expect(noOutput(out, 32, () => c("cbc_decrypt_pkcs7", h, io + 256, io, out, 24, io + 512))).toBe(Status.ERR_BAD_LENGTH);
    for (const bits of [0, 1, 64, 127, 129, 0xffffffff])
      expect(noOutput(out, 32, () => c("ctr", h, io + 256, io, out, 16, bits))).toBe(Status.ERR_BAD_PARAM);
    expect(noOutput(out, 32, () => c("gcm_seal", h, io + 256, 0, io, 0, io, out, 16, io + 512))).toBe(Status.ERR_BAD_LENGTH);
    for (const t of [0, 11, 17, 0xffff])
      expect(noOutput(out, 32, () => c("gcm_open", h, io + 256, 12, io, 0, io, out, 16, io + 512, t))).toBe(Status.ERR_BAD_LENGTH);
    // partial overlaps of in and out
    for (const d of [1, 8, 15, 16, -16, -1]) {
      expect(c("ecb_encrypt", h, io + 1024, io + 1024 + d, 64)).toBe(Status.ERR_BAD_PARAM);
      expect(c("cbc_decrypt", h, io + 256, io + 1024, io + 1024 + d, 64)).toBe(Status.ERR_BAD_PARAM);
      expect(c("ctr", h, io + 256, io + 1024, io + 1024 + d, 64, 32)).toBe(Status.ERR_BAD_PARAM);
      expect(c("gcm_seal", h, io + 256, 12, io, 0, io + 1024, io + 1024 + d, 64, io + 512)).toBe(Status.ERR_BAD_PARAM);
      expect(c("ecb_encrypt_pkcs7", h, io + 1024, io + 1024 + d, 60)).toBe(Status.ERR_BAD_PARAM);
    }
    // IV / counter / tag / length cells inside the output
    expect(c("cbc_encrypt", h, out + 16, io, out, 64)).toBe(Status.ERR_BAD_PARAM);
    expect(c("ctr", h, out + 8, io, out, 64, 32)).toBe(Status.ERR_BAD_PARAM);
    expect(c("gcm_seal", h, io + 256, 12, io, 0, io, out, 64, out + 48)).toBe(Status.ERR_BAD_PARAM);
    expect(c("ecb_decrypt_pkcs7", h, io, out, 64, out + 60)).toBe(Status.ERR_BAD_PARAM);
    // in place is allowed
    expect(c("ecb_encrypt", h, io + 1024, io + 1024, 64)).toBe(Status.OK);
    expect(c("ctr", h, io + 256, io + 1024, io + 1024, 65, 32)).toBe(Status.OK);
  });

  it("the GCM stream refuses calls out of order and misaligned pieces", () => {
    const iv = io + 256,
      tag = io + 512,
      d = io + 1024;
    expect(c("gcm_finish", h, tag)).toBe(Status.ERR_NOT_INITIALISED);
    expect(c("gcm_decrypt", h, d, d, 16)).toBe(Status.ERR_NOT_INITIALISED);
    expect(c("gcm_verify", h, tag, 16)).toBe(Status.ERR_NOT_INITIALISED);
    expect(c("gcm_start", h, iv, 0)).toBe(Status.ERR_BAD_LENGTH);
    expect(c("gcm_start", h, iv, 12)).toBe(Status.OK);
    expect(c("gcm_aad", h, d, 5)).toBe(Status.OK);
    expect(c("gcm_aad", h, d, 16)).toBe(Status.ERR_BAD_LENGTH); // after a partial piece
    expect(c("gcm_encrypt", h, d, d, 20)).toBe(Status.OK);
    expect(c("gcm_encrypt", h, d, d, 16)).toBe(Status.ERR_BAD_LENGTH);
    expect(c("gcm_aad", h, d, 16)).toBe(Status.ERR_NOT_INITIALISED); // AAD after text
    expect(c("gcm_absorb", h, d, 16)).toBe(Status.ERR_NOT_INITIALISED); // sealing, not opening
    expect(c("gcm_finish", h, tag)).toBe(Status.OK);
    expect(c("gcm_finish", h, tag)).toBe(Status.ERR_NOT_INITIALISED);
    // open: decrypt only after a good verify, and only as much as was verified
    mem().set(randomBytes(32), d);
    expect(c("gcm_start", h, iv, 12)).toBe(Status.OK);
    expect(c("gcm_encrypt", h, d, d, 32)).toBe(Status.OK);
    expect(c("gcm_finish", h, tag)).toBe(Status.OK);
    expect(c("gcm_start", h, iv, 12)).toBe(Status.OK);
    expect(c("gcm_absorb", h, d, 32)).toBe(Status.OK);
    expect(c("gcm_decrypt", h, d, d, 32)).toBe(Status.ERR_NOT_INITIALISED);
    expect(c("gcm_verify", h, tag, 16)).toBe(Status.OK);
    expect(c("gcm_decrypt", h, d, io + 2048, 48)).toBe(Status.ERR_BAD_LENGTH);
    expect(c("gcm_decrypt", h, d, io + 2048, 32)).toBe(Status.OK);
    expect(c("gcm_decrypt", h, d, io + 2048, 16)).toBe(Status.ERR_NOT_INITIALISED);
    // a bad tag ends the stream
    expect(c("gcm_start", h, iv, 12)).toBe(Status.OK);
    expect(c("gcm_absorb", h, d, 32)).toBe(Status.OK);
    mem()[tag]! ^= 1;
    expect(c("gcm_verify", h, tag, 16)).toBe(Status.ERR_VERIFY_FAILED);
    expect(c("gcm_decrypt", h, d, io + 2048, 32)).toBe(Status.ERR_NOT_INITIALISED);
    expect(c("gcm_verify", h, tag, 16)).toBe(Status.ERR_NOT_INITIALISED);
  });

  it("bad PKCS#7 padding → ERR_BAD_PADDING, nothing written, the IV cell unchanged (ECB and CBC)", () => {
    const key = randomBytes(16);
    mem().set(key, io);
    expect(c("key_set", 3, io)).toBe(Status.OK);
    const iv = io + 256,
      d = io + 1024,
      out = io + 16384,
      lenCell = io + 512;
    const raw = (mode: "ecb" | "cbc", block: Uint8Array, ivBytes: Uint8Array) => {
      const ci = createCipheriv(spec.nodeName(mode), key, mode === "ecb" ? null : ivBytes);
      ci.setAutoPadding(false);
      return Buffer.concat([ci.update(block), ci.final()]);
    };
    const ivBytes = randomBytes(16);
    const badLast = [
      new Uint8Array(16), // pad byte 0
      new Uint8Array(16).fill(17), // 17 > 16
      Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 4 : i === 12 ? 3 : 4)), // one pad byte wrong
      Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 15 : 16)), // 16 with the first byte wrong
    ];
    for (const last of badLast) {
      for (const prefix of [0, 48, 4096]) {
        const pt = new Uint8Array(prefix + 16);
        pt.set(randomBytes(prefix));
        pt.set(last, prefix);
        mem().set(raw("ecb", pt, ivBytes), d);
        expect(noOutput(out, prefix + 16, () => c("ecb_decrypt_pkcs7", 3, d, out, prefix + 16, lenCell))).toBe(Status.ERR_BAD_PADDING);
        mem().set(raw("cbc", pt, ivBytes), d);
        mem().set(ivBytes, iv);
        expect(noOutput(out, prefix + 16, () => c("cbc_decrypt_pkcs7", 3, iv, d, out, prefix + 16, lenCell))).toBe(Status.ERR_BAD_PADDING);
        expect(toHex(mem().slice(iv, iv + 16))).toBe(toHex(ivBytes));
      }
    }
    expect(c("key_clear", 3)).toBe(Status.OK);
  });

  it("keys and data are wiped: the key and its round keys leave the module's memory after every call", () => {
    const w = spec.fresh();
    const wc = fnOf(w),
      wio = w.ioPtr;
    const key = new Uint8Array(randomBytes(16));
    const pt = new Uint8Array(randomBytes(80));
    w.bytes().set(key, wio);
    expect(wc("key_set", 2, wio)).toBe(Status.OK);
    w.bytes().fill(0, wio, wio + 16);
    expect(contains(w.bytes(), key)).toBe(spec.scheduleHoldsKey); // only as a round key, if at all
    w.bytes().set(pt, wio + 1024);
    w.bytes().set(randomBytes(12), wio + 64);
    expect(wc("gcm_seal", 2, wio + 64, 12, wio, 0, wio + 1024, wio + 1024, 80, wio + 128)).toBe(Status.OK);
    expect(wc("cbc_encrypt_pkcs7", 2, wio + 64, wio + 1024, wio + 2048, 70)).toBe(Status.OK);
    expect(wc("key_set", 2, wio + 2048)).toBe(Status.OK); // a new key: the first one is gone
    expect(contains(w.bytes(), key)).toBe(false);
    expect(contains(w.bytes(), pt.subarray(0, 16))).toBe(false); // encrypted in place: not left in scratch
    expect(wc("key_clear", 2)).toBe(Status.OK);
    expect(wc("key_is_set", 2)).toBe(0);
    const newKey = w.bytes().slice(wio + 2048, wio + 2064);
    w.bytes().fill(0, wio, wio + 4096);
    expect(contains(w.bytes(), newKey)).toBe(false);
  });

  it("in-bounds outputs over the module's own memory (its handles, its expanded key) do not trap", () => {
    const calls: [string, (wc: ReturnType<typeof fnOf>) => number][] = [
      ["ctr over everything", (wc) => wc("ctr", 0, size - 16, 0, 0, size - 16, 128)],
      ["ecb over everything", (wc) => wc("ecb_encrypt", 0, 0, 0, size - 16)],
      ["ecb decrypt over everything", (wc) => wc("ecb_decrypt", 0, 0, 0, size - 16)],
      ["cbc over everything", (wc) => wc("cbc_decrypt", 0, size - 16, 0, 0, size - 16)],
      ["pkcs7 over everything", (wc) => wc("cbc_decrypt_pkcs7", 0, size - 16, 0, 0, size - 32, size - 20)],
      ["gcm seal over everything", (wc) => wc("gcm_seal", 0, size - 32, 12, 0, 100, 0, 0, size - 64, size - 48)],
      ["gcm open over everything", (wc) => wc("gcm_open", 0, size - 32, 12, 0, 100, 0, 0, size - 64, size - 48, 16)],
      [
        "gcm stream over everything",
        (wc) => {
          wc("gcm_start", 0, size - 32, 12);
          wc("gcm_encrypt", 0, 0, 0, size - 64);
          return wc("gcm_finish", 0, size - 48);
        },
      ],
    ];
    for (const [what, call] of calls) {
      const w = spec.fresh();
      w.bytes().set(spec.vector.key, w.ioPtr);
      expect(fnOf(w)("key_set", 0, w.ioPtr)).toBe(Status.OK);
      let st: number | undefined;
      expect(() => {
        st = call(fnOf(w));
      }, what).not.toThrow();
      expect(typeof st, what).toBe("number");
    }
  });

  it("the instance still computes its standard vector and memory did not grow", () => {
    mem().set(spec.vector.key, io);
    expect(c("key_set", 0, io)).toBe(Status.OK);
    mem().set(spec.vector.pt, io + 16);
    expect(c("ecb_encrypt", 0, io + 16, io + 32, 16)).toBe(Status.OK);
    expect(toHex(mem().slice(io + 32, io + 48))).toBe(spec.vector.ct);
    expect(c("key_clear", 0)).toBe(Status.OK);
    expect(wasm.memory.buffer.byteLength).toBe(size);
  });
}
