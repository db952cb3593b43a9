// SM4-GCM on node:crypto's sm4-ecb (reference/sm4-gcm.ts) against RFC 8998 A.1, a GmSSL vector and
// sm-crypto-v2's independent GCM.
import { randomBytes } from "node:crypto";
import { sm4 as smv2 } from "sm-crypto-v2";
import { describe, expect, it } from "vitest";
import { Sm4Gcm, sm4GcmDecrypt, sm4GcmEncrypt } from "../../reference/sm4-gcm.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const hex = (b: Uint8Array | null): string => (b ? toHex(b) : "null");

// RFC 8998 Appendix A.1 (SM4-GCM test vector).
const rfc = {
  key: fromHex("0123456789ABCDEFFEDCBA9876543210"),
  iv: fromHex("00001234567800000000ABCD"),
  pt: fromHex(`AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB CCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD
         EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFF EEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA`),
  aad: fromHex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2"),
  ct: fromHex(`17F399F08C67D5EE19D0DC9969C4BB7D 5FD46FD3756489069157B282BB200735
         D82710CA5C22F0CCFA7CBF93D496AC15 A56834CBCF98C397B4024A2691233B8D`),
  tag: fromHex("83DE3541E4C2B58177E065A9BF7B62EC"),
};

function v2Encrypt(key: Uint8Array, iv: Uint8Array, pt: Uint8Array, aad: Uint8Array) {
  const r = smv2.encrypt(pt, key, { mode: "gcm", iv, associatedData: aad, output: "array", padding: "none", outputTag: true });
  return { ciphertext: r.output, tag: r.tag! };
}

describe("SM4-GCM", () => {
  it("RFC 8998 A.1 encrypt", () => {
    const r = sm4GcmEncrypt(rfc.key, rfc.iv, rfc.pt, rfc.aad);
    expect(hex(r.ciphertext)).toBe(hex(rfc.ct));
    expect(hex(r.tag)).toBe(hex(rfc.tag));
  });

  it("RFC 8998 A.1 decrypt; any flipped bit is rejected", () => {
    expect(hex(sm4GcmDecrypt(rfc.key, rfc.iv, rfc.ct, rfc.tag, rfc.aad))).toBe(hex(rfc.pt));
    for (const [name, buf] of Object.entries({ ct: rfc.ct, tag: rfc.tag, aad: rfc.aad, iv: rfc.iv })) {
      for (let i = 0; i < buf.length; i += 7) {
        const bad = { ...rfc, [name]: buf.slice() } as typeof rfc;
        bad[name as "ct"][i]! ^= 0x80;
        expect(sm4GcmDecrypt(bad.key, bad.iv, bad.ct, bad.tag, bad.aad), `${name}[${i}]`).toBeNull();
      }
    }
  });

  it("GmSSL python test vector (3-byte message, 12-byte IV)", () => {
    const te = new TextEncoder();
    const r = sm4GcmEncrypt(
      te.encode("1234567812345678"),
      te.encode("0123456789ab"),
      te.encode("abc"),
      te.encode("Additional Authenticated Data"),
    );
    expect(hex(r.ciphertext) + hex(r.tag)).toBe("7d8bd8fdc7ea3b04c15fb61863f2292c15eeaa");
  });

  it("matches sm-crypto-v2 on random inputs of every length 0..100", () => {
    for (let n = 0; n <= 100; n++) {
      const key = randomBytes(16),
        iv = randomBytes(12),
        pt = randomBytes(n),
        aad = randomBytes(n % 37);
      const mine = sm4GcmEncrypt(key, iv, pt, aad);
      const theirs = v2Encrypt(key, iv, pt, aad);
      expect(hex(mine.ciphertext), `n=${n}`).toBe(hex(theirs.ciphertext));
      expect(hex(mine.tag), `n=${n}`).toBe(hex(theirs.tag));
    }
  });

  it("non-96-bit IVs follow SP 800-38D (checked against sm-crypto-v2)", () => {
    const key = randomBytes(16),
      pt = randomBytes(33),
      aad = randomBytes(5);
    for (const ivLen of [1, 8, 16, 20]) {
      const iv = randomBytes(ivLen);
      const mine = sm4GcmEncrypt(key, iv, pt, aad);
      expect(hex(sm4GcmDecrypt(key, iv, mine.ciphertext, mine.tag, aad))).toBe(hex(pt));
      const theirs = v2Encrypt(key, iv, pt, aad);
      expect(hex(mine.ciphertext), `iv ${ivLen}`).toBe(hex(theirs.ciphertext));
      expect(hex(mine.tag), `iv ${ivLen}`).toBe(hex(theirs.tag));
    }
  });

  it("one key object reused for many messages", () => {
    const g = new Sm4Gcm(rfc.key);
    for (let i = 0; i < 3; i++) {
      const r = g.encrypt(rfc.iv, rfc.pt, rfc.aad);
      expect(hex(r.tag)).toBe(hex(rfc.tag));
      expect(hex(g.decrypt(rfc.iv, r.ciphertext, r.tag, rfc.aad))).toBe(hex(rfc.pt));
    }
    g.destroy();
  });

  it("argument errors", () => {
    expect(() => new Sm4Gcm(new Uint8Array(15))).toThrow(RangeError);
    expect(() => sm4GcmEncrypt(rfc.key, new Uint8Array(0), rfc.pt)).toThrow(RangeError);
    expect(() => sm4GcmDecrypt(rfc.key, rfc.iv, rfc.ct, rfc.tag.subarray(0, 12))).toThrow(RangeError);
    expect(() => sm4GcmEncrypt(rfc.key, rfc.iv, "x" as unknown as Uint8Array)).toThrow(TypeError);
  });
});
