// SM3 (GB/T 32905-2016), HMAC-SM3 (RFC 2104) and the SM3 KDF (GB/T 32918.4-2016 §5.4.3) on both
// builds: published vectors (test/vectors/sm3.json, see SOURCES.md), differential property tests
// against node:crypto (OpenSSL), an independent KDF on node:crypto's SM3, and hostile input at
// the typed API and at the raw ABI.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { kdf as smv2Kdf } from "sm-crypto-v2";
import { describe, expect, it } from "vitest";
import { TidError } from "../../bindings/errors.js";
import { sm3Api, SM3_KDF_MAX_Z } from "../../bindings/sm3.js";
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
import { fromHex, toHex } from "../../reference/bytes.js";

interface Vectors {
  sm3: { source: string; messageAscii: string; digest: string }[];
  hmac: { source: string; key: string; message: string; mac: string }[];
  kdf: { source: string; x2: string; y2: string; messageAscii: string; c2: string; c3: string }[];
}
const V = JSON.parse(readFileSync(new URL("../vectors/sm3.json", import.meta.url), "utf8")) as Vectors;

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
const nodeSm3 = (d: Uint8Array): string => createHash("sm3").update(d).digest("hex");
const nodeHmac = (k: Uint8Array, d: Uint8Array): string => createHmac("sm3", k).update(d).digest("hex");

/** GB/T 32918.4 §5.4.3 written out independently: Hash(Z ‖ ct) for ct = 1, 2, … (32-bit BE). */
function referenceKdf(z: Uint8Array, length: number): string {
  const parts: Buffer[] = [];
  for (let ct = 1, have = 0; have < length; ct++, have += 32) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(ct);
    parts.push(createHash("sm3").update(z).update(c).digest());
  }
  return Buffer.concat(parts).subarray(0, length).toString("hex");
}

