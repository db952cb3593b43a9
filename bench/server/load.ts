// The load client of the server benchmark (bench/suites/server.ts): `connections` keep-alive
// connections (one http.Agent, maxSockets = connections), each sending the next prepared request
// as soon as its previous answer arrived, until every request is answered. Cheap on purpose —
// bodies are prepared Buffers, answers are collected as Buffers — so the client's own cost stays
// small next to the server's. Returns the wall time and each request's latency.
import { Agent, request } from "node:http";

export interface LoadResult {
  wallMs: number;
  /** per request, milliseconds, in completion order */
  latenciesMs: number[];
  /** status → count */
  statuses: Map<number, number>;
  /** the first answer's body (for a check of its content) */
  firstBody?: Buffer;
}

function post(agent: Agent, port: number, path: string, body: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Send every body (in order of hand-out) over `connections` keep-alive connections. */
export async function runLoad(port: number, path: string, bodies: Buffer[], connections: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latenciesMs: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  let firstBody: Buffer | undefined;
  const t0 = performance.now();
  async function loop(): Promise<void> {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const s = performance.now();
      const r = await post(agent, port, path, body);
      latenciesMs.push(performance.now() - s);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      firstBody ??= r.body;
    }
  }
  await Promise.all(Array.from({ length: connections }, loop));
  const wallMs = performance.now() - t0;
  agent.destroy();
  return { wallMs, latenciesMs, statuses, ...(firstBody ? { firstBody } : {}) };
}

/** The q-quantile (0..1) of `xs`, nearest rank. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
