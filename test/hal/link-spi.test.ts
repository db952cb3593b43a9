// FM SPI driver loop against scripted ports on a VirtualClock: each SPI message as sent (command
// byte, 16 µs pause, frame) and the answer read, busy polling, re-reads on a bad frame, limits.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../hal/clock.js";
import { BusError } from "../../hal/bus/errors.js";
import { FmSpiLink, fmSpiSendSegments } from "../../hal/link/fm-spi.js";
import { encodeFmSpiFrame } from "../../hal/link/fm-spi-frame.js";
import { LinkChecksum, LinkRetriesExhausted, LinkTimeout, LinkUnsupported } from "../../hal/link/errors.js";
import type { LinkTiming } from "../../hal/link/link.js";
import { ScriptedSpiPort, type SpiStep } from "../support/hal-fakes.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const APDU = fromHex("00 84 00 00 08");
const SEND: SpiStep = { tx: "02 | 00 05 00 84 00 00 08 76" };
const RESP_DATA = "11 22 33 44 55 66 77 88 90 00";
const RESP = toHex(encodeFmSpiFrame(fromHex(RESP_DATA)), " ");
const ready: SpiStep = { tx: "05 | ?1", rx: ["00"] };
const busy: SpiStep = { tx: "05 | ?1", rx: ["01"] };
const len = (f: string): SpiStep => ({ tx: "03 | ?2", rx: [f] });
const whole = (f: string, n = fromHex(f).length): SpiStep => ({ tx: `03 | ?${n}`, rx: [f] });
const reply = (f: string): SpiStep[] => [ready, len(f), whole(f)];

function setup(script: SpiStep[], timing: Partial<LinkTiming> = {}) {
  const clock = new VirtualClock();
  const port = new ScriptedSpiPort(script, `spi-test-${Math.random()}`);
  const link = new FmSpiLink(port, { clock, timing: { frameDelayMs: 5, pollIntervalMs: 2, ...timing } });
  return { clock, port, link };
}

