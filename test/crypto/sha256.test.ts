// SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104 / RFC 4231) and the ANSI X9.63 KDF with SHA-256
// (SEC 1 v2.0 §3.6.1) at the raw ABI of the debug, release and portable builds: published
// vectors, differential tests against node:crypto (OpenSSL) over random lengths and streaming
// splits, and the KDF against an independent implementation on node:crypto's SHA-256.
// Hostile input is test/crypto/sha256-hostile.test.ts.
//
// Vector sources:
// - FIPS 180-4 examples ("Examples with Intermediate Values", NIST CSRC, SHA256.pdf and
//   SHA2_Additional.pdf): "abc", the 448-bit two-block message, one million "a";
// - NIST CAVP SHAVS byte-oriented SHA256ShortMsg.rsp: Len = 0, 8, 16, 24, 32;
// - RFC 4231 §4.2–§4.8: HMAC-SHA-256 test cases 1–7 (case 5 truncated to 128 bits, as printed).
import { createHash, createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Status } from "../../bindings/status.js";
import { TidWasm } from "../../bindings/wasm.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { referenceX963 } from "../support/x963-reference.js";

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
const nodeSha = (d: Uint8Array): string => createHash("sha256").update(d).digest("hex");
const nodeHmac = (k: Uint8Array, d: Uint8Array): string => createHmac("sha256", k).update(d).digest("hex");

