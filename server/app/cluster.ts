// Several auth server processes on one port (docs/server.md "Using every core"): node:cluster
// forks `workers` processes (cluster-worker.ts); the primary accepts connections and hands them
// out round-robin, each worker runs startAuthServer on the shared registry. Processes rather than
// worker threads because the per-request work (RSA, the wasm's SM2, JSON, HTTP parsing) is
// spread across whole event loops and the registry's own state (SQLite connection, PostgreSQL
// pool, group-commit queue) stays per process. The primary opens the registry once first —
// creating or migrating it and checking the master key — so a bad start fails before any fork.
// Each worker then opens its own connection (SQLite) or pool (PostgreSQL) and group-commits its own
// writes; on a shared SQLite file SQLite's write lock (busy_timeout 5 s) takes the workers' commits
// in turn (docs/server.md "Using every core" says why not a single writer).
// A worker that dies while the cluster runs is replaced; close() stops them gracefully.
import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import type { AuthServerOptions } from "./auth-server.js";
import { generateAdminToken } from "./admin-token.js";
import { openRegistry } from "./registry/open.js";

export const MAX_WORKERS = 64;

export interface AuthClusterOptions extends Pick<
  AuthServerOptions,
  | "host"
  | "port"
  | "tls"
  | "windowSeconds"
  | "requestWindowSeconds"
  | "maxBodyBytes"
  | "requestTimeoutMs"
  | "adminToken"
  | "metricsToken"
  | "hostNames"
  | "publicUrls"
  | "rateLimit"
  | "maxConnections"
> {
  /** worker processes, 1..64 */
  workers: number;
  /** a SQLite path or a postgres:// URL */
  db: string;
  masterKey: Uint8Array;
  /** each worker writes one JSON line per request on stderr */
  logRequests?: boolean;
  /** cluster events (a worker died and was replaced) */
  log?: (record: Record<string, unknown>) => void;
}

export interface AuthCluster {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  /** the admin token every worker checks (the one given, or one made for this cluster) */
  readonly adminToken: string;
  /** Stop every worker gracefully (in-flight requests finish). */
  close(): Promise<void>;
}

/** What a worker is sent: the serialisable options. */
export interface WorkerConfig extends Omit<AuthClusterOptions, "log" | "workers" | "masterKey"> {
  masterKey: Uint8Array;
}

export type WorkerMessage = { type: "ready" } | { type: "listening"; url: string; port: number } | { type: "failed"; message: string };

const CONFIG_KEYS = [
  "host",
  "port",
  "tls",
  "windowSeconds",
  "requestWindowSeconds",
  "maxBodyBytes",
  "requestTimeoutMs",
  "adminToken",
  "metricsToken",
  "hostNames",
  "publicUrls",
  "rateLimit",
  "maxConnections",
  "logRequests",
] as const satisfies readonly (keyof AuthClusterOptions)[];

function workerEntry(): string {
  if (!import.meta.url.endsWith(".js")) throw new Error("startAuthCluster runs from the compiled server (npm run build)");
  return fileURLToPath(new URL("./cluster-worker.js", import.meta.url));
}

/** Fork one worker and wait until it listens. */
function startWorker(config: WorkerConfig): Promise<{ worker: Worker; url: string; port: number }> {
  const worker = cluster.fork();
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`auth server worker exited (${signal ?? code}) before it listened`));
    worker.once("exit", onExit);
    const onMessage = (m: WorkerMessage) => {
      if (m.type === "ready") return void worker.send(config); // it listens for its configuration now
      worker.off("message", onMessage);
      worker.off("exit", onExit);
      if (m.type === "listening") resolve({ worker, url: m.url, port: m.port });
      else {
        worker.kill();
        reject(new Error(m.message));
      }
    };
    worker.on("message", onMessage);
  });
}

function stopWorker(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    if (worker.isDead()) return resolve();
    const timer = setTimeout(() => worker.process.kill("SIGKILL"), 10_000);
    worker.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    worker.send({ type: "close" });
  });
}

/** Start `workers` auth server processes on one port; resolves once all listen. */
export async function startAuthCluster(options: AuthClusterOptions): Promise<AuthCluster> {
  if (!cluster.isPrimary) throw new Error("startAuthCluster runs in the primary process");
  const n = options.workers;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) throw new RangeError(`workers must be an integer in 1..${MAX_WORKERS}, got ${n}`);
  const log = options.log ?? (() => {});
  await (await openRegistry(options.db, { masterKey: options.masterKey })).close();
  cluster.setupPrimary({ exec: workerEntry(), args: [], serialization: "advanced" });

  // only what a worker needs, and only serialisable values
  const rest: Omit<WorkerConfig, "masterKey"> = { db: options.db };
  for (const k of CONFIG_KEYS) if (options[k] !== undefined) Object.assign(rest, { [k]: options[k] });
  // one admin token for every worker (each would otherwise make its own)
  rest.adminToken ??= generateAdminToken();
  // every worker asks for the same port: node:cluster's primary keys its shared listening
  // socket by the requested address and port, so workers asking for port 0 all get the one the
  // first was given
  const config: WorkerConfig = { ...rest, masterKey: options.masterKey.slice() };
  const first = await startWorker(config);
  const live = new Set<Worker>([first.worker]);
  let closing = false;
  try {
    for (let i = 1; i < n; i++) live.add((await startWorker(config)).worker);
  } catch (e) {
    closing = true;
    await Promise.all([...live].map(stopWorker));
    throw e;
  }

  const watch = (worker: Worker) =>
    worker.once("exit", (code, signal) => {
      live.delete(worker);
      if (closing) return;
      log({ event: "worker-exit", pid: worker.process.pid, code, signal, replaced: true });
      setTimeout(() => {
        if (closing) return;
        startWorker(config).then(
          ({ worker: w }) => {
            if (closing) return void stopWorker(w);
            live.add(w);
            watch(w);
          },
          (e: Error) => log({ event: "worker-start-failed", message: e.message }),
        );
      }, 1_000).unref();
    });
  live.forEach(watch);

  return {
    url: first.url,
    host: options.host ?? "127.0.0.1",
    port: first.port,
    workers: n,
    adminToken: rest.adminToken,
    close: async () => {
      if (closing) return;
      closing = true;
      await Promise.all([...live].map(stopWorker));
      config.masterKey.fill(0);
    },
  };
}
