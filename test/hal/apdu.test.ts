// APDU layer: short-APDU encoding (cases 1–4), command chaining, 61xx → GET RESPONSE, 6Cxx →
// resend with Le, status words → typed errors that keep the SW; sync and async runners alike.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeApdu, encodeApdu, parseResponse, type CommandApdu } from "../../hal/apdu/apdu.js";
import { ApduChannel, type Transceiver } from "../../hal/apdu/channel.js";
import {
  ApduError,
  ApduProtocolError,
  apduError,
  ChainingError,
  ConditionsNotSatisfied,
  IncorrectP1P2,
  InsNotSupported,
  ReferenceNotFound,
  SecurityStatusNotSatisfied,
  VerificationFailed,
  WrongLength,
  WrongLe,
} from "../../hal/apdu/errors.js";
import { seStatusOf } from "../../hal/apdu/status.js";
import { BusError } from "../../hal/bus/errors.js";
import { LinkTimeout } from "../../hal/link/errors.js";
import { fromHex, toHex } from "../../reference/bytes.js";

describe("short APDU encoding", () => {
  it("cases 1–4 and Le = 256", () => {
    expect(toHex(encodeApdu({ cla: 0x80, ins: 0xea, p1: 0, p2: 0 }), " ")).toBe("80 ea 00 00");
    expect(toHex(encodeApdu({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 }), " ")).toBe("00 84 00 00 08");
    expect(toHex(encodeApdu({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 256 }), " ")).toBe("00 84 00 00 00");
    expect(toHex(encodeApdu({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: fromHex("f0 54") }), " ")).toBe("00 a4 04 00 02 f0 54");
    expect(toHex(encodeApdu({ cla: 0x80, ins: 0xda, p1: 1, p2: 2, data: fromHex("aa"), le: 256 }), " ")).toBe("80 da 01 02 01 aa 00");
  });

  it("refuses what a short APDU cannot carry", () => {
    expect(() => encodeApdu({ cla: 0x100, ins: 0, p1: 0, p2: 0 })).toThrow(/CLA must be a byte/);
    expect(() => encodeApdu({ cla: 0, ins: 0, p1: 0, p2: 0, data: new Uint8Array(256) })).toThrow(/1..255 bytes/);
    expect(() => encodeApdu({ cla: 0, ins: 0, p1: 0, p2: 0, data: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodeApdu({ cla: 0, ins: 0, p1: 0, p2: 0, le: 0 })).toThrow(/Le must be 1..256/);
    expect(() => encodeApdu({ cla: 0, ins: 0, p1: 0, p2: 0, le: 257 })).toThrow(RangeError);
  });

  it("decode(encode(c)) = c for every short APDU", () => {
    const cmd = fc.record(
      {
        cla: fc.integer({ min: 0, max: 255 }),
        ins: fc.integer({ min: 0, max: 255 }),
        p1: fc.integer({ min: 0, max: 255 }),
        p2: fc.integer({ min: 0, max: 255 }),
        data: fc.uint8Array({ minLength: 1, maxLength: 255 }),
        le: fc.integer({ min: 1, max: 256 }),
      },
      { requiredKeys: ["cla", "ins", "p1", "p2"] },
    );
    fc.assert(
      fc.property(cmd, (c) => {
        const back = decodeApdu(encodeApdu(c));
        expect(back).toEqual(c);
      }),
      { numRuns: 300 },
    );
  });

  it("parses responses and refuses one without SW", () => {
    expect(parseResponse(fromHex("01 02 90 00"))).toEqual({ data: fromHex("01 02"), sw: 0x9000 });
    expect(() => parseResponse(fromHex("90"))).toThrow(ApduProtocolError);
  });
});

/** A scripted SE: each entry is [expected C-APDU hex, R-APDU hex]. */
function scripted(script: [string, string][]): Transceiver & { log: string[]; left: () => number } {
  let i = 0;
  const log: string[] = [];
  const step = (apdu: Uint8Array): Uint8Array => {
    const s = script[i++];
    if (!s) throw new Error(`unexpected APDU ${toHex(apdu, " ")}`);
    expect(toHex(apdu, " ")).toBe(toHex(fromHex(s[0]), " "));
    log.push(`${toHex(apdu, " ")} → ${toHex(fromHex(s[1]), " ")}`);
    return fromHex(s[1]);
  };
  return { name: "scripted", log, left: () => script.length - i, transceiveSync: step, transceive: async (a) => step(a) };
}

describe.each(["sync", "async"] as const)("ApduChannel (%s)", (mode) => {
  const transmit = (ch: ApduChannel, c: CommandApdu) =>
    mode === "sync" ? Promise.resolve().then(() => ch.transmitSync(c)) : ch.transmit(c);
  const send = (ch: ApduChannel, c: CommandApdu) => (mode === "sync" ? Promise.resolve().then(() => ch.sendSync(c)) : ch.send(c));

  it("a plain command", async () => {
    const t = scripted([["00 84 00 00 08", "01 02 03 04 05 06 07 08 90 00"]]);
    expect(toHex(await send(new ApduChannel(t), { cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 }), " ")).toBe("01 02 03 04 05 06 07 08");
  });

  it("chains data over 255 bytes: CLA|0x10 on all blocks but the last, Le on the last", async () => {
    const data = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
    const b = (o: number, n: number) => toHex(data.subarray(o, o + n), " ");
    const t = scripted([
      [`90 dc 01 00 ff ${b(0, 255)}`, "90 00"],
      [`90 dc 01 00 ff ${b(255, 255)}`, "90 00"],
      [`80 dc 01 00 5a ${b(510, 90)} 00`, "aa bb 90 00"],
    ]);
    expect(toHex(await send(new ApduChannel(t), { cla: 0x80, ins: 0xdc, p1: 1, p2: 0, data, le: 256 }), " ")).toBe("aa bb");
    expect(t.left()).toBe(0);
  });

  it("exactly 255 bytes is one APDU; 256 is two blocks", async () => {
    const t1 = scripted([[`80 da 01 00 ff ${toHex(new Uint8Array(255), " ")}`, "90 00"]]);
    await send(new ApduChannel(t1), { cla: 0x80, ins: 0xda, p1: 1, p2: 0, data: new Uint8Array(255) });
    const t2 = scripted([
      [`90 da 01 00 ff ${toHex(new Uint8Array(255), " ")}`, "90 00"],
      ["80 da 01 00 01 00", "90 00"],
    ]);
    await send(new ApduChannel(t2), { cla: 0x80, ins: 0xda, p1: 1, p2: 0, data: new Uint8Array(256) });
    expect(t2.left()).toBe(0);
  });

  it("a chained block refused mid-chain ends the command with that SW", async () => {
    const t = scripted([[`90 dc 01 00 ff ${toHex(new Uint8Array(255), " ")}`, "68 84"]]);
    const ch = new ApduChannel(t);
    const e = await send(ch, { cla: 0x80, ins: 0xdc, p1: 1, p2: 0, data: new Uint8Array(300) }).catch((x) => x);
    expect(e).toBeInstanceOf(ChainingError);
    expect(e.sw).toBe(0x6884);
    expect(t.left()).toBe(0);
  });

  it("a smaller chunk size", async () => {
    const t = scripted([
      ["90 da 01 00 02 01 02", "90 00"],
      ["90 da 01 00 02 03 04", "90 00"],
      ["80 da 01 00 01 05", "90 00"],
    ]);
    await send(new ApduChannel(t, { chunkSize: 2 }), { cla: 0x80, ins: 0xda, p1: 1, p2: 0, data: fromHex("01 02 03 04 05") });
  });

  it("61xx → GET RESPONSE until 9000, appending every part's data", async () => {
    const p1 = new Uint8Array(256).fill(1);
    const p2 = new Uint8Array(256).fill(2);
    const t = scripted([
      ["80 dc 01 00 02 00 00 00", `${toHex(p1, " ")} 61 00`],
      ["00 c0 00 00 00", `${toHex(p2, " ")} 61 84`],
      ["00 c0 00 00 84", `${toHex(new Uint8Array(0x84).fill(3), " ")} 90 00`],
    ]);
    const out = await send(new ApduChannel(t), { cla: 0x80, ins: 0xdc, p1: 1, p2: 0, data: fromHex("00 00"), le: 256 });
    expect(out.length).toBe(644);
    expect([out[0], out[256], out[643]]).toEqual([1, 2, 3]);
  });

  it("61xx with no data in the first part (T=0 style)", async () => {
    const t = scripted([
      ["00 a4 04 00 01 f0", "61 04"],
      ["00 c0 00 00 04", "de ad be ef 90 00"],
    ]);
    expect(toHex(await send(new ApduChannel(t), { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: fromHex("f0") }), " ")).toBe("de ad be ef");
  });

  it("endless 61xx stops at maxResponseParts", async () => {
    const t = scripted([
      ["00 84 00 00 08", "61 01"],
      ...Array.from({ length: 3 }, () => ["00 c0 00 00 01", "00 61 01"] as [string, string]),
    ]);
    const e = await transmit(new ApduChannel(t, { maxResponseParts: 4 }), { cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 }).catch((x) => x);
    expect(e).toBeInstanceOf(ApduProtocolError);
    expect(seStatusOf(e)).toBe("ERR_SE_IO");
  });

  it("6Cxx → the same command again with Le = xx, once", async () => {
    const t = scripted([
      ["00 84 00 00 08", "6c 10"],
      ["00 84 00 00 10", `${toHex(new Uint8Array(16), " ")} 90 00`],
    ]);
    expect((await send(new ApduChannel(t), { cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 })).length).toBe(16);
    const t2 = scripted([
      ["00 84 00 00 08", "6c 10"],
      ["00 84 00 00 10", "6c 20"],
    ]);
    const e = await send(new ApduChannel(t2), { cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 }).catch((x) => x);
    expect(e).toBeInstanceOf(WrongLe);
    expect(e.sw).toBe(0x6c20);
  });

  it("6C00 means Le = 256; 6Cxx then 61xx are both resolved", async () => {
    const t = scripted([
      ["00 84 00 00 08", "6c 00"],
      ["00 84 00 00 00", "01 61 01"],
      ["00 c0 00 00 01", "02 90 00"],
    ]);
    expect(toHex(await send(new ApduChannel(t), { cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 }), " ")).toBe("01 02");
  });

  it("transmit returns a failing SW; send throws it", async () => {
    const t = scripted([
      ["80 ca 00 01 00", "6a 88"],
      ["80 ca 00 01 00", "6a 88"],
    ]);
    const ch = new ApduChannel(t);
    const c = { cla: 0x80, ins: 0xca, p1: 0, p2: 1, le: 256 };
    expect(await transmit(ch, c)).toEqual({ data: new Uint8Array(0), sw: 0x6a88 });
    const e = await send(ch, c).catch((x) => x);
    expect(e).toBeInstanceOf(ReferenceNotFound);
    expect(e).toBeInstanceOf(ApduError);
    expect(e).toMatchObject({ sw: 0x6a88, reason: "reference-not-found", command: "80 CA 00 01", status: "ERR_SE_STATUS_WORD" });
    expect(e.message).toBe("SW 6A88 referenced data not found (command 80 CA 00 01)");
  });

  it("transport errors pass through unchanged", async () => {
    const boom = new LinkTimeout("x", "busy", 16000, 16000);
    const t: Transceiver = {
      transceiveSync: () => {
        throw boom;
      },
      transceive: async () => {
        throw boom;
      },
    };
    await expect(send(new ApduChannel(t), { cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 })).rejects.toBe(boom);
  });
});

describe("ApduChannel: one command at a time", () => {
  // A transceiver that answers in a later macrotask, like a real bus, and records the order.
  function slow(answers: Record<string, string>) {
    const log: string[] = [];
    const step = (a: Uint8Array): Uint8Array => {
      log.push(toHex(a, " "));
      const r = answers[toHex(a, " ")];
      if (r === undefined) throw new Error(`unscripted APDU ${toHex(a, " ")}`);
      return fromHex(r);
    };
    const t: Transceiver = {
      transceiveSync: step,
      transceive: (a) =>
        new Promise((resolve, reject) =>
          setTimeout(() => {
            try {
              resolve(step(a));
            } catch (e) {
              reject(e);
            }
          }, 0),
        ),
    };
    return { t, log };
  }

  it("two concurrent commands do not interleave their GET RESPONSE / chained blocks", async () => {
    const A = "00 84 00 00 08";
    const B = "80 ca 00 02 00";
    const { t, log } = slow({ [A]: "01 02 61 02", [B]: "0b 0c 61 02", "00 c0 00 00 02": "ff ff 90 00" });
    const ch = new ApduChannel(t);
    const [a, b] = await Promise.all([
      ch.send({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 }),
      ch.send({ cla: 0x80, ins: 0xca, p1: 0, p2: 2, le: 256 }),
    ]);
    expect(log).toEqual([A, "00 c0 00 00 02", B, "00 c0 00 00 02"]);
    expect([toHex(a, " "), toHex(b, " ")]).toEqual(["01 02 ff ff", "0b 0c ff ff"]);
  });

  it("a sync command while an async one is between its APDUs: BusError EBUSY, the async one completes", async () => {
    const A = "00 84 00 00 08";
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t: Transceiver = {
      transceiveSync: (a) => {
        log.push(`sync ${toHex(a, " ")}`);
        return fromHex("90 00");
      },
      transceive: async (a) => {
        log.push(toHex(a, " "));
        if (toHex(a, " ") === A) return fromHex("01 02 61 02");
        await gate; // the GET RESPONSE is still on the bus
        return fromHex("03 04 90 00");
      },
    };
    const ch = new ApduChannel(t);
    const p = ch.send({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 });
    await new Promise((r) => setTimeout(r, 0)); // A's first APDU is done, its GET RESPONSE waits
    expect(log).toEqual([A, "00 c0 00 00 02"]);
    const e = (() => {
      try {
        ch.sendSync({ cla: 0x80, ins: 0xea, p1: 0, p2: 0 });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(BusError);
    expect((e as BusError).code).toBe("EBUSY");
    release();
    expect(toHex(await p, " ")).toBe("01 02 03 04");
    expect(log).toEqual([A, "00 c0 00 00 02"]);
  });

  it("a failed command releases the channel", async () => {
    const boom = new LinkTimeout("x", "busy", 16000, 16000);
    let n = 0;
    const t: Transceiver = {
      transceiveSync: () => fromHex("90 00"),
      transceive: async () => {
        if (n++ === 0) throw boom;
        return fromHex("90 00");
      },
    };
    const ch = new ApduChannel(t);
    await expect(ch.send({ cla: 0x80, ins: 0xea, p1: 0, p2: 0 })).rejects.toBe(boom);
    expect(ch.sendSync({ cla: 0x80, ins: 0xea, p1: 0, p2: 0 })).toEqual(new Uint8Array(0));
    expect(await ch.send({ cla: 0x80, ins: 0xea, p1: 0, p2: 0 })).toEqual(new Uint8Array(0));
  });
});

describe("status words → typed errors", () => {
  it.each(
    (
      [
        [0x6300, VerificationFailed, "verification-failed"],
        [0x63c2, VerificationFailed, "verification-failed"],
        [0x6700, WrongLength, "wrong-length"],
        [0x6982, SecurityStatusNotSatisfied, "security-status"],
        [0x6985, ConditionsNotSatisfied, "conditions-not-satisfied"],
        [0x6a86, IncorrectP1P2, "incorrect-p1p2"],
        [0x6a88, ReferenceNotFound, "reference-not-found"],
        [0x6d00, InsNotSupported, "ins-not-supported"],
        [0x6883, ChainingError, "chain-broken"],
        [0x6c10, WrongLe, "wrong-le"],
        [0x6b00, ApduError, "unknown"],
      ] as const
    ).map(([sw, c, r]) => [sw.toString(16).toUpperCase(), sw, c, r] as const),
  )("SW %s", (_label, sw, cls, reason) => {
    const e = apduError(sw);
    expect(e).toBeInstanceOf(cls);
    expect(e.sw).toBe(sw);
    expect(e.sw1).toBe(sw >> 8);
    expect(e.sw2).toBe(sw & 0xff);
    expect(e.reason).toBe(reason);
    expect(e.name).toBe(cls.name);
  });

  it("maps HAL errors to wasm statuses", () => {
    expect(seStatusOf(apduError(0x6a88))).toBe("ERR_SE_STATUS_WORD");
    expect(seStatusOf(new LinkTimeout("x", "busy", 1, 1))).toBe("ERR_SE_TIMEOUT");
    expect(seStatusOf(new BusError("NACK", "/dev/i2c-1", "x"))).toBe("ERR_SE_NACK");
    expect(seStatusOf(new BusError("TIMEOUT", "/dev/i2c-1", "x"))).toBe("ERR_SE_TIMEOUT");
    expect(seStatusOf(new BusError("ENOENT", "/dev/i2c-1", "x"))).toBe("ERR_SE_IO");
    expect(seStatusOf(new TypeError("x"))).toBeUndefined();
  });
});
