// The reference TID auth server (docs/protocol.md, docs/server.md): JSON over HTTP(S), bound to
// loopback by default. POST /v1/auth takes a device authcode relayed and signed by a registered
// user server, verifies it (docs/protocol.md "Rules") and answers with the server data and the
// session token encrypted to the user server's RSA key. Admin endpoints register devices and user
// servers. State lives in the durable Registry (registry/: SQLite or PostgreSQL); the server's SM2
// runs on the wasm (server-data.ts).
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { timingSafeEqual, createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { DEFAULT_WINDOW_SECONDS, parseAuthcode, ProtocolError, verifyAuthcode, type ProtocolErrorCode } from "../../reference/index.js";
import { HttpError, field, readJsonBody, sendError, sendJson } from "./http-json.js";
import { RegistryError, type Registry } from "./registry/types.js";
import { openRegistry as openRegistryAt } from "./registry/open.js";
import { buildServerDataWasm } from "./server-data.js";
import { publicKeyOf } from "./key-cache.js";
import { encryptToken, TOKEN_ENCRYPTION, verifyRequest } from "../sdk/signing.js";

export const AUTH_PATH = "/v1/auth";
export const DEFAULT_BODY_LIMIT = 16 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface AuthServerOptions {
  /** An open registry (the server does not close it) … */
  registry?: Registry;
  /**
   * … or a database plus the master key (the server opens and closes it): a SQLite file path, or
   * a postgres:// URL (docs/server.md "Registry").
   */
  db?: string;
  /** the former name of `db` (a SQLite path or a postgres:// URL alike) */
  dbPath?: string;
  masterKey?: Uint8Array;
  /** default 127.0.0.1 */
  host?: string;
  /** default 0 = an ephemeral port (see `port` of the result) */
  port?: number;
  /** serve HTTPS with this key and certificate (PEM) */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** accepted |device time − server time|, seconds (default 300) */
  windowSeconds?: number;
  /** accepted |request timestamp − server time|, seconds (default 300) */
  requestWindowSeconds?: number;
  /** largest accepted request body, bytes (default 16 KiB) */
  maxBodyBytes?: number;
  /** time to receive a whole request, ms (default 10 s) */
  requestTimeoutMs?: number;
  /** when set, admin endpoints need `Authorization: Bearer <adminToken>`; else loopback peers only */
  adminToken?: string;
  /** Unix seconds (test hook); default the system clock */
  now?: () => number;
  /** one JSON-able record per request / error (default: none) */
  log?: (record: Record<string, unknown>) => void;
}

export interface AuthServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly server: Server;
  /** Stop accepting, finish in-flight requests, close the registry if the server opened it. */
  close(): Promise<void>;
}

/** HTTP status of each protocol rejection of a device authcode. */
export const PROTOCOL_HTTP_STATUS: Record<ProtocolErrorCode, number> = {
  BAD_FORMAT: 422,
  UNSUPPORTED_VERSION: 422,
  UNSUPPORTED_ALGORITHM: 422,
  BAD_POINT: 422,
  BAD_SCALAR: 422,
  TID_MISMATCH: 422,
  VERIFY_FAILED: 401,
  STALE_TIME: 401,
  UNKNOWN_TID: 403,
  INACTIVE_TID: 403,
  REPLAY: 409,
};

const USER_UIN = /^[0-9A-Za-z_.-]{1,64}$/;
const NONCE = /^[0-9A-Za-z_-]{16,64}$/;
const BASE64 = /^[A-Za-z0-9+/]{1,2048}={0,2}$/;
const TID_HEX = /^[0-9a-fA-F]{16}$/;

function isLoopback(addr: string | undefined): boolean {
  return addr === "127.0.0.1" || addr === "::1" || addr === "::ffff:127.0.0.1" || (addr?.startsWith("127.") ?? false);
}

/** What every request handler needs: the registry, the clock and the limits. */
interface ServerContext {
  registry: Registry;
  now: () => number;
  /** accepted |device time − server time|, seconds */
  window: number;
  /** accepted |request timestamp − server time|, seconds */
  requestWindow: number;
  /** largest request body, bytes */
  limit: number;
  log: (record: Record<string, unknown>) => void;
  /** SHA-256 of the admin token, when one is configured */
  adminTokenHash: Buffer | undefined;
}

type Handler = (req: IncomingMessage, params: string[]) => Promise<[number, unknown]> | [number, unknown];
interface Route {
  pattern: RegExp;
  methods: Record<string, Handler>;
  admin?: boolean;
}

const REGISTRY_STATUS: Record<RegistryError["code"], number> = {
  DEVICE_EXISTS: 409,
  USER_EXISTS: 409,
  UNKNOWN_DEVICE: 404,
  UNKNOWN_USER: 404,
  BAD_PUBLIC_KEY: 400,
};

