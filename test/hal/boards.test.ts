// Board files and their loader: every shipped board validates; unknown boards and bad fields
// are errors that list what is valid; environment overrides; openBoard for real boards (over a
// fake i2c-bus / spi-device module, and the real modules failing cleanly without hardware) and for
// the simulated boards (real exchanges with the simulated SE).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyEnv, describeBoard, listBoards, loadBoard, parseBoard, BoardError, type I2cBoard, type SpiBoard } from "../../hal/boards.js";
import { openBoard } from "../../hal/open-board.js";
import { FmI2cLink } from "../../hal/link/fm-i2c.js";
import { FmSpiLink } from "../../hal/link/fm-spi.js";
import { LinkUnsupported } from "../../hal/link/errors.js";
import type { I2cBusModule } from "../../hal/bus/i2c.js";
import { toHex } from "../../reference/bytes.js";

const NO_ENV = { env: {} };
const ALL = ["rpi3-i2c", "rpi4-i2c", "rpi4-spi", "rpi5-i2c", "sim-i2c", "sim-spi", "tee"];
const BUS_BOARDS = ALL.filter((b) => b !== "tee");

const tmpRoot = mkdtempSync(join(tmpdir(), "tid-board-"));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function tmpBoard(obj: unknown, name = "custom"): string {
  const dir = mkdtempSync(join(tmpRoot, "b-"));
  const file = join(dir, `${name}.json`);
  writeFileSync(file, typeof obj === "string" ? obj : JSON.stringify(obj));
  return file;
}

const I2C_BASE = { name: "custom", bus: "i2c", link: "fm-i2c", busNumber: 1, address: "0x71", speedHz: 400000 };
const SPI_BASE = { name: "custom", bus: "spi", link: "fm-spi", busNumber: 0, chipSelect: 0, mode: 3, speedHz: 2000000 };

describe("shipped boards", () => {
  it("are the six bus boards and the TEE board", () => {
    expect(listBoards()).toEqual(ALL);
  });

  it.each(BUS_BOARDS)("%s loads and validates", (name) => {
    const b = loadBoard(name, NO_ENV);
    expect(b.name).toBe(name);
    expect(b.sim).toBe(name.startsWith("sim-"));
    expect(b.description.length).toBeGreaterThan(20);
    if (b.bus === "i2c") {
      expect(b.address).toBe(0x71);
      expect(b.speedHz).toBe(400_000);
    } else if (b.bus === "spi") {
      expect(b.mode).toBe(3);
      expect(b.speedHz).toBe(2_000_000);
    }
  });

  it("rpi4-i2c is /dev/i2c-1 at 0x71", () => {
    const b = loadBoard("rpi4-i2c", NO_ENV) as I2cBoard;
    expect(b).toMatchObject({ bus: "i2c", link: "fm-i2c", busNumber: 1, address: 0x71, timing: {} });
    expect(b.resetGpio).toBeUndefined();
    expect(describeBoard(b)).toBe("rpi4-i2c: /dev/i2c-1 @ 0x71, 400 kHz, fm-i2c");
  });

  it("rpi4-spi is /dev/spidev0.0, mode 3", () => {
    const b = loadBoard("rpi4-spi", NO_ENV) as SpiBoard;
    expect(b).toMatchObject({ bus: "spi", link: "fm-spi", busNumber: 0, chipSelect: 0, mode: 3 });
    expect(describeBoard(b)).toBe("rpi4-spi: /dev/spidev0.0 mode 3, 2 MHz, fm-spi");
  });
});

