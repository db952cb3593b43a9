// The auth server's defences, each tried the way an attacker would (docs/server.md "Security
// model", "Rate limits"): a DNS-rebinding page (wrong Host) and a cross-site page (Origin) are
// refused the admin API even with the token; an unknown userUin gets the very answer a bad
// signature gets; a request signed for one auth server is refused by another that knows the same
// user key; a client address whose unauthenticated requests keep failing gets 429 with
// Retry-After before any work, while authenticated traffic is never charged; a userUin's
// authenticated requests have their own bucket; connections past the cap are closed.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authDevice, destroyAgents, registerDevice, registerUserServer, signRequest, TidServerError } from "../../server/sdk/index.js";
import { startAuthServer, type AuthServer, type AuthServerOptions } from "../../server/app/index.js";
import { buildAuthcode } from "../../reference/index.js";
import { toHex } from "../../reference/bytes.js";

const dir = mkdtempSync(join(tmpdir(), "tid-security-"));
const masterKey = new Uint8Array(randomBytes(32));
const userUin = "security-user";
const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }) as string;
const tid = new Uint8Array(Buffer.from("5ec0000000000001", "hex"));
const psk = new Uint8Array(randomBytes(16));
const servers: AuthServer[] = [];
let n = 0;

/** A server with its own registry, the user server and the device registered. */
async function start(extra: Partial<AuthServerOptions> = {}): Promise<AuthServer> {
  const s = await startAuthServer({ dbPath: join(dir, `r${n++}.db`), masterKey, ...extra });
  servers.push(s);
  const admin = { url: s.url, adminToken: s.adminToken };
  await registerUserServer(admin, userUin, publicKeyPem);
  await registerDevice(admin, { tid, psk });
  return s;
}

afterAll(async () => {
  destroyAgents();
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** One raw exchange, with exactly these headers (Host included when given). */
function raw(server: AuthServer, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: server.port, method, path, headers, agent: false });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, headers: res.headers, json: text.startsWith("{") ? JSON.parse(text) : {} });
      });
    });
    req.end(body);
  });
}

const authcode = () => buildAuthcode({ tid, psk, time: Math.floor(Date.now() / 1000) }).authcode;

function signedBody(audience: string, over: { userUin?: string } = {}): string {
  const f = {
    userUin: over.userUin ?? userUin,
    audience,
    timestamp: Math.floor(Date.now() / 1000),
    nonce: randomBytes(12).toString("base64url"),
    deviceDataHex: toHex(authcode()),
  };
  const signature = signRequest(privateKey, { method: "POST", path: "/v1/auth", ...f });
  return JSON.stringify({ userUin: f.userUin, audience, deviceData: f.deviceDataHex, timestamp: f.timestamp, nonce: f.nonce, signature });
}

const JSON_TYPE = { "content-type": "application/json" };

describe("admin API: the token always, a Host naming the server, no cross-site Origin", () => {
  let s: AuthServer;
  beforeAll(async () => {
    s = await start();
  });
  const path = () => `/v1/admin/devices/${toHex(tid)}`;
  const bearer = () => ({ authorization: `Bearer ${s.adminToken}` });

  it("loopback without the token: 401, whatever the Host", async () => {
    const r = await raw(s, "GET", path(), undefined, { host: `127.0.0.1:${s.port}` });
    expect([r.status, r.json.error?.code]).toEqual([401, "ADMIN_UNAUTHORIZED"]);
  });

  it("the listen address's names are accepted in Host", async () => {
    for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `[::1]:${s.port}`, "LOCALHOST"]) {
      const r = await raw(s, "GET", path(), undefined, { ...bearer(), host });
      expect([host, r.status]).toEqual([host, 200]);
    }
  });

  it("a DNS-rebinding page (Host: the attacker's name) is refused, token or not", async () => {
    for (const host of [`attacker.example:${s.port}`, "attacker.example", "127.0.0.1.attacker.example", "localhost.:80"]) {
      const r = await raw(s, "GET", path(), undefined, { ...bearer(), host });
      expect([host, r.status, r.json.error?.code]).toEqual([host, 403, "HOST_NOT_ALLOWED"]);
    }
    const put = await raw(s, "POST", "/v1/admin/user-servers", JSON.stringify({ userUin: "evil", publicKeyPem, replace: true }), {
      ...JSON_TYPE,
      ...bearer(),
      host: "rebind.attacker.example",
    });
    expect([put.status, put.json.error?.code]).toEqual([403, "HOST_NOT_ALLOWED"]);
  });

  it("a cross-site page (Origin elsewhere, or Sec-Fetch-Site cross-site) is refused; the server's own origin is not", async () => {
    const host = `127.0.0.1:${s.port}`;
    const crossSite: Record<string, string>[] = [
      { origin: "https://attacker.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { origin: `http://localhost:${s.port}`, "sec-fetch-site": "same-site" },
    ];
    for (const headers of crossSite) {
      const r = await raw(s, "GET", path(), undefined, { ...bearer(), host, ...headers });
      expect([headers, r.status, r.json.error?.code]).toEqual([headers, 403, "ORIGIN_NOT_ALLOWED"]);
    }
    const same = await raw(s, "GET", path(), undefined, { ...bearer(), host, origin: `http://127.0.0.1:${s.port}` });
    expect(same.status).toBe(200);
  });

  it("hostNames: a configured name is accepted besides the listen address's; others still are not", async () => {
    const named = await start({ hostNames: ["tid.internal"] });
    const as = (host: string) => raw(named, "GET", path(), undefined, { authorization: `Bearer ${named.adminToken}`, host });
    expect((await as("tid.internal:443")).status).toBe(200);
    expect((await as(`127.0.0.1:${named.port}`)).status).toBe(200);
    expect((await as("attacker.example")).json.error?.code).toBe("HOST_NOT_ALLOWED");
    expect(named.audiences).toContain(`http://tid.internal:${named.port}`);
  }, 30_000);
});

