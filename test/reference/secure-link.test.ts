// The shielded link's crypto in reference/ (docs/se-profile.md "The shielded link"): CMAC-SM4
// against OpenSSL-computed vectors and a straightforward independent CMAC, the key schedule
// against an independent SM3 KDF, the open on both sides (impostor, bad point), and secure
// messaging round trips with every byte flipped refused.
import { createCipheriv, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  deriveLinkKeys,
  hostOpen,
  protectCommand,
  protectResponse,
  SecureLinkError,
  SecureSession,
  seOpen,
  sm2Ecdh,
  sm2Keygen,
  sm2PublicFromPrivate,
  sm4Cmac,
  type SecureSession as Session,
  type SessionKeys,
} from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const V = JSON.parse(readFileSync(new URL("../vectors/sm4.json", import.meta.url), "utf8")) as {
  cmac: { key: string; message: string; mac: string }[];
};

function ecb(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = createCipheriv("sm4-ecb", key, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
}

/** CMAC written out from SP 800-38B with BigInt doubling and one ECB call per block. */
function cmacIndependent(key: Uint8Array, m: Uint8Array): Uint8Array {
  const big = (b: Uint8Array) => BigInt("0x" + (toHex(b) || "0"));
  const dbl = (v: bigint) => ((v << 1n) & ((1n << 128n) - 1n)) ^ (v >> 127n ? 0x87n : 0n);
  const blk = (v: bigint) => fromHex(v.toString(16).padStart(32, "0"));
  const l = big(ecb(key, new Uint8Array(16)));
  const k1 = dbl(l);
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(m.length / 16));
  let x = 0n;
  for (let i = 0; i < n - 1; i++) x = big(ecb(key, blk(x ^ big(m.subarray(16 * i, 16 * i + 16)))));
  const lastRaw = m.subarray(16 * (n - 1));
  let last: bigint;
  if (m.length > 0 && lastRaw.length === 16) last = big(lastRaw) ^ k1;
  else {
    const p = new Uint8Array(16);
    p.set(lastRaw);
    p[lastRaw.length] = 0x80;
    last = big(p) ^ k2;
  }
  return ecb(key, blk(x ^ last));
}

function rnd(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function sessions(): { host: Session; se: Session } {
  const se = sm2Keygen();
  const o = hostOpen(se.publicKey);
  const { answer, session } = seOpen(se.privateKey, o.commandData);
  return { host: o.finish(answer), se: session };
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof SecureLinkError) return e.code;
    throw e;
  }
  return "no error";
}

describe("CMAC-SM4", () => {
  it("reproduces the OpenSSL-computed vectors of test/vectors/sm4.json", () => {
    expect(V.cmac.length).toBeGreaterThanOrEqual(4);
    for (const v of V.cmac) expect(toHex(sm4Cmac(fromHex(v.key), fromHex(v.message)))).toBe(v.mac);
  });
  it("equals an independent SP 800-38B implementation for every length 0..80 and split parts", () => {
    for (let n = 0; n <= 80; n++) {
      const key = rnd(16, n + 7);
      const m = rnd(n, 1000 + n);
      const want = toHex(cmacIndependent(key, m));
      expect(toHex(sm4Cmac(key, m))).toBe(want);
      expect(toHex(sm4Cmac(key, m.subarray(0, n >> 1), m.subarray(n >> 1)))).toBe(want);
    }
  });
  it("rejects bad arguments naming them", () => {
    expect(() => sm4Cmac(new Uint8Array(15), new Uint8Array(1))).toThrow(RangeError);
    expect(() => sm4Cmac("k" as unknown as Uint8Array)).toThrow(/key/);
    expect(() => sm4Cmac(new Uint8Array(16), [1] as unknown as Uint8Array)).toThrow(/parts\[0\]/);
  });
});