const FIPS_180_4: [string, Uint8Array, string][] = [
  ["FIPS 180-4 example: abc", ascii("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  [
    "FIPS 180-4 example: two-block message (448 bits)",
    ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  ],
  ["CAVP SHA256ShortMsg Len = 0", new Uint8Array(0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ["CAVP SHA256ShortMsg Len = 8", fromHex("d3"), "28969cdfa74a12c82f3bad960b0b000aca2ac329deea5c2328ebc6f2ba9802c1"],
  ["CAVP SHA256ShortMsg Len = 16", fromHex("11af"), "5ca7133fa735326081558ac312c620eeca9970d1e70a4b95533d956f072d1f98"],
  ["CAVP SHA256ShortMsg Len = 24", fromHex("b4190e"), "dff2e73091f6c05e528896c4c831b9448653dc2ff043528f6769437bc7b975c2"],
  ["CAVP SHA256ShortMsg Len = 32", fromHex("74ba2521"), "b16aa56be3880d18cd41e68384cf1ec8c17680c45a02b1575dc1518923ae8b0e"],
];
const MILLION_A = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

const AA131 = new Uint8Array(131).fill(0xaa);
const RFC_4231: [string, Uint8Array, Uint8Array, string][] = [
  ["RFC 4231 case 1", new Uint8Array(20).fill(0x0b), ascii("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
  [
    "RFC 4231 case 2",
    ascii("Jefe"),
    ascii("what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  ],
  [
    "RFC 4231 case 3",
    new Uint8Array(20).fill(0xaa),
    new Uint8Array(50).fill(0xdd),
    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
  ],
  [
    "RFC 4231 case 4",
    fromHex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
    new Uint8Array(50).fill(0xcd),
    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
  ],
  [
    "RFC 4231 case 5 (truncated to 128 bits)",
    new Uint8Array(20).fill(0x0c),
    ascii("Test With Truncation"),
    "a3b6167473100ee06e0c796c2955552b",
  ],
  [
    "RFC 4231 case 6",
    AA131,
    ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  ],
  [
    "RFC 4231 case 7",
    AA131,
    ascii(
      "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
    ),
    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
  ],
];

describe("SHA-256 ABI documentation", () => {
  it("docs/abi.md documents exactly the module's sha256_* / hmac_sha256* / x963_kdf_sha256* exports", () => {
    const doc = readFileSync(new URL("../../docs/abi.md", import.meta.url), "utf8");
    const at = doc.indexOf("## SHA-256");
    expect(at).toBeGreaterThan(0);
    const section = doc.slice(at, doc.indexOf("\n## ", at + 1));
    const documented = [...section.matchAll(/^\| `((?:sha256|hmac_sha256|x963_kdf_sha256)\w*)` \|/gm)].map((m) => m[1]).sort();
    const exported = Object.keys(TidWasm.create().exports)
      .filter((n) => /^(sha256|hmac_sha256|x963_kdf_sha256)/.test(n))
      .sort();
    expect(exported.length).toBe(12);
    expect(documented).toEqual(exported);
  });
});

describe.each(["debug", "release", "portable"] as const)("SHA-256 on the %s build", (build) => {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const io = wasm.ioPtr;
  const OUT = io; // 32-byte results
  const KEY = io + 64; // keys up to 448 bytes
  const INFO = io + 512; // KDF SharedInfo up to 512 bytes
  const DATA = io + 1024; // messages
  const CAP = wasm.ioCap - 1024;
  const put = (at: number, d: Uint8Array) => wasm.bytes().set(d, at);
  const out = (len = 32) => toHex(wasm.bytes().slice(OUT, OUT + len));
  const H = 7; // a streaming handle

  const digest = (m: Uint8Array): string => {
    put(DATA, m);
    expect(x.sha256_digest!(DATA, m.length, OUT)).toBe(Status.OK);
    return out();
  };
  /** SHA-256 streamed through handle H in pieces of the given sizes (the rest in one piece). */
  const streamed = (m: Uint8Array, pieces: number[]): string => {
    expect(x.sha256_init!(H)).toBe(Status.OK);
    let at = 0;
    for (const n of [...pieces, m.length]) {
      const piece = m.subarray(at, Math.min(m.length, at + n));
      put(DATA, piece);
      expect(x.sha256_update!(H, DATA, piece.length)).toBe(Status.OK);
      at += piece.length;
      if (at === m.length) break;
    }
    expect(x.sha256_final!(H, OUT)).toBe(Status.OK);
    return out();
  };
  const hmac = (k: Uint8Array, m: Uint8Array): string => {
    put(KEY, k);
    put(DATA, m);
    expect(x.hmac_sha256!(KEY, k.length, DATA, m.length, OUT)).toBe(Status.OK);
    return out();
  };
  const hmacStreamed = (k: Uint8Array, m: Uint8Array, split: number): string => {
    put(KEY, k);
    expect(x.hmac_sha256_init!(H, KEY, k.length)).toBe(Status.OK);
    wasm.bytes().fill(0, KEY, KEY + k.length); // the handle keeps its own copy
    put(DATA, m.subarray(0, split));
    expect(x.hmac_sha256_update!(H, DATA, split)).toBe(Status.OK);
    put(DATA, m.subarray(split));
    expect(x.hmac_sha256_update!(H, DATA, m.length - split)).toBe(Status.OK);
    expect(x.hmac_sha256_final!(H, OUT)).toBe(Status.OK);
    return out();
  };
  const kdf = (z: Uint8Array, info: Uint8Array, len: number): string => {
    put(KEY, z);
    put(INFO, info);
    expect(x.x963_kdf_sha256!(KEY, z.length, INFO, info.length, DATA, len)).toBe(Status.OK);
    return toHex(wasm.bytes().slice(DATA, DATA + len));
  };
  const randInt = (n: number) => Math.floor(Math.random() * n);

  describe("published vectors", () => {
    it("FIPS 180-4 examples and CAVP short messages, one-shot and streamed byte by byte", () => {
      for (const [what, m, want] of FIPS_180_4) {
        expect(digest(m), what).toBe(want);
        expect(streamed(m, Array<number>(m.length).fill(1)), what).toBe(want);
      }
    });

    it('FIPS 180-4 example: one million "a", streamed in 64 KiB pieces and in odd pieces', () => {
      const m = new Uint8Array(1_000_000).fill(0x61);
      expect(streamed(m, Array<number>(15).fill(65536))).toBe(MILLION_A);
      expect(streamed(m, Array<number>(30).fill(33333))).toBe(MILLION_A);
    });

    it("RFC 4231 HMAC-SHA-256 test cases 1–7, one-shot and streamed", () => {
      for (const [what, k, m, want] of RFC_4231) {
        expect(hmac(k, m).slice(0, want.length), what).toBe(want);
        for (const split of [0, 1, m.length >> 1, m.length]) expect(hmacStreamed(k, m, split).slice(0, want.length), what).toBe(want);
      }
    });
  });

  describe("against node:crypto", () => {
    it("SHA-256 one-shot over random data of 0..10000 bytes, and every length 0..200 (block and padding edges)", () => {
      for (let i = 0; i < 150; i++) {
        const m = randomBytes(randInt(10001));
        expect(digest(m), `${m.length} bytes`).toBe(nodeSha(m));
      }
      for (let len = 0; len <= 200; len++) {
        const m = randomBytes(len);
        expect(digest(m), `${len} bytes`).toBe(nodeSha(m));
      }
    });

    it("SHA-256 streaming with random split points", () => {
      for (let i = 0; i < 100; i++) {
        const m = randomBytes(randInt(10001));
        const pieces = Array.from({ length: randInt(8) }, () => randInt(m.length + 1));
        expect(streamed(m, pieces), `${m.length} bytes in pieces ${pieces.join(",")}`).toBe(nodeSha(m));
      }
    });

    it("HMAC-SHA-256 with random keys of 0..200 bytes (around the 64-byte block), one-shot and streamed", () => {
      for (let i = 0; i < 120; i++) {
        const k = randomBytes(i < 20 ? 60 + i : randInt(201));
        const m = randomBytes(randInt(3000));
        const want = nodeHmac(k, m);
        expect(hmac(k, m), `key ${k.length}, message ${m.length}`).toBe(want);
        expect(hmacStreamed(k, m, randInt(m.length + 1))).toBe(want);
      }
    });

    it("inputs larger than the I/O region (streamed) and keys up to 448 bytes", () => {
      const m = randomBytes(CAP * 3 + 17);
      expect(streamed(m, [CAP, CAP, CAP])).toBe(nodeSha(m));
      const k = randomBytes(448);
      expect(hmac(k, m.subarray(0, 500))).toBe(nodeHmac(k, m.subarray(0, 500)));
    });
  });

  describe("X9.63 KDF against an independent implementation on node:crypto's SHA-256", () => {
    it("random Z (0..300 bytes), SharedInfo (0..200 bytes) and lengths 0..300", () => {
      for (let i = 0; i < 100; i++) {
        const z = randomBytes(randInt(301)),
          info = randomBytes(randInt(201)),
          len = randInt(301);
        expect(kdf(z, info, len), `Z ${z.length}, info ${info.length}, ${len} bytes`).toBe(referenceX963(z, info, len));
      }
    });

    it("a P-256 ECDH-sized Z with empty SharedInfo: 16 and 32 bytes (AES-128 key, key ‖ IV)", () => {
      const z = randomBytes(32);
      expect(kdf(z, new Uint8Array(0), 16)).toBe(referenceX963(z, new Uint8Array(0), 16));
      expect(kdf(z, new Uint8Array(0), 32)).toBe(createHash("sha256").update(z).update(fromHex("00000001")).digest("hex"));
    });

    it("the longest output, 1 MiB (x963_kdf_sha256_max), into grown memory", () => {
      expect(x.x963_kdf_sha256_max!()).toBe(1 << 20);
      const w = TidWasm.create({ build });
      const base = w.memory.grow(17) * 65536;
      const z = randomBytes(32),
        info = randomBytes(20);
      w.bytes().set(z, base);
      w.bytes().set(info, base + 64);
      expect(w.exports.x963_kdf_sha256!(base, 32, base + 64, 20, base + 128, 1 << 20)).toBe(Status.OK);
      expect(toHex(w.bytes().slice(base + 128, base + 128 + (1 << 20)))).toBe(referenceX963(z, info, 1 << 20));
    });

    it("the output may overlap Z (Z is absorbed first)", () => {
      const z = randomBytes(64),
        info = randomBytes(10);
      put(DATA, z);
      put(INFO, info);
      expect(x.x963_kdf_sha256!(DATA, 64, INFO, 10, DATA + 8, 100)).toBe(Status.OK);
      expect(toHex(wasm.bytes().slice(DATA + 8, DATA + 108))).toBe(referenceX963(z, info, 100));
    });
  });

  it("outputs may overlap inputs for the digest and HMAC (all input is read before output is written)", () => {
    const d = randomBytes(100);
    put(DATA, d);
    expect(x.sha256_digest!(DATA, 100, DATA + 10)).toBe(Status.OK);
    expect(toHex(wasm.bytes().slice(DATA + 10, DATA + 42))).toBe(nodeSha(d));
    put(DATA, d);
    expect(x.hmac_sha256!(DATA, 40, DATA + 40, 60, DATA)).toBe(Status.OK);
    expect(toHex(wasm.bytes().slice(DATA, DATA + 32))).toBe(nodeHmac(d.subarray(0, 40), d.subarray(40)));
  });
});
