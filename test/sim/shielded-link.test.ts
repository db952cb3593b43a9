// The shielded SE link end to end (docs/se-profile.md "The shielded link"): SeClient with a pinned
// PK.SE → secure channel → APDU channel → the real FM I2C / SPI link driver → the simulated SE.
// The worked example on the wire; pairing; an impostor (another static key, or none) gets nothing
// in clear; a man in the middle who alters, replays, reorders or drops frames, or injects an
// unprotected command, never gets a wrong response accepted; every malformed protected response is
// a typed error; a reset ends the session and the client reopens; the lost-session policy.
import { describe, expect, it } from "vitest";
import { createSimulatedStack, type SimulatedStack } from "../../hal/sim/stack.js";
import { SeStatusError } from "../../hal/se/client.js";
import { SeImpostorError, SeSecureMessagingError, SeSessionLostError } from "../../hal/se/link-errors.js";
import { LinkTimeout } from "../../hal/link/errors.js";
import * as seCommands from "../../hal/se/commands.js";
import { buildServerData, hostOpen, protectCommand, sm2Keygen, verifyAuthcode } from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { LINK_EXAMPLE } from "../support/se-link.js";

const ex = LINK_EXAMPLE;
const TID = fromHex(ex.TID!);
const PSK = fromHex(ex.PSK!);
const SK = fromHex(ex.SK_SE!);
const PK = fromHex(ex.PK_SE!);
const KEY = new Uint8Array(16).fill(0x5c);

type Bus = "i2c" | "spi";

function stack(
  bus: Bus,
  opts: { linkKey?: Uint8Array | null; pinned?: Uint8Array | null; tap?: (d: "out" | "in", b: Uint8Array) => void } = {},
): SimulatedStack {
  return createSimulatedStack({
    bus,
    seed: 11,
    identity: { tid: TID, psk: PSK },
    ...(opts.linkKey === null ? {} : { linkKey: opts.linkKey ?? SK }),
    ...(opts.pinned === null ? {} : { pinnedKey: opts.pinned ?? PK }),
    ...(opts.tap ? { tap: opts.tap } : {}),
  });
}

/** Interpose on the link under the APDU channel: `edit` may change, drop or replace each exchange. */
function mitm(s: SimulatedStack, edit: (n: number, capdu: Uint8Array, forward: (c: Uint8Array) => Uint8Array) => Uint8Array): void {
  const link = s.link as { transceiveSync(a: Uint8Array): Uint8Array };
  const inner = link.transceiveSync.bind(link);
  let n = 0;
  link.transceiveSync = (apdu: Uint8Array): Uint8Array => edit(n++, apdu, inner);
}

const ins = (capdu: Uint8Array): number => capdu[1]!;
const cla = (capdu: Uint8Array): number => capdu[0]!;

