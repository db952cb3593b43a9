// Builds the native TID trusted application (tee/host-stub/Makefile: the TA's C code in tee/ta/,
// the host stand-in of the GP TEE Internal Core API and build/portable.wasm through wasm2c) into
// its two products: the test driver ta_host and libfaketee.so, the LD_PRELOAD fake of /dev/tee0
// that runs the TA behind the Linux TEE client ioctls (<linux/tee.h>; docs/tee.md "The fake
// /dev/tee0"). Works from the tree and from dist/, like build.ts's shimSource.
//
//   const missing = teeToolsMissing();              // null, or what to install
//   const { taHost, fakeTee } = buildTeeHost();     // cached under the temp dir
//   spawn(cmd, args, { env: { ...process.env, ...fakeTeeEnv(fakeTee, { storage: dir }) } });
//
// The build is cached under os.tmpdir(), keyed by a hash of every input (the wasm and the C
// sources), so tests, `npm run fakedev` and later runs share one build; a build goes to a fresh
// directory that is renamed into place, so concurrent builders never see a half-built one.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findCompiler } from "./build.js";

/** The repository root: three levels above this module in the tree, four from dist/. */
function repoRoot(): string {
  const candidates = [fileURLToPath(new URL("../../../", import.meta.url)), fileURLToPath(new URL("../../../../", import.meta.url))];
  const found = candidates.find((r) => existsSync(join(r, "tee", "host-stub", "Makefile")));
  if (!found) throw new Error(`tee/host-stub/Makefile not found (looked under ${candidates.join(", ")})`);
  return found;
}

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return !r.error && r.status === 0;
}

/** null when wasm2c 1.0.32, <wasm-rt.h>, a C compiler and make are there; else what to install. */
export function teeToolsMissing(): string | null {
  const missing: string[] = [];
  const v = spawnSync("wasm2c", ["--version"], { encoding: "utf8" });
  if (v.error || v.status !== 0) missing.push("wasm2c");
  else if (v.stdout.trim() !== "1.0.32") missing.push(`wasm2c 1.0.32 (found ${v.stdout.trim()}, whose C API differs)`);
  if (!existsSync("/usr/include/wasm-rt.h")) missing.push("wabt's /usr/include/wasm-rt.h");
  if (!findCompiler()) missing.push("a C compiler");
  if (!runs("make", ["--version"])) missing.push("make");
  if (missing.length === 0) return null;
  return `the native TA build needs ${missing.join(", ")}: \`apt-get install wabt gcc libc6-dev make\``;
}

function inputHash(wasm: string, sourceDirs: string[]): string {
  const h = createHash("sha256");
  h.update(readFileSync(wasm));
  for (const dir of sourceDirs) {
    for (const f of readdirSync(dir).sort()) {
      if (!/\.(c|h|mk)$|^Makefile$/.test(f)) continue;
      h.update(f).update(readFileSync(join(dir, f)));
    }
  }
  return h.digest("hex").slice(0, 16);
}

/** The two products of one native TA build. */
export interface TeeHostBuild {
  /** the line-driven test driver (tee/host-stub/ta_host.c) */
  taHost: string;
  /** the LD_PRELOAD fake of /dev/tee0 (tee/host-stub/fake_tee.c) */
  fakeTee: string;
}

/**
 * Build (or reuse) ta_host and libfaketee.so.
 * @param options.wasm the module to translate (default build/portable.wasm; it must have no SIMD)
 * @throws Error when the wasm is missing, or with make's output when the build fails
 */
export function buildTeeHost(options: { wasm?: string } = {}): TeeHostBuild {
  const root = repoRoot();
  const wasm = options.wasm ?? join(root, "build", "portable.wasm");
  if (!existsSync(wasm)) throw new Error(`${wasm} is missing: run \`npm run asbuild:portable\` first`);
  const hostStub = join(root, "tee", "host-stub");
  const dir = join(tmpdir(), `tid-ta-host-${inputHash(wasm, [join(root, "tee", "ta"), hostStub])}`);
  const built: TeeHostBuild = { taHost: join(dir, "ta_host"), fakeTee: join(dir, "libfaketee.so") };
  if (existsSync(built.taHost) && existsSync(built.fakeTee)) return built;
  const scratch = mkdtempSync(join(tmpdir(), "tid-ta-host-build-"));
  const cc = findCompiler();
  const r = spawnSync("make", ["-s", "-j2", "-C", hostStub, `BUILD=${scratch}`, `WASM=${wasm}`, ...(cc ? [`CC=${cc}`] : [])], {
    encoding: "utf8",
  });
  if (r.error || r.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`tee/host-stub: make failed (exit ${r.status}):\n${r.stdout ?? ""}${r.stderr || r.error?.message || ""}`);
  }
  try {
    renameSync(scratch, dir);
  } catch {
    rmSync(scratch, { recursive: true, force: true }); // another builder won the race: use its build
  }
  for (const f of [built.taHost, built.fakeTee]) if (!existsSync(f)) throw new Error(`tee/host-stub: ${f} missing after the build`);
  return built;
}

/**
 * The environment a process needs to reach the TA through the fake /dev/tee0: the library
 * preloaded before whatever `inherited` already preloads (libfakedev.so, say: the two coexist;
 * a list that already names `lib` is kept as it is), the TA's storage directory
 * (TID_FAKETEE_STORAGE; without one the TA's objects live in RAM for the life of the process),
 * and io_uring off, since libuv would otherwise take file I/O past libc.
 */
export function fakeTeeEnv(lib: string, options: { storage?: string; inherited?: string } = {}): Record<string, string> {
  const inherited = (options.inherited ?? "").split(/[\s:]+/).filter(Boolean);
  return {
    LD_PRELOAD: (inherited.includes(lib) ? inherited : [lib, ...inherited]).join(" "),
    UV_USE_IO_URING: "0",
    ...(options.storage ? { TID_FAKETEE_STORAGE: options.storage } : {}),
  };
}
