// APDU conformance of the TID trusted application (tee/ta/, built natively by test/tee/ta-host.ts)
// against the simulated SE (hal/sim/applet.ts), which is the reference for every byte of
// docs/se-profile.md: ONE sequence of C-APDUs — blank-state refusals, framing errors (CLA, INS,
// lengths, extended length, secure-messaging CLA), SELECT, GET CHALLENGE, PROVISION, GET DATA,
// slots and SM4 CIPHER (chaining, 61xx / GET RESPONSE), the worked example
// (test/vectors/tid-v1-example.json) byte for byte, every AUTH FINISH failure in the profile's
// check order, a long chained extra, a fresh authentication the reference server half accepts,
// ERASE SLOT, a reset, then suite INTL (docs/se-profile.md PROVISION with the suite byte, GET DATA
// 00 05: refused suite bytes and lengths, the INTL worked example test/vectors/tid-v1-intl-example.json
// byte for byte, server data of the other suite → 9484, CIPHER in AES-128, a fresh INTL
// authentication the reference server half accepts in suite "intl", a reset that keeps the suite,
// re-PROVISION back to SM), then the shielded link (docs/se-profile.md "The shielded link"): pairing
// (GENERATE LINK KEY, GET DATA 00 04), what a shielded SE refuses in clear, OPEN SECURE SESSION
// (test/vectors/se-link-example.json byte for byte), protected commands (PROVISION, AUTH BEGIN /
// FINISH, SM4 CIPHER chained and through 61xx, GET CHALLENGE, an INTL identity's authentication
// under the SM link), every rule that ends a session
// (bare 6982), a reset, a new link key inside a session, and LOCK inside a session (GENERATE LINK
// KEY refused after it) — runs against both through a `transmit(apdu) → response` target, and
// the transcripts must be identical — the simulated SE's, the native driver's (ta_host) and the
// TA's behind the fake /dev/tee0, reached through TeeLink and the real TEE client addon
// (test/tee/fake-tee-target.ts), so the suite holds the whole host path to the profile too. The host half of the link is reference/secure-link.ts.
// Randoms the test fixes (SK.SE, eSK.SE, Nd and qd of the worked examples) are queued into the
// SE's random source on both sides, so the SE must draw exactly the same bytes the same way.
// Random answers (GET CHALLENGE, an authcode with fresh Nd/qd, the token that follows, and what a
// session carries after them) are compared by length and SW, and checked against the reference
// protocol instead.
import { createCipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom, TidApplet } from "../../hal/sim/applet.js";
import { buildServerData, parseAuthcode, sm2PublicFromPrivate, verifyAuthcode } from "../../reference/index.js";
import {
  hostOpen,
  padIso9797m2,
  protectCommand,
  sm4Block,
  sm4CbcEncrypt,
  sm4Cmac,
  type SecureSession,
} from "../../reference/secure-link.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { buildTaHost, TaHost, taHostToolsMissing } from "./ta-host.js";
import { startFakeTeeHost } from "./fake-tee-target.js";
import { teeNativeMissing } from "../../hal/tee/native.js";

const EX = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8")) as Record<string, string | number>;
const TID = fromHex(EX.TID as string);
const PSK = fromHex(EX.PSK as string);
const TIME = EX.deviceTime as number;
const ND = fromHex(EX.Nd as string);
const QD = fromHex(EX.deviceEphemeralPrivate as string);
const SM4_KEY = fromHex("0123456789abcdeffedcba9876543210"); // GB/T 32907-2016 example 1
const AID = fromHex("f05449444150507631");

const EXI = JSON.parse(readFileSync(new URL("../vectors/tid-v1-intl-example.json", import.meta.url), "utf8")) as Record<
  string,
  string | number
>;
const TID_I = fromHex(EXI.TID as string);
const PSK_I = fromHex(EXI.PSK as string);
const TIME_I = EXI.deviceTime as number;
const ND_I = fromHex(EXI.Nd as string);
const QD_I = fromHex(EXI.deviceEphemeralPrivate as string);
const AES_KEY = fromHex("000102030405060708090a0b0c0d0e0f"); // FIPS-197 appendix C.1
const AES_PLAIN = fromHex("00112233445566778899aabbccddeeff");

const LINK = JSON.parse(readFileSync(new URL("../vectors/se-link-example.json", import.meta.url), "utf8")) as {
  SK_SE: string;
  PK_SE: string;
  hostEphemeralPrivate: string;
  seEphemeralPrivate: string;
  challenge: string;
  openCommand: string;
  openResponse: string;
  commands: { D: string; protectedApdu: string; protectedResponse: string }[];
};
const SK_SE = fromHex(LINK.SK_SE);
const HOST_EPHEMERAL = fromHex(LINK.hostEphemeralPrivate);
const SE_EPHEMERAL = fromHex(LINK.seEphemeralPrivate);
/** the second link key, drawn inside a session: the TID example's qd, a valid SM2 private key */
const SK_SE_2 = QD;

const missing = taHostToolsMissing();
if (missing) console.warn(`test/tee/conformance.test.ts skipped: ${missing}`);
const addonMissing = teeNativeMissing();
if (!missing && addonMissing) console.warn(`test/tee/conformance.test.ts: the run through the fake /dev/tee0 skipped: ${addonMissing}`);

