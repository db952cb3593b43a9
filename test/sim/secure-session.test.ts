// The simulated SE's shielded link, APDUs straight into the applet (docs/se-profile.md "The
// shielded link"): the worked example (test/vectors/se-link-example.json) byte for byte,
// GENERATE LINK KEY / GET DATA 00 04 / OPEN SECURE SESSION and their errors, the gate (what runs
// outside and inside a session), every way a session ends (bare 6982, nothing runs), reset,
// chaining of protected data up to 1048 bytes, long protected responses via 61xx, NVM export,
// and the processing time the timing model charges.
import { describe, expect, test } from "vitest";
import { TidApplet } from "../../hal/sim/applet.js";
import { createSimulatedSe } from "../../hal/sim/index.js";
import { processingMs, DEFAULT_CHIP_TIMING } from "../../hal/sim/timing.js";
import { hostOpen, sm2Keygen, type SecureSession } from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { apdu, run, sw } from "../support/applet.js";
import { LINK_EXAMPLE } from "../support/se-link.js";

const ex = LINK_EXAMPLE;
const TID = fromHex(ex.TID!);
const PSK = fromHex(ex.PSK!);
const SK = fromHex(ex.SK_SE!);
const PK = fromHex(ex.PK_SE!);

function paired(opts: { locked?: boolean } = {}): TidApplet {
  return new TidApplet({ seed: 3, identity: { tid: TID, psk: PSK, locked: opts.locked ?? false }, linkKey: SK });
}

/** Open a session on `a` with the reference host; returns the host's session. */
function open(a: TidApplet, pk = PK): SecureSession {
  const o = hostOpen(pk);
  const [data, s] = run(a, apdu(0x80, 0x88, 0, 0, o.commandData, 0));
  expect(s).toBe("9000");
  return o.finish(fromHex(data));
}

/** Send a whole (chained if need be) APDU sequence; follow 61xx; return [data, sw] of the end. */
function exchange(a: TidApplet, cla: number, ins: number, p1: number, p2: number, data: Uint8Array, le = 0): [Uint8Array, number] {
  let r: Uint8Array = new Uint8Array(0);
  if (data.length <= 255) r = a.process(apdu(cla, ins, p1, p2, data, le)).rapdu;
  else
    for (let off = 0; off < data.length; off += 255) {
      const last = off + 255 >= data.length;
      r = a.process(apdu(last ? cla : cla | 0x10, ins, p1, p2, data.subarray(off, off + 255), last ? le : undefined)).rapdu;
      if (!last) expect(toHex(r)).toBe("9000");
    }
  const parts: number[] = [];
  while (r[r.length - 2] === 0x61) {
    parts.push(...r.subarray(0, r.length - 2));
    r = a.process(Uint8Array.of(0x00, 0xc0, 0, 0, r[r.length - 1]!)).rapdu;
  }
  parts.push(...r.subarray(0, r.length - 2));
  return [Uint8Array.from(parts), (r[r.length - 2]! << 8) | r[r.length - 1]!];
}

/** A protected command through host session `h`: → [R, SW]. */
function secure(
  a: TidApplet,
  h: SecureSession,
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  d: Uint8Array,
  le = 0,
): [Uint8Array, number] {
  const p = h.wrapCommand({ cla, ins, p1, p2 }, d);
  const [data, s] = exchange(a, cla | 0x04, ins, p1, p2, p, le);
  return [h.unwrapResponse(data, s), s];
}

describe("the worked example, byte for byte", () => {
  test("OPEN and the two protected commands give the example's R-APDUs", () => {
    const a = paired();
    a.injectNextOpen(fromHex(ex.seEphemeralPrivate!));
    expect(run(a, ex.openCommand!).join("")).toBe(ex.openResponse);
    for (const c of ex.commands) expect(run(a, c.protectedApdu!).join("")).toBe(c.protectedResponse);
    expect(a.peekSlot(0) && toHex(a.peekSlot(0)!)).toBe("dfb985492562247eef51b9eb5c86cd2a");
    expect(toHex(a.linkSessionKeys()!.sEnc)).toBe(ex.S_ENC);
  });
});

