// `npm run bench -- --json` prints one JSON document of the shape docs/benchmarks.md describes
// (machine, wasm sizes, rows with op/impl/size/mbps/us, targets). Only the fast simulated-bus
// suite runs here: the benchmarks themselves belong to `npm run bench`, not to timed tests.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { measureInTurns } from "../../bench/harness.js";

const run = fileURLToPath(new URL("../../dist/bench/run.js", import.meta.url));

describe("bench", () => {
  it("--json prints one document with machine, wasm size and complete rows", () => {
    const out = execFileSync(process.execPath, [run, "--quick", "--only", "hal", "--json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const doc = JSON.parse(out) as { machine: Record<string, unknown>; wasm: { releaseBytes: number }; rows: Record<string, unknown>[] };
    expect(doc.machine.node).toBe(process.version);
    expect(doc.wasm.releaseBytes).toBeGreaterThan(10_000);
    expect(doc.rows.map((r) => `${r.op}/${r.impl}`)).toEqual([
      "se-auth-i2c-400k/sim",
      "se-auth-spi-2m/sim",
      "se-auth-bus-i2c-400k/unshielded",
      "se-open-session-i2c-400k/shielded",
      "se-auth-bus-i2c-400k/shielded",
      "se-auth-bus-spi-2m/unshielded",
      "se-open-session-spi-2m/shielded",
      "se-auth-bus-spi-2m/shielded",
    ]);
    const bus = (op: string, impl: string) => doc.rows.find((r) => r.op === op && r.impl === impl)!.us as number;
    // the shielded link's target: ≤ 1.3× the unshielded bus time at 400 kHz I2C, session open apart
    expect(bus("se-auth-bus-i2c-400k", "shielded") / bus("se-auth-bus-i2c-400k", "unshielded")).toBeLessThanOrEqual(1.3);
    for (const r of doc.rows) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(["op", "impl", "size", "mbps", "us"]));
      expect(typeof r.us).toBe("number");
    }
  });

  it("measureInTurns returns one row per case, in order, with wall and CPU figures", () => {
    let a = 0,
      b = 0;
    const rows = measureInTurns(
      [
        { op: "x", impl: "tid-wasm", size: 64, run: () => a++ },
        {
          op: "x",
          impl: "node:crypto",
          size: 64,
          run: () => {
            for (let i = 0; i < 50; i++) b++;
          },
        },
      ],
      { sampleMs: 2, samples: 3, warmupMs: 1 },
    );
    expect(rows.map((r) => r.impl)).toEqual(["tid-wasm", "node:crypto"]);
    for (const r of rows) {
      expect(r.us).toBeGreaterThan(0);
      expect(Math.abs(r.mbps * r.us - 64) / 64).toBeLessThan(0.05); // us is rounded to 3 decimals
      expect(Number(r.extra?.cpuUs)).toBeGreaterThan(0);
    }
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
  });
});
