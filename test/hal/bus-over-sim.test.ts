// The real i2c-bus / spi-device adapter code (hal/bus) over fakes of the native modules that
// forward every call to the simulated SE (hal/sim): the adapters' calls, buffers and errno
// mapping run inside real APDU exchanges, with the simulator's NACKs and faults arriving as the
// errno errors Linux would give (EREMOTEIO, EIO, ETIMEDOUT) and coming back out as BusErrors.
import { describe, expect, it } from "vitest";
import { openI2cPort, type I2cBusLike, type I2cBusModule } from "../../hal/bus/i2c.js";
import { openSpiPort, type SpiDeviceLike, type SpiDeviceModule, type SpiTransfer } from "../../hal/bus/spi.js";
import { BusError } from "../../hal/bus/errors.js";
import type { I2cPort, SpiPort } from "../../hal/bus/port.js";
import { VirtualClock } from "../../hal/clock.js";
import { FmI2cLink } from "../../hal/link/fm-i2c.js";
import { FmSpiLink } from "../../hal/link/fm-spi.js";
import { ApduChannel } from "../../hal/apdu/channel.js";
import { createSimulatedSe } from "../../hal/sim/index.js";

const ERRNO = { NACK: ["EREMOTEIO", 121], EIO: ["EIO", 5], TIMEOUT: ["ETIMEDOUT", 110] } as const;

/** Re-throw a simulator BusError the way the kernel reports it: a Node errno error. */
function asErrno(e: unknown): Error {
  if (e instanceof BusError && e.code in ERRNO) {
    const [code, errno] = ERRNO[e.code as keyof typeof ERRNO];
    return Object.assign(new Error(`${code}: simulated`), { code, errno: -errno, syscall: "read" });
  }
  return e as Error;
}

/** A fake `i2c-bus` module whose bus forwards plain I2C reads/writes to a simulated port. */
function i2cBusOver(sim: I2cPort, address: number, log: string[]): I2cBusModule {
  const check = (a: number) => {
    if (a !== address) throw Object.assign(new Error("ENXIO"), { code: "ENXIO", errno: -6 });
  };
  const readInto = (a: number, n: number, buf: Buffer): number => {
    check(a);
    try {
      buf.set(sim.readSync(n));
    } catch (e) {
      throw asErrno(e);
    }
    log.push(`read ${n}`);
    return n;
  };
  const writeFrom = (a: number, n: number, buf: Buffer): number => {
    check(a);
    try {
      sim.writeSync(Uint8Array.from(buf.subarray(0, n)));
    } catch (e) {
      throw asErrno(e);
    }
    log.push(`write ${n}`);
    return n;
  };
  const bus: I2cBusLike = {
    i2cFuncsSync: () => ({ i2c: true }),
    i2cReadSync: readInto,
    i2cWriteSync: writeFrom,
    i2cRead: (a, n, b, cb) =>
      setImmediate(() => {
        try {
          cb(null, readInto(a, n, b), b);
        } catch (e) {
          cb(e as Error, 0, b);
        }
      }),
    i2cWrite: (a, n, b, cb) =>
      setImmediate(() => {
        try {
          cb(null, writeFrom(a, n, b), b);
        } catch (e) {
          cb(e as Error, 0, b);
        }
      }),
    closeSync: () => {},
  };
  return { openSync: () => bus };
}

/** A fake `spi-device` module whose device forwards each message to a simulated port. */
function spiDeviceOver(sim: SpiPort, log: string[]): SpiDeviceModule {
  const run = (m: SpiTransfer[]) => {
    let rx: Uint8Array[];
    try {
      // what the chip sees on MOSI: every byte, the adapter's 0xFF filler included
      rx = sim.transferSync(
        m.map((t) => ({
          send: Uint8Array.from(t.sendBuffer!),
          length: t.byteLength,
          ...(t.microSecondDelay ? { delayUs: t.microSecondDelay } : {}),
        })),
      );
    } catch (e) {
      throw asErrno(e);
    }
    m.forEach((t, i) => t.receiveBuffer!.set(rx[i]!));
    log.push(`message ${m.map((t) => t.byteLength).join("+")}`);
  };
  const dev: SpiDeviceLike = {
    transferSync: (m) => run(m),
    transfer: (m, cb) =>
      setImmediate(() => {
        try {
          run(m);
          cb(null, m);
        } catch (e) {
          cb(e as Error, m);
        }
      }),
    closeSync: () => {},
  };
  return { openSync: () => dev };
}

