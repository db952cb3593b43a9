// The real i2c-bus / spi-device adapter code over fakes of the native module objects: calls as
// made, errno mapping (ENOENT, EACCES, EREMOTEIO, ENXIO, EIO, ETIMEDOUT), address checks, the
// per-port lock, SPI message splitting, and the missing-module error. A last group opens the real
// modules against bus numbers that do not exist here.
import { describe, expect, it } from "vitest";
import { openI2cPort, checkI2cAddress, type I2cBusLike, type I2cBusModule } from "../../hal/bus/i2c.js";
import { openSpiPort, planSpiMessages, type SpiDeviceLike, type SpiDeviceModule, type SpiTransfer } from "../../hal/bus/spi.js";
import { BusError, toBusError } from "../../hal/bus/errors.js";
import { loadNative } from "../../hal/bus/native.js";
import { BusLock } from "../../hal/bus/lock.js";
import { toHex } from "../../reference/bytes.js";

/** A Node-style system error as fs / Nan::ErrnoException make them. */
function sysErr(code: string, errno: number, syscall = "write"): Error {
  return Object.assign(new Error(`${code}: ${syscall}`), { code, errno: -errno, syscall });
}

type Fault = Error | undefined;

/** A fake `i2c-bus` module: a device that echoes the last write back on reads, faults on demand. */
function fakeI2c(opts: { openFault?: Fault; funcsFault?: Fault; plain?: boolean } = {}) {
  const calls: string[] = [];
  let last = new Uint8Array(0);
  const faults: Fault[] = [];
  let short = false;
  const doRead = (addr: number, length: number, buf: Buffer): number => {
    calls.push(`read ${addr.toString(16)} ${length}`);
    const f = faults.shift();
    if (f) throw f;
    buf.set(last.subarray(0, length));
    return short ? length - 1 : length;
  };
  const doWrite = (addr: number, length: number, buf: Buffer): number => {
    calls.push(`write ${addr.toString(16)} ${toHex(buf.subarray(0, length), " ")}`);
    const f = faults.shift();
    if (f) throw f;
    last = Uint8Array.from(buf.subarray(0, length));
    return length;
  };
  const bus: I2cBusLike = {
    i2cFuncsSync: () => {
      if (opts.funcsFault) throw opts.funcsFault;
      return { i2c: opts.plain ?? true };
    },
    i2cReadSync: doRead,
    i2cWriteSync: doWrite,
    i2cRead: (a, l, b, cb) =>
      setImmediate(() => {
        try {
          cb(null, doRead(a, l, b), b);
        } catch (e) {
          cb(e as Error, 0, b);
        }
      }),
    i2cWrite: (a, l, b, cb) =>
      setImmediate(() => {
        try {
          cb(null, doWrite(a, l, b), b);
        } catch (e) {
          cb(e as Error, 0, b);
        }
      }),
    closeSync: () => void calls.push("close"),
  };
  const module: I2cBusModule = {
    openSync: (n, o) => {
      calls.push(`open ${n} force=${o?.forceAccess}`);
      if (opts.openFault) throw opts.openFault;
      return bus;
    },
  };
  return { module, calls, faults, setShort: (v: boolean) => (short = v) };
}

describe("I2C address checks", () => {
  it("accepts 7-bit addresses and refuses 8-bit ones with the 7-bit equivalent", () => {
    expect(checkI2cAddress(0x71)).toBe(0x71);
    expect(() => checkI2cAddress(0xe2)).toThrow(/0xE2 looks like an 8-bit address.*use 0x71/);
    expect(() => checkI2cAddress(0xe3)).toThrow(/use 0x71/);
    expect(() => checkI2cAddress(0x00)).toThrow(/0x03\.\.0x77/);
    expect(() => checkI2cAddress(0x78)).toThrow(RangeError);
    expect(() => checkI2cAddress(0x100)).toThrow(/0x03\.\.0x77.*256/);
    expect(() => checkI2cAddress("0x71")).toThrow(TypeError);
  });
});