describe.each(["sync", "async"] as const)("FM SPI driver (%s)", (mode) => {
  const run = (link: FmSpiLink, apdu = APDU) =>
    mode === "sync" ? Promise.resolve().then(() => link.transceiveSync(apdu)) : link.transceive(apdu);
  const fails = async (link: FmSpiLink): Promise<unknown> =>
    run(link).then(
      () => {
        throw new Error("expected failure");
      },
      (e) => e,
    );

  it("sends the golden SEND message with a 16 µs pause after the command byte", () => {
    const segs = fmSpiSendSegments(encodeFmSpiFrame(APDU));
    expect(segs[0]).toEqual({ send: Uint8Array.of(2), length: 1, delayUs: 16 });
    expect(toHex(Uint8Array.of(...segs[0]!.send!, ...segs[1]!.send!), " ")).toBe("02 00 05 00 84 00 00 08 76");
  });

  it("happy path: SEND, status, length, whole frame", async () => {
    const { link, port, clock } = setup([SEND, ...reply(RESP)]);
    expect(toHex(await run(link), " ")).toBe(RESP_DATA);
    expect(port.transcript).toEqual(["02 | 00 05 00 84 00 00 08 76 → ", "05 | ?1 → 00", "03 | ?2 → 00 0a", `03 | ?13 → ${RESP}`]);
    expect(clock.now()).toBe(5);
    expect(link.stats).toMatchObject({
      apduBytesOut: 5,
      apduBytesIn: 10,
      wireBytesOut: 1 + 8 + 1 + 1 + 1,
      wireBytesIn: 1 + 2 + 13,
      transactions: 4,
    });
  });

  it("polls the status byte while the SE is busy", async () => {
    const { link, clock } = setup([SEND, busy, busy, busy, ...reply(RESP)]);
    expect(toHex(await run(link), " ")).toBe(RESP_DATA);
    expect(link.stats.busyPolls).toBe(3);
    expect(clock.now()).toBe(5 + 3 * 2);
  });

  it("re-reads after a bad LRC", async () => {
    const bad = RESP.slice(0, -2) + "00";
    const { link, port } = setup([SEND, ready, len(bad), whole(bad), ...reply(RESP)]);
    expect(toHex(await run(link), " ")).toBe(RESP_DATA);
    expect(link.stats.naks).toBe(1);
    expect(port.remaining).toBe(0);
  });

  it("re-reads after a bad length", async () => {
    const { link } = setup([SEND, ready, len("00 01"), ready, len("fe ff"), ...reply(RESP)]);
    expect(toHex(await run(link), " ")).toBe(RESP_DATA);
    expect(link.stats.naks).toBe(2);
  });

  it("a length of FF FF (MISO idle: nothing ready) is another busy poll, not a bad frame", async () => {
    const { link } = setup([SEND, ready, len("ff ff"), ...reply(RESP)]);
    expect(toHex(await run(link), " ")).toBe(RESP_DATA);
    expect(link.stats.naks).toBe(0);
    expect(link.stats.busyPolls).toBe(1);
  });

  it("gives up after maxNaks bad frames", async () => {
    const bad = RESP.slice(0, -2) + "00";
    const script: SpiStep[] = [SEND];
    for (let i = 0; i < 3; i++) script.push(ready, len(bad), whole(bad));
    const { link } = setup(script, { maxNaks: 2 });
    const e = await fails(link);
    expect(e).toBeInstanceOf(LinkRetriesExhausted);
    expect((e as Error).cause).toBeInstanceOf(LinkChecksum);
  });

  it("a frame whose LEN changed between the two reads is a LinkLength", async () => {
    const short = toHex(encodeFmSpiFrame(fromHex("90 00")), " ");
    const { link } = setup([SEND, ready, len(RESP), whole(short + " 00 00 00 00 00 00 00 00", 13), ...reply(RESP)]);
    expect(toHex(await run(link), " ")).toBe(RESP_DATA);
    expect(link.stats.naks).toBe(1);
  });

  it("busy past timeoutMs: LinkTimeout(busy)", async () => {
    const { link, clock } = setup([SEND, ...Array.from({ length: 40 }, () => busy)], { timeoutMs: 50 });
    const e = await fails(link);
    expect(e).toBeInstanceOf(LinkTimeout);
    expect((e as LinkTimeout).reason).toBe("busy");
    expect(clock.now()).toBeGreaterThanOrEqual(55);
  });

  it("bad frames forever end at the deadline", async () => {
    const bad = RESP.slice(0, -2) + "00";
    const script: SpiStep[] = [SEND];
    for (let i = 0; i < 30; i++) script.push(ready, len(bad), whole(bad));
    const { link } = setup(script, { maxNaks: 100, deadlineMs: 40 });
    const e = await fails(link);
    expect(e).toBeInstanceOf(LinkTimeout);
    expect((e as LinkTimeout).reason).toBe("deadline");
  });

  it("EIO on a status/receive message is retried; on SEND it propagates", async () => {
    const a = setup([SEND, { fail: "EIO" }, ready, { fail: "TIMEOUT" }, ...reply(RESP)]);
    expect(toHex(await run(a.link), " ")).toBe(RESP_DATA);
    expect(a.link.stats.ioRetries).toBe(2);
    const b = setup([{ fail: "EIO" }]);
    const e = await fails(b.link);
    expect(e).toBeInstanceOf(BusError);
    expect((e as BusError).code).toBe("EIO");
  });

  it("EIO beyond ioRetries: LinkRetriesExhausted(io)", async () => {
    const { link } = setup([SEND, { fail: "EIO" }, { fail: "EIO" }], { ioRetries: 1 });
    const e = await fails(link);
    expect((e as LinkRetriesExhausted).what).toBe("io");
  });

  it("EIO on every RECEIVE exhausts ioRetries (a ready status in between does not reset the count)", async () => {
    const script: SpiStep[] = [SEND];
    for (let i = 0; i < 20; i++) script.push(ready, { fail: "EIO" });
    const { link, clock } = setup(script, { ioRetries: 2 });
    const e = await fails(link);
    expect(e).toBeInstanceOf(LinkRetriesExhausted);
    expect((e as LinkRetriesExhausted).what).toBe("io");
    expect(link.stats.ioRetries).toBe(2);
    expect(clock.now()).toBeLessThan(100);
  });

  it("isolated EIOs between busy polls are fine (the count is of errors in a row)", async () => {
    const { link } = setup([SEND, { fail: "EIO" }, busy, { fail: "EIO" }, busy, { fail: "EIO" }, ...reply(RESP)], { ioRetries: 1 });
    expect(toHex(await run(link), " ")).toBe(RESP_DATA);
    expect(link.stats.ioRetries).toBe(3);
  });

  it("has no ATR: LinkUnsupported", async () => {
    const { link } = setup([]);
    const e = await (mode === "sync" ? Promise.resolve().then(() => link.atrSync()) : link.atr()).then(
      () => null,
      (x) => x,
    );
    expect(e).toBeInstanceOf(LinkUnsupported);
  });
});
