// The typed SHA-256 binding (bindings/sha256.ts): SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104,
// RFC 4231 vectors) and the X9.63 KDF (SEC 1 v2.0 §3.6.1) on every build, differentially against
// node:crypto (OpenSSL) over random sizes, inputs larger than the I/O region and random
// streaming splits; the KDF against an independent implementation on node:crypto's SHA-256;
// hostile arguments; and the stream handle pool that SHA-256 shares with SM3 (one table in the
// module, docs/abi.md § SHA-256 "Streaming handles").
import { createHash, createHmac, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TidError } from "../../bindings/errors.js";
import { sha256Api, SHA256_KDF_MAX_INFO, SHA256_KDF_MAX_Z } from "../../bindings/sha256.js";
import { sm3Api } from "../../bindings/sm3.js";
import { Status } from "../../bindings/status.js";
import { TidWasm } from "../../bindings/wasm.js";
import { contains } from "../support/assertions.js";
import {
  NOT_BYTES,
  everyShortLengthAgrees,
  finishedHashersThrow,
  hmacAgrees,
  hmacKeysLeaveNoTrace,
  oneShotAgrees,
  randomSplitsAgree,
  resultsAreFresh,
  unalignedViewsAreExact,
  wrongTypesAreNamed,
  type HashUnderTest,
} from "../support/hash-api.js";
import { referenceX963 } from "../support/x963-reference.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
const nodeSha = (d: Uint8Array): string => createHash("sha256").update(d).digest("hex");
const nodeHmac = (k: Uint8Array, d: Uint8Array): string => createHmac("sha256", k).update(d).digest("hex");
const nodeSm3 = (d: Uint8Array): string => createHash("sm3").update(d).digest("hex");

/** The KDF reference with the binding's argument order (SharedInfo last, optional). */
const referenceKdf = (z: Uint8Array, length: number, info: Uint8Array = new Uint8Array(0)): string => referenceX963(z, info, length);

const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // FIPS 180-2 B.1