describe("loader errors name what is valid", () => {
  it("unknown board", () => {
    expect(() => loadBoard("rpi9-i2c", NO_ENV)).toThrow(`unknown board "rpi9-i2c"; valid boards: ${ALL.join(", ")}`);
    expect(() => loadBoard("../etc/passwd", NO_ENV)).toThrow(BoardError);
    expect(() => loadBoard(undefined, NO_ENV)).toThrow(/no board given.*TID_BOARD.*valid boards: rpi3-i2c/);
  });

  it("TID_BOARD picks the default", () => {
    expect(loadBoard(undefined, { env: { TID_BOARD: "sim-spi" } }).name).toBe("sim-spi");
  });

  it.each([
    [{ ...I2C_BASE, address: "0xE2" }, /"address" 0xE2 looks like an 8-bit address.*use 0x71/],
    [{ ...I2C_BASE, address: 0x100 }, /0x03\.\.0x77/],
    [{ ...I2C_BASE, address: "seventy" }, /7-bit address like "0x71"/],
    [{ ...I2C_BASE, bus: "uart" }, /"bus" must be "i2c", "spi" or "tee", got "uart"/],
    [{ ...I2C_BASE, link: "fm-spi" }, /"link" must be "fm-i2c" for an i2c board/],
    [{ ...I2C_BASE, busNumber: -1 }, /"busNumber" must be an integer 0..255, got -1/],
    [{ ...I2C_BASE, speedHz: "fast" }, /"speedHz" must be an integer/],
    [
      { ...I2C_BASE, chipSelect: 0 },
      /unknown field "chipSelect" for an i2c board; valid fields: name, description, sim, bus, link, busNumber, speedHz, resetGpio, powerGpio, timing, address/,
    ],
    [{ ...I2C_BASE, resetGpio: "17" }, /"resetGpio" must be an integer 0..1023/],
    [{ ...I2C_BASE, sim: "yes" }, /"sim" must be true or false/],
    [{ ...I2C_BASE, timing: { pollIntervalMs: 20 } }, /"timing": pollIntervalMs must be in 1..9, got 20/],
    [{ ...I2C_BASE, timing: { pollMs: 2 } }, /unknown field "pollMs"; valid fields: frameDelayMs, pollIntervalMs/],
    [{ ...SPI_BASE, mode: 4 }, /"mode" must be an integer 0..3, got 4/],
    [{ ...SPI_BASE, address: "0x71" }, /unknown field "address" for an spi board/],
    [{ ...SPI_BASE, chipSelect: undefined }, /"chipSelect" must be an integer/],
    [{ ...I2C_BASE, name: "Other" }, /"name" must be a lower-case name/],
    [{ ...I2C_BASE, name: "other" }, /"name" is "other" but the file is named differently/],
    ["{ not json", /not valid JSON/],
    [[1, 2], /must be a JSON object/],
  ])("bad board %#", (obj, msg) => {
    const file = tmpBoard(obj);
    expect(() => loadBoard(file, NO_ENV)).toThrow(msg);
    expect(() => loadBoard(file, NO_ENV)).toThrow(BoardError);
  });

  it("the name must be the whole file name, not just its end", () => {
    const file = tmpBoard({ ...I2C_BASE }, "my-custom");
    expect(() => loadBoard(file, NO_ENV)).toThrow(/"name" is "custom" but the file is named differently/);
  });

  it("a custom board file with timing overrides and GPIOs", () => {
    const file = tmpBoard({ ...I2C_BASE, address: 0x72, resetGpio: 17, powerGpio: null, timing: { pollIntervalMs: 2, timeoutMs: 8000 } });
    const b = loadBoard(file, NO_ENV) as I2cBoard;
    expect(b).toMatchObject({ address: 0x72, resetGpio: 17, timing: { pollIntervalMs: 2, timeoutMs: 8000 }, source: file });
    expect(b.powerGpio).toBeUndefined();
  });

  it("parseBoard on an object", () => {
    expect(parseBoard({ ...SPI_BASE }).link).toBe("fm-spi");
  });
});

