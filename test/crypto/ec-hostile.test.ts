// Hostile input for SM2 and P-256 (with ECDSA), on every build. Received points: off the curve, x or y ≥ p (including
// y + p, the same residue), all-zero / "infinity" encodings, bad prefixes, wrong lengths, x with
// no point. Scalars: 0, n − 1, n, 2^256 − 1. Signatures: r or s = 0 or ≥ n, every byte mutated,
// malformed DER (non-minimal, negative, long-form lengths, trailing bytes, wrong tags, truncated).
// Raw exports: out-of-bounds ranges, overlapping outputs. Every case ends in a distinct status
// (or a TypeError/RangeError naming the argument), never a trap and never output; the instance
// keeps working, and no private key, k or shared secret stays in linear memory.
import { describe, expect, it } from "vitest";
import { TidWasm, type HostImports } from "../../bindings/wasm.js";
import { sm2Api } from "../../bindings/sm2.js";
import { p256Api } from "../../bindings/p256.js";
import { ecSignatureToDer } from "../../bindings/ec-der.js";
import { TidError } from "../../bindings/errors.js";
import { Status } from "../../bindings/status.js";
import { contains, expectStatus } from "../support/assertions.js";
import { fromHex, toHex } from "../../reference/bytes.js";

/** A curve's binding as these tests use it (the SM2 and P-256 APIs both fit). */
interface SigningApi {
  generateKeyPair(): { privateKey: Uint8Array; publicKey: Uint8Array };
  publicKeyFromPrivate(d: Uint8Array): Uint8Array;
  ecdh(d: Uint8Array, pub: Uint8Array): Uint8Array;
  decodePublicKey(pub: Uint8Array): Uint8Array;
  encodePublicKey(pub: Uint8Array, format: "raw" | "uncompressed" | "compressed"): Uint8Array;
  sign(d: Uint8Array, msg: Uint8Array, options?: { der?: boolean }): Uint8Array;
  signDigest(d: Uint8Array, e: Uint8Array): Uint8Array;
  verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array, options?: { der?: boolean }): boolean;
  verifyStatus(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array, options?: { der?: boolean }): number;
}
interface Curve {
  name: string;
  prefix: "sm2" | "p256";
  p: bigint;
  n: bigint;
  /** the largest valid private key */
  maxPrivate: bigint;
  api(w: TidWasm): SigningApi;
  /** the export names of sign / verify / sign_digest / verify_digest */
  sig: { sign: string; verify: string; signDigest: string; verifyDigest: string };
}
const CURVES: Curve[] = [
  {
    name: "SM2",
    prefix: "sm2",
    p: 2n ** 256n - 2n ** 224n - 2n ** 96n + 2n ** 64n - 1n,
    n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
    maxPrivate: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n - 2n,
    api: sm2Api,
    sig: { sign: "sm2_sign", verify: "sm2_verify", signDigest: "sm2_sign_digest", verifyDigest: "sm2_verify_digest" },
  },
  {
    name: "P-256",
    prefix: "p256",
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    maxPrivate: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n - 1n,
    api: p256Api,
    sig: {
      sign: "ecdsa_p256_sign",
      verify: "ecdsa_p256_verify",
      signDigest: "ecdsa_p256_sign_digest",
      verifyDigest: "ecdsa_p256_verify_digest",
    },
  },
];
const CASES = CURVES.flatMap((c) => (["debug", "release", "portable"] as const).map((build) => [c, build] as const));
const be32 = (v: bigint): Uint8Array => fromHex((((v % 2n ** 256n) + 2n ** 256n) % 2n ** 256n).toString(16).padStart(64, "0"));
const int = (b: Uint8Array): bigint => BigInt("0x" + (toHex(b) || "0"));
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

