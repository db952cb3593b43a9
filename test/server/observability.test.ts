// What an operator sees of the auth server (docs/server.md "Metrics", "Logs"): JSON log records
// (pino) carrying the request id, which is also sent back in X-Request-Id; clients that hang up or
// are too slow are logged as `client-aborted` / `timeout`, without stacks and at most EVENT_BURST
// per second, never as `internal-error`; GET /metrics (Prometheus text, prom-client) needs the
// admin token or the metrics token and counts authentications by result, latencies, the registry
// and replay caches.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authDevice, destroyAgents, registerDevice, registerUserServer } from "../../server/sdk/index.js";
import { startAuthServer, type AuthServer } from "../../server/app/index.js";
import { EVENT_BURST } from "../../server/app/logging.js";
import { buildAuthcode } from "../../reference/index.js";

const dir = mkdtempSync(join(tmpdir(), "tid-observability-"));
const userUin = "observed-user";
const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const tid = new Uint8Array(Buffer.from("0b5e000000000001", "hex"));
const psk = new Uint8Array(randomBytes(16));
const records: Record<string, unknown>[] = [];
let server: AuthServer;
const METRICS_TOKEN = "a-metrics-token-for-the-scraper-0123456789";

beforeAll(async () => {
  server = await startAuthServer({
    dbPath: join(dir, "r.db"),
    masterKey: new Uint8Array(randomBytes(32)),
    log: (r) => records.push(r),
    metricsToken: METRICS_TOKEN,
    requestTimeoutMs: 400,
  });
  const admin = { url: server.url, adminToken: server.adminToken };
  await registerUserServer(admin, userUin, publicKey.export({ type: "spki", format: "pem" }) as string);
  await registerDevice(admin, { tid, psk });
});
afterAll(async () => {
  destroyAgents();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const authcode = () => buildAuthcode({ tid, psk, time: Math.floor(Date.now() / 1000) }).authcode;

function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: server.port, path, headers, agent: false });
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.end();
  });
}

/**
 * Open a connection, send the head of a request and part of its body, then hang up (or wait for
 * the server to close it). Resolves with what the server sent.
 */
