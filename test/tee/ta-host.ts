// The native build of the TID trusted application (tee/host-stub/Makefile: the TA's C code, the
// host stand-in of the GP TEE Internal Core API and build/portable.wasm through wasm2c) and a
// driver for its line protocol (tee/host-stub/ta_host.c), for the tests under test/tee/.
// The build is cached under the temp dir, keyed by a hash of every input, so the two test files
// and later runs share one build; a build goes to a fresh directory that is renamed into place.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findCompiler } from "../../hal/sim/fakedev/build.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WASM = join(ROOT, "build", "portable.wasm");
const SOURCE_DIRS = [join(ROOT, "tee", "ta"), join(ROOT, "tee", "host-stub")];

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return !r.error && r.status === 0;
}

/** null when wasm2c 1.0.32, <wasm-rt.h>, a C compiler and make are there; else what to install. */
export function taHostToolsMissing(): string | null {
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

function inputHash(): string {
  const h = createHash("sha256");
  h.update(readFileSync(WASM));
  for (const dir of SOURCE_DIRS) {
    for (const f of readdirSync(dir).sort()) {
      if (!/\.(c|h|mk)$|^Makefile$/.test(f)) continue;
      h.update(f).update(readFileSync(join(dir, f)));
    }
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * Build (or reuse) ta_host; returns its path. TID_TA_HOST=path runs the tests on another build
 * instead (for example one made with -fsanitize=address,undefined, docs/tee.md).
 * @throws Error with make's output on failure
 */
export function buildTaHost(): string {
  if (process.env.TID_TA_HOST) return process.env.TID_TA_HOST;
  if (!existsSync(WASM)) throw new Error("build/portable.wasm is missing: run `npm run asbuild` first");
  const dir = join(tmpdir(), `tid-ta-host-${inputHash()}`);
  const exe = join(dir, "ta_host");
  if (existsSync(exe)) return exe;
  const scratch = mkdtempSync(join(tmpdir(), "tid-ta-host-build-"));
  const cc = findCompiler();
  const r = spawnSync(
    "make",
    ["-s", "-j2", "-C", join(ROOT, "tee", "host-stub"), `BUILD=${scratch}`, `WASM=${WASM}`, ...(cc ? [`CC=${cc}`] : [])],
    { encoding: "utf8" },
  );
  if (r.error || r.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`tee/host-stub: make failed (exit ${r.status}):\n${r.stdout ?? ""}${r.stderr || r.error?.message || ""}`);
  }
  try {
    renameSync(scratch, dir);
  } catch {
    rmSync(scratch, { recursive: true, force: true }); // another worker won the race: use its build
  }
  if (!existsSync(exe)) throw new Error(`tee/host-stub: ${exe} missing after the build`);
  return exe;
}

/** One running ta_host: a request line in, one answer line out. */
export class TaHost {
  private readonly child: ChildProcessWithoutNullStreams;
  private pending = "";
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string | null) => void)[] = [];
  private ended = false;
  stderr = "";
  readonly exited: Promise<number | null>;

  constructor(exe: string, args: string[] = []) {
    this.child = spawn(exe, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8");
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (d: string) => (this.stderr += d));
    this.child.stdout.on("data", (d: string) => {
      this.pending += d;
      let i: number;
      while ((i = this.pending.indexOf("\n")) >= 0) {
        const line = this.pending.slice(0, i);
        this.pending = this.pending.slice(i + 1);
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code) => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w(null);
        resolve(code);
      }),
    );
  }

  /** Send one request line; resolves with the answer line. @throws Error when ta_host has ended */
  async request(line: string): Promise<string> {
    const answer = new Promise<string | null>((resolve) => {
      const queued = this.lines.shift();
      if (queued !== undefined) resolve(queued);
      else if (this.ended) resolve(null);
      else this.waiters.push(resolve);
    });
    this.child.stdin.write(`${line}\n`);
    const got = await answer;
    if (got === null) throw new Error(`ta_host ended (stderr: ${this.stderr.trim()})`);
    return got;
  }

  /** Close stdin and wait for the exit code. */
  async close(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }
}
