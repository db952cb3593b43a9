// A SQLite registry shared by the processes of a cluster (cluster.ts) has one writer: the primary.
// Workers read the file on their own connections (WAL: readers never wait for the writer) and send
// each write (a WriteOp, sqlite-writes.ts) to the primary over the cluster's IPC channel; the
// primary applies the writes of all workers in its group commit and answers each once its
// transaction is durable. So the file sees one BEGIN IMMEDIATE … COMMIT at a time and no worker
// blocks its event loop waiting for SQLite's write lock or an fsync.
import type { Worker } from "node:cluster";
import type { SqliteRegistry } from "./sqlite.js";
import type { WriteOp } from "./sqlite-writes.js";
import { RegistryError, type RegistryErrorCode } from "./types.js";

interface WriteRequest {
  type: "registry-write";
  id: number;
  op: WriteOp;
}

interface WriteAnswer {
  type: "registry-written";
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { message: string; code?: RegistryErrorCode };
}

/** In a worker: a writer that sends each write to the primary and resolves with its answer. */
export function writerViaPrimary(): (op: WriteOp) => Promise<unknown> {
  if (!process.send) throw new Error("writerViaPrimary needs an IPC channel to the primary");
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let next = 0;
  process.on("message", (m: WriteAnswer) => {
    if (m?.type !== "registry-written") return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else
      p.reject(
        m.error?.code
          ? new RegistryError(m.error.code, m.error.message)
          : new Error(`registry write failed in the primary: ${m.error?.message}`),
      );
  });
  process.on("disconnect", () => {
    for (const p of pending.values()) p.reject(new Error("the primary process (the registry's writer) went away"));
    pending.clear();
  });
  return (op) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      process.send!({ type: "registry-write", id, op } satisfies WriteRequest);
    });
}

/** In the primary: apply a worker's writes to `registry` and answer each after its commit. */
export function serveWrites(worker: Worker, registry: SqliteRegistry): void {
  worker.on("message", (m: WriteRequest) => {
    if (m?.type !== "registry-write") return;
    const answer = (a: Omit<WriteAnswer, "type" | "id">) => {
      if (worker.isConnected()) worker.send({ type: "registry-written", id: m.id, ...a } satisfies WriteAnswer);
    };
    registry.write(m.op).then(
      (value) => answer({ ok: true, value }),
      (e: Error) => answer({ ok: false, error: { message: e.message, ...(e instanceof RegistryError ? { code: e.code } : {}) } }),
    );
  });
}