describe("/v1/auth: one answer for an unknown user and a bad signature; the audience is bound", () => {
  let a: AuthServer;
  let b: AuthServer;
  beforeAll(async () => {
    a = await start();
    b = await start(); // another auth server that knows the same user key
  });

  it("unknown userUin and bad signature: the same status, code and message", async () => {
    const origin = new URL(a.url).origin;
    const unknown = await raw(a, "POST", "/v1/auth", signedBody(origin, { userUin: "no-such-user" }), JSON_TYPE);
    const forged = JSON.parse(signedBody(origin)) as Record<string, unknown>;
    forged.signature = signRequest(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey, {
      method: "POST",
      path: "/v1/auth",
      audience: origin,
      userUin,
      timestamp: forged.timestamp as number,
      nonce: forged.nonce as string,
      deviceDataHex: forged.deviceData as string,
    });
    const bad = await raw(a, "POST", "/v1/auth", JSON.stringify(forged), JSON_TYPE);
    expect(unknown.status).toBe(401);
    expect([bad.status, bad.json.error]).toEqual([unknown.status, unknown.json.error]);
    expect(unknown.json.error?.code).toBe("BAD_SIGNATURE");
  });

  it("a request signed for server A, sent to server B, is refused by B; re-labelled for B, its signature fails", async () => {
    const forA = signedBody(new URL(a.url).origin);
    const atB = await raw(b, "POST", "/v1/auth", forA, JSON_TYPE);
    expect([atB.status, atB.json.error?.code]).toEqual([401, "WRONG_AUDIENCE"]);
    const relabelled = JSON.stringify({ ...(JSON.parse(forA) as object), audience: new URL(b.url).origin });
    const again = await raw(b, "POST", "/v1/auth", relabelled, JSON_TYPE);
    expect([again.status, again.json.error?.code]).toEqual([401, "BAD_SIGNATURE"]);
    const atA = await raw(a, "POST", "/v1/auth", forA, JSON_TYPE);
    expect(atA.status).toBe(200); // where it was meant to go, it works
  });

  it("the audiences are the server's origins under each of its names; publicUrls adds one", async () => {
    expect(a.audiences).toEqual(
      expect.arrayContaining([`http://127.0.0.1:${a.port}`, `http://localhost:${a.port}`, `http://[::1]:${a.port}`]),
    );
    const behind = await start({ publicUrls: ["https://tid.example.com/"] });
    expect(behind.audiences).toContain("https://tid.example.com");
    const viaBalancer = await authDevice(userUin, privateKey, authcode(), { url: behind.url, audience: "https://tid.example.com" });
    expect(viaBalancer[0].length).toBeGreaterThan(0);
  });

  it("cheap checks come before any key is used: a wrong-size authcode is refused before the signature is looked at", async () => {
    const body = JSON.parse(signedBody(new URL(a.url).origin)) as Record<string, unknown>;
    const short = await raw(a, "POST", "/v1/auth", JSON.stringify({ ...body, deviceData: "00".repeat(10), signature: "AAAA" }), JSON_TYPE);
    expect([short.status, short.json.error?.code]).toEqual([422, "BAD_FORMAT"]);
  });
});

