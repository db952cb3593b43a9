// APDU conformance of the TID trusted application (tee/ta/, built natively by test/tee/ta-host.ts)
// against the simulated SE (hal/sim/applet.ts), which is the reference for every byte of
// docs/se-profile.md: ONE sequence of C-APDUs — blank-state refusals, framing errors (CLA, INS,
// lengths, extended length, secure-messaging CLA), SELECT, GET CHALLENGE, PROVISION, GET DATA,
// slots and SM4 CIPHER (chaining, 61xx / GET RESPONSE), the worked example
// (test/vectors/tid-v1-example.json) byte for byte, every AUTH FINISH failure in the profile's
// check order, a long chained extra, a fresh authentication the reference server half accepts,
// ERASE SLOT, LOCK and a reset — runs against both through a `transmit(apdu) → response`
// target, and the two transcripts must be identical. Random answers (GET CHALLENGE, an
// authcode with fresh Nd/qd, the token that follows) are compared by length and SW, and checked
// against the reference protocol instead. The shielded-link commands are outside this piece (the
// TA answers 6D00; docs/tee.md).
import { createCipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TidApplet } from "../../hal/sim/applet.js";
import { buildServerData, parseAuthcode, verifyAuthcode } from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { buildTaHost, TaHost, taHostToolsMissing } from "./ta-host.js";

const EX = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8")) as Record<string, string | number>;
const TID = fromHex(EX.TID as string);
const PSK = fromHex(EX.PSK as string);
const TIME = EX.deviceTime as number;
const ND = fromHex(EX.Nd as string);
const QD = fromHex(EX.deviceEphemeralPrivate as string);
const SM4_KEY = fromHex("0123456789abcdeffedcba9876543210"); // GB/T 32907-2016 example 1

const missing = taHostToolsMissing();
if (missing) console.warn(`test/tee/conformance.test.ts skipped: ${missing}`);

/** What the suite needs of an SE: one APDU exchange, a reset, and the known-answer test hook. */
interface ApduTarget {
  transmit(capdu: Uint8Array): Promise<Uint8Array>;
  /** RAM state lost, identity kept (power cycle / new TEE session) */
  reset(): Promise<void>;
  /** the next AUTH BEGIN draws this Nd and ephemeral private key */
  injectNextAuth(nd: Uint8Array, qd: Uint8Array): Promise<void>;
}

function simTarget(): ApduTarget {
  const a = new TidApplet({ seed: 11 });
  return {
    transmit: (c) => Promise.resolve(a.process(c).rapdu),
    reset: () => Promise.resolve(a.reset()),
    injectNextAuth: (nd, qd) =>
      Promise.resolve(a.injectNextAuth({ nd: nd.slice(), ephemeralPrivate: qd.slice() }) /* the sim wipes what it is given */),
  };
}

function taTarget(host: TaHost): ApduTarget {
  return {
    async transmit(c) {
      const line = await host.request(toHex(c));
      if (!/^([0-9a-f]{2})+$/.test(line)) throw new Error(`TRANSMIT ${toHex(c)}: ${line}`);
      return fromHex(line);
    },
    async reset() {
      expect(await host.request("!reset")).toBe("TEE_SUCCESS");
    },
    async injectNextAuth(nd, qd) {
      expect(await host.request(`!inject ${toHex(nd)}${toHex(qd)}`)).toBe("ok");
    },
  };
}

const apdu = (cla: number, ins: number, p1: number, p2: number, data?: Uint8Array | number[], le?: number): Uint8Array => {
  const d = data ? Uint8Array.from(data) : null;
  return Uint8Array.from([cla, ins, p1, p2, ...(d ? [d.length, ...d] : []), ...(le === undefined ? [] : [le])]);
};
const be32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const beginData = (flags = 0, time = TIME, extra: number[] = []): number[] => [flags >> 8, flags & 255, ...be32(time), ...extra];
const swOf = (r: Uint8Array): string => toHex(r.subarray(r.length - 2));
const sm4Ecb = (key: Uint8Array, data: Uint8Array): string => {
  const c = createCipheriv("sm4-ecb", key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]).toString("hex");
};

interface Entry {
  step: string;
  capdu: string;
  /** the R-APDU, or "<n bytes> SW" for answers drawn from the SE's RNG (the C-APDU then "<n bytes>") */
  rapdu: string;
}

