// Builds the fakedev LD_PRELOAD shim (hal/sim/fakedev/shim.c: the Linux i2c-dev / spidev ioctl
// ABI in user space) with the system C compiler, at run time, into a directory the caller owns
// (a temporary one in the tests and in `npm run fakedev`); no binary is ever committed.
//
//   const cc = findCompiler();                 // null → NO_COMPILER_HINT
//   const so = buildShim(dir, { cc });         // <dir>/libfakedev.so
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** What to tell someone without a C compiler. */
export const NO_COMPILER_HINT =
  "no C compiler found (tried $CC, cc, gcc, clang): the fakedev shim is C; on Debian or Ubuntu install one with " +
  "`apt-get install gcc libc6-dev`";

/** The shim's source: beside this module in the tree, or at the same place seen from dist/. */
export function shimSource(): string {
  const candidates = [
    fileURLToPath(new URL("./shim.c", import.meta.url)),
    fileURLToPath(new URL("../../../../hal/sim/fakedev/shim.c", import.meta.url)),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`fakedev: shim.c not found (looked at ${candidates.join(", ")})`);
  return found;
}

/** The first working C compiler: $CC, cc, gcc, clang; null when there is none. */
export function findCompiler(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const cc of [env.CC, "cc", "gcc", "clang"]) {
    if (!cc) continue;
    const r = spawnSync(cc, ["--version"], { stdio: "ignore" });
    if (!r.error && r.status === 0) return cc;
  }
  return null;
}

/**
 * The environment a process needs to run under the shim: the shim preloaded (before any
 * preload `inherited` already names), the server's socket, and io_uring off, since libuv would
 * otherwise take file I/O past libc and the shim.
 */
export function shimEnv(shim: string, socketPath: string, inherited?: string): Record<string, string> {
  return {
    LD_PRELOAD: [shim, inherited].filter(Boolean).join(" "),
    TID_FAKEDEV_SOCKET: socketPath,
    UV_USE_IO_URING: "0",
  };
}

/** The compiler command line (also shown in docs/hal.md). */
export function shimCompileArgs(out: string, source = shimSource()): string[] {
  return ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-o", out, source, "-ldl"];
}

/**
 * Compile the shim into `dir`/libfakedev.so and return its path.
 * @throws Error with NO_COMPILER_HINT when there is no compiler, or with the compiler's output
 */
export function buildShim(dir: string, options: { cc?: string } = {}): string {
  const cc = options.cc ?? findCompiler();
  if (!cc) throw new Error(NO_COMPILER_HINT);
  const out = join(dir, "libfakedev.so");
  const r = spawnSync(cc, shimCompileArgs(out), { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(`fakedev: ${cc} failed to build the shim (exit ${r.status}):\n${r.stderr || r.error?.message || ""}`);
  }
  return out;
}
