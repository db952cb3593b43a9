// docs/openapi.yaml describes the running server: the document is valid OpenAPI 3.1 (checked
// against the official schema by @seriousme/openapi-schema-validator), and every request this
// test makes — through the server SDK and raw — and every answer the server gives passes through
// a recording proxy and is validated with ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1)
// against the document: the operation must be there, the status documented, the body and the
// documented headers valid. Every error code the document lists is produced at least once,
// except INTERNAL and SHUTTING_DOWN (a bug, a closing server), and every operation succeeds once.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  authDevice,
  destroyAgents,
  getDevice,
  getUserServer,
  registerDevice,
  registerUserServer,
  setDeviceActive,
  signRequest,
} from "../../server/sdk/index.js";
import { startAuthServer, type AuthServer } from "../../server/app/index.js";
import { buildAuthcode, computeTagD, encodeAuthcodeBody } from "../../reference/index.js";
import { toHex } from "../../reference/bytes.js";
import { ROOT } from "../support/server-child.js";

type Json = Record<string, unknown>;
interface OpenApi {
  paths: Record<string, Record<string, Json>>;
  components: { responses: Record<string, Json>; headers: Record<string, Json> };
}

const doc = parseYaml(readFileSync(join(ROOT, "docs", "openapi.yaml"), "utf8")) as OpenApi;
const dir = mkdtempSync(join(tmpdir(), "tid-openapi-"));
const userUin = "openapi-user";
const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }) as string;
const tid = new Uint8Array(Buffer.from("0a11000000000001", "hex"));
const psk = new Uint8Array(randomBytes(16));

interface Exchange {
  method: string;
  path: string;
  requestHeaders: IncomingHttpHeaders;
  requestBody: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}
const exchanges: Exchange[] = [];
let server: AuthServer;
let proxy: Server;
let proxyUrl: string;

/** Forward every request to the server as it is (Host kept unless it names the proxy), record both sides. */
function startProxy(): Promise<void> {
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const requestBody = Buffer.concat(chunks);
      const headers = { ...req.headers };
      if (headers.host === new URL(proxyUrl).host) headers.host = `127.0.0.1:${server.port}`;
      const out = httpRequest({ host: "127.0.0.1", port: server.port, method: req.method, path: req.url, headers, agent: false });
      out.on("response", (answer) => {
        const got: Buffer[] = [];
        answer.on("data", (c: Buffer) => got.push(c));
        answer.on("end", () => {
          const body = Buffer.concat(got);
          exchanges.push({
            method: req.method!,
            path: req.url!,
            requestHeaders: req.headers,
            requestBody: requestBody.toString(),
            status: answer.statusCode!,
            headers: answer.headers,
            body: body.toString(),
          });
          res.writeHead(answer.statusCode!, answer.headers);
          res.end(body);
        });
      });
      out.on("error", (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      out.end(requestBody);
    });
  });
  return new Promise((resolve) =>
    proxy.listen(0, "127.0.0.1", () => {
      proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      resolve();
    }),
  );
}

const admin = () => ({ url: proxyUrl, adminToken: server.adminToken });
/** authDevice through the proxy, signed for the server behind it. */
const auth = (code: Uint8Array, opts: { now?: () => number; key?: typeof privateKey; uin?: string } = {}) =>
  authDevice(opts.uin ?? userUin, opts.key ?? privateKey, code, {
    url: proxyUrl,
    audience: new URL(server.url).origin,
    ...(opts.now ? { now: opts.now } : {}),
  });
const settle = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    () => undefined,
  );
const now = () => Math.floor(Date.now() / 1000);
const fresh = (time = now(), t = tid, p = psk) => buildAuthcode({ tid: t, psk: p, time }).authcode;

function raw(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, proxyUrl), { method, headers, agent: false });
    req.on("error", reject);
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode!));
    });
    req.end(body);
  });
}
const JSON_TYPE = { "content-type": "application/json" };
const bearer = () => ({ authorization: `Bearer ${server.adminToken}` });

