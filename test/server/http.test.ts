// The reference TID auth server over real HTTP on loopback, driven by the server SDK, with
// device authcodes from the node:crypto reference (reference/). Every rejection has its
// own JSON error code and HTTP status.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  authDevice,
  destroyAgents,
  getDevice,
  keygen,
  registerDevice,
  registerUserServer,
  setDeviceActive,
  signRequest,
  TidServerError,
} from "../../server/sdk/index.js";
import { startAuthServer, type AuthServer } from "../../server/app/index.js";
import { buildAuthcode, finishDevice } from "../../reference/index.js";
import { toHex } from "../../reference/bytes.js";

const dir = mkdtempSync(join(tmpdir(), "tid-http-"));
const masterKey = new Uint8Array(randomBytes(32));
const userUin = "100000000001";
const tid = new Uint8Array(Buffer.from("671007e10029b0a2", "hex"));
const psk = new Uint8Array(Buffer.from("00112233445566778899aabbccddeeff", "hex"));
let clock = 1_700_000_000;
const now = () => clock;

let server: AuthServer;
let privateKey: string;

const hex = (b: Uint8Array | null) => (b ? toHex(b) : "null");
/** The admin API of the server under test. */
const admin = () => ({ url: server.url, adminToken: server.adminToken });
const bearer = () => ({ authorization: `Bearer ${server.adminToken}` });

async function startServer(extra: Partial<Parameters<typeof startAuthServer>[0]> = {}): Promise<AuthServer> {
  return startAuthServer({ dbPath: join(dir, "tid.db"), masterKey, now, ...extra });
}

beforeAll(async () => {
  const keys = keygen(join(dir, "keys"));
  privateKey = readFileSync(keys.privateKeyPath, "utf8");
  server = await startServer();
  await registerUserServer(admin(), userUin, keys.publicKeyPem);
  await registerDevice(admin(), { tid, psk, label: "door lock" });
});

afterAll(async () => {
  await server?.close();
  destroyAgents();
  rmSync(dir, { recursive: true, force: true });
});

function device(opts: { time?: number; flags?: number; tid?: Uint8Array; psk?: Uint8Array } = {}) {
  return buildAuthcode({ tid: opts.tid ?? tid, psk: opts.psk ?? psk, time: opts.time ?? clock, flags: opts.flags });
}

function auth(authcode: Uint8Array, key: string | KeyObject = privateKey, uin = userUin) {
  return authDevice(uin, key, authcode, { url: server.url, now });
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "accepted";
  } catch (e) {
    if (!(e instanceof TidServerError)) throw e;
    return `${e.status} ${e.code}`;
  }
}

/** A raw HTTP exchange for the malformed-request tests. */
function raw(method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string> = {}) {
  return new Promise<{
    status: number;
    headers: Record<string, unknown>;
    json: { error?: { code: string; message: string } } & Record<string, unknown>;
  }>((resolve, reject) => {
    const req = httpRequest(new URL(path, server.url), { method, headers });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString() || "{}") }),
      );
    });
    req.end(body);
  });
}

function signedBody(authcode: Uint8Array, over: Record<string, unknown> = {}, audience = new URL(server.url).origin) {
  const f = { userUin, audience, timestamp: clock, nonce: randomBytes(12).toString("base64url"), deviceDataHex: hex(authcode) };
  const signature = signRequest(privateKey, { method: "POST", path: "/v1/auth", ...f });
  return { userUin: f.userUin, audience, deviceData: f.deviceDataHex, timestamp: f.timestamp, nonce: f.nonce, signature, ...over };
}