describe("pairing and the new commands", () => {
  test("GENERATE LINK KEY → PK.SE; GET DATA 00 04 reads it; info says shielded; SK.SE in the NVM export", () => {
    const a = new TidApplet({ seed: 5, identity: { tid: TID, psk: PSK } });
    expect(sw(a, "80 CA 00 04 00")).toBe("6a88");
    expect(run(a, "80 CA 00 02 00")[0].slice(-2)).toBe("00");
    const [pk, s] = run(a, "80 46 00 00 00");
    expect(s).toBe("9000");
    expect(pk.length).toBe(128);
    expect(run(a, "80 CA 00 04 00")).toEqual([pk, "9000"]);
    expect(run(a, "80 CA 00 02 00")[0].slice(-2)).toBe("02");
    expect(toHex(a.linkPublicKey()!)).toBe(pk);
    const nvm = a.exportNvm();
    expect(nvm.linkKey!.length).toBe(32);
    const again = new TidApplet({ identity: { tid: nvm.tid!, psk: nvm.psk!, locked: nvm.locked }, linkKey: nvm.linkKey! });
    expect(toHex(again.linkPublicKey()!)).toBe(pk); // state-file round trip
    // now shielded: a second GENERATE LINK KEY must come inside a session, which then ends
    expect(sw(a, "80 46 00 00 00")).toBe("6982");
    const h = open(a, fromHex(pk));
    const [pk2, s2] = secure(a, h, 0x80, 0x46, 0, 0, new Uint8Array(0));
    expect(s2).toBe(0x9000);
    expect(toHex(pk2)).not.toBe(pk);
    expect(a.inspect().sessionOpen).toBe(false);
    expect(run(a, "80 CA 00 04 00")[0]).toBe(toHex(pk2));
  });
  test("GENERATE LINK KEY errors: Lc, P1P2, after LOCK", () => {
    const a = new TidApplet({ seed: 5, identity: { tid: TID, psk: PSK, locked: true } });
    expect(sw(a, "80 46 00 00 00")).toBe("6982");
    expect(a.linkPublicKey()).toBeNull();
    const b = new TidApplet({ seed: 5 });
    expect(sw(b, "80 46 00 00 01 00 00")).toBe("6700");
    expect(sw(b, "80 46 00 01 00")).toBe("6a86");
    expect(sw(b, "00 46 00 00 00")).toBe("6e00");
    expect(sw(b, "80 46 00 00 00")).toBe("9000"); // no identity needed
    expect(() => new TidApplet({ linkKey: new Uint8Array(32) })).toThrow(/linkKey/);
  });
  test("OPEN SECURE SESSION errors, each also ending a session in progress", () => {
    const blank = new TidApplet({ seed: 1 });
    const good = hostOpen(PK).commandData;
    expect(sw(blank, apdu(0x80, 0x88, 0, 0, good, 0))).toBe("6985");
    const a = paired();
    const offCurve = good.slice();
    offCurve[5]! ^= 1;
    const cases: [Uint8Array, string][] = [
      [apdu(0x80, 0x88, 0, 0, good.subarray(0, 79), 0), "6700"],
      [apdu(0x80, 0x88, 0, 1, good, 0), "6a86"],
      [apdu(0x80, 0x88, 0, 0, offCurve, 0), "6a80"],
      [apdu(0x84, 0x88, 0, 0, good, 0), "6982"],
    ];
    for (const [cmd, want] of cases) {
      open(a);
      expect(a.inspect().sessionOpen).toBe(true);
      expect(sw(a, cmd)).toBe(want);
      expect(a.inspect().sessionOpen).toBe(false);
    }
  });
});

