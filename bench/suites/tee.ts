// The TEE level (docs/tee.md; docs/benchmarks.md "TEE handshake"): the device half of one TID
// authentication through the fake /dev/tee0 — the real TEE client addon, the Linux TEE ioctls,
// and the natively built TA (its APDU dispatcher and the wasm core through wasm2c) — next to the
// soft backend on release.wasm, µs per handshake, op `tee-handshake`. The fake TEE is an
// LD_PRELOAD library, so the timing runs in a child process started with it
// (bench/tee/child.ts); both backends are timed there, in turns. What this measures is the
// TA's code and the TEE client path on this machine's CPU, not a TrustZone world switch: on an
// OP-TEE device each TRANSMIT also pays an SMC round trip and the secure world's slower core.
// Skipped, saying what to install, without wasm2c, a C compiler or make, or without the addon.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildTeeHost, fakeTeeEnv, teeToolsMissing } from "../../hal/sim/fakedev/tee-build.js";
import { round, type BenchOptions, type Row, type Suite } from "../harness.js";

interface ChildRow {
  op: string;
  impl: "tee" | "tid-wasm";
  size: number;
  us: number;
  cpuUs: number;
  handshakes: number;
}

const CHILD = fileURLToPath(new URL("../tee/child.js", import.meta.url));

export const suite: Suite = {
  name: "TEE handshake: the device half through the fake /dev/tee0 (real addon, natively built TA) vs the soft backend",
  run(opt: BenchOptions, log: (line: string) => void): Row[] {
    const missing = teeToolsMissing();
    if (missing) {
      log(`  skipped: ${missing}`);
      return [];
    }
    const t0 = Date.now();
    const { fakeTee } = buildTeeHost();
    log(`  built the fake /dev/tee0 with the TA in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const storage = mkdtempSync(join(tmpdir(), "tid-tee-bench-"));
    try {
      const r = spawnSync(
        process.execPath,
        [CHILD, "--ms", String(opt.sampleMs), "--samples", String(Math.max(opt.samples, 7)), "--warmup-ms", String(opt.warmupMs)],
        { encoding: "utf8", env: { ...process.env, ...fakeTeeEnv(fakeTee, { storage, inherited: process.env.LD_PRELOAD }) } },
      );
      if (r.error || r.status !== 0) {
        const err = r.stderr || r.error?.message || "";
        if (/NO_MODULE/.test(err)) {
          log(`  skipped: the TEE client addon is not built (${err.trim().split("\n")[0]})`);
          return [];
        }
        throw new Error(`bench/tee/child.js failed (exit ${r.status}): ${err}`);
      }
      const out = JSON.parse(r.stdout) as { rows: ChildRow[]; tee: { transmitsPerHandshake: number; apdusPerHandshake: number } };
      const rows: Row[] = out.rows.map((c) => ({
        op: c.op,
        impl: c.impl,
        size: c.size,
        us: round(c.us),
        mbps: round(c.size / c.us),
        extra: {
          cpuUs: round(c.cpuUs),
          handshakes: c.handshakes,
          ...(c.impl === "tee" ? { transmitsPerHandshake: round(out.tee.transmitsPerHandshake) } : {}),
        },
      }));
      const tee = out.rows.find((x) => x.impl === "tee");
      const soft = out.rows.find((x) => x.impl === "tid-wasm");
      if (tee && soft) {
        log(
          `  tee ${round(tee.us)} µs vs soft ${round(soft.us)} µs per handshake: ${round(tee.us / soft.us)}×; ` +
            `${round(out.tee.transmitsPerHandshake)} TRANSMIT invocations per handshake`,
        );
      }
      return rows;
    } finally {
      rmSync(storage, { recursive: true, force: true });
    }
  },
};
