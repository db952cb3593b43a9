// Hostile input for SM4, on both builds: wrong types and lengths, bad options, bad padding, bad
// GCM tags/AAD/IVs, overlapping buffers, exhausted handles; and the raw exports called with
// out-of-bounds pointers, huge lengths, bad handles and out-of-order stream calls. Every case
// must end in a clear error (TypeError/RangeError naming the argument, TidError, or an i32
// status), never a trap, and never partial output. The instance must keep working afterwards.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Sm4Key } from "../../bindings/sm4.js";
import { TidWasm } from "../../bindings/wasm.js";
import { TidError } from "../../bindings/errors.js";
import { Status } from "../../bindings/status.js";
import { contains, expectStatus } from "../support/assertions.js";
import { expectGcmTamperingFails } from "../support/gcm-tampering.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const GB_KEY = fromHex("0123456789abcdeffedcba9876543210");
const GB_CT = "681edf34d206965e86b3e94f536e4246";

describe.each(["debug", "release", "portable"] as const)("SM4 hostile input on the %s build", (build) => {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const memBytes = wasm.memory.buffer.byteLength;

  /** The instance still computes the GB/T vector. */
  function stillWorks(): void {
    const k = new Sm4Key(wasm, GB_KEY);
    expect(toHex(k.encryptEcb(GB_KEY, { padding: "none" }))).toBe(GB_CT);
    k.destroy();
    expect(wasm.memory.buffer.byteLength).toBe(memBytes);
  }

  it("wrong types and lengths for the key and the instance", () => {
    for (const bad of ["0123456789abcdef", [1, 2, 3], null, undefined, 16, new ArrayBuffer(16), new Uint16Array(8), {}]) {
      expect(() => new Sm4Key(wasm, bad as never)).toThrow(TypeError);
      expect(() => new Sm4Key(wasm, bad as never)).toThrow(/key/);
    }
    for (const n of [0, 15, 17, 24, 32]) {
      expect(() => new Sm4Key(wasm, new Uint8Array(n))).toThrow(RangeError);
      expect(() => new Sm4Key(wasm, new Uint8Array(n))).toThrow(/key must be 16 bytes, got/);
    }
    for (const bad of [null, undefined, {}, "wasm", 1]) expect(() => new Sm4Key(bad as never, GB_KEY)).toThrow(TypeError);
    stillWorks();
  });

  it("wrong data, IV and option arguments name the argument", () => {
    const k = new Sm4Key(wasm, randomBytes(16));
    const iv = randomBytes(16);
    expect(() => k.encryptEcb("abc" as never)).toThrow(/data must be a Uint8Array/);
    expect(() => k.encryptEcb([1, 2] as never)).toThrow(TypeError);
    expect(() => k.encryptEcb(new Uint8Array(15), { padding: "none" })).toThrow(/data length must be a multiple of 16, got 15/);
    expect(() => k.decryptEcb(new Uint8Array(17), { padding: "none" })).toThrow(RangeError);
    expect(() => k.decryptEcb(new Uint8Array(0))).toThrow(/data must be at least 16 bytes/);
    expect(() => k.decryptCbc(iv, new Uint8Array(31))).toThrow(/multiple of 16/);
    expect(() => k.encryptEcb(new Uint8Array(16), { padding: "PKCS7" as never })).toThrow(/options.padding/);
    expect(() => k.encryptEcb(new Uint8Array(16), 5 as never)).toThrow(/options must be an object/);
    expect(() => k.encryptCbc(new Uint8Array(15), new Uint8Array(16))).toThrow(/iv must be 16 bytes, got 15/);
    expect(() => k.encryptCbc("iv" as never, new Uint8Array(16))).toThrow(/iv must be a Uint8Array/);
    expect(() => k.ctr(new Uint8Array(12), new Uint8Array(16))).toThrow(/iv must be 16 bytes/);
    expect(() => k.ctr(iv, new Uint8Array(16), { counterBits: 64 as never })).toThrow(/options.counterBits must be 32 or 128/);
    expect(() => k.sealGcm(new Uint8Array(0), new Uint8Array(16))).toThrow(/iv must be at least 1 bytes/);
    expect(() => k.sealGcm(new Uint8Array(65537), new Uint8Array(16))).toThrow(/iv must be at most/);
    expect(() => k.sealGcm(iv, new Uint8Array(16), "aad" as never)).toThrow(/aad must be a Uint8Array/);
    expect(() => k.openGcm(iv, new Uint8Array(15))).toThrow(/sealed must be at least 16 bytes/);
    for (const t of [11, 17, 12.5, "16"])
      expect(() => k.openGcm(iv, new Uint8Array(32), undefined, { tagLength: t as never })).toThrow(/options.tagLength/);
    expect(() => k.encryptEcb(new Uint8Array(32), { padding: "none", out: new Uint8Array(31) })).toThrow(
      /options.out must be at least 32 bytes/,
    );
    expect(() => k.encryptEcb(new Uint8Array(32), { padding: "none", out: [] as never })).toThrow(/options.out must be a Uint8Array/);
    expect(() => k.cmac("data" as never)).toThrow(/data must be a Uint8Array/);
    expect(() => k.verifyCmac(new Uint8Array(3), new Uint8Array(7))).toThrow(/mac must be at least 8 bytes/);
    expect(() => k.verifyCmac(new Uint8Array(3), new Uint8Array(17))).toThrow(/mac must be at most 16 bytes/);
    k.destroy();
    stillWorks();
  });

  it("partial overlap of out and input is refused; exact in-place works", () => {
    const k = new Sm4Key(wasm, randomBytes(16));
    const buf = randomBytes(96);
    const before = toHex(buf);
    expect(() => k.encryptEcb(buf.subarray(0, 64), { padding: "none", out: buf.subarray(16, 80) })).toThrow(/partial overlap/);
    expect(() => k.ctr(randomBytes(16), buf.subarray(8, 40), { out: buf.subarray(0, 40) })).toThrow(/partial overlap/);
    expect(toHex(buf)).toBe(before);
    const expected = k.encryptEcb(buf.subarray(16, 80), { padding: "none" });
    expect(toHex(k.encryptEcb(buf.subarray(16, 80), { padding: "none", out: buf.subarray(16, 80) }))).toBe(toHex(expected));
    // disjoint views of one buffer are fine
    const c = k.encryptEcb(buf.subarray(0, 16), { padding: "none", out: buf.subarray(80, 96) });
    expect(c.byteOffset).toBe(buf.byteOffset + 80);
    k.destroy();
  });

  it("bad PKCS#7 padding → ERR_BAD_PADDING, no output (small and large inputs, ECB and CBC)", () => {
    const k = new Sm4Key(wasm, randomBytes(16));
    const iv = randomBytes(16);
    const lastBlocks = [
      "000102030405060708090a0b0c0d0e00", // pad 0
      "000102030405060708090a0b0c0d0e11", // pad 17
      "000102030405060708090a0b0c0d0eff", // pad 255
      "000102030405060708090a0b0c0d0302", // 02 preceded by 03
      "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f10", // 16 claimed, 15 bytes of 0f
      "10101010101010101010101010101011",
    ];
    for (const size of [16, 64, 65536 + 32]) {
      for (const last of lastBlocks) {
        const plain = new Uint8Array(size);
        plain.set(fromHex(last), size - 16);
        for (const mode of ["ecb", "cbc"] as const) {
          const ct = mode === "ecb" ? k.encryptEcb(plain, { padding: "none" }) : k.encryptCbc(iv, plain, { padding: "none" });
          const out = new Uint8Array(size).fill(0xa5);
          expectStatus(() => (mode === "ecb" ? k.decryptEcb(ct, { out }) : k.decryptCbc(iv, ct, { out })), Status.ERR_BAD_PADDING);
          expect(out.every((b) => b === 0xa5)).toBe(true);
          // in place: the ciphertext is left as it was
          const copy = ct.slice();
          expectStatus(
            () => (mode === "ecb" ? k.decryptEcb(copy, { out: copy }) : k.decryptCbc(iv, copy, { out: copy })),
            Status.ERR_BAD_PADDING,
          );
          expect(toHex(copy)).toBe(toHex(ct));
        }
      }
    }
    // every valid pad length is accepted
    for (let p = 1; p <= 16; p++) {
      const plain = randomBytes(32 - p);
      expect(toHex(k.decryptEcb(k.encryptEcb(plain)))).toBe(toHex(plain));
    }
    k.destroy();
    stillWorks();
  });

  it("bad GCM tags, AAD, IV, key or ciphertext → ERR_VERIFY_FAILED every time, nothing released", () => {
    const key = randomBytes(16),
      k = new Sm4Key(wasm, key),
      other = new Sm4Key(wasm, randomBytes(16));
    expectGcmTamperingFails(k, other);
    k.destroy();
    other.destroy();
    stillWorks();
  });

  it("destroyed keys and exhausted handles give TidErrors; handles come back", () => {
    const k = new Sm4Key(wasm, GB_KEY);
    k.destroy();
    expectStatus(() => k.encryptEcb(new Uint8Array(16)), Status.ERR_SLOT_EMPTY);
    const slots = x.sm4_key_slots!();
    const keys: Sm4Key[] = [];
    try {
      for (;;) keys.push(new Sm4Key(wasm, GB_KEY));
    } catch (e) {
      expect(e).toBeInstanceOf(TidError);
      expect((e as TidError).code).toBe(Status.ERR_BAD_KEY_INDEX);
      expect((e as TidError).message).toMatch(/in use/);
    }
    expect(keys.length).toBeLessThanOrEqual(slots);
    expect(keys.length).toBeGreaterThan(slots - 4);
    for (const key of keys) key.destroy();
    stillWorks();
  });

  it("key material is zeroed: the key never stays in memory, round keys vanish on destroy", () => {
    const key = randomBytes(16);
    const k = new Sm4Key(wasm, key);
    expect(contains(wasm.bytes(), key)).toBe(false);
    k.destroy();
    // GB/T 32907 Appendix A lists rk0 = f12186f9, rk1 = 41662b61 for this key; a key context
    // holds round keys as little-endian u32 words
    const rk01 = fromHex("f98621f1612b6641");
    const gb = new Sm4Key(wasm, GB_KEY);
    expect(contains(wasm.bytes(), rk01)).toBe(true);
    gb.destroy();
    expect(contains(wasm.bytes(), rk01)).toBe(false);
  });

  it("no plaintext, IV, AAD or tag stays in module memory after a call, successful or failed", () => {
    const k = new Sm4Key(wasm, randomBytes(16));
    const iv = new Uint8Array(randomBytes(16)),
      nonce = new Uint8Array(randomBytes(12)),
      aad = new Uint8Array(randomBytes(40));
    for (const n of [16, 48, 1000, 70_000]) {
      const pt = new Uint8Array(randomBytes(n));
      const probe = pt.subarray(n - 16); // the last block: it stays in the data area longest
      const gone = (...xs: Uint8Array[]) => xs.every((x) => !contains(wasm.bytes(), x));
      const ecb = k.encryptEcb(pt);
      expect(gone(probe)).toBe(true);
      expect(k.decryptEcb(ecb)).toEqual(pt);
      expect(gone(probe)).toBe(true);
      k.decryptCbc(iv, k.encryptCbc(iv, pt));
      expect(gone(probe, iv)).toBe(true);
      k.ctr(iv, pt);
      expect(gone(probe)).toBe(true);
      const sealed = k.sealGcm(nonce, pt, aad);
      expect(k.openGcm(nonce, sealed, aad)).toEqual(pt);
      expect(gone(probe, aad, sealed.subarray(sealed.length - 16))).toBe(true);
      k.cmac(pt);
      expect(gone(probe)).toBe(true);
      // failures scrub too: a bad tag, bad padding
      const bad = sealed.slice();
      bad[bad.length - 1]! ^= 1;
      expect(() => k.openGcm(nonce, bad, aad)).toThrow(TidError);
      expect(gone(aad, bad.subarray(bad.length - 16))).toBe(true);
      // zero blocks decrypt to a last byte of 0: never valid PKCS#7
      const zeros = k.encryptEcb(new Uint8Array(32), { padding: "none" });
      expect(() => k.decryptEcb(zeros)).toThrow(TidError);
      expect(gone(zeros.subarray(16))).toBe(true);
    }
    k.destroy();
    stillWorks();
  });

  describe("raw exports", () => {
    const io = wasm.ioPtr;
    const mem = () => wasm.bytes();
    const size = memBytes;
    const HUGE = [0xffffffff, 0x80000000, size, size - 15];
    const BAD_PTRS = [size, size - 8, 0xfffffff0, 0xffffffff];
    let h = -1;

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
      mem().set(GB_KEY, io);
      h = 7;
      expect(x.sm4_key_set!(h, io)).toBe(Status.OK);
      mem().fill(0, io, io + 16);
    });

    it("bad handles and empty handles", () => {
      for (const bad of [64, 65, 0xffffffff, 0x80000000]) {
        expect(x.sm4_key_set!(bad, io)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.sm4_key_clear!(bad)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.sm4_ecb_encrypt!(bad, io, io, 16)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.sm4_gcm_start!(bad, io, 12)).toBe(Status.ERR_BAD_KEY_INDEX);
      }
      expect(x.sm4_key_is_set!(63)).toBe(0);
      expect(x.sm4_ecb_encrypt!(63, io, io, 16)).toBe(Status.ERR_SLOT_EMPTY);
      expect(x.sm4_gcm_open!(63, io, 12, io, 0, io, io, 0, io, 16)).toBe(Status.ERR_SLOT_EMPTY);
      expect(x.sm4_key_set!(0, 0xfffffff8)).toBe(Status.ERR_OUT_OF_BOUNDS);
    });

    it("out-of-bounds pointers and huge lengths → ERR_OUT_OF_BOUNDS, nothing written", () => {
      const out = io + 4096;
      for (const p of BAD_PTRS) {
        expect(noOutput(out, 64, () => x.sm4_ecb_encrypt!(h, p, out, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.sm4_ecb_decrypt!(h, io, p, 16)).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_cbc_encrypt!(h, p, io, out, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_ctr!(h, p, io, out, 16, 128))).toBe(Status.ERR_OUT_OF_BOUNDS);
        if (p > size - 4) expect(noOutput(out, 64, () => x.sm4_ecb_decrypt_pkcs7!(h, io, out, 16, p))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_gcm_seal!(h, p, 12, io, 0, io, out, 16, io + 64))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_gcm_seal!(h, io, 12, io, 0, io, out, 16, p))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_gcm_open!(h, io, 12, p, 12, io, out, 16, io + 64, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.sm4_gcm_start!(h, p, 12)).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.sm4_gcm_finish!(h, p)).toBe(Status.ERR_OUT_OF_BOUNDS);
      }
      for (const n of HUGE) {
        expect(noOutput(out, 64, () => x.sm4_ecb_encrypt!(h, io, out, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_ecb_encrypt_pkcs7!(h, io, out, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_cbc_encrypt_pkcs7!(h, io, io, out, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_cbc_decrypt_pkcs7!(h, io, io, out, n, io + 32))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_ctr!(h, io, io + 16, out, n, 32))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_gcm_seal!(h, io, n, io, 0, io, out, 16, io + 64))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_gcm_seal!(h, io, 12, io, n, io, out, 16, io + 64))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_gcm_open!(h, io, 12, io, 0, io, out, n, io + 64, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.sm4_gcm_open!(h, io, 12, io, 0, io, out, 16, io + 64, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.sm4_gcm_aad!(h, io, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.sm4_gcm_absorb!(h, io, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.sm4_gcm_encrypt!(h, io, out, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.sm4_gcm_decrypt!(h, io, out, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
      }
      // a range ending exactly at the end of memory is fine
      expect(x.sm4_ecb_encrypt!(h, size - 16, size - 16, 16)).toBe(Status.OK);
    });

    it("lengths, parameters and overlaps", () => {
      const out = io + 4096;
      expect(noOutput(out, 32, () => x.sm4_ecb_encrypt!(h, io, out, 15))).toBe(Status.ERR_BAD_LENGTH);
      expect(noOutput(out, 32, () => x.sm4_cbc_decrypt!(h, io + 256, io, out, 17))).toBe(Status.ERR_BAD_LENGTH);
      expect(noOutput(out, 32, () => x.sm4_ecb_decrypt_pkcs7!(h, io, out, 0, io + 512))).toBe(Status.ERR_BAD_LENGTH);
      expect(noOutput(out, 32, () => x.sm4_cbc_decrypt_pkcs7!(h, io + 256, io, out, 24, io + 512))).toBe(Status.ERR_BAD_LENGTH);
      for (const bits of [0, 1, 64, 127, 129, 0xffffffff])
        expect(noOutput(out, 32, () => x.sm4_ctr!(h, io + 256, io, out, 16, bits))).toBe(Status.ERR_BAD_PARAM);
      expect(noOutput(out, 32, () => x.sm4_gcm_seal!(h, io + 256, 0, io, 0, io, out, 16, io + 512))).toBe(Status.ERR_BAD_LENGTH);
      for (const t of [0, 11, 17, 0xffff])
        expect(noOutput(out, 32, () => x.sm4_gcm_open!(h, io + 256, 12, io, 0, io, out, 16, io + 512, t))).toBe(Status.ERR_BAD_LENGTH);
      // partial overlaps of in and out
      for (const d of [1, 8, 15, 16, -16, -1]) {
        expect(x.sm4_ecb_encrypt!(h, io + 1024, io + 1024 + d, 64)).toBe(Status.ERR_BAD_PARAM);
        expect(x.sm4_cbc_decrypt!(h, io + 256, io + 1024, io + 1024 + d, 64)).toBe(Status.ERR_BAD_PARAM);
        expect(x.sm4_ctr!(h, io + 256, io + 1024, io + 1024 + d, 64, 32)).toBe(Status.ERR_BAD_PARAM);
        expect(x.sm4_gcm_seal!(h, io + 256, 12, io, 0, io + 1024, io + 1024 + d, 64, io + 512)).toBe(Status.ERR_BAD_PARAM);
        expect(x.sm4_ecb_encrypt_pkcs7!(h, io + 1024, io + 1024 + d, 60)).toBe(Status.ERR_BAD_PARAM);
      }
      // IV / counter / tag / length cells inside the output
      expect(x.sm4_cbc_encrypt!(h, out + 16, io, out, 64)).toBe(Status.ERR_BAD_PARAM);
      expect(x.sm4_ctr!(h, out + 8, io, out, 64, 32)).toBe(Status.ERR_BAD_PARAM);
      expect(x.sm4_gcm_seal!(h, io + 256, 12, io, 0, io, out, 64, out + 48)).toBe(Status.ERR_BAD_PARAM);
      expect(x.sm4_ecb_decrypt_pkcs7!(h, io, out, 64, out + 60)).toBe(Status.ERR_BAD_PARAM);
      // in place is allowed
      expect(x.sm4_ecb_encrypt!(h, io + 1024, io + 1024, 64)).toBe(Status.OK);
      expect(x.sm4_ctr!(h, io + 256, io + 1024, io + 1024, 65, 32)).toBe(Status.OK);
    });

    it("the GCM stream refuses calls out of order and misaligned pieces", () => {
      const iv = io + 256,
        tag = io + 512,
        d = io + 1024;
      expect(x.sm4_gcm_finish!(h, tag)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.sm4_gcm_decrypt!(h, d, d, 16)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.sm4_gcm_verify!(h, tag, 16)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.sm4_gcm_start!(h, iv, 0)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.sm4_gcm_start!(h, iv, 12)).toBe(Status.OK);
      expect(x.sm4_gcm_aad!(h, d, 5)).toBe(Status.OK);
      expect(x.sm4_gcm_aad!(h, d, 16)).toBe(Status.ERR_BAD_LENGTH); // after a partial piece
      expect(x.sm4_gcm_encrypt!(h, d, d, 20)).toBe(Status.OK);
      expect(x.sm4_gcm_encrypt!(h, d, d, 16)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.sm4_gcm_aad!(h, d, 16)).toBe(Status.ERR_NOT_INITIALISED); // AAD after text
      expect(x.sm4_gcm_absorb!(h, d, 16)).toBe(Status.ERR_NOT_INITIALISED); // sealing, not opening
      expect(x.sm4_gcm_finish!(h, tag)).toBe(Status.OK);
      expect(x.sm4_gcm_finish!(h, tag)).toBe(Status.ERR_NOT_INITIALISED);
      // open: decrypt only after a good verify, and only as much as was verified
      mem().set(randomBytes(32), d);
      expect(x.sm4_gcm_start!(h, iv, 12)).toBe(Status.OK);
      expect(x.sm4_gcm_encrypt!(h, d, d, 32)).toBe(Status.OK);
      expect(x.sm4_gcm_finish!(h, tag)).toBe(Status.OK);
      expect(x.sm4_gcm_start!(h, iv, 12)).toBe(Status.OK);
      expect(x.sm4_gcm_absorb!(h, d, 32)).toBe(Status.OK);
      expect(x.sm4_gcm_decrypt!(h, d, d, 32)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.sm4_gcm_verify!(h, tag, 16)).toBe(Status.OK);
      expect(x.sm4_gcm_decrypt!(h, d, io + 2048, 48)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.sm4_gcm_decrypt!(h, d, io + 2048, 32)).toBe(Status.OK);
      expect(x.sm4_gcm_decrypt!(h, d, io + 2048, 16)).toBe(Status.ERR_NOT_INITIALISED);
      // a bad tag ends the stream
      expect(x.sm4_gcm_start!(h, iv, 12)).toBe(Status.OK);
      expect(x.sm4_gcm_absorb!(h, d, 32)).toBe(Status.OK);
      mem()[tag]! ^= 1;
      expect(x.sm4_gcm_verify!(h, tag, 16)).toBe(Status.ERR_VERIFY_FAILED);
      expect(x.sm4_gcm_decrypt!(h, d, io + 2048, 32)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.sm4_gcm_verify!(h, tag, 16)).toBe(Status.ERR_NOT_INITIALISED);
    });

    it("CMAC: lengths, overlaps, bounds and a wrong MAC", () => {
      const x0 = io + 256,
        d = io + 1024,
        mac = io + 512;
      const zero = () => mem().fill(0, x0, x0 + 16);
      zero();
      expect(x.sm4_cmac_update!(h, x0, d, 15)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.sm4_cmac_update!(h, d + 8, d, 32)).toBe(Status.ERR_BAD_PARAM); // chaining cell inside the input
      expect(x.sm4_cmac_update!(h, size - 8, d, 16)).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(x.sm4_cmac_update!(h, x0, d, 0xffffffff)).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(x.sm4_cmac_final!(h, x0, d, 10, x0 + 8)).toBe(Status.ERR_BAD_PARAM); // MAC over the chaining cell
      expect(x.sm4_cmac_final!(h, x0, d, 10, size - 15)).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(x.sm4_cmac_final!(64, x0, d, 10, mac)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(x.sm4_cmac_final!(63, x0, d, 10, mac)).toBe(Status.ERR_SLOT_EMPTY);
      for (const t of [0, 7, 17]) expect(x.sm4_cmac_verify!(h, x0, d, 10, mac, t)).toBe(Status.ERR_BAD_LENGTH);
      zero();
      expect(x.sm4_cmac_final!(h, x0, d, 40, mac)).toBe(Status.OK);
      expect(
        mem()
          .subarray(x0, x0 + 16)
          .every((b) => b === 0),
      ).toBe(true); // chaining cell wiped
      expect(x.sm4_cmac_verify!(h, x0, d, 40, mac, 16)).toBe(Status.OK);
      mem()[mac + 15]! ^= 1;
      expect(x.sm4_cmac_verify!(h, x0, d, 40, mac, 16)).toBe(Status.ERR_VERIFY_FAILED);
      expect(x.sm4_cmac_verify!(h, x0, d, 40, mac, 15)).toBe(Status.OK);
    });

    it("the instance still works and memory did not grow", () => {
      expect(x.sm4_key_clear!(h)).toBe(Status.OK);
      expect(x.sm4_key_is_set!(h)).toBe(0);
      stillWorks();
    });
  });
});