describe("the key schedule", () => {
  it("KM = SM3-KDF(Zee ‖ Zes ‖ info, 64) split in four; receipt = CMAC(receipt key, ePK.host ‖ ePK.SE ‖ challenge)", () => {
    const zee = rnd(32, 1);
    const zes = rnd(32, 2);
    const ePkHost = rnd(64, 3);
    const ePkSe = rnd(64, 4);
    const challenge = rnd(16, 5);
    const d = deriveLinkKeys({ zee, zes, ePkHost, ePkSe, challenge });
    const info = Buffer.concat([Buffer.from("TIDLINK1"), ePkHost, ePkSe, challenge]);
    const z = Buffer.concat([zee, zes, info]);
    const km = Buffer.concat(
      [1, 2].map((i) =>
        createHash("sm3")
          .update(z)
          .update(Buffer.from([0, 0, 0, i]))
          .digest(),
      ),
    );
    expect(toHex(d.info)).toBe(info.toString("hex"));
    expect(toHex(d.km)).toBe(km.toString("hex"));
    expect([d.receiptKey, d.sEnc, d.sMac, d.sRmac].map((b) => toHex(b))).toEqual(
      [0, 1, 2, 3].map((i) => km.subarray(16 * i, 16 * i + 16).toString("hex")),
    );
    expect(toHex(d.receipt)).toBe(toHex(cmacIndependent(km.subarray(0, 16), Buffer.concat([ePkHost, ePkSe, challenge]))));
    expect(() => deriveLinkKeys({ zee, zes, ePkHost, ePkSe, challenge: new Uint8Array(15) })).toThrow(/challenge/);
  });
});

describe("OPEN SECURE SESSION", () => {
  it("host and SE agree; Zee and Zes are the two ECDH values; both sides get the same keys", () => {
    const se = sm2Keygen();
    const eh = sm2Keygen();
    const es = sm2Keygen();
    const challenge = rnd(16, 9);
    const o = hostOpen(se.publicKey, { ephemeralPrivate: eh.privateKey, challenge });
    expect(toHex(o.commandData)).toBe(toHex(eh.publicKey) + toHex(challenge));
    const { answer, session } = seOpen(se.privateKey, o.commandData, { ephemeralPrivate: es.privateKey });
    const d = deriveLinkKeys({
      zee: sm2Ecdh(eh.privateKey, es.publicKey),
      zes: sm2Ecdh(se.privateKey, eh.publicKey),
      ePkHost: eh.publicKey,
      ePkSe: es.publicKey,
      challenge,
    });
    expect(toHex(answer)).toBe(toHex(es.publicKey) + toHex(d.receipt));
    const host = o.finish(answer);
    expect(host.keys()).toEqual(session.keys());
    expect(toHex(host.keys().sEnc)).toBe(toHex(d.sEnc));
    expect(toHex(host.chainingValue)).toBe(toHex(d.receipt));
    expect(host.counter).toBe(1);
    expect(code(() => o.finish(answer))).toBe("OUT_OF_ORDER"); // one answer per opening
  });
  it("an SE with another static key is an impostor: the receipt does not match", () => {
    const pinned = sm2Keygen();
    const other = sm2Keygen();
    const o = hostOpen(pinned.publicKey);
    const { answer } = seOpen(other.privateKey, o.commandData);
    expect(code(() => o.finish(answer))).toBe("IMPOSTOR");
  });
  it("every byte of the answer flipped is refused (impostor or bad point), and every length", () => {
    const se = sm2Keygen();
    const eh = sm2Keygen();
    const base = hostOpen(se.publicKey, { ephemeralPrivate: eh.privateKey });
    const { answer } = seOpen(se.privateKey, base.commandData);
    for (let i = 0; i < answer.length; i++) {
      const bad = answer.slice();
      bad[i]! ^= 0x01;
      const o = hostOpen(se.publicKey, { ephemeralPrivate: eh.privateKey, challenge: base.commandData.slice(64) });
      expect(["IMPOSTOR", "BAD_POINT"]).toContain(code(() => o.finish(bad)));
    }
    for (const n of [0, 64, 79, 81]) {
      const cut = new Uint8Array(n);
      cut.set(answer.subarray(0, Math.min(n, 80)));
      expect(code(() => hostOpen(se.publicKey).finish(cut))).toBe("BAD_FORMAT");
    }
    expect(hostOpen(se.publicKey, { ephemeralPrivate: eh.privateKey, challenge: base.commandData.slice(64) }).finish(answer).isOpen).toBe(
      true,
    );
  });
  it("the SE refuses a host key off the curve and bad lengths", () => {
    const se = sm2Keygen();
    const data = hostOpen(se.publicKey).commandData.slice();
    data[10]! ^= 1;
    expect(code(() => seOpen(se.privateKey, data))).toBe("BAD_POINT");
    expect(code(() => seOpen(se.privateKey, data.subarray(0, 79)))).toBe("BAD_FORMAT");
  });
  it("bad arguments are TypeError / RangeError naming the argument", () => {
    const se = sm2Keygen();
    expect(() => hostOpen(new Uint8Array(64))).toThrow(/pinnedPk/);
    expect(() => hostOpen(se.publicKey.subarray(1))).toThrow(RangeError);
    expect(() => hostOpen(se.publicKey, { challenge: new Uint8Array(8) })).toThrow(/challenge/);
    expect(() => hostOpen(se.publicKey, { ephemeralPrivate: new Uint8Array(32) })).toThrow(/ephemeralPrivate/);
    expect(() => seOpen(new Uint8Array(32), new Uint8Array(80))).toThrow(/skSe/);
    expect(() => seOpen(se.privateKey, "x" as unknown as Uint8Array)).toThrow(TypeError);
    expect(sm2PublicFromPrivate(se.privateKey)).toEqual(se.publicKey);
  });
});

