// Each fault kind of the simulator (hal/sim/faults.ts), driven deterministically through the real
// link driver (hal/link), APDU channel and SE calls: every exchange ends with the correct
// response or a typed error, never a wrong response, and the next exchange works again.
// Virtual clock: the 16 s timeouts cost nothing.
import { describe, expect, test } from "vitest";
import { createSimulatedStack } from "../../hal/sim/stack.js";
import type { ScriptedFault } from "../../hal/sim/faults.js";
import { BusError } from "../../hal/bus/errors.js";
import { LinkRetriesExhausted, LinkTimeout } from "../../hal/link/errors.js";
import { toHex } from "../../reference/bytes.js";

const TID = "671007e10029b0a2";
const identity = { tid: Buffer.from(TID, "hex"), psk: Buffer.from("00112233445566778899aabbccddeeff", "hex") };

function stack(bus: "i2c" | "spi", script: ScriptedFault[]) {
  return createSimulatedStack({ bus, identity, seed: 5, faults: { script } });
}

/** Run GET DATA (TID): "ok" when the answer is right, the error's class name otherwise. */
function outcome(s: ReturnType<typeof stack>): string {
  try {
    const tid = s.client.getTidSync();
    expect(toHex(tid)).toBe(TID); // a wrong answer fails the test right here
    return "ok";
  } catch (e) {
    if (e instanceof BusError) return `BusError:${e.code}`;
    return e instanceof LinkRetriesExhausted ? `LinkRetriesExhausted:${e.what}` : (e as Error).name;
  }
}

/** The exchange after a fault must be clean again. */
function recovers(s: ReturnType<typeof stack>): void {
  s.sim.faults!.clearScript();
  expect(outcome(s)).toBe("ok");
}

describe("FM I2C", () => {
  const cases: [string, ScriptedFault[], string, (s: ReturnType<typeof stack>) => void][] = [
    [
      "NACK on the command write ×3: the host polls until it is taken",
      [{ kind: "nack", op: "write", count: 3 }],
      "ok",
      (s) => expect(s.link.stats.nacks).toBeGreaterThanOrEqual(3),
    ],
    [
      "busy 300 ms: the host polls through it",
      [{ kind: "busy", op: "write", busyMs: 300 }],
      "ok",
      (s) => expect(s.clock.now()).toBeGreaterThan(300),
    ],
    [
      "corrupted command: the SE NAKs it, the host sends it again",
      [{ kind: "corrupt", op: "write", byte: 5, bit: 3 }],
      "ok",
      (s) => expect([s.sim.stats.badFrames, s.sim.stats.apdus]).toEqual([1, 1]),
    ],
    [
      "corrupted response (whole-frame read): the host NAKs, the SE resends",
      [{ kind: "corrupt", op: "read", skip: 1, byte: 6, bit: 0 }],
      "ok",
      (s) => expect(s.link.stats.naks).toBe(1),
    ],
    ["corrupted length bytes", [{ kind: "corrupt", op: "read", byte: 0, bit: 7 }], "ok", (s) => expect(s.link.stats.naks).toBe(1)],
    ["truncated response", [{ kind: "truncate", op: "read", skip: 1, keep: 9 }], "ok", (s) => expect(s.link.stats.naks).toBe(1)],
    ["truncated command", [{ kind: "truncate", op: "write", keep: 6 }], "ok", (s) => expect(s.sim.stats.badFrames).toBe(1)],
    ["garbage response", [{ kind: "garbage", op: "read", skip: 1 }], "ok", (s) => expect(s.link.stats.naks).toBe(1)],
    ["garbage command", [{ kind: "garbage", op: "write" }], "ok", (s) => expect(s.sim.stats.badFrames).toBe(1)],
    [
      "WTX storm of 5: ridden out",
      [{ kind: "wtx", op: "write", wtx: 5 }],
      "ok",
      (s) => expect([s.link.stats.wtx, s.sim.stats.wtx]).toEqual([5, 5]),
    ],
    ["WTX storm of 150: over the link's limit of 100", [{ kind: "wtx", op: "write", wtx: 150 }], "LinkRetriesExhausted:wtx", () => {}],
    ["EIO on a read: read again", [{ kind: "io", op: "read", error: "EIO" }], "ok", (s) => expect(s.link.stats.ioRetries).toBe(1)],
    [
      "bus TIMEOUT on a read: read again",
      [{ kind: "io", op: "read", skip: 1, error: "TIMEOUT" }],
      "ok",
      (s) => expect(s.link.stats.ioRetries).toBe(1),
    ],
    ["EIO on every read: gives up", [{ kind: "io", op: "read", count: 10, error: "EIO" }], "LinkRetriesExhausted:io", () => {}],
    [
      "EIO on the command write (not delivered): not resent, typed error",
      [{ kind: "io", op: "write", error: "EIO", delivered: false }],
      "BusError:EIO",
      (s) => expect(s.sim.stats.apdus).toBe(0),
    ],
    [
      "EIO on the command write (delivered): not resent, typed error",
      [{ kind: "io", op: "write", error: "EIO", delivered: true }],
      "BusError:EIO",
      (s) => expect(s.sim.stats.apdus).toBe(1),
    ],
    ["every response corrupted: NAK limit", [{ kind: "corrupt", op: "read", count: 20, byte: 6 }], "LinkRetriesExhausted:nak", () => {}],
    [
      "dropped response: timeout",
      [{ kind: "drop", op: "read" }],
      "LinkTimeout",
      (s) => expect(s.clock.now()).toBeGreaterThanOrEqual(16_000),
    ],
    [
      "reset mid-command: timeout, identity kept",
      [{ kind: "reset", op: "read" }],
      "LinkTimeout",
      (s) => expect(s.sim.stats.resets).toBe(1),
    ],
    ["NACK forever on the write: LinkNack", [{ kind: "nack", op: "write", count: 100_000 }], "LinkNack", () => {}],
  ];
  test.each(cases)("%s", (_, script, want, more) => {
    const s = stack("i2c", script);
    expect(outcome(s)).toBe(want);
    more(s);
    recovers(s);
  });
});