/** Start the auth server; resolves once it listens. */
export async function startAuthServer(options: AuthServerOptions): Promise<AuthServer> {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const { registry, ownsRegistry } = await openRegistry(options, now);
  const ctx: ServerContext = {
    registry,
    now,
    window: options.windowSeconds ?? DEFAULT_WINDOW_SECONDS,
    requestWindow: options.requestWindowSeconds ?? DEFAULT_WINDOW_SECONDS,
    limit: options.maxBodyBytes ?? DEFAULT_BODY_LIMIT,
    log: options.log ?? (() => {}),
    adminTokenHash: options.adminToken ? Buffer.from(createHash("sha256").update(options.adminToken).digest()) : undefined,
  };
  const state = { closing: false };
  const routes = buildRoutes(ctx);
  const server = createListener(options, (req, res) => void handleRequest(ctx, routes, state, req, res));
  const host = options.host ?? "127.0.0.1";
  try {
    await listen(server, options.port ?? 0, host);
  } catch (e) {
    if (ownsRegistry) await registry.close();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `${options.tls ? "https" : "http"}://${urlHost}:${port}`,
    host,
    port,
    registry,
    server,
    close: async () => {
      if (state.closing) return;
      state.closing = true;
      await closeGracefully(server);
      if (ownsRegistry) await registry.close();
    },
  };
}

// ---- start-up steps ---------------------------------------------------------------------------

/** The registry given in the options, or one opened from db + masterKey (then the server owns it). */
async function openRegistry(options: AuthServerOptions, now: () => number): Promise<{ registry: Registry; ownsRegistry: boolean }> {
  if (options.registry) return { registry: options.registry, ownsRegistry: false };
  const db = options.db ?? options.dbPath;
  if (!db || !options.masterKey) throw new TypeError("give either registry, or db (a SQLite path or a postgres:// URL) and masterKey");
  return { registry: await openRegistryAt(db, { masterKey: options.masterKey, now }), ownsRegistry: true };
}

/** The HTTP(S) server with its timeouts; not listening yet. */
function createListener(options: AuthServerOptions, listener: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // requestTimeout / headersTimeout answer 408 to a client that is too slow to send its request;
  // node checks them every connectionsCheckingInterval ms.
  const httpOptions = {
    requestTimeout: timeout,
    headersTimeout: timeout,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(timeout / 4))),
    keepAliveTimeout: 5_000,
  };
  const server: Server = options.tls
    ? createHttpsServer({ ...httpOptions, key: options.tls.key, cert: options.tls.cert }, listener)
    : createHttpServer(httpOptions, listener);
  server.maxHeadersCount = 64;
  return server;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Stop accepting, let in-flight requests finish; keep-alive sockets still open after 2 s are cut. */
function closeGracefully(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2_000).unref();
  });
}

// ---- routing ----------------------------------------------------------------------------------

function buildRoutes(ctx: ServerContext): Route[] {
  const { registry } = ctx;
  return [
    { pattern: /^\/v1\/health$/, methods: { GET: () => [200, { status: "ok", schemaVersion: registry.schemaVersion }] } },
    { pattern: /^\/v1\/auth$/, methods: { POST: (req) => authenticate(ctx, req) } },
    { pattern: /^\/v1\/admin\/devices$/, admin: true, methods: { POST: (req) => addDevice(ctx, req) } },
    {
      pattern: /^\/v1\/admin\/devices\/([^/]+)$/,
      admin: true,
      methods: {
        GET: async (_req, [tid]) => {
          const info = await registry.describeDevice(tidFrom(tid!));
          if (!info) throw new HttpError(404, "UNKNOWN_DEVICE", `device ${tid} is not registered`);
          return [200, info];
        },
      },
    },
    {
      pattern: /^\/v1\/admin\/devices\/([^/]+)\/(activate|deactivate)$/,
      admin: true,
      methods: { POST: async (_req, [tid, op]) => [200, await registry.setDeviceActive(tidFrom(tid!), op === "activate")] },
    },
    { pattern: /^\/v1\/admin\/user-servers$/, admin: true, methods: { POST: (req) => addUserServer(ctx, req) } },
    {
      pattern: /^\/v1\/admin\/user-servers\/([^/]+)$/,
      admin: true,
      methods: {
        GET: async (_req, [uin]) => {
          const info = await registry.describeUserServer(uin!);
          if (!info) throw new HttpError(404, "UNKNOWN_USER", `user server ${uin} is not registered`);
          return [200, info];
        },
      },
    },
    {
      pattern: /^\/v1\/admin\/user-servers\/([^/]+)\/(activate|deactivate)$/,
      admin: true,
      methods: { POST: async (_req, [uin, op]) => [200, await registry.setUserServerActive(uin!, op === "activate")] },
    },
  ];
}

