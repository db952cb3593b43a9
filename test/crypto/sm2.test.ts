// SM2 known answers (GB/T 32918, curve sm2p256v1) on both builds:
// - the worked signature example of GM/T 0003.5-2012 / GB/T 32918.5 Annex A, k injected through
//   the module's `random` import (test/vectors/sm2-gmt0003.json);
// - fixed cases computed once with node:crypto and the openssl CLI (test/vectors/sm2-node.json,
//   made by test/vectors/make-sm2-vectors.mjs): public keys (edge scalars included), compressed
//   forms, ECDH values, signatures by node (empty ID) and by openssl (default and random IDs);
// - the typed API: encodings, DER, IDs, rejection sampling of d and k, large messages.
import { readFileSync } from "node:fs";
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TidWasm } from "../../bindings/wasm.js";
import { scriptedRandom } from "../support/scripted-random.js";
import { sm2Api, sm2SignatureFromDer, sm2SignatureToDer, SM2_DEFAULT_ID } from "../../bindings/sm2.js";
import { TidError } from "../../bindings/errors.js";
import { Status } from "../../bindings/status.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const vec = (name: string): any => JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), "utf8"));
const std = vec("sm2-gmt0003.json");
const kat = vec("sm2-node.json");
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const n = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const be32 = (v: bigint): Uint8Array => fromHex(v.toString(16).padStart(64, "0"));

/** node:crypto key objects for an SM2 public key x ‖ y (SPKI with the SM2 curve OID). */
function nodePublic(pub: Uint8Array) {
  return createPublicKey({
    key: Buffer.concat([Buffer.from("3059301306072a8648ce3d020106082a811ccf5501822d03420004", "hex"), pub]),
    format: "der",
    type: "spki",
  });
}
function nodePrivate(d: Uint8Array, pub: Uint8Array) {
  return createPrivateKey({
    key: Buffer.concat([Buffer.from("30770201010420", "hex"), d, Buffer.from("a00a06082a811ccf5501822da14403420004", "hex"), pub]),
    format: "der",
    type: "sec1",
  });
}

describe("SM2 ABI documentation", () => {
  it("docs/abi.md documents exactly the module's sm2_* exports", () => {
    const doc = readFileSync(new URL("../../docs/abi.md", import.meta.url), "utf8");
    const at = doc.indexOf("## SM2");
    const section = doc.slice(at, doc.indexOf("\n## ", at + 1));
    const documented = [...section.matchAll(/^\| `(sm2_\w*)` \|/gm)].map((m) => m[1]).sort();
    const exported = Object.keys(TidWasm.create().exports)
      .filter((k) => k.startsWith("sm2_"))
      .sort();
    expect(documented).toEqual(exported);
  });
});

