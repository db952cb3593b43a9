// Hostile input for SM2, on both builds. Received points: off the curve, x or y ≥ p (including
// y + p, the same residue), all-zero / "infinity" encodings, bad prefixes, wrong lengths, x with
// no point. Scalars: 0, n − 1, n, 2^256 − 1. Signatures: r or s = 0 or ≥ n, every byte mutated,
// malformed DER (non-minimal, negative, long-form lengths, trailing bytes, wrong tags, truncated).
// Raw exports: out-of-bounds ranges, overlapping outputs. Every case ends in a distinct status
// (or a TypeError/RangeError naming the argument), never a trap and never output; the instance
// keeps working, and no private key, k or shared secret stays in linear memory.
import { describe, expect, it } from "vitest";
import { TidWasm, type HostImports } from "../../bindings/wasm.js";
import { sm2Api, sm2SignatureToDer } from "../../bindings/sm2.js";
import { TidError } from "../../bindings/errors.js";
import { Status } from "../../bindings/status.js";
import { contains, expectStatus } from "../support/assertions.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const p = 2n ** 256n - 2n ** 224n - 2n ** 96n + 2n ** 64n - 1n;
const n = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const be32 = (v: bigint): Uint8Array => fromHex((((v % 2n ** 256n) + 2n ** 256n) % 2n ** 256n).toString(16).padStart(64, "0"));
const int = (b: Uint8Array): bigint => BigInt("0x" + (toHex(b) || "0"));
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

