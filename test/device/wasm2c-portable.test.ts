// build/portable.wasm on a host without wasm SIMD (docs/abi.md "Which build for which host"):
// wasm2c of wabt 1.0.32 (Debian 12's `wabt` package) refuses build/release.wasm, translates
// build/portable.wasm to C, gcc compiles it with a small host (test/device/c/wasm2c_portable.c),
// and the result gives the SM4 and SM3 known answers of the standards. Runs when wasm2c 1.0.32
// and gcc are installed (later wasm2c versions generate a different C API), else skips.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const path = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const version = spawnSync("wasm2c", ["--version"], { encoding: "utf8" });
const RUNTIME = ["/usr/src/wasm2c/wasm-rt-impl.c", "/usr/share/wabt/wasm2c/wasm-rt-impl.c"].find((f) => existsSync(f));
const available = version.status === 0 && version.stdout.trim() === "1.0.32" && spawnSync("gcc", ["--version"]).status === 0 && !!RUNTIME;
if (!available) console.warn("wasm2c-portable: wasm2c 1.0.32, its runtime source or gcc not found, skipping");

describe.skipIf(!available)("build/portable.wasm through wasm2c 1.0.32 and gcc", () => {
  const scratch = mkdtempSync(join(tmpdir(), "tid-wasm2c-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("wasm2c 1.0.32 refuses the SIMD build (release.wasm)", () => {
    const r = spawnSync("wasm2c", [path("build/release.wasm"), "-o", join(scratch, "release.c")], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
  });

  it("translates, compiles and gives the GB/T 32907 and GB/T 32905 known answers", () => {
    execFileSync("wasm2c", [path("build/portable.wasm"), "-o", join(scratch, "portable.c")], { stdio: "pipe" });
    const exe = join(scratch, "host");
    execFileSync(
      "gcc",
      ["-O1", "-I", scratch, join(scratch, "portable.c"), RUNTIME!, path("test/device/c/wasm2c_portable.c"), "-o", exe, "-lm"],
      { stdio: "pipe" },
    );
    const run = spawnSync(exe, { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split("\n")).toEqual([
      "sm4-ecb 681edf34d206965e86b3e94f536e4246",
      "sm3 66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
      "status 0",
    ]);
  }, 120_000);
});
