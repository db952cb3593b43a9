// One worker process of startAuthCluster (cluster.ts): says it is ready, then waits for its
// configuration from the primary over IPC (the master key never goes through argv or the
// environment), runs startAuthServer on the shared port — with its own registry connection or pool
// and its own group commit — and answers {type: "listening"}. It closes gracefully — in-flight requests finish, pending
// writes commit — on the primary's {type: "close"}, on SIGINT or SIGTERM, and when the primary
// goes away.
import cluster from "node:cluster";
import { startAuthServer, type AuthServer } from "./auth-server.js";
import type { WorkerConfig, WorkerMessage } from "./cluster.js";

if (!cluster.isWorker) throw new Error("cluster-worker.js is started by startAuthCluster, not run directly");

let server: AuthServer | undefined;
let stopping = false;

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server?.close();
  process.exit(0);
}

function send(m: WorkerMessage): void {
  process.send?.(m);
}

async function start(config: WorkerConfig): Promise<AuthServer> {
  const { masterKey, logRequests, ...rest } = config;
  const log = logRequests
    ? (r: Record<string, unknown>) => process.stderr.write(JSON.stringify({ t: new Date().toISOString(), pid: process.pid, ...r }) + "\n")
    : undefined;
  try {
    return await startAuthServer({ ...rest, masterKey, ...(log ? { log } : {}) });
  } finally {
    masterKey.fill(0);
  }
}

process.once("message", (config: WorkerConfig) => {
  start(config).then(
    (s) => {
      server = s;
      send({ type: "listening", url: s.url, port: s.port });
      process.on("message", (m: { type?: string }) => {
        if (m?.type === "close") void stop();
      });
    },
    (e: Error) => {
      send({ type: "failed", message: e.message });
      process.exit(1);
    },
  );
});
send({ type: "ready" });
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
process.on("disconnect", () => void stop());