describe("the gate", () => {
  test("a shielded SE outside a session runs only SELECT, GET CHALLENGE, GET DATA, GET RESPONSE, OPEN", () => {
    const a = paired();
    expect(sw(a, "00 A4 04 00 09 F0 54 49 44 41 50 50 76 31 00")).toBe("9000");
    expect(sw(a, "00 84 00 00 08")).toBe("9000");
    expect(sw(a, "80 CA 00 01 00")).toBe("9000");
    expect(sw(a, "00 C0 00 00 00")).toBe("6985");
    const before = a.inspect();
    for (const c of [
      "80 5A 00 00 10 " + "11".repeat(16),
      "80 EC 00 FF",
      "80 EA 00 00",
      "80 DC 01 00 06 000000000000 00",
      "80 D8 00 00 18 " + "00".repeat(24),
    ]) {
      expect(run(a, c)).toEqual(["", "6982"]);
    }
    expect(a.inspect()).toEqual(before); // nothing ran
    expect(sw(a, "84 CA 00 01 08 0102030405060708 00")).toBe("6982"); // protected, no session
  });
  test("in a session: every command protected; an unprotected one ends it and does not run", () => {
    const a = paired();
    const h = open(a);
    expect(run(a, "80 CA 00 02 00")[0]).toBe(""); // would be the info: refused bare
    expect(a.inspect().sessionOpen).toBe(false);
    const h2 = open(a);
    expect(secure(a, h2, 0x80, 0x5a, 0, 1, new Uint8Array(16).fill(7))[1]).toBe(0x9000);
    expect(run(a, "80 5A 00 02 10 " + "22".repeat(16))).toEqual(["", "6982"]);
    expect(a.inspect().slots.slice(0, 3)).toEqual([0, 1, 0]); // slot 2 not loaded
    expect(() => h.wrapCommand({ cla: 0x80, ins: 0xca, p1: 0, p2: 1 }, new Uint8Array(0))).not.toThrow();
  });
  test("GET CHALLENGE keeps its Le in a session; info shows the session; SELECT ends it; reset ends it", () => {
    const a = paired();
    const h = open(a);
    const [rnd, s] = secure(a, h, 0x00, 0x84, 0, 0, new Uint8Array(0), 24);
    expect([rnd.length, s]).toEqual([24, 0x9000]);
    const [info] = secure(a, h, 0x80, 0xca, 0, 2, new Uint8Array(0));
    expect(info[7]).toBe(0x06);
    expect(sw(a, "00 A4 04 00 09 F0 54 49 44 41 50 50 76 31 00")).toBe("9000");
    expect(a.inspect().sessionOpen).toBe(false);
    open(a);
    a.reset();
    expect(a.inspect().sessionOpen).toBe(false);
    expect(a.linkSessionKeys()).toBeNull();
  });
});

describe("what ends the session: bare 6982, nothing runs", () => {
  const load = { cla: 0x80, ins: 0x5a, p1: 0, p2: 3 };
  const cases: [string, (a: TidApplet, h: SecureSession) => Uint8Array][] = [
    [
      "a flipped C-MAC",
      (_a, h) => {
        const p = h.wrapCommand(load, new Uint8Array(16).fill(9));
        p[p.length - 1]! ^= 1;
        return apdu(0x84, 0x5a, 0, 3, p, 0);
      },
    ],
    [
      "a flipped byte of C",
      (_a, h) => {
        const p = h.wrapCommand(load, new Uint8Array(16).fill(9));
        p[3]! ^= 1;
        return apdu(0x84, 0x5a, 0, 3, p, 0);
      },
    ],
    ["a changed header", (_a, h) => apdu(0x84, 0x5a, 0, 4, h.wrapCommand(load, new Uint8Array(16).fill(9)), 0)],
    ["protected data shorter than 8 bytes", () => apdu(0x84, 0x5a, 0, 3, new Uint8Array(7), 0)],
    ["|C| not whole blocks", () => apdu(0x84, 0x5a, 0, 3, new Uint8Array(20), 0)],
    [
      "a replayed command",
      (a, h) => {
        const p = h.wrapCommand(load, new Uint8Array(16).fill(9));
        const c = apdu(0x84, 0x5a, 0, 3, p, 0);
        a.process(c);
        a.process(Uint8Array.of(0x00, 0xc0, 0, 0, 0)); // (nothing pending: harmless, unprotected GET RESPONSE)
        return c;
      },
    ],
    ["a protected SELECT", () => apdu(0x04, 0xa4, 4, 0, new Uint8Array(8), 0)],
    ["a protected GET RESPONSE", () => Uint8Array.of(0x04, 0xc0, 0, 0, 0)],
    ["a chained block of a command that may not be chained", () => apdu(0x94, 0x5a, 0, 3, new Uint8Array(24))],
    ["an unprotected chained block", () => apdu(0x90, 0xda, 1, 0, new Uint8Array(32))],
  ];
  for (const [what, make] of cases) {
    test(what, () => {
      const a = paired();
      const h = open(a);
      const cmd = make(a, h);
      expect(a.inspect().slots[3]).toBe(what === "a replayed command" ? 1 : 0);
      const r = a.process(cmd).rapdu;
      expect(toHex(r)).toBe("6982");
      expect(a.inspect().sessionOpen).toBe(false);
      if (what !== "a replayed command") expect(a.inspect().slots[3]).toBe(0);
    });
  }
  test("an OPEN that arrives mid protected chain drops the chain and opens a new session", () => {
    const a = paired();
    const h = open(a);
    const p = h.wrapCommand({ cla: 0x80, ins: 0xda, p1: 1, p2: 0 }, new Uint8Array(400));
    expect(toHex(a.process(apdu(0x94, 0xda, 1, 0, p.subarray(0, 255))).rapdu)).toBe("9000");
    const h2 = open(a); // the host gave up on the chain (a link fault) and reopens
    expect(secure(a, h2, 0x80, 0xca, 0, 1, new Uint8Array(0))[1]).toBe(0x9000);
  });
  test("a broken protected chain ends the session", () => {
    const a = paired();
    const h = open(a);
    const p = h.wrapCommand({ cla: 0x80, ins: 0xda, p1: 1, p2: 0 }, new Uint8Array(400));
    expect(toHex(a.process(apdu(0x94, 0xda, 1, 0, p.subarray(0, 255))).rapdu)).toBe("9000");
    expect(toHex(a.process(apdu(0x94, 0xda, 1, 1, p.subarray(255))).rapdu)).toBe("6982");
    expect(a.inspect().sessionOpen).toBe(false);
  });
});