/** The conformance sequence; returns its transcript. Also asserts what the profile fixes. */
async function runSequence(t: ApduTarget): Promise<Entry[]> {
  const log: Entry[] = [];
  /** random: the exchange depends on the SE's RNG (or on server data built from it): logged by length and SW */
  const send = async (step: string, c: Uint8Array, opts: { random?: boolean } = {}): Promise<Uint8Array> => {
    const r = await t.transmit(c);
    log.push({
      step,
      capdu: opts.random ? `<${c.length} bytes>` : toHex(c),
      rapdu: opts.random ? `<${r.length - 2} bytes> ${swOf(r)}` : toHex(r),
    });
    return r;
  };
  /** send, follow 61xx with GET RESPONSE; returns data ‖ final SW */
  const long = async (step: string, c: Uint8Array, opts: { random?: boolean } = {}): Promise<Uint8Array> => {
    let r = await send(step, c, opts);
    const parts: number[] = [];
    while (r[r.length - 2] === 0x61) {
      parts.push(...r.subarray(0, r.length - 2));
      r = await send(`${step} / get response`, apdu(0x00, 0xc0, 0, 0, undefined, r[r.length - 1]!), opts);
    }
    return Uint8Array.from([...parts, ...r]);
  };
  /** command chaining in 255-byte blocks */
  const chained = async (step: string, ins: number, p1: number, p2: number, data: Uint8Array, opts: { random?: boolean } = {}) => {
    for (let off = 0; off + 255 < data.length; off += 255) {
      expect(swOf(await send(`${step} / block`, apdu(0x90, ins, p1, p2, data.subarray(off, off + 255))))).toBe("9000");
    }
    const last = data.subarray(Math.floor((data.length - 1) / 255) * 255);
    return long(step, apdu(0x80, ins, p1, p2, last, 0), opts);
  };
  const expectSw = async (step: string, c: Uint8Array, sw: string, opts: { random?: boolean } = {}) =>
    expect(swOf(await send(step, c, opts)), step).toBe(sw);

  // ---- blank SE
  await expectSw("get tid, blank", apdu(0x80, 0xca, 0, 1, undefined, 0), "6a88");
  expect(toHex(await send("info, blank", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe("0100010802000000" + "9000");
  await expectSw("auth begin, blank", apdu(0x80, 0xdc, 1, 0, beginData(), 0), "6985");
  await expectSw("lock, blank", apdu(0x80, 0xea, 0, 0), "6985");
  await expectSw("auth finish, nothing pending", apdu(0x80, 0xdc, 2, 0x80, fromHex(EX.serverData as string), 0), "6985");
  await expectSw("load key, blank (no identity needed)", apdu(0x80, 0x5a, 0, 1, SM4_KEY), "9000");

  // ---- framing
  await expectSw("unknown CLA", apdu(0x40, 0xca, 0, 1, undefined, 0), "6e00");
  await expectSw("ISO INS with CLA 80", apdu(0x80, 0xa4, 4, 0, fromHex("f05449444150507631")), "6e00");
  await expectSw("proprietary INS with CLA 00", apdu(0x00, 0xca, 0, 1, undefined, 0), "6e00");
  await expectSw("unknown INS", apdu(0x80, 0xff, 0, 0), "6d00");
  await expectSw("3-byte APDU", Uint8Array.of(0x80, 0xca, 0), "6700");
  await expectSw("empty APDU", new Uint8Array(0), "6700");
  await expectSw("Lc longer than the data", Uint8Array.of(0x80, 0xd8, 0, 0, 0x18, 1, 2), "6700");
  await expectSw("extended length", Uint8Array.of(0x80, 0xd8, 0, 0, 0, 0, 0x18, ...new Uint8Array(24)), "6700");
  await expectSw("secure messaging outside a session", apdu(0x84, 0xca, 0, 1, undefined, 0), "6982");
  await expectSw("chaining a command that cannot chain", apdu(0x90, 0xca, 0, 1, [1]), "6884");

  // ---- SELECT, GET CHALLENGE
  expect(toHex(await send("select", apdu(0x00, 0xa4, 4, 0, fromHex("f05449444150507631"), 0)))).toBe(
    "6f0f8409f05449444150507631850201009000",
  );
  await expectSw("select, other AID", apdu(0x00, 0xa4, 4, 0, fromHex("f05449444150507632")), "6a82");
  await expectSw("select, no AID", apdu(0x00, 0xa4, 4, 0), "6a82");
  await expectSw("select, P1P2", apdu(0x00, 0xa4, 0, 0, fromHex("f05449444150507631")), "6a86");
  const ch = await send("get challenge 8", apdu(0x00, 0x84, 0, 0, undefined, 8), { random: true });
  expect(ch.length).toBe(10);
  expect((await send("get challenge 256", apdu(0x00, 0x84, 0, 0, undefined, 0), { random: true })).length).toBe(258);
  await expectSw("get challenge, no Le", apdu(0x00, 0x84, 0, 0), "6700");
  await expectSw("get challenge, P1P2", apdu(0x00, 0x84, 1, 0, undefined, 8), "6a86");
  await expectSw("get response, nothing", apdu(0x00, 0xc0, 0, 0, undefined, 0), "6985");

  // ---- provisioning
  const identity = Uint8Array.from([...TID, ...PSK]);
  await expectSw("provision, short", apdu(0x80, 0xd8, 0, 0, identity.subarray(0, 23)), "6700");
  await expectSw("provision, P1P2", apdu(0x80, 0xd8, 0, 1, identity), "6a86");
  await expectSw("provision", apdu(0x80, 0xd8, 0, 0, identity), "9000");
  expect(toHex(await send("get tid", apdu(0x80, 0xca, 0, 1, undefined, 0)))).toBe(`${EX.TID as string}9000`);
  expect(toHex(await send("info", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe("01000108020001009000");
  await expectSw("get data, unknown tag", apdu(0x80, 0xca, 0, 9, undefined, 0), "6a86");
  await expectSw("get data, link key (none)", apdu(0x80, 0xca, 0, 4, undefined, 0), "6a88");
  await expectSw("get data, with Lc", apdu(0x80, 0xca, 0, 1, [0]), "6700");

  // ---- slots and SM4 CIPHER
  expect(toHex(await send("slots: provisioning emptied them", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("00000000000000009000");
  await expectSw("load key", apdu(0x80, 0x5a, 0, 1, SM4_KEY), "9000");
  await expectSw("load key, short", apdu(0x80, 0x5a, 0, 1, SM4_KEY.subarray(1)), "6700");
  await expectSw("load key, slot 8", apdu(0x80, 0x5a, 0, 8, SM4_KEY), "6a86");
  await expectSw("load key, P1", apdu(0x80, 0x5a, 1, 1, SM4_KEY), "6a86");
  expect(toHex(await send("sm4 encrypt (GB/T 32907)", apdu(0x80, 0xda, 1, 1, SM4_KEY, 0)))).toBe("681edf34d206965e86b3e94f536e42469000");
  expect(toHex(await send("sm4 decrypt", apdu(0x80, 0xda, 0, 1, fromHex("681edf34d206965e86b3e94f536e4246"), 0)))).toBe(
    `${toHex(SM4_KEY)}9000`,
  );
  await expectSw("sm4, 15 bytes", apdu(0x80, 0xda, 1, 1, new Uint8Array(15)), "6700");
  await expectSw("sm4, empty slot", apdu(0x80, 0xda, 1, 3, new Uint8Array(16)), "6a88");
  await expectSw("sm4, slot 8", apdu(0x80, 0xda, 1, 8, new Uint8Array(16)), "6a86");
  await expectSw("sm4, mode 2", apdu(0x80, 0xda, 2, 1, new Uint8Array(16)), "6a86");
  const big = Uint8Array.from({ length: 608 }, (_, i) => (i * 7) & 255);
  const enc = await chained("sm4 encrypt 608 bytes, chained, 61xx", 0xda, 1, 1, big);
  expect(toHex(enc)).toBe(`${sm4Ecb(SM4_KEY, big)}9000`);
  await send("chain: first block", apdu(0x90, 0xda, 1, 1, new Uint8Array(32)));
  await expectSw("chain: a block of another command", apdu(0x90, 0xdc, 1, 0, beginData()), "6883");
  await send("chain: first block again", apdu(0x90, 0xda, 1, 1, new Uint8Array(32)));
  expect(toHex(await send("chain: dropped by another command", apdu(0x80, 0xca, 0, 1, undefined, 0)))).toBe(`${EX.TID as string}9000`);
  for (let i = 0; i < 4; i++) await send(`chain over 1024 bytes: block ${i}`, apdu(0x90, 0xda, 1, 1, new Uint8Array(240)));
  await expectSw("chain over 1024 bytes", apdu(0x90, 0xda, 1, 1, new Uint8Array(80)), "6700");

  // ---- the worked example, byte for byte
  await t.injectNextAuth(ND, QD);
  const authcode = await long("auth begin (worked example)", apdu(0x80, 0xdc, 1, 0, beginData(), 0));
  expect(toHex(authcode)).toBe(`${EX.authcode as string}9000`);
  expect(toHex(await send("info: request pending", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe("01000108020001019000");
  const token = await send("auth finish (worked example)", apdu(0x80, 0xdc, 2, 0x80, fromHex(EX.serverData as string), 0));
  expect(toHex(token)).toBe(`${EX.sessionToken as string}9000`);
  await expectSw("auth finish again", apdu(0x80, 0xdc, 2, 0x80, fromHex(EX.serverData as string), 0), "6985");
  expect(toHex(await send("slots", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("02010000000000009000");
  expect(toHex(await send("sm4 with the token", apdu(0x80, 0xda, 1, 0, SM4_KEY, 0)))).toBe(
    `${sm4Ecb(fromHex(EX.sessionToken as string), SM4_KEY)}9000`,
  );

  // ---- AUTH BEGIN refusals
  await expectSw("auth begin, reserved flag", apdu(0x80, 0xdc, 1, 0, beginData(2), 0), "6a80");
  await expectSw("auth begin, P2", apdu(0x80, 0xdc, 1, 1, beginData(), 0), "6a86");
  await expectSw("auth P1 03", apdu(0x80, 0xdc, 3, 0, beginData(), 0), "6a86");
  await expectSw("auth begin, 5 bytes", apdu(0x80, 0xdc, 1, 0, beginData().slice(0, 5), 0), "6700");

  // ---- AUTH FINISH failures, each after a fresh known-answer AUTH BEGIN, in the profile's order
  const sd = fromHex(EX.serverData as string);
  const finishFails = async (step: string, data: Uint8Array, sw: string, p2 = 0x80) => {
    await t.injectNextAuth(ND, QD);
    await long(`${step}: auth begin`, apdu(0x80, 0xdc, 1, 0, beginData(), 0));
    await expectSw(step, apdu(0x80, 0xdc, 2, p2, data, 0), sw);
    await expectSw(`${step}: the request is gone`, apdu(0x80, 0xdc, 2, 0x80, sd, 0), "6985");
  };
  const with_ = (i: number, v: number) => Uint8Array.from(sd, (b, j) => (j === i ? v : b));
  await finishFails("auth finish, bad P2", sd, "6a86", 0x20);
  await finishFails("auth finish, slot 8", sd, "6a86", 0x88);
  await finishFails("auth finish, 67 bytes", sd.subarray(0, 67), "6700");
  await finishFails("auth finish, version 2", with_(0, 2), "6a81");
  await finishFails("auth finish, algorithm", with_(1, 0x11), "9484");
  await finishFails("auth finish, nonce length", with_(3, 0x0f), "6a80");
  await finishFails("auth finish, another TID", with_(10, sd[10]! ^ 1), "6984");
  await finishFails("auth finish, tag_s", with_(sd.length - 1, sd[sd.length - 1]! ^ 1), "6300");
  expect(toHex(await send("slots kept", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("02010000000000009000");

  // ---- a 300-byte extra: chained AUTH BEGIN, 432-byte authcode through 61xx
  const extra = Array.from({ length: 300 }, (_, i) => i & 255);
  await t.injectNextAuth(ND, QD);
  const longCode = await chained("auth begin, 300-byte extra", 0xdc, 1, 0, Uint8Array.from(beginData(0, TIME, extra)));
  expect(longCode.length).toBe(432 + 2);
  const lf = parseAuthcode(longCode.subarray(0, 432));
  expect(toHex(lf.extra)).toBe(toHex(Uint8Array.from(extra)));

  // ---- a fresh authentication the reference server half accepts (fresh Nd and qd)
  const fresh = await long("auth begin (fresh)", apdu(0x80, 0xdc, 1, 0, beginData(0, 1_700_000_000), 0), { random: true });
  expect(swOf(fresh)).toBe("9000");
  const v = verifyAuthcode(fresh.subarray(0, fresh.length - 2), { now: 1_700_000_001, lookupPsk: () => PSK });
  const built = buildServerData({ tid: TID, psk: PSK, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: 1_700_000_001, issueToken: true });
  const tok = await send("auth finish (fresh) into slot 5", apdu(0x80, 0xdc, 2, 0x85, built.serverData, 0), { random: true });
  expect(toHex(tok)).toBe(`${toHex(built.token!)}9000`);
  const probe = await send("sm4 with the fresh token", apdu(0x80, 0xda, 1, 5, SM4_KEY, 0), { random: true });
  expect(toHex(probe)).toBe(`${sm4Ecb(built.token!, SM4_KEY)}9000`);
  // no token asked for (flags bit 0): the slot keeps its key, no data
  const keep = await long("auth begin, keep session", apdu(0x80, 0xdc, 1, 0, beginData(1, 1_700_000_002), 0), { random: true });
  const kv = verifyAuthcode(keep.subarray(0, keep.length - 2), { now: 1_700_000_002, lookupPsk: () => PSK });
  const noTok = buildServerData({ tid: TID, psk: PSK, nd: kv.nd, tagD: kv.tagD, time: 1_700_000_003, issueToken: false });
  await expectSw("auth finish, no token", apdu(0x80, 0xdc, 2, 0x85, noTok.serverData, 0), "9000", { random: true });
  // token kept in the TA only (bit 7 clear)
  const inSe = await long("auth begin (token stays inside)", apdu(0x80, 0xdc, 1, 0, beginData(0, 1_700_000_004), 0), { random: true });
  const iv = verifyAuthcode(inSe.subarray(0, inSe.length - 2), { now: 1_700_000_004, lookupPsk: () => PSK });
  const inside = buildServerData({ tid: TID, psk: PSK, nd: iv.nd, tagD: iv.tagD, Qd: iv.Qd, time: 1_700_000_005, issueToken: true });
  await expectSw("auth finish, token not returned", apdu(0x80, 0xdc, 2, 0x06, inside.serverData, 0), "9000", { random: true });
  const used = await send("sm4 with the inside token", apdu(0x80, 0xda, 1, 6, SM4_KEY, 0), { random: true });
  expect(toHex(used)).toBe(`${sm4Ecb(inside.token!, SM4_KEY)}9000`);
  expect(toHex(await send("slots after the fresh runs", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("02010000000202009000");

  // ---- ERASE SLOT
  await expectSw("erase slot 5", apdu(0x80, 0xec, 0, 5), "9000");
  await expectSw("erase slot 5 again", apdu(0x80, 0xec, 0, 5), "9000");
  await expectSw("erase slot 9", apdu(0x80, 0xec, 0, 9), "6a86");
  await expectSw("erase slot, Lc", apdu(0x80, 0xec, 0, 1, [0]), "6700");
  await expectSw("sm4 after erase", apdu(0x80, 0xda, 1, 5, new Uint8Array(16)), "6a88");
  await expectSw("erase all", apdu(0x80, 0xec, 0, 0xff), "9000");
  expect(toHex(await send("slots after erase all", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("00000000000000009000");

  // ---- reset: identity stays, RAM goes
  await expectSw("load key before reset", apdu(0x80, 0x5a, 0, 2, SM4_KEY), "9000");
  await t.injectNextAuth(ND, QD);
  await long("auth begin before reset", apdu(0x80, 0xdc, 1, 0, beginData(), 0));
  await t.reset();
  log.push({ step: "reset", capdu: "", rapdu: "" });
  expect(toHex(await send("get tid after reset", apdu(0x80, 0xca, 0, 1, undefined, 0)))).toBe(`${EX.TID as string}9000`);
  expect(toHex(await send("slots after reset", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("00000000000000009000");
  await expectSw("auth finish after reset", apdu(0x80, 0xdc, 2, 0x80, sd, 0), "6985");

  // ---- LOCK
  await expectSw("lock, P1P2", apdu(0x80, 0xea, 0, 1), "6a86");
  await expectSw("lock", apdu(0x80, 0xea, 0, 0), "9000");
  await expectSw("lock again", apdu(0x80, 0xea, 0, 0), "9000");
  await expectSw("provision after lock", apdu(0x80, 0xd8, 0, 0, identity), "6982");
  expect(toHex(await send("info, locked", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe("01000108020002009000");
  await t.reset();
  expect(toHex(await send("info, locked after reset", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe("01000108020002009000");
  return log;
}

describe.skipIf(!!missing)("TID TA (native build) answers the APDU profile as the simulated SE does", () => {
  let exe = "";
  let host: TaHost | null = null;
  beforeAll(() => {
    exe = buildTaHost();
  });
  afterAll(async () => {
    await host?.close();
  });

  it("the same sequence gives the same transcript, byte for byte", async () => {
    const sim = await runSequence(simTarget());
    host = new TaHost(exe);
    const ta = await runSequence(taTarget(host));
    expect(ta.length).toBe(sim.length);
    for (let i = 0; i < sim.length; i++) expect(ta[i], `step ${i}: ${sim[i]!.step}`).toEqual(sim[i]);
    expect(await host.close(), host.stderr).toBe(0); // exits 0 only when every TEE_Malloc block was freed
    host = null;
  });
});