/** What the suite needs of an SE: one APDU exchange, a reset, and the known-answer test hook. */
interface ApduTarget {
  transmit(capdu: Uint8Array): Promise<Uint8Array>;
  /** RAM state lost, identity kept (power cycle / new TEE session) */
  reset(): Promise<void>;
  /** the next AUTH BEGIN draws this Nd and ephemeral private key */
  injectNextAuth(nd: Uint8Array, qd: Uint8Array): Promise<void>;
  /** the SE's random source gives these bytes next (a key pair drawn from it: SK.SE, eSK.SE) */
  injectRandom(bytes: Uint8Array): Promise<void>;
}

function simTarget(): ApduTarget {
  const queue: number[] = [];
  const seeded = seededRandom(11);
  const random = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    const take = Math.min(n, queue.length);
    out.set(queue.splice(0, take));
    if (take < n) out.set(seeded(n - take), take);
    return out;
  };
  const a = new TidApplet({ random });
  return {
    injectRandom: (bytes) => Promise.resolve(void queue.push(...bytes)),
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
    async injectRandom(bytes) {
      expect(await host.request(`!inject ${toHex(bytes)}`)).toBe("ok");
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

const aesEcb = (key: Uint8Array, data: Uint8Array): string => {
  const c = createCipheriv("aes-128-ecb", key, null);
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
  await expectSw("get suite, blank", apdu(0x80, 0xca, 0, 5, undefined, 0), "6a88");
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

  // ---- suite INTL (docs/se-profile.md PROVISION, GET DATA 00 05): the identity's suite, its worked example
  const intlIdentity = (suite: number) => Uint8Array.from([...TID_I, ...PSK_I, suite]);
  expect(toHex(await send("get suite (SM)", apdu(0x80, 0xca, 0, 5, undefined, 0)))).toBe("009000");
  await expectSw("load key, before the INTL provision", apdu(0x80, 0x5a, 0, 1, SM4_KEY), "9000");
  await expectSw("provision, suite byte 02", apdu(0x80, 0xd8, 0, 0, intlIdentity(2)), "6a80");
  await expectSw("provision, suite byte ff", apdu(0x80, 0xd8, 0, 0, intlIdentity(0xff)), "6a80");
  await expectSw("provision, Lc 1A", apdu(0x80, 0xd8, 0, 0, [...intlIdentity(1), 0]), "6700");
  expect(toHex(await send("refused provisions changed nothing", apdu(0x80, 0xca, 0, 5, undefined, 0)))).toBe("009000");
  expect(toHex(await send("slots: the refused provisions kept them", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("00010000000000009000");
  await expectSw("provision, suite INTL", apdu(0x80, 0xd8, 0, 0, intlIdentity(1)), "9000");
  expect(toHex(await send("get suite (INTL)", apdu(0x80, 0xca, 0, 5, undefined, 0)))).toBe("019000");
  expect(toHex(await send("get tid (INTL)", apdu(0x80, 0xca, 0, 1, undefined, 0)))).toBe(`${EXI.TID as string}9000`);
  expect(toHex(await send("info (INTL): unchanged, 8 bytes", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe("01000108020001009000");
  expect(toHex(await send("slots: the INTL provision emptied them", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("00000000000000009000");
  // the INTL worked example, byte for byte: Nd and the P-256 ephemeral key queued as the SM example's are
  await t.injectNextAuth(ND_I, QD_I);
  const intlCode = await long("auth begin (INTL worked example)", apdu(0x80, 0xdc, 1, 0, beginData(0, TIME_I), 0));
  expect(toHex(intlCode)).toBe(`${EXI.authcode as string}9000`);
  const sdI = fromHex(EXI.serverData as string);
  const intlToken = await send("auth finish (INTL worked example)", apdu(0x80, 0xdc, 2, 0x80, sdI, 0));
  expect(toHex(intlToken)).toBe(`${EXI.sessionToken as string}9000`);
  expect(toHex(await send("slots (INTL token)", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("02000000000000009000");
  expect(toHex(await send("cipher with the INTL token: AES-128-ECB", apdu(0x80, 0xda, 1, 0, new Uint8Array(16), 0)))).toBe(
    `${EXI.symCryptoEncryptZeroBlock as string}9000`,
  );
  expect(
    toHex(await send("cipher decrypt with the INTL token", apdu(0x80, 0xda, 0, 0, fromHex(EXI.symCryptoEncryptZeroBlock as string), 0))),
  ).toBe(`${"00".repeat(16)}9000`);
  // server data of the other suite: 9484, after the version check and before every later one
  const finishFailsIntl = async (step: string, data: Uint8Array, swWanted: string) => {
    await t.injectNextAuth(ND_I, QD_I);
    expect(toHex(await long(`${step}: auth begin`, apdu(0x80, 0xdc, 1, 0, beginData(0, TIME_I), 0)))).toBe(`${EXI.authcode as string}9000`);
    await expectSw(step, apdu(0x80, 0xdc, 2, 0x80, data, 0), swWanted);
    await expectSw(`${step}: the request is gone`, apdu(0x80, 0xdc, 2, 0x80, sdI, 0), "6985");
  };
  await finishFailsIntl("INTL auth finish, SM server data (worked example)", sd, "9484");
  await finishFailsIntl(
    "INTL auth finish, SM algorithm bytes",
    Uint8Array.from(sdI, (b, j) => (j === 1 ? 0x10 : j === 2 ? 0x02 : b)),
    "9484",
  );
  await finishFailsIntl(
    "INTL auth finish, version 2 before the algorithm",
    Uint8Array.from(sd, (b, j) => (j === 0 ? 2 : b)),
    "6a81",
  );
  await finishFailsIntl(
    "INTL auth finish, tag_s",
    Uint8Array.from(sdI, (b, j) => (j === sdI.length - 1 ? b ^ 1 : b)),
    "6300",
  );
  expect(toHex(await send("slots kept (INTL)", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("02000000000000009000");
  // LOAD SESSION KEY installs an AES-128 key: FIPS-197 appendix C.1, chained through 61xx as SM4 is
  await expectSw("load key (AES-128)", apdu(0x80, 0x5a, 0, 1, AES_KEY), "9000");
  expect(toHex(await send("cipher encrypt (FIPS-197 C.1)", apdu(0x80, 0xda, 1, 1, AES_PLAIN, 0)))).toBe(
    "69c4e0d86a7b0430d8cdb78070b4c55a9000",
  );
  expect(toHex(await send("cipher decrypt (FIPS-197 C.1)", apdu(0x80, 0xda, 0, 1, fromHex("69c4e0d86a7b0430d8cdb78070b4c55a"), 0)))).toBe(
    `${toHex(AES_PLAIN)}9000`,
  );
  await expectSw("cipher (INTL), 15 bytes", apdu(0x80, 0xda, 1, 1, new Uint8Array(15)), "6700");
  await expectSw("cipher (INTL), empty slot", apdu(0x80, 0xda, 1, 3, new Uint8Array(16)), "6a88");
  const bigI = Uint8Array.from({ length: 608 }, (_, i) => (i * 11) & 255);
  expect(toHex(await chained("cipher (INTL) encrypt 608 bytes, chained, 61xx", 0xda, 1, 1, bigI))).toBe(`${aesEcb(AES_KEY, bigI)}9000`);
  // a fresh INTL authentication the reference server half accepts in suite "intl"
  const lookupIntl = () => ({ psk: PSK_I, suite: "intl" as const });
  const freshI = await long("auth begin (INTL, fresh)", apdu(0x80, 0xdc, 1, 0, beginData(0, 1_700_000_010), 0), { random: true });
  expect(swOf(freshI)).toBe("9000");
  const vi = verifyAuthcode(freshI.subarray(0, freshI.length - 2), { now: 1_700_000_011, lookupPsk: lookupIntl });
  const bi = buildServerData({
    suite: "intl",
    tid: TID_I,
    psk: PSK_I,
    nd: vi.nd,
    tagD: vi.tagD,
    Qd: vi.Qd,
    time: 1_700_000_011,
    issueToken: true,
  });
  const tokI = await send("auth finish (INTL, fresh) into slot 5", apdu(0x80, 0xdc, 2, 0x85, bi.serverData, 0), { random: true });
  expect(toHex(tokI)).toBe(`${toHex(bi.token!)}9000`);
  const probeI = await send("cipher with the fresh INTL token", apdu(0x80, 0xda, 1, 5, AES_PLAIN, 0), { random: true });
  expect(toHex(probeI)).toBe(`${aesEcb(bi.token!, AES_PLAIN)}9000`);
  // the reference SM server half refuses the INTL authcode: the suite is the identity's
  const smCheck = await long("auth begin (INTL, for an SM server)", apdu(0x80, 0xdc, 1, 0, beginData(0, 1_700_000_012), 0), {
    random: true,
  });
  expect(() => verifyAuthcode(smCheck.subarray(0, smCheck.length - 2), { now: 1_700_000_012, lookupPsk: () => PSK_I })).toThrow(/suite/);
  // a reset keeps the suite (NVM); the slots and the pending request go
  await t.reset();
  log.push({ step: "reset", capdu: "", rapdu: "" });
  expect(toHex(await send("get suite after reset", apdu(0x80, 0xca, 0, 5, undefined, 0)))).toBe("019000");
  expect(toHex(await send("slots after reset (INTL)", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("00000000000000009000");
  await t.injectNextAuth(ND_I, QD_I);
  expect(toHex(await long("auth begin after reset (INTL worked example)", apdu(0x80, 0xdc, 1, 0, beginData(0, TIME_I), 0)))).toBe(
    `${EXI.authcode as string}9000`,
  );
  expect(toHex(await send("auth finish after reset (INTL worked example)", apdu(0x80, 0xdc, 2, 0x80, sdI, 0)))).toBe(
    `${EXI.sessionToken as string}9000`,
  );
  // re-PROVISION back to SM (Lc 24: suite SM, as before the suite existed); slots emptied
  await expectSw("provision, back to SM (Lc 18)", apdu(0x80, 0xd8, 0, 0, identity), "9000");
  expect(toHex(await send("get suite, back to SM", apdu(0x80, 0xca, 0, 5, undefined, 0)))).toBe("009000");
  expect(toHex(await send("slots: back to SM emptied them", apdu(0x80, 0xca, 0, 3, undefined, 0)))).toBe("00000000000000009000");
  await expectSw("provision, suite byte 00 (SM)", apdu(0x80, 0xd8, 0, 0, [...identity, 0]), "9000");
  expect(toHex(await send("get suite, suite byte 00", apdu(0x80, 0xca, 0, 5, undefined, 0)))).toBe("009000");
  await t.injectNextAuth(ND, QD);
  const smAgain = await long("SM auth finish, INTL server data: auth begin", apdu(0x80, 0xdc, 1, 0, beginData(), 0));
  expect(toHex(smAgain)).toBe(`${EX.authcode as string}9000`);
  await expectSw("SM auth finish, INTL server data", apdu(0x80, 0xdc, 2, 0x80, sdI, 0), "9484");
  await expectSw("load key (SM again)", apdu(0x80, 0x5a, 0, 1, SM4_KEY), "9000");
  expect(toHex(await send("cipher is SM4 again (GB/T 32907)", apdu(0x80, 0xda, 1, 1, SM4_KEY, 0)))).toBe(
    "681edf34d206965e86b3e94f536e42469000",
  );
  await expectSw("erase all (SM again)", apdu(0x80, 0xec, 0, 0xff), "9000");

  // ---- the shielded link: pairing (docs/se-profile.md "Pairing: the link key")
  const bare = async (step: string, c: Uint8Array, opts: { random?: boolean } = {}) =>
    expect(toHex(await send(step, c, opts)), `${step}: a bare 6982`).toBe("6982");
  const openData = fromHex(LINK.openCommand).subarray(5, 5 + 80);
  await expectSw("open, no link key", apdu(0x80, 0x88, 0, 0, openData, 0), "6985");
  await expectSw("generate link key, Lc", apdu(0x80, 0x46, 0, 0, [0]), "6700");
  await expectSw("generate link key, P1P2", apdu(0x80, 0x46, 0, 1), "6a86");
  await expectSw("generate link key, CLA 00", apdu(0x00, 0x46, 0, 0), "6e00");
  await t.injectRandom(SK_SE);
  expect(toHex(await send("generate link key (worked example's SK.SE)", apdu(0x80, 0x46, 0, 0, undefined, 0)))).toBe(`${LINK.PK_SE}9000`);
  expect(toHex(await send("get data, link key", apdu(0x80, 0xca, 0, 4, undefined, 0)))).toBe(`${LINK.PK_SE}9000`);
  const infoShielded = "01000108020001029000"; // state bit 1: a link key; no session
  expect(toHex(await send("info: shielded", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe(infoShielded);

  // ---- shielded: outside a session only SELECT, GET CHALLENGE, GET DATA, GET RESPONSE, OPEN
  const refusedInClear: [string, Uint8Array][] = [
    ["provision", apdu(0x80, 0xd8, 0, 0, identity)],
    ["lock", apdu(0x80, 0xea, 0, 0)],
    ["auth begin", apdu(0x80, 0xdc, 1, 0, beginData(), 0)],
    ["load key", apdu(0x80, 0x5a, 0, 1, SM4_KEY)],
    ["sm4 cipher", apdu(0x80, 0xda, 1, 1, SM4_KEY, 0)],
    ["erase slot", apdu(0x80, 0xec, 0, 0xff)],
    ["generate link key", apdu(0x80, 0x46, 0, 0, undefined, 0)],
    ["unknown INS", apdu(0x80, 0xff, 0, 0)],
    ["unknown ISO INS", apdu(0x00, 0xff, 0, 0)],
    ["SELECT with CLA 80", apdu(0x80, 0xa4, 4, 0, AID)],
    ["OPEN with CLA 00", apdu(0x00, 0x88, 0, 0, openData, 0)],
  ];
  for (const [what, c] of refusedInClear) await bare(`shielded, in clear: ${what}`, c);
  expect(toHex(await send("shielded: nothing of that ran", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe(infoShielded);
  expect(toHex(await send("shielded: select", apdu(0x00, 0xa4, 4, 0, AID, 0)))).toBe("6f0f8409f05449444150507631850201009000");
  expect(toHex(await send("shielded: get tid in clear", apdu(0x80, 0xca, 0, 1, undefined, 0)))).toBe(`${EX.TID as string}9000`);
  expect((await send("shielded: get challenge", apdu(0x00, 0x84, 0, 0, undefined, 16), { random: true })).length).toBe(18);
  await expectSw("shielded: get response, nothing", apdu(0x00, 0xc0, 0, 0, undefined, 0), "6985");
  await expectSw("shielded: chained auth in clear, first block", apdu(0x90, 0xdc, 1, 0, beginData()), "9000");
  await bare("shielded: chained auth in clear, last block", apdu(0x80, 0xdc, 1, 0, [0], 0));

  // ---- OPEN SECURE SESSION refusals
  await expectSw("open, P1P2", apdu(0x80, 0x88, 0, 1, openData, 0), "6a86");
  await expectSw("open, Lc 79", apdu(0x80, 0x88, 0, 0, openData.subarray(0, 79), 0), "6700");
  const offCurve = Uint8Array.from(openData, (b, i) => (i === 63 ? b ^ 1 : b));
  await expectSw("open, ePK.host off the curve", apdu(0x80, 0x88, 0, 0, offCurve, 0), "6a80");
  const xTooBig = Uint8Array.from(openData, (b, i) => (i < 32 ? 0xff : b));
  await expectSw("open, ePK.host with x ≥ p", apdu(0x80, 0x88, 0, 0, xTooBig, 0), "6a80");
  await bare("open, secure-messaging CLA", apdu(0x84, 0x88, 0, 0, openData, 0));

  // ---- OPEN (worked example) and secure messaging
  /** OPEN SECURE SESSION with fixed randoms on both sides (eSK.SE queued, eSK.host and the challenge given) → the host's session */
  const open = async (step: string, pk: string, challenge: Uint8Array): Promise<SecureSession> => {
    await t.injectRandom(SE_EPHEMERAL);
    const o = hostOpen(fromHex(pk), { ephemeralPrivate: HOST_EPHEMERAL, challenge });
    const r = await send(step, apdu(0x80, 0x88, 0, 0, o.commandData, 0));
    expect(swOf(r), step).toBe("9000");
    return o.finish(r.subarray(0, r.length - 2));
  };
  /** a protected command: chained in 255-byte blocks, 61xx followed → its unwrapped data and SW */
  const sm = async (
    step: string,
    s: SecureSession,
    h: [number, number, number, number],
    data: Uint8Array | number[] = [],
    opts: { random?: boolean; le?: number } = {},
  ): Promise<{ data: Uint8Array; sw: string }> => {
    const [cla, ins, p1, p2] = h;
    const pd = s.wrapCommand({ cla, ins, p1, p2 }, Uint8Array.from(data));
    for (let off = 0; off + 255 < pd.length; off += 255) {
      expect(swOf(await send(`${step} / block`, apdu(cla | 0x14, ins, p1, p2, pd.subarray(off, off + 255)), opts))).toBe("9000");
    }
    const last = pd.subarray(Math.floor((pd.length - 1) / 255) * 255);
    const r = await long(step, apdu(cla | 0x04, ins, p1, p2, last, opts.le ?? 0), opts);
    const sw = (r[r.length - 2]! << 8) | r[r.length - 1]!;
    return { data: s.unwrapResponse(r.subarray(0, r.length - 2), sw), sw: swOf(r) };
  };
  const smOk = async (step: string, s: SecureSession, h: [number, number, number, number], data: Uint8Array | number[] = []) => {
    const r = await sm(step, s, h, data);
    expect(r.sw, step).toBe("9000");
    return toHex(r.data);
  };
  const GET_TID: [number, number, number, number] = [0x80, 0xca, 0, 1];
  const INFO: [number, number, number, number] = [0x80, 0xca, 0, 2];
  const SLOTS: [number, number, number, number] = [0x80, 0xca, 0, 3];
  let s = await open("open secure session (worked example)", LINK.PK_SE, fromHex(LINK.challenge));
  expect(log.at(-1)!.rapdu).toBe(LINK.openResponse);
  expect(await smOk("protected: get tid (worked example)", s, GET_TID)).toBe(EX.TID);
  expect(log.at(-1)).toMatchObject({ capdu: LINK.commands[0]!.protectedApdu, rapdu: LINK.commands[0]!.protectedResponse });
  const key0 = fromHex(LINK.commands[1]!.D);
  expect(await smOk("protected: load key into slot 0 (worked example)", s, [0x80, 0x5a, 0, 0], key0)).toBe("");
  expect(log.at(-1)).toMatchObject({ capdu: LINK.commands[1]!.protectedApdu, rapdu: LINK.commands[1]!.protectedResponse });
  expect(await smOk("protected: info, in a session", s, INFO)).toBe("0100010802000106");
  expect(await smOk("protected: get data, link key", s, [0x80, 0xca, 0, 4])).toBe(LINK.PK_SE);
  expect(await smOk("protected: slots", s, SLOTS)).toBe("0100000000000000");
  expect(await smOk("protected: sm4 encrypt", s, [0x80, 0xda, 1, 0], SM4_KEY)).toBe(sm4Ecb(key0, SM4_KEY));
  // 608 bytes: 632 bytes protected, chained; the 632-byte protected answer through 61xx
  expect(await smOk("protected: sm4 encrypt 608 bytes, chained, 61xx", s, [0x80, 0xda, 1, 0], big)).toBe(sm4Ecb(key0, big));
  // the largest: 1024 bytes, 1048 protected each way
  const most = Uint8Array.from({ length: 1024 }, (_, i) => (i * 13 + 5) & 255);
  expect(await smOk("protected: sm4 encrypt 1024 bytes", s, [0x80, 0xda, 1, 0], most)).toBe(sm4Ecb(key0, most));
  // a command's own error SW comes protected (R-MAC), not bare
  const emptySlot = await sm("protected: sm4, empty slot", s, [0x80, 0xda, 1, 3], new Uint8Array(16));
  expect(emptySlot).toEqual({ data: new Uint8Array(0), sw: "6a88" });
  expect((await sm("protected: provision, P1P2", s, [0x80, 0xd8, 0, 1], identity)).sw).toBe("6a86");
  expect((await sm("protected: auth begin, reserved flag", s, [0x80, 0xdc, 1, 0], beginData(2))).sw).toBe("6a80");
  expect(await smOk("protected: provision (the PSK encrypted)", s, [0x80, 0xd8, 0, 0], identity)).toBe("");
  expect(await smOk("protected: provisioning emptied the slots", s, SLOTS)).toBe("0000000000000000");
  // an INTL identity behind the shielded link: the link stays SM2/SM3/SM4, the identity's work is INTL
  expect(await smOk("protected: get suite", s, [0x80, 0xca, 0, 5])).toBe("00");
  expect(await smOk("protected: provision, suite INTL", s, [0x80, 0xd8, 0, 0], [...TID_I, ...PSK_I, 1])).toBe("");
  expect(await smOk("protected: get suite (INTL)", s, [0x80, 0xca, 0, 5])).toBe("01");
  await t.injectNextAuth(ND_I, QD_I);
  expect(await smOk("protected: auth begin (INTL worked example)", s, [0x80, 0xdc, 1, 0], beginData(0, TIME_I))).toBe(EXI.authcode);
  expect(await smOk("protected: auth finish (INTL worked example)", s, [0x80, 0xdc, 2, 0x80], fromHex(EXI.serverData as string))).toBe(
    EXI.sessionToken,
  );
  expect(await smOk("protected: cipher with the INTL token", s, [0x80, 0xda, 1, 0], new Uint8Array(16))).toBe(
    EXI.symCryptoEncryptZeroBlock,
  );
  expect((await sm("protected: provision, suite byte 02", s, [0x80, 0xd8, 0, 0], [...TID_I, ...PSK_I, 2])).sw).toBe("6a80");
  expect(await smOk("protected: provision, back to SM", s, [0x80, 0xd8, 0, 0], identity)).toBe("");
  expect(await smOk("protected: get suite (SM again)", s, [0x80, 0xca, 0, 5])).toBe("00");
  // GET CHALLENGE keeps its Le under secure messaging; 256 random bytes are 280 protected, through 61xx
  const c16 = await sm("protected: get challenge 16", s, [0x00, 0x84, 0, 0], [], { random: true, le: 16 });
  expect([c16.data.length, c16.sw]).toEqual([16, "9000"]);
  const c256 = await sm("protected: get challenge 256, 61xx", s, [0x00, 0x84, 0, 0], [], { random: true, le: 0 });
  expect([c256.data.length, c256.sw]).toEqual([256, "9000"]);
  await t.injectNextAuth(ND, QD);
  expect(await smOk("protected: auth begin (worked example)", s, [0x80, 0xdc, 1, 0], beginData())).toBe(EX.authcode);
  expect(await smOk("protected: auth finish (worked example)", s, [0x80, 0xdc, 2, 0x80], sd)).toBe(EX.sessionToken);
  const tokenKey = fromHex(EX.sessionToken as string);
  expect(await smOk("protected: sm4 with the token", s, [0x80, 0xda, 1, 0], SM4_KEY)).toBe(sm4Ecb(tokenKey, SM4_KEY));
  // a 300-byte extra, chained under secure messaging: a 432-byte authcode, 456 protected, through 61xx
  await t.injectNextAuth(ND, QD);
  const longAuth = await smOk("protected: auth begin, 300-byte extra", s, [0x80, 0xdc, 1, 0], beginData(0, TIME, extra));
  expect(toHex(parseAuthcode(fromHex(longAuth)).extra)).toBe(toHex(Uint8Array.from(extra)));
  expect(await smOk("protected: erase slot 0", s, [0x80, 0xec, 0, 0])).toBe("");
  // a fresh authentication (random): the last commands of this session, whose MAC chain then differs between runs
  const freshSm = await sm("protected: auth begin (fresh)", s, [0x80, 0xdc, 1, 0], beginData(0, 1_700_000_100), { random: true });
  const fv = verifyAuthcode(freshSm.data, { now: 1_700_000_101, lookupPsk: () => PSK });
  const fb = buildServerData({ tid: TID, psk: PSK, nd: fv.nd, tagD: fv.tagD, Qd: fv.Qd, time: 1_700_000_101, issueToken: true });
  const ftok = await sm("protected: auth finish (fresh) into slot 5", s, [0x80, 0xdc, 2, 0x85], fb.serverData, { random: true });
  expect([toHex(ftok.data), ftok.sw]).toEqual([toHex(fb.token!), "9000"]);

  // ---- what ends the session: a bare 6982, nothing runs, the session keys are gone
  await bare("in a session: an unprotected command", apdu(0x80, 0xca, 0, 1, undefined, 0));
  const afterEnd = s.wrapCommand({ cla: 0x80, ins: 0xca, p1: 0, p2: 1 }, new Uint8Array(0));
  await bare("the session is over", apdu(0x84, 0xca, 0, 1, afterEnd, 0), { random: true });
  expect(toHex(await send("info: no session", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe(infoShielded);
  const challengeOf = (i: number) => new Uint8Array(16).fill(i);
  const empty = new Uint8Array(0);

  s = await open("open (bad C-MAC)", LINK.PK_SE, challengeOf(1));
  const badMac = s.wrapCommand({ cla: 0x80, ins: 0xca, p1: 0, p2: 1 }, empty);
  badMac[badMac.length - 1]! ^= 1;
  await bare("bad C-MAC", apdu(0x84, 0xca, 0, 1, badMac, 0));
  expect(toHex(await send("info: the bad MAC ended the session", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe(infoShielded);

  s = await open("open (replay)", LINK.PK_SE, challengeOf(2));
  const once = s.wrapCommand({ cla: 0x80, ins: 0x5a, p1: 0, p2: 2 }, SM4_KEY);
  const onceR = await send("load key, protected", apdu(0x84, 0x5a, 0, 2, once));
  expect(toHex(s.unwrapResponse(onceR.subarray(0, onceR.length - 2), 0x9000))).toBe("");
  await bare("the same command replayed", apdu(0x84, 0x5a, 0, 2, once));

  s = await open("open (reorder)", LINK.PK_SE, challengeOf(3));
  const keys = s.keys();
  const first = protectCommand(keys, s.chainingValue, 1, { cla: 0x80, ins: 0xca, p1: 0, p2: 1 }, empty);
  const second = protectCommand(keys, first.chain, 2, { cla: 0x80, ins: 0xca, p1: 0, p2: 3 }, empty);
  await bare("reordered: the second command first", apdu(0x84, 0xca, 0, 3, second.data, 0));
  await bare("then the first: the session is gone", apdu(0x84, 0xca, 0, 1, first.data, 0));

  /** protected data for the first command of a session, built by hand: a valid C-MAC over C = SM4-CBC(S-ENC, ICV(counter 1), blocks), blocks padded or not */
  const handMade = (ss: SecureSession, blocks: Uint8Array, h: [number, number, number, number] = [0x84, 0x5a, 0, 1]): Uint8Array => {
    const k = ss.keys();
    const ctr = new Uint8Array(16);
    ctr[15] = 1;
    const c = sm4CbcEncrypt(k.sEnc, sm4Block(k.sEnc, ctr), blocks);
    const l = c.length + 8;
    const mac = sm4Cmac(k.sMac, ss.chainingValue, Uint8Array.of(...h, l >>> 8, l & 255), c);
    return Uint8Array.from([...c, ...mac.subarray(0, 8)]);
  };
  const withPadding = (ss: SecureSession, blocks: Uint8Array): Uint8Array => handMade(ss, blocks);
  s = await open("open (bad padding)", LINK.PK_SE, challengeOf(4));
  await bare("padding: no 80 in the last block", apdu(0x84, 0x5a, 0, 1, withPadding(s, new Uint8Array(16).fill(0x11))));
  s = await open("open (padding only)", LINK.PK_SE, challengeOf(5));
  await bare("padding: a block of padding, no data", apdu(0x84, 0x5a, 0, 1, withPadding(s, Uint8Array.of(0x80, ...new Uint8Array(15)))));
  // D of 1039 bytes (C of 1040, the most a protected command carries): collected, it verifies and
  // decrypts, but D over 1024 bytes ends the session (docs/se-profile.md "The shielded link")
  s = await open("open (D of 1039 bytes)", LINK.PK_SE, challengeOf(30));
  const most1039 = handMade(s, padIso9797m2(new Uint8Array(1039).fill(0x5c)), [0x84, 0xda, 1, 0]);
  for (let off = 0; off + 255 < most1039.length; off += 255) {
    await expectSw("D of 1039 bytes / block", apdu(0x94, 0xda, 1, 0, most1039.subarray(off, off + 255)), "9000");
  }
  await bare("D of 1039 bytes", apdu(0x84, 0xda, 1, 0, most1039.subarray(1020), 0));
  s = await open("open (short)", LINK.PK_SE, challengeOf(6));
  await bare("protected data of 7 bytes", apdu(0x84, 0xca, 0, 1, new Uint8Array(7), 0));
  s = await open("open (not whole blocks)", LINK.PK_SE, challengeOf(7));
  await bare("|C| not whole blocks", apdu(0x84, 0x5a, 0, 1, new Uint8Array(8 + 15)));
  s = await open("open (protected SELECT)", LINK.PK_SE, challengeOf(8));
  await bare("SELECT with the secure-messaging bit", apdu(0x04, 0xa4, 4, 0, AID, 0));
  s = await open("open (protected GET RESPONSE)", LINK.PK_SE, challengeOf(9));
  await bare("GET RESPONSE with the secure-messaging bit", apdu(0x04, 0xc0, 0, 0, undefined, 0));
  s = await open("open (protected OPEN)", LINK.PK_SE, challengeOf(10));
  await bare("OPEN with the secure-messaging bit", apdu(0x84, 0x88, 0, 0, openData, 0));
  s = await open("open (extended length)", LINK.PK_SE, challengeOf(11));
  await bare("protected, extended length", Uint8Array.of(0x84, 0xca, 0, 1, 0, 0, 8, ...new Uint8Array(8)));
  s = await open("open (Lc longer than the data)", LINK.PK_SE, challengeOf(12));
  await bare("protected, Lc longer than the data", Uint8Array.of(0x84, 0xca, 0, 1, 9, ...new Uint8Array(8)));
  s = await open("open (unknown CLA)", LINK.PK_SE, challengeOf(13));
  await bare("protected, unknown CLA", apdu(0xc4, 0xca, 0, 1, new Uint8Array(8), 0));
  s = await open("open (broken protected chain)", LINK.PK_SE, challengeOf(14));
  await expectSw("protected chain: first block", apdu(0x94, 0xda, 1, 0, new Uint8Array(32)), "9000");
  await bare("protected chain: a block of another command", apdu(0x94, 0xdc, 1, 0, new Uint8Array(32)));
  s = await open("open (protected chain of a command that cannot chain)", LINK.PK_SE, challengeOf(15));
  await bare("protected chained get data", apdu(0x94, 0xca, 0, 1, new Uint8Array(8)));
  s = await open("open (protected chain over 1048 bytes)", LINK.PK_SE, challengeOf(16));
  for (let i = 0; i < 4; i++) await expectSw(`protected chain over 1048: block ${i}`, apdu(0x94, 0xda, 1, 0, new Uint8Array(250)), "9000");
  await bare("protected chain over 1048 bytes", apdu(0x94, 0xda, 1, 0, new Uint8Array(49)));
  s = await open("open (unprotected chained block)", LINK.PK_SE, challengeOf(17));
  await bare("in a session: an unprotected chained block", apdu(0x90, 0xda, 1, 0, new Uint8Array(32)));
  s = await open("open (unprotected chained block mid protected chain)", LINK.PK_SE, challengeOf(18));
  await expectSw("protected chain: a block", apdu(0x94, 0xda, 1, 0, new Uint8Array(32)), "9000");
  await bare("unprotected chained block of the same command", apdu(0x90, 0xda, 1, 0, new Uint8Array(32)));

  // SELECT and OPEN end a session in progress, then run normally
  s = await open("open (then SELECT)", LINK.PK_SE, challengeOf(19));
  expect(toHex(await send("select in a session", apdu(0x00, 0xa4, 4, 0, AID, 0)))).toBe("6f0f8409f05449444150507631850201009000");
  await bare("after SELECT: the session is gone", apdu(0x84, 0xca, 0, 1, s.wrapCommand({ cla: 0x80, ins: 0xca, p1: 0, p2: 1 }, empty), 0));
  const old = await open("open (then OPEN again)", LINK.PK_SE, challengeOf(20));
  s = await open("OPEN in a session opens a new one", LINK.PK_SE, challengeOf(21));
  await bare("a command of the old session", apdu(0x84, 0xca, 0, 1, old.wrapCommand({ cla: 0x80, ins: 0xca, p1: 0, p2: 1 }, empty), 0));

  // a reset ends the session; the link key is NVM
  s = await open("open (then reset)", LINK.PK_SE, challengeOf(22));
  expect(await smOk("protected: get tid before reset", s, GET_TID)).toBe(EX.TID);
  await t.reset();
  log.push({ step: "reset", capdu: "", rapdu: "" });
  await bare("after reset: the session is gone", apdu(0x84, 0xca, 0, 1, s.wrapCommand({ cla: 0x80, ins: 0xca, p1: 0, p2: 1 }, empty), 0));
  expect(toHex(await send("after reset: the link key stays", apdu(0x80, 0xca, 0, 4, undefined, 0)))).toBe(`${LINK.PK_SE}9000`);

  // ---- a new link key inside a session: answered under the old session, which then ends
  s = await open("open (new link key)", LINK.PK_SE, challengeOf(23));
  await t.injectRandom(SK_SE_2);
  const pk2 = toHex(sm2PublicFromPrivate(SK_SE_2));
  expect(await smOk("protected: generate link key", s, [0x80, 0x46, 0, 0])).toBe(pk2);
  await bare(
    "after the new key: the session is over",
    apdu(0x84, 0xca, 0, 1, s.wrapCommand({ cla: 0x80, ins: 0xca, p1: 0, p2: 1 }, empty), 0),
  );
  expect(toHex(await send("get data, the new link key", apdu(0x80, 0xca, 0, 4, undefined, 0)))).toBe(`${pk2}9000`);
  await expect(open("open with the old pinned key: the receipt does not match", LINK.PK_SE, challengeOf(24))).rejects.toThrow(/receipt/);

  // ---- LOCK inside a session; the link key is fixed by it
  s = await open("open (the new key)", pk2, challengeOf(25));
  expect((await sm("protected: lock, P1P2", s, [0x80, 0xea, 0, 1])).sw).toBe("6a86");
  expect(await smOk("protected: lock", s, [0x80, 0xea, 0, 0])).toBe("");
  expect(await smOk("protected: lock again", s, [0x80, 0xea, 0, 0])).toBe("");
  expect(await sm("protected: provision after lock", s, [0x80, 0xd8, 0, 0], identity)).toEqual({ data: empty, sw: "6982" });
  // the suite byte is checked before the lock; the suite is fixed by LOCK like TID and PSK
  expect((await sm("protected: provision after lock, suite byte 02", s, [0x80, 0xd8, 0, 0], [...identity, 2])).sw).toBe("6a80");
  expect((await sm("protected: provision after lock, suite INTL", s, [0x80, 0xd8, 0, 0], [...identity, 1])).sw).toBe("6982");
  expect(await smOk("protected: get suite, locked", s, [0x80, 0xca, 0, 5])).toBe("00");
  expect(await sm("protected: generate link key after lock", s, [0x80, 0x46, 0, 0])).toEqual({ data: empty, sw: "6982" });
  expect(await smOk("protected: info, locked", s, INFO)).toBe("0100010802000206");
  expect(await smOk("protected: the link key is still the new one", s, [0x80, 0xca, 0, 4])).toBe(pk2);
  await t.reset();
  log.push({ step: "reset", capdu: "", rapdu: "" });
  expect(toHex(await send("info, locked after reset", apdu(0x80, 0xca, 0, 2, undefined, 0)))).toBe("01000108020002029000");
  await bare("locked: lock in clear", apdu(0x80, 0xea, 0, 0));
  s = await open("open after lock", pk2, challengeOf(26));
  expect(await smOk("protected: get tid after lock", s, GET_TID)).toBe(EX.TID);
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

  it.skipIf(!!addonMissing)(
    "and behind the fake /dev/tee0, through TeeLink and the TEE client addon, byte for byte",
    async () => {
      const sim = await runSequence(simTarget());
      host = startFakeTeeHost();
      const tee = await runSequence(taTarget(host));
      expect(tee.length).toBe(sim.length);
      for (let i = 0; i < sim.length; i++) expect(tee[i], `step ${i}: ${sim[i]!.step}`).toEqual(sim[i]);
      expect(await host.close(), host.stderr).toBe(0);
      host = null;
    },
    120_000,
  );
});
