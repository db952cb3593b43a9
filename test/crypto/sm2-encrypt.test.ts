// SM2 public-key encryption (GB/T 32918.4-2016, C1 ‖ C3 ‖ C2) on both builds: the worked example
// of GM/T 0003.5 / GB/T 32918.5 Annex C (k injected through `random`), round trips, sm-crypto-v2
// both ways (random messages), the openssl CLI both ways (its GM/T 0009 ASN.1 form converted),
// and hostile ciphertexts: every byte mutated, truncated, wrong C1 prefix or point, wrong key —
// a distinct status and no output.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { sm2 as v2 } from "sm-crypto-v2";
import { afterAll, describe, expect, it } from "vitest";
import { TidWasm, type HostImports } from "../../bindings/wasm.js";
import { sm2Api, SM2_CIPHER_OVERHEAD } from "../../bindings/sm2.js";
import { TidError } from "../../bindings/errors.js";
import { Status } from "../../bindings/status.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const std = JSON.parse(readFileSync(new URL("../vectors/sm2-gmt0003.json", import.meta.url), "utf8")).encryption;
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

function statusOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof TidError) return e.code;
    throw e;
  }
  return Status.OK;
}

// GM/T 0009 ASN.1: SEQUENCE { x INTEGER, y INTEGER, C3 OCTET STRING, C2 OCTET STRING }
function derLen(n: number): Uint8Array {
  return n < 128 ? new Uint8Array([n]) : n < 256 ? new Uint8Array([0x81, n]) : new Uint8Array([0x82, n >> 8, n & 255]);
}
function tlv(tag: number, body: Uint8Array): Uint8Array {
  return cat(new Uint8Array([tag]), derLen(body.length), body);
}
function derInt(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const b = v.subarray(i);
  return tlv(2, b[0]! & 0x80 ? cat(new Uint8Array([0]), b) : b);
}
function toAsn1(c: Uint8Array): Uint8Array {
  return tlv(0x30, cat(derInt(c.subarray(1, 33)), derInt(c.subarray(33, 65)), tlv(4, c.subarray(65, 97)), tlv(4, c.subarray(97))));
}
function fromAsn1(a: Uint8Array): Uint8Array {
  let pos = 0;
  const read = (): Uint8Array => {
    pos++; // tag
    let len = a[pos++]!;
    if (len & 0x80) {
      const k = len & 0x7f;
      len = 0;
      for (let i = 0; i < k; i++) len = (len << 8) | a[pos++]!;
    }
    const body = a.subarray(pos, pos + len);
    pos += len;
    return body;
  };
  const seq = read();
  a = seq;
  pos = 0;
  const fix = (v: Uint8Array): Uint8Array => {
    const t = v.length > 32 ? v.subarray(v.length - 32) : v;
    return cat(new Uint8Array(32 - t.length), t);
  };
  const x = fix(read()),
    y = fix(read()),
    c3 = read(),
    c2 = read();
  return cat(new Uint8Array([4]), x, y, c3, c2);
}

