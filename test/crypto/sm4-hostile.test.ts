// Hostile input for SM4, on both builds: wrong types and lengths, bad options, bad padding, bad
// GCM tags/AAD/IVs, overlapping buffers, exhausted handles; and the raw exports under the
// block-cipher cases AES-128 runs too (test/support/block-cipher-raw-hostile.ts: out-of-bounds
// pointers, huge lengths, bad handles, out-of-order stream calls, bad padding, key wiping), then
// SM4's own CMAC calls. Every case
// must end in a clear error (TypeError/RangeError naming the argument, TidError, or an i32
// status), never a trap, and never partial output. The instance must keep working afterwards.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Sm4Key } from "../../bindings/sm4.js";
import { TidWasm } from "../../bindings/wasm.js";
import { TidError } from "../../bindings/errors.js";
import { Status } from "../../bindings/status.js";
import { contains, expectStatus } from "../support/assertions.js";
import { rawBlockCipherHostile } from "../support/block-cipher-raw-hostile.js";
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
    // the block-cipher cases SM4 shares with AES-128 (one implementation of these calls), then CMAC
    rawBlockCipherHostile(wasm, {
      prefix: "sm4",
      nodeName: (mode) => `sm4-${mode}`,
      vector: { key: GB_KEY, pt: GB_KEY, ct: GB_CT },
      fresh: () => TidWasm.create({ build }),
      scheduleHoldsKey: false,
    });
    const io = wasm.ioPtr;
    const mem = () => wasm.bytes();
    const size = memBytes;
    const h = 7;

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
