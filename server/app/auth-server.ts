// The reference TID auth server (docs/protocol.md, docs/server.md): JSON over HTTP(S), bound to
// loopback by default. POST /v1/auth takes a device authcode relayed and signed by a registered
// user server, verifies it (docs/protocol.md "Rules") and answers with the server data and the
// session token encrypted to the user server's RSA key, both built in the device's registered
// algorithm suite (docs/protocol.md "Algorithm suites": an authcode in another suite is
// UNSUPPORTED_ALGORITHM). Admin endpoints register devices (with their suite) and user
// servers; they and GET /metrics need a bearer token and a Host naming this server
// (admin-token.ts, host-check.ts). Rate limits (limits.ts), structured logs (logging.ts) and
// metrics (metrics.ts) wrap every request. State lives in the durable Registry (registry/:
// SQLite or PostgreSQL); the server's SM2 runs on the wasm (server-data.ts).
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import {
  AUTHCODE_MAX_SIZE,
  AUTHCODE_MIN_SIZE,
  DEFAULT_WINDOW_SECONDS,
  parseAuthcode,
  ProtocolError,
  SUITE_NAMES,
  verifyAuthcode,
  type ProtocolErrorCode,
  type SuiteName,
} from "../../reference/index.js";
import { HttpError, field, readJsonBody, sendError, sendJson } from "./http-json.js";
import { RegistryError, type Registry } from "./registry/types.js";
import { openRegistry as openRegistryAt } from "./registry/open.js";
import { buildServerDataWasm } from "./server-data.js";
import { publicKeyOf } from "./key-cache.js";
import { encryptToken, TOKEN_ENCRYPTION, verifyRequest } from "../sdk/signing.js";
import { AdminAuth, generateAdminToken } from "./admin-token.js";
import { clientFailureOf, watchClientErrors } from "./client-errors.js";
import { DECOY_PUBLIC_KEY_PEM } from "./decoy-key.js";
import { defaultHostNames, hostOrOriginProblem, normalizeHostName, originOf } from "./host-check.js";
import { createLimiters, DEFAULT_MAX_CONNECTIONS, type RateLimitOptions } from "./limits.js";
import { createLogger, LogThrottle, requestIdOf, type LogFunction, type Logger } from "./logging.js";
import { ServerMetrics, type Route as MetricRoute } from "./metrics.js";
import type { RateLimiter } from "./rate-limit.js";

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
  /**
   * the token every admin call (and /metrics) must carry as `Authorization: Bearer <token>`,
   * whoever the peer is; default a new random one for this server (`adminToken` of the result)
   */
  adminToken?: string;
  /** a second token accepted on GET /metrics only (for a scraper that must not hold the admin token) */
  metricsToken?: string;
  /**
   * the names this server answers to: admin calls and /metrics must carry one of them in Host,
   * and each (with the scheme and port) is an audience a signed /v1/auth request may name.
   * Always accepted besides these: the listen address's names (loopback: localhost, 127.0.0.1,
   * ::1; a wildcard address: those and the addresses of this machine's interfaces)
   */
  hostNames?: string[];
  /** the base URLs user servers reach this server by (a load balancer's, say): more audiences and Host names */
  publicUrls?: string[];
  /** rate limits (limits.ts; default DEFAULT_FAILURES_PER_ADDRESS and DEFAULT_PER_USER); false: none */
  rateLimit?: RateLimitOptions | false;
  /** concurrent connections at most (default 1,024); more are closed as they arrive */
  maxConnections?: number;
  /** Unix seconds (test hook); default the system clock */
  now?: () => number;
  /** the pino logger for the server's JSON log records (default: none) … */
  logger?: Logger;
  /** … or a function given each record, parsed */
  log?: LogFunction;
}