describe("SM3 ABI documentation", () => {
  it("docs/abi.md documents exactly the module's sm3_* / hmac_sm3* exports", () => {
    const doc = readFileSync(new URL("../../docs/abi.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("## SM3"), doc.indexOf("\n## ", doc.indexOf("## SM3") + 1));
    const documented = [...section.matchAll(/^\| `((?:sm3|hmac_sm3)\w*)` \|/gm)].map((m) => m[1]).sort();
    const exported = Object.keys(TidWasm.create().exports)
      .filter((n) => /^(sm3|hmac_sm3)/.test(n))
      .sort();
    expect(documented).toEqual(exported);
  });
});

describe.each(["debug", "release", "portable"] as const)("SM3 on the %s build", (build) => {
  const wasm = TidWasm.create({ build });
  const { sm3, createSm3, hmacSm3, createHmacSm3, sm3Kdf } = sm3Api(wasm);
  const x = wasm.exports;
  const H: HashUnderTest = { node: "sm3", digest: sm3, create: createSm3, hmac: hmacSm3, createHmac: createHmacSm3 };

  describe("published vectors", () => {
    it("GB/T 32905-2016 examples, one-shot and streamed byte by byte", () => {
      for (const v of V.sm3) {
        const m = ascii(v.messageAscii);
        expect(toHex(sm3(m)), v.source).toBe(v.digest);
        const h = createSm3();
        for (let i = 0; i < m.length; i++) h.update(m.subarray(i, i + 1));
        expect(toHex(h.digest()), v.source).toBe(v.digest);
      }
    });

    it("GM/T 0042-2015 HMAC-SM3, one-shot and streamed", () => {
      for (const v of V.hmac) {
        expect(toHex(hmacSm3(fromHex(v.key), fromHex(v.message))), v.source).toBe(v.mac);
        const m = fromHex(v.message);
        expect(toHex(createHmacSm3(fromHex(v.key)).update(m.subarray(0, 7)).update(m.subarray(7)).digest())).toBe(v.mac);
        expect(nodeHmac(fromHex(v.key), m)).toBe(v.mac);
      }
    });

    it("GB/T 32918.5 encryption example: C2 = M xor KDF(x2 || y2, 152 bits), C3 = SM3(x2 || M || y2)", () => {
      for (const v of V.kdf) {
        const x2 = fromHex(v.x2),
          y2 = fromHex(v.y2),
          m = ascii(v.messageAscii);
        const t = sm3Kdf(Buffer.concat([x2, y2]), m.length);
        expect(toHex(m.map((b, i) => b ^ t[i]!)), v.source).toBe(v.c2);
        expect(toHex(sm3(Buffer.concat([x2, m, y2])))).toBe(v.c3);
      }
    });
  });

  describe("against node:crypto", () => {
    it("SM3 one-shot over random data of 0..4096 bytes", () => oneShotAgrees(H));
    it("every length around the block and padding edges (0..200)", () => everyShortLengthAgrees(H));
    it("SM3 streaming with random split points", () => randomSplitsAgree(H));
    it("HMAC-SM3 with random keys of 0..200 bytes, one-shot and streamed", () => hmacAgrees(H));

    it("inputs larger than the I/O region (streamed in pieces), and long HMAC keys", () => {
      const big = randomBytes(200_000 + 17);
      expect(toHex(sm3(big))).toBe(nodeSm3(big));
      expect(toHex(createSm3().update(big.subarray(0, 70_001)).update(big.subarray(70_001)).digest())).toBe(nodeSm3(big));
      const key = randomBytes(100_000);
      expect(toHex(hmacSm3(key, big))).toBe(nodeHmac(key, big));
      expect(toHex(createHmacSm3(key).update(big).digest())).toBe(nodeHmac(key, big));
    });
  });

  describe("KDF against an independent implementation on node:crypto's SM3", () => {
    it("random Z (0..300 bytes) and lengths 0..300", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (z, n) => toHex(sm3Kdf(z, n)) === referenceKdf(z, n)),
        { numRuns: 60 },
      );
    });

    it("agrees with sm-crypto-v2's kdf (a third implementation)", () => {
      for (const [zl, n] of [
        [0, 1],
        [32, 16],
        [64, 32],
        [65, 100],
        [300, 257],
      ] as const) {
        const z = randomBytes(zl);
        expect(toHex(sm3Kdf(z, n)), `z ${zl} bytes, ${n} out`).toBe(toHex(smv2Kdf(z, n)));
      }
    });

    it("long outputs produced in pieces, up to the 1 MiB maximum, and the longest Z", () => {
      const z = randomBytes(SM3_KDF_MAX_Z);
      for (const n of [32768 - 1, 32768, 32768 + 33, 100_000]) expect(toHex(sm3Kdf(z, n)), `length ${n}`).toBe(referenceKdf(z, n));
      const max = x.sm3_kdf_max!();
      expect(max).toBe(1 << 20);
      const full = sm3Kdf(z.subarray(0, 64), max);
      expect(toHex(full)).toBe(referenceKdf(z.subarray(0, 64), max));
    });
  });

  describe("hostile input at the typed API", () => {
    it("wrong types throw a TypeError naming the argument", () => {
      wrongTypesAreNamed(H);
      for (const bad of NOT_BYTES) expect(() => sm3Kdf(bad as Uint8Array, 16)).toThrow(/^z must be a Uint8Array/);
      expect(() => sm3Api({} as TidWasm)).toThrow(TypeError);
    });

    it("bad KDF lengths throw naming `length`, a too-long Z names `z`", () => {
      for (const bad of [1.5, NaN, "32", null, 2n])
        expect(() => sm3Kdf(new Uint8Array(4), bad as number)).toThrow(/^length must be an integer/);
      for (const bad of [-1, (1 << 20) + 1, 2 ** 32]) expect(() => sm3Kdf(new Uint8Array(4), bad)).toThrow(RangeError);
      expect(() => sm3Kdf(new Uint8Array(4), -1)).toThrow(/^length must be in 0\.\.1048576/);
      expect(() => sm3Kdf(new Uint8Array(SM3_KDF_MAX_Z + 1), 16)).toThrow(/^z must be at most 32768 bytes/);
      expect(sm3Kdf(new Uint8Array(4), 0)).toEqual(new Uint8Array(0));
    });

    it("unaligned subarrays and Buffers are read exactly", () =>
      unalignedViewsAreExact(H, (view) => expect(toHex(sm3Kdf(view.subarray(1, 66), 45))).toBe(referenceKdf(view.subarray(1, 66), 45))));

    it("results are fresh arrays that do not alias module memory", () => resultsAreFresh(H, wasm.memory));

    it("a hasher used after digest() or destroy() throws a clear error; destroy is idempotent", () => finishedHashersThrow(H));

    it("running out of stream handles is a clear error, and handles come back", () => {
      const slots = x.sm3_slots!();
      const held = [];
      let error: unknown;
      try {
        for (let i = 0; i < slots; i++) held.push(createSm3());
      } catch (e) {
        error = e;
      }
      expect(held.length).toBe(slots - 1); // handle 0 is kept for one-shot calls
      expect(error).toBeInstanceOf(TidError);
      expect(String(error)).toMatch(/all 63 SM3 stream handles of this instance are in use/);
      expect(toHex(sm3(ascii("abc")))).toBe(V.sm3[0]!.digest); // one-shot calls still work
      expect(toHex(sm3(randomBytes(70_000)))).toHaveLength(64);
      for (const h of held) h.destroy();
      expect(toHex(createSm3().update(ascii("abc")).digest())).toBe(V.sm3[0]!.digest);
    });

    it("HMAC keys leave no trace in module memory", () => hmacKeysLeaveNoTrace(H, wasm.memory));
  });

  describe("hostile input at the raw ABI", () => {
    const io = wasm.ioPtr;
    const memSize = wasm.memory.buffer.byteLength;
    const abcOk = (): void => {
      wasm.bytes().set(ascii("abc"), io + 100);
      expect(x.sm3_digest!(io + 100, 3, io)).toBe(Status.OK);
      expect(toHex(wasm.bytes().slice(io, io + 32))).toBe(V.sm3[0]!.digest);
    };
    const OOB = Status.ERR_OUT_OF_BOUNDS;

    it("out-of-bounds and wrapping ranges return ERR_OUT_OF_BOUNDS and the instance keeps working", () => {
      const cases: [string, () => number][] = [
        ["sm3 input past the end", () => x.sm3_digest!(memSize - 10, 11, io)],
        ["sm3 huge length", () => x.sm3_digest!(io, 0xffffffff, io)],
        ["sm3 wrapping range", () => x.sm3_digest!(0xfffffff0, 0x20, io)],
        ["sm3 output past the end", () => x.sm3_digest!(io, 3, memSize - 31)],
        ["hmac key", () => x.hmac_sm3!(memSize, 1, io, 3, io)],
        ["hmac huge key", () => x.hmac_sm3!(io, 0x7fffffff, io, 3, io)],
        ["hmac message", () => x.hmac_sm3!(io, 3, io, memSize, io)],
        ["hmac output", () => x.hmac_sm3!(io, 3, io, 3, 0xffffffff)],
        ["kdf z", () => x.sm3_kdf!(memSize - 1, 2, io, 32)],
        ["kdf output", () => x.sm3_kdf!(io, 3, memSize - 31, 32)],
        [
          "update range",
          () => {
            x.sm3_init!(5);
            return x.sm3_update!(5, memSize - 63, 64);
          },
        ],
        ["final output", () => x.sm3_final!(5, memSize - 1)],
        ["hmac init key", () => x.hmac_sm3_init!(6, 0xfffffffe, 4)],
      ];
      for (const [what, call] of cases) {
        expect(call(), what).toBe(OOB);
        abcOk();
      }
      x.sm3_clear!(5);
    });

    it("KDF limits: length above sm3_kdf_max and counter 0 are refused", () => {
      expect(x.sm3_kdf!(io, 3, io, (1 << 20) + 1)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.sm3_kdf!(io, 3, io, 0xffffffff)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.sm3_kdf_from!(io, 3, 0, io, 32)).toBe(Status.ERR_BAD_PARAM);
      expect(x.sm3_kdf_from!(io, 3, 32768, io, 32)).toBe(Status.OK); // the last 32 bytes of 1 MiB
      expect(x.sm3_kdf_from!(io, 3, 32768, io, 33)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.sm3_kdf_from!(io, 3, 0xffffffff, io, 1)).toBe(Status.ERR_BAD_LENGTH);
      abcOk();
    });

    it("bad handles: out of range, empty, wrong kind, finished", () => {
      const n = x.sm3_slots!();
      for (const h of [n, n + 1, 0xffffffff, -1]) {
        expect(x.sm3_init!(h)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.sm3_update!(h, io, 1)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.sm3_final!(h, io)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.hmac_sm3_init!(h, io, 1)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.hmac_sm3_update!(h, io, 1)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.hmac_sm3_final!(h, io)).toBe(Status.ERR_BAD_KEY_INDEX);
        expect(x.sm3_clear!(h)).toBe(Status.ERR_BAD_KEY_INDEX);
      }
      const h = n - 1;
      expect(x.sm3_clear!(h)).toBe(Status.OK);
      expect(x.sm3_update!(h, io, 1)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.sm3_final!(h, io)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.hmac_sm3_update!(h, io, 1)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.sm3_init!(h)).toBe(Status.OK);
      expect(x.hmac_sm3_update!(h, io, 1)).toBe(Status.ERR_BAD_PARAM);
      expect(x.hmac_sm3_final!(h, io)).toBe(Status.ERR_BAD_PARAM);
      expect(x.sm3_final!(h, io)).toBe(Status.OK);
      expect(x.sm3_final!(h, io)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.hmac_sm3_init!(h, io, 3)).toBe(Status.OK);
      expect(x.sm3_update!(h, io, 1)).toBe(Status.ERR_BAD_PARAM);
      expect(x.hmac_sm3_final!(h, io)).toBe(Status.OK);
      expect(x.hmac_sm3_final!(h, io)).toBe(Status.ERR_NOT_INITIALISED);
      abcOk();
    });

    it("hmac_sm3_init on a handle forgets the stream it held (no message bytes left behind)", () => {
      const w = TidWasm.create();
      const wx = w.exports,
        wio = w.ioPtr;
      const msg = new Uint8Array(randomBytes(40)); // less than a block: it waits in the buffer
      w.bytes().set(msg, wio);
      expect(wx.sm3_init!(3)).toBe(Status.OK);
      expect(wx.sm3_update!(3, wio, 40)).toBe(Status.OK);
      w.bytes().fill(0, wio, wio + 40);
      expect(contains(w.bytes(), msg)).toBe(true);
      w.bytes().set(new Uint8Array(16).fill(0x6b), wio);
      expect(wx.hmac_sm3_init!(3, wio, 16)).toBe(Status.OK);
      expect(contains(w.bytes(), msg)).toBe(false);
      expect(wx.hmac_sm3_final!(3, wio)).toBe(Status.OK);
    });

    it("an in-bounds output over the module's own memory does not trap (a host with a null pointer)", () => {
      // The output runs over the KDF's own SM3 contexts: their fill cells get whatever the KDF
      // writes. Whatever that value, it must not index outside linear memory (a trap poisons the
      // instance). A fresh instance: this one's static data is garbage afterwards.
      for (const [z, out, len] of [
        [0, 0, 1 << 17],
        [33, 31, memSize - 32],
        [0, 0, memSize],
      ] as const) {
        const w = TidWasm.create();
        const wx = w.exports;
        let st: number | undefined;
        expect(() => {
          st = wx.sm3_kdf!(z, 64, out, len);
        }, `kdf(${z}, 64, ${out}, ${len})`).not.toThrow();
        expect(st).toBe(Status.OK);
      }
    });

    it("outputs may overlap inputs (all input is read before output is written)", () => {
      const d = randomBytes(100);
      const heap = wasm.bytes();
      heap.set(d, io + 200);
      expect(x.sm3_digest!(io + 200, 100, io + 210)).toBe(Status.OK);
      expect(toHex(wasm.bytes().slice(io + 210, io + 242))).toBe(nodeSm3(d));
      heap.set(d, io + 200);
      expect(x.hmac_sm3!(io + 200, 40, io + 240, 60, io + 200)).toBe(Status.OK);
      expect(toHex(wasm.bytes().slice(io + 200, io + 232))).toBe(nodeHmac(d.subarray(0, 40), d.subarray(40)));
      heap.set(d, io + 200);
      expect(x.sm3_kdf!(io + 200, 100, io + 200, 100)).toBe(Status.OK);
      expect(toHex(wasm.bytes().slice(io + 200, io + 300))).toBe(referenceKdf(d, 100));
    });
  });
});
