// AES-128 (FIPS 197) in ECB, CBC, CTR and GCM at the raw ABI of the debug, release and portable
// builds: published vectors, differential tests against node:crypto (OpenSSL) for every mode and
// every export, and GCM's refusal to write anything under a wrong tag.
// Hostile input is test/crypto/aes-hostile.test.ts; the constant-time proof is in
// test/crypto/constant-time.test.ts.
//
// Vector sources:
// - FIPS 197 Appendix C.1 (AES-128, the example vector);
// - NIST SP 800-38A Appendix F.1.1/F.1.2 (ECB-AES128), F.2.1/F.2.2 (CBC-AES128), F.5.1/F.5.2
//   (CTR-AES128), the same four-block plaintext;
// - the GCM specification (McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 1–6,
//   the AES-128 ones; the test vectors of NIST's GCM validation): 96-bit IVs (1–4), an 8-byte IV
//   (5) and a 60-byte IV (6).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Status } from "../../bindings/status.js";
import { TidWasm } from "../../bindings/wasm.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const F_KEY = "2b7e151628aed2a6abf7158809cf4f3c";
const F_PT =
  "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
const F_ECB =
  "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4";
const F_CBC_IV = "000102030405060708090a0b0c0d0e0f";
const F_CBC =
  "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7";
const F_CTR_IV = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
const F_CTR =
  "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee";

const K3 = "feffe9928665731c6d6a8f9467308308";
const P3 =
  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const A4 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
const GCM_CASES: { name: string; key: string; iv: string; pt: string; aad: string; ct: string; tag: string }[] = [
  { name: "GCM test case 1", key: "00".repeat(16), iv: "00".repeat(12), pt: "", aad: "", ct: "", tag: "58e2fccefa7e3061367f1d57a4e7455a" },
  {
    name: "GCM test case 2",
    key: "00".repeat(16),
    iv: "00".repeat(12),
    pt: "00".repeat(16),
    aad: "",
    ct: "0388dace60b6a392f328c2b971b2fe78",
    tag: "ab6e47d42cec13bdf53a67b21257bddf",
  },
  {
    name: "GCM test case 3",
    key: K3,
    iv: "cafebabefacedbaddecaf888",
    pt: P3,
    aad: "",
    ct: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
    tag: "4d5c2af327cd64a62cf35abd2ba6fab4",
  },
  {
    name: "GCM test case 4",
    key: K3,
    iv: "cafebabefacedbaddecaf888",
    pt: P3.slice(0, 120),
    aad: A4,
    ct: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
    tag: "5bc94fbc3221a5db94fae95ae7121a47",
  },
  {
    name: "GCM test case 5 (64-bit IV)",
    key: K3,
    iv: "cafebabefacedbad",
    pt: P3.slice(0, 120),
    aad: A4,
    ct: "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c742373806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
    tag: "3612d2e79e3b0785561be14aaca2fccb",
  },
  {
    name: "GCM test case 6 (480-bit IV)",
    key: K3,
    iv: "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
    pt: P3.slice(0, 120),
    aad: A4,
    ct: "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca701e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
    tag: "619cc5aefffe0bfa462af43c1699d050",
  },
];

function nodeCipher(mode: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array, decrypt = false, pad = false): string {
  const c = (decrypt ? createDecipheriv : createCipheriv)(`aes-128-${mode}`, key, iv);
  c.setAutoPadding(pad);
  return Buffer.concat([c.update(data), c.final()]).toString("hex");
}
function nodeGcm(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, pt: Uint8Array): { ct: string; tag: string } {
  const c = createCipheriv("aes-128-gcm", key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(pt), c.final()]).toString("hex");
  return { ct, tag: c.getAuthTag().toString("hex") };
}
/** CTR with a 32-bit counter (the first 12 bytes fixed, the last 4 wrapping), from node's ECB. */
function ctr32(key: Uint8Array, ctr: Uint8Array, data: Uint8Array): string {
  const blocks = Math.ceil(data.length / 16);
  const cb = new Uint8Array(blocks * 16);
  const start = Buffer.from(ctr).readUInt32BE(12);
  for (let i = 0; i < blocks; i++) {
    cb.set(ctr.subarray(0, 12), 16 * i);
    Buffer.from(cb.buffer).writeUInt32BE((start + i) >>> 0, 16 * i + 12);
  }
  const ks = Buffer.from(nodeCipher("ecb", key, null, cb), "hex");
  return Buffer.from(data.map((b, i) => b ^ ks[i]!)).toString("hex");
}

