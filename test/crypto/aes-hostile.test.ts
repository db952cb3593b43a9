// Hostile input for the AES-128 exports (docs/abi.md "AES-128") on the debug, release and portable
// builds: bad and empty handles, out-of-bounds and wrapping pointers, huge lengths, bad lengths
// and parameters, partial overlaps, out-of-order GCM stream calls, bad PKCS#7 padding, and what
// the module's memory holds afterwards. Every case must end in its status, never a trap, and
// never partial output; the instance keeps working. The same checks as the SM4 raw-export cases
// (test/crypto/sm4-hostile.test.ts): the AES calls promise the same rules.
import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Status } from "../../bindings/status.js";
import { TidWasm } from "../../bindings/wasm.js";
import { contains } from "../support/assertions.js";
import { fromHex, toHex } from "../../reference/bytes.js";

// FIPS 197 Appendix C.1
const C1_KEY = fromHex("000102030405060708090a0b0c0d0e0f");
const C1_PT = fromHex("00112233445566778899aabbccddeeff");
const C1_CT = "69c4e0d86a7b0430d8cdb78070b4c55a";

describe.each(["debug", "release", "portable"] as const)("AES-128 hostile input on the %s build", (build) => {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const memBytes = wasm.memory.buffer.byteLength;

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
      mem().set(C1_KEY, io);
      h = 7;
      expect(x.aes_key_set!(h, io)).toBe(Status.OK);
      mem().fill(0, io, io + 16);
    });

    it("bad handles and empty handles", () => {
      for (const bad of [16, 17, 64, 0xffffffff, 0x80000000]) {
        expect(x.aes_key_set!(bad, io)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.aes_key_clear!(bad)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.aes_key_is_set!(bad)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.aes_ecb_encrypt!(bad, io, io, 16)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.aes_cbc_decrypt_pkcs7!(bad, io, io, io + 64, 16, io + 32)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.aes_ctr!(bad, io, io, io, 16, 128)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.aes_gcm_seal!(bad, io, 12, io, 0, io, io + 64, 16, io + 32)).toBe(Status.ERR_BAD_KEY_INDEX);
        for (const call of [
          () => x.aes_gcm_start!(bad, io, 12),
          () => x.aes_gcm_aad!(bad, io, 1),
          () => x.aes_gcm_encrypt!(bad, io, io, 1),
          () => x.aes_gcm_finish!(bad, io),
          () => x.aes_gcm_absorb!(bad, io, 1),
          () => x.aes_gcm_verify!(bad, io, 16),
          () => x.aes_gcm_decrypt!(bad, io, io, 1),
        ])
          expect(call()).toBe(Status.ERR_BAD_KEY_INDEX);
      }
      expect(x.aes_key_is_set!(15)).toBe(0);
      expect(x.aes_ecb_encrypt!(15, io, io, 16)).toBe(Status.ERR_SLOT_EMPTY);
      expect(x.aes_ecb_decrypt!(15, io, io, 16)).toBe(Status.ERR_SLOT_EMPTY);
      expect(x.aes_cbc_encrypt!(15, io, io + 64, io + 64, 16)).toBe(Status.ERR_SLOT_EMPTY);
      expect(x.aes_ecb_encrypt_pkcs7!(15, io, io + 64, 3)).toBe(Status.ERR_SLOT_EMPTY);
      expect(x.aes_gcm_open!(15, io, 12, io, 0, io, io, 0, io, 16)).toBe(Status.ERR_SLOT_EMPTY);
      expect(x.aes_gcm_start!(15, io, 12)).toBe(Status.ERR_SLOT_EMPTY);
      expect(x.aes_key_set!(0, 0xfffffff8)).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(x.aes_key_is_set!(0)).toBe(0);
    });
    it("out-of-bounds pointers and huge lengths → ERR_OUT_OF_BOUNDS, nothing written", () => {
      const out = io + 4096;
      for (const p of BAD_PTRS) {
        expect(noOutput(out, 64, () => x.aes_ecb_encrypt!(h, p, out, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.aes_ecb_decrypt!(h, io, p, 16)).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_cbc_encrypt!(h, p, io, out, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_ctr!(h, p, io, out, 16, 128))).toBe(Status.ERR_OUT_OF_BOUNDS);
        if (p > size - 4) expect(noOutput(out, 64, () => x.aes_ecb_decrypt_pkcs7!(h, io, out, 16, p))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_gcm_seal!(h, p, 12, io, 0, io, out, 16, io + 64))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_gcm_seal!(h, io, 12, io, 0, io, out, 16, p))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_gcm_open!(h, io, 12, p, 12, io, out, 16, io + 64, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.aes_gcm_start!(h, p, 12)).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.aes_gcm_finish!(h, p)).toBe(Status.ERR_OUT_OF_BOUNDS);
      }
      for (const n of HUGE) {
        expect(noOutput(out, 64, () => x.aes_ecb_encrypt!(h, io, out, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_ecb_encrypt_pkcs7!(h, io, out, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_cbc_encrypt_pkcs7!(h, io, io, out, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_cbc_decrypt_pkcs7!(h, io, io, out, n, io + 32))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_ctr!(h, io, io + 16, out, n, 32))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_gcm_seal!(h, io, n, io, 0, io, out, 16, io + 64))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_gcm_seal!(h, io, 12, io, n, io, out, 16, io + 64))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_gcm_open!(h, io, 12, io, 0, io, out, n, io + 64, 16))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(noOutput(out, 64, () => x.aes_gcm_open!(h, io, 12, io, 0, io, out, 16, io + 64, n))).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.aes_gcm_aad!(h, io, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.aes_gcm_absorb!(h, io, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.aes_gcm_encrypt!(h, io, out, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
        expect(x.aes_gcm_decrypt!(h, io, out, n)).toBe(Status.ERR_OUT_OF_BOUNDS);
      }
      // a range ending exactly at the end of memory is fine
      expect(x.aes_ecb_encrypt!(h, size - 16, size - 16, 16)).toBe(Status.OK);
    });

    it("lengths, parameters and overlaps", () => {
      const out = io + 4096;
      expect(noOutput(out, 32, () => x.aes_ecb_encrypt!(h, io, out, 15))).toBe(Status.ERR_BAD_LENGTH);
      expect(noOutput(out, 32, () => x.aes_cbc_decrypt!(h, io + 256, io, out, 17))).toBe(Status.ERR_BAD_LENGTH);
      expect(noOutput(out, 32, () => x.aes_ecb_decrypt_pkcs7!(h, io, out, 0, io + 512))).toBe(Status.ERR_BAD_LENGTH);
      expect(noOutput(out, 32, () => x.aes_cbc_decrypt_pkcs7!(h, io + 256, io, out, 24, io + 512))).toBe(Status.ERR_BAD_LENGTH);
      for (const bits of [0, 1, 64, 127, 129, 0xffffffff])
        expect(noOutput(out, 32, () => x.aes_ctr!(h, io + 256, io, out, 16, bits))).toBe(Status.ERR_BAD_PARAM);
      expect(noOutput(out, 32, () => x.aes_gcm_seal!(h, io + 256, 0, io, 0, io, out, 16, io + 512))).toBe(Status.ERR_BAD_LENGTH);
      for (const t of [0, 11, 17, 0xffff])
        expect(noOutput(out, 32, () => x.aes_gcm_open!(h, io + 256, 12, io, 0, io, out, 16, io + 512, t))).toBe(Status.ERR_BAD_LENGTH);
      // partial overlaps of in and out
      for (const d of [1, 8, 15, 16, -16, -1]) {
        expect(x.aes_ecb_encrypt!(h, io + 1024, io + 1024 + d, 64)).toBe(Status.ERR_BAD_PARAM);
        expect(x.aes_cbc_decrypt!(h, io + 256, io + 1024, io + 1024 + d, 64)).toBe(Status.ERR_BAD_PARAM);
        expect(x.aes_ctr!(h, io + 256, io + 1024, io + 1024 + d, 64, 32)).toBe(Status.ERR_BAD_PARAM);
        expect(x.aes_gcm_seal!(h, io + 256, 12, io, 0, io + 1024, io + 1024 + d, 64, io + 512)).toBe(Status.ERR_BAD_PARAM);
        expect(x.aes_ecb_encrypt_pkcs7!(h, io + 1024, io + 1024 + d, 60)).toBe(Status.ERR_BAD_PARAM);
      }
      // IV / counter / tag / length cells inside the output
      expect(x.aes_cbc_encrypt!(h, out + 16, io, out, 64)).toBe(Status.ERR_BAD_PARAM);
      expect(x.aes_ctr!(h, out + 8, io, out, 64, 32)).toBe(Status.ERR_BAD_PARAM);
      expect(x.aes_gcm_seal!(h, io + 256, 12, io, 0, io, out, 64, out + 48)).toBe(Status.ERR_BAD_PARAM);
      expect(x.aes_ecb_decrypt_pkcs7!(h, io, out, 64, out + 60)).toBe(Status.ERR_BAD_PARAM);
      // in place is allowed
      expect(x.aes_ecb_encrypt!(h, io + 1024, io + 1024, 64)).toBe(Status.OK);
      expect(x.aes_ctr!(h, io + 256, io + 1024, io + 1024, 65, 32)).toBe(Status.OK);
    });

    it("the GCM stream refuses calls out of order and misaligned pieces", () => {
      const iv = io + 256,
        tag = io + 512,
        d = io + 1024;
      expect(x.aes_gcm_finish!(h, tag)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.aes_gcm_decrypt!(h, d, d, 16)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.aes_gcm_verify!(h, tag, 16)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.aes_gcm_start!(h, iv, 0)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.aes_gcm_start!(h, iv, 12)).toBe(Status.OK);
      expect(x.aes_gcm_aad!(h, d, 5)).toBe(Status.OK);
      expect(x.aes_gcm_aad!(h, d, 16)).toBe(Status.ERR_BAD_LENGTH); // after a partial piece
      expect(x.aes_gcm_encrypt!(h, d, d, 20)).toBe(Status.OK);
      expect(x.aes_gcm_encrypt!(h, d, d, 16)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.aes_gcm_aad!(h, d, 16)).toBe(Status.ERR_NOT_INITIALISED); // AAD after text
      expect(x.aes_gcm_absorb!(h, d, 16)).toBe(Status.ERR_NOT_INITIALISED); // sealing, not opening
      expect(x.aes_gcm_finish!(h, tag)).toBe(Status.OK);
      expect(x.aes_gcm_finish!(h, tag)).toBe(Status.ERR_NOT_INITIALISED);
      // open: decrypt only after a good verify, and only as much as was verified
      mem().set(randomBytes(32), d);
      expect(x.aes_gcm_start!(h, iv, 12)).toBe(Status.OK);
      expect(x.aes_gcm_encrypt!(h, d, d, 32)).toBe(Status.OK);
      expect(x.aes_gcm_finish!(h, tag)).toBe(Status.OK);
      expect(x.aes_gcm_start!(h, iv, 12)).toBe(Status.OK);
      expect(x.aes_gcm_absorb!(h, d, 32)).toBe(Status.OK);
      expect(x.aes_gcm_decrypt!(h, d, d, 32)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.aes_gcm_verify!(h, tag, 16)).toBe(Status.OK);
      expect(x.aes_gcm_decrypt!(h, d, io + 2048, 48)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.aes_gcm_decrypt!(h, d, io + 2048, 32)).toBe(Status.OK);
      expect(x.aes_gcm_decrypt!(h, d, io + 2048, 16)).toBe(Status.ERR_NOT_INITIALISED);
      // a bad tag ends the stream
      expect(x.aes_gcm_start!(h, iv, 12)).toBe(Status.OK);
      expect(x.aes_gcm_absorb!(h, d, 32)).toBe(Status.OK);
      mem()[tag]! ^= 1;
      expect(x.aes_gcm_verify!(h, tag, 16)).toBe(Status.ERR_VERIFY_FAILED);
      expect(x.aes_gcm_decrypt!(h, d, io + 2048, 32)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.aes_gcm_verify!(h, tag, 16)).toBe(Status.ERR_NOT_INITIALISED);
    });

    it("bad PKCS#7 padding → ERR_BAD_PADDING, nothing written, the IV cell unchanged (ECB and CBC)", () => {
      const key = randomBytes(16);
      mem().set(key, io);
      expect(x.aes_key_set!(3, io)).toBe(Status.OK);
      const iv = io + 256,
        d = io + 1024,
        out = io + 16384,
        lenCell = io + 512;
      const raw = (mode: "ecb" | "cbc", block: Uint8Array, ivBytes: Uint8Array) => {
        const c = createCipheriv(`aes-128-${mode}`, key, mode === "ecb" ? null : ivBytes);
        c.setAutoPadding(false);
        return Buffer.concat([c.update(block), c.final()]);
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
          expect(noOutput(out, prefix + 16, () => x.aes_ecb_decrypt_pkcs7!(3, d, out, prefix + 16, lenCell))).toBe(Status.ERR_BAD_PADDING);
          mem().set(raw("cbc", pt, ivBytes), d);
          mem().set(ivBytes, iv);
          expect(noOutput(out, prefix + 16, () => x.aes_cbc_decrypt_pkcs7!(3, iv, d, out, prefix + 16, lenCell))).toBe(
            Status.ERR_BAD_PADDING,
          );
          expect(toHex(mem().slice(iv, iv + 16))).toBe(toHex(ivBytes));
        }
      }
      expect(x.aes_key_clear!(3)).toBe(Status.OK);
    });

    it("keys and data are wiped: the key and its round keys leave the module's memory after every call", () => {
      const w = TidWasm.create({ build });
      const wx = w.exports,
        wio = w.ioPtr;
      const key = new Uint8Array(randomBytes(16));
      const pt = new Uint8Array(randomBytes(80));
      w.bytes().set(key, wio);
      expect(wx.aes_key_set!(2, wio)).toBe(Status.OK);
      w.bytes().fill(0, wio, wio + 16);
      expect(contains(w.bytes(), key)).toBe(true); // the handle keeps it
      w.bytes().set(pt, wio + 1024);
      w.bytes().set(randomBytes(12), wio + 64);
      expect(wx.aes_gcm_seal!(2, wio + 64, 12, wio, 0, wio + 1024, wio + 1024, 80, wio + 128)).toBe(Status.OK);
      expect(wx.aes_cbc_encrypt_pkcs7!(2, wio + 64, wio + 1024, wio + 2048, 70)).toBe(Status.OK);
      expect(wx.aes_key_set!(2, wio + 2048)).toBe(Status.OK); // a new key: the first one is gone
      expect(contains(w.bytes(), key)).toBe(false);
      expect(contains(w.bytes(), pt.subarray(0, 16))).toBe(false); // encrypted in place: not left in scratch
      expect(wx.aes_key_clear!(2)).toBe(Status.OK);
      expect(wx.aes_key_is_set!(2)).toBe(0);
      const newKey = w.bytes().slice(wio + 2048, wio + 2064);
      w.bytes().fill(0, wio, wio + 4096);
      expect(contains(w.bytes(), newKey)).toBe(false);
    });

    it("in-bounds outputs over the module's own memory (its handles, its expanded key) do not trap", () => {
      const calls: [string, (wx: typeof x) => number][] = [
        ["ctr over everything", (wx) => wx.aes_ctr!(0, size - 16, 0, 0, size - 16, 128)],
        ["ecb over everything", (wx) => wx.aes_ecb_encrypt!(0, 0, 0, size - 16)],
        ["ecb decrypt over everything", (wx) => wx.aes_ecb_decrypt!(0, 0, 0, size - 16)],
        ["cbc over everything", (wx) => wx.aes_cbc_decrypt!(0, size - 16, 0, 0, size - 16)],
        ["pkcs7 over everything", (wx) => wx.aes_cbc_decrypt_pkcs7!(0, size - 16, 0, 0, size - 32, size - 20)],
        ["gcm seal over everything", (wx) => wx.aes_gcm_seal!(0, size - 32, 12, 0, 100, 0, 0, size - 64, size - 48)],
        ["gcm open over everything", (wx) => wx.aes_gcm_open!(0, size - 32, 12, 0, 100, 0, 0, size - 64, size - 48, 16)],
        [
          "gcm stream over everything",
          (wx) => {
            wx.aes_gcm_start!(0, size - 32, 12);
            wx.aes_gcm_encrypt!(0, 0, 0, size - 64);
            return wx.aes_gcm_finish!(0, size - 48);
          },
        ],
      ];
      for (const [what, call] of calls) {
        const w = TidWasm.create({ build });
        w.bytes().set(C1_KEY, w.ioPtr);
        expect(w.exports.aes_key_set!(0, w.ioPtr)).toBe(Status.OK);
        let st: number | undefined;
        expect(() => {
          st = call(w.exports);
        }, what).not.toThrow();
        expect(typeof st, what).toBe("number");
      }
    });

    it("the instance still works and memory did not grow", () => {
      mem().set(C1_KEY, io);
      expect(x.aes_key_set!(0, io)).toBe(Status.OK);
      mem().set(C1_PT, io + 16);
      expect(x.aes_ecb_encrypt!(0, io + 16, io + 32, 16)).toBe(Status.OK);
      expect(toHex(mem().slice(io + 32, io + 48))).toBe(C1_CT);
      expect(wasm.memory.buffer.byteLength).toBe(memBytes);
    });
  });
});
