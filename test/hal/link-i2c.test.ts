// FM I2C driver loop against scripted ports on a VirtualClock: the bus transcript of every path
// (NACK polling, WTX, NAK/resend, deadlines, retry limits), each failure its own error, in both
// the sync and the async runner. Nothing here waits on real time.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../hal/clock.js";
import { BusError } from "../../hal/bus/errors.js";
import { FmI2cLink } from "../../hal/link/fm-i2c.js";
import { encodeFmI2cFrame } from "../../hal/link/fm-i2c-frame.js";
import { LinkNack, LinkProtocol, LinkRetriesExhausted, LinkTimeout, LinkChecksum } from "../../hal/link/errors.js";
import type { LinkTiming } from "../../hal/link/link.js";
import { ScriptedI2cPort, type I2cStep } from "../support/hal-fakes.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const APDU = fromHex("00 84 00 00 08");
const CMD = "08 00 00 02 00 84 00 00 08 86";
const NAK = "03 00 00 ba b9";
const RESP_DATA = "11 22 33 44 55 66 77 88 90 00";
const frame = (sta: number, data = ""): string => toHex(encodeFmI2cFrame(sta, fromHex(data)), " ");
const RESP = frame(0x00, RESP_DATA);
const WTX = frame(0xf2);
/** A successful two-read response. */
const reply = (f: string): I2cStep[] => [{ r: f }, { r: f }];

type Mode = "sync" | "async";

function setup(script: I2cStep[], timing: Partial<LinkTiming> = {}) {
  const clock = new VirtualClock();
  const port = new ScriptedI2cPort(script, `i2c-test-${Math.random()}@0x71`);
  const link = new FmI2cLink(port, { clock, timing: { frameDelayMs: 5, pollIntervalMs: 2, ...timing } });
  return { clock, port, link };
}

async function run(mode: Mode, link: FmI2cLink, apdu = APDU): Promise<Uint8Array> {
  return mode === "sync" ? link.transceiveSync(apdu) : link.transceive(apdu);
}

async function fails(mode: Mode, link: FmI2cLink, apdu = APDU): Promise<unknown> {
  try {
    await run(mode, link, apdu);
  } catch (e) {
    return e;
  }
  throw new Error("expected the exchange to fail");
}