export interface AuthServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly server: Server;
  /** the admin token (as given, or made for this server) */
  readonly adminToken: string;
  /** the audiences a signed /v1/auth request may name: origins scheme://host[:port] */
  readonly audiences: readonly string[];
  /** the server's metrics (GET /metrics renders them) */
  readonly metrics: ServerMetrics;
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
const AUDIENCE = /^https?:\/\/[^\s/]{1,255}$/;

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
  logger: Logger;
  /** info records wanted (false: skip building them) */
  logging: boolean;
  /** the events clients cause by the thousand, at most EVENT_BURST per kind and second */
  throttle: LogThrottle;
  admin: AdminAuth;
  /** admin token or metrics token */
  metricsAuth: AdminAuth;
  /** lowercase names accepted in Host (admin, /metrics) */
  hostNames: Set<string>;
  /** origins a signed request may name (filled in once the port is known) */
  audiences: Set<string>;
  failures: RateLimiter | undefined;
  perUser: RateLimiter | undefined;
  metrics: ServerMetrics;
}

/** What the handling of one request knows about it. */
interface RequestState {
  reqId: string;
  /** a valid admin token or request signature was seen: its 4xx answers are not charged to the address */
  authenticated: boolean;
}

/** A non-JSON answer (the metrics text). */
class RawBody {
  constructor(
    readonly text: string,
    readonly contentType: string,
  ) {}
}