describe("auth server over HTTP", () => {
  it("happy path: the user server and the device end with the same token", async () => {
    const { authcode, pending } = device();
    const [serverData, token] = await auth(authcode);
    expect(token).not.toBeNull();
    expect(token!.length).toBe(16);
    const d = finishDevice({ tid, psk, pending, serverData });
    expect(hex(d.token)).toBe(hex(token));
    const info = await getDevice(admin(), tid);
    expect(info).toMatchObject({ tid: hex(tid), active: true, label: "door lock" });
    expect(info.authCount as number).toBeGreaterThanOrEqual(1);
  });

  it("keep-session flag: server data without a token", async () => {
    const { authcode, pending } = device({ flags: 1 });
    const [serverData, token] = await auth(authcode);
    expect(token).toBeNull();
    expect(serverData.length).toBe(68);
    expect(finishDevice({ tid, psk, pending, serverData }).token).toBeNull();
  });

  it("each byte of an authcode flipped in turn is rejected; the original still works afterwards", async () => {
    const { authcode, pending } = device();
    const codes = new Set<string>();
    for (let i = 0; i < authcode.length; i++) {
      const bad = authcode.slice();
      bad[i]! ^= 0x01;
      const r = await rejection(auth(bad));
      expect(r, `byte ${i}`).not.toBe("accepted");
      codes.add(r);
    }
    expect([...codes].sort()).toEqual([
      "401 VERIFY_FAILED",
      "403 UNKNOWN_TID",
      "422 BAD_FORMAT",
      "422 UNSUPPORTED_ALGORITHM",
      "422 UNSUPPORTED_VERSION",
    ]);
    const [serverData, token] = await auth(authcode);
    expect(hex(finishDevice({ tid, psk, pending, serverData }).token)).toBe(hex(token));
  });

  it("wrong PSK, unknown TID, inactive TID", async () => {
    expect(await rejection(auth(device({ psk: new Uint8Array(16) }).authcode))).toBe("401 VERIFY_FAILED");
    expect(await rejection(auth(device({ tid: new Uint8Array(8).fill(0xee) }).authcode))).toBe("403 UNKNOWN_TID");
    await setDeviceActive(admin(), tid, false);
    expect(await rejection(auth(device().authcode))).toBe("403 INACTIVE_TID");
    await setDeviceActive(admin(), tid, true);
    expect(await rejection(auth(device().authcode))).toBe("accepted");
  });

  it("stale and future device time (window ±300 s)", async () => {
    expect(await rejection(auth(device({ time: clock - 301 }).authcode))).toBe("401 STALE_TIME");
    expect(await rejection(auth(device({ time: clock + 301 }).authcode))).toBe("401 STALE_TIME");
    expect(await rejection(auth(device({ time: clock - 300 }).authcode))).toBe("accepted");
    expect(await rejection(auth(device({ time: clock + 300 }).authcode))).toBe("accepted");
  });

  it("a replayed authcode is rejected", async () => {
    const { authcode } = device();
    expect(await rejection(auth(authcode))).toBe("accepted");
    expect(await rejection(auth(authcode))).toBe("409 REPLAY");
  });

  it("an owned device: only its owner may authenticate it; to any other user server it is unknown", async () => {
    const otherKeys = keygen(join(dir, "keys-other"));
    await registerUserServer(admin(), "other-maker", otherKeys.publicKeyPem);
    const ownedTid = new Uint8Array(8).fill(0x0d);
    const info = await registerDevice(admin(), { tid: ownedTid, psk, owner: userUin, label: "owned" });
    expect(info.owner).toBe(userUin);
    const code = () => device({ tid: ownedTid }).authcode;
    const asOther = (a: Uint8Array) =>
      authDevice("other-maker", readFileSync(otherKeys.privateKeyPath, "utf8"), a, { url: server.url, now });
    const spent = code();
    expect(await rejection(asOther(spent))).toBe("403 UNKNOWN_TID");
    expect(await rejection(auth(spent))).toBe("accepted"); // the other's attempt did not burn it
    expect(await rejection(auth(code()))).toBe("accepted");
    // unowned devices stay open to every registered user server
    expect(await rejection(asOther(device().authcode))).toBe("accepted");
    const bad = await raw("POST", "/v1/admin/devices", JSON.stringify({ tid: "0e".repeat(8), psk: hex(psk), owner: "no spaces allowed" }), {
      ...bearer(),
      "content-type": "application/json",
    });
    expect([bad.status, bad.json.error?.code]).toEqual([400, "BAD_REQUEST"]);
  });

  it("request signature: wrong key, unknown user, stale timestamp, replayed nonce", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    expect(await rejection(auth(device().authcode, other))).toBe("401 BAD_SIGNATURE");
    expect(await rejection(auth(device().authcode, privateKey, "999999"))).toBe("401 BAD_SIGNATURE"); // unknown user: the same answer
    const stale = authDevice(userUin, privateKey, device().authcode, { url: server.url, now: () => clock - 301 });
    expect(await rejection(stale)).toBe("401 STALE_REQUEST");

    const body = JSON.stringify(signedBody(device().authcode));
    const first = await raw("POST", "/v1/auth", body, { "content-type": "application/json" });
    expect(first.status).toBe(200);
    const again = await raw("POST", "/v1/auth", body, { "content-type": "application/json" });
    expect([again.status, again.json.error?.code]).toEqual([409, "REPLAYED_REQUEST"]);

    // a signature over other device data does not carry over
    const moved = JSON.stringify({ ...signedBody(device().authcode), deviceData: hex(device().authcode) });
    const r = await raw("POST", "/v1/auth", moved, { "content-type": "application/json" });
    expect([r.status, r.json.error?.code]).toEqual([401, "BAD_SIGNATURE"]);
  });

  it("malformed requests: size, content type, JSON, fields, method, path", async () => {
    const json = { "content-type": "application/json" };
    const big = Buffer.alloc(20_000, 0x20);
    const r413 = await raw("POST", "/v1/auth", big, { ...json, "content-length": String(big.length) });
    expect([r413.status, r413.json.error?.code]).toEqual([413, "BODY_TOO_LARGE"]);
    const chunked = await raw("POST", "/v1/auth", big, { ...json, "transfer-encoding": "chunked" });
    expect([chunked.status, chunked.json.error?.code]).toEqual([413, "BODY_TOO_LARGE"]);

    const cases: [string, string | undefined, Record<string, string>, number, string][] = [
      ["POST", JSON.stringify(signedBody(device().authcode)), { "content-type": "text/plain" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
      ["POST", JSON.stringify(signedBody(device().authcode)), {}, 415, "UNSUPPORTED_MEDIA_TYPE"],
      [
        "POST",
        JSON.stringify(signedBody(device().authcode)),
        { "content-type": "application/json; charset=latin1" },
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      ["POST", "{not json", json, 400, "MALFORMED_JSON"],
      ["POST", "", json, 400, "MALFORMED_JSON"],
      ["POST", "[1,2]", json, 400, "BAD_REQUEST"],
      ["POST", JSON.stringify({ ...signedBody(device().authcode), deviceData: "xyz" }), json, 400, "BAD_REQUEST"],
      ["POST", JSON.stringify({ ...signedBody(device().authcode), timestamp: "now" }), json, 400, "BAD_REQUEST"],
      ["POST", JSON.stringify({ ...signedBody(device().authcode), nonce: "short" }), json, 400, "BAD_REQUEST"],
      ["POST", JSON.stringify({ ...signedBody(device().authcode), userUin: undefined }), json, 400, "BAD_REQUEST"],
      ["POST", JSON.stringify({ ...signedBody(device().authcode), signature: "***" }), json, 400, "BAD_REQUEST"],
      ["GET", undefined, {}, 405, "METHOD_NOT_ALLOWED"],
    ];
    for (const [method, body, headers, status, code] of cases) {
      const r = await raw(method, "/v1/auth", body, headers);
      expect([r.status, r.json.error?.code], `${method} ${body?.slice(0, 40)} ${JSON.stringify(headers)}`).toEqual([status, code]);
      expect(typeof r.json.error?.message).toBe("string");
    }
    const r405 = await raw("DELETE", "/v1/auth", undefined);
    expect(r405.headers.allow).toBe("POST");
    const r404 = await raw("GET", "/v1/nothing", undefined);
    expect([r404.status, r404.json.error?.code]).toEqual([404, "NOT_FOUND"]);
    const health = await raw("GET", "/v1/health", undefined);
    expect(health.json).toMatchObject({ status: "ok" });
  });

  it("admin API errors: duplicate device, unknown device, bad TID, bad key", async () => {
    expect(await rejection(registerDevice(admin(), { tid, psk }))).toBe("409 DEVICE_EXISTS");
    expect(await rejection(getDevice(admin(), new Uint8Array(8)))).toBe("404 UNKNOWN_DEVICE");
    expect(await rejection(setDeviceActive(admin(), new Uint8Array(8), false))).toBe("404 UNKNOWN_DEVICE");
    expect(await rejection(registerUserServer(admin(), "u-x", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))).toBe(
      "400 BAD_PUBLIC_KEY",
    );
    const r = await raw("GET", "/v1/admin/devices/zz", undefined, bearer());
    expect([r.status, r.json.error?.code]).toEqual([400, "BAD_REQUEST"]);
    const pct = await raw("GET", "/v1/admin/user-servers/%E0%A4%A", undefined, bearer());
    expect([pct.status, pct.json.error?.code]).toEqual([400, "BAD_REQUEST"]);
  });

  it("a client too slow to send its request gets 408", async () => {
    const slow = await startServer({ dbPath: join(dir, "slow.db"), requestTimeoutMs: 300 });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(slow.port, "127.0.0.1", () =>
          s.write("POST /v1/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"),
        );
        let text = "";
        s.on("data", (d) => (text += d.toString()));
        s.on("close", () => resolve(text));
        s.on("error", reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await slow.close();
    }
  });

  it("admin token: always required, loopback or not; a configured token is used as given", async () => {
    expect(server.adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/); // made for this server
    expect(await rejection(getDevice({ url: server.url, adminToken: "wrong-token-of-enough-length" }, tid))).toBe("401 ADMIN_UNAUTHORIZED");
    const none = await raw("GET", `/v1/admin/devices/${hex(tid)}`, undefined);
    expect([none.status, none.json.error?.code, none.headers["www-authenticate"]]).toEqual([401, "ADMIN_UNAUTHORIZED", "Bearer"]);
    const guarded = await startServer({ dbPath: join(dir, "guarded.db"), adminToken: "s3cret-admin-token" });
    try {
      expect(guarded.adminToken).toBe("s3cret-admin-token");
      expect(await rejection(registerDevice({ url: guarded.url, adminToken: "wrong-admin-token" }, { tid, psk }))).toBe(
        "401 ADMIN_UNAUTHORIZED",
      );
      expect(await rejection(registerDevice({ url: guarded.url, adminToken: "s3cret-admin-token" }, { tid, psk }))).toBe("accepted");
    } finally {
      await guarded.close();
    }
    await expect(startServer({ dbPath: join(dir, "short.db"), adminToken: "short" })).rejects.toThrow(RangeError);
  });

  it("a restart keeps devices, user servers and the replay cache", async () => {
    const { authcode } = device();
    expect(await rejection(auth(authcode))).toBe("accepted");
    await server.close();
    server = await startServer();
    expect(await rejection(auth(authcode))).toBe("409 REPLAY");
    const { authcode: fresh, pending } = device();
    const [serverData, token] = await auth(fresh);
    expect(hex(finishDevice({ tid, psk, pending, serverData }).token)).toBe(hex(token));
  });
});

describe("HTTPS", () => {
  it("authDevice with a private CA", async () => {
    const key = join(dir, "tls-key.pem"),
      cert = join(dir, "tls-cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    const secure = await startServer({ dbPath: join(dir, "tls.db"), tls: { key: readFileSync(key), cert: readFileSync(cert) } });
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(cert);
      await registerUserServer(
        { url: secure.url, ca, adminToken: secure.adminToken },
        userUin,
        readFileSync(join(dir, "keys", "public_key.pem"), "utf8"),
      );
      await registerDevice({ url: secure.url, ca, adminToken: secure.adminToken }, { tid, psk });
      const { authcode, pending } = device();
      expect(await rejection(authDevice(userUin, privateKey, authcode, { url: secure.url, now }))).toMatch(/^0 NETWORK/); // untrusted
      const [serverData, token] = await authDevice(userUin, privateKey, authcode, { url: secure.url, ca, now });
      expect(hex(finishDevice({ tid, psk, pending, serverData }).token)).toBe(hex(token));
    } finally {
      await secure.close();
    }
  });
});