describe("environment overrides", () => {
  it("TID_I2C_BUS and TID_I2C_ADDRESS on an I2C board", () => {
    const b = loadBoard("rpi4-i2c", { env: { TID_I2C_BUS: "3", TID_I2C_ADDRESS: "0x72", TID_SPI_DEVICE: "0.1" } }) as I2cBoard;
    expect(b.busNumber).toBe(3);
    expect(b.address).toBe(0x72);
    expect(b.overrides).toEqual(["TID_I2C_BUS=3", "TID_I2C_ADDRESS=0x72"]);
    expect(describeBoard(b)).toBe("rpi4-i2c: /dev/i2c-3 @ 0x72, 400 kHz, fm-i2c (TID_I2C_BUS=3, TID_I2C_ADDRESS=0x72)");
    expect((loadBoard("rpi4-i2c", { env: { TID_I2C_ADDRESS: "114" } }) as I2cBoard).address).toBe(0x72);
  });

  it("TID_SPI_DEVICE on an SPI board", () => {
    const b = loadBoard("rpi4-spi", { env: { TID_SPI_DEVICE: "/dev/spidev1.2", TID_I2C_BUS: "3" } }) as SpiBoard;
    expect([b.busNumber, b.chipSelect]).toEqual([1, 2]);
    expect(b.overrides).toEqual(["TID_SPI_DEVICE=/dev/spidev1.2"]);
  });

  it("malformed overrides name the variable", () => {
    const i2c = loadBoard("rpi4-i2c", NO_ENV);
    expect(() => applyEnv(i2c, { TID_I2C_ADDRESS: "0xE2" })).toThrow(/TID_I2C_ADDRESS 0xE2 looks like an 8-bit address.*use 0x71/);
    expect(() => applyEnv(i2c, { TID_I2C_BUS: "i2c-1" })).toThrow(/TID_I2C_BUS must be a bus number/);
    expect(() => applyEnv(loadBoard("rpi4-spi", NO_ENV), { TID_SPI_DEVICE: "spidev0" })).toThrow(/TID_SPI_DEVICE must be a spidev device/);
  });
});

describe("the TEE board", () => {
  const TEE_BASE = { name: "custom", bus: "tee", link: "op-tee" };

  it("tee is the TID TA on /dev/tee0 of an OP-TEE Raspberry Pi 3, an insecure development platform", () => {
    const b = loadBoard("tee", NO_ENV);
    expect(b).toMatchObject({
      bus: "tee",
      link: "op-tee",
      sim: false,
      device: "/dev/tee0",
      ta: "ee459cd1-d81d-464e-892d-2767e98150dc",
      login: "public",
      insecurePlatform: true,
    });
    expect(b.description).toMatch(/Raspberry Pi 3.*not secure/s);
    expect(describeBoard(b)).toBe(
      "tee: /dev/tee0, TA ee459cd1-d81d-464e-892d-2767e98150dc, login public, op-tee, insecure development platform",
    );
  });

  it("defaults: /dev/tee0, the TID TA, login public, insecure unless it says otherwise", () => {
    expect(parseBoard(TEE_BASE)).toMatchObject({
      device: "/dev/tee0",
      ta: "ee459cd1-d81d-464e-892d-2767e98150dc",
      login: "public",
      insecurePlatform: true,
    });
    expect(parseBoard({ ...TEE_BASE, login: "group", group: 990, insecurePlatform: false })).toMatchObject({
      login: "group",
      group: 990,
      insecurePlatform: false,
    });
  });

  it.each([
    [{ device: "/dev/teepriv0" }, /"device" must be a TEE client device/],
    [{ device: "/dev/i2c-1" }, /"device" must be a TEE client device/],
    [{ ta: "EE459CD1-D81D-464E-892D-2767E98150DC" }, /"ta" must be a lower-case UUID/],
    [{ ta: "ee459cd1" }, /"ta" must be a lower-case UUID/],
    [{ login: "application" }, /"login" must be one of public, user, group/],
    [{ login: "group" }, /"group" must be a gid/],
    [{ login: "public", group: 5 }, /"group" must be absent unless login is "group"/],
    [{ login: "group", group: -1 }, /"group" must be an integer/],
    [{ insecurePlatform: "yes" }, /"insecurePlatform" must be true or false/],
    [{ sim: true }, /"sim" must be false for a tee board/],
    [{ link: "fm-i2c" }, /"link" must be "op-tee"/],
    [
      { busNumber: 1 },
      /unknown field "busNumber" for a tee board; valid fields: name, description, sim, bus, link, device, ta, login, group, insecurePlatform/,
    ],
    [{ timing: {} }, /unknown field "timing"/],
  ])("refuses %j", (extra, message) => {
    expect(() => parseBoard({ ...TEE_BASE, ...extra })).toThrow(message);
  });

  it("TID_TEE_DEVICE moves it to another TEE device, and is checked", () => {
    const b = loadBoard("tee", { env: { TID_TEE_DEVICE: "/dev/tee1" } });
    expect(b).toMatchObject({ device: "/dev/tee1", overrides: ["TID_TEE_DEVICE=/dev/tee1"] });
    expect(describeBoard(b)).toMatch(/\(TID_TEE_DEVICE=\/dev\/tee1\)$/);
    expect(() => loadBoard("tee", { env: { TID_TEE_DEVICE: "tee1" } })).toThrow(/TID_TEE_DEVICE must be a TEE client device/);
    // the bus variables do not touch it
    expect(loadBoard("tee", { env: { TID_I2C_BUS: "3", TID_SPI_DEVICE: "0.1" } }).overrides).toEqual([]);
  });

  it("openBoard: a TEE board fails cleanly where there is no /dev/tee0", () => {
    expect(() => openBoard(loadBoard("tee", NO_ENV))).toThrow(expect.objectContaining({ name: "TeeError" }));
  });
});