describe.each(["debug", "release", "portable"] as const)("SHA-256 binding on the %s build", (build) => {
  const wasm = TidWasm.create({ build });
  const { sha256, createSha256, hmacSha256, createHmacSha256, x963KdfSha256 } = sha256Api(wasm);
  const { sm3, createSm3, createHmacSm3 } = sm3Api(wasm);
  const x = wasm.exports;
  const H: HashUnderTest = { node: "sha256", digest: sha256, create: createSha256, hmac: hmacSha256, createHmac: createHmacSha256 };

  describe("published vectors", () => {
    it("FIPS 180-2 Appendix B examples, one-shot and streamed byte by byte", () => {
      const vectors: [string, string][] = [
        ["abc", ABC],
        ["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"],
        ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
      ];
      for (const [msg, digest] of vectors) {
        const m = ascii(msg);
        expect(toHex(sha256(m)), msg).toBe(digest);
        const h = createSha256();
        for (let i = 0; i < m.length; i++) h.update(m.subarray(i, i + 1));
        expect(toHex(h.digest()), msg).toBe(digest);
      }
    });

    it("RFC 4231 HMAC-SHA-256 test cases 1, 2 and 6 (key longer than the block), one-shot and streamed", () => {
      const cases: [Uint8Array, Uint8Array, string][] = [
        [new Uint8Array(20).fill(0x0b), ascii("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
        [ascii("Jefe"), ascii("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
        [
          new Uint8Array(131).fill(0xaa),
          ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ],
      ];
      for (const [k, m, mac] of cases) {
        expect(toHex(hmacSha256(k, m))).toBe(mac);
        expect(toHex(createHmacSha256(k).update(m.subarray(0, 5)).update(m.subarray(5)).digest())).toBe(mac);
      }
    });
  });

  describe("against node:crypto", () => {
    it("SHA-256 one-shot over random data of 0..4096 bytes", () => oneShotAgrees(H));
    it("every length around the block and padding edges (0..200)", () => everyShortLengthAgrees(H));
    it("SHA-256 streaming with random split points", () => randomSplitsAgree(H));
    it("HMAC-SHA-256 with random keys of 0..200 bytes, one-shot and streamed", () => hmacAgrees(H));

    it("inputs larger than the I/O region (streamed in pieces), and long HMAC keys", () => {
      for (const n of [65536, 65537, 200_000 + 17]) {
        const big = randomBytes(n);
        expect(toHex(sha256(big)), `length ${n}`).toBe(nodeSha(big));
        expect(toHex(createSha256().update(big.subarray(0, 70_001)).update(big.subarray(70_001)).digest())).toBe(nodeSha(big));
      }
      const big = randomBytes(150_003);
      const key = randomBytes(100_000);
      expect(toHex(hmacSha256(key, big))).toBe(nodeHmac(key, big));
      expect(toHex(createHmacSha256(key).update(big).digest())).toBe(nodeHmac(key, big));
      expect(toHex(hmacSha256(key, big.subarray(0, 100)))).toBe(nodeHmac(key, big.subarray(0, 100)));
    });
  });

  describe("X9.63 KDF against an independent implementation on node:crypto's SHA-256", () => {
    it("random Z (0..300 bytes), SharedInfo (none or 0..100 bytes) and lengths 0..300", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.option(fc.uint8Array({ maxLength: 100 })), fc.nat(300), (z, info, n) => {
          const got = info === null ? x963KdfSha256(z, n) : x963KdfSha256(z, n, info);
          return toHex(got) === referenceKdf(z, n, info ?? undefined);
        }),
        { numRuns: 60 },
      );
    });

    it("long outputs produced in pieces, up to the 1 MiB maximum, with the longest Z and SharedInfo", () => {
      const z = randomBytes(SHA256_KDF_MAX_Z),
        info = randomBytes(SHA256_KDF_MAX_INFO);
      for (const n of [32768 - 1, 32768, 32768 + 33, 100_000]) {
        expect(toHex(x963KdfSha256(z, n, info)), `length ${n}`).toBe(referenceKdf(z, n, info));
        expect(toHex(x963KdfSha256(z.subarray(0, 20), n)), `length ${n}, no SharedInfo`).toBe(referenceKdf(z.subarray(0, 20), n));
      }
      const max = x.x963_kdf_sha256_max!();
      expect(max).toBe(1 << 20);
      const small = z.subarray(0, 32),
        si = info.subarray(0, 16);
      expect(toHex(x963KdfSha256(small, max, si))).toBe(referenceKdf(small, max, si));
    });

    it("inputs and outputs leave no trace in the I/O region", () => {
      const z = new Uint8Array(randomBytes(48)),
        info = new Uint8Array(randomBytes(40));
      for (const n of [32, 40_000]) {
        const k = x963KdfSha256(z, n, info);
        for (const needle of [z, info, k.subarray(0, 32), k.subarray(k.length - 32)]) expect(contains(wasm.bytes(), needle)).toBe(false);
      }
    });
  });

  describe("the stream handle table shared with SM3", () => {
    it("SM3 and SHA-256 (and both HMACs) streams interleave on the one table and each gets its own result", () => {
      const data = [randomBytes(5000), randomBytes(70_000), randomBytes(333), randomBytes(64)];
      const key = randomBytes(40);
      const hashers = [createSm3(), createSha256(), createHmacSm3(key), createHmacSha256(key), createSha256(), createSm3()];
      for (const d of data) for (const h of hashers) h.update(d);
      const all = Buffer.concat(data);
      const want = [
        nodeSm3(all),
        nodeSha(all),
        createHmac("sm3", key).update(all).digest("hex"),
        nodeHmac(key, all),
        nodeSha(all),
        nodeSm3(all),
      ];
      // one-shot calls of both families in between use the kept handle 0 and disturb nothing
      expect(toHex(sha256(all))).toBe(nodeSha(all));
      expect(toHex(sm3(all))).toBe(nodeSm3(all));
      expect(hashers.map((h) => toHex(h.digest()))).toEqual(want);
    });

    it("one pool: SM3 and SHA-256 hashers together exhaust it, with the typed error; destroy gives handles back", () => {
      const slots = x.sha256_slots!();
      expect(slots).toBe(x.sm3_slots!());
      const held = [];
      let error: unknown;
      try {
        for (let i = 0; i < slots; i++) held.push(i % 2 === 0 ? createSha256() : createSm3());
      } catch (e) {
        error = e;
      }
      expect(held.length).toBe(slots - 1); // handle 0 is kept for one-shot calls
      expect(error).toBeInstanceOf(TidError);
      expect((error as TidError).code).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(String(error)).toMatch(/all 63 SM3 stream handles of this instance are in use \(SM3 and SHA-256 hashers share them\)/);
      for (const make of [createSha256, createSm3, () => createHmacSha256(ascii("k")), () => createHmacSm3(ascii("k"))]) {
        expect(make).toThrow(TidError);
      }
      // one-shot calls of both families still work, also on inputs larger than one piece
      const big = randomBytes(70_000);
      expect(toHex(sha256(big))).toBe(nodeSha(big));
      expect(toHex(hmacSha256(ascii("k"), big))).toBe(nodeHmac(ascii("k"), big));
      expect(toHex(sm3(big))).toBe(nodeSm3(big));
      // an SM3 hasher's handle goes to a SHA-256 hasher and the other way round
      held.pop()!.destroy();
      const s = createSha256();
      expect(createSm3).toThrow(TidError);
      held.push(s);
      held.shift()!.destroy();
      held.push(createSm3());
      for (const h of held) h.destroy();
      expect(toHex(createSha256().update(ascii("abc")).digest())).toBe(ABC);
    });

    it("a finished SHA-256 hasher's handle is zeroed and empty in the module", () => {
      const h = createSha256().update(ascii("abc"));
      expect(toHex(h.digest())).toBe(ABC);
      // every lent handle is empty again: a final on any of them is ERR_NOT_INITIALISED
      for (let i = 1; i < x.sha256_slots!(); i++) expect(x.sha256_final!(i, wasm.ioPtr)).toBe(Status.ERR_NOT_INITIALISED);
    });
  });

  describe("hostile input at the typed API", () => {
    it("wrong types throw a TypeError naming the argument", () => {
      wrongTypesAreNamed(H);
      for (const bad of NOT_BYTES) {
        expect(() => x963KdfSha256(bad as Uint8Array, 16)).toThrow(/^z must be a Uint8Array/);
        if (bad !== undefined)
          expect(() => x963KdfSha256(new Uint8Array(4), 16, bad as Uint8Array)).toThrow(/^sharedInfo must be a Uint8Array/);
      }
      for (const bad of [{}, null, "wasm", 1]) expect(() => sha256Api(bad as TidWasm)).toThrow(TypeError);
    });

    it("a bad argument to createHmacSha256 takes no handle", () => {
      const before = (() => {
        const hs = [];
        try {
          for (;;) hs.push(createSha256());
        } catch {
          /* pool empty */
        }
        for (const h of hs) h.destroy();
        return hs.length;
      })();
      for (let i = 0; i < 100; i++) expect(() => createHmacSha256(null as never)).toThrow(TypeError);
      const hs = [];
      try {
        for (;;) hs.push(createSha256());
      } catch {
        /* pool empty */
      }
      expect(hs.length).toBe(before);
      for (const h of hs) h.destroy();
    });

    it("bad KDF lengths throw naming `length`; a too-long Z or SharedInfo names it", () => {
      for (const bad of [1.5, NaN, "32", null, 2n])
        expect(() => x963KdfSha256(new Uint8Array(4), bad as number)).toThrow(/^length must be an integer/);
      for (const bad of [-1, (1 << 20) + 1, 2 ** 32]) expect(() => x963KdfSha256(new Uint8Array(4), bad)).toThrow(RangeError);
      expect(() => x963KdfSha256(new Uint8Array(4), -1)).toThrow(/^length must be in 0\.\.1048576/);
      expect(() => x963KdfSha256(new Uint8Array(SHA256_KDF_MAX_Z + 1), 16)).toThrow(/^z must be at most 16384 bytes/);
      expect(() => x963KdfSha256(new Uint8Array(4), 16, new Uint8Array(SHA256_KDF_MAX_INFO + 1))).toThrow(
        /^sharedInfo must be at most 16380 bytes/,
      );
      expect(x963KdfSha256(new Uint8Array(4), 0)).toEqual(new Uint8Array(0));
    });

    it("unaligned subarrays and Buffers are read exactly", () =>
      unalignedViewsAreExact(H, (view) => {
        const z = view.subarray(1, 66),
          info = view.subarray(0, 2);
        expect(toHex(x963KdfSha256(z, 45, info))).toBe(referenceKdf(z, 45, info));
      }));

    it("results are fresh arrays that do not alias module memory", () => resultsAreFresh(H, wasm.memory));

    it("a hasher used after digest() or destroy() throws a clear error naming its kind; destroy is idempotent", () => {
      finishedHashersThrow(H);
      const h = createSha256(),
        m = createHmacSha256(ascii("k"));
      h.destroy();
      m.destroy();
      expect(() => h.update(ascii("x"))).toThrow(/update\(\) on a finished SHA-256 hasher/);
      expect(() => m.digest()).toThrow(/digest\(\) on a finished HMAC-SHA-256 hasher/);
    });

    it("HMAC keys leave no trace in module memory", () => hmacKeysLeaveNoTrace(H, wasm.memory));
  });
});

describe("SHA-256 binding vectors are the module's (sanity of the test's own helpers)", () => {
  it("the reference KDF is SHA-256(Z ‖ 00000001 ‖ SharedInfo) for one block", () => {
    const z = fromHex("00112233"),
      info = fromHex("aabb");
    expect(referenceKdf(z, 32, info)).toBe(nodeSha(fromHex("0011223300000001aabb")));
  });
});