describe("AES-128 ABI documentation", () => {
  it("docs/abi.md documents exactly the module's aes_* exports", () => {
    const doc = readFileSync(new URL("../../docs/abi.md", import.meta.url), "utf8");
    const at = doc.indexOf("## AES-128");
    expect(at).toBeGreaterThan(0);
    const section = doc.slice(at, doc.indexOf("\n## ", at + 1));
    const documented = [...section.matchAll(/`(aes_\w+)`/g)].map((m) => m[1]!);
    const exported = Object.keys(TidWasm.create().exports)
      .filter((n) => n.startsWith("aes_"))
      .sort();
    expect(exported.length).toBe(22);
    expect([...new Set(documented)].sort()).toEqual(exported);
  });
});

describe.each(["debug", "release", "portable"] as const)("AES-128 on the %s build", (build) => {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const io = wasm.ioPtr;
  const KEY = io,
    IV = io + 16,
    TAG = io + 32,
    LEN = io + 48,
    IVL = io + 64, // long IVs, up to 192 bytes
    AAD = io + 256, // AAD up to 1 KiB
    IN = io + 2048,
    OUT = io + 2048 + 20000;
  const MAX = 20000;
  const H = 3;
  const put = (at: number, d: Uint8Array) => wasm.bytes().set(d, at);
  const get = (at: number, n: number) => toHex(wasm.bytes().slice(at, at + n));
  const setKey = (k: Uint8Array) => {
    put(KEY, k);
    expect(x.aes_key_set!(H, KEY)).toBe(Status.OK);
  };
  const randInt = (n: number) => Math.floor(Math.random() * n);

  describe("published vectors", () => {
    it("FIPS 197 Appendix C.1: encrypt and decrypt one block", () => {
      setKey(fromHex("000102030405060708090a0b0c0d0e0f"));
      put(IN, fromHex("00112233445566778899aabbccddeeff"));
      expect(x.aes_ecb_encrypt!(H, IN, OUT, 16)).toBe(Status.OK);
      expect(get(OUT, 16)).toBe("69c4e0d86a7b0430d8cdb78070b4c55a");
      expect(x.aes_ecb_decrypt!(H, OUT, OUT, 16)).toBe(Status.OK);
      expect(get(OUT, 16)).toBe("00112233445566778899aabbccddeeff");
    });

    it("SP 800-38A F.1 ECB-AES128, F.2 CBC-AES128, F.5 CTR-AES128: encrypt and decrypt", () => {
      setKey(fromHex(F_KEY));
      put(IN, fromHex(F_PT));
      expect(x.aes_ecb_encrypt!(H, IN, OUT, 64)).toBe(Status.OK);
      expect(get(OUT, 64)).toBe(F_ECB);
      expect(x.aes_ecb_decrypt!(H, OUT, OUT, 64)).toBe(Status.OK);
      expect(get(OUT, 64)).toBe(F_PT);
      put(IV, fromHex(F_CBC_IV));
      expect(x.aes_cbc_encrypt!(H, IV, IN, OUT, 64)).toBe(Status.OK);
      expect(get(OUT, 64)).toBe(F_CBC);
      expect(get(IV, 16)).toBe(F_CBC.slice(-32)); // the IV cell holds the last ciphertext block
      put(IV, fromHex(F_CBC_IV));
      expect(x.aes_cbc_decrypt!(H, IV, OUT, OUT, 64)).toBe(Status.OK);
      expect(get(OUT, 64)).toBe(F_PT);
      for (const bits of [128, 32]) {
        put(IV, fromHex(F_CTR_IV));
        expect(x.aes_ctr!(H, IV, IN, OUT, 64, bits)).toBe(Status.OK);
        expect(get(OUT, 64)).toBe(F_CTR);
        put(IV, fromHex(F_CTR_IV));
        expect(x.aes_ctr!(H, IV, OUT, OUT, 64, bits)).toBe(Status.OK);
        expect(get(OUT, 64)).toBe(F_PT);
      }
    });

    it("GCM test cases 1–6: seal, open, and the stream calls", () => {
      for (const v of GCM_CASES) {
        const pt = fromHex(v.pt),
          iv = fromHex(v.iv),
          aad = fromHex(v.aad);
        setKey(fromHex(v.key));
        put(IVL, iv);
        put(AAD, aad);
        put(IN, pt);
        expect(x.aes_gcm_seal!(H, IVL, iv.length, AAD, aad.length, IN, OUT, pt.length, TAG), v.name).toBe(Status.OK);
        expect(get(OUT, pt.length), v.name).toBe(v.ct);
        expect(get(TAG, 16), v.name).toBe(v.tag);
        expect(x.aes_gcm_open!(H, IVL, iv.length, AAD, aad.length, OUT, OUT, pt.length, TAG, 16), v.name).toBe(Status.OK);
        expect(get(OUT, pt.length), v.name).toBe(v.pt);
        // stream: seal in two pieces (a whole block, then the rest)
        const cut = Math.min(16, pt.length);
        expect(x.aes_gcm_start!(H, IVL, iv.length)).toBe(Status.OK);
        expect(x.aes_gcm_aad!(H, AAD, aad.length)).toBe(Status.OK);
        expect(x.aes_gcm_encrypt!(H, IN, OUT, cut)).toBe(Status.OK);
        expect(x.aes_gcm_encrypt!(H, IN + cut, OUT + cut, pt.length - cut)).toBe(Status.OK);
        expect(x.aes_gcm_finish!(H, TAG)).toBe(Status.OK);
        expect(get(OUT, pt.length), v.name).toBe(v.ct);
        expect(get(TAG, 16), v.name).toBe(v.tag);
        // stream: open (absorb, verify, decrypt)
        expect(x.aes_gcm_start!(H, IVL, iv.length)).toBe(Status.OK);
        expect(x.aes_gcm_aad!(H, AAD, aad.length)).toBe(Status.OK);
        expect(x.aes_gcm_absorb!(H, OUT, pt.length)).toBe(Status.OK);
        expect(x.aes_gcm_verify!(H, TAG, 16)).toBe(Status.OK);
        if (pt.length > 0) expect(x.aes_gcm_decrypt!(H, OUT, OUT, pt.length)).toBe(Status.OK);
        expect(get(OUT, pt.length), v.name).toBe(v.pt);
      }
    });
  });

  describe("against node:crypto", () => {
    it("ECB and CBC without padding, random keys and lengths 0..4096 (multiples of 16), in place and not", () => {
      for (let i = 0; i < 40; i++) {
        const key = randomBytes(16),
          iv = randomBytes(16),
          pt = randomBytes(16 * randInt(257));
        setKey(key);
        put(IN, pt);
        expect(x.aes_ecb_encrypt!(H, IN, OUT, pt.length)).toBe(Status.OK);
        const ecb = nodeCipher("ecb", key, null, pt);
        expect(get(OUT, pt.length)).toBe(ecb);
        expect(x.aes_ecb_decrypt!(H, OUT, OUT, pt.length)).toBe(Status.OK);
        expect(get(OUT, pt.length)).toBe(toHex(pt));
        put(IV, iv);
        expect(x.aes_cbc_encrypt!(H, IV, IN, IN, pt.length)).toBe(Status.OK);
        const cbc = nodeCipher("cbc", key, iv, pt);
        expect(get(IN, pt.length)).toBe(cbc);
        put(IV, iv);
        expect(x.aes_cbc_decrypt!(H, IV, IN, OUT, pt.length)).toBe(Status.OK);
        expect(get(OUT, pt.length)).toBe(toHex(pt));
      }
    });

    it("CBC in pieces of whole blocks chains through the IV cell", () => {
      const key = randomBytes(16),
        iv = randomBytes(16),
        pt = randomBytes(16 * 37);
      setKey(key);
      put(IN, pt);
      put(IV, iv);
      for (const [a, b] of [
        [0, 16],
        [16, 96],
        [96, 592],
      ] as const)
        expect(x.aes_cbc_encrypt!(H, IV, IN + a, OUT + a, b - a)).toBe(Status.OK);
      expect(get(OUT, pt.length)).toBe(nodeCipher("cbc", key, iv, pt));
      put(IV, iv);
      for (const [a, b] of [
        [0, 80],
        [80, 592],
      ] as const)
        expect(x.aes_cbc_decrypt!(H, IV, OUT + a, OUT + a, b - a)).toBe(Status.OK);
      expect(get(OUT, pt.length)).toBe(toHex(pt));
    });

    it("ECB and CBC with PKCS#7 padding, every length 0..100 and random ones", () => {
      const key = randomBytes(16);
      setKey(key);
      for (let len = 0; len < 140; len++) {
        const n = len < 100 ? len : randInt(4000);
        const pt = randomBytes(n),
          iv = randomBytes(16);
        const padded = (n & ~15) + 16;
        put(IN, pt);
        expect(x.aes_ecb_encrypt_pkcs7!(H, IN, OUT, n)).toBe(Status.OK);
        expect(get(OUT, padded)).toBe(nodeCipher("ecb", key, null, pt, false, true));
        expect(x.aes_ecb_decrypt_pkcs7!(H, OUT, OUT, padded, LEN)).toBe(Status.OK);
        expect(wasm.bytes().slice(LEN, LEN + 4)).toEqual(Uint8Array.of(n & 255, n >> 8, 0, 0));
        expect(get(OUT, n)).toBe(toHex(pt));
        put(IV, iv);
        expect(x.aes_cbc_encrypt_pkcs7!(H, IV, IN, OUT, n)).toBe(Status.OK);
        const ct = nodeCipher("cbc", key, iv, pt, false, true);
        expect(get(OUT, padded)).toBe(ct);
        put(IV, iv);
        expect(x.aes_cbc_decrypt_pkcs7!(H, IV, OUT, IN, padded, LEN)).toBe(Status.OK);
        expect(get(IN, n)).toBe(toHex(pt));
        expect(get(IV, 16)).toBe(ct.slice(-32));
      }
    });

    it("CTR with the 128-bit counter (node's aes-128-ctr) and the 32-bit one, any length, counter wrap, pieces", () => {
      for (let i = 0; i < 40; i++) {
        const key = randomBytes(16),
          ctr = randomBytes(16),
          pt = randomBytes(randInt(3000));
        if (i % 4 === 0) ctr.fill(0xff, 12); // the low 32 bits about to wrap
        if (i % 8 === 0) ctr.fill(0xff, 4); // and the low 96 bits
        setKey(key);
        put(IN, pt);
        put(IV, ctr);
        expect(x.aes_ctr!(H, IV, IN, OUT, pt.length, 128)).toBe(Status.OK);
        expect(get(OUT, pt.length)).toBe(nodeCipher("ctr", key, ctr, pt));
        put(IV, ctr);
        expect(x.aes_ctr!(H, IV, IN, OUT, pt.length, 32)).toBe(Status.OK);
        expect(get(OUT, pt.length)).toBe(ctr32(key, ctr, pt));
        // in pieces: whole blocks, then the rest; the counter cell carries on
        const cut = 16 * randInt(Math.floor(pt.length / 16) + 1);
        put(IV, ctr);
        expect(x.aes_ctr!(H, IV, IN, IN, cut, 128)).toBe(Status.OK);
        expect(x.aes_ctr!(H, IV, IN + cut, IN + cut, pt.length - cut, 128)).toBe(Status.OK);
        expect(get(IN, pt.length)).toBe(nodeCipher("ctr", key, ctr, pt));
      }
    });

    it("GCM seal and open: random keys, IVs of 12 and other lengths, AAD 0..300, text 0..MAX, tags 12..16", () => {
      for (let i = 0; i < 60; i++) {
        const key = randomBytes(16),
          iv = randomBytes(i % 3 === 0 ? 1 + randInt(128) : 12), // OpenSSL takes GCM IVs up to 128 bytes
          aad = randomBytes(randInt(301)),
          pt = randomBytes(i === 0 ? MAX : randInt(3000));
        const want = nodeGcm(key, iv, aad, pt);
        setKey(key);
        put(IVL, iv);
        put(AAD, aad);
        put(IN, pt);
        expect(x.aes_gcm_seal!(H, IVL, iv.length, AAD, aad.length, IN, OUT, pt.length, TAG)).toBe(Status.OK);
        expect(get(OUT, pt.length)).toBe(want.ct);
        expect(get(TAG, 16)).toBe(want.tag);
        const tagLen = 12 + (i % 5);
        expect(x.aes_gcm_open!(H, IVL, iv.length, AAD, aad.length, OUT, IN, pt.length, TAG, tagLen)).toBe(Status.OK);
        expect(get(IN, pt.length)).toBe(toHex(pt));
        // node opens what the module sealed
        const d = createDecipheriv("aes-128-gcm", key, iv);
        d.setAAD(aad);
        d.setAuthTag(fromHex(want.tag));
        expect(Buffer.concat([d.update(Buffer.from(want.ct, "hex")), d.final()]).toString("hex")).toBe(toHex(pt));
      }
    });

    it("GCM streams in random whole-block pieces agree with node, both ways", () => {
      for (let i = 0; i < 30; i++) {
        const key = randomBytes(16),
          iv = randomBytes(12),
          aad = randomBytes(randInt(100)),
          pt = randomBytes(randInt(5000));
        const want = nodeGcm(key, iv, aad, pt);
        setKey(key);
        put(IVL, iv);
        put(AAD, aad);
        put(IN, pt);
        const cuts = [0, ...Array.from({ length: 3 }, () => 16 * randInt(Math.floor(pt.length / 16) + 1)).sort((a, b) => a - b), pt.length];
        expect(x.aes_gcm_start!(H, IVL, 12)).toBe(Status.OK);
        const aadCut = 16 * randInt(Math.floor(aad.length / 16) + 1);
        expect(x.aes_gcm_aad!(H, AAD, aadCut)).toBe(Status.OK);
        expect(x.aes_gcm_aad!(H, AAD + aadCut, aad.length - aadCut)).toBe(Status.OK);
        for (let k = 0; k + 1 < cuts.length; k++)
          expect(x.aes_gcm_encrypt!(H, IN + cuts[k]!, OUT + cuts[k]!, cuts[k + 1]! - cuts[k]!)).toBe(Status.OK);
        expect(x.aes_gcm_finish!(H, TAG)).toBe(Status.OK);
        expect(get(OUT, pt.length)).toBe(want.ct);
        expect(get(TAG, 16)).toBe(want.tag);
        expect(x.aes_gcm_start!(H, IVL, 12)).toBe(Status.OK);
        expect(x.aes_gcm_aad!(H, AAD, aad.length)).toBe(Status.OK);
        for (let k = 0; k + 1 < cuts.length; k++) expect(x.aes_gcm_absorb!(H, OUT + cuts[k]!, cuts[k + 1]! - cuts[k]!)).toBe(Status.OK);
        expect(x.aes_gcm_verify!(H, TAG, 16)).toBe(Status.OK);
        for (let k = 0; k + 1 < cuts.length; k++)
          if (cuts[k + 1]! > cuts[k]!)
            expect(x.aes_gcm_decrypt!(H, OUT + cuts[k]!, OUT + cuts[k]!, cuts[k + 1]! - cuts[k]!)).toBe(Status.OK);
        expect(get(OUT, pt.length)).toBe(toHex(pt));
      }
    });
  });

  describe("a wrong tag, AAD, IV or ciphertext is refused and nothing is written", () => {
    it("one-shot open: every tampered input → ERR_VERIFY_FAILED, the output untouched", () => {
      const key = randomBytes(16),
        iv = randomBytes(12),
        aad = randomBytes(33),
        pt = randomBytes(200);
      const want = nodeGcm(key, iv, aad, pt);
      setKey(key);
      const ct = fromHex(want.ct),
        tag = fromHex(want.tag);
      const sentinel = new Uint8Array(200).fill(0x5a);
      const tryOpen = (what: string, mutate: () => void, tagLen = 16) => {
        put(IVL, iv);
        put(AAD, aad);
        put(IN, ct);
        put(TAG, tag);
        put(OUT, sentinel);
        mutate();
        expect(x.aes_gcm_open!(H, IVL, 12, AAD, 33, IN, OUT, 200, TAG, tagLen), what).toBe(Status.ERR_VERIFY_FAILED);
        expect(get(OUT, 200), `${what}: nothing written`).toBe(toHex(sentinel));
      };
      const flip =
        (at: number, bit = 1) =>
        () => {
          wasm.bytes()[at]! ^= bit;
        };
      tryOpen("tag first byte", flip(TAG));
      tryOpen("tag last byte", flip(TAG + 15, 0x80));
      tryOpen("tag byte 11, 12-byte tag", flip(TAG + 11), 12);
      tryOpen("ciphertext", flip(IN + 100));
      tryOpen("ciphertext last byte", flip(IN + 199));
      tryOpen("AAD", flip(AAD + 32));
      tryOpen("IV", flip(IVL + 11));
      // in place: a failed open leaves the ciphertext as it was
      put(IN, ct);
      wasm.bytes()[TAG]! ^= 1;
      expect(x.aes_gcm_open!(H, IVL, 12, AAD, 33, IN, IN, 200, TAG, 16)).toBe(Status.ERR_VERIFY_FAILED);
      expect(get(IN, 200)).toBe(want.ct);
    });

    it("stream open: a wrong tag ends the stream; decrypt is refused before and after", () => {
      const key = randomBytes(16),
        iv = randomBytes(12),
        pt = randomBytes(64);
      const want = nodeGcm(key, iv, new Uint8Array(0), pt);
      setKey(key);
      put(IVL, iv);
      put(IN, fromHex(want.ct));
      const tag = fromHex(want.tag);
      tag[15]! ^= 1;
      put(TAG, tag);
      put(OUT, new Uint8Array(64));
      expect(x.aes_gcm_start!(H, IVL, 12)).toBe(Status.OK);
      expect(x.aes_gcm_absorb!(H, IN, 64)).toBe(Status.OK);
      expect(x.aes_gcm_decrypt!(H, IN, OUT, 64)).toBe(Status.ERR_NOT_INITIALISED);
      expect(x.aes_gcm_verify!(H, TAG, 16)).toBe(Status.ERR_VERIFY_FAILED);
      expect(x.aes_gcm_decrypt!(H, IN, OUT, 64)).toBe(Status.ERR_NOT_INITIALISED);
      expect(get(OUT, 64)).toBe("00".repeat(64));
    });
  });

  it("keys: set replaces, clear wipes, is_set reports; a cleared handle is ERR_SLOT_EMPTY", () => {
    expect(x.aes_key_slots!()).toBe(16);
    const k1 = randomBytes(16),
      k2 = randomBytes(16);
    setKey(k1);
    expect(x.aes_key_is_set!(H)).toBe(1);
    setKey(k2);
    put(IN, fromHex(F_PT));
    expect(x.aes_ecb_encrypt!(H, IN, OUT, 16)).toBe(Status.OK);
    expect(get(OUT, 16)).toBe(nodeCipher("ecb", k2, null, fromHex(F_PT).subarray(0, 16)));
    // a key read from inside its own handle's memory is still taken whole
    expect(x.aes_key_clear!(H)).toBe(Status.OK);
    expect(x.aes_key_is_set!(H)).toBe(0);
    expect(x.aes_ecb_encrypt!(H, IN, OUT, 16)).toBe(Status.ERR_SLOT_EMPTY);
  });
});
