// Differential, property-based tests: Sm4Key against node:crypto (OpenSSL 3 sm4-ecb / sm4-cbc /
// sm4-ctr) over random keys, IVs, lengths 0..4096 and byte offsets, both directions, with and
// without PKCS#7 padding; GCM seal/open round trips against the CTR keystream of node:crypto;
// CMAC against the NIST SP 800-38B construction built here from node:crypto's SM4.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Sm4Key } from "../../bindings/sm4.js";
import { TidWasm } from "../../bindings/wasm.js";

const RUNS = 300;

function node(
  mode: "ecb" | "cbc" | "ctr",
  key: Uint8Array,
  iv: Uint8Array | null,
  data: Uint8Array,
  encrypt: boolean,
  padding: boolean,
): Buffer {
  const c = encrypt ? createCipheriv(`sm4-${mode}`, key, iv) : createDecipheriv(`sm4-${mode}`, key, iv);
  c.setAutoPadding(padding);
  return Buffer.concat([c.update(data), c.final()]);
}

/** CMAC (NIST SP 800-38B) built here from node:crypto's SM4 (ECB for L, CBC for the chain). */
function refCmac(key: Uint8Array, msg: Uint8Array): string {
  const dbl = (b: Buffer): Buffer => {
    const o = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) o[i] = ((b[i]! << 1) | (i < 15 ? b[i + 1]! >> 7 : 0)) & 255;
    if (b[0]! & 0x80) o[15]! ^= 0x87;
    return o;
  };
  const L = node("ecb", key, null, new Uint8Array(16), true, false);
  const k1 = dbl(L),
    k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(msg.length / 16));
  const complete = msg.length > 0 && msg.length % 16 === 0;
  const last = Buffer.alloc(16);
  const tail = msg.subarray((n - 1) * 16);
  last.set(tail);
  if (!complete) last[tail.length] = 0x80;
  const k = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) last[i]! ^= k[i]!;
  const chain = Buffer.concat([msg.subarray(0, (n - 1) * 16), last]);
  return node("cbc", key, new Uint8Array(16), chain, true, false).subarray(-16).toString("hex");
}

/** The bytes as a view at a random (often unaligned) offset inside a larger buffer. */
function shifted(bytes: Uint8Array, offset: number): Uint8Array {
  const host = new Uint8Array(bytes.length + offset + 3);
  host.set(bytes, offset);
  return host.subarray(offset, offset + bytes.length);
}

const key = fc.uint8Array({ minLength: 16, maxLength: 16 });
const iv = fc.uint8Array({ minLength: 16, maxLength: 16 });
// lengths 0..4096: half near the block boundaries that matter (0..80), half uniform
const data = fc
  .oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 4096 }))
  .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
const offset = fc.integer({ min: 0, max: 15 });
const same = (a: Uint8Array, b: Uint8Array) =>
  expect(Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))).toBe(true);

describe.each(["debug", "release", "portable"] as const)("SM4 vs node:crypto on the %s build", (build) => {
  const wasm = TidWasm.create({ build });

  it("ECB, PKCS#7 and none, both directions", () => {
    fc.assert(
      fc.property(key, data, offset, fc.boolean(), (k, d, off, pad) => {
        const sk = new Sm4Key(wasm, shifted(k, off));
        try {
          const input = pad ? d : d.subarray(0, d.length & ~15);
          const padding = pad ? "pkcs7" : "none";
          const c = sk.encryptEcb(shifted(input, off), { padding });
          same(c, node("ecb", k, null, input, true, pad));
          same(sk.decryptEcb(shifted(c, (off + 5) & 15), { padding }), input);
          // decrypting arbitrary whole blocks agrees too (no padding)
          const blocks = d.subarray(0, d.length & ~15);
          same(sk.decryptEcb(blocks, { padding: "none" }), node("ecb", k, null, blocks, false, false));
        } finally {
          sk.destroy();
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("CBC, PKCS#7 and none, both directions", () => {
    fc.assert(
      fc.property(key, iv, data, offset, fc.boolean(), (k, v, d, off, pad) => {
        const sk = new Sm4Key(wasm, k);
        try {
          const input = pad ? d : d.subarray(0, d.length & ~15);
          const padding = pad ? "pkcs7" : "none";
          const c = sk.encryptCbc(shifted(v, off), shifted(input, off), { padding });
          same(c, node("cbc", k, v, input, true, pad));
          same(sk.decryptCbc(v, shifted(c, off), { padding }), input);
          const blocks = d.subarray(0, d.length & ~15);
          same(sk.decryptCbc(v, blocks, { padding: "none" }), node("cbc", k, v, blocks, false, false));
        } finally {
          sk.destroy();
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("CTR (128-bit counter = node:crypto sm4-ctr), any length, both directions", () => {
    fc.assert(
      fc.property(key, iv, data, offset, (k, v, d, off) => {
        const sk = new Sm4Key(wasm, k);
        try {
          const c = sk.ctr(shifted(v, off), shifted(d, off));
          same(c, node("ctr", k, v, d, true, false));
          same(sk.ctr(v, c, { counterBits: 128 }), node("ctr", k, v, c, false, false));
        } finally {
          sk.destroy();
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("in-place output (out = input) equals the fresh-array result", () => {
    fc.assert(
      fc.property(key, iv, data, (k, v, d) => {
        const sk = new Sm4Key(wasm, k);
        try {
          const whole = d.slice(0, d.length & ~15);
          const expected = sk.encryptCbc(v, whole, { padding: "none" });
          const got = sk.encryptCbc(v, whole, { padding: "none", out: whole });
          same(got, expected);
          same(whole, expected);
          const ctrIn = d.slice();
          same(sk.ctr(v, ctrIn, { out: ctrIn }), node("ctr", k, v, d, true, false));
        } finally {
          sk.destroy();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("CMAC equals the SP 800-38B construction over node:crypto SM4", () => {
    fc.assert(
      fc.property(key, data, offset, (k, d, off) => {
        const sk = new Sm4Key(wasm, k);
        try {
          const mac = sk.cmac(shifted(d, off));
          expect(Buffer.from(mac).toString("hex")).toBe(refCmac(k, d));
          expect(sk.verifyCmac(d, shifted(mac, off))).toBe(true);
        } finally {
          sk.destroy();
        }
      }),
      { numRuns: 100 },
    );
  });

  it("CMAC of messages longer than the I/O region (pieces) equals the construction", () => {
    const k = randomBytes(16),
      sk = new Sm4Key(wasm, k);
    for (const len of [65536, 65537, 65536 * 2, 150_001]) {
      const msg = randomBytes(len);
      expect(Buffer.from(sk.cmac(msg)).toString("hex"), `length ${len}`).toBe(refCmac(k, msg));
    }
    sk.destroy();
  });

  it("GCM: ciphertext = node:crypto CTR from J0+1; open inverts seal", () => {
    fc.assert(
      fc.property(
        key,
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        data,
        fc.uint8Array({ maxLength: 100 }),
        offset,
        (k, n, d, aad, off) => {
          const sk = new Sm4Key(wasm, k);
          try {
            const sealed = sk.sealGcm(shifted(n, off), shifted(d, off), shifted(aad, off));
            const j1 = Buffer.concat([n, Buffer.from([0, 0, 0, 2])]);
            same(sealed.subarray(0, d.length), node("ctr", k, j1, d, true, false));
            same(sk.openGcm(n, shifted(sealed, off), aad), d);
          } finally {
            sk.destroy();
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});