type Handler = (req: IncomingMessage, params: string[], rs: RequestState) => Promise<[number, unknown]> | [number, unknown];
interface Route {
  name: MetricRoute;
  pattern: RegExp;
  methods: Record<string, Handler>;
  /** who may call it: everyone (undefined), admin token holders, or metrics/admin token holders */
  guard?: "admin" | "metrics";
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
  if (options.adminToken !== undefined && options.adminToken.length < 16) throw new RangeError("adminToken must be at least 16 characters");
  const adminToken = options.adminToken ?? generateAdminToken();
  const host = options.host ?? "127.0.0.1";
  const publicUrls = (options.publicUrls ?? []).map((u) => new URL(u));
  const hostNames = new Set(
    [...defaultHostNames(host), ...(options.hostNames ?? []), ...publicUrls.map((u) => u.hostname)].map(normalizeHostName),
  );
  const limiters = createLimiters(options.rateLimit);
  const logger = createLogger(options);
  const { registry, ownsRegistry } = await openRegistry(options, now);
  const ctx: ServerContext = {
    registry,
    now,
    window: options.windowSeconds ?? DEFAULT_WINDOW_SECONDS,
    requestWindow: options.requestWindowSeconds ?? DEFAULT_WINDOW_SECONDS,
    limit: options.maxBodyBytes ?? DEFAULT_BODY_LIMIT,
    logger,
    logging: logger.isLevelEnabled("info"),
    throttle: new LogThrottle(),
    admin: new AdminAuth([adminToken]),
    metricsAuth: new AdminAuth(options.metricsToken ? [adminToken, options.metricsToken] : [adminToken]),
    hostNames,
    audiences: new Set(publicUrls.map((u) => u.origin)),
    failures: limiters.failures,
    perUser: limiters.perUser,
    metrics: new ServerMetrics(registry),
  };
  const state = { closing: false };
  const routes = buildRoutes(ctx);
  const server = createListener(options, (req, res) => void handleRequest(ctx, routes, state, req, res));
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  watchClientErrors(server, (event, code) => logClientEvent(ctx, event, { code }));
  try {
    await listen(server, options.port ?? 0, host);
  } catch (e) {
    if (ownsRegistry) await registry.close();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? "https" : "http";
  for (const name of hostNames) ctx.audiences.add(originOf(scheme, name, port));
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `${scheme}://${urlHost}:${port}`,
    host,
    port,
    registry,
    server,
    adminToken,
    audiences: [...ctx.audiences],
    metrics: ctx.metrics,
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
    { name: "health", pattern: /^\/v1\/health$/, methods: { GET: () => [200, { status: "ok", schemaVersion: registry.schemaVersion }] } },
    { name: "auth", pattern: /^\/v1\/auth$/, methods: { POST: (req, _params, rs) => authenticate(ctx, req, rs) } },
    {
      name: "metrics",
      pattern: /^\/metrics$/,
      guard: "metrics",
      methods: {
        GET: async () => {
          const { text, contentType } = await ctx.metrics.render();
          return [200, new RawBody(text, contentType)];
        },
      },
    },
    { name: "admin", pattern: /^\/v1\/admin\/devices$/, guard: "admin", methods: { POST: (req, _params, rs) => addDevice(ctx, req, rs) } },
    {
      name: "admin",
      pattern: /^\/v1\/admin\/devices\/([^/]+)$/,
      guard: "admin",
      methods: {
        GET: async (_req, [tid]) => {
          const info = await registry.describeDevice(tidFrom(tid!));
          if (!info) throw new HttpError(404, "UNKNOWN_DEVICE", `device ${tid} is not registered`);
          return [200, info];
        },
      },
    },
    {
      name: "admin",
      pattern: /^\/v1\/admin\/devices\/([^/]+)\/(activate|deactivate)$/,
      guard: "admin",
      methods: { POST: async (_req, [tid, op]) => [200, await registry.setDeviceActive(tidFrom(tid!), op === "activate")] },
    },
    {
      name: "admin",
      pattern: /^\/v1\/admin\/user-servers$/,
      guard: "admin",
      methods: { POST: (req, _params, rs) => addUserServer(ctx, req, rs) },
    },
    {
      name: "admin",
      pattern: /^\/v1\/admin\/user-servers\/([^/]+)$/,
      guard: "admin",
      methods: {
        GET: async (_req, [uin]) => {
          const info = await registry.describeUserServer(uin!);
          if (!info) throw new HttpError(404, "UNKNOWN_USER", `user server ${uin} is not registered`);
          return [200, info];
        },
      },
    },
    {
      name: "admin",
      pattern: /^\/v1\/admin\/user-servers\/([^/]+)\/(activate|deactivate)$/,
      guard: "admin",
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
  const started = performance.now();
  const rs: RequestState = { reqId: requestIdOf(req), authenticated: false };
  res.setHeader("x-request-id", rs.reqId);
  const address = req.socket.remoteAddress ?? "";
  let routeName: MetricRoute = "other";
  let path: string | undefined;
  try {
    if (state.closing) throw new HttpError(503, "SHUTTING_DOWN", "the server is shutting down", { connection: "close" });
    // a client address whose unauthenticated requests keep failing is turned away before any work
    const wait = ctx.failures?.retryAfter(address) ?? 0;
    if (wait > 0) throw rateLimited(ctx, "address", wait);
    try {
      path = new URL(req.url ?? "/", "http://localhost").pathname;
    } catch {
      throw new HttpError(400, "BAD_REQUEST", "bad request target");
    }
    const route = routes.find((r) => r.pattern.test(path!));
    if (!route) throw new HttpError(404, "NOT_FOUND", `no endpoint ${path}`);
    routeName = route.name;
    const handler = route.methods[req.method ?? ""];
    if (!handler) {
      const allow = Object.keys(route.methods).join(", ");
      throw new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${path}; use ${allow}`, { allow });
    }
    if (route.guard) {
      requireToken(ctx, req, route.guard);
      rs.authenticated = true;
    }
    let params: string[];
    try {
      params = route.pattern
        .exec(path)!
        .slice(1)
        .map((s) => decodeURIComponent(s));
    } catch {
      throw new HttpError(400, "BAD_REQUEST", "bad percent-encoding in the path");
    }
    const [status, body] = await handler(req, params, rs);
    if (body instanceof RawBody) {
      res.writeHead(status, {
        "content-type": body.contentType,
        "content-length": Buffer.byteLength(body.text),
        "cache-control": "no-store",
      });
      res.end(body.text);
    } else sendJson(res, status, body);
    if (routeName === "auth") ctx.metrics.auth("ok");
    if (ctx.logging)
      ctx.logger.info({ event: "request", reqId: rs.reqId, method: req.method, path, status, ms: elapsed(started) }, "request");
  } catch (e) {
    const failure = clientFailureOf(e, req);
    if (failure) {
      // the client hung up or was too slow: nobody to answer, nothing wrong with the server (a
      // timeout was logged already, where node reported it: watchClientErrors)
      if (failure === "client-aborted") logClientEvent(ctx, failure, { reqId: rs.reqId, method: req.method, path: path ?? req.url });
      if (routeName === "auth") ctx.metrics.auth(failure);
      return;
    }
    let err: HttpError;
    if (e instanceof HttpError) err = e;
    else if (e instanceof RegistryError) err = new HttpError(REGISTRY_STATUS[e.code], e.code, e.message);
    else {
      ctx.logger.error(
        { event: "internal-error", reqId: rs.reqId, message: (e as Error).message, stack: (e as Error).stack },
        "internal-error",
      );
      err = new HttpError(500, "INTERNAL", "internal server error");
    }
    if (err.status === 413 || err.status === 429) req.resume(); // drain what the client still sends
    if (err.status >= 400 && err.status < 500 && err.status !== 429 && !rs.authenticated) ctx.failures?.take(address);
    sendError(res, err);
    if (routeName === "auth") ctx.metrics.auth(err.code);
    if (ctx.logging)
      ctx.logger.info(
        {
          event: "request",
          reqId: rs.reqId,
          method: req.method,
          path: path ?? req.url,
          status: err.status,
          code: err.code,
          ms: elapsed(started),
        },
        "request",
      );
  } finally {
    ctx.metrics.observe(routeName, (performance.now() - started) / 1000);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

/** 429 RATE_LIMITED with Retry-After, counted. */
function rateLimited(ctx: ServerContext, scope: "address" | "user", seconds: number): HttpError {
  ctx.metrics.rateLimited(scope);
  const what = scope === "address" ? "too many failed requests from this address" : "too many requests for this userUin";
  return new HttpError(429, "RATE_LIMITED", `${what}; retry in ${seconds} s`, { "retry-after": String(seconds) });
}

/** Log an event a client caused (aborted, timed out, malformed), throttled. */
function logClientEvent(ctx: ServerContext, event: string, fields: Record<string, unknown>): void {
  const suppressed = ctx.throttle.admit(event);
  if (suppressed === undefined) return;
  ctx.logger.warn({ event, ...fields, ...(suppressed > 0 ? { suppressed } : {}) }, event);
}

/** Admin calls and /metrics: a Host naming this server, no cross-site Origin, the bearer token. */
function requireToken(ctx: ServerContext, req: IncomingMessage, guard: "admin" | "metrics"): void {
  const problem = hostOrOriginProblem(req, ctx.hostNames);
  if (problem) throw new HttpError(403, problem.code, problem.message);
  const auth = guard === "admin" ? ctx.admin : ctx.metricsAuth;
  if (!auth.accepts(req.headers.authorization)) {
    const what = guard === "admin" ? "admin endpoints need" : "/metrics needs";
    throw new HttpError(401, "ADMIN_UNAUTHORIZED", `${what} Authorization: Bearer <admin token>`, { "www-authenticate": "Bearer" });
  }
}

function tidFrom(s: string): Uint8Array {
  if (!TID_HEX.test(s)) throw new HttpError(400, "BAD_REQUEST", "TID must be 16 hex characters");
  return new Uint8Array(Buffer.from(s, "hex"));
}

// ---- handlers ---------------------------------------------------------------------------------

/** POST /v1/auth: check the user server's signed request, verify the authcode, answer. */
async function authenticate(ctx: ServerContext, req: IncomingMessage, rs: RequestState): Promise<[number, unknown]> {
  const { registry, now, window, requestWindow, limit, logger } = ctx;
  // cheap checks first: shape and sizes, audience, timestamp — no key is touched before them
  const body = await readJsonBody(req, limit);
  const userUin = field.string(body, "userUin", USER_UIN, "1..64 characters of [0-9A-Za-z_.-]");
  const audience = field.string(body, "audience", AUDIENCE, "the auth server's origin, scheme://host[:port]");
  const deviceData = field.hex(body, "deviceData", 1, limit);
  const timestamp = field.integer(body, "timestamp", 0, 0xffff_ffff);
  const nonce = field.string(body, "nonce", NONCE, "16..64 characters of [0-9A-Za-z_-]");
  const signature = field.string(body, "signature", BASE64, "a base64 string");
  if (deviceData.length < AUTHCODE_MIN_SIZE || deviceData.length > AUTHCODE_MAX_SIZE) {
    throw new HttpError(422, "BAD_FORMAT", `an authcode is ${AUTHCODE_MIN_SIZE}..${AUTHCODE_MAX_SIZE} bytes, got ${deviceData.length}`);
  }
  if (!ctx.audiences.has(audience)) {
    throw new HttpError(401, "WRONG_AUDIENCE", `the request is signed for ${audience}, not for this auth server`);
  }
  const t = now();
  if (Math.abs(timestamp - t) > requestWindow) {
    throw new HttpError(401, "STALE_REQUEST", `request timestamp ${timestamp} is more than ${requestWindow} s from server time ${t}`);
  }

  // an unknown or inactive userUin is answered as a bad signature, after as much work
  const user = await registry.getUserServer(userUin);
  const known = !!user && user.active;
  const key = publicKeyOf(known ? user.publicKeyPem : DECOY_PUBLIC_KEY_PEM);
  const signed = {
    method: "POST",
    path: AUTH_PATH,
    audience,
    userUin,
    timestamp,
    nonce,
    deviceDataHex: Buffer.from(deviceData).toString("hex"),
  };
  if (!verifyRequest(key, signed, signature) || !known) {
    throw new HttpError(401, "BAD_SIGNATURE", "the request signature does not verify for this userUin (or it is no active user server)");
  }
  rs.authenticated = true;
  const wait = ctx.perUser?.take(userUin) ?? 0;
  if (wait > 0) throw rateLimited(ctx, "user", wait);
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
      suite: verified.suite,
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
  ctx.metrics.accepted(verified.suite);
  if (ctx.logging)
    logger.info(
      {
        event: "auth",
        reqId: rs.reqId,
        userUin,
        tid: Buffer.from(verified.tid).toString("hex"),
        suite: verified.suite,
        tokenIssued: sessionToken !== null,
      },
      "auth",
    );
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
async function addDevice(ctx: ServerContext, req: IncomingMessage, rs: RequestState): Promise<[number, unknown]> {
  const body = await readJsonBody(req, ctx.limit);
  const tid = field.hex(body, "tid", 8, 8);
  const label = field.optionalString(body, "label", 200);
  const active = field.optionalBoolean(body, "active");
  const replace = field.optionalBoolean(body, "replace");
  const owner = field.optionalString(body, "owner", 64);
  if (owner !== undefined && !USER_UIN.test(owner))
    throw new HttpError(400, "BAD_REQUEST", "owner must be a user server's userUin (1..64 of [0-9A-Za-z_.-])");
  const suite = suiteField(body);
  const psk = field.hex(body, "psk", 16, 16); // last, so that no refusal above leaves a copy unwiped
  let info;
  try {
    info = await ctx.registry.addDevice(tid, psk, { label, active, replace, suite, ...(owner !== undefined ? { owner } : {}) });
  } finally {
    psk.fill(0);
  }
  ctx.logger.info({ event: "device-registered", reqId: rs.reqId, tid: info.tid, suite: info.suite }, "device-registered");
  return [201, info];
}

/** The `suite` of a device registration: absent is "sm"; anything but a suite name is 400. */
function suiteField(body: Record<string, unknown>): SuiteName {
  const v = body.suite;
  if (v === undefined) return "sm";
  if (typeof v !== "string" || !(SUITE_NAMES as readonly string[]).includes(v)) {
    const names = SUITE_NAMES.map((n) => JSON.stringify(n)).join(" or ");
    throw new HttpError(
      400,
      "BAD_REQUEST",
      `suite must be ${names} (docs/protocol.md "Algorithm suites"), got ${JSON.stringify(v) ?? String(v)}`,
    );
  }
  return v as SuiteName;
}

/** POST /v1/admin/user-servers: register (or, with replace, re-key) a user server. */
async function addUserServer(ctx: ServerContext, req: IncomingMessage, rs: RequestState): Promise<[number, unknown]> {
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
  ctx.logger.info({ event: "user-server-registered", reqId: rs.reqId, userUin }, "user-server-registered");
  return [201, info];
}