describe("rate limits", () => {
  it("unauthenticated failures per address: 429 with Retry-After once the bucket is empty, before any work", async () => {
    const s = await start({ rateLimit: { failuresPerAddress: { perSecond: 1, burst: 5 } } });
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await raw(s, "POST", "/v1/auth", "{not json", JSON_TYPE);
      codes.push(`${r.status} ${r.json.error?.code}`);
      if (r.status === 429) expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    }
    expect(codes.slice(0, 5)).toEqual(Array(5).fill("400 MALFORMED_JSON"));
    expect(codes.slice(5)).toEqual(Array(3).fill("429 RATE_LIMITED"));
    // the whole address is turned away now, valid requests too, until the bucket refills
    const blocked = await raw(s, "GET", "/v1/health");
    expect([blocked.status, blocked.json.error?.code]).toEqual([429, "RATE_LIMITED"]);
    const metrics = await raw(s, "GET", "/metrics", undefined, { authorization: `Bearer ${s.adminToken}`, host: "localhost" });
    expect(metrics.status).toBe(429); // the metrics endpoint is behind the same door
  });

  it("authenticated requests never charge the address: 30 valid authentications after a 5-failure burst allowance", async () => {
    const s = await start({ rateLimit: { failuresPerAddress: { perSecond: 1, burst: 5 } } });
    for (let i = 0; i < 30; i++) await authDevice(userUin, privateKey, authcode(), { url: s.url });
    // protocol rejections after a valid signature (a replay, say) are not charged either
    const code = authcode();
    await authDevice(userUin, privateKey, code, { url: s.url });
    for (let i = 0; i < 10; i++) {
      await expect(authDevice(userUin, privateKey, code, { url: s.url })).rejects.toMatchObject({ code: "REPLAY" });
    }
    await authDevice(userUin, privateKey, authcode(), { url: s.url });
  });

  it("per userUin: after the burst, 429 RATE_LIMITED with Retry-After; the signature was checked first", async () => {
    const s = await start({ rateLimit: { perUser: { perSecond: 0.5, burst: 3 } } });
    for (let i = 0; i < 3; i++) await authDevice(userUin, privateKey, authcode(), { url: s.url });
    const r = await raw(s, "POST", "/v1/auth", signedBody(new URL(s.url).origin), JSON_TYPE);
    expect([r.status, r.json.error?.code, r.headers["retry-after"]]).toEqual([429, "RATE_LIMITED", "2"]);
    // someone naming the user without its key does not use the user's bucket up: 401, not 429
    const other = await start({ rateLimit: { perUser: { perSecond: 0.5, burst: 3 } } });
    const forged = JSON.parse(signedBody(new URL(other.url).origin)) as Record<string, unknown>;
    for (let i = 0; i < 5; i++) {
      const f = await raw(
        other,
        "POST",
        "/v1/auth",
        JSON.stringify({ ...forged, nonce: `forged-nonce-${i}-xxxxxx`, signature: "AAAA" }),
        JSON_TYPE,
      );
      expect(f.json.error?.code).toBe("BAD_SIGNATURE");
    }
    await authDevice(userUin, privateKey, authcode(), { url: other.url });
  });

  it("the defaults let a fleet's load through: 300 authentications from one address as fast as they come", async () => {
    const s = await start();
    const codes = new Set<string>();
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 30; i++) {
          try {
            await authDevice(userUin, privateKey, authcode(), { url: s.url });
            codes.add("ok");
          } catch (e) {
            codes.add(e instanceof TidServerError ? e.code : String(e));
          }
        }
      }),
    );
    expect([...codes]).toEqual(["ok"]);
  }, 60_000);

  it("connections past maxConnections are closed as they arrive", async () => {
    const s = await start({ maxConnections: 2 });
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const c = connect(s.port, "127.0.0.1", () => resolve(c));
        c.on("error", reject);
      });
    const kept = [await open(), await open()];
    await new Promise((r) => setTimeout(r, 50));
    const third = await open();
    const closed = await new Promise<boolean>((resolve) => {
      third.on("close", () => resolve(true));
      third.write("GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      setTimeout(() => resolve(false), 2_000);
    });
    expect(closed).toBe(true);
    for (const c of kept) c.destroy();
  });
});
