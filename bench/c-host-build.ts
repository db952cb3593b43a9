// Builds examples/c-host (the C device application that embeds build/portable.wasm through
// wasm2c) with its Makefile into a directory the caller owns, for test/device/c-host.test.ts and
// the c-host benchmark suite; no binary is ever committed.
//
//   const missing = cHostToolsMissing();       // null → the tools are there; else what to install
//   const exe = buildCHost(dir);               // <dir>/tid-c-host
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findCompiler } from "../hal/sim/fakedev/build.js";

/** How to get what the C host needs, on Debian or Ubuntu. */
export const C_HOST_INSTALL_HINT = "apt-get install wabt gcc libc6-dev make";

/** Where wabt keeps the wasm2c runtime (wasm-rt-impl.c); the Makefile's WABT_SHARE. */
export const WABT_SHARE = process.env.WABT_SHARE ?? "/usr/share/wabt/wasm2c";

/** The repository root: two folders up from bench/ in the tree, three from dist/bench/. */
export function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, ".."), join(here, "..", "..")];
  const found = candidates.find((p) => existsSync(join(p, "examples", "c-host", "Makefile")));
  if (!found) throw new Error(`examples/c-host/Makefile not found (looked under ${candidates.join(", ")})`);
  return found;
}

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return !r.error && r.status === 0;
}

/** null when wasm2c, its runtime, a C compiler and make are all there; else a sentence naming what is missing and how to get it. */
export function cHostToolsMissing(): string | null {
  const missing: string[] = [];
  if (!runs(process.env.WASM2C ?? "wasm2c", ["--version"])) missing.push("wasm2c");
  else if (!existsSync(join(WABT_SHARE, "wasm-rt-impl.c"))) missing.push(`the wasm2c runtime (${WABT_SHARE}/wasm-rt-impl.c)`);
  if (!findCompiler()) missing.push("a C compiler");
  if (!runs("make", ["--version"])) missing.push("make");
  if (missing.length === 0) return null;
  return `the C host needs ${missing.join(", ")}: \`${C_HOST_INSTALL_HINT}\``;
}

/**
 * `make -C examples/c-host BUILD=dir`: translate build/portable.wasm with wasm2c and compile it
 * with the host's C files (-Wall -Wextra -Werror). Returns the path of the executable.
 * @throws Error with the tools' output when the build fails
 */
export function buildCHost(dir: string): string {
  const root = repoRoot();
  const wasm = join(root, "build", "portable.wasm");
  if (!existsSync(wasm)) throw new Error("build/portable.wasm is missing: run `npm run asbuild` first");
  const cc = findCompiler();
  const r = spawnSync(
    "make",
    [
      "-s",
      "-j4",
      "-C",
      join(root, "examples", "c-host"),
      `BUILD=${dir}`,
      `WASM=${wasm}`,
      `WABT_SHARE=${WABT_SHARE}`,
      ...(cc ? [`CC=${cc}`] : []),
    ],
    { encoding: "utf8" },
  );
  if (r.error || r.status !== 0) {
    throw new Error(`examples/c-host: make failed (exit ${r.status}):\n${r.stdout ?? ""}${r.stderr || r.error?.message || ""}`);
  }
  return join(dir, "tid-c-host");
}
