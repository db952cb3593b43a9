// The worked example of the shielded link (test/vectors/se-link-example.json, made by its
// generator from node:crypto alone; docs/se-profile.md "Worked example of the shielded link"):
// reference/secure-link.ts reproduces every value byte for byte, and the doc carries them.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deriveLinkKeys, hostOpen, protectCommand, protectResponse, seOpen, sm2Ecdh, sm2PublicFromPrivate } from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { LINK_EXAMPLE } from "../support/se-link.js";

const ex = LINK_EXAMPLE;
const h = (s: string) => fromHex(s);

describe("shielded link worked example", () => {
  it("the open: both sides' bytes, the two ECDH values, info, KM, the four keys and the receipt", () => {
    expect(toHex(sm2PublicFromPrivate(h(ex.SK_SE!)))).toBe(ex.PK_SE);
    const o = hostOpen(h(ex.PK_SE!), { ephemeralPrivate: h(ex.hostEphemeralPrivate!), challenge: h(ex.challenge!) });
    expect("80880000" + "50" + toHex(o.commandData) + "00").toBe(ex.openCommand);
    const { answer, session: se } = seOpen(h(ex.SK_SE!), o.commandData, { ephemeralPrivate: h(ex.seEphemeralPrivate!) });
    expect(toHex(answer) + "9000").toBe(ex.openResponse);
    const zee = sm2Ecdh(h(ex.hostEphemeralPrivate!), h(ex.seEphemeralPublic!));
    const zes = sm2Ecdh(h(ex.hostEphemeralPrivate!), h(ex.PK_SE!));
    expect([toHex(zee), toHex(zes)]).toEqual([ex.Zee, ex.Zes]);
    const d = deriveLinkKeys({
      zee,
      zes,
      ePkHost: h(ex.hostEphemeralPublic!),
      ePkSe: h(ex.seEphemeralPublic!),
      challenge: h(ex.challenge!),
    });
    expect(toHex(d.info)).toBe(ex.info);
    expect(toHex(d.km)).toBe(ex.KM);
    expect([d.receiptKey, d.sEnc, d.sMac, d.sRmac, d.receipt].map((b) => toHex(b))).toEqual([
      ex.receiptKey,
      ex.S_ENC,
      ex.S_MAC,
      ex.S_RMAC,
      ex.receipt,
    ]);
    const host = o.finish(answer);
    const k = host.keys();
    expect([k.sEnc, k.sMac, k.sRmac].map((b) => toHex(b))).toEqual([ex.S_ENC, ex.S_MAC, ex.S_RMAC]);
    expect(se.keys()).toEqual(k);
  });

  it("the two protected commands and answers, every intermediate value, through the pure steps and both sessions", () => {
    const o = hostOpen(h(ex.PK_SE!), { ephemeralPrivate: h(ex.hostEphemeralPrivate!), challenge: h(ex.challenge!) });
    const { answer, session: se } = seOpen(h(ex.SK_SE!), o.commandData, { ephemeralPrivate: h(ex.seEphemeralPrivate!) });
    const host = o.finish(answer);
    const keys = host.keys();
    let chain = h(ex.receipt!);
    for (const c of ex.commands) {
      const plain = h(c.plainApdu);
      const header = { cla: plain[0]!, ins: plain[1]!, p1: plain[2]!, p2: plain[3]! };
      expect(host.counter).toBe(c.counter);
      const p = protectCommand(keys, chain, c.counter, header, h(c.D));
      expect([p.icv ? toHex(p.icv) : null, toHex(p.c), toHex(p.macInput), toHex(p.chain)]).toEqual([c.ICV, c.C, c.macInput, c.cmac]);
      const wire = host.wrapCommand(header, h(c.D));
      const apdu = h(c.protectedApdu);
      expect(toHex(wire)).toBe(toHex(apdu.subarray(5, apdu.length - 1)));
      expect(apdu[0]).toBe(header.cla | 0x04);
      expect(toHex(se.unwrapCommand({ ...header, cla: apdu[0]! }, wire))).toBe(c.D);
      const sw = parseInt(c.SW, 16);
      const r = protectResponse(keys, p.chain, c.counter, h(c.R), sw);
      expect([r.icv ? toHex(r.icv) : null, toHex(r.e), toHex(r.rmac)]).toEqual([c.responseICV, c.E, c.rmac]);
      const out = se.wrapResponse(h(c.R), sw);
      expect(toHex(out) + c.SW).toBe(c.protectedResponse);
      expect(toHex(host.unwrapResponse(out, sw))).toBe(c.R);
      chain = p.chain;
    }
  });

  it("docs/se-profile.md carries the example's values", () => {
    const doc = readFileSync(new URL("../../docs/se-profile.md", import.meta.url), "utf8");
    const start = doc.indexOf("### Worked example of the shielded link");
    expect(start).toBeGreaterThan(0);
    const section = doc.slice(start, doc.indexOf("\n## ", start)).replace(/\s+/g, "").toLowerCase();
    const values = [
      ex.SK_SE,
      ex.PK_SE,
      ex.hostEphemeralPrivate,
      ex.seEphemeralPrivate,
      ex.challenge,
      ex.openCommand,
      ex.openResponse,
      ex.Zee,
      ex.Zes,
      ex.KM,
      ex.receipt,
      ...ex.commands.flatMap((c) => [
        c.plainApdu,
        c.ICV ?? "",
        c.C,
        c.cmac,
        c.protectedApdu,
        c.R,
        c.responseICV ?? "",
        c.E,
        c.rmac,
        c.protectedResponse,
      ]),
    ];
    for (const v of values) expect(section, v).toContain(v!);
  });
});
