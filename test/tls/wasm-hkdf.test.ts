// The HKDF exports of the wasm (tid_hkdf_extract, tid_hkdf_expand, tid_hkdf_expand_label;
// assembly/tls/hkdf.ts) against two independent truths: node:crypto's hkdfSync("sm3", …)
// (extract then expand) and RFC 5869 §2.2–§2.3 written out here on node's HMAC-SM3, for output
// lengths 0, 1, 31, 32, 33, 64, 1000 and 255·32; and HKDF-Expand-Label against RFC 8446 §7.1's
// HkdfLabel (reference/tls-key-schedule.ts). Over-long outputs and labels are refused.
import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TidWasm } from "../../bindings/wasm.js";
import { Status } from "../../bindings/status.js";
import { hkdfExpandLabel } from "../../reference/tls-key-schedule.js";
import { toHex } from "../../reference/bytes.js";

const LENGTHS = [0, 1, 31, 32, 33, 64, 1000, 255 * 32];

/** RFC 5869 §2.3, written out. */
function rfc5869Expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let t = new Uint8Array(0);
  for (let i = 1, done = 0; done < length; i++) {
    t = new Uint8Array(
      createHmac("sm3", prk)
        .update(t)
        .update(info)
        .update(new Uint8Array([i]))
        .digest(),
    );
    out.set(t.subarray(0, Math.min(32, length - done)), done);
    done += 32;
  }
  return out;
}

describe.each(["release", "portable"] as const)("HKDF-SM3 exports (%s build)", (build) => {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const io = wasm.ioPtr;
  const put = (bytes: Uint8Array, at: number) => (wasm.bytes().set(bytes, io + at), io + at);
  const get = (at: number, n: number) => wasm.bytes().slice(io + at, io + at + n);

  const extract = (salt: Uint8Array, ikm: Uint8Array) => {
    expect(x.tid_hkdf_extract!(put(salt, 0), salt.length, put(ikm, 1024), ikm.length, io + 2048)).toBe(Status.OK);
    return get(2048, 32);
  };
  const expand = (prk: Uint8Array, info: Uint8Array, n: number) => {
    expect(x.tid_hkdf_expand!(put(prk, 0), prk.length, put(info, 1024), info.length, io + 4096, n)).toBe(Status.OK);
    return get(4096, n);
  };

  it("extract + expand = hkdfSync('sm3', …) for every length, salts and IKM of many sizes", () => {
    for (const [saltLen, ikmLen] of [
      [0, 16],
      [32, 16],
      [13, 0],
      [64, 100],
      [65, 32],
      [200, 1],
    ] as const) {
      const salt = new Uint8Array(randomBytes(saltLen));
      const ikm = new Uint8Array(randomBytes(ikmLen));
      const info = new Uint8Array(randomBytes(saltLen % 50));
      const prk = extract(salt, ikm);
      expect(toHex(prk)).toBe(
        toHex(
          createHmac("sm3", saltLen === 0 ? new Uint8Array(32) : salt)
            .update(ikm)
            .digest(),
        ),
      );
      for (const n of LENGTHS) {
        const node = new Uint8Array(hkdfSync("sm3", ikm, salt, info, n));
        expect(toHex(expand(prk, info, n)), `salt ${saltLen}, ikm ${ikmLen}, L ${n}`).toBe(toHex(node));
      }
    }
  });

  it("expand = RFC 5869 §2.3 for PRKs of any length (also ones no extract produces)", () => {
    for (const prkLen of [0, 1, 32, 64, 65, 500]) {
      const prk = new Uint8Array(randomBytes(prkLen));
      const info = new Uint8Array(randomBytes(prkLen % 77));
      for (const n of LENGTHS) expect(toHex(expand(prk, info, n))).toBe(toHex(rfc5869Expand(prk, info, n)));
    }
  });

  it("expand-label = HKDF-Expand with RFC 8446's HkdfLabel, labels 1..249 bytes, contexts 0..255", () => {
    const enc = new TextEncoder();
    for (const [label, ctxLen, n] of [
      ["key", 0, 16],
      ["iv", 0, 12],
      ["derived", 32, 32],
      ["traffic upd", 0, 32],
      ["x", 255, 8160],
      ["y".repeat(249), 100, 1],
      ["c hs traffic", 32, 0],
    ] as const) {
      const secret = new Uint8Array(randomBytes(32));
      const context = new Uint8Array(randomBytes(ctxLen));
      const l = enc.encode(label);
      const st = x.tid_hkdf_expand_label!(put(secret, 0), 32, put(l, 64), l.length, put(context, 512), ctxLen, io + 1024, n);
      expect(st).toBe(Status.OK);
      expect(toHex(get(1024, n)), label.slice(0, 20)).toBe(toHex(hkdfExpandLabel(secret, label, context, n)));
    }
  });

  it("refuses what RFC 5869 and RFC 8446 do not allow, and writes nothing", () => {
    const p = io + 8192;
    wasm.bytes().fill(0xaa, p, p + 8192);
    expect(x.tid_hkdf_expand!(io, 32, io + 64, 10, p, 255 * 32 + 1)).toBe(Status.ERR_BAD_LENGTH);
    expect(x.tid_hkdf_expand!(io, 32, io + 64, 10, p, 0xffffffff)).toBe(Status.ERR_BAD_LENGTH);
    expect(x.tid_hkdf_expand_label!(io, 32, io + 64, 0, io + 512, 0, p, 32)).toBe(Status.ERR_BAD_LENGTH);
    expect(x.tid_hkdf_expand_label!(io, 32, io + 64, 250, io + 512, 0, p, 32)).toBe(Status.ERR_BAD_LENGTH);
    expect(x.tid_hkdf_expand_label!(io, 32, io + 64, 3, io + 512, 256, p, 32)).toBe(Status.ERR_BAD_LENGTH);
    expect(x.tid_hkdf_expand_label!(io, 32, io + 64, 3, io + 512, 0, p, 8161)).toBe(Status.ERR_BAD_LENGTH);
    expect(
      wasm
        .bytes()
        .subarray(p, p + 8192)
        .every((b) => b === 0xaa),
    ).toBe(true);
  });
});