describe.each(["debug", "release", "portable"] as const)("SM2 known answers (%s build)", (build) => {
  const sm2 = sm2Api(TidWasm.create({ build }));

  it("reproduces the GM/T 0003.5 signature example (public key, Z_A, r, s)", () => {
    const v = std.signature;
    const s2 = sm2Api(TidWasm.create({ build, imports: scriptedRandom(fromHex(v.k)) }));
    expect(toHex(s2.publicKeyFromPrivate(fromHex(v.d)))).toBe(v.pub);
    expect(toHex(s2.za(fromHex(v.pub), { id: v.idAscii }))).toBe(v.za);
    const sig = s2.sign(fromHex(v.d), ascii(v.messageAscii), { id: v.idAscii, publicKey: fromHex(v.pub) });
    expect(toHex(sig)).toBe(v.r + v.s);
    expect(sm2.verify(fromHex(v.pub), ascii(v.messageAscii), sig, { id: v.idAscii })).toBe(true);
    expect(sm2.verify(fromHex(v.pub), ascii(v.messageAscii), sig)).toBe(true); // default ID is the example's
    // the digest form with the published e gives the same signature
    const s3 = sm2Api(TidWasm.create({ build, imports: scriptedRandom(fromHex(v.k)) }));
    expect(toHex(s3.signDigest(fromHex(v.d), fromHex(v.e)))).toBe(v.r + v.s);
    expect(sm2.verifyDigest(fromHex(v.pub), fromHex(v.e), fromHex(v.r + v.s))).toBe(true);
    // [k]G is the example's (x1, y1): its public key is the point
    expect(toHex(sm2.publicKeyFromPrivate(fromHex(v.k)))).toBe(v.x1 + v.y1);
  });

  it("reproduces the public keys computed by node:crypto (edge scalars and random)", () => {
    for (const k of kat.keys) {
      expect(toHex(sm2.publicKeyFromPrivate(fromHex(k.d)))).toBe(k.pub);
      expect(toHex(sm2.encodePublicKey(fromHex(k.pub), "compressed"))).toBe(k.compressed);
      expect(toHex(sm2.decodePublicKey(fromHex(k.compressed)))).toBe(k.pub);
      expect(toHex(sm2.decodePublicKey(fromHex("04" + k.pub)))).toBe(k.pub);
    }
  });

  it("reproduces node:crypto's ECDH values", () => {
    for (const c of kat.ecdh) {
      expect(toHex(sm2.ecdh(fromHex(c.d), fromHex(c.peerPub)))).toBe(c.z);
      expect(toHex(sm2.ecdh(fromHex(c.d), fromHex("04" + c.peerPub)))).toBe(c.z);
      expect(toHex(sm2.ecdh(fromHex(c.d), sm2.encodePublicKey(fromHex(c.peerPub), "compressed")))).toBe(c.z);
    }
  });

  it("verifies node:crypto signatures (empty ID) and openssl CLI signatures (with IDs)", () => {
    for (const c of [...kat.signaturesNode, ...kat.signaturesOpenssl]) {
      const id = fromHex(c.id),
        msg = fromHex(c.msg),
        der = fromHex(c.der),
        pub = fromHex(c.pub);
      expect(sm2.verify(pub, msg, der, { id, der: true })).toBe(true);
      const raw = sm2SignatureFromDer(der)!;
      expect(sm2.verify(pub, msg, raw, { id })).toBe(true);
      expect(sm2.verify(pub, msg, raw, { id: new Uint8Array([...id, 0]) })).toBe(false);
      expect(toHex(sm2SignatureToDer(raw))).toBe(c.der); // OpenSSL's DER is strict DER
    }
  });

  it("signs messages node:crypto verifies (empty ID), in raw and DER form", () => {
    const { privateKey, publicKey } = sm2.generateKeyPair();
    const key = nodePublic(publicKey);
    for (const len of [0, 1, 55, 56, 64, 1000]) {
      const msg = crypto.getRandomValues(new Uint8Array(len));
      const der = sm2.sign(privateKey, msg, { id: "", der: true, publicKey });
      expect(nodeVerify("sm3", msg, key, der)).toBe(true);
      const raw = sm2.sign(privateKey, msg, { id: new Uint8Array(0) }); // public key derived
      expect(nodeVerify("sm3", msg, key, sm2SignatureToDer(raw))).toBe(true);
    }
    // and node's own signatures verify here
    const msg = ascii("tid-wasm");
    const nodeSig = nodeSign("sm3", msg, nodePrivate(privateKey, publicKey));
    expect(sm2.verify(publicKey, msg, nodeSig, { id: "", der: true })).toBe(true);
  });

  it("takes messages larger than the I/O region (hashed in pieces)", () => {
    const { privateKey, publicKey } = sm2.generateKeyPair();
    const big = crypto.getRandomValues(new Uint8Array(65536)).subarray(0, 60000);
    const huge = new Uint8Array(200_000).fill(7);
    huge.set(big);
    const sig = sm2.sign(privateKey, huge, { publicKey, id: "" });
    expect(nodeVerify("sm3", huge, nodePublic(publicKey), sm2SignatureToDer(sig))).toBe(true);
    expect(sm2.verify(publicKey, huge, sig, { id: "" })).toBe(true);
    huge[199_999] ^= 1;
    expect(sm2.verify(publicKey, huge, sig, { id: "" })).toBe(false);
  });

  it("uses the default ID 1234567812345678 and UTF-8 for string IDs", () => {
    const { privateKey, publicKey } = sm2.generateKeyPair();
    const msg = ascii("m");
    const sig = sm2.sign(privateKey, msg, { publicKey });
    expect(sm2.verify(publicKey, msg, sig, { id: SM2_DEFAULT_ID })).toBe(true);
    expect(sm2.verify(publicKey, msg, sig, { id: ascii(SM2_DEFAULT_ID) })).toBe(true);
    const sig2 = sm2.sign(privateKey, msg, { publicKey, id: "身份-ü" });
    expect(sm2.verify(publicKey, msg, sig2, { id: new TextEncoder().encode("身份-ü") })).toBe(true);
    const longest = new Uint8Array(8191).fill(0x41);
    const sig3 = sm2.sign(privateKey, msg, { publicKey, id: longest });
    expect(sm2.verify(publicKey, msg, sig3, { id: longest })).toBe(true);
    expect(() => sm2.sign(privateKey, msg, { id: new Uint8Array(8192) })).toThrow(/options\.id/);
  });

  it("draws private keys by rejection: 0 and ≥ n − 1 are skipped", () => {
    const good = be32(n - 2n);
    const s2 = sm2Api(TidWasm.create({ build, imports: scriptedRandom(be32(0n), be32(n - 1n), be32(n), fromHex("ff".repeat(32)), good) }));
    const kp = s2.generateKeyPair();
    expect(toHex(kp.privateKey)).toBe(toHex(good));
    expect(toHex(kp.publicKey)).toBe(kat.keys.find((k: any) => k.d === toHex(good)).pub);
  });

  it("draws k by rejection: 0 and ≥ n are skipped", () => {
    const v = std.signature;
    const s2 = sm2Api(TidWasm.create({ build, imports: scriptedRandom(be32(0n), be32(n), fromHex(v.k)) }));
    expect(toHex(s2.sign(fromHex(v.d), ascii(v.messageAscii), { publicKey: fromHex(v.pub) }))).toBe(v.r + v.s);
    // n − 1 is a valid k
    const s3 = sm2Api(TidWasm.create({ build, imports: scriptedRandom(be32(n - 1n)) }));
    const sig = s3.sign(fromHex(v.d), ascii("x"), { publicKey: fromHex(v.pub) });
    expect(sm2.verify(fromHex(v.pub), ascii("x"), sig)).toBe(true);
  });

  it("reports a failing entropy source as ERR_RNG_FAILED", () => {
    const s2 = sm2Api(TidWasm.create({ build, imports: { random: () => -1 } }));
    const err = (() => {
      try {
        s2.generateKeyPair();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TidError);
    expect((err as TidError).code).toBe(Status.ERR_RNG_FAILED);
    const v = std.signature;
    expect(() => s2.sign(fromHex(v.d), ascii("x"), { publicKey: fromHex(v.pub) })).toThrow(TidError);
  });

  it("encodes public keys in all three forms", () => {
    const { publicKey } = sm2.generateKeyPair();
    const u = sm2.encodePublicKey(publicKey, "uncompressed");
    const c = sm2.encodePublicKey(publicKey, "compressed");
    expect(u.length).toBe(65);
    expect(u[0]).toBe(4);
    expect(c.length).toBe(33);
    expect(c[0]).toBe(2 | (publicKey[63]! & 1));
    for (const form of [publicKey, u, c]) expect(toHex(sm2.encodePublicKey(form, "raw"))).toBe(toHex(publicKey));
    expect(() => sm2.encodePublicKey(publicKey, "pem" as never)).toThrow(RangeError);
  });

  it("DER encodes minimal integers and parses strictly", () => {
    const raw = new Uint8Array(64);
    raw[31] = 1;
    raw[32] = 0x80;
    const der = sm2SignatureToDer(raw);
    expect(toHex(der)).toBe("3026020101022100" + "80" + "00".repeat(31));
    expect(toHex(sm2SignatureFromDer(der)!)).toBe(toHex(raw));
  });

  it("verifies signatures whose t = r + s hits the wNAF's exceptional additions", () => {
    // t = n − 6 ends the wNAF by adding −3P to −3P; build valid (e, r, s) for such t with a
    // BigInt reference of the curve, and check the verifier accepts them and rejects neighbours
    const { publicKey } = sm2.generateKeyPair();
    const P = { x: BigInt("0x" + toHex(publicKey.subarray(0, 32))), y: BigInt("0x" + toHex(publicKey.subarray(32))) };
    for (const t of [n - 6n, n - 1n, n - 2n, 1n, 2n, 3n, 6n, 2n ** 255n]) {
      const s = 0x1234567890abcdefn + (t % 1000n);
      const r = (((t - s) % n) + n) % n;
      const R = ecAdd(ecMul(s, G), ecMul(t, P))!;
      const e = (((r - R.x) % n) + n) % n;
      const sig = fromHex(r.toString(16).padStart(64, "0") + s.toString(16).padStart(64, "0"));
      expect(sm2.verifyDigest(publicKey, be32(e), sig), `t = n − ${n - t}`).toBe(true);
      expect(sm2.verifyDigest(publicKey, be32((e + 1n) % n), sig)).toBe(false);
    }
  });

  it("checks argument types and lengths, naming the argument", () => {
    const { privateKey, publicKey } = sm2.generateKeyPair();
    expect(() => sm2.publicKeyFromPrivate(new Uint8Array(31))).toThrow(/privateKey must be 32 bytes/);
    expect(() => sm2.ecdh(privateKey, new Uint8Array(63))).toThrow(/peerPublicKey must be 64, 65, 33 bytes/);
    expect(() => sm2.ecdh("k" as never, publicKey)).toThrow(TypeError);
    expect(() => sm2.sign(privateKey, [1, 2] as never)).toThrow(/message must be a Uint8Array/);
    expect(() => sm2.verify(publicKey, new Uint8Array(1), new Uint8Array(63))).toThrow(/signature must be 64 bytes/);
    expect(() => sm2.signDigest(privateKey, new Uint8Array(31))).toThrow(/digest must be 32 bytes/);
  });
});

// A BigInt reference of the curve (affine, variable time), for building test cases only.
const p = 2n ** 256n - 2n ** 224n - 2n ** 96n + 2n ** 64n - 1n;
const G = {
  x: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  y: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};
type Pt = { x: bigint; y: bigint } | null;
const md = (a: bigint): bigint => ((a % p) + p) % p;
function inv(a: bigint): bigint {
  let r = 1n,
    b = md(a),
    e = p - 2n;
  for (; e > 0n; e >>= 1n, b = (b * b) % p) if (e & 1n) r = (r * b) % p;
  return r;
}
function ecAdd(a: Pt, b: Pt): Pt {
  if (!a) return b;
  if (!b) return a;
  if (a.x === b.x && md(a.y + b.y) === 0n) return null;
  const l = a.x === b.x ? md((3n * a.x * a.x - 3n) * inv(2n * a.y)) : md((b.y - a.y) * inv(b.x - a.x));
  const x = md(l * l - a.x - b.x);
  return { x, y: md(l * (a.x - x) - a.y) };
}
function ecMul(k: bigint, q: Pt): Pt {
  let r: Pt = null;
  for (let i = 255; i >= 0; i--) {
    r = ecAdd(r, r);
    if ((k >> BigInt(i)) & 1n) r = ecAdd(r, q);
  }
  return r;
}
