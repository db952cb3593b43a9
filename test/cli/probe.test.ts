// The `tid` dispatcher (cli/main.ts) and `tid probe` on the simulated boards.
import { describe, expect, test } from "vitest";
import { main } from "../../cli/main.js";
import type { CliIo } from "../../cli/command.js";
import { historicalBytes } from "../../cli/commands/probe.js";
import { SIM_ATR } from "../../hal/se/profile.js";

function io(env: Record<string, string | undefined> = {}): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: "",
    stderr: "",
    env,
    out: (t: string) => void (o.stdout += t + "\n"),
    err: (t: string) => void (o.stderr += t + "\n"),
  };
  return o;
}

describe("dispatcher", () => {
  test("help lists the commands, exit 0", async () => {
    const c = io();
    expect(await main(["help"], c)).toBe(0);
    expect(c.stdout).toMatch(/usage: tid <command>/);
    expect(c.stdout).toMatch(/probe\s+find and identify/);
  });
  test("help COMMAND and COMMAND --help print its usage", async () => {
    const a = io();
    expect(await main(["help", "probe"], a)).toBe(0);
    expect(a.stdout).toMatch(/usage: tid probe --board NAME/);
    const b = io();
    expect(await main(["probe", "--help"], b)).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });
  test("no command, unknown command, unknown help topic → usage on stderr, exit 2", async () => {
    for (const argv of [[], ["frobnicate"], ["help", "frobnicate"]]) {
      const c = io();
      expect(await main(argv, c)).toBe(2);
      expect(c.stderr).toMatch(/usage: tid <command>/);
      expect(c.stdout).toBe("");
    }
  });
});

describe("tid probe", () => {
  test("sim-i2c: ATR, applet, identity, simulated bus time", async () => {
    const c = io();
    expect(await main(["probe", "--board", "sim-i2c"], c)).toBe(0);
    expect(c.stdout).toMatch(/ATR\s+3B 88 80 01 46 4D 53 45 2D 54 49 44 60 {2}\(historical bytes "FMSE-TID"\)/);
    expect(c.stdout).toMatch(/TID applet v1\.0, AID F0 54 49 44 41 50 50 76 31/);
    expect(c.stdout).toMatch(/identity {2}TID 671007e10029b0a2, suite sm, personalised/);
    expect(c.stdout).toMatch(/simulated bus time \d+(\.\d+)? ms/);
    // the simulated board is paired with the shielded link's worked-example key, and pins it
    expect(c.stdout).toMatch(/^link {6}shielded: secure session opened with the pinned link key sm3:[0-9a-f]{16}$/m);
  });
  test("sim-spi via TID_BOARD, --json", async () => {
    const c = io({ TID_BOARD: "sim-spi" });
    expect(await main(["probe", "--json"], c)).toBe(0);
    const r = JSON.parse(c.stdout);
    expect(r).toMatchObject({
      board: "sim-spi",
      simulated: true,
      link: "fm-spi",
      atr: null,
      tid: "671007e10029b0a2",
      suite: "sm",
      lifecycle: "personalised",
    });
    expect(r.slots).toEqual({ total: 8, inUse: 0 });
    expect(r.shielded).toBe(true);
    expect(r.linkKey).toMatch(/^sm3:[0-9a-f]{16}$/);
    expect(r.pinned).toBe(r.linkKey);
    expect(r.simulatedBusMs).toBeGreaterThan(0);
    expect(r.wireBytes).toBeGreaterThan(r.apduBytes);
  });
  test("--blank: a blank SE says so", async () => {
    const c = io();
    expect(await main(["probe", "--board", "sim-i2c", "--blank"], c)).toBe(0);
    expect(c.stdout).toMatch(/identity {2}none \(blank SE: provision it first\), blank/);
    const j = io();
    expect(await main(["probe", "--board", "sim-i2c", "--blank", "--json"], j)).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ tid: null, suite: null, lifecycle: "blank" });
    expect(c.stdout).toMatch(/^link {6}UNSHIELDED: the SE has no link key/m);
  });
  test("--trace logs the bus on stderr", async () => {
    const c = io();
    expect(await main(["probe", "--board", "sim-i2c", "--trace"], c)).toBe(0);
    expect(c.stderr).toMatch(/\[tid:hal\] Tx> 03 00 00 30 33/);
  });
  test("usage errors: no board, unknown board (lists the valid ones), unknown option", async () => {
    const a = io();
    expect(await main(["probe"], a)).toBe(2);
    expect(a.stderr).toMatch(/--board NAME is required.*sim-i2c/s);
    const b = io();
    expect(await main(["probe", "--board", "nope"], b)).toBe(2);
    expect(b.stderr).toMatch(/sim-spi/);
    const c = io();
    expect(await main(["probe", "--board", "sim-i2c", "--frob"], c)).toBe(2);
    expect(c.stderr).toMatch(/frob/);
  });
  test("a board whose bus does not exist fails with exit 1 and a message naming it", async () => {
    const saved = process.env.TID_I2C_BUS;
    process.env.TID_I2C_BUS = "97"; // the board loader's wiring override: /dev/i2c-97
    try {
      const c = io();
      const code = await main(["probe", "--board", "rpi4-i2c"], c);
      expect(code).toBe(1);
      expect(c.stderr).toMatch(/\/dev\/i2c-97|i2c-bus/);
    } finally {
      if (saved === undefined) delete process.env.TID_I2C_BUS;
      else process.env.TID_I2C_BUS = saved;
    }
  });
});

test("historicalBytes decodes the simulated ATR and stops at bad input", () => {
  expect(Buffer.from(historicalBytes(SIM_ATR)!).toString()).toBe("FMSE-TID");
  expect(historicalBytes(Uint8Array.of(0x3b, 0x02, 0x41, 0x42))).toEqual(Uint8Array.of(0x41, 0x42));
  expect(historicalBytes(Uint8Array.of(0x3b, 0x88))).toBeNull();
});