describe.each(["debug", "release", "portable"] as const)("SM2 hostile input on the %s build", (build) => {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const sm2 = sm2Api(wasm);
  const alice = sm2.generateKeyPair();
  const bob = sm2.generateKeyPair();
  const z = sm2.ecdh(alice.privateKey, bob.publicKey);
  const memBytes = wasm.memory.buffer.byteLength;

  function stillWorks(): void {
    expect(toHex(sm2.ecdh(bob.privateKey, alice.publicKey))).toBe(toHex(z));
    const msg = new Uint8Array([1, 2, 3]);
    expect(sm2.verify(alice.publicKey, msg, sm2.sign(alice.privateKey, msg, { publicKey: alice.publicKey }))).toBe(true);
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
    const sig = sm2.sign(alice.privateKey, new Uint8Array(1), { publicKey: alice.publicKey });
    for (const [what, pt] of badPoints) {
      expect(pt.length, what).toBe(64);
      expectStatus(() => sm2.ecdh(alice.privateKey, pt), Status.ERR_BAD_POINT);
      expectStatus(() => sm2.ecdh(alice.privateKey, cat(new Uint8Array([4]), pt)), Status.ERR_BAD_POINT);
      expectStatus(() => sm2.decodePublicKey(pt), Status.ERR_BAD_POINT);
      expect(sm2.verifyStatus(pt, new Uint8Array(1), sig)).toBe(Status.ERR_BAD_POINT);
      expect(() => sm2.verify(pt, new Uint8Array(1), sig)).toThrow(TidError);
      expectStatus(() => sm2.sign(alice.privateKey, new Uint8Array(1), { publicKey: pt }), Status.ERR_BAD_POINT);
    }
    stillWorks();
  });

  it("rejects bad prefixes, compressed x ≥ p or with no point, and wrong lengths", () => {
    const c = sm2.encodePublicKey(alice.publicKey, "compressed");
    for (const prefix of [0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff]) {
      expectStatus(() => sm2.decodePublicKey(cat(new Uint8Array([prefix]), c.subarray(1))), Status.ERR_BAD_POINT);
    }
    for (const prefix of [0x00, 0x02, 0x03, 0x06]) {
      expectStatus(() => sm2.decodePublicKey(cat(new Uint8Array([prefix]), alice.publicKey)), Status.ERR_BAD_POINT);
    }
    expectStatus(() => sm2.decodePublicKey(cat(new Uint8Array([2]), be32(p))), Status.ERR_BAD_POINT);
    expectStatus(() => sm2.decodePublicKey(cat(new Uint8Array([3]), fromHex("ff".repeat(32)))), Status.ERR_BAD_POINT);
    // about half of all x have no point: find some and check they are refused, both parities
    let refused = 0;
    for (let t = 1n; refused < 4 && t < 200n; t++) {
      for (const prefix of [2, 3]) {
        try {
          sm2.decodePublicKey(cat(new Uint8Array([prefix]), be32(t)));
        } catch (e) {
          expect((e as TidError).code).toBe(Status.ERR_BAD_POINT);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
    for (const len of [0, 1, 32, 34, 63, 66, 128]) {
      expect(() => sm2.decodePublicKey(new Uint8Array(len))).toThrow(RangeError);
      expect(() => sm2.ecdh(alice.privateKey, new Uint8Array(len))).toThrow(/peerPublicKey/);
    }
    // the raw export: lengths other than 33/64/65 are ERR_BAD_LENGTH
    const io = wasm.ioPtr;
    for (const len of [0, 1, 32, 34, 63, 66, 1000]) expect(x.sm2_point_decode!(io, len, io + 2048)).toBe(Status.ERR_BAD_LENGTH);
    stillWorks();
  });

  it("rejects private keys outside [1, n − 2] with ERR_BAD_SCALAR", () => {
    for (const d of [0n, n - 1n, n, n + 1n, 2n ** 256n - 1n]) {
      expectStatus(() => sm2.publicKeyFromPrivate(be32(d)), Status.ERR_BAD_SCALAR);
      expectStatus(() => sm2.ecdh(be32(d), bob.publicKey), Status.ERR_BAD_SCALAR);
      expectStatus(() => sm2.sign(be32(d), new Uint8Array(1), { publicKey: alice.publicKey }), Status.ERR_BAD_SCALAR);
      expectStatus(() => sm2.signDigest(be32(d), new Uint8Array(32)), Status.ERR_BAD_SCALAR);
    }
    // n − 2 is the largest valid key: [n − 2]G = −2G
    const minus2G = sm2.publicKeyFromPrivate(be32(n - 2n));
    const twoG = sm2.publicKeyFromPrivate(be32(2n));
    expect(toHex(minus2G.subarray(0, 32))).toBe(toHex(twoG.subarray(0, 32)));
    expect(int(minus2G.subarray(32)) + int(twoG.subarray(32))).toBe(p);
    stillWorks();
  });

  it("rejects r or s outside [1, n − 1] with ERR_BAD_SCALAR, distinct from a failed verification", () => {
    const msg = new Uint8Array([9]);
    const sig = sm2.sign(alice.privateKey, msg, { publicKey: alice.publicKey });
    const r = sig.subarray(0, 32),
      s = sig.subarray(32);
    for (const bad of [0n, n, n + 1n, 2n ** 256n - 1n]) {
      expect(sm2.verifyStatus(alice.publicKey, msg, cat(be32(bad), s))).toBe(Status.ERR_BAD_SCALAR);
      expect(sm2.verifyStatus(alice.publicKey, msg, cat(r, be32(bad)))).toBe(Status.ERR_BAD_SCALAR);
      expect(sm2.verify(alice.publicKey, msg, cat(r, be32(bad)))).toBe(false);
    }
    for (const edge of [1n, n - 1n]) {
      expect(sm2.verifyStatus(alice.publicKey, msg, cat(be32(edge), s))).toBe(Status.ERR_VERIFY_FAILED);
      expect(sm2.verifyStatus(alice.publicKey, msg, cat(r, be32(edge)))).toBe(Status.ERR_VERIFY_FAILED);
    }
    // r + s = n makes t = 0: rejected, not a trap
    expect(sm2.verifyStatus(alice.publicKey, msg, cat(be32(5n), be32(n - 5n)))).toBe(Status.ERR_VERIFY_FAILED);
    expect(sm2.verifyStatus(alice.publicKey, msg, sig)).toBe(Status.OK);
    stillWorks();
  });

  it("rejects every single-byte mutation of a raw and a DER signature", () => {
    const msg = new Uint8Array([1, 2, 3, 4]);
    const raw = sm2.sign(alice.privateKey, msg, { publicKey: alice.publicKey });
    for (let i = 0; i < 64; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const m = raw.slice();
        m[i]! ^= flip;
        const st = sm2.verifyStatus(alice.publicKey, msg, m);
        expect([Status.ERR_VERIFY_FAILED, Status.ERR_BAD_SCALAR]).toContain(st);
      }
    }
    const der = sm2SignatureToDer(raw);
    expect(sm2.verify(alice.publicKey, msg, der, { der: true })).toBe(true);
    for (let i = 0; i < der.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const m = der.slice();
        m[i]! ^= flip;
        const st = sm2.verifyStatus(alice.publicKey, msg, m, { der: true });
        expect([Status.ERR_VERIFY_FAILED, Status.ERR_BAD_SCALAR, Status.ERR_BAD_FORMAT]).toContain(st);
      }
    }
    // and a mutated message, ID or key
    expect(sm2.verify(alice.publicKey, new Uint8Array([1, 2, 3, 5]), raw)).toBe(false);
    expect(sm2.verify(alice.publicKey, msg, raw, { id: "1234567812345679" })).toBe(false);
    expect(sm2.verify(bob.publicKey, msg, raw)).toBe(false);
    stillWorks();
  });

  it("rejects malformed DER with ERR_BAD_FORMAT", () => {
    const msg = new Uint8Array([7]);
    const raw = sm2.sign(alice.privateKey, msg, { publicKey: alice.publicKey });
    const der = sm2SignatureToDer(raw);
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
      expect(sm2.verifyStatus(alice.publicKey, msg, bad, { der: true }), what).toBe(Status.ERR_BAD_FORMAT);
      expect(sm2.verify(alice.publicKey, msg, bad, { der: true }), what).toBe(false);
    }
    stillWorks();
  });

  it("raw exports: out-of-bounds ranges and overlapping outputs return statuses, never trap", () => {
    const end = wasm.memory.buffer.byteLength,
      io = wasm.ioPtr;
    const huge = 0xffffffff;
    const calls: [string, () => number][] = [
      ["keygen d", () => x.sm2_keygen!(end - 31, io)],
      ["keygen pub", () => x.sm2_keygen!(io, end - 63)],
      ["keygen wrap", () => x.sm2_keygen!(huge, io)],
      ["public_from_private", () => x.sm2_public_from_private!(io, end)],
      ["ecdh peer", () => x.sm2_ecdh!(io, end - 10, io + 100)],
      ["ecdh out", () => x.sm2_ecdh!(io, io + 32, huge - 5)],
      ["decode", () => x.sm2_point_decode!(end - 10, 33, io)],
      ["za id", () => x.sm2_za!(io, io + 64, huge, io + 200)],
      ["sign msg", () => x.sm2_sign!(io, io + 32, io + 96, 0, io + 200, huge, io + 300)],
      ["sign out", () => x.sm2_sign!(io, io + 32, io + 96, 0, io + 200, 1, end - 1)],
      ["verify sig", () => x.sm2_verify!(io, io + 64, 0, io + 200, 0, end - 63)],
      ["sign_digest", () => x.sm2_sign_digest!(io, end - 1, io + 100)],
      ["verify_digest", () => x.sm2_verify_digest!(huge, io, io + 100)],
    ];
    for (const [what, call] of calls) expect(call(), what).toBe(Status.ERR_OUT_OF_BOUNDS);
    expect(x.sm2_keygen!(io, io + 16)).toBe(Status.ERR_BAD_PARAM); // d and pub overlap
    expect(x.sm2_za!(io, io + 64, 8192, io + 200)).toBe(Status.ERR_BAD_LENGTH);
    // an over-long ID reaching the wasm directly
    wasm.bytes().set(alice.privateKey, io);
    wasm.bytes().set(alice.publicKey, io + 32);
    expect(x.sm2_sign!(io, io + 32, io + 200, 8192, io + 200, 0, io + 9000)).toBe(Status.ERR_BAD_LENGTH);
    expect(x.sm2_verify!(io + 32, io + 200, 8192, io + 200, 0, io + 9000)).toBe(Status.ERR_BAD_LENGTH);
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
    const s2 = sm2Api(w2);
    const kp = s2.generateKeyPair();
    const d = kp.privateKey;
    const shared = s2.ecdh(d, bob.publicKey);
    s2.sign(d, new Uint8Array(10), { publicKey: kp.publicKey });
    const heap = w2.bytes();
    expect(contains(heap, d)).toBe(false);
    expect(contains(heap, k)).toBe(false);
    expect(contains(heap, shared)).toBe(false);
    expect(k.length).toBe(32);
  });
});