describe("sizes", () => {
  test("protected data chained up to 1048 bytes, a 1040-byte answer through 61xx; SM4 CIPHER over 1024 bytes", () => {
    const a = paired();
    const h = open(a);
    expect(secure(a, h, 0x80, 0x5a, 0, 0, new Uint8Array(16).fill(0x42))[1]).toBe(0x9000);
    const data = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff);
    const [out, s] = secure(a, h, 0x80, 0xda, 1, 0, data);
    expect(s).toBe(0x9000);
    const [back] = secure(a, h, 0x80, 0xda, 0, 0, out);
    expect(toHex(back)).toBe(toHex(data));
    // an error SW is protected too
    const [none, s2] = secure(a, h, 0x80, 0xda, 1, 5, new Uint8Array(16));
    expect([none.length, s2]).toEqual([0, 0x6a88]);
    // more than 1048 bytes of protected data: the session ends
    const p = new Uint8Array(1056);
    let r: Uint8Array = new Uint8Array(0);
    for (let off = 0; off < p.length; off += 255) {
      const last = off + 255 >= p.length;
      r = a.process(apdu(last ? 0x84 : 0x94, 0xda, 1, 0, p.subarray(off, off + 255), last ? 0 : undefined)).rapdu;
      if (toHex(r) === "6982") break;
    }
    expect(toHex(r)).toBe("6982");
    expect(a.inspect().sessionOpen).toBe(false);
  });
});

describe("timing", () => {
  test("OPEN charges one keygen and two ECDH; secure messaging charges its SM4 blocks", () => {
    const a = paired();
    const o = hostOpen(PK);
    const r = a.process(apdu(0x80, 0x88, 0, 0, o.commandData, 0));
    expect([r.work.sm2Keygen, r.work.sm2Ecdh]).toEqual([1, 2]);
    expect(processingMs(DEFAULT_CHIP_TIMING, r.work)).toBeGreaterThan(130);
    const h = o.finish(r.rapdu.subarray(0, 80));
    const plain = new TidApplet({ seed: 3, identity: { tid: TID, psk: PSK } }).process(apdu(0x80, 0xca, 0, 1, undefined, 0)).work.sm4Blocks;
    const p = h.wrapCommand({ cla: 0x80, ins: 0xca, p1: 0, p2: 1 }, new Uint8Array(0));
    const w = a.process(apdu(0x84, 0xca, 0, 1, p, 0)).work;
    expect(plain).toBe(0);
    expect(w.sm4Blocks).toBeGreaterThanOrEqual(3 + 1 + 1 + 3); // C-MAC, ICV', E, R-MAC
  });
  test("the simulated chip takes the link key option", () => {
    const se = createSimulatedSe({ bus: "i2c", linkKey: SK });
    expect(toHex(se.applet.linkPublicKey()!)).toBe(ex.PK_SE);
    expect(se.applet.inspect().shielded).toBe(true);
    expect(sm2Keygen().publicKey.length).toBe(64);
  });
});
