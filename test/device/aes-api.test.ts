// The typed AES-128 binding (bindings/aes.ts, modes in bindings/block-cipher.ts) on every build:
// the FIPS 197 and NIST SP 800-38A / 800-38D known answers, and ECB, CBC (no padding and PKCS#7
// of RFC 5652 §6.3), CTR (128- and 32-bit counters) and GCM differentially against node:crypto
// (OpenSSL aes-128-*) over random sizes, inputs larger than the I/O region included; the pool of
// the module's 16 AES key handles (exhaustion, destroy, garbage collection, independent of SM4's);
// bad arguments; tampered GCM tags (ERR_VERIFY_FAILED, nothing written); and no key, plaintext
// or tag left in module memory.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AesKey } from "../../bindings/aes.js";
import { Sm4Key } from "../../bindings/sm4.js";
import { TidError } from "../../bindings/errors.js";
import { Status } from "../../bindings/status.js";
import { TidWasm } from "../../bindings/wasm.js";
import { contains, expectStatus } from "../support/assertions.js";
import { droppedKeysComeBack } from "../support/gc.js";
import { expectGcmTamperingFails } from "../support/gcm-tampering.js";
import { fromHex, toHex } from "../../reference/bytes.js";

// FIPS 197 Appendix C.1 (AES-128)
const FIPS_KEY = fromHex("000102030405060708090a0b0c0d0e0f");
const FIPS_PT = fromHex("00112233445566778899aabbccddeeff");
const FIPS_CT = "69c4e0d86a7b0430d8cdb78070b4c55a";

function nodeCipher(
  mode: "ecb" | "cbc" | "ctr",
  key: Uint8Array,
  iv: Uint8Array | null,
  data: Uint8Array,
  encrypt: boolean,
  padding: boolean,
): string {
  const c = encrypt ? createCipheriv(`aes-128-${mode}`, key, iv) : createDecipheriv(`aes-128-${mode}`, key, iv);
  c.setAutoPadding(padding);
  return Buffer.concat([c.update(data), c.final()]).toString("hex");
}

function nodeGcmSeal(key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad: Uint8Array | undefined): string {
  const c = createCipheriv("aes-128-gcm", key, iv);
  if (aad !== undefined) c.setAAD(aad);
  return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]).toString("hex");
}

/** CTR with a 32-bit counter written out on node's aes-128-ecb: the last 4 bytes count, wrapping. */
function ctr32Reference(key: Uint8Array, iv: Uint8Array, data: Uint8Array): string {
  const blocks = Math.ceil(data.length / 16);
  const counters = Buffer.alloc(blocks * 16);
  const base = Buffer.from(iv).readUInt32BE(12);
  for (let i = 0; i < blocks; i++) {
    counters.set(iv.subarray(0, 12), i * 16);
    counters.writeUInt32BE((base + i) >>> 0, i * 16 + 12);
  }
  const ks = Buffer.from(nodeCipher("ecb", key, null, counters, true, false), "hex");
  return Buffer.from(data.map((b, i) => b ^ ks[i]!)).toString("hex");
}