describe.each(["sync", "async"] as const)("FM I2C driver (%s)", (mode) => {
  it("happy path: write, frame delay, read 2, read LEN+2", async () => {
    const { port, link, clock } = setup([{ w: CMD }, ...reply(RESP)]);
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
    expect(port.transcript).toEqual([`W ${CMD}`, "R 0d 00", `R ${RESP}`]);
    expect(port.remaining).toBe(0);
    expect(clock.now()).toBe(5);
    expect(link.stats).toMatchObject({
      exchanges: 1,
      failures: 0,
      apduBytesOut: 5,
      apduBytesIn: 10,
      wireBytesOut: 10,
      wireBytesIn: 2 + 15,
      transactions: 3,
    });
  });

  it("polls while the SE NACKs, on write and on read", async () => {
    const { port, link, clock } = setup([
      { nack: "w" },
      { nack: "w" },
      { w: CMD },
      { nack: "r" },
      { nack: "r" },
      { nack: "r" },
      ...reply(RESP),
    ]);
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
    expect(port.transcript.slice(0, 4)).toEqual(["W NACK", "W NACK", `W ${CMD}`, "R2 NACK"]);
    expect(clock.now()).toBe(2 + 2 + 5 + 2 * 3);
    expect(link.stats.nacks).toBe(5);
  });

  it("a NACK on the second read goes back to reading the length", async () => {
    const { port, link } = setup([{ w: CMD }, { r: RESP }, { nack: "r" }, ...reply(RESP)]);
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
    expect(port.transcript).toEqual([`W ${CMD}`, "R 0d 00", "R15 NACK", "R 0d 00", `R ${RESP}`]);
  });

  it("WTX restarts the timeout and keeps polling", async () => {
    // timeout 10 ms; four WTX 2 ms apart would not fit without the restart… plus NACKs between.
    const script: I2cStep[] = [{ w: CMD }];
    for (let i = 0; i < 8; i++) script.push({ nack: "r" }, { nack: "r" }, { nack: "r" }, ...reply(WTX));
    script.push(...reply(RESP));
    const { link, clock } = setup(script, { timeoutMs: 10 });
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
    expect(link.stats.wtx).toBe(8);
    expect(clock.now()).toBeGreaterThan(10);
  });

  it("a bad BCC is answered by a NAK frame, then the SE re-sends", async () => {
    const bad = RESP.slice(0, -2) + "00";
    const { port, link } = setup([{ w: CMD }, ...reply(bad), { w: NAK }, ...reply(RESP)]);
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
    expect(port.transcript).toEqual([`W ${CMD}`, "R 0d 00", `R ${bad}`, `W ${NAK}`, "R 0d 00", `R ${RESP}`]);
    expect(link.stats.naks).toBe(1);
  });

  it("a bad length is answered by a NAK frame", async () => {
    const { port, link } = setup([{ w: CMD }, { r: "01 00" }, { w: NAK }, { r: "ff ff" }, { w: NAK }, ...reply(RESP)]);
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
    expect(port.transcript).toEqual([`W ${CMD}`, "R 01 00", `W ${NAK}`, "R ff ff", `W ${NAK}`, "R 0d 00", `R ${RESP}`]);
  });

  it("a NAK frame that is NACKed is polled like any write", async () => {
    const { link } = setup([{ w: CMD }, { r: "02 00" }, { nack: "w" }, { w: NAK }, ...reply(RESP)]);
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
  });

  it("gives up after maxNaks bad frames: LinkRetriesExhausted(nak) with the last checksum error", async () => {
    const bad = RESP.slice(0, -2) + "00";
    const script: I2cStep[] = [{ w: CMD }];
    for (let i = 0; i < 3; i++) script.push(...reply(bad), { w: NAK });
    script.push(...reply(bad));
    const { link, port } = setup(script, { maxNaks: 3 });
    const e = await fails(mode, link);
    expect(e).toBeInstanceOf(LinkRetriesExhausted);
    expect((e as LinkRetriesExhausted).what).toBe("nak");
    expect((e as LinkRetriesExhausted).status).toBe("ERR_SE_CHECKSUM");
    expect((e as Error).cause).toBeInstanceOf(LinkChecksum);
    expect(port.remaining).toBe(0);
    expect(link.stats.failures).toBe(1);
  });

  it("a length that disagrees with the frame is a LinkLength → NAK", async () => {
    // second read returns a frame whose LEN differs from the first read's LEN
    const other = frame(0, "90 00");
    const { link } = setup([{ w: CMD }, { r: RESP }, { r: other.padEnd(RESP.length, " 00") }, { w: NAK }, ...reply(RESP)]);
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
    expect(link.stats.naks).toBe(1);
  });

  it("the SE NAKing our frame (STA 0xBA) makes us send it again", async () => {
    const { port, link } = setup([{ w: CMD }, ...reply(frame(0xba)), { w: CMD }, ...reply(RESP)]);
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
    expect(port.transcript.filter((l) => l === `W ${CMD}`)).toHaveLength(2);
  });

  it("WTX storm beyond maxWtx: LinkRetriesExhausted(wtx)", async () => {
    const script: I2cStep[] = [{ w: CMD }];
    for (let i = 0; i < 4; i++) script.push(...reply(WTX));
    const { link } = setup(script, { maxWtx: 3 });
    const e = await fails(mode, link);
    expect(e).toBeInstanceOf(LinkRetriesExhausted);
    expect((e as LinkRetriesExhausted).what).toBe("wtx");
    expect((e as LinkRetriesExhausted).status).toBe("ERR_SE_TIMEOUT");
  });

  it("an SE that stays busy: LinkTimeout(busy) after timeoutMs, on the virtual clock", async () => {
    const script: I2cStep[] = [{ w: CMD }, ...Array.from({ length: 60 }, () => ({ nack: "r" as const }))];
    const { link, clock } = setup(script, { timeoutMs: 100 });
    const e = await fails(mode, link);
    expect(e).toBeInstanceOf(LinkTimeout);
    expect((e as LinkTimeout).reason).toBe("busy");
    expect((e as LinkTimeout).status).toBe("ERR_SE_TIMEOUT");
    expect((e as Error).cause).toBeInstanceOf(BusError);
    expect(clock.now()).toBeGreaterThanOrEqual(105);
    expect(clock.now()).toBeLessThan(110);
  });

  it("an SE that never ACKs the command: LinkNack", async () => {
    const { link } = setup(
      Array.from({ length: 60 }, () => ({ nack: "w" as const })),
      { timeoutMs: 100 },
    );
    const e = await fails(mode, link);
    expect(e).toBeInstanceOf(LinkNack);
    expect((e as LinkNack).status).toBe("ERR_SE_NACK");
    expect((e as Error).message).toMatch(/i2cdetect/);
  });

  it("WTX forever ends at the overall deadline: LinkTimeout(deadline)", async () => {
    const script: I2cStep[] = [{ w: CMD }];
    for (let i = 0; i < 30; i++) script.push(...reply(WTX));
    const { link, clock } = setup(script, { deadlineMs: 50, maxWtx: 1000 });
    const e = await fails(mode, link);
    expect(e).toBeInstanceOf(LinkTimeout);
    expect((e as LinkTimeout).reason).toBe("deadline");
    expect(clock.now()).toBeGreaterThanOrEqual(50);
  });

  it("EIO on a read is retried (the SE re-sends from the start)", async () => {
    const { link } = setup([{ w: CMD }, { fail: "r", code: "EIO" }, { r: RESP }, { fail: "r", code: "TIMEOUT" }, ...reply(RESP)]);
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
    expect(link.stats.ioRetries).toBe(2);
  });

  it("EIO on reads beyond ioRetries: LinkRetriesExhausted(io)", async () => {
    const { link } = setup([{ w: CMD }, { fail: "r", code: "EIO" }, { fail: "r", code: "EIO" }, { fail: "r", code: "EIO" }], {
      ioRetries: 2,
    });
    const e = await fails(mode, link);
    expect(e).toBeInstanceOf(LinkRetriesExhausted);
    expect((e as LinkRetriesExhausted).what).toBe("io");
    expect((e as LinkRetriesExhausted).status).toBe("ERR_SE_IO");
  });

  it("EIO on every whole-frame read exhausts ioRetries (a good length read in between does not reset the count)", async () => {
    const script: I2cStep[] = [{ w: CMD }];
    for (let i = 0; i < 20; i++) script.push({ r: RESP }, { fail: "r", code: "EIO" });
    const { link, clock } = setup(script, { ioRetries: 2 });
    const e = await fails(mode, link);
    expect(e).toBeInstanceOf(LinkRetriesExhausted);
    expect((e as LinkRetriesExhausted).what).toBe("io");
    expect(link.stats.ioRetries).toBe(2);
    expect(clock.now()).toBeLessThan(100);
  });

  it("ioRetries counts errors in a row: isolated EIOs between NACK polls are fine", async () => {
    const eio = { fail: "r" as const, code: "EIO" as const };
    const { link } = setup([{ w: CMD }, eio, { nack: "r" }, eio, { nack: "r" }, eio, ...reply(RESP)], { ioRetries: 1 });
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
    expect(link.stats.ioRetries).toBe(3);
  });

  it("EIO on the command write propagates as the BusError (never resent)", async () => {
    const { link, port } = setup([{ fail: "w", code: "EIO" }]);
    const e = await fails(mode, link);
    expect(e).toBeInstanceOf(BusError);
    expect((e as BusError).code).toBe("EIO");
    expect(port.remaining).toBe(0);
  });

  it.each(["ENOENT", "EACCES", "CLOSED"] as const)("%s on a read propagates unchanged", async (code) => {
    const { link } = setup([{ w: CMD }, { fail: "r", code }]);
    const e = await fails(mode, link);
    expect(e).toBeInstanceOf(BusError);
    expect((e as BusError).code).toBe(code);
  });

  it("an unknown link status byte is a LinkProtocol error", async () => {
    const { link } = setup([{ w: CMD }, ...reply(frame(0x6f, "90 00"))]);
    expect(await fails(mode, link)).toBeInstanceOf(LinkProtocol);
  });

  it("a response without a status word is a bad frame (NAK)", async () => {
    const { link } = setup([{ w: CMD }, ...reply(frame(0, "90")), { w: NAK }, ...reply(RESP)]);
    expect(toHex(await run(mode, link), " ")).toBe(RESP_DATA);
  });

  it("rejects APDUs shorter than 4 bytes and non-Uint8Array input", async () => {
    const { link } = setup([]);
    expect(await fails(mode, link, fromHex("00 84"))).toBeInstanceOf(LinkProtocol);
    expect(await fails(mode, link, "00840000" as unknown as Uint8Array)).toBeInstanceOf(TypeError);
  });

  it("reads the ATR with CMD 0x30", async () => {
    const atr = "3b 9f 95 81 31 fe 9f 00 66 46 53 05";
    const { port, link } = setup([{ w: "03 00 00 30 33" }, { nack: "r" }, ...reply(frame(0, atr))]);
    const got = mode === "sync" ? link.atrSync() : await link.atr();
    expect(toHex(got, " ")).toBe(atr);
    expect(port.transcript[0]).toBe("W 03 00 00 30 33");
  });
});