describe.each(CASES)("%s hostile input on the %s build", (curve, build) => {
  const { p, n } = curve;
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const ec = curve.api(wasm);
  const fn = (name: string) => x[`${curve.prefix}_${name}`]!;
  const alice = ec.generateKeyPair();
  const bob = ec.generateKeyPair();
  const z = ec.ecdh(alice.privateKey, bob.publicKey);
  const memBytes = wasm.memory.buffer.byteLength;

  function stillWorks(): void {
    expect(toHex(ec.ecdh(bob.privateKey, alice.publicKey))).toBe(toHex(z));
    const msg = new Uint8Array([1, 2, 3]);
    expect(ec.verify(alice.publicKey, msg, ec.sign(alice.privateKey, msg))).toBe(true);
    expect(wasm.memory.buffer.byteLength).toBe(memBytes);
  }

  const X = alice.publicKey.subarray(0, 32),
    Y = alice.publicKey.subarray(32);
  // (x + p or y + p with the same residue would need a coordinate below 2^256 − p ≈ 2^224; any
  // encoding ≥ p is refused by the same range check, exercised here with p and 2^256 − 1.)
  const badPoints: [string, Uint8Array][] = [
    ["all zero (no encoding of infinity)", new Uint8Array(64)],
    [
      "y flipped in one bit (off the curve)",
      cat(
        X,
        Y.map((b, i) => (i === 31 ? b ^ 1 : b)),
      ),
    ],
    ["x = p", cat(be32(p), Y)],
    ["y = p", cat(X, be32(p))],
    ["x = 2^256 − 1", cat(fromHex("ff".repeat(32)), Y)],
    ["y = 2^256 − 1", cat(X, fromHex("ff".repeat(32)))],
    ["x = 0, y = 1", cat(be32(0n), be32(1n))],
    ["x = 1, y = 1", cat(be32(1n), be32(1n))],
    ["x and y swapped", cat(Y, X)],
  ];

  it("rejects every bad received point with ERR_BAD_POINT (ECDH, verify, decode)", () => {
    const sig = ec.sign(alice.privateKey, new Uint8Array(1));
    for (const [what, pt] of badPoints) {
      expect(pt.length, what).toBe(64);
      expectStatus(() => ec.ecdh(alice.privateKey, pt), Status.ERR_BAD_POINT);
      expectStatus(() => ec.ecdh(alice.privateKey, cat(new Uint8Array([4]), pt)), Status.ERR_BAD_POINT);
      expectStatus(() => ec.decodePublicKey(pt), Status.ERR_BAD_POINT);
      expect(ec.verifyStatus(pt, new Uint8Array(1), sig)).toBe(Status.ERR_BAD_POINT);
      expect(() => ec.verify(pt, new Uint8Array(1), sig)).toThrow(TidError);
      if (curve.prefix === "sm2") {
        expectStatus(() => sm2Api(wasm).sign(alice.privateKey, new Uint8Array(1), { publicKey: pt }), Status.ERR_BAD_POINT);
      }
    }
    stillWorks();
  });

  it("rejects bad prefixes, compressed x ≥ p or with no point, and wrong lengths", () => {
    const c = ec.encodePublicKey(alice.publicKey, "compressed");
    for (const prefix of [0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff]) {
      expectStatus(() => ec.decodePublicKey(cat(new Uint8Array([prefix]), c.subarray(1))), Status.ERR_BAD_POINT);
    }
    for (const prefix of [0x00, 0x02, 0x03, 0x06]) {
      expectStatus(() => ec.decodePublicKey(cat(new Uint8Array([prefix]), alice.publicKey)), Status.ERR_BAD_POINT);
    }
    expectStatus(() => ec.decodePublicKey(cat(new Uint8Array([2]), be32(p))), Status.ERR_BAD_POINT);
    expectStatus(() => ec.decodePublicKey(cat(new Uint8Array([3]), fromHex("ff".repeat(32)))), Status.ERR_BAD_POINT);
    // about half of all x have no point: find some and check they are refused, both parities
    let refused = 0;
    for (let t = 1n; refused < 4 && t < 200n; t++) {
      for (const prefix of [2, 3]) {
        try {
          ec.decodePublicKey(cat(new Uint8Array([prefix]), be32(t)));
        } catch (e) {
          expect((e as TidError).code).toBe(Status.ERR_BAD_POINT);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
    for (const len of [0, 1, 32, 34, 63, 66, 128]) {
      expect(() => ec.decodePublicKey(new Uint8Array(len))).toThrow(RangeError);
      expect(() => ec.ecdh(alice.privateKey, new Uint8Array(len))).toThrow(/peerPublicKey/);
    }
    // the raw export: lengths other than 33/64/65 are ERR_BAD_LENGTH
    const io = wasm.ioPtr;
    for (const len of [0, 1, 32, 34, 63, 66, 1000]) expect(fn("point_decode")(io, len, io + 2048)).toBe(Status.ERR_BAD_LENGTH);
    stillWorks();
  });

  it("rejects private keys outside [1, the curve's maximum] with ERR_BAD_SCALAR", () => {
    for (const d of [0n, curve.maxPrivate + 1n, n, n + 1n, 2n ** 256n - 1n]) {
      expectStatus(() => ec.publicKeyFromPrivate(be32(d)), Status.ERR_BAD_SCALAR);
      expectStatus(() => ec.ecdh(be32(d), bob.publicKey), Status.ERR_BAD_SCALAR);
      expectStatus(() => ec.sign(be32(d), new Uint8Array(1)), Status.ERR_BAD_SCALAR);
      expectStatus(() => ec.signDigest(be32(d), new Uint8Array(32)), Status.ERR_BAD_SCALAR);
    }
    // the largest valid key m: [m]G = −[n − m]G
    const minus = ec.publicKeyFromPrivate(be32(curve.maxPrivate));
    const plus = ec.publicKeyFromPrivate(be32(n - curve.maxPrivate));
    expect(toHex(minus.subarray(0, 32))).toBe(toHex(plus.subarray(0, 32)));
    expect(int(minus.subarray(32)) + int(plus.subarray(32))).toBe(p);
    stillWorks();
  });

  it("rejects r or s outside [1, n − 1] with ERR_BAD_SCALAR, distinct from a failed verification", () => {
    const msg = new Uint8Array([9]);
    const sig = ec.sign(alice.privateKey, msg);
    const r = sig.subarray(0, 32),
      s = sig.subarray(32);
    for (const bad of [0n, n, n + 1n, 2n ** 256n - 1n]) {
      expect(ec.verifyStatus(alice.publicKey, msg, cat(be32(bad), s))).toBe(Status.ERR_BAD_SCALAR);
      expect(ec.verifyStatus(alice.publicKey, msg, cat(r, be32(bad)))).toBe(Status.ERR_BAD_SCALAR);
      expect(ec.verify(alice.publicKey, msg, cat(r, be32(bad)))).toBe(false);
    }
    for (const edge of [1n, n - 1n]) {
      expect(ec.verifyStatus(alice.publicKey, msg, cat(be32(edge), s))).toBe(Status.ERR_VERIFY_FAILED);
      expect(ec.verifyStatus(alice.publicKey, msg, cat(r, be32(edge)))).toBe(Status.ERR_VERIFY_FAILED);
    }
    // SM2: r + s = n makes t = 0: rejected, not a trap; ECDSA: an ordinary wrong signature
    expect(ec.verifyStatus(alice.publicKey, msg, cat(be32(5n), be32(n - 5n)))).toBe(Status.ERR_VERIFY_FAILED);
    expect(ec.verifyStatus(alice.publicKey, msg, sig)).toBe(Status.OK);
    stillWorks();
  });

  it("rejects every single-byte mutation of a raw and a DER signature", () => {
    const msg = new Uint8Array([1, 2, 3, 4]);
    const raw = ec.sign(alice.privateKey, msg);
    for (let i = 0; i < 64; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const m = raw.slice();
        m[i]! ^= flip;
        const st = ec.verifyStatus(alice.publicKey, msg, m);
        expect([Status.ERR_VERIFY_FAILED, Status.ERR_BAD_SCALAR]).toContain(st);
      }
    }
    const der = ecSignatureToDer(raw);
    expect(ec.verify(alice.publicKey, msg, der, { der: true })).toBe(true);
    for (let i = 0; i < der.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const m = der.slice();
        m[i]! ^= flip;
        const st = ec.verifyStatus(alice.publicKey, msg, m, { der: true });
        expect([Status.ERR_VERIFY_FAILED, Status.ERR_BAD_SCALAR, Status.ERR_BAD_FORMAT]).toContain(st);
      }
    }
    // and a mutated message, ID or key
    expect(ec.verify(alice.publicKey, new Uint8Array([1, 2, 3, 5]), raw)).toBe(false);
    if (curve.prefix === "sm2") expect(sm2Api(wasm).verify(alice.publicKey, msg, raw, { id: "1234567812345679" })).toBe(false);
    expect(ec.verify(bob.publicKey, msg, raw)).toBe(false);
    stillWorks();
  });

  it("rejects malformed DER with ERR_BAD_FORMAT", () => {
    const msg = new Uint8Array([7]);
    const raw = ec.sign(alice.privateKey, msg);
    const der = ecSignatureToDer(raw);
    const r = raw.subarray(0, 32),
      s = raw.subarray(32);
    const int_ = (v: Uint8Array): Uint8Array => cat(new Uint8Array([2, v.length]), v);
    const seq = (...parts: Uint8Array[]): Uint8Array => {
      const body = cat(...parts);
      return cat(new Uint8Array([0x30, body.length]), body);
    };
    const minimal = (v: Uint8Array): Uint8Array => {
      let i = 0;
      while (i < 31 && v[i] === 0) i++;
      const b = v.subarray(i);
      return b[0]! & 0x80 ? cat(new Uint8Array([0]), b) : b;
    };
    const cases: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["truncated", der.subarray(0, der.length - 1)],
      ["trailing byte", cat(der, new Uint8Array([0]))],
      ["long-form length", cat(new Uint8Array([0x30, 0x81, der[1]!]), der.subarray(2))],
      ["wrong outer tag", cat(new Uint8Array([0x31]), der.subarray(1))],
      ["wrong inner tag", seq(cat(new Uint8Array([4, minimal(r).length]), minimal(r)), int_(minimal(s)))],
      ["extra leading zero", seq(int_(cat(new Uint8Array([0]), minimal(r))), int_(minimal(s)))],
      ["negative r", seq(int_(cat(new Uint8Array([0x80]), r)), int_(minimal(s)))],
      ["33-byte value", seq(int_(cat(new Uint8Array([1]), r)), int_(minimal(s)))],
      ["zero-length integer", seq(new Uint8Array([2, 0]), int_(minimal(s)))],
      ["one integer", seq(int_(minimal(r)))],
      ["three integers", seq(int_(minimal(r)), int_(minimal(s)), int_(new Uint8Array([1])))],
      ["raw bytes as DER", raw],
      ["length says more than present", cat(new Uint8Array([0x30, der[1]! + 1]), der.subarray(2))],
    ];
    for (const [what, bad] of cases) {
      expect(ec.verifyStatus(alice.publicKey, msg, bad, { der: true }), what).toBe(Status.ERR_BAD_FORMAT);
      expect(ec.verify(alice.publicKey, msg, bad, { der: true }), what).toBe(false);
    }
    stillWorks();
  });

  it("raw exports: out-of-bounds ranges and overlapping outputs return statuses, never trap", () => {
    const end = wasm.memory.buffer.byteLength,
      io = wasm.ioPtr;
    const huge = 0xffffffff;
    const sign = x[curve.sig.sign]!,
      verify = x[curve.sig.verify]!,
      signDigest = x[curve.sig.signDigest]!,
      verifyDigest = x[curve.sig.verifyDigest]!;
    // SM2's sign/verify take (d, pub, id, idLen, msg, msgLen, sig) / (pub, id, idLen, msg, msgLen,
    // sig); ECDSA's (d, msg, msgLen, sig) / (pub, msg, msgLen, sig)
    const sm = curve.prefix === "sm2";
    const calls: [string, () => number][] = [
      ["keygen d", () => fn("keygen")(end - 31, io)],
      ["keygen pub", () => fn("keygen")(io, end - 63)],
      ["keygen wrap", () => fn("keygen")(huge, io)],
      ["public_from_private", () => fn("public_from_private")(io, end)],
      ["ecdh peer", () => fn("ecdh")(io, end - 10, io + 100)],
      ["ecdh out", () => fn("ecdh")(io, io + 32, huge - 5)],
      ["decode", () => fn("point_decode")(end - 10, 33, io)],
      ["sign msg", () => (sm ? sign(io, io + 32, io + 96, 0, io + 200, huge, io + 300) : sign(io, io + 200, huge, io + 300))],
      ["sign out", () => (sm ? sign(io, io + 32, io + 96, 0, io + 200, 1, end - 1) : sign(io, io + 200, 1, end - 1))],
      ["verify sig", () => (sm ? verify(io, io + 64, 0, io + 200, 0, end - 63) : verify(io, io + 200, 0, end - 63))],
      ["sign_digest", () => signDigest(io, end - 1, io + 100)],
      ["verify_digest", () => verifyDigest(huge, io, io + 100)],
    ];
    for (const [what, call] of calls) expect(call(), what).toBe(Status.ERR_OUT_OF_BOUNDS);
    expect(fn("keygen")(io, io + 16)).toBe(Status.ERR_BAD_PARAM); // d and pub overlap
    if (sm) {
      expect(x.sm2_za!(io, io + 64, huge, io + 200)).toBe(Status.ERR_OUT_OF_BOUNDS);
      expect(x.sm2_za!(io, io + 64, 8192, io + 200)).toBe(Status.ERR_BAD_LENGTH);
      // an over-long ID reaching the wasm directly
      wasm.bytes().set(alice.privateKey, io);
      wasm.bytes().set(alice.publicKey, io + 32);
      expect(x.sm2_sign!(io, io + 32, io + 200, 8192, io + 200, 0, io + 9000)).toBe(Status.ERR_BAD_LENGTH);
      expect(x.sm2_verify!(io + 32, io + 200, 8192, io + 200, 0, io + 9000)).toBe(Status.ERR_BAD_LENGTH);
    }
    wasm.bytes().fill(0, io, io + 32);
    stillWorks();
  });

  it("leaves no private key, k or shared secret in linear memory", () => {
    let k = new Uint8Array(0);
    const host: HostImports = {
      random(out) {
        crypto.getRandomValues(out);
        if (out.length === 32) k = out.slice();
        return 0;
      },
    };
    const w2 = TidWasm.create({ build, imports: host });
    const s2 = curve.api(w2);
    const kp = s2.generateKeyPair();
    const d = kp.privateKey;
    const shared = s2.ecdh(d, bob.publicKey);
    s2.sign(d, new Uint8Array(10));
    const heap = w2.bytes();
    expect(contains(heap, d)).toBe(false);
    expect(contains(heap, k)).toBe(false);
    expect(contains(heap, shared)).toBe(false);
    expect(k.length).toBe(32);
  });
});
