// P-256 (secp256r1) and ECDSA with SHA-256 on every build, against independent truth:
// - RFC 6979 §A.2.5 (ECDSA, 256 bits prime field, SHA-256, messages "sample" and "test"): the
//   published key pair and (r, s), with the published k fed through the module's `random` import;
// - NIST CAVS "KAS ECC CDH primitive" P-256 (ecccdhtestvectors, COUNT = 0): shared x;
// - differential tests against node:crypto (OpenSSL) and @noble/curves: public keys, ECDH both
//   ways, signatures made by each verified by the other, DER;
// - Wycheproof-style edge cases (the project's own, in the spirit of Project Wycheproof's
//   ecdh_secp256r1 and ecdsa_secp256r1_sha256 suites): edge private keys (1, n − 1), the peer
//   G and −G, digests 0, n and 2^256 − 1 (e ≥ n reduced), a verification whose sum is a doubling
//   (u1·G = u2·Q) and one whose sum is infinity (rejected), s and n − s (both valid: FIPS 186-5
//   has no low-s rule), and the SM2 generator offered as a P-256 key (not on the curve).
import { createECDH, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import { p256 as noble } from "@noble/curves/nist.js";
import { describe, expect, it } from "vitest";
import { TidWasm } from "../../bindings/wasm.js";
import { scriptedRandom } from "../support/scripted-random.js";
import { p256Api } from "../../bindings/p256.js";
import { ecSignatureFromDer, ecSignatureToDer } from "../../bindings/ec-der.js";
import { Status } from "../../bindings/status.js";
import { expectStatus } from "../support/assertions.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const p = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const G =
  "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" + "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
const be32 = (v: bigint): Uint8Array => fromHex((((v % 2n ** 256n) + 2n ** 256n) % 2n ** 256n).toString(16).padStart(64, "0"));
const int = (b: Uint8Array): bigint => BigInt("0x" + (toHex(b) || "0"));
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const modn = (v: bigint): bigint => ((v % n) + n) % n;
function invn(a: bigint): bigint {
  let [r0, r1, s0, s1] = [modn(a), n, 1n, 0n];
  while (r1) [r0, r1, s0, s1] = [r1, r0 % r1, s1, s0 - (r0 / r1) * s1];
  return modn(s0);
}

const jwkPublic = (pub: Uint8Array) =>
  createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: Buffer.from(pub.subarray(0, 32)).toString("base64url"),
      y: Buffer.from(pub.subarray(32)).toString("base64url"),
    },
    format: "jwk",
  });
const jwkPrivate = (d: Uint8Array, pub: Uint8Array) =>
  createPrivateKey({
    key: {
      kty: "EC",
      crv: "P-256",
      d: Buffer.from(d).toString("base64url"),
      x: Buffer.from(pub.subarray(0, 32)).toString("base64url"),
      y: Buffer.from(pub.subarray(32)).toString("base64url"),
    },
    format: "jwk",
  });

// RFC 6979 §A.2.5
const RFC6979 = {
  d: "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
  pub:
    "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6" + "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
  cases: [
    {
      msg: "sample",
      k: "a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60",
      r: "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
      s: "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
    },
    {
      msg: "test",
      k: "d16b6ae827f17175e040871a1c7ec3500192c4c92677336ec2537acaee0008e0",
      r: "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
      s: "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083",
    },
  ],
};

// NIST CAVS KAS ECC CDH primitive, P-256, COUNT = 0
const CAVS_CDH = {
  peer:
    "700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287" + "db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac",
  d: "7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534",
  pub:
    "ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230" + "28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141",
  z: "46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b",
};

describe("P-256 ABI documentation", () => {
  it("docs/abi.md documents exactly the module's p256_* and ecdsa_p256_* exports", () => {
    const doc = readFileSync(new URL("../../docs/abi.md", import.meta.url), "utf8");
    const at = doc.indexOf("## P-256");
    expect(at).toBeGreaterThan(0);
    const section = doc.slice(at, doc.indexOf("\n## ", at + 1));
    const documented = [...section.matchAll(/^\| `((?:p256|ecdsa_p256)_\w*)` \|/gm)].map((m) => m[1]).sort();
    const exported = Object.keys(TidWasm.create().exports)
      .filter((k) => k.startsWith("p256_") || k.startsWith("ecdsa_p256_"))
      .sort();
    expect(documented).toEqual(exported);
  });
});

