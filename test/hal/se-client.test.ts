// hal/se: the one encoder of the profile (every command's bytes as docs/se-profile.md gives
// them), argument checks, response parsing, and the SW → status mapping of SeStatusError.
import { describe, expect, test } from "vitest";
import { encodeApdu } from "../../hal/apdu/apdu.js";
import * as c from "../../hal/se/commands.js";
import { SeClient, SeStatusError } from "../../hal/se/client.js";
import type { Transceiver } from "../../hal/apdu/channel.js";
import { TidApplet } from "../../hal/sim/applet.js";
import { createCipheriv } from "node:crypto";
import { createSimulatedStack } from "../../hal/sim/stack.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const bytesOf = <T>(cmd: c.SeCommand<T>): string =>
  toHex(encodeApdu(cmd.apdu.data && cmd.apdu.data.length > 255 ? { ...cmd.apdu, data: cmd.apdu.data.subarray(0, 1) } : cmd.apdu));

describe("command bytes (docs/se-profile.md)", () => {
  test("each command", () => {
    expect(bytesOf(c.select())).toBe("00a4040009f05449444150507631" + "00");
    expect(bytesOf(c.getChallenge(8))).toBe("0084000008");
    expect(bytesOf(c.getChallenge(256))).toBe("0084000000");
    expect(bytesOf(c.getTid())).toBe("80ca000100");
    expect(bytesOf(c.getInfo())).toBe("80ca000200");
    expect(bytesOf(c.getSlots())).toBe("80ca000300");
    expect(bytesOf(c.provision(fromHex("0102030405060708"), new Uint8Array(16).fill(0xaa)))).toBe(
      "80d8000018" + "0102030405060708" + "aa".repeat(16),
    );
    expect(bytesOf(c.lock())).toBe("80ea0000");
    expect(bytesOf(c.getLinkKey())).toBe("80ca000400");
    expect(bytesOf(c.generateLinkKey())).toBe("8046000000");
    expect(bytesOf(c.openSecureSession(new Uint8Array(80).fill(7)))).toBe("8088000050" + "07".repeat(80) + "00");
    expect(() => c.openSecureSession(new Uint8Array(79))).toThrow(/data must be 80 bytes/);
    expect(() => c.openSecureSession("x" as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => c.generateLinkKey().parse(new Uint8Array(63))).toThrow(c.SeFormatError);
    expect(
      () =>
        new SeClient(
          { transceiveSync: () => new Uint8Array(2), transceive: async () => new Uint8Array(2) },
          { pinnedKey: new Uint8Array(64) },
        ),
    ).toThrow(/pinnedKey/);
    expect(bytesOf(c.authBegin({ time: 1561977519 }))).toBe("80dc0100060000" + "5d19e2af" + "00");
    expect(bytesOf(c.authBegin({ time: 1, flags: 1, extra: fromHex("abcd") }))).toBe("80dc010008" + "0001" + "00000001" + "abcd" + "00");
    expect(bytesOf(c.authFinish(new Uint8Array(68), { slot: 3 }))).toBe("80dc020344" + "00".repeat(68) + "00");
    expect(bytesOf(c.authFinish(new Uint8Array(68), { slot: 3, returnToken: true }))).toBe("80dc028344" + "00".repeat(68) + "00");
    expect(bytesOf(c.loadSessionKey(7, new Uint8Array(16)))).toBe("805a000710" + "00".repeat(16));
    expect(bytesOf(c.sm4Cipher(2, true, new Uint8Array(16)))).toBe("80da010210" + "00".repeat(16) + "00");
    expect(bytesOf(c.sm4Cipher(2, false, new Uint8Array(16)))).toBe("80da000210" + "00".repeat(16) + "00");
    expect(bytesOf(c.eraseSlot(4))).toBe("80ec0004");
    expect(bytesOf(c.eraseSlot("all"))).toBe("80ec00ff");
  });
  test("argument errors name the argument", () => {
    expect(() => c.getChallenge(0)).toThrow(/n must be in 1..256/);
    expect(() => c.provision(new Uint8Array(7), new Uint8Array(16))).toThrow(/tid must be 8 bytes, got 7/);
    expect(() => c.authBegin({ time: -1 })).toThrow(/time must be in/);
    expect(() => c.authBegin({ time: 1, flags: 2 })).toThrow(/flags/);
    expect(() => c.authBegin({ time: 1, extra: new Uint8Array(513) })).toThrow(/extra must be 0..512 bytes/);
    expect(() => c.authFinish(new Uint8Array(67))).toThrow(/serverData must be 68..644 bytes/);
    expect(() => c.authFinish(new Uint8Array(68), { slot: 8 })).toThrow(/slot must be in 0..7/);
    expect(() => c.loadSessionKey(0, new Uint8Array(15))).toThrow(/key must be 16 bytes/);
    expect(() => c.sm4Cipher(0, true, new Uint8Array(17))).toThrow(/multiple of 16/);
    expect(() => c.eraseSlot(9)).toThrow(RangeError);
    expect(() => c.provision("x" as unknown as Uint8Array, new Uint8Array(16))).toThrow(TypeError);
  });
  test("response parsing", () => {
    expect(c.getInfo().parse(fromHex("0100010802000201"))).toEqual({
      version: { major: 1, minor: 0 },
      protocol: 1,
      slots: 8,
      maxExtra: 512,
      lifecycle: "locked",
      pending: true,
      linkKey: false,
      session: false,
    });
    expect(c.getInfo().parse(fromHex("0100010802000206"))).toMatchObject({ pending: false, linkKey: true, session: true });
    expect(c.getSlots().parse(fromHex("00010200"))).toEqual(["empty", "loaded", "token", "empty"]);
    expect(c.authFinish(new Uint8Array(68)).parse(new Uint8Array(0))).toBeNull();
    expect(() => c.authFinish(new Uint8Array(68)).parse(new Uint8Array(16))).toThrow(c.SeFormatError); // token not asked for
    expect(() => c.getTid().parse(new Uint8Array(7))).toThrow(/expected 8 bytes, got 7/);
    expect(() => c.getInfo().parse(fromHex("0100010802000901"))).toThrow(/lifecycle/);
    expect(() => c.select().parse(fromHex("6f03840100"))).toThrow(c.SeFormatError);
    expect(() => c.lock().parse(fromHex("00"))).toThrow(/expected no data/);
  });
});

describe("SW → status (the SE backend's contract)", () => {
  const AUTH = 0xdc;
  test("AUTH FINISH failures map to the soft backend's statuses", () => {
    const m = (sw: number) => c.statusOfSw(AUTH, 0x02, sw);
    expect(m(0x6300)).toBe("ERR_VERIFY_FAILED");
    expect(m(0x6700)).toBe("ERR_BAD_LENGTH");
    expect(m(0x6984)).toBe("ERR_TID_MISMATCH");
    expect(m(0x6985)).toBe("ERR_NO_PENDING_REQUEST");
    expect(m(0x6a80)).toBe("ERR_BAD_FORMAT");
    expect(m(0x6a81)).toBe("ERR_UNSUPPORTED_VERSION");
    expect(m(0x9484)).toBe("ERR_UNSUPPORTED_ALGORITHM");
    expect(m(0x6a86)).toBe("ERR_BAD_KEY_INDEX");
  });
  test("other commands", () => {
    expect(c.statusOfSw(AUTH, 0x01, 0x6985)).toBe("ERR_NOT_INITIALISED");
    expect(c.statusOfSw(0xda, 0x01, 0x6a88)).toBe("ERR_SLOT_EMPTY");
    expect(c.statusOfSw(0xda, 0x01, 0x6a86)).toBe("ERR_BAD_KEY_INDEX");
    expect(c.statusOfSw(0xca, 0x00, 0x6a88)).toBe("ERR_NOT_INITIALISED");
    expect(c.statusOfSw(0xca, 0x00, 0x6a86)).toBe("ERR_BAD_PARAM");
    expect(c.statusOfSw(0xd8, 0x00, 0x6982)).toBe("ERR_SE_STATUS_WORD");
    expect(c.statusOfSw(0xd8, 0x00, 0x6f00)).toBe("ERR_SE_STATUS_WORD");
  });
});

describe("SeClient over a scripted link", () => {
  function link(answers: Record<string, string>): Transceiver & { sent: string[] } {
    const sent: string[] = [];
    const reply = (a: Uint8Array): Uint8Array => {
      sent.push(toHex(a));
      const r = answers[toHex(a)];
      if (r === undefined) throw new Error(`unscripted APDU ${toHex(a)}`);
      return fromHex(r);
    };
    return { sent, transceiveSync: reply, transceive: async (a) => reply(a) };
  }
  test("a non-9000 SW becomes SeStatusError with sw, reason, status and command", async () => {
    const sd = new Uint8Array(68);
    const l = link({ [toHex(encodeApdu(c.authFinish(sd, { returnToken: true }).apdu))]: "6300" });
    const client = new SeClient(l);
    const check = (e: unknown) => {
      expect(e).toBeInstanceOf(SeStatusError);
      const s = e as SeStatusError;
      expect([s.sw, s.reason, s.status, s.command]).toEqual([0x6300, "verification-failed", "ERR_VERIFY_FAILED", "AUTH FINISH"]);
      expect(s.message).toMatch(/AUTH FINISH: SE answered 6300/);
    };
    try {
      client.authFinishSync(sd, { returnToken: true });
      expect.unreachable();
    } catch (e) {
      check(e);
    }
    await client.authFinish(sd, { returnToken: true }).then(() => expect.unreachable(), check);
  });
  test("sm4Cipher splits > 1024 bytes into several commands and checks the whole length first", () => {
    const applet = new TidApplet({ seed: 1 });
    const sent: Uint8Array[] = [];
    const client = new SeClient({
      transceiveSync: (a) => (sent.push(a.slice()), applet.process(a).rapdu),
      transceive: async (a) => applet.process(a).rapdu,
    });
    const key = fromHex("0123456789abcdeffedcba9876543210");
    client.loadSessionKeySync(0, key);
    const data = Uint8Array.from({ length: 1040 }, (_, i) => i & 0xff);
    const cipher = createCipheriv("sm4-ecb", key, null).setAutoPadding(false);
    const want = Buffer.concat([cipher.update(data), cipher.final()]);
    sent.length = 0;
    expect(toHex(client.sm4CipherSync(0, true, data))).toBe(want.toString("hex"));
    expect(sent.filter((a) => a[0] === 0x80 && a[1] === 0xda).length).toBe(2); // final blocks of 1024 + 16
    sent.length = 0;
    expect(() => client.sm4CipherSync(0, true, new Uint8Array(1030))).toThrow(/multiple of 16/);
    expect(sent).toEqual([]);
  });
});

describe("SeClient: concurrent async calls on one simulated SE", () => {
  test("chained commands and long responses of two calls do not mix", async () => {
    const { client, sim } = createSimulatedStack({
      bus: "i2c",
      seed: 3,
      identity: { tid: fromHex("0102030405060708"), psk: new Uint8Array(16).fill(7) },
    });
    const k0 = new Uint8Array(16).fill(1);
    const k1 = new Uint8Array(16).fill(2);
    await client.loadSessionKey(0, k0);
    await client.loadSessionKey(1, k1);
    const a = new Uint8Array(640).fill(0xaa);
    const b = new Uint8Array(640).fill(0xbb);
    const ecb = (k: Uint8Array, d: Uint8Array) =>
      toHex(Buffer.concat([createCipheriv("sm4-ecb", k, null).setAutoPadding(false).update(d)]));
    const [ca, cb] = await Promise.all([client.sm4Cipher(0, true, a), client.sm4Cipher(1, true, b)]);
    expect([toHex(ca), toHex(cb)]).toEqual([ecb(k0, a), ecb(k1, b)]);
    // Two AUTH BEGINs with 200-byte extras: 332-byte authcodes, each in two parts (61xx).
    const e1 = new Uint8Array(200).fill(0x11);
    const e2 = new Uint8Array(200).fill(0x22);
    sim.chip.log.length = 0;
    const [r1, r2] = await Promise.all([client.authBegin({ time: 1, extra: e1 }), client.authBegin({ time: 2, extra: e2 })]);
    const answers = sim.chip.log.map((l) => l.rapdu.subarray(0, -2));
    expect(toHex(r1)).toBe(toHex(Buffer.concat([answers[0]!, answers[1]!])));
    expect(toHex(r2)).toBe(toHex(Buffer.concat([answers[2]!, answers[3]!])));
  });
});

describe('suites: PROVISION\'s suite byte and GET DATA 00 05 (docs/se-profile.md "Algorithm suites")', () => {
  const TID = fromHex("0102030405060708");
  const PSK = new Uint8Array(16).fill(0x3c);
  const over = (applet: TidApplet): SeClient =>
    new SeClient({ transceiveSync: (a) => applet.process(a).rapdu, transceive: async (a) => applet.process(a).rapdu });
  /** A scripted link: the answer to each APDU (hex), 6D00 to any other. */
  const link = (answers: Record<string, string>): Transceiver => {
    const reply = (a: Uint8Array): Uint8Array => fromHex(answers[toHex(a)] ?? "6d00");
    return { transceiveSync: reply, transceive: async (a) => reply(a) };
  };

  test("bytes: SM keeps Lc 18 (older applets accept it), INTL sends Lc 19 with 01; GET DATA 00 05", () => {
    const sm = "80d8000018" + "0102030405060708" + "3c".repeat(16);
    expect(bytesOf(c.provision(TID, PSK))).toBe(sm);
    expect(bytesOf(c.provision(TID, PSK, "sm"))).toBe(sm);
    expect(bytesOf(c.provision(TID, PSK, "intl"))).toBe("80d8000019" + "0102030405060708" + "3c".repeat(16) + "01");
    expect(() => c.provision(TID, PSK, "aes" as never)).toThrow(/suite must be one of "sm", "intl", got aes/);
    expect(bytesOf(c.getSuite())).toBe("80ca000500");
    expect(c.getSuite().parse(Uint8Array.of(0))).toBe("sm");
    expect(c.getSuite().parse(Uint8Array.of(1))).toBe("intl");
    expect(() => c.getSuite().parse(Uint8Array.of(2))).toThrow(/unknown suite byte 0x02/);
    expect(() => c.getSuite().parse(Uint8Array.of(1, 0))).toThrow(c.SeFormatError);
    expect(bytesOf(c.cipher(2, true, new Uint8Array(16)))).toBe(bytesOf(c.sm4Cipher(2, true, new Uint8Array(16))));
  });

  test("provision(…, 'intl') then getSuite, sync and async; CIPHER is then AES-128-ECB", async () => {
    const applet = new TidApplet({ seed: 2 });
    const client = over(applet);
    client.provisionSync(TID, PSK, "intl");
    expect(client.getSuiteSync()).toBe("intl");
    expect(applet.inspect().suite).toBe("intl");
    await client.provision(TID, PSK);
    expect(await client.getSuite()).toBe("sm");
    await client.provision(TID, PSK, "intl");
    expect(await client.getSuite()).toBe("intl");
    const key = new Uint8Array(16).fill(0x42);
    client.loadSessionKeySync(0, key);
    const aes = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
    expect(toHex(await client.cipher(0, true, new Uint8Array(32)))).toBe(toHex(aes.update(new Uint8Array(32))));
  });

  test("6A86 (an applet older than suites) reads as sm; 6A88 (blank) is thrown", async () => {
    const old = link({ "80ca000500": "6a86" });
    expect(new SeClient(old).getSuiteSync()).toBe("sm");
    expect(await new SeClient(old).getSuite()).toBe("sm");
    const blank = over(new TidApplet({ seed: 3 }));
    expect(() => blank.getSuiteSync()).toThrow(expect.objectContaining({ sw: 0x6a88, status: "ERR_NOT_INITIALISED" }));
    await expect(blank.getSuite()).rejects.toMatchObject({ sw: 0x6a88 });
    const other = link({ "80ca000500": "6985" });
    expect(() => new SeClient(other).getSuiteSync()).toThrow(SeStatusError);
  });
});