describe.each(["i2c", "spi"] as const)("shielded link over FM %s", (bus) => {
  it("carries the worked example's bytes exactly", () => {
    const s = stack(bus);
    s.sim.applet.injectNextOpen(fromHex(ex.seEphemeralPrivate!));
    s.client.secure!.injectNextOpen({ ephemeralPrivate: fromHex(ex.hostEphemeralPrivate!), challenge: fromHex(ex.challenge!) });
    expect(toHex(s.client.getTidSync())).toBe(ex.TID);
    s.client.loadSessionKeySync(0, fromHex("dfb985492562247eef51b9eb5c86cd2a"));
    const log = s.sim.chip.log.map((e) => [toHex(e.capdu), toHex(e.rapdu)]);
    expect(log).toEqual([[ex.openCommand, ex.openResponse], ...ex.commands.map((c) => [c.protectedApdu, c.protectedResponse])]);
    expect(toHex(s.client.sessionKeys()!.sMac)).toBe(ex.S_MAC);
  });

  it("pairing: GENERATE LINK KEY pins PK.SE; PROVISION, AUTH and SM4 then run protected; LOCK fixes the key", () => {
    const capture: string[] = [];
    const s = createSimulatedStack({ bus, seed: 4, tap: (_d, b) => capture.push(toHex(b)) });
    expect(s.client.shielded).toBe(false);
    const pk = s.client.pairSync();
    expect(toHex(pk)).toBe(toHex(s.sim.applet.linkPublicKey()!));
    expect(s.client.shielded).toBe(true);
    s.client.provisionSync(TID, PSK);
    const authcode = s.client.authBeginSync({ time: 1_700_000_000 });
    const v = verifyAuthcode(authcode, { lookupPsk: () => PSK, now: 1_700_000_000 });
    const sd = buildServerData({ tid: TID, psk: PSK, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: 1_700_000_001, issueToken: true });
    const token = s.client.authFinishSync(sd.serverData, { slot: 2, returnToken: true });
    expect(toHex(token!)).toBe(toHex(sd.token!));
    const ct = s.client.sm4CipherSync(2, true, new Uint8Array(32).fill(1));
    expect(toHex(s.client.sm4CipherSync(2, false, ct))).toBe("01".repeat(32));
    s.client.lockSync();
    // every command after the pairing went protected (CLA 84 / 04), or was an OPEN
    const after = s.sim.chip.log.slice(1);
    expect(after.every((e) => (cla(e.capdu) & 0x04) !== 0 || ins(e.capdu) === 0x88 || ins(e.capdu) === 0xc0)).toBe(true);
    // nothing secret on the wires: PSK, token, session keys, in either byte order
    const wire = capture.join("|");
    const keys = s.client.sessionKeys()!;
    for (const secret of [PSK, token!, keys.sEnc, keys.sMac, keys.sRmac]) {
      expect(wire).not.toContain(toHex(secret));
      expect(wire).not.toContain(toHex(secret.slice().reverse()));
    }
    expect(() => s.client.pairSync()).toThrow(SeStatusError); // 6982 after LOCK, protected
    expect(toHex(s.sim.applet.linkPublicKey()!)).toBe(toHex(pk));
  });

  it("async calls: concurrent commands queue on one session; SELECT goes in clear and ends it; a reset is survived", async () => {
    const s = stack(bus);
    const [tid, , info] = await Promise.all([s.client.getTid(), s.client.loadSessionKey(1, KEY), s.client.getInfo()]);
    expect(toHex(tid)).toBe(ex.TID);
    expect([info.linkKey, info.session]).toEqual([true, true]);
    expect(s.client.secure!.opens).toBe(1);
    const ct = await s.client.sm4Cipher(1, true, new Uint8Array(16));
    expect(ct.length).toBe(16);
    await s.client.select();
    expect(s.sim.chip.log.at(-1)!.capdu[0]).toBe(0x00); // SELECT in clear
    expect(s.client.secure!.isOpen).toBe(false);
    await s.client.getInfo(); // reopens (session 2)
    s.sim.chip.reset();
    await s.clock.sleep(20); // the chip boots (10 ms)
    expect(toHex(await s.client.getTid())).toBe(ex.TID); // bare 6982 → session 3 → repeated
    expect(s.client.secure!.opens).toBe(3);
  });

  it("the host wipes the plain command data and the decrypted response once parsed", () => {
    const s = stack(bus);
    const c = seCommands.loadSessionKey(2, KEY);
    s.client.runSync(c);
    expect(toHex(c.apdu.data!)).toBe("00".repeat(16));
    expect(toHex(s.sim.applet.peekSlot(2)!)).toBe(toHex(KEY));
    const p = seCommands.provision(TID, PSK);
    s.client.runSync(p);
    expect(p.apdu.data!.every((b) => b === 0)).toBe(true);
  });

  it("an impostor (another static key) is refused at OPEN and gets no command in clear", () => {
    const s = stack(bus, { linkKey: sm2Keygen().privateKey });
    expect(() => s.client.getTidSync()).toThrow(SeImpostorError);
    expect(() => s.client.provisionSync(TID, PSK)).toThrow(SeImpostorError);
    expect(s.sim.chip.log.map((e) => ins(e.capdu))).toEqual([0x88, 0x88]); // two OPENs, nothing else
  });

  it("an SE with no link key while one is pinned: SeImpostorError, nothing sent in clear", () => {
    const s = stack(bus, { linkKey: null });
    const e = (() => {
      try {
        s.client.loadSessionKeySync(0, KEY);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(SeImpostorError);
    expect((e as SeImpostorError).reason).toBe("NO_LINK_KEY");
    expect(s.sim.chip.log.map((x) => ins(x.capdu))).toEqual([0x88]);
    expect(s.sim.applet.inspect().slots[0]).toBe(0);
  });

  it("a command altered in flight never runs; the client reopens and repeats it (safe); GENERATE LINK KEY is not repeated", () => {
    const s = stack(bus);
    s.client.getTidSync();
    mitm(s, (n, c, fwd) => {
      if (n === 0) {
        const bad = c.slice();
        bad[7]! ^= 0x01; // inside C
        return fwd(bad);
      }
      return fwd(c);
    });
    s.client.loadSessionKeySync(1, KEY);
    const log = s.sim.chip.log.slice(-4).map((e) => [ins(e.capdu), toHex(e.rapdu.subarray(-2))]);
    // the altered LOAD: refused with a bare 6982, session ended, nothing ran; then a new session and the repeat
    expect(log).toEqual([
      [0xca, "9000"],
      [0x5a, "6982"],
      [0x88, "9000"],
      [0x5a, "9000"],
    ]);
    expect(toHex(s.sim.applet.peekSlot(1)!)).toBe(toHex(KEY));
    expect(s.client.secure!.opens).toBe(2);
    const g = stack(bus, { pinned: PK });
    g.client.getTidSync();
    mitm(g, (n, c, fwd) =>
      n === 0
        ? fwd(Uint8Array.from([...c.subarray(0, 5), ...c.subarray(5, c.length - 1).map((b, i) => (i === 0 ? b ^ 1 : b)), 0]))
        : fwd(c),
    );
    expect(() => g.client.pairSync()).toThrow(SeSessionLostError);
    expect(toHex(g.sim.applet.linkPublicKey()!)).toBe(ex.PK_SE); // the key was not replaced
  });

  it("a response altered in flight: SeSecureMessagingError, nothing returned, session ended", () => {
    const s = stack(bus);
    const authcode = s.client.authBeginSync({ time: 1_700_000_000 });
    const v = verifyAuthcode(authcode, { lookupPsk: () => PSK, now: 1_700_000_000 });
    const sd = buildServerData({ tid: TID, psk: PSK, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: 1_700_000_001, issueToken: true });
    mitm(s, (_n, c, fwd) => {
      const r = fwd(c).slice();
      if (ins(c) === 0xdc) r[3]! ^= 0x20;
      return r;
    });
    expect(() => s.client.authFinishSync(sd.serverData, { slot: 0, returnToken: true })).toThrow(SeSecureMessagingError);
    expect(s.client.secure!.isOpen).toBe(false);
  });

  it("a replayed command is refused by the SE; a replayed or reordered response by the host", () => {
    const s = stack(bus);
    let recorded: Uint8Array | null = null;
    let oldAnswer: Uint8Array | null = null;
    mitm(s, (n, c, fwd) => {
      if (ins(c) === 0x5a && !recorded) {
        recorded = c.slice();
        return fwd(c);
      }
      if (n >= 2 && ins(c) === 0xca && recorded && !oldAnswer) {
        oldAnswer = fwd(recorded); // replay the old LOAD SESSION KEY instead
        return oldAnswer;
      }
      return fwd(c);
    });
    s.client.loadSessionKeySync(3, KEY);
    expect(() => s.client.getTidSync()).not.toThrow(); // replayed LOAD refused (bare 6982) → reopen → GET DATA repeated
    expect(toHex(oldAnswer!)).toBe("6982");
    // a response replayed for a later command: R-MAC mismatch
    const t = stack(bus);
    let first: Uint8Array | null = null;
    mitm(t, (_n, c, fwd) => {
      const r = fwd(c);
      if (ins(c) === 0xca) {
        if (!first) first = r;
        else return first;
      }
      return r;
    });
    t.client.getTidSync();
    expect(() => t.client.getTidSync()).toThrow(SeSecureMessagingError);
    // reordered commands: the SE refuses the second one sent first
    const u = stack(bus);
    const o = hostOpen(PK);
    const ans = u.link.transceiveSync(Uint8Array.from([0x80, 0x88, 0, 0, 80, ...o.commandData, 0]));
    const h = o.finish(ans.subarray(0, 80));
    const k = h.keys();
    const c1 = protectCommand(k, h.chainingValue, 1, { cla: 0x80, ins: 0x5a, p1: 0, p2: 4 }, KEY);
    const c2 = protectCommand(k, c1.chain, 2, { cla: 0x80, ins: 0xec, p1: 0, p2: 4 }, new Uint8Array(0));
    expect(toHex(u.link.transceiveSync(Uint8Array.from([0x84, 0xec, 0, 4, c2.data.length, ...c2.data, 0])))).toBe("6982");
    expect(toHex(u.link.transceiveSync(Uint8Array.from([0x84, 0x5a, 0, 4, c1.data.length, ...c1.data, 0])))).toBe("6982"); // session over
    expect(u.sim.applet.inspect().slots[4]).toBe(0);
  });

  it("a dropped command: repeated after a new session when safe; AUTH FINISH is not (it may have run)", () => {
    const s = stack(bus);
    s.client.getTidSync();
    let dropNext = true;
    mitm(s, (_n, c, fwd) => {
      if (dropNext && (cla(c) & 0x04) !== 0) {
        dropNext = false;
        throw new LinkTimeout("mitm", "busy", 16_000, 16_000);
      }
      return fwd(c);
    });
    s.client.eraseSlotSync("all");
    expect(s.client.secure!.opens).toBe(2);
    const authcode = s.client.authBeginSync({ time: 1_700_000_000 });
    const v = verifyAuthcode(authcode, { lookupPsk: () => PSK, now: 1_700_000_000 });
    const sd = buildServerData({ tid: TID, psk: PSK, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: 1_700_000_001, issueToken: true });
    dropNext = true;
    const e = (() => {
      try {
        s.client.authFinishSync(sd.serverData, { slot: 0, returnToken: true });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(SeSessionLostError);
    expect((e as SeSessionLostError).how).toBe("link");
    expect((e as Error).cause).toBeInstanceOf(LinkTimeout);
  });

  it("an unprotected command injected after the session opened: refused, session ended; the client reopens", () => {
    const s = stack(bus);
    s.client.getTidSync();
    const r = s.link.transceiveSync(Uint8Array.from([0x80, 0x5a, 0, 6, 16, ...KEY]));
    expect(toHex(r)).toBe("6982");
    expect(s.sim.applet.inspect().slots[6]).toBe(0);
    expect(s.sim.applet.inspect().sessionOpen).toBe(false);
    expect(toHex(s.client.getTidSync())).toBe(ex.TID);
    expect(s.client.secure!.opens).toBe(2);
  });

  it("every malformed protected response (each length, each byte flipped) is a typed error, nothing returned", () => {
    const base = stack(bus);
    base.client.getTidSync();
    const good = base.sim.chip.log.at(-1)!.rapdu;
    expect(good.length).toBe(16 + 8 + 2);
    const cases: Uint8Array[] = [];
    for (let n = 0; n < good.length - 2; n++) cases.push(Uint8Array.from([...good.subarray(0, n), ...good.subarray(-2)]));
    for (let i = 0; i < good.length; i++) {
      const b = good.slice();
      b[i]! ^= 1 << (i % 8);
      cases.push(b);
    }
    for (const bad of cases) {
      const s = stack(bus);
      s.client.getTidSync();
      mitm(s, (_n, c, fwd) => (fwd(c), bad));
      let err: unknown = null;
      try {
        s.client.getTidSync();
      } catch (e) {
        err = e;
      }
      expect(err === null ? "accepted" : (err as Error).name, toHex(bad)).toBe("SeSecureMessagingError");
      expect(s.client.secure!.isOpen).toBe(false);
    }
  });

  it("a reset ends the session; the client reopens and repeats; AUTH FINISH after a bare 6982 is repeated, GENERATE LINK KEY is not", () => {
    const s = stack(bus);
    s.client.getTidSync();
    s.sim.chip.reset();
    s.clock.sleepSync(20); // the chip boots (10 ms)
    expect(toHex(s.client.getTidSync())).toBe(ex.TID);
    expect(s.client.secure!.opens).toBe(2);
    const authcode = s.client.authBeginSync({ time: 1_700_000_000 });
    const v = verifyAuthcode(authcode, { lookupPsk: () => PSK, now: 1_700_000_000 });
    const sd = buildServerData({ tid: TID, psk: PSK, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: 1_700_000_001, issueToken: true });
    s.sim.chip.reset();
    s.clock.sleepSync(20); // the chip boots (10 ms)
    // repeated (the SE ran nothing) — and the reset also lost the pending request: 6985, protected
    expect(() => s.client.authFinishSync(sd.serverData)).toThrow(SeStatusError);
    expect(s.sim.chip.log.at(-1)!.rapdu.length).toBe(8 + 2);
    s.sim.chip.reset();
    s.clock.sleepSync(20); // the chip boots (10 ms)
    expect(() => s.client.pairSync()).toThrow(SeSessionLostError);
    expect(toHex(s.sim.applet.linkPublicKey()!)).toBe(ex.PK_SE);
  });
});