/** A signed /v1/auth body for `deviceData`, with fields overridden after signing. */
function signed(deviceData: Uint8Array, over: Json = {}, uin = userUin): string {
  const f = { userUin: uin, audience: new URL(server.url).origin, timestamp: now(), nonce: randomBytes(12).toString("base64url") };
  const signature = signRequest(privateKey, { method: "POST", path: "/v1/auth", ...f, deviceDataHex: toHex(deviceData) });
  return JSON.stringify({ ...f, deviceData: toHex(deviceData), signature, ...over });
}

beforeAll(async () => {
  server = await startAuthServer({
    dbPath: join(dir, "r.db"),
    masterKey: new Uint8Array(randomBytes(32)),
    rateLimit: { failuresPerAddress: { perSecond: 1000, burst: 1000 }, perUser: { perSecond: 0.01, burst: 40 } },
  });
  await startProxy();
  const a = admin();
  // every operation, through the SDK where it has a call for it
  await registerUserServer(a, userUin, publicKeyPem);
  await getUserServer(a, userUin);
  await registerDevice(a, { tid, psk, label: "openapi", owner: userUin });
  await getDevice(a, tid);
  await setDeviceActive(a, tid, false);
  await settle(auth(fresh())); // INACTIVE_TID
  await setDeviceActive(a, tid, true);
  await raw("POST", `/v1/admin/user-servers/${userUin}/deactivate`, undefined, bearer());
  await raw("POST", `/v1/admin/user-servers/${userUin}/activate`, undefined, bearer());
  await raw("GET", "/v1/health");
  await raw("GET", "/metrics", undefined, bearer());
  await auth(fresh());
  await auth(buildAuthcode({ tid, psk, time: now(), flags: 1 }).authcode); // no token issued
  // a device of suite INTL: registered, authenticated (server data in suite INTL), refused an SM authcode
  const intlTid = new Uint8Array(8).fill(0x20);
  await registerDevice(a, { tid: intlTid, psk, suite: "intl", owner: userUin });
  await auth(buildAuthcode({ tid: intlTid, psk, time: now(), suite: "intl" }).authcode);
  await settle(auth(fresh(now(), intlTid))); // UNSUPPORTED_ALGORITHM (suite)
  await raw("POST", "/v1/admin/devices", JSON.stringify({ tid: "0a11000000000009", psk: toHex(psk), suite: "aes" }), {
    ...JSON_TYPE,
    ...bearer(),
  }); // BAD_REQUEST (suite)
  // the errors of /v1/auth
  const replayed = fresh();
  await auth(replayed);
  await settle(auth(replayed)); // REPLAY
  const body = signed(fresh());
  await raw("POST", "/v1/auth", body, JSON_TYPE);
  await raw("POST", "/v1/auth", body, JSON_TYPE); // REPLAYED_REQUEST
  await settle(auth(fresh(now() - 1000))); // STALE_TIME
  await settle(auth(fresh(), { now: () => now() - 1000 })); // STALE_REQUEST
  await settle(auth(fresh(), { key: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey })); // BAD_SIGNATURE
  await settle(auth(fresh(), { uin: "nobody" })); // BAD_SIGNATURE (unknown user)
  await settle(auth(fresh(now(), tid, new Uint8Array(16)))); // VERIFY_FAILED
  await settle(auth(fresh(now(), new Uint8Array(8).fill(0xee)))); // UNKNOWN_TID
  await settle(authDevice(userUin, privateKey, fresh(), { url: proxyUrl })); // WRONG_AUDIENCE: signed for the proxy
  const flip = (i: number) => {
    const c = fresh();
    c[i]! ^= 0x01;
    return c;
  };
  await settle(auth(flip(0))); // UNSUPPORTED_VERSION
  await settle(auth(flip(1))); // UNSUPPORTED_ALGORITHM
  await settle(auth(fresh().subarray(0, 100))); // BAD_FORMAT (size)
  const offCurve = encodeAuthcodeBody({ flags: 0, time: now(), tid, nd: randomBytes(16), Qd: new Uint8Array(64).fill(1) });
  const withTag = new Uint8Array(offCurve.length + 32);
  withTag.set(offCurve);
  withTag.set(computeTagD(psk, offCurve), offCurve.length);
  await settle(auth(withTag)); // BAD_POINT
  await raw("POST", "/v1/auth", "{nope", JSON_TYPE); // MALFORMED_JSON
  await raw("POST", "/v1/auth", JSON.stringify({ userUin }), JSON_TYPE); // BAD_REQUEST
  await raw("POST", "/v1/auth", signed(fresh()), { "content-type": "text/plain" }); // UNSUPPORTED_MEDIA_TYPE
  await raw("POST", "/v1/auth", Buffer.alloc(20_000, 0x20), { ...JSON_TYPE }); // BODY_TOO_LARGE
  await raw("GET", "/v1/auth"); // METHOD_NOT_ALLOWED
  await raw("GET", "/v1/nothing"); // NOT_FOUND
  // the errors of the admin API
  await settle(registerDevice(a, { tid, psk })); // DEVICE_EXISTS
  await settle(registerUserServer(a, userUin, publicKeyPem)); // USER_EXISTS
  await settle(registerUserServer(a, "bad-key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")); // BAD_PUBLIC_KEY
  await settle(getDevice(a, new Uint8Array(8))); // UNKNOWN_DEVICE
  await settle(getUserServer(a, "nobody")); // UNKNOWN_USER
  await settle(getDevice({ ...a, adminToken: "not-the-admin-token" }, tid)); // ADMIN_UNAUTHORIZED
  await raw("GET", `/v1/admin/devices/${toHex(tid)}`, undefined, { ...bearer(), host: "attacker.example" }); // HOST_NOT_ALLOWED
  await raw("GET", `/v1/admin/devices/${toHex(tid)}`, undefined, { ...bearer(), origin: "https://attacker.example" }); // ORIGIN_NOT_ALLOWED
  await raw("GET", "/v1/admin/devices/zz", undefined, bearer()); // BAD_REQUEST (path)
  await raw("GET", "/metrics"); // ADMIN_UNAUTHORIZED on /metrics
  // RATE_LIMITED: the user's bucket (40) runs out; each request is signed, its authcode need not be good
  for (let i = 0; i < 40; i++) {
    if ((await raw("POST", "/v1/auth", signed(new Uint8Array(randomBytes(132))), JSON_TYPE)) === 429) break;
  }
}, 120_000);