describe("FM SPI", () => {
  const cases: [string, ScriptedFault[], string, (s: ReturnType<typeof stack>) => void][] = [
    [
      "status says busy ×3 (the SPI 'NACK')",
      [{ kind: "nack", op: "status", count: 3 }],
      "ok",
      (s) => expect(s.link.stats.busyPolls).toBe(3),
    ],
    ["busy 300 ms", [{ kind: "busy", op: "send", busyMs: 300 }], "ok", (s) => expect(s.clock.now()).toBeGreaterThan(300)],
    [
      "corrupted response: re-read",
      [{ kind: "corrupt", op: "receive", skip: 1, byte: 4, bit: 2 }],
      "ok",
      (s) => expect(s.link.stats.naks).toBe(1),
    ],
    [
      "corrupted status byte (ready → busy)",
      [{ kind: "corrupt", op: "status", byte: 1, bit: 0 }],
      "ok",
      (s) => expect(s.link.stats.busyPolls).toBe(1),
    ],
    [
      "truncated response: re-read",
      [{ kind: "truncate", op: "receive", skip: 1, keep: 5 }],
      "ok",
      (s) => expect(s.link.stats.naks).toBe(1),
    ],
    [
      "garbage response: re-read",
      [{ kind: "garbage", op: "receive", skip: 1 }],
      "ok",
      (s) => expect(s.link.stats.naks).toBeGreaterThanOrEqual(1),
    ],
    ["WTX storm (long busy on SPI)", [{ kind: "wtx", op: "send", wtx: 5 }], "ok", (s) => expect(s.link.stats.busyPolls).toBeGreaterThan(5)],
    ["EIO on a status poll: poll again", [{ kind: "io", op: "status", error: "EIO" }], "ok", (s) => expect(s.link.stats.ioRetries).toBe(1)],
    [
      "TIMEOUT on a RECEIVE: read again",
      [{ kind: "io", op: "receive", error: "TIMEOUT" }],
      "ok",
      (s) => expect(s.link.stats.ioRetries).toBe(1),
    ],
    [
      "EIO on the SEND: typed error, not resent",
      [{ kind: "io", op: "send", error: "EIO", delivered: true }],
      "BusError:EIO",
      (s) => expect(s.sim.stats.apdus).toBe(1),
    ],
    // FM SPI has no NAK: a damaged command is dropped by the SE and the host times out.
    [
      "corrupted command frame: timeout",
      [{ kind: "corrupt", op: "send", byte: 4, bit: 1 }],
      "LinkTimeout",
      (s) => expect(s.sim.stats.badFrames).toBe(1),
    ],
    ["truncated command: timeout", [{ kind: "truncate", op: "send", keep: 4 }], "LinkTimeout", () => {}],
    ["garbage command: timeout", [{ kind: "garbage", op: "send" }], "LinkTimeout", () => {}],
    ["SEND not taken (SE deaf): timeout", [{ kind: "nack", op: "send" }], "LinkTimeout", () => {}],
    ["dropped response: timeout", [{ kind: "drop", op: "status" }], "LinkTimeout", () => {}],
    ["reset mid-command: timeout", [{ kind: "reset", op: "status" }], "LinkTimeout", (s) => expect(s.sim.stats.resets).toBe(1)],
    [
      "every response corrupted: re-read limit",
      [{ kind: "corrupt", op: "receive", count: 40, byte: 4 }],
      "LinkRetriesExhausted:nak",
      () => {},
    ],
  ];
  test.each(cases)("%s", (_, script, want, more) => {
    const s = stack("spi", script);
    expect(outcome(s)).toBe(want);
    more(s);
    recovers(s);
  });

  test("known limit of the FM SPI framing: a SEND whose command byte turns into RECEIVE (02 → 03)", () => {
    // Nothing in FM SPI ties a response to its command, and the command byte is outside the LRC:
    // if bit 0 of the SEND byte flips, the SE sees a RECEIVE, keeps its previous response, and
    // the host reads that. The simulator models this faithfully (docs/se-profile.md, Simulator).
    const s = stack("spi", [{ kind: "corrupt", op: "send", skip: 1, byte: 0, bit: 0 }]);
    const first = s.client.getChallengeSync(8);
    const second = s.client.getChallengeSync(8);
    expect(toHex(second)).toBe(toHex(first)); // the previous response, accepted: documented, not hidden
    expect(s.sim.stats.apdus).toBe(1);
  });
});