describe.each(["debug", "release", "portable"] as const)("P-256 known answers (%s build)", (build) => {
  const api = p256Api(TidWasm.create({ build }));

  it("reproduces RFC 6979 §A.2.5 (key pair, r, s with the published k)", () => {
    expect(toHex(api.publicKeyFromPrivate(fromHex(RFC6979.d)))).toBe(RFC6979.pub);
    for (const c of RFC6979.cases) {
      const withK = p256Api(TidWasm.create({ build, imports: scriptedRandom(fromHex(c.k)) }));
      const sig = withK.sign(fromHex(RFC6979.d), ascii(c.msg));
      expect(toHex(sig)).toBe(c.r + c.s);
      expect(api.verify(fromHex(RFC6979.pub), ascii(c.msg), sig)).toBe(true);
      expect(nodeVerify("sha256", ascii(c.msg), { key: jwkPublic(fromHex(RFC6979.pub)), dsaEncoding: "ieee-p1363" }, sig)).toBe(true);
    }
  });

  it("reproduces the NIST CAVS ECC CDH primitive vector", () => {
    expect(toHex(api.publicKeyFromPrivate(fromHex(CAVS_CDH.d)))).toBe(CAVS_CDH.pub);
    expect(toHex(api.ecdh(fromHex(CAVS_CDH.d), fromHex(CAVS_CDH.peer)))).toBe(CAVS_CDH.z);
    expect(toHex(api.ecdh(fromHex(CAVS_CDH.d), api.encodePublicKey(fromHex(CAVS_CDH.peer), "compressed")))).toBe(CAVS_CDH.z);
  });

  it("agrees with node:crypto and @noble/curves on keys, ECDH and signatures (differential)", () => {
    for (let t = 0; t < 24; t++) {
      const kp = api.generateKeyPair();
      const node = createECDH("prime256v1");
      node.setPrivateKey(kp.privateKey);
      expect(toHex(node.getPublicKey().subarray(1))).toBe(toHex(kp.publicKey));
      expect(toHex(noble.getPublicKey(kp.privateKey, false).subarray(1))).toBe(toHex(kp.publicKey));
      const other = createECDH("prime256v1");
      other.generateKeys();
      const z = api.ecdh(kp.privateKey, other.getPublicKey());
      expect(toHex(z)).toBe(toHex(node.computeSecret(other.getPublicKey())));
      expect(toHex(z)).toBe(toHex(other.computeSecret(Buffer.concat([Buffer.from([4]), kp.publicKey]))));
      const msg = crypto.getRandomValues(new Uint8Array(t * 37));
      const ours = api.sign(kp.privateKey, msg);
      expect(nodeVerify("sha256", msg, { key: jwkPublic(kp.publicKey), dsaEncoding: "ieee-p1363" }, ours)).toBe(true);
      expect(noble.verify(ours, msg, kp.publicKey.length === 64 ? Uint8Array.of(4, ...kp.publicKey) : kp.publicKey, { lowS: false })).toBe(
        true,
      );
      const theirs = nodeSign("sha256", msg, { key: jwkPrivate(kp.privateKey, kp.publicKey), dsaEncoding: "der" });
      expect(api.verify(kp.publicKey, msg, theirs, { der: true })).toBe(true);
      expect(toHex(ecSignatureToDer(ecSignatureFromDer(theirs)!))).toBe(toHex(theirs)); // OpenSSL writes strict DER
      const nob = noble.sign(msg, kp.privateKey, { format: "compact" } as never) as Uint8Array;
      expect(api.verify(kp.publicKey, msg, nob)).toBe(true);
    }
  });

  it("handles the edge private keys 1 and n − 1 and the peers G and −G", () => {
    expect(toHex(api.publicKeyFromPrivate(be32(1n)))).toBe(G);
    const minusG = api.publicKeyFromPrivate(be32(n - 1n));
    expect(toHex(minusG.subarray(0, 32))).toBe(G.slice(0, 64));
    expect(int(minusG.subarray(32))).toBe(p - BigInt("0x" + G.slice(64)));
    // [n − 1]G·… : ECDH with the peer G is x([d]G); with −G it is the same x
    for (const d of [1n, 2n, n - 2n, n - 1n]) {
      const want = toHex(api.publicKeyFromPrivate(be32(d)).subarray(0, 32));
      expect(toHex(api.ecdh(be32(d), fromHex(G)))).toBe(want);
      expect(toHex(api.ecdh(be32(d), minusG))).toBe(want);
    }
  });

  it("signs digests 0, n and 2^256 − 1 (e reduced mod n) as @noble/curves verifies them", () => {
    const kp = api.generateKeyPair();
    for (const e of [0n, 1n, n - 1n, n, n + 1n, 2n ** 256n - 1n]) {
      const digest = be32(e);
      const sig = api.signDigest(kp.privateKey, digest);
      expect(api.verifyDigest(kp.publicKey, digest, sig)).toBe(true);
      expect(noble.verify(sig, digest, Uint8Array.of(4, ...kp.publicKey), { prehash: false, lowS: false })).toBe(true);
      // the same residue verifies: e and e mod n are one digest to ECDSA
      expect(api.verifyDigest(kp.publicKey, be32(modn(e)), sig)).toBe(true);
    }
  });

  it("accepts s and n − s; takes the doubling path (u1·G = u2·Q); refuses a sum at infinity", () => {
    const d = 0x1234567890abcdefn;
    const pub = api.publicKeyFromPrivate(be32(d));
    const msg = ascii("malleable");
    const sig = api.sign(be32(d), msg);
    const flipped = Uint8Array.of(...sig.subarray(0, 32), ...be32(n - int(sig.subarray(32))));
    expect(api.verify(pub, msg, flipped)).toBe(true);
    expect(nodeVerify("sha256", msg, { key: jwkPublic(pub), dsaEncoding: "ieee-p1363" }, flipped)).toBe(true);

    // e = r·d: then u1 = e/s and u2 = r/s give u1·G = u2·Q, and the sum is 2·u1·G
    const k = 0xfeedfacecafebeefn;
    const r = BigInt("0x" + toHex(api.publicKeyFromPrivate(be32(k)).subarray(0, 32))) % n;
    const e = modn(r * d);
    const withK = p256Api(TidWasm.create({ build, imports: scriptedRandom(be32(k)) }));
    const dbl = withK.signDigest(be32(d), be32(e));
    expect(int(dbl.subarray(0, 32))).toBe(r);
    expect(int(dbl.subarray(32))).toBe(modn(invn(k) * (e + r * d)));
    expect(api.verifyDigest(pub, be32(e), dbl)).toBe(true);
    expect(noble.verify(dbl, be32(e), Uint8Array.of(4, ...pub), { prehash: false, lowS: false })).toBe(true);

    // e = −r·d: u1·G + u2·Q = (e + r·d)/s · G = infinity — a failed verification, not a trap
    const inf = Uint8Array.of(...be32(r), ...be32(7n));
    expect(api.verifyDigest(pub, be32(modn(-r * d)), inf)).toBe(false);
    expect(noble.verify(inf, be32(modn(-r * d)), Uint8Array.of(4, ...pub), { prehash: false, lowS: false })).toBe(false);
  });

  it("refuses the SM2 generator and other foreign points as P-256 keys", () => {
    const sm2G =
      "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7" +
      "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0";
    expectStatus(() => api.ecdh(be32(5n), fromHex(sm2G)), Status.ERR_BAD_POINT);
    expectStatus(() => api.decodePublicKey(fromHex(sm2G)), Status.ERR_BAD_POINT);
    // a point of the curve y² = x³ − 3x + b' (b' = 0), the kind an invalid-curve attack sends
    expectStatus(() => api.ecdh(be32(5n), Uint8Array.of(...be32(2n), ...be32(0n))), Status.ERR_BAD_POINT);
    expect(api.verifyStatus(fromHex(sm2G), new Uint8Array(1), new Uint8Array(64).fill(1))).toBe(Status.ERR_BAD_POINT);
  });
});

describe("P-256 and SM2 in one instance", () => {
  it("switch curves call by call (the shared fixed-base table follows the curve)", async () => {
    const { sm2Api } = await import("../../bindings/sm2.js");
    const w = TidWasm.create();
    const a = p256Api(w),
      b = sm2Api(w);
    for (let t = 0; t < 3; t++) {
      expect(toHex(a.publicKeyFromPrivate(fromHex(RFC6979.d)))).toBe(RFC6979.pub);
      const kp = b.generateKeyPair();
      const node = createECDH("SM2");
      node.setPrivateKey(kp.privateKey);
      expect(toHex(node.getPublicKey().subarray(1))).toBe(toHex(kp.publicKey));
      expect(a.verify(fromHex(RFC6979.pub), ascii("sample"), fromHex(RFC6979.cases[0]!.r + RFC6979.cases[0]!.s))).toBe(true);
    }
  });
});