describe("secure messaging", () => {
  const header = { cla: 0x80, ins: 0xda, p1: 0x01, p2: 0x03 };

  it("round-trips commands and responses of every size class, any SW, many in a row", () => {
    const { host, se } = sessions();
    for (const n of [0, 1, 15, 16, 17, 31, 32, 240, 255, 256, 1000, 1023, 1024]) {
      const d = rnd(n, n);
      const p = host.wrapCommand(header, d);
      expect(p.length).toBe(n === 0 ? 8 : (Math.floor(n / 16) + 1) * 16 + 8);
      expect(toHex(se.unwrapCommand({ ...header, cla: 0x84 }, p))).toBe(toHex(d));
      for (const sw of [0x9000]) {
        const r = rnd(1024 - n, n + 1);
        const w = se.wrapResponse(r, sw);
        expect(toHex(host.unwrapResponse(w, sw))).toBe(toHex(r));
      }
    }
    const p = host.wrapCommand(header, new Uint8Array(0));
    se.unwrapCommand({ ...header, cla: 0x84 }, p);
    expect(host.unwrapResponse(se.wrapResponse(new Uint8Array(0), 0x6a88), 0x6a88)).toEqual(new Uint8Array(0));
    expect(host.counter).toBe(15);
    expect(se.counter).toBe(15);
    expect(toHex(host.chainingValue)).toBe(toHex(se.chainingValue));
  });

  it("matches an independent computation of the spec's formulas", () => {
    const { host, se } = sessions();
    const k = host.keys();
    const chain0 = host.chainingValue;
    const d = rnd(21, 3);
    const got = host.wrapCommand(header, d);
    const ctr = Buffer.alloc(16);
    ctr.writeUInt32BE(1, 12);
    const icv = ecb(k.sEnc, ctr);
    const c = createCipheriv("sm4-cbc", k.sEnc, icv);
    c.setAutoPadding(false);
    const padded = Buffer.concat([d, Buffer.from([0x80]), Buffer.alloc(10)]);
    const C = Buffer.concat([c.update(padded), c.final()]);
    const mac = cmacIndependent(k.sMac, Buffer.concat([chain0, Buffer.from([0x84, 0xda, 0x01, 0x03, 0x00, C.length + 8]), C]));
    expect(toHex(got)).toBe(C.toString("hex") + toHex(mac.subarray(0, 8)));
    se.unwrapCommand({ ...header, cla: 0x84 }, got);
    const r = rnd(3, 4);
    const w = se.wrapResponse(r, 0x9000);
    ctr[0] = 0x80;
    const c2 = createCipheriv("sm4-cbc", k.sEnc, ecb(k.sEnc, ctr));
    c2.setAutoPadding(false);
    const E = Buffer.concat([c2.update(Buffer.concat([r, Buffer.from([0x80]), Buffer.alloc(12)])), c2.final()]);
    const rmac = cmacIndependent(k.sRmac, Buffer.concat([mac, E, Buffer.from([0x90, 0x00])]));
    expect(toHex(w)).toBe(E.toString("hex") + toHex(rmac.subarray(0, 8)));
  });

  it("every byte of a protected command flipped, the header changed, or a wrong length: refused and the session wiped", () => {
    const probe = sessions();
    const p0 = probe.host.wrapCommand(header, rnd(40, 1));
    for (let i = 0; i < p0.length + 4; i++) {
      const { host, se } = sessions();
      const p = host.wrapCommand(header, rnd(40, 1));
      const h = { ...header, cla: 0x84 };
      if (i < p.length) p[i]! ^= 0x80;
      else (h as Record<string, number>)[["cla", "ins", "p1", "p2"][i - p.length]!]! ^= 0x01;
      expect(["BAD_MAC", "BAD_FORMAT"]).toContain(code(() => se.unwrapCommand(h, p)));
      expect(se.isOpen).toBe(false);
      expect(code(() => se.unwrapCommand({ ...header, cla: 0x84 }, p))).toBe("SESSION_ENDED");
    }
    for (const n of [0, 7, 9, 23, 1056]) {
      const { se } = sessions();
      expect(code(() => se.unwrapCommand({ ...header, cla: 0x84 }, new Uint8Array(n)))).toBe("BAD_FORMAT");
    }
  });

  it("D over 1024 bytes (up to 1039 fit 1048 protected bytes) ends the session though its MAC verifies", () => {
    for (const n of [1025, 1039]) {
      const { host, se } = sessions();
      const k = host.keys();
      const ctr = Buffer.alloc(16);
      ctr.writeUInt32BE(1, 12);
      const c = createCipheriv("sm4-cbc", k.sEnc, ecb(k.sEnc, ctr));
      c.setAutoPadding(false);
      const padded = Buffer.concat([rnd(n, 9), Buffer.from([0x80]), Buffer.alloc(15 - (n % 16))]);
      const C = Buffer.concat([c.update(padded), c.final()]);
      const L = C.length + 8;
      const mac = cmacIndependent(k.sMac, Buffer.concat([host.chainingValue, Buffer.from([0x84, 0xda, 0x01, 0x03, L >> 8, L & 255]), C]));
      const p = new Uint8Array(Buffer.concat([C, mac.subarray(0, 8)]));
      expect(p.length).toBeLessThanOrEqual(1048);
      expect(() => se.unwrapCommand({ ...header, cla: 0x84 }, p)).toThrow(/D of \d+ bytes, over 1024/);
      expect(se.isOpen).toBe(false);
    }
  });

  it("a replayed, reordered or dropped command does not verify", () => {
    const { host, se } = sessions();
    const h = { ...header, cla: 0x84 };
    const a = host.wrapCommand(header, rnd(5, 1));
    se.unwrapCommand(h, a);
    host.unwrapResponse(se.wrapResponse(new Uint8Array(0), 0x9000), 0x9000);
    expect(code(() => se.unwrapCommand(h, a))).toBe("BAD_MAC"); // replay
    // dropped or reordered: the SE gets the second command before (or without) the first
    const s2 = sessions();
    const keys = s2.host.keys();
    const b1 = protectCommand(keys, s2.host.chainingValue, 1, header, rnd(5, 2));
    const b2 = protectCommand(keys, b1.chain, 2, header, rnd(5, 3));
    expect(code(() => s2.se.unwrapCommand(h, b2.data))).toBe("BAD_MAC");
    const s3 = sessions();
    const c1 = protectCommand(s3.host.keys(), s3.host.chainingValue, 1, header, rnd(5, 2));
    expect(code(() => s3.se.unwrapCommand(h, protectCommand(s3.host.keys(), c1.chain, 1, header, rnd(5, 2)).data))).toBe("BAD_MAC");
    expect(code(() => s3.se.unwrapCommand(h, c1.data))).toBe("SESSION_ENDED"); // the failure ended the session
  });

  it("every byte of a protected response flipped, the SW changed, every bad length: typed error, nothing returned", () => {
    const mk = () => {
      const { host, se } = sessions();
      se.unwrapCommand({ ...header, cla: 0x84 }, host.wrapCommand(header, rnd(16, 1)));
      return { host, w: se.wrapResponse(rnd(20, 2), 0x9000) };
    };
    const { w } = mk();
    for (let i = 0; i < w.length; i++) {
      const s = mk();
      const bad = s.w.slice();
      bad[i]! ^= 0x04;
      expect(code(() => s.host.unwrapResponse(bad, 0x9000))).toBe("BAD_MAC");
      expect(s.host.isOpen).toBe(false);
    }
    for (const sw of [0x9001, 0x6a88, 0x6100, 0x6982]) expect(code(() => mk().host.unwrapResponse(w, sw))).toBe("BAD_MAC");
    for (let n = 0; n < w.length; n++)
      expect(["BAD_FORMAT", "BAD_MAC"]).toContain(code(() => mk().host.unwrapResponse(w.subarray(0, n), 0x9000)));
    expect(code(() => mk().host.unwrapResponse(new Uint8Array(0), 0x6982))).toBe("SESSION_ENDED");
    const s = mk();
    expect(s.host.unwrapResponse(s.w, 0x9000)).toEqual(rnd(20, 2));
    expect(code(() => s.host.unwrapResponse(s.w, 0x9000))).toBe("OUT_OF_ORDER"); // a second copy of the answer
  });

  it("a response to another command (replayed or reordered) does not verify", () => {
    const { host, se } = sessions();
    const h = { ...header, cla: 0x84 };
    se.unwrapCommand(h, host.wrapCommand(header, rnd(3, 1)));
    const r1 = se.wrapResponse(rnd(3, 1), 0x9000);
    host.unwrapResponse(r1, 0x9000);
    se.unwrapCommand(h, host.wrapCommand(header, rnd(3, 1)));
    se.wrapResponse(rnd(3, 1), 0x9000);
    expect(code(() => host.unwrapResponse(r1, 0x9000))).toBe("BAD_MAC");
  });

  it("is strict about roles, order and arguments; wipe ends everything", () => {
    const { host, se } = sessions();
    expect(() => se.wrapCommand(header, new Uint8Array(0))).toThrow(TypeError);
    expect(() => host.unwrapCommand(header, new Uint8Array(8))).toThrow(TypeError);
    expect(code(() => se.wrapResponse(new Uint8Array(0), 0x9000))).toBe("OUT_OF_ORDER");
    expect(code(() => host.unwrapResponse(new Uint8Array(8), 0x9000))).toBe("OUT_OF_ORDER");
    expect(() => host.wrapCommand(header, new Uint8Array(1025))).toThrow(RangeError);
    expect(() => host.wrapCommand({ ...header, ins: 256 }, new Uint8Array(0))).toThrow(/header.ins/);
    expect(() => protectCommand(host.keys(), new Uint8Array(16), 0, header, new Uint8Array(0))).toThrow(/counter/);
    expect(() => protectCommand({ ...host.keys(), sEnc: new Uint8Array(8) }, new Uint8Array(16), 1, header, new Uint8Array(0))).toThrow(
      /keys.sEnc/,
    );
    expect(() => protectResponse(null as unknown as SessionKeys, new Uint8Array(16), 1, new Uint8Array(0), 0x9000)).toThrow(TypeError);
    expect(
      () =>
        new SecureSession("host", { sEnc: new Uint8Array(16), sMac: new Uint8Array(15), sRmac: new Uint8Array(16) }, new Uint8Array(16)),
    ).toThrow(/sMac/);
    host.wrapCommand(header, new Uint8Array(0));
    expect(code(() => host.wrapCommand(header, new Uint8Array(0)))).toBe("OUT_OF_ORDER");
    host.wipe();
    expect(host.isOpen).toBe(false);
    expect(code(() => host.keys())).toBe("SESSION_ENDED");
    expect(toHex(host.chainingValue)).toBe("00".repeat(16));
  });
});