describe.each(["sync", "async"] as const)("adapters over the simulator (%s)", (mode) => {
  it("i2c-bus adapter: GET CHALLENGE and the ATR through real exchanges (NACK polls included)", async () => {
    const clock = new VirtualClock();
    const se = createSimulatedSe({ bus: "i2c", clock, seed: 7, faults: { script: [{ kind: "nack", op: "read", count: 2 }] } });
    const log: string[] = [];
    const port = openI2cPort({ bus: 1, address: 0x71, module: i2cBusOver(se.port, 0x71, log) });
    const link = new FmI2cLink(port, { clock });
    const ch = new ApduChannel(link);
    const cmd = { cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 8 };
    const r = mode === "sync" ? ch.sendSync(cmd) : await ch.send(cmd);
    expect(r.length).toBe(8);
    const atr = mode === "sync" ? link.atrSync() : await link.atr();
    expect(atr.length).toBeGreaterThan(2);
    expect(log[0]).toBe("write 10");
    expect(link.stats.nacks).toBe(2); // the SE NACKed: EREMOTEIO → BusError NACK → poll again
  });

  it("i2c-bus adapter: the wrong address NACKs (ENXIO) until LinkNack", async () => {
    const clock = new VirtualClock();
    const se = createSimulatedSe({ bus: "i2c", clock });
    const port = openI2cPort({ bus: 1, address: 0x72, module: i2cBusOver(se.port, 0x71, []) });
    const link = new FmI2cLink(port, { clock, timing: { timeoutMs: 200 } });
    const apdu = Uint8Array.of(0x00, 0x84, 0x00, 0x00, 0x08);
    const e = await (mode === "sync" ? Promise.resolve().then(() => link.transceiveSync(apdu)) : link.transceive(apdu)).catch((x) => x);
    expect(e).toMatchObject({ name: "LinkNack", status: "ERR_SE_NACK" });
    expect(e.cause).toMatchObject({ code: "NACK", errno: "ENXIO", bus: "/dev/i2c-1", address: 0x72 });
  });

  it("i2c-bus adapter: simulated I/O errors arrive as EIO / ETIMEDOUT and are mapped back", async () => {
    const clock = new VirtualClock();
    const se = createSimulatedSe({
      bus: "i2c",
      clock,
      seed: 3,
      faults: {
        script: [
          { kind: "io", error: "EIO", op: "read" },
          { kind: "io", error: "TIMEOUT", op: "read" },
        ],
      },
    });
    const port = openI2cPort({ bus: 1, address: 0x71, module: i2cBusOver(se.port, 0x71, []) });
    const errors: string[] = [];
    const link = new FmI2cLink(port, {
      clock,
      trace: (l) => {
        if (l.startsWith("ERR")) errors.push(l);
      },
    });
    const ch = new ApduChannel(link);
    const cmd = { cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 8 };
    expect((mode === "sync" ? ch.sendSync(cmd) : await ch.send(cmd)).length).toBe(8);
    expect(link.stats.ioRetries).toBe(2);
    expect(errors.join("\n")).toMatch(/EIO: read on \/dev\/i2c-1 address 0x71/);
    expect(errors.join("\n")).toMatch(/TIMEOUT: read on \/dev\/i2c-1 address 0x71.*\[ETIMEDOUT\]/);
  });

  it("spi-device adapter: GET CHALLENGE through real exchanges", async () => {
    const clock = new VirtualClock();
    const se = createSimulatedSe({ bus: "spi", clock, seed: 9 });
    const log: string[] = [];
    const port = openSpiPort({ bus: 0, chipSelect: 0, mode: 3, speedHz: 2_000_000, module: spiDeviceOver(se.port, log) });
    const link = new FmSpiLink(port, { clock });
    const ch = new ApduChannel(link);
    const cmd = { cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 16 };
    const r = mode === "sync" ? ch.sendSync(cmd) : await ch.send(cmd);
    expect(r.length).toBe(16);
    expect(log[0]).toBe("message 1+8"); // 02 | LEN_HI LEN_LO 00 84 00 00 10 LRC
    expect(log).toContain("message 1+2");
    expect(log.at(-1)).toBe("message 1+21"); // 16 bytes + SW + LEN(2) + LRC
  });
});