describe("openBoard", () => {
  it("a real I2C board over an injected i2c-bus module", () => {
    const calls: string[] = [];
    const module: I2cBusModule = {
      openSync: (n) => {
        calls.push(`open ${n}`);
        return {
          i2cFuncsSync: () => ({ i2c: true }),
          i2cReadSync: () => 0,
          i2cWriteSync: (_a, l) => l,
          i2cRead: () => {},
          i2cWrite: () => {},
          closeSync: () => void calls.push("close"),
        };
      },
    };
    const o = openBoard(loadBoard("rpi4-i2c", { env: { TID_I2C_BUS: "4" } }), { i2cModule: module, timing: { timeoutMs: 100 } });
    expect(o.link).toBeInstanceOf(FmI2cLink);
    expect(o.link.name).toBe("/dev/i2c-4@0x71");
    expect(o.link.timing.timeoutMs).toBe(100);
    o.close();
    expect(calls).toEqual(["open 4", "close"]);
  });

  it("real boards fail cleanly here: no /dev/i2c-1, no /dev/spidev0.0", () => {
    expect(() => openBoard(loadBoard("rpi4-i2c", NO_ENV))).toThrow(expect.objectContaining({ code: "ENOENT", bus: "/dev/i2c-1" }));
    expect(() => openBoard(loadBoard("rpi4-spi", NO_ENV))).toThrow(expect.objectContaining({ code: "ENOENT", bus: "/dev/spidev0.0" }));
  });

  it("sim-i2c: ATR and GET CHALLENGE through the real link, on a virtual clock", async () => {
    const o = openBoard(loadBoard("sim-i2c", NO_ENV), { simulator: { seed: 1 } });
    expect(o.link).toBeInstanceOf(FmI2cLink);
    expect(o.se).toBeDefined();
    const atr = o.link.atrSync();
    expect(atr.length).toBeGreaterThan(2);
    const r = o.channel.sendSync({ cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 8 });
    expect(r.length).toBe(8);
    const r2 = await o.channel.send({ cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 32 });
    expect(r2.length).toBe(32);
    expect(toHex(r2, " ")).not.toBe(toHex(new Uint8Array(32), " "));
    expect(o.clock.now()).toBeGreaterThan(0);
    expect(o.link.stats.exchanges).toBe(3);
    expect(o.link.stats.wireBytesOut + o.link.stats.wireBytesIn).toBeGreaterThan(o.link.stats.apduBytesOut + o.link.stats.apduBytesIn);
    o.close();
  });

  it("sim-spi: GET CHALLENGE through the real link; no ATR on SPI", async () => {
    const o = openBoard("sim-spi", { simulator: { seed: 2 } });
    expect(o.link).toBeInstanceOf(FmSpiLink);
    expect((await o.channel.send({ cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 16 })).length).toBe(16);
    expect(() => o.link.atrSync()).toThrow(LinkUnsupported);
    o.close();
  });
});