describe("i2c-bus adapter", () => {
  it("binds to the address and moves bytes, sync and async", async () => {
    const f = fakeI2c();
    const port = openI2cPort({ bus: 1, address: 0x71, module: f.module });
    expect(port.name).toBe("/dev/i2c-1@0x71");
    expect(port.bus).toBe("/dev/i2c-1");
    port.writeSync(Uint8Array.of(1, 2, 3));
    expect(toHex(port.readSync(2), " ")).toBe("01 02");
    await port.write(Uint8Array.of(9, 8));
    expect(toHex(await port.read(2), " ")).toBe("09 08");
    port.close();
    port.close();
    expect(f.calls).toEqual(["open 1 force=false", "write 71 01 02 03", "read 71 2", "write 71 09 08", "read 71 2", "close"]);
  });

  it.each([
    ["EREMOTEIO", 121, "NACK"],
    ["ENXIO", 6, "NACK"],
    ["EIO", 5, "EIO"],
    ["ETIMEDOUT", 110, "TIMEOUT"],
    ["EAGAIN", 11, "EIO"],
  ] as const)("%s → BusError %s naming bus and address (sync and async)", async (code, errno, want) => {
    const f = fakeI2c();
    const port = openI2cPort({ bus: 1, address: 0x71, module: f.module });
    f.faults.push(sysErr(code, errno));
    let e: unknown;
    try {
      port.writeSync(Uint8Array.of(1));
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(BusError);
    expect(e).toMatchObject({ code: want, bus: "/dev/i2c-1", address: 0x71, errno: code, op: "write" });
    expect((e as Error).message).toContain("/dev/i2c-1 address 0x71");
    f.faults.push(sysErr(code, errno, "read"));
    await expect(port.read(4)).rejects.toMatchObject({ code: want, bus: "/dev/i2c-1", address: 0x71, op: "read" });
  });

  it("maps an errno number without a code (EREMOTEIO = 121)", () => {
    const e = toBusError(Object.assign(new Error("x"), { errno: 121 }), { bus: "/dev/i2c-1", address: 0x71, op: "read" });
    expect(e.code).toBe("NACK");
    expect(e.errno).toBe("EREMOTEIO");
  });

  it("no such bus: ENOENT at open, with the device path", () => {
    const f = fakeI2c({ funcsFault: sysErr("ENOENT", 2, "open") });
    expect(() => openI2cPort({ bus: 7, address: 0x71, module: f.module })).toThrow(
      expect.objectContaining({ code: "ENOENT", bus: "/dev/i2c-7", message: expect.stringContaining("/dev/i2c-7 does not exist") }),
    );
  });

  it("permission denied: EACCES at open, with the group / udev hint", () => {
    const f = fakeI2c({ funcsFault: sysErr("EACCES", 13, "open") });
    expect(() => openI2cPort({ bus: 1, address: 0x71, module: f.module })).toThrow(/EACCES.*i2c group.*usermod.*udev/);
  });

  it("refuses an SMBus-only adapter", () => {
    const f = fakeI2c({ plain: false });
    expect(() => openI2cPort({ bus: 1, address: 0x71, module: f.module })).toThrow(/plain I2C/);
  });

  it("a short read or write is EIO", async () => {
    const f = fakeI2c();
    const port = openI2cPort({ bus: 1, address: 0x71, module: f.module });
    port.writeSync(Uint8Array.of(1, 2, 3));
    f.setShort(true);
    expect(() => port.readSync(3)).toThrow(
      expect.objectContaining({ code: "EIO", message: expect.stringContaining("short read: 2 of 3") }),
    );
    await expect(port.read(3)).rejects.toMatchObject({ code: "EIO" });
  });

  it("after close every call is CLOSED", async () => {
    const f = fakeI2c();
    const port = openI2cPort({ bus: 1, address: 0x71, module: f.module });
    port.close();
    expect(() => port.writeSync(Uint8Array.of(1))).toThrow(expect.objectContaining({ code: "CLOSED" }));
    await expect(port.read(1)).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("async calls queue; a sync call while one is in flight is EBUSY", async () => {
    const f = fakeI2c();
    const port = openI2cPort({ bus: 1, address: 0x71, module: f.module });
    const a = port.write(Uint8Array.of(5, 6));
    const b = port.read(2);
    expect(() => port.readSync(1)).toThrow(expect.objectContaining({ code: "EBUSY" }));
    await a;
    expect(toHex(await b, " ")).toBe("05 06");
    expect(toHex(port.readSync(1), " ")).toBe("05");
  });

  it("validates the bus number", () => {
    const f = fakeI2c();
    expect(() => openI2cPort({ bus: -1, address: 0x71, module: f.module })).toThrow(RangeError);
    expect(() => openI2cPort({ bus: 1, address: 0xe2, module: f.module })).toThrow(/use 0x71/);
  });
});

/** A fake `spi-device` module recording every message. */
function fakeSpi(opts: { openFault?: Fault; answer?: (t: SpiTransfer[]) => void } = {}) {
  const messages: SpiTransfer[][] = [];
  const faults: Fault[] = [];
  const run = (m: SpiTransfer[]) => {
    messages.push(m);
    const f = faults.shift();
    if (f) throw f;
    opts.answer?.(m);
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
  const opened: unknown[] = [];
  const module: SpiDeviceModule = {
    openSync: (b, d, o) => {
      opened.push([b, d, o]);
      if (opts.openFault) throw opts.openFault;
      return dev;
    },
  };
  return { module, messages, faults, opened };
}

describe("spi-device adapter", () => {
  it("opens with mode, speed and chip select; one message per transfer with the pause and 0xFF filler", async () => {
    // a device that answers every read with 0x00, 0x01, 0x02, …
    const f = fakeSpi({
      answer: (m) =>
        m.forEach((t) => {
          if (t.sendBuffer![0] === 0xff) t.receiveBuffer!.forEach((_, i, b) => (b[i] = i));
        }),
    });
    const port = openSpiPort({ bus: 0, chipSelect: 1, mode: 3, speedHz: 2_000_000, module: f.module });
    expect(port.name).toBe("/dev/spidev0.1");
    expect(f.opened).toEqual([[0, 1, { mode: 3, maxSpeedHz: 2_000_000 }]]);
    const [, rx] = port.transferSync([{ send: Uint8Array.of(3), length: 1, delayUs: 16 }, { length: 4 }]);
    expect(toHex(rx!, " ")).toBe("00 01 02 03");
    expect(f.messages).toHaveLength(1);
    expect(f.messages[0]!.map((t) => [t.byteLength, toHex(t.sendBuffer!, " "), t.microSecondDelay])).toEqual([
      [1, "03", 16],
      [4, "ff ff ff ff", undefined],
    ]);
    const [, rx2] = await port.transfer([{ send: Uint8Array.of(5), length: 1 }, { length: 2 }]);
    expect(toHex(rx2!, " ")).toBe("00 01");
  });

  it("splits to ≤ 4096 bytes and ≤ 64 transfers per message", () => {
    const plan = planSpiMessages([{ length: 10_000 }], 4096, 64);
    expect(plan.map((m) => m.map((p) => p.t.byteLength))).toEqual([[4096], [4096], [1808]]);
    const many = Array.from({ length: 130 }, () => ({ length: 1 }));
    expect(planSpiMessages(many).map((m) => m.length)).toEqual([64, 64, 2]);
    const mixed = planSpiMessages([{ length: 4000 }, { length: 200, delayUs: 7 }]);
    expect(mixed.map((m) => m.map((p) => [p.seg, p.offset, p.t.byteLength]))).toEqual([[[0, 0, 4000]], [[1, 0, 200]]]);
    expect(mixed[1]![0]!.t.microSecondDelay).toBe(7);
  });

  it("reassembles a split read", () => {
    let k = 0;
    const f = fakeSpi({ answer: (m) => m.forEach((t) => t.receiveBuffer!.forEach((_, i, b) => (b[i] = k++ & 0xff))) });
    const port = openSpiPort({ bus: 0, chipSelect: 0, mode: 3, speedHz: 1_000_000, module: f.module, maxMessageBytes: 16 });
    const [rx] = port.transferSync([{ length: 40 }]);
    expect(f.messages).toHaveLength(3);
    expect(Array.from(rx!)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it.each([
    ["ENOENT", 2, "ENOENT", /spidev0\.0 does not exist/],
    ["EACCES", 13, "EACCES", /spi group/],
  ] as const)("open %s → %s", (code, errno, want, msg) => {
    const f = fakeSpi({ openFault: sysErr(code, errno, "open") });
    expect(() => openSpiPort({ bus: 0, chipSelect: 0, mode: 3, speedHz: 1e6, module: f.module })).toThrow(
      expect.objectContaining({ code: want, message: expect.stringMatching(msg) }),
    );
  });

  it.each([
    ["EIO", 5, "EIO"],
    ["ETIMEDOUT", 110, "TIMEOUT"],
    ["EMSGSIZE", 90, "EIO"],
  ] as const)("transfer %s → %s (sync and async)", async (code, errno, want) => {
    const f = fakeSpi();
    const port = openSpiPort({ bus: 0, chipSelect: 0, mode: 3, speedHz: 1e6, module: f.module });
    f.faults.push(sysErr(code, errno, "transfer"));
    expect(() => port.transferSync([{ length: 1 }])).toThrow(expect.objectContaining({ code: want, bus: "/dev/spidev0.0" }));
    f.faults.push(sysErr(code, errno, "transfer"));
    await expect(port.transfer([{ length: 1 }])).rejects.toMatchObject({ code: want });
  });

  it("checks segments, options and the closed state", async () => {
    const f = fakeSpi();
    expect(() => openSpiPort({ bus: 0, chipSelect: 0, mode: 4 as 3, speedHz: 1e6, module: f.module })).toThrow(
      /mode must be an integer 0..3/,
    );
    const port = openSpiPort({ bus: 0, chipSelect: 0, mode: 0, speedHz: 1e6, module: f.module });
    expect(() => port.transferSync([])).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => port.transferSync([{ send: Uint8Array.of(1, 2), length: 1 }])).toThrow(/send has 2 bytes/);
    expect(() => port.transferSync([{ length: 1, delayUs: 70_000 }])).toThrow(/delayUs/);
    port.close();
    await expect(port.transfer([{ length: 1 }])).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe("native modules", () => {
  it("a missing module is BusError NO_MODULE saying how to install it", () => {
    const req = () => {
      throw Object.assign(new Error("Cannot find module 'i2c-bus'"), { code: "MODULE_NOT_FOUND" });
    };
    expect(() => loadNative("i2c-bus", "/dev/i2c-1", req)).toThrow(
      expect.objectContaining({
        code: "NO_MODULE",
        message: expect.stringMatching(/optional dependency "i2c-bus" is not installed.*npm install i2c-bus/),
      }),
    );
    const broken = () => {
      throw Object.assign(new Error("was compiled against a different Node.js version"), { code: "ERR_DLOPEN_FAILED" });
    };
    expect(() => loadNative("spi-device", "/dev/spidev0.0", broken)).toThrow(/npm rebuild spi-device/);
  });

  it("the real i2c-bus module: a bus that does not exist is ENOENT naming /dev/i2c-250", () => {
    expect(() => openI2cPort({ bus: 250, address: 0x71 })).toThrow(expect.objectContaining({ code: "ENOENT", bus: "/dev/i2c-250" }));
  });

  it("the real spi-device module: a device that does not exist is ENOENT naming /dev/spidev250.0", () => {
    expect(() => openSpiPort({ bus: 250, chipSelect: 0, mode: 3, speedHz: 2e6 })).toThrow(
      expect.objectContaining({ code: "ENOENT", bus: "/dev/spidev250.0" }),
    );
  });
});

describe("BusLock", () => {
  it("runs async work FIFO and refuses sync work while busy", async () => {
    const lock = new BusLock("/dev/test");
    const order: number[] = [];
    const a = lock.run(async () => {
      await new Promise((r) => setTimeout(r, 5));
      order.push(1);
    });
    const b = lock.run(async () => {
      order.push(2);
    });
    expect(lock.busy).toBe(true);
    expect(() => lock.runSync("x", () => 0)).toThrow(expect.objectContaining({ code: "EBUSY", bus: "/dev/test" }));
    await Promise.all([a, b]);
    expect(order).toEqual([1, 2]);
    expect(lock.runSync("x", () => 7)).toBe(7);
  });

  it("releases after a failure", async () => {
    const lock = new BusLock("/dev/test");
    await expect(
      lock.run(async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(() =>
      lock.runSync("x", () => {
        throw new Error("sync boom");
      }),
    ).toThrow("sync boom");
    expect(lock.busy).toBe(false);
  });
});