let opensslOk = true;
try {
  execFileSync("openssl", ["version"]);
} catch {
  opensslOk = false;
}
const dir = mkdtempSync(join(tmpdir(), "sm2-enc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(["debug", "release", "portable"] as const)("SM2 encryption (%s build)", (build) => {
  const wasm = TidWasm.create({ build });
  const sm2 = sm2Api(wasm);

  it("reproduces the GM/T 0003.5 Annex C example and decrypts it", () => {
    const k = fromHex(std.k);
    const host: HostImports = { random: (out) => (out.set(k), 0) };
    const s2 = sm2Api(TidWasm.create({ build, imports: host }));
    const pub = s2.publicKeyFromPrivate(fromHex(std.d));
    const c = s2.encrypt(pub, new TextEncoder().encode(std.messageAscii));
    expect(toHex(c)).toBe(std.c1 + std.c3 + std.c2);
    expect(new TextDecoder().decode(sm2.decrypt(fromHex(std.d), c))).toBe(std.messageAscii);
  });

  it("refuses a ciphertext whose KDF output t is all zero (GB/T 32918.4 §7.1 B4), as OpenSSL does", () => {
    // Made once by sm-crypto-v2 1.15.1, which does not draw a new k when t = 0 (so C2 = M = eb);
    // \`openssl pkeyutl -decrypt\` (3.0.19) refuses it too (ossl_sm2_decrypt, reason 104).
    const d = fromHex("7496363fdb1832fa357273d42a198a866b26838c6cc2f55b355ea2f410f25cd7");
    const c = fromHex(
      "041925e7f9983b116cdee001386e15b2707707f07cc055cb26b3e3bba3cb9fd6d6470634c8ca387f615df7fe45ebef" +
        "5098b1446a8d5420e16e185ece397bd94c751ba6c0df8e8c4c9faaf4a721741f764e0cfdf80cc1be75a1c830e70c36fef886eb",
    );
    expect(() => sm2.decrypt(d, c)).toThrow(TidError);
  });

  it("round-trips and interoperates with sm-crypto-v2 both ways", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (msg) => {
        const kp = v2.generateKeyPairHex();
        const d = fromHex(kp.privateKey.padStart(64, "0")),
          pub = fromHex(kp.publicKey.slice(2));
        const c = sm2.encrypt(pub, msg);
        expect(c.length).toBe(SM2_CIPHER_OVERHEAD + msg.length);
        expect(toHex(sm2.decrypt(d, c))).toBe(toHex(msg));
        // sm-crypto-v2 writes C1 without its 04 prefix (cipherMode 1 = C1 ‖ C3 ‖ C2)
        expect(toHex(v2.doDecrypt(toHex(c.subarray(1)), kp.privateKey, 1, { output: "array" }))).toBe(toHex(msg));
        const vc = fromHex("04" + v2.doEncrypt(msg, kp.publicKey, 1));
        if (toHex(vc.subarray(97)) === toHex(msg)) {
          // C2 = M: the KDF output t was all zero. GB/T 32918.4 §6.1 A5 says to draw a new k then,
          // which sm-crypto-v2 does not do (about 1 in 256 one-byte messages); decryption step B4
          // must refuse such a ciphertext, and the wasm does.
          expect(() => sm2.decrypt(d, vc)).toThrow(TidError);
        } else {
          expect(toHex(sm2.decrypt(d, vc))).toBe(toHex(msg));
        }
      }),
      { numRuns: 60 },
    );
    const big = new Uint8Array(sm2.maxEncryptLength).fill(0x5a);
    const kp = sm2.generateKeyPair();
    expect(toHex(sm2.decrypt(kp.privateKey, sm2.encrypt(kp.publicKey, big)))).toBe(toHex(big));
    expect(() => sm2.encrypt(kp.publicKey, new Uint8Array(sm2.maxEncryptLength + 1))).toThrow(RangeError);
    expect(() => sm2.encrypt(kp.publicKey, new Uint8Array(0))).toThrow(/message must be at least 1 bytes/);
  });

  it.runIf(opensslOk)("interoperates with the openssl CLI both ways (GM/T 0009 ASN.1 form)", () => {
    for (const len of [1, 31, 32, 33, 100]) {
      const kp = sm2.generateKeyPair();
      const msg = crypto.getRandomValues(new Uint8Array(len));
      const key = join(dir, `${build}.k.der`),
        pubf = join(dir, `${build}.p.der`);
      const inf = join(dir, `${build}.in`),
        outf = join(dir, `${build}.out`);
      writeFileSync(
        key,
        Buffer.concat([
          Buffer.from("30770201010420", "hex"),
          kp.privateKey,
          Buffer.from("a00a06082a811ccf5501822da14403420004", "hex"),
          kp.publicKey,
        ]),
      );
      writeFileSync(pubf, Buffer.concat([Buffer.from("3059301306072a8648ce3d020106082a811ccf5501822d03420004", "hex"), kp.publicKey]));
      writeFileSync(inf, toAsn1(sm2.encrypt(kp.publicKey, msg)));
      execFileSync("openssl", ["pkeyutl", "-decrypt", "-keyform", "DER", "-inkey", key, "-in", inf, "-out", outf]);
      expect(toHex(readFileSync(outf))).toBe(toHex(msg));
      writeFileSync(inf, msg);
      execFileSync("openssl", ["pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", pubf, "-in", inf, "-out", outf]);
      const oc = fromAsn1(new Uint8Array(readFileSync(outf)));
      if (toHex(oc.subarray(97)) === toHex(msg)) {
        // C2 = M: the KDF output t was all zero. OpenSSL releases whose ossl_sm2_encrypt does not
        // draw a new k then (GB/T 32918.4 §6.1 A5) make one for about 1 in 256 one-byte messages;
        // decryption step B4 must refuse it, and the wasm does.
        expect(statusOf(() => sm2.decrypt(kp.privateKey, oc))).toBe(Status.ERR_VERIFY_FAILED);
      } else {
        expect(toHex(sm2.decrypt(kp.privateKey, oc))).toBe(toHex(msg));
      }
    }
  });

  it("rejects altered ciphertexts with a distinct status and writes nothing", () => {
    const kp = sm2.generateKeyPair(),
      other = sm2.generateKeyPair();
    const msg = new TextEncoder().encode("attack at dawn, 33 bytes long...");
    const c = sm2.encrypt(kp.publicKey, msg);
    for (let i = 0; i < c.length; i++) {
      const m = c.slice();
      m[i]! ^= i === 0 ? 0x06 : 0x01;
      const st = statusOf(() => sm2.decrypt(kp.privateKey, m));
      expect(i < 65 ? [Status.ERR_BAD_POINT] : [Status.ERR_VERIFY_FAILED]).toContain(st);
    }
    expect(statusOf(() => sm2.decrypt(other.privateKey, c))).toBe(Status.ERR_VERIFY_FAILED);
    // a valid point as C1 but not the sender's: C3 fails
    expect(statusOf(() => sm2.decrypt(kp.privateKey, cat(new Uint8Array([4]), other.publicKey, c.subarray(65))))).toBe(
      Status.ERR_VERIFY_FAILED,
    );
    for (const prefix of [0, 2, 3, 5]) {
      expect(statusOf(() => sm2.decrypt(kp.privateKey, cat(new Uint8Array([prefix]), c.subarray(1))))).toBe(Status.ERR_BAD_POINT);
    }
    expect(() => sm2.decrypt(kp.privateKey, c.subarray(0, 97))).toThrow(RangeError);
    expect(statusOf(() => sm2.decrypt(fromHex("00".repeat(32)), c))).toBe(Status.ERR_BAD_SCALAR);
    expect(statusOf(() => sm2.encrypt(new Uint8Array(64), msg))).toBe(Status.ERR_BAD_POINT);
    // the raw export writes nothing on failure, and checks lengths, ranges and overlap
    const x = wasm.exports,
      io = wasm.ioPtr,
      out = io + 20000;
    wasm.bytes().set(kp.privateKey, io);
    const bad = c.slice();
    bad[100]! ^= 1;
    wasm.bytes().set(bad, io + 1024);
    wasm.bytes().fill(0xee, out, out + msg.length);
    expect(x.sm2_decrypt!(io, io + 1024, bad.length, out)).toBe(Status.ERR_VERIFY_FAILED);
    expect(
      wasm
        .bytes()
        .subarray(out, out + msg.length)
        .every((b) => b === 0xee),
    ).toBe(true);
    expect(x.sm2_decrypt!(io, io + 1024, 97, out)).toBe(Status.ERR_BAD_LENGTH);
    expect(x.sm2_decrypt!(io, io + 1024, bad.length, io + 1030)).toBe(Status.ERR_BAD_PARAM);
    expect(x.sm2_decrypt!(io, wasm.memory.buffer.byteLength - 50, 100, out)).toBe(Status.ERR_OUT_OF_BOUNDS);
    wasm.bytes().set(kp.publicKey, io + 32);
    expect(x.sm2_encrypt!(io + 32, io + 1024, 0, out)).toBe(Status.ERR_BAD_LENGTH);
    expect(x.sm2_encrypt!(io + 32, io + 1024, 10, io + 1000)).toBe(Status.ERR_BAD_PARAM);
    expect(x.sm2_encrypt!(io + 32, io + 1024, 0xffffffff, out)).toBe(Status.ERR_OUT_OF_BOUNDS);
    wasm.bytes().fill(0, io, io + 32);
    // still works
    expect(toHex(sm2.decrypt(kp.privateKey, c))).toBe(toHex(msg));
  });
});