/** One request: route it, check admin rights, run the handler, answer JSON — errors included. */
async function handleRequest(
  ctx: ServerContext,
  routes: Route[],
  state: { closing: boolean },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = Date.now();
  try {
    if (state.closing) throw new HttpError(503, "SHUTTING_DOWN", "the server is shutting down", { connection: "close" });
    let path: string;
    try {
      path = new URL(req.url ?? "/", "http://localhost").pathname;
    } catch {
      throw new HttpError(400, "BAD_REQUEST", "bad request target");
    }
    const route = routes.find((r) => r.pattern.test(path));
    if (!route) throw new HttpError(404, "NOT_FOUND", `no endpoint ${path}`);
    const handler = route.methods[req.method ?? ""];
    if (!handler) {
      const allow = Object.keys(route.methods).join(", ");
      throw new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${path}; use ${allow}`, { allow });
    }
    if (route.admin) requireAdmin(ctx, req);
    let params: string[];
    try {
      params = route.pattern
        .exec(path)!
        .slice(1)
        .map((s) => decodeURIComponent(s));
    } catch {
      throw new HttpError(400, "BAD_REQUEST", "bad percent-encoding in the path");
    }
    const [status, body] = await handler(req, params);
    sendJson(res, status, body);
    ctx.log({ event: "request", method: req.method, path, status, ms: Date.now() - started });
  } catch (e) {
    let err: HttpError;
    if (e instanceof HttpError) err = e;
    else if (e instanceof RegistryError) err = new HttpError(REGISTRY_STATUS[e.code], e.code, e.message);
    else {
      ctx.log({ event: "internal-error", message: (e as Error).message, stack: (e as Error).stack });
      err = new HttpError(500, "INTERNAL", "internal server error");
    }
    if (err.status === 413) req.resume(); // drain what the client still sends, then close
    sendError(res, err);
    ctx.log({ event: "request", method: req.method, path: req.url, status: err.status, code: err.code, ms: Date.now() - started });
  }
}

function requireAdmin(ctx: ServerContext, req: IncomingMessage): void {
  if (ctx.adminTokenHash) {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    const given = createHash("sha256")
      .update(m?.[1] ?? "")
      .digest();
    if (!m || !timingSafeEqual(given, ctx.adminTokenHash)) {
      throw new HttpError(401, "ADMIN_UNAUTHORIZED", "admin endpoints need Authorization: Bearer <admin token>", {
        "www-authenticate": "Bearer",
      });
    }
  } else if (!isLoopback(req.socket.remoteAddress)) {
    throw new HttpError(403, "ADMIN_FORBIDDEN", "admin endpoints are loopback-only when no admin token is configured");
  }
}

function tidFrom(s: string): Uint8Array {
  if (!TID_HEX.test(s)) throw new HttpError(400, "BAD_REQUEST", "TID must be 16 hex characters");
  return new Uint8Array(Buffer.from(s, "hex"));
}

// ---- handlers ---------------------------------------------------------------------------------

/** POST /v1/auth: check the user server's signed request, verify the authcode, answer. */
async function authenticate(ctx: ServerContext, req: IncomingMessage): Promise<[number, unknown]> {
  const { registry, now, window, requestWindow, limit, log } = ctx;
  const body = await readJsonBody(req, limit);
  const userUin = field.string(body, "userUin", USER_UIN, "1..64 characters of [0-9A-Za-z_.-]");
  const deviceData = field.hex(body, "deviceData", 1, limit);
  const timestamp = field.integer(body, "timestamp", 0, 0xffff_ffff);
  const nonce = field.string(body, "nonce", NONCE, "16..64 characters of [0-9A-Za-z_-]");
  const signature = field.string(body, "signature", BASE64, "a base64 string");

  const user = await registry.getUserServer(userUin);
  if (!user || !user.active) throw new HttpError(401, "UNKNOWN_USER", `user server ${userUin} is not registered or not active`);
  const t = now();
  if (Math.abs(timestamp - t) > requestWindow) {
    throw new HttpError(401, "STALE_REQUEST", `request timestamp ${timestamp} is more than ${requestWindow} s from server time ${t}`);
  }
  const key = publicKeyOf(user.publicKeyPem);
  const signed = { method: "POST", path: AUTH_PATH, userUin, timestamp, nonce, deviceDataHex: Buffer.from(deviceData).toString("hex") };
  if (!verifyRequest(key, signed, signature)) throw new HttpError(401, "BAD_SIGNATURE", "request signature does not verify");
  const nonceExpiresAt = timestamp + requestWindow + 1;
  const replayedRequest = () => new HttpError(409, "REPLAYED_REQUEST", "this request nonce was already used");

  // The request nonce is used up whatever the authcode turns out to be, and a replayed nonce is
  // answered before anything about the authcode. verifyAuthcode's checks run in its order with the
  // PSK looked up before (parseAuthcode names the TID); then one write remembers the nonce and
  // (TID, Nd) together — one commit per request — and their unique keys decide between instances.
  let verified;
  let looked: Uint8Array | undefined; // the unsealed PSK, zeroed on every path
  try {
    const found = await registry.getDevicePsk(parseAuthcode(deviceData).tid, userUin);
    looked = found?.psk;
    verified = verifyAuthcode(deviceData, { lookupPsk: () => found, now: t, windowSeconds: window });
  } catch (e) {
    looked?.fill(0);
    if (!(e instanceof ProtocolError)) throw e;
    if (!(await registry.rememberRequestNonce(userUin, nonce, nonceExpiresAt))) throw replayedRequest();
    throw new HttpError(PROTOCOL_HTTP_STATUS[e.code], e.code, e.message);
  }
  let accepted;
  try {
    accepted = await registry.acceptAuthentication({
      userUin,
      nonce,
      nonceExpiresAt,
      tid: verified.tid,
      nd: verified.nd,
      expiresAt: verified.time + window + 1,
    });
  } finally {
    if (accepted !== "accepted") verified.psk.fill(0);
  }
  if (accepted === "replayed-request") throw replayedRequest();
  if (accepted === "replayed-authcode")
    throw new HttpError(PROTOCOL_HTTP_STATUS.REPLAY, "REPLAY", "(TID, Nd) already seen inside the window");
  // The answer carries no extra server data: the device's own extra data is authenticated by
  // tag_d and is the user server's business, not something to echo back.
  let built;
  let sessionToken: string | null;
  try {
    built = buildServerDataWasm({
      tid: verified.tid,
      psk: verified.psk,
      nd: verified.nd,
      tagD: verified.tagD,
      Qd: verified.Qd,
      time: t,
      issueToken: verified.wantsToken,
    });
    sessionToken = built.token ? encryptToken(key, built.token) : null;
  } finally {
    built?.token?.fill(0);
    built?.k?.fill(0);
    built?.z?.fill(0);
    verified.psk.fill(0);
  }
  log({ event: "auth", userUin, tid: Buffer.from(verified.tid).toString("hex"), tokenIssued: sessionToken !== null });
  return [
    200,
    {
      serverData: Buffer.from(built.serverData).toString("hex"),
      sessionToken,
      tokenIssued: sessionToken !== null,
      tokenEncryption: TOKEN_ENCRYPTION,
      tid: Buffer.from(verified.tid).toString("hex"),
      serverTime: t,
    },
  ];
}

/** POST /v1/admin/devices: register (or, with replace, re-register) a device. */
async function addDevice(ctx: ServerContext, req: IncomingMessage): Promise<[number, unknown]> {
  const body = await readJsonBody(req, ctx.limit);
  const tid = field.hex(body, "tid", 8, 8);
  const psk = field.hex(body, "psk", 16, 16);
  const label = field.optionalString(body, "label", 200);
  const active = field.optionalBoolean(body, "active");
  const replace = field.optionalBoolean(body, "replace");
  const owner = field.optionalString(body, "owner", 64);
  if (owner !== undefined && !USER_UIN.test(owner))
    throw new HttpError(400, "BAD_REQUEST", "owner must be a user server's userUin (1..64 of [0-9A-Za-z_.-])");
  const info = await ctx.registry.addDevice(tid, psk, { label, active, replace, ...(owner !== undefined ? { owner } : {}) });
  psk.fill(0);
  ctx.log({ event: "device-registered", tid: info.tid });
  return [201, info];
}

/** POST /v1/admin/user-servers: register (or, with replace, re-key) a user server. */
async function addUserServer(ctx: ServerContext, req: IncomingMessage): Promise<[number, unknown]> {
  const body = await readJsonBody(req, ctx.limit);
  const userUin = field.string(body, "userUin", USER_UIN, "1..64 characters of [0-9A-Za-z_.-]");
  const pem = field.string(
    body,
    "publicKeyPem",
    /^-----BEGIN [A-Z ]*PUBLIC KEY-----[\s\S]+-----END [A-Z ]*PUBLIC KEY-----\s*$/,
    "a PEM public key",
  );
  const replace = field.optionalBoolean(body, "replace");
  const info = await ctx.registry.addUserServer(userUin, pem, { replace });
  ctx.log({ event: "user-server-registered", userUin });
  return [201, info];
}
