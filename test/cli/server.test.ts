// `tid server`: the compiled CLI starts the reference auth server, which answers on loopback and
// stops cleanly on SIGTERM; missing required options are a usage error (exit 2).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";

const bin = fileURLToPath(new URL("../../bin/tid.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tid-cli-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("tid server", () => {
  it("listens on loopback, answers /v1/health, exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "server", "--db", join(dir, "r.db"), "--master-key-file", join(dir, "mk"), "--create-master-key"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        const nl = buf.indexOf("\n");
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      child.on("exit", (code) => reject(new Error(`server exited early with ${code}`)));
    });
    const { listening } = JSON.parse(line) as { listening: string };
    expect(listening).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${listening}/v1/health`);
    expect(res.status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("without --db is a usage error", async () => {
    const err: string[] = [];
    const code = await main(["server"], { out: () => {}, err: (t) => err.push(t), env: {} });
    expect(code).toBe(2);
    expect(err.join("\n")).toMatch(/--db PATH is required/);
  });
});
