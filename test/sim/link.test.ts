// The simulated SE under the real host stack (hal/link → hal/apdu → hal/se) on a virtual clock:
// golden frames of docs/hal.md "Golden frames" as they cross the simulated bus, the worked example
// through both buses (sync and async), busy polling, the ATR, reset semantics, the timing model.
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { createSimulatedStack } from "../../hal/sim/stack.js";
import { i2cTransactionMs, spiMessageMs, DEFAULT_BUS_TIMING } from "../../hal/sim/timing.js";
import { SIM_ATR } from "../../hal/se/profile.js";
import { SeStatusError } from "../../hal/se/client.js";
import { LinkTimeout, LinkUnsupported } from "../../hal/link/errors.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const ex = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8")) as Record<string, string | number>;
const x = (b: Uint8Array | null): string => (b ? toHex(b) : "null");
const identity = { tid: fromHex(ex.TID as string), psk: fromHex(ex.PSK as string) };
const BUSES = ["i2c", "spi"] as const;

function stack(bus: "i2c" | "spi", extra: Partial<Parameters<typeof createSimulatedStack>[0]> = {}) {
  const lines: string[] = [];
  const s = createSimulatedStack({ bus, identity, seed: 3, trace: (l) => lines.push(l), ...extra });
  return { ...s, lines };
}

describe("golden frames on the simulated bus (docs/hal.md)", () => {
  test("I2C: GET CHALLENGE(8) is written as 08 00 00 02 00 84 00 00 08 86", () => {
    const s = stack("i2c");
    const r = s.client.getChallengeSync(8);
    expect(r).toHaveLength(8);
    expect(s.lines).toContain("Tx> 08 00 00 02 00 84 00 00 08 86");
    // then: 2 length bytes, then the whole frame again from its start
    const rx = s.lines.filter((l) => l.startsWith("Rx<"));
    expect(rx[0]).toBe("Rx< 0d 00");
    expect(rx[1]!.startsWith("Rx< 0d 00 00 00 ")).toBe(true);
    expect(rx[1]!.split(" ").length - 1).toBe(15);
  });
  test("I2C: the whole GET DATA (TID) exchange, byte for byte", () => {
    const s = stack("i2c");
    expect(x(s.client.getTidSync())).toBe(ex.TID);
    const body = [0x0d, 0x00, 0x00, 0x00, ...fromHex(ex.TID as string), 0x90, 0x00];
    const bcc = body.reduce((a, b) => a ^ b, 0);
    const frame = x(Uint8Array.from([...body, bcc])).replace(/(..)(?!$)/g, "$1 ");
    expect(s.lines.filter((l) => /^(Tx|Rx|NACK)/.test(l))).toEqual(["Tx> 08 00 00 02 80 ca 00 01 00 41", "Rx< 0d 00", `Rx< ${frame}`]);
  });
  test("SPI: GET CHALLENGE(8) is sent as 02 | 00 05 00 84 00 00 08 76", () => {
    const s = stack("spi");
    expect(s.client.getChallengeSync(8)).toHaveLength(8);
    const tx = s.lines.filter((l) => l.startsWith("Tx>"));
    expect(tx.slice(0, 2)).toEqual(["Tx> 02", "Tx> 00 05 00 84 00 00 08 76"]);
    expect(tx.slice(2, 4)).toEqual(["Tx> 05", "Tx> 03"]); // status poll, then RECEIVE
  });
});

describe.each(BUSES)("worked example over %s", (bus) => {
  const begin = { time: ex.deviceTime as number };
  test("sync: AUTH BEGIN → the authcode, AUTH FINISH → the session token", () => {
    const s = stack(bus);
    s.sim.applet.injectNextAuth({ nd: fromHex(ex.Nd as string), ephemeralPrivate: fromHex(ex.deviceEphemeralPrivate as string) });
    expect(x(s.client.authBeginSync(begin))).toBe(ex.authcode);
    expect(x(s.client.authFinishSync(fromHex(ex.serverData as string), { returnToken: true }))).toBe(ex.sessionToken);
    expect(s.client.getSlotsSync()[0]).toBe("token");
    // the SE was busy with SM2 for tens of ms: the host polled through it
    expect(s.sim.stats.busyMs).toBeGreaterThan(80);
    expect(bus === "i2c" ? s.link.stats.nacks : s.link.stats.busyPolls).toBeGreaterThan(5);
  });
  test("async: the same bytes", async () => {
    const s = stack(bus);
    s.sim.applet.injectNextAuth({ nd: fromHex(ex.Nd as string), ephemeralPrivate: fromHex(ex.deviceEphemeralPrivate as string) });
    expect(x(await s.client.authBegin(begin))).toBe(ex.authcode);
    expect(x(await s.client.authFinish(fromHex(ex.serverData as string), { slot: 5 }))).toBe("null");
    expect((await s.client.getSlots())[5]).toBe("token");
    const pt = new Uint8Array(32).fill(7);
    const ct = await s.client.sm4Cipher(5, true, pt);
    expect(x(await s.client.sm4Cipher(5, false, ct))).toBe(x(pt));
  });
});

