// Test helper: run the auth server in a child process, as it runs in production, so a test can
// SIGKILL it. The server's TypeScript is transpiled (typescript.transpileModule, no type check)
// into node_modules/.cache/, where imports such as better-sqlite3 still resolve.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listTs(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Transpile server/, reference/ and cli/ once per process; returns the path of the compiled
 * cli/commands/server-main.js. */
export function compileServer(): string {
  const out = join(root, "node_modules", ".cache", `tid-server-test-${process.pid}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "package.json"), '{"type":"module"}\n');
  for (const file of ["server", "reference", "cli"].flatMap((d) => listTs(join(root, d)))) {
    const js = ts.transpileModule(readFileSync(file, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: file,
    }).outputText;
    const dest = join(out, relative(root, file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, js);
  }
  return join(out, "cli", "commands", "server-main.js");
}

export interface ChildServer {
  child: ChildProcess;
  url: string;
  port: number;
  stderr: () => string;
}

/** Start `node main.js args…` and wait for its {"listening": url} line. */
export function spawnServer(mainJs: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, [mainJs, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        const { listening, port } = JSON.parse(out.slice(0, nl)) as { listening: string; port: number };
        resolve({ child, url: listening, port, stderr: () => err });
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
}
