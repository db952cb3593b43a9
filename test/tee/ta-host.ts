// The native build of the TID trusted application's test driver ta_host (built and cached by
// hal/sim/fakedev/tee-build.ts: the TA's C code, the host stand-in of the GP TEE Internal Core
// API and build/portable.wasm through wasm2c) and a driver for its line protocol
// (tee/host-stub/ta_host.c), for the tests under test/tee/.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { buildTeeHost } from "../../hal/sim/fakedev/tee-build.js";

/** null when the tools of the native TA build are there; else what to install. */
export { teeToolsMissing as taHostToolsMissing } from "../../hal/sim/fakedev/tee-build.js";

/**
 * Build (or reuse) ta_host (hal/sim/fakedev/tee-build.ts); returns its path. TID_TA_HOST=path
 * runs the tests on another build instead (for example one made with
 * -fsanitize=address,undefined, docs/tee.md).
 * @throws Error with make's output on failure
 */
export function buildTaHost(): string {
  if (process.env.TID_TA_HOST) return process.env.TID_TA_HOST;
  return buildTeeHost().taHost;
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

  /** @param env added to this process's environment (the line server under the fake /dev/tee0 needs its preload) */
  constructor(exe: string, args: string[] = [], env: Record<string, string> = {}) {
    this.child = spawn(exe, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
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