describe.each(BUSES)("host stack over %s", (bus) => {
  test("two simulated SEs are on buses of their own: a sync call on one while the other is busy", async () => {
    const a = stack(bus),
      b = stack(bus);
    expect(a.sim.port.bus).not.toBe(b.sim.port.bus);
    expect(a.sim.port.name).toBe(b.sim.port.name); // the display name stays the board's
    const pending = a.client.getChallenge(8);
    expect(b.client.getChallengeSync(8)).toHaveLength(8); // no EBUSY from a's bus lock
    expect(await pending).toHaveLength(8);
  });

  test("SELECT, identity, provisioning, lock", () => {
    const s = stack(bus, { identity: undefined });
    const sel = s.client.selectSync();
    expect(x(sel.aid)).toBe("f05449444150507631");
    expect(sel.version).toEqual({ major: 1, minor: 0 });
    expect(s.client.identitySync()).toMatchObject({ tid: null, info: { lifecycle: "blank", slots: 8, maxExtra: 512 } });
    s.client.provisionSync(identity.tid, identity.psk);
    s.client.lockSync();
    const id = s.client.identitySync();
    expect(x(id.tid)).toBe(ex.TID);
    expect(id.info.lifecycle).toBe("locked");
    const e = (() => {
      try {
        s.client.provisionSync(identity.tid, identity.psk);
      } catch (err) {
        return err;
      }
    })() as SeStatusError;
    expect(e).toBeInstanceOf(SeStatusError);
    expect(e.sw).toBe(0x6982);
    expect(e.reason).toBe("security-status");
  });
  test("long data both ways: 1024-byte SM4 CIPHER (chaining + 61xx), 512-byte extra", () => {
    const s = stack(bus);
    s.client.loadSessionKeySync(1, fromHex("0123456789abcdeffedcba9876543210"));
    const data = Uint8Array.from({ length: 2048 }, (_, i) => i & 0xff);
    const ct = s.client.sm4CipherSync(1, true, data);
    expect(x(s.client.sm4CipherSync(1, false, ct))).toBe(x(data));
    expect(s.client.authBeginSync({ time: 1, extra: new Uint8Array(512).fill(1) })).toHaveLength(644);
  });
  test("a reset loses the sessions and keeps the identity", () => {
    const s = stack(bus);
    s.client.loadSessionKeySync(0, new Uint8Array(16).fill(1));
    s.client.authBeginSync({ time: 1 });
    s.sim.chip.reset();
    s.clock.sleepSync(20); // boot
    expect(s.client.getSlotsSync()).toEqual(new Array(8).fill("empty"));
    expect(s.client.getInfoSync().pending).toBe(false);
    expect(x(s.client.getTidSync())).toBe(ex.TID);
  });
  test("a reset mid-command: the host gets a typed timeout, on virtual time", () => {
    const s = stack(bus);
    // reset right after the command frame went out
    const port = s.sim.port as unknown as Record<string, (...a: unknown[]) => unknown>;
    const method = bus === "i2c" ? "writeSync" : "transferSync";
    const orig = port[method]!.bind(port);
    port[method] = (...a: unknown[]) => {
      const r = orig(...a);
      if (s.sim.stats.apdus === 1 && s.sim.stats.resets === 0) s.sim.chip.reset();
      return r;
    };
    const t0 = s.clock.now();
    expect(() => s.client.authBeginSync({ time: 1 })).toThrow(LinkTimeout);
    expect(s.clock.now() - t0).toBeGreaterThanOrEqual(16_000);
    expect(s.client.getInfoSync().pending).toBe(false); // the chip lost it
  });
});

describe("ATR", () => {
  test("I2C GET ATR (CMD 0x30) returns the simulated ATR", () => {
    const s = stack("i2c");
    expect(x(s.link.atrSync())).toBe(x(SIM_ATR));
    expect(s.lines).toContain("Tx> 03 00 00 30 33");
  });
  test("FM SPI has no ATR", () => {
    expect(() => stack("spi").link.atrSync()).toThrow(LinkUnsupported);
  });
});

describe("timing model", () => {
  test("I2C at 400 kHz: START + 9 clocks per byte incl. the address + STOP", () => {
    expect(i2cTransactionMs(DEFAULT_BUS_TIMING, 10)).toBeCloseTo(((2 + 9 * 11) / 400_000) * 1000, 9);
    expect(i2cTransactionMs(DEFAULT_BUS_TIMING, 10, true)).toBeCloseTo((11 / 400_000) * 1000, 9);
    expect(spiMessageMs(DEFAULT_BUS_TIMING, 10, 16)).toBeCloseTo((80 / 2_000_000) * 1000 + 0.017, 9);
  });
  test("bus time is the sum of the transactions and matches the clock", () => {
    const s = stack("i2c");
    const t0 = s.clock.now();
    s.client.getTidSync();
    // write 10 bytes, (5 ms frame delay: the chip is done in 0.5 ms), read 2, read 15
    const want =
      i2cTransactionMs(DEFAULT_BUS_TIMING, 10) + i2cTransactionMs(DEFAULT_BUS_TIMING, 2) + i2cTransactionMs(DEFAULT_BUS_TIMING, 15);
    expect(s.sim.stats.busTimeMs).toBeCloseTo(want, 9);
    expect(s.clock.now() - t0).toBeCloseTo(want + 5, 9);
  });
  test("the SE's own work is charged: AUTH BEGIN ≈ keygen + HMAC + TRNG", () => {
    const s = stack("i2c");
    const before = s.sim.stats.busyMs;
    s.client.authBeginSync({ time: 1 });
    const ms = s.sim.stats.busyMs - before;
    expect(ms).toBeGreaterThan(40);
    expect(ms).toBeLessThan(45);
  });
});