describe("FM I2C link: bus lock", () => {
  it("queues async exchanges and refuses a sync one while they are in flight (EBUSY)", async () => {
    const { link, port } = setup([{ w: CMD }, ...reply(RESP), { w: CMD }, ...reply(frame(0, "90 00"))]);
    const a = link.transceive(APDU);
    const b = link.transceive(APDU);
    expect(() => link.transceiveSync(APDU)).toThrow(expect.objectContaining({ code: "EBUSY" }));
    expect(toHex(await a, " ")).toBe(RESP_DATA);
    expect(toHex(await b, " ")).toBe("90 00");
    expect(port.remaining).toBe(0);
    // idle again: sync works (and the script is exhausted, so it fails inside the port, not EBUSY)
    expect(() => link.transceiveSync(APDU)).toThrow(/script exhausted/);
  });

  it("two links on one bus share the lock", async () => {
    const clock = new VirtualClock();
    const p1 = Object.assign(new ScriptedI2cPort([{ w: CMD }, ...reply(RESP)], "/dev/i2c-9@0x71"), { bus: "/dev/i2c-9" });
    const p2 = Object.assign(new ScriptedI2cPort([], "/dev/i2c-9@0x72"), { bus: "/dev/i2c-9" });
    const l1 = new FmI2cLink(p1, { clock });
    const l2 = new FmI2cLink(p2, { clock });
    const a = l1.transceive(APDU);
    expect(() => l2.transceiveSync(APDU)).toThrow(expect.objectContaining({ code: "EBUSY", bus: "/dev/i2c-9" }));
    await a;
  });

  it("traces every step when asked", () => {
    const lines: string[] = [];
    const clock = new VirtualClock();
    const port = new ScriptedI2cPort([{ w: CMD }, { nack: "r" }, ...reply(RESP)]);
    const link = new FmI2cLink(port, { clock, trace: (l) => lines.push(l) });
    link.transceiveSync(APDU);
    expect(lines).toEqual([`APDU> 00 84 00 00 08`, `Tx> ${CMD}`, "NACK (read)", "Rx< 0d 00", `Rx< ${RESP}`, `APDU< ${RESP_DATA}`]);
  });

  it("refuses an SPI port", () => {
    expect(() => new FmI2cLink({ kind: "spi", name: "x" } as never)).toThrow(TypeError);
  });

  it("validates timing overrides", () => {
    const port = new ScriptedI2cPort([]);
    expect(() => new FmI2cLink(port, { timing: { pollIntervalMs: 10 } })).toThrow(/pollIntervalMs must be in 1..9/);
    expect(() => new FmI2cLink(port, { timing: { bogus: 1 } as never })).toThrow(/unknown field "bogus"/);
    expect(() => new FmI2cLink(port, { timing: { maxNaks: 1.5 } })).toThrow(/integer/);
  });
});

describe("FM I2C link: private lock", () => {
  it("a link given its own lock does not share the bus-wide one", async () => {
    const { BusLock } = await import("../../hal/bus/lock.js");
    const clock = new VirtualClock();
    const p1 = Object.assign(new ScriptedI2cPort([{ w: CMD }, ...reply(RESP)], "/dev/i2c-8@0x71"), { bus: "/dev/i2c-8" });
    const p2 = Object.assign(new ScriptedI2cPort([{ w: CMD }, ...reply(RESP)], "/dev/i2c-8@0x72"), { bus: "/dev/i2c-8" });
    const l1 = new FmI2cLink(p1, { clock });
    const l2 = new FmI2cLink(p2, { clock, lock: new BusLock("private") });
    const a = l1.transceive(APDU);
    expect(toHex(l2.transceiveSync(APDU), " ")).toBe(RESP_DATA);
    await a;
  });
});
