// Auth server throughput (docs/benchmarks.md "Auth server"): `tid server` — the real CLI, in its
// own processes (--workers = the machine's cores, or $TID_BENCH_SERVER_WORKERS; SQLite registry in a temp dir: WAL,
// synchronous=FULL, group commit) — answering valid signed POST /v1/auth requests, against a bare
// node:http server answering a fixed JSON body, both driven by the same load client in this
// process (bench/server/load.ts: 50 keep-alive connections). The requests are made before the
// timed part: 20,000 (4,000 with --quick) fresh authcodes over 8 devices, each signed by the
// registered user server (RSA-PSS) with its own nonce. One answer is checked end to end first
// (the device accepts the server data and derives the token the user server decrypts); every timed
// tid-server answer must be 200. Rows: op "server-auth", size 0; `us` = wall µs per request (the
// whole run's wall time / requests); extra: requests per second, p50/p99 latency (ms).
import { randomBytes, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { round, type BenchOptions, type Row, type Suite } from "../harness.js";
import { quantile, runLoad, type LoadResult } from "../server/load.js";
import { startBareHttp, startTidServer } from "../server/processes.js";
import { authDevice, destroyAgents, registerDevice, registerUserServer, signRequest } from "../../server/sdk/index.js";
import { buildAuthcode, finishDevice } from "../../reference/index.js";

const CONNECTIONS = 50;
const DEVICES = 8;
const WARMUP = 500;
const USER = "100000000001";
const AUTH_PATH = "/v1/auth";

export const suite: Suite = {
  name: "Auth server: signed POST /v1/auth over 50 keep-alive connections, tid server vs a bare node:http server",
  targets: [{ op: "server-auth", size: 0, metric: "us", impl: "tid-server", peer: "node:http", atMost: 2.5 }],
  async run(opt: BenchOptions, log: (line: string) => void): Promise<Row[]> {
    const requests = opt.samples < 5 ? 4_000 : 20_000;
    const workers = Number(process.env.TID_BENCH_SERVER_WORKERS) || availableParallelism();
    const dir = mkdtempSync(join(tmpdir(), "tid-bench-server-"));
    const tid = await startTidServer(join(dir, "registry.db"), join(dir, "master.key"), workers);
    const bare = await startBareHttp();
    try {
      const url = `http://127.0.0.1:${tid.port}`;
      const admin = { url, adminToken: tid.adminToken ?? "" };
      const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      await registerUserServer(admin, USER, publicKey.export({ type: "spki", format: "pem" }) as string);
      const devices = Array.from({ length: DEVICES }, () => ({
        tid: new Uint8Array(randomBytes(8)),
        psk: new Uint8Array(randomBytes(16)),
      }));
      for (const d of devices) await registerDevice(admin, d);

      // one exchange checked end to end
      const d0 = devices[0]!;
      const { authcode, pending } = buildAuthcode({ tid: d0.tid, psk: d0.psk, time: Math.floor(Date.now() / 1000) });
      const [serverData, token] = await authDevice(USER, privateKey, authcode, { url });
      const done = finishDevice({ tid: d0.tid, psk: d0.psk, pending, serverData });
      if (!token || !done.token || Buffer.compare(Buffer.from(token), Buffer.from(done.token)) !== 0)
        throw new Error("server-auth: the device and the user server do not share the token");
      destroyAgents();

      log(`  preparing ${requests + WARMUP} signed requests (fresh authcodes over ${DEVICES} devices) …`);
      const t = Math.floor(Date.now() / 1000);
      const bodies = Array.from({ length: requests + WARMUP }, (_, i) => {
        const d = devices[i % DEVICES]!;
        const deviceDataHex = Buffer.from(buildAuthcode({ tid: d.tid, psk: d.psk, time: t }).authcode).toString("hex");
        const nonce = randomBytes(18).toString("base64url");
        const fields = { method: "POST", path: AUTH_PATH, audience: url, userUin: USER, timestamp: t, nonce, deviceDataHex };
        const signature = signRequest(privateKey, fields);
        return Buffer.from(JSON.stringify({ userUin: USER, audience: url, deviceData: deviceDataHex, timestamp: t, nonce, signature }));
      });
      const warm = bodies.slice(0, WARMUP);
      const timed = bodies.slice(WARMUP);

      const rowOf = (impl: Row["impl"], r: LoadResult): Row => {
        const us = (r.wallMs * 1000) / r.latenciesMs.length;
        return {
          op: "server-auth",
          impl,
          size: 0,
          us: round(us),
          mbps: 0,
          extra: {
            requests: r.latenciesMs.length,
            connections: CONNECTIONS,
            reqPerSec: round(1e6 / us, 0),
            p50Ms: round(quantile(r.latenciesMs, 0.5)),
            p99Ms: round(quantile(r.latenciesMs, 0.99)),
            ...(impl === "tid-server" ? { workers, devices: DEVICES } : {}),
          },
        };
      };
      const statusText = (r: LoadResult) => [...r.statuses].map(([s, n]) => `${s}×${n}`).join(", ");

      await runLoad(bare.port, AUTH_PATH, warm, CONNECTIONS);
      const bareRun = await runLoad(bare.port, AUTH_PATH, timed, CONNECTIONS);
      const warmRun = await runLoad(tid.port, AUTH_PATH, warm, CONNECTIONS);
      if (warmRun.statuses.get(200) !== WARMUP) throw new Error(`server-auth warm-up: not every answer was 200 (${statusText(warmRun)})`);
      const tidRun = await runLoad(tid.port, AUTH_PATH, timed, CONNECTIONS);
      if (tidRun.statuses.get(200) !== requests) throw new Error(`server-auth: not every answer was 200 (${statusText(tidRun)})`);

      const rows = [rowOf("tid-server", tidRun), rowOf("node:http", bareRun)];
      const [mine, peer] = rows as [Row, Row];
      log(
        `  tid-server ${mine.extra!.reqPerSec} req/s (p50 ${mine.extra!.p50Ms} ms, p99 ${mine.extra!.p99Ms} ms, ${workers} workers); ` +
          `node:http ${peer.extra!.reqPerSec} req/s (p50 ${peer.extra!.p50Ms} ms, p99 ${peer.extra!.p99Ms} ms); ` +
          `throughput ratio ${(peer.us / mine.us).toFixed(2)}x (target >= 0.4x), p99 ${Number(mine.extra!.p99Ms) <= 50 ? "<=" : ">"} 50 ms`,
      );
      return rows;
    } finally {
      destroyAgents();
      await tid.stop();
      await bare.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