describe("after a reset the host can carry on", () => {
  test.each(["i2c", "spi"] as const)("%s: sessions gone, identity kept, new session works", (bus) => {
    const s = stack(bus, []);
    s.client.loadSessionKeySync(0, new Uint8Array(16).fill(1));
    s.sim.chip.reset();
    // FM SPI: a SEND while the chip boots is lost (no NACK on SPI), so give it its boot time.
    if (bus === "spi") s.clock.sleepSync(s.sim.chipTiming.bootMs);
    expect(() => s.client.sm4CipherSync(0, true, new Uint8Array(16))).toThrow(/6A88/);
    s.client.loadSessionKeySync(0, new Uint8Array(16).fill(1));
    expect(s.client.sm4CipherSync(0, true, new Uint8Array(16))).toHaveLength(16);
    expect(toHex(s.client.getTidSync())).toBe(TID);
  });
});

test("LinkTimeout is what a lost response costs: timeoutMs of virtual time, no real waiting", () => {
  const s = stack("i2c", [{ kind: "drop", op: "read" }]);
  const t0 = Date.now();
  expect(() => s.client.getTidSync()).toThrow(LinkTimeout);
  expect(Date.now() - t0).toBeLessThan(2_000);
});

describe("the Promise path sees the same faults the same way", () => {
  test.each(["i2c", "spi"] as const)("%s: NACK/busy polls, a damaged response, a WTX storm, then a lost answer", async (bus) => {
    const s = stack(bus, [
      { kind: "nack", op: bus === "i2c" ? "write" : "status", count: 2 },
      { kind: "corrupt", op: bus === "i2c" ? "read" : "receive", skip: 1, byte: 5 },
      { kind: "wtx", op: bus === "i2c" ? "write" : "send", wtx: 3 },
    ]);
    expect(toHex(await s.client.getTid())).toBe(TID);
    expect(toHex(await s.client.getTid())).toBe(TID);
    expect(s.link.stats.naks).toBe(1);
    const lost = stack(bus, [{ kind: "drop", op: bus === "i2c" ? "write" : "send" }]);
    await expect(lost.client.getTid()).rejects.toBeInstanceOf(LinkTimeout);
    expect(toHex(await lost.client.getTid())).toBe(TID);
  });
});
