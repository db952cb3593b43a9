// The server benchmark's servers, each in its own process: the real `tid server` (bin/tid.js
// over dist/, the CLI an operator runs) and a bare node:http server that reads the request and
// answers a fixed JSON body — the ceiling any Node HTTP service on this machine meets with this
// client. Each prints {"listening": url, "port": n} on stdout once it listens.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface ServerProcess {
  port: number;
  /** `tid server`: the admin token it made (read from the file its listening line names) */
  adminToken?: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The repo's bin/tid.js, from dist/bench/server/ (npm run bench runs the compiled suites). */
const TID = fileURLToPath(new URL("../../../bin/tid.js", import.meta.url));

const BARE_HTTP = `
const http = require("node:http");
const answer = Buffer.from(JSON.stringify({ serverData: "00".repeat(100), sessionToken: "A".repeat(344), tokenIssued: true, tokenEncryption: "RSA-OAEP-SHA256", tid: "0000000000000000", serverTime: 0 }));
const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": answer.length });
    res.end(answer);
  });
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ listening: "http://127.0.0.1:" + server.address().port, port: server.address().port })));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

/**
 * A server child that prints one JSON line with its `port` (and, for `tid server`, its
 * `adminTokenFile`) once it listens: resolves then, rejects with its stderr if it exits first.
 */
export function started(child: ChildProcess, what: string): Promise<ServerProcess> {
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = "";
    const onExit = (code: number | null) => reject(new Error(`${what} exited with ${code}: ${err}`));
    child.once("exit", onExit);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      child.off("exit", onExit);
      const { port, adminTokenFile } = JSON.parse(out.slice(0, nl)) as { port: number; adminTokenFile?: string };
      resolve({
        port,
        ...(adminTokenFile ? { adminToken: readFileSync(adminTokenFile, "utf8").trim() } : {}),
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

/** `tid server --db db --master-key-file key --create-master-key --workers n` on an ephemeral port. */
export function startTidServer(db: string, keyFile: string, workers: number): Promise<ServerProcess> {
  const args = [TID, "server", "--db", db, "--master-key-file", keyFile, "--create-master-key", "--workers", String(workers)];
  return started(spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] }), "tid server");
}

export function startBareHttp(): Promise<ServerProcess> {
  return started(spawn(process.execPath, ["-e", BARE_HTTP], { stdio: ["ignore", "pipe", "pipe"] }), "bare node:http server");
}