afterAll(async () => {
  destroyAgents();
  proxy?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
ajv.addSchema(doc as unknown as Json, "tid-openapi");
const compiled = new Map<string, ValidateFunction>();
/** The schema at a JSON pointer into the document, compiled once. */
function schemaAt(pointer: string): ValidateFunction {
  let v = compiled.get(pointer);
  if (!v) {
    v = ajv.compile({ $ref: `tid-openapi#${pointer}` });
    compiled.set(pointer, v);
  }
  return v;
}
const escape = (s: string) => s.replaceAll("~", "~0").replaceAll("/", "~1");

/** The document's path template and operation for a request, or undefined. */
function operationOf(method: string, url: string): { template: string; op: Json } | undefined {
  const path = new URL(url, "http://x").pathname;
  for (const [template, item] of Object.entries(doc.paths)) {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    if (re.test(path)) {
      const op = item[method.toLowerCase()];
      return op ? { template, op } : { template, op: undefined as unknown as Json };
    }
  }
  return undefined;
}

/** The pointer of the response object for `status` of an operation (following a $ref to components). */
function responsePointer(template: string, method: string, status: number): string | undefined {
  const op = doc.paths[template]![method.toLowerCase()] as { responses: Record<string, { $ref?: string }> };
  const r = op.responses[String(status)];
  if (!r) return undefined;
  return r.$ref ? r.$ref.slice(1) : `/paths/${escape(template)}/${method.toLowerCase()}/responses/${status}`;
}

function resolve(pointer: string): Json {
  return pointer
    .split("/")
    .slice(1)
    .reduce<Json>((o, k) => o[k.replaceAll("~1", "/").replaceAll("~0", "~")] as Json, doc as unknown as Json);
}

/** Check one exchange against the document; returns what it saw: "METHOD path status CODE". */
function check(x: Exchange): string {
  const where = `${x.method} ${x.path} → ${x.status} ${x.body.slice(0, 120)}`;
  const found = operationOf(x.method, x.path);
  let pointer: string;
  if (!found) {
    expect(x.status, where).toBe(404);
    pointer = "/components/responses/NotFound";
  } else if (!found.op) {
    expect(x.status, where).toBe(405);
    pointer = "/components/responses/MethodNotAllowed";
  } else {
    const p = responsePointer(found.template, x.method, x.status);
    expect(p, `${where}: status not documented`).toBeDefined();
    pointer = p!;
  }
  const response = resolve(pointer) as { headers?: Record<string, Json>; content?: Record<string, Json> };
  for (const [name, h] of Object.entries(response.headers ?? {})) {
    const header = (h.$ref ? resolve((h.$ref as string).slice(1)) : h) as { required?: boolean };
    const headerPointer = h.$ref ? (h.$ref as string).slice(1) : `${pointer}/headers/${escape(name)}`;
    const value = x.headers[name.toLowerCase()];
    if (value === undefined) {
      expect(header.required ?? false, `${where}: header ${name} missing`).toBe(false);
      continue;
    }
    const v = schemaAt(`${headerPointer}/schema`);
    expect(v(value), `${where}: header ${name}=${String(value)}: ${ajv.errorsText(v.errors)}`).toBe(true);
  }
  const type = String(x.headers["content-type"] ?? "").split(";")[0]!;
  if (!response.content) {
    expect(x.body, where).toBe("");
    return `${x.method} ${x.path} ${x.status}`;
  }
  expect(Object.keys(response.content), `${where}: content type ${type}`).toContain(type);
  const v = schemaAt(`${pointer}/content/${escape(type)}/schema`);
  const body: unknown = type === "application/json" ? JSON.parse(x.body) : x.body;
  expect(v(body), `${where}: ${ajv.errorsText(v.errors)}`).toBe(true);
  const code = (body as { error?: { code?: string } }).error?.code;
  return code ?? "success";
}

describe("docs/openapi.yaml", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Json);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("every real answer of the server is documented and valid against it", () => {
    expect(exchanges.length).toBeGreaterThan(40);
    for (const x of exchanges) check(x);
  });

  it("every request body the SDK and this test sent well-formed validates against the request schema; malformed ones do not", () => {
    const malformed = new Set(["MALFORMED_JSON", "BAD_REQUEST", "UNSUPPORTED_MEDIA_TYPE", "BODY_TOO_LARGE", "BAD_FORMAT"]);
    let checked = 0;
    for (const x of exchanges) {
      const found = operationOf(x.method, x.path);
      if (!found?.op || !(found.op as { requestBody?: unknown }).requestBody) continue;
      const code = (JSON.parse(x.body.startsWith("{") ? x.body : "{}") as { error?: { code?: string } }).error?.code;
      const v = schemaAt(`/paths/${escape(found.template)}/${x.method.toLowerCase()}/requestBody/content/application~1json/schema`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(x.requestBody);
      } catch {
        parsed = undefined;
      }
      if (code && malformed.has(code) && String(x.requestHeaders["content-type"]).startsWith("application/json")) {
        expect(v(parsed), `${x.path} ${code}: a malformed body must not validate`).toBe(false);
      } else if (!code || !malformed.has(code)) {
        expect(v(parsed), `${x.method} ${x.path} ${x.requestBody.slice(0, 80)}: ${ajv.errorsText(v.errors)}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("every operation succeeds once, and every documented error code is produced (except INTERNAL and SHUTTING_DOWN)", () => {
    const seen = new Set(exchanges.map(check));
    const codes = new Set<string>();
    const collect = (o: unknown): void => {
      if (Array.isArray(o)) o.forEach(collect);
      else if (o && typeof o === "object") {
        const rec = o as Json;
        if (rec.code && typeof rec.code === "object") {
          const c = rec.code as { const?: string; enum?: string[] };
          if (c.const) codes.add(c.const);
          for (const e of c.enum ?? []) codes.add(e);
        }
        Object.values(rec).forEach(collect);
      }
    };
    collect(doc);
    const notProduced = [...codes].filter((c) => !seen.has(c)).sort();
    expect(notProduced).toEqual(["INTERNAL", "SHUTTING_DOWN"]);
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (method === "parameters") continue;
        const ok = Object.keys((op as { responses: Json }).responses).find((s) => s.startsWith("2"))!;
        const hit = exchanges.some(
          (x) => x.method === method.toUpperCase() && x.status === Number(ok) && operationOf(x.method, x.path)?.template === template,
        );
        expect(hit, `${method.toUpperCase()} ${template} ${ok}`).toBe(true);
      }
    }
  });
});