function partialRequest(hangUpAfterMs: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    let answer = "";
    const s = connect(server.port, "127.0.0.1", () => {
      s.write(`POST /v1/auth HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"userUin":`);
      if (hangUpAfterMs !== undefined) setTimeout(() => s.destroy(), hangUpAfterMs);
    });
    s.on("data", (d: Buffer) => (answer += d.toString()));
    s.on("error", () => undefined);
    s.on("close", () => resolve(answer));
  });
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("logs", () => {
  it("one JSON record per request, with the request id that the answer carries in X-Request-Id", async () => {
    records.length = 0;
    const mine = await get("/v1/health", { "x-request-id": "trace-abc.123" });
    expect(mine.headers["x-request-id"]).toBe("trace-abc.123");
    const made = await get("/v1/health", { "x-request-id": "no spaces allowed" });
    expect(made.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    await authDevice(userUin, privateKey, authcode(), { url: server.url });
    const requests = records.filter((r) => r.event === "request");
    expect(requests.map((r) => r.reqId)).toEqual(expect.arrayContaining(["trace-abc.123", made.headers["x-request-id"]]));
    const auth = records.find((r) => r.event === "auth")!;
    expect(auth).toMatchObject({ userUin, tid: "0b5e000000000001", tokenIssued: true, level: 30 });
    expect(requests.find((r) => r.path === "/v1/auth")).toMatchObject({ reqId: auth.reqId, status: 200, method: "POST" });
    expect(typeof auth.time).toBe("number");
  });

  it(`200 clients hanging up mid-request: 'client-aborted', no stack, at most ${EVENT_BURST} a second, never 'internal-error'`, async () => {
    records.length = 0;
    const started = Date.now();
    await Promise.all(Array.from({ length: 200 }, () => partialRequest(20)));
    await settle(1_100);
    // one more after the second is over: it carries the count of those left out
    await partialRequest(20);
    await settle(200);
    const seconds = Math.ceil((Date.now() - started) / 1000);
    expect(records.filter((r) => r.event === "internal-error")).toEqual([]);
    const aborted = records.filter((r) => r.event === "client-aborted");
    expect(aborted.length).toBeGreaterThan(0);
    expect(aborted.length).toBeLessThanOrEqual(EVENT_BURST * (seconds + 1));
    for (const r of aborted) {
      expect(r.stack).toBeUndefined();
      expect(r).toMatchObject({ level: 40, path: "/v1/auth", method: "POST" });
      expect(typeof r.reqId).toBe("string");
    }
    const suppressed = aborted.reduce((n, r) => n + ((r.suppressed as number | undefined) ?? 0), 0);
    expect(aborted.length + suppressed).toBe(201);
    expect(JSON.stringify(records).length).toBeLessThan(20_000); // not 81 KB of false alarms
  }, 30_000);

  it("a request not received in time: 'timeout' (and the client gets 408)", async () => {
    records.length = 0;
    const answer = await partialRequest(undefined); // the server closes it after requestTimeoutMs
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    await settle(100);
    const events = records.map((r) => r.event);
    expect(events.filter((e) => e === "timeout")).toHaveLength(1);
    expect(events).not.toContain("internal-error");
    expect(events).not.toContain("client-aborted");
  }, 10_000);
});

describe("timeouts on a kept-alive connection", () => {
  it("a second request not received in time still gets its 408 after the first was answered", async () => {
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      const s = connect(server.port, "127.0.0.1", () => {
        s.write("GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        setTimeout(
          () => s.write(`POST /v1/auth HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 99\r\n\r\n{`),
          100,
        );
      });
      s.on("data", (d: Buffer) => (text += d.toString()));
      s.on("error", () => undefined);
      s.on("close", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*HTTP\/1\.1 408 Request Timeout\r\n/);
  }, 10_000);
});

describe("GET /metrics", () => {
  it("needs the admin token or the metrics token; the metrics token opens nothing else", async () => {
    expect((await get("/metrics")).status).toBe(401);
    expect((await get("/metrics", { authorization: "Bearer wrong-token-wrong-token" })).status).toBe(401);
    expect((await get("/metrics", { authorization: `Bearer ${server.adminToken}` })).status).toBe(200);
    expect((await get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}` })).status).toBe(200);
    const admin = await get(`/v1/admin/devices/0b5e000000000001`, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(admin.status).toBe(401);
    const rebound = await get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}`, host: "attacker.example" });
    expect(rebound.status).toBe(403);
  });

  it("Prometheus text: authentications by result, latency histogram, registry and replay-cache sizes", async () => {
    const code = authcode();
    await authDevice(userUin, privateKey, code, { url: server.url });
    await expect(authDevice(userUin, privateKey, code, { url: server.url })).rejects.toMatchObject({ code: "REPLAY" });
    const m = await get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(m.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const value = (line: string): number => {
      const found = m.text.split("\n").find((l) => l.startsWith(line + " "));
      if (!found) throw new Error(`no ${line} in the metrics`);
      return Number(found.slice(line.length + 1));
    };
    expect(value('tid_auth_requests_total{result="ok"}')).toBeGreaterThanOrEqual(2);
    expect(value('tid_auth_requests_total{result="REPLAY"}')).toBe(1);
    expect(value('tid_auth_requests_total{result="client-aborted"}')).toBeGreaterThanOrEqual(200);
    expect(value('tid_http_request_duration_seconds_count{route="auth"}')).toBeGreaterThanOrEqual(3);
    expect(value('tid_http_request_duration_seconds_bucket{le="+Inf",route="auth"}')).toBe(
      value('tid_http_request_duration_seconds_count{route="auth"}'),
    );
    expect(value("tid_registry_devices")).toBe(1);
    expect(value('tid_replay_cache_entries{cache="authcodes"}')).toBeGreaterThanOrEqual(2);
    expect(value('tid_replay_cache_entries{cache="nonces"}')).toBeGreaterThanOrEqual(2);
    expect(m.text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(m.text).toMatch(/^# TYPE tid_rate_limited_total counter$/m);
  });
});