describe.each(["debug", "release", "portable"] as const)("AesKey on the %s build", (build) => {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const memBytes = wasm.memory.buffer.byteLength;

  function stillWorks(): void {
    const k = new AesKey(wasm, FIPS_KEY);
    expect(toHex(k.encryptEcb(FIPS_PT, { padding: "none" }))).toBe(FIPS_CT);
    k.destroy();
    expect(wasm.memory.buffer.byteLength).toBe(memBytes);
  }

  describe("known answers", () => {
    it("FIPS 197 C.1, both directions", () => {
      const k = new AesKey(wasm, FIPS_KEY);
      expect(toHex(k.encryptEcb(FIPS_PT, { padding: "none" }))).toBe(FIPS_CT);
      expect(toHex(k.decryptEcb(fromHex(FIPS_CT), { padding: "none" }))).toBe(toHex(FIPS_PT));
      k.destroy();
    });

    it("NIST SP 800-38A F.2.1 CBC and F.5.1 CTR (first two blocks)", () => {
      const k = new AesKey(wasm, fromHex("2b7e151628aed2a6abf7158809cf4f3c"));
      const pt = fromHex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
      const cbc = k.encryptCbc(fromHex("000102030405060708090a0b0c0d0e0f"), pt, { padding: "none" });
      expect(toHex(cbc)).toBe("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");
      const ctr = k.ctr(fromHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), pt);
      expect(toHex(ctr)).toBe("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff");
      k.destroy();
    });

    it("GCM test case 2 of the GCM specification (zero key, zero IV, one zero block)", () => {
      const k = new AesKey(wasm, new Uint8Array(16));
      const sealed = k.sealGcm(new Uint8Array(12), new Uint8Array(16));
      expect(toHex(sealed)).toBe("0388dace60b6a392f328c2b971b2fe78" + "ab6e47d42cec13bdf53a67b21257bddf");
      expect(toHex(k.openGcm(new Uint8Array(12), sealed))).toBe("00".repeat(16));
      k.destroy();
    });
  });

  describe("against node:crypto", () => {
    it("ECB and CBC, no padding and PKCS#7, random keys and sizes, both directions", () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
          fc.nat(2000),
          (key, iv, n) => {
            const k = new AesKey(wasm, key);
            try {
              const pt = randomBytes(n),
                whole = pt.subarray(0, n & ~15);
              for (const mode of ["ecb", "cbc"] as const) {
                const civ = mode === "ecb" ? null : iv;
                const enc = (d: Uint8Array, p: "none" | "pkcs7") =>
                  mode === "ecb" ? k.encryptEcb(d, { padding: p }) : k.encryptCbc(iv, d, { padding: p });
                const dec = (d: Uint8Array, p: "none" | "pkcs7") =>
                  mode === "ecb" ? k.decryptEcb(d, { padding: p }) : k.decryptCbc(iv, d, { padding: p });
                const c1 = enc(whole, "none");
                if (toHex(c1) !== nodeCipher(mode, key, civ, whole, true, false)) return false;
                if (toHex(dec(c1, "none")) !== toHex(whole)) return false;
                const c2 = enc(pt, "pkcs7");
                if (toHex(c2) !== nodeCipher(mode, key, civ, pt, true, true)) return false;
                if (toHex(dec(c2, "pkcs7")) !== toHex(pt)) return false;
              }
              return true;
            } finally {
              k.destroy();
            }
          },
        ),
        { numRuns: 40 },
      );
    });

    it("CTR with the 128-bit counter agrees with aes-128-ctr, the 32-bit one wraps in the low word only", () => {
      const key = randomBytes(16),
        k = new AesKey(wasm, key);
      for (const n of [0, 1, 15, 16, 17, 100, 4097]) {
        const pt = randomBytes(n),
          iv = randomBytes(16);
        expect(toHex(k.ctr(iv, pt)), `length ${n}`).toBe(nodeCipher("ctr", key, iv, pt, true, false));
        expect(toHex(k.ctr(iv, pt, { counterBits: 32 })), `length ${n}`).toBe(ctr32Reference(key, iv, pt));
      }
      const near = Buffer.concat([randomBytes(12), Buffer.from("fffffffe", "hex")]);
      const pt = randomBytes(80);
      expect(toHex(k.ctr(near, pt, { counterBits: 32 }))).toBe(ctr32Reference(key, near, pt));
      expect(toHex(k.ctr(near, pt, { counterBits: 128 }))).toBe(nodeCipher("ctr", key, near, pt, true, false));
      expect(toHex(k.ctr(near, pt, { counterBits: 32 }))).not.toBe(toHex(k.ctr(near, pt, { counterBits: 128 })));
      k.destroy();
    });

    it("GCM seal agrees with aes-128-gcm for random sizes, IV lengths and AAD; open returns the plaintext", () => {
      fc.assert(
        fc.property(fc.nat(3000), fc.integer({ min: 1, max: 80 }), fc.option(fc.nat(1200)), (n, ivLen, aadLen) => {
          const key = randomBytes(16),
            iv = randomBytes(ivLen),
            pt = randomBytes(n);
          const aad = aadLen === null ? undefined : randomBytes(aadLen);
          const k = new AesKey(wasm, key);
          try {
            const sealed = k.sealGcm(iv, pt, aad);
            return toHex(sealed) === nodeGcmSeal(key, iv, pt, aad) && toHex(k.openGcm(iv, sealed, aad)) === toHex(pt);
          } finally {
            k.destroy();
          }
        }),
        { numRuns: 60 },
      );
    });

    it("a tag truncated to 12..16 bytes opens, as node:crypto's decipher accepts it", () => {
      const key = randomBytes(16),
        k = new AesKey(wasm, key),
        iv = randomBytes(12),
        pt = randomBytes(50);
      const sealed = k.sealGcm(iv, pt);
      for (let t = 12; t <= 16; t++) {
        const s = sealed.subarray(0, pt.length + t);
        expect(toHex(k.openGcm(iv, s, undefined, { tagLength: t }))).toBe(toHex(pt));
        const d = createDecipheriv("aes-128-gcm", key, iv, { authTagLength: t });
        d.setAuthTag(s.subarray(pt.length));
        expect(Buffer.concat([d.update(s.subarray(0, pt.length)), d.final()]).toString("hex")).toBe(toHex(pt));
      }
      k.destroy();
    });

    it("inputs larger than the I/O region go through in pieces (all modes, both directions)", () => {
      const key = randomBytes(16),
        iv = randomBytes(16),
        k = new AesKey(wasm, key);
      for (const len of [65536, 65536 + 16, 65536 * 2 + 5, 200_003]) {
        const pt = randomBytes(len),
          whole = pt.subarray(0, len & ~15);
        for (const mode of ["ecb", "cbc"] as const) {
          const civ = mode === "ecb" ? null : iv;
          const c1 = mode === "ecb" ? k.encryptEcb(whole, { padding: "none" }) : k.encryptCbc(iv, whole, { padding: "none" });
          expect(toHex(c1)).toBe(nodeCipher(mode, key, civ, whole, true, false));
          const c2 = mode === "ecb" ? k.encryptEcb(pt) : k.encryptCbc(iv, pt);
          expect(toHex(c2)).toBe(nodeCipher(mode, key, civ, pt, true, true));
          expect(toHex(mode === "ecb" ? k.decryptEcb(c2) : k.decryptCbc(iv, c2))).toBe(toHex(pt));
          expect(toHex(mode === "ecb" ? k.decryptEcb(c1, { padding: "none" }) : k.decryptCbc(iv, c1, { padding: "none" }))).toBe(
            toHex(whole),
          );
        }
        expect(toHex(k.ctr(iv, pt))).toBe(nodeCipher("ctr", key, iv, pt, true, false));
        const nonce = iv.subarray(0, 12),
          aad = randomBytes(70_000);
        const sealed = k.sealGcm(nonce, pt, aad);
        expect(toHex(sealed)).toBe(nodeGcmSeal(key, nonce, pt, aad));
        expect(toHex(k.openGcm(nonce, sealed, aad))).toBe(toHex(pt));
      }
      // small message with a big AAD: the stream path, same answer as the one-shot one
      const small = randomBytes(100),
        big = randomBytes(2000);
      expect(toHex(k.sealGcm(iv.subarray(0, 12), small, big))).toBe(nodeGcmSeal(key, iv.subarray(0, 12), small, big));
      k.destroy();
    });

    it("out may be the input (in place) or a disjoint buffer; a partial overlap is refused", () => {
      const key = randomBytes(16),
        k = new AesKey(wasm, key);
      const buf = randomBytes(96);
      const before = toHex(buf);
      expect(() => k.encryptEcb(buf.subarray(0, 64), { padding: "none", out: buf.subarray(16, 80) })).toThrow(/partial overlap/);
      expect(toHex(buf)).toBe(before);
      const want = nodeCipher("ecb", key, null, buf.subarray(16, 80), true, false);
      expect(toHex(k.encryptEcb(buf.subarray(16, 80), { padding: "none", out: buf.subarray(16, 80) }))).toBe(want);
      expect(toHex(buf.subarray(16, 80))).toBe(want);
      k.destroy();
    });
  });

  describe("hostile input", () => {
    it("wrong types and lengths for the key and the instance", () => {
      for (const bad of ["0123456789abcdef", [1, 2, 3], null, undefined, 16, new ArrayBuffer(16), new Uint16Array(8), {}]) {
        expect(() => new AesKey(wasm, bad as never)).toThrow(TypeError);
        expect(() => new AesKey(wasm, bad as never)).toThrow(/^key must be a Uint8Array/);
      }
      for (const n of [0, 15, 17, 24, 32]) {
        expect(() => new AesKey(wasm, new Uint8Array(n))).toThrow(RangeError);
        expect(() => new AesKey(wasm, new Uint8Array(n))).toThrow(/key must be 16 bytes, got/);
      }
      for (const bad of [null, undefined, {}, "wasm", 1])
        expect(() => new AesKey(bad as never, FIPS_KEY)).toThrow(/^wasm must be a TidWasm/);
      stillWorks();
    });

    it("wrong data, IV and option arguments name the argument", () => {
      const k = new AesKey(wasm, randomBytes(16));
      const iv = randomBytes(16);
      expect(() => k.encryptEcb("abc" as never)).toThrow(/data must be a Uint8Array/);
      expect(() => k.encryptEcb(new Uint8Array(15), { padding: "none" })).toThrow(/data length must be a multiple of 16, got 15/);
      expect(() => k.decryptEcb(new Uint8Array(0))).toThrow(/data must be at least 16 bytes/);
      expect(() => k.decryptCbc(iv, new Uint8Array(31))).toThrow(/multiple of 16/);
      expect(() => k.encryptEcb(new Uint8Array(16), { padding: "PKCS7" as never })).toThrow(/options.padding/);
      expect(() => k.encryptEcb(new Uint8Array(16), 5 as never)).toThrow(/options must be an object/);
      expect(() => k.encryptCbc(new Uint8Array(15), new Uint8Array(16))).toThrow(/iv must be 16 bytes, got 15/);
      expect(() => k.decryptCbc("iv" as never, new Uint8Array(16))).toThrow(/iv must be a Uint8Array/);
      expect(() => k.ctr(new Uint8Array(12), new Uint8Array(16))).toThrow(/iv must be 16 bytes/);
      expect(() => k.ctr(iv, null as never)).toThrow(/data must be a Uint8Array/);
      expect(() => k.ctr(iv, new Uint8Array(16), { counterBits: 64 as never })).toThrow(/options.counterBits must be 32 or 128/);
      expect(() => k.sealGcm(new Uint8Array(0), new Uint8Array(16))).toThrow(/iv must be at least 1 bytes/);
      expect(() => k.sealGcm(new Uint8Array(65537), new Uint8Array(16))).toThrow(/iv must be at most/);
      expect(() => k.sealGcm(iv, new Uint8Array(16), "aad" as never)).toThrow(/aad must be a Uint8Array/);
      expect(() => k.sealGcm(iv, [] as never)).toThrow(/data must be a Uint8Array/);
      expect(() => k.openGcm(iv, new Uint8Array(15))).toThrow(/sealed must be at least 16 bytes/);
      expect(() => k.openGcm(iv, new Uint8Array(32), new Uint16Array(2) as never)).toThrow(/aad must be a Uint8Array/);
      for (const t of [11, 17, 12.5, "16"])
        expect(() => k.openGcm(iv, new Uint8Array(32), undefined, { tagLength: t as never })).toThrow(/options.tagLength/);
      expect(() => k.encryptEcb(new Uint8Array(32), { padding: "none", out: new Uint8Array(31) })).toThrow(
        /options.out must be at least 32 bytes/,
      );
      expect(() => k.encryptEcb(new Uint8Array(32), { padding: "none", out: [] as never })).toThrow(/options.out must be a Uint8Array/);
      k.destroy();
      stillWorks();
    });

    it("bad PKCS#7 padding → ERR_BAD_PADDING, nothing written (small and large inputs, ECB and CBC)", () => {
      const k = new AesKey(wasm, randomBytes(16));
      const iv = randomBytes(16);
      for (const size of [16, 64, 65536 + 32]) {
        for (const last of ["000102030405060708090a0b0c0d0e00", "000102030405060708090a0b0c0d0e11", "000102030405060708090a0b0c0d0302"]) {
          const plain = new Uint8Array(size);
          plain.set(fromHex(last), size - 16);
          for (const mode of ["ecb", "cbc"] as const) {
            const ct = mode === "ecb" ? k.encryptEcb(plain, { padding: "none" }) : k.encryptCbc(iv, plain, { padding: "none" });
            const out = new Uint8Array(size).fill(0xa5);
            expectStatus(() => (mode === "ecb" ? k.decryptEcb(ct, { out }) : k.decryptCbc(iv, ct, { out })), Status.ERR_BAD_PADDING);
            expect(out.every((b) => b === 0xa5)).toBe(true);
          }
        }
      }
      k.destroy();
      stillWorks();
    });

    it("tampered GCM tags, AAD, IV, key or ciphertext → TidError ERR_VERIFY_FAILED, nothing written", () => {
      const k = new AesKey(wasm, randomBytes(16)),
        other = new AesKey(wasm, randomBytes(16));
      expectGcmTamperingFails(k, other);
      // the error names the cipher
      const iv = randomBytes(12),
        sealed = k.sealGcm(iv, randomBytes(40));
      sealed[sealed.length - 1]! ^= 1;
      expect(() => k.openGcm(iv, sealed)).toThrow(/ERR_VERIFY_FAILED.*AES-GCM tag does not match/);
      k.destroy();
      other.destroy();
      stillWorks();
    });
  });

  describe("the pool of 16 AES key handles", () => {
    it("16 keys per instance, then TidError ERR_BAD_KEY_INDEX naming destroy(); a destroyed key's handle is zeroed and lent again", () => {
      expect(x.aes_key_slots!()).toBe(16);
      const keys: AesKey[] = [];
      for (let i = 0; i < 16; i++) keys.push(new AesKey(wasm, randomBytes(16)));
      expect(keys.map((k) => k.handle).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
      let error: unknown;
      try {
        new AesKey(wasm, FIPS_KEY);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TidError);
      expect((error as TidError).code).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(String(error)).toMatch(/all 16 AES key handles of this instance are in use; destroy\(\) keys/);
      // the SM4 key handles are another pool: still free
      const sm4 = new Sm4Key(wasm, FIPS_KEY);
      sm4.destroy();
      const gone = keys[5]!;
      const h = gone.handle;
      expect(x.aes_key_is_set!(h)).toBe(1);
      gone.destroy();
      gone.destroy(); // idempotent
      expect(gone.handle).toBe(-1);
      expect(x.aes_key_is_set!(h)).toBe(0);
      const again = new AesKey(wasm, FIPS_KEY);
      expect(again.handle).toBe(h);
      expect(toHex(again.encryptEcb(FIPS_PT, { padding: "none" }))).toBe(FIPS_CT);
      for (const k of [...keys, again]) k.destroy();
      stillWorks();
    });

    it("a destroyed key throws TidError ERR_SLOT_EMPTY in every mode", () => {
      const k = new AesKey(wasm, FIPS_KEY);
      k.destroy();
      const iv = new Uint8Array(16);
      for (const call of [
        () => k.encryptEcb(FIPS_PT),
        () => k.decryptEcb(FIPS_PT, { padding: "none" }),
        () => k.encryptCbc(iv, FIPS_PT),
        () => k.decryptCbc(iv, FIPS_PT),
        () => k.ctr(iv, FIPS_PT),
        () => k.sealGcm(iv, FIPS_PT),
        () => k.openGcm(iv, new Uint8Array(32)),
      ]) {
        expectStatus(call, Status.ERR_SLOT_EMPTY);
        expect(call).toThrow(/this AesKey was destroyed/);
      }
    });

    it("keys dropped without destroy() are zeroed and their handles come back after GC", async () => {
      expect(await droppedKeysComeBack(wasm, "aes", () => new AesKey(wasm, randomBytes(16)))).toBe(true);
    });
  });

  describe("secrets in module memory", () => {
    it("the key is held in its handle while the AesKey lives and zeroed by destroy()", () => {
      const key = new Uint8Array(randomBytes(16));
      const k = new AesKey(wasm, key);
      expect(contains(wasm.bytes(), key)).toBe(true); // AES handles keep the raw key (docs/abi.md)
      expect(contains(wasm.bytes().subarray(wasm.ioPtr, wasm.ioPtr + wasm.ioCap), key)).toBe(false); // not in the I/O region
      k.destroy();
      expect(contains(wasm.bytes(), key)).toBe(false);
    });

    it("no plaintext, IV, AAD or tag stays in module memory after a call, successful or failed", () => {
      const k = new AesKey(wasm, randomBytes(16));
      const iv = new Uint8Array(randomBytes(16)),
        nonce = new Uint8Array(randomBytes(12)),
        aad = new Uint8Array(randomBytes(40));
      for (const n of [16, 48, 1000, 70_000]) {
        const pt = new Uint8Array(randomBytes(n));
        const probe = pt.subarray(n - 16);
        const gone = (...xs: Uint8Array[]) => xs.every((v) => !contains(wasm.bytes(), v));
        expect(k.decryptEcb(k.encryptEcb(pt))).toEqual(pt);
        expect(gone(probe)).toBe(true);
        k.decryptCbc(iv, k.encryptCbc(iv, pt));
        expect(gone(probe, iv)).toBe(true);
        k.ctr(iv, pt);
        expect(gone(probe)).toBe(true);
        const sealed = k.sealGcm(nonce, pt, aad);
        expect(k.openGcm(nonce, sealed, aad)).toEqual(pt);
        expect(gone(probe, aad, sealed.subarray(sealed.length - 16))).toBe(true);
        const bad = sealed.slice();
        bad[bad.length - 1]! ^= 1;
        expect(() => k.openGcm(nonce, bad, aad)).toThrow(TidError);
        expect(gone(aad, bad.subarray(bad.length - 16))).toBe(true);
      }
      k.destroy();
      stillWorks();
    });
  });
});
