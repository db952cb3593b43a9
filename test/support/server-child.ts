// Test helper: run the `tid` command as a child process the way it runs in production — the
// compiled bin/tid.js over dist/ (`npm test` builds first) — so a test can signal or SIGKILL it.
// builtTid() refuses a dist/ older than the sources it was compiled from, so a test never runs
// stale code without saying so.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The source folders bin/tid.js runs (compiled into dist/). */
const SOURCES = ["cli", "bindings", "hal", "reference", "server/app", "server/sdk"];

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listTs(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
}

/**
 * The path of bin/tid.js, once dist/ is known to be current: every source file has a compiled
 * file at least as new.
 * @throws Error naming the first source that is newer than its build (run `npm run build`)
 */
export function builtTid(): string {
  for (const file of SOURCES.flatMap((d) => listTs(join(ROOT, d)))) {
    const compiled = join(ROOT, "dist", relative(ROOT, file)).replace(/\.ts$/, ".js");
    if (!existsSync(compiled)) throw new Error(`${relative(ROOT, compiled)} is missing: run \`npm run build\` first`);
    if (statSync(compiled).mtimeMs < statSync(file).mtimeMs)
      throw new Error(`${relative(ROOT, file)} is newer than its build: run \`npm run build\` first`);
  }
  return join(ROOT, "bin", "tid.js");
}

export interface ChildServer {
  child: ChildProcess;
  url: string;
  port: number;
  stderr: () => string;
  /** the server's admin token (from $TID_SERVER_ADMIN_TOKEN, or the token file it names) */
  adminToken: string;
  /** the admin API: URL and token */
  admin: { url: string; adminToken: string };
  /** the environment `tid provision` / `tid keygen --server` need */
  adminEnv: { TID_SERVER_ADMIN_TOKEN: string };
}

/**
 * Start `tid server args…` (bin/tid.js) and wait for its {"listening": url, "adminTokenFile"}
 * line; the admin token is read from that file (or is the $TID_SERVER_ADMIN_TOKEN given).
 */
export function spawnServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, [builtTid(), "server", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        const { listening, port, adminTokenFile } = JSON.parse(out.slice(0, nl)) as {
          listening: string;
          port: number;
          adminTokenFile?: string;
        };
        const adminToken = env.TID_SERVER_ADMIN_TOKEN ?? (adminTokenFile ? readFileSync(adminTokenFile, "utf8").trim() : "");
        resolve({
          child,
          url: listening,
          port,
          stderr: () => err,
          adminToken,
          admin: { url: listening, adminToken },
          adminEnv: { TID_SERVER_ADMIN_TOKEN: adminToken },
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`tid server exited with ${code}: ${err}`)));
  });
}
