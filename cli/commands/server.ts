// `tid server`: run the reference TID auth server (server/app/auth-server.ts, docs/server.md
// "Running it") in the foreground until SIGINT/SIGTERM — the counterpart that `tid keygen
// --server`, `tid provision` and `tid auth` talk to. The app comes from @tid-wasm/server, loaded
// only here and in `tid demo` (cli/server-app.ts).
//
// Order, so that a wrong invocation creates nothing: every option is checked first (usage errors,
// exit 2: ranges, pairs, the plain-http rule, the input files — TLS key and certificate, the
// master key — and the registry's directory); only then is a missing master key created
// (--create-master-key) and the registry opened. If the server then fails to start, a master key
// and a registry created by this run are removed again.
//
// The master key may come from $TID_SERVER_MASTER_KEY instead of a file. The admin token (always
// required by the admin API) comes from $TID_SERVER_ADMIN_TOKEN, never from argv, or else from the
// token file (--admin-token-file, default REGISTRY.admin-token), which the first start makes
// (0600) and announces once on stderr. Prints one JSON line
// {"listening": url, "port": n, "adminTokenFile": path} on stdout once it listens.
import { rmSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { AuthServerOptions, BucketRate, RateLimitOptions } from "../../server/app/index.js";
import { EXIT_OK, UsageError, parseCommandArgs, type CliCommand, type CliIo } from "../command.js";
import { isLoopbackHost } from "../options.js";
import { fileKind, readOptionFile } from "../option-file.js";
import { loadServerApp, type ServerAppModule } from "../server-app.js";

const USAGE = `usage: tid server --db FILE|URL (--master-key-file FILE [--create-master-key] | $TID_SERVER_MASTER_KEY)
                  [--host 127.0.0.1] [--port 0] [--tls-key PEM --tls-cert PEM] [--window 300]
                  [--host-name NAME]… [--public-url URL]… [--admin-token-file FILE]
                  [--failure-rate N[:BURST]] [--user-rate N[:BURST]] [--max-connections N]
                  [--max-body 16384] [--workers 1] [--log]

Run the reference TID auth server until Ctrl-C. Prints one JSON line {"listening": URL, "port": N}
once it listens.

  --db FILE|URL           the registry (devices, user servers, replay caches): a SQLite file, made
                          on the first run (its directory must exist), or a PostgreSQL database
                          postgres://user:password@host:5432/dbname that several instances share
  --master-key-file FILE  the master key (64 hex digits, mode 0600) that seals every device PSK in
                          the registry; keep it with the registry: without it the registry is useless
  --create-master-key     if --master-key-file does not exist, make it (a new random key, 0600) —
                          the first run; an existing key is never replaced
  --host ADDRESS          listen on this address (default 127.0.0.1, loopback). Plain http is for
                          loopback only: any other address needs --tls-key and --tls-cert
  --port N                0..65535 (default 0: a free port, printed in the JSON line)
  --tls-key PEM, --tls-cert PEM   serve https with this key and certificate
  --window SECONDS        accepted |device clock − server clock|, 1..86400 (default 300)
  --host-name NAME        a name clients reach this server by (repeatable): admin calls and /metrics
                          must carry one in Host, signed requests may name it (the listen
                          address's names are always accepted; loopback: localhost, 127.0.0.1, ::1)
  --public-url URL        a base URL user servers reach this server by, e.g. a load balancer's
                          https://tid.example.com (repeatable): its origin is an accepted audience
  --admin-token-file FILE the admin token (default: REGISTRY.admin-token); made (0600) and printed
                          once on stderr on the first start. $TID_SERVER_ADMIN_TOKEN overrides it
  --failure-rate N[:B]    unauthenticated 4xx answers per client address and second before 429
                          (default 20:200; 0 = no limit)
  --user-rate N[:B]       authenticated /v1/auth requests per userUin and second (default 5000:10000;
                          0 = no limit)
  --max-connections N     concurrent connections, 1..1000000 (default 1024)
  --max-body BYTES        largest request body, 1024..1048576 (default 16384)
  --workers N             server processes on the one port, 1..64 (default 1; one per core uses
                          every core, see docs/server.md "Using every core")
  --log                   JSON log lines (pino) on stderr, one per request, with its request id

Admin calls and GET /metrics need the admin token (Authorization: Bearer); set
$TID_SERVER_METRICS_TOKEN for a second token good for /metrics only. Set TID_INSECURE_HTTP=1 to
serve plain http on another address anyway (a lab network, at your own risk). See docs/server.md.

Exit codes: 0 stopped cleanly, 1 failed, 2 usage error.`;

const OPTIONS = {
  db: { type: "string" },
  "master-key-file": { type: "string" },
  "create-master-key": { type: "boolean" },
  host: { type: "string" },
  port: { type: "string" },
  "tls-key": { type: "string" },
  "tls-cert": { type: "string" },
  window: { type: "string" },
  "max-body": { type: "string" },
  "host-name": { type: "string", multiple: true },
  "public-url": { type: "string", multiple: true },
  "admin-token-file": { type: "string" },
  "failure-rate": { type: "string" },
  "user-rate": { type: "string" },
  "max-connections": { type: "string" },
  workers: { type: "string" },
  log: { type: "boolean" },
} as const;

/** What an admin or metrics token looks like (server/app/admin-token.ts). */
const ADMIN_TOKEN = /^[A-Za-z0-9_-]{32,256}$/;

/** A TLS key or certificate is a few KiB; a chain of several certificates stays well under this. */
const MAX_PEM_BYTES = 1 << 20;

/** Where the master key comes from. */
type MasterKeySource = { env: string } | { file: string; create: boolean };

/** The checked options: nothing here has touched the file system yet. */
interface ServerPlan {
  db: string;
  masterKey: MasterKeySource;
  host: string;
  port: number;
  tls?: { key: string; cert: string };
  windowSeconds?: number;
  maxBodyBytes?: number;
  workers: number;
  log: boolean;
  /** the admin token from the environment, or the file that holds it (made if missing) */
  adminToken: { env: string } | { file: string } | { fresh: true };
  metricsToken?: string;
  hostNames?: string[];
  publicUrls?: string[];
  rateLimit: RateLimitOptions;
  maxConnections?: number;
}

/** --failure-rate / --user-rate: "N" or "N:BURST" (burst default 10 × N for failures, 2 × N per user); "0": no limit. */
function rateOption(name: string, v: string | undefined, burstFactor: number): BucketRate | false | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{1,7})(?::(\d{1,8}))?$/.exec(v);
  if (!m) throw new UsageError(`--${name} must be N or N:BURST (whole numbers; 0 = no limit), got ${JSON.stringify(v)}`);
  const perSecond = Number(m[1]);
  if (perSecond === 0) return false;
  const burst = m[2] !== undefined ? Number(m[2]) : perSecond * burstFactor;
  if (burst < 1) throw new UsageError(`--${name}: the burst must be at least 1`);
  return { perSecond, burst };
}

function integerOption(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** Check every option, touching nothing. @throws UsageError */
function planFromArgs(argv: string[], env: Record<string, string | undefined>): ServerPlan {
  const { values } = parseCommandArgs(argv, OPTIONS, { positionals: false });
  if (!values.db) throw new UsageError("--db FILE|URL is required (the registry: a SQLite file or a postgres:// URL)");
  const port = integerOption("port", values.port, 0, 65535) ?? 0;
  const windowSeconds = integerOption("window", values.window, 1, 86400);
  const maxBodyBytes = integerOption("max-body", values["max-body"], 1024, 1 << 20);
  const maxConnections = integerOption("max-connections", values["max-connections"], 1, 1_000_000);
  const failures = rateOption("failure-rate", values["failure-rate"], 10);
  const perUser = rateOption("user-rate", values["user-rate"], 2);
  for (const name of values["host-name"] ?? []) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[0-9A-Za-z.:-]{1,253})$/.test(name))
      throw new UsageError(`--host-name ${JSON.stringify(name)}: not a host name or address`);
  }
  for (const u of values["public-url"] ?? []) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(u);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
      throw new UsageError(`--public-url ${JSON.stringify(u)}: not an http(s) URL`);
  }
  if (/^postgres(ql)?:\/\//i.test(values.db) && !URL.canParse(values.db)) throw new UsageError("--db: not a valid postgres:// URL");
  let adminToken: ServerPlan["adminToken"];
  if (env.TID_SERVER_ADMIN_TOKEN) {
    if (values["admin-token-file"] !== undefined) throw new UsageError("give --admin-token-file or set $TID_SERVER_ADMIN_TOKEN, not both");
    if (!ADMIN_TOKEN.test(env.TID_SERVER_ADMIN_TOKEN))
      throw new UsageError("$TID_SERVER_ADMIN_TOKEN: an admin token is 32..256 characters of [A-Za-z0-9_-]");
    adminToken = { env: "TID_SERVER_ADMIN_TOKEN" };
  } else if (values["admin-token-file"] !== undefined) {
    adminToken = { file: values["admin-token-file"] };
  } else if (values.db === ":memory:") {
    adminToken = { fresh: true };
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(values.db)) {
    throw new UsageError("--db is not a file: give --admin-token-file FILE (or set $TID_SERVER_ADMIN_TOKEN) for the admin token");
  } else {
    adminToken = { file: `${values.db}.admin-token` };
  }
  if (env.TID_SERVER_METRICS_TOKEN !== undefined && !ADMIN_TOKEN.test(env.TID_SERVER_METRICS_TOKEN))
    throw new UsageError("$TID_SERVER_METRICS_TOKEN: a token is 32..256 characters of [A-Za-z0-9_-]");
  const workers = integerOption("workers", values.workers, 1, 64) ?? 1;
  const host = values.host ?? "127.0.0.1";
  if (host.length === 0) throw new UsageError("--host must not be empty");
  if ((values["tls-key"] === undefined) !== (values["tls-cert"] === undefined))
    throw new UsageError("--tls-key and --tls-cert go together");
  const tls = values["tls-key"] !== undefined ? { key: values["tls-key"], cert: values["tls-cert"]! } : undefined;
  if (!tls && !isLoopbackHost(host) && env.TID_INSECURE_HTTP !== "1") {
    throw new UsageError(
      `--host ${host}: plain http off loopback would carry admin tokens and device PSKs in clear; give --tls-key and --tls-cert (or set TID_INSECURE_HTTP=1 to allow it)`,
    );
  }
  let masterKey: MasterKeySource;
  if (env.TID_SERVER_MASTER_KEY) {
    if (values["master-key-file"] !== undefined) throw new UsageError("give --master-key-file or set $TID_SERVER_MASTER_KEY, not both");
    if (values["create-master-key"]) throw new UsageError("--create-master-key goes with --master-key-file");
    masterKey = { env: "TID_SERVER_MASTER_KEY" };
  } else {
    if (values["master-key-file"] === undefined)
      throw new UsageError("give --master-key-file FILE (add --create-master-key on the first run) or set $TID_SERVER_MASTER_KEY");
    masterKey = { file: values["master-key-file"], create: values["create-master-key"] === true };
  }
  return {
    db: values.db,
    masterKey,
    host,
    port,
    workers,
    log: values.log === true,
    ...(tls ? { tls } : {}),
    ...(windowSeconds !== undefined ? { windowSeconds } : {}),
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
    adminToken,
    ...(env.TID_SERVER_METRICS_TOKEN ? { metricsToken: env.TID_SERVER_METRICS_TOKEN } : {}),
    ...(values["host-name"] ? { hostNames: values["host-name"] } : {}),
    ...(values["public-url"] ? { publicUrls: values["public-url"] } : {}),
    rateLimit: { ...(failures !== undefined ? { failuresPerAddress: failures } : {}), ...(perUser !== undefined ? { perUser } : {}) },
    ...(maxConnections !== undefined ? { maxConnections } : {}),
  };
}

/** The admin token as the plan says; a token file made now is announced once on stderr. */
function adminTokenOf(app: ServerAppModule, plan: ServerPlan, io: CliIo, created: { adminTokenFile?: string }): string {
  const source = plan.adminToken;
  if ("env" in source) return io.env[source.env]!;
  if ("fresh" in source) {
    const token = app.generateAdminToken();
    io.err(`tid server: admin token for this in-memory registry (not stored; shown only now): ${token}`);
    return token;
  }
  const { token, created: made } = app.loadOrCreateAdminToken(source.file);
  if (made) {
    created.adminTokenFile = source.file;
    io.err(`tid server: made the admin token, stored in ${source.file} (mode 0600; shown only now): ${token}`);
  }
  return token;
}

/** Read the TLS key and certificate: regular files, PEM. @throws UsageError */
function readTls(tls: { key: string; cert: string }): { key: Buffer; cert: Buffer } {
  const key = readOptionFile("--tls-key", tls.key, { maxBytes: MAX_PEM_BYTES, what: "PEM private key" }).bytes;
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString("latin1")))
    throw new UsageError(`--tls-key ${tls.key}: not a PEM private key`);
  const cert = readOptionFile("--tls-cert", tls.cert, { maxBytes: MAX_PEM_BYTES, what: "PEM certificate" }).bytes;
  if (!cert.includes("-----BEGIN CERTIFICATE-----")) throw new UsageError(`--tls-cert ${tls.cert}: not a PEM certificate`);
  return { key, cert };
}

/** The registry's file: its directory exists; the file, if there, is a regular file. @throws UsageError */
function checkDbPath(db: string): boolean {
  if (db === ":memory:") return false;
  if (/^postgres(ql)?:\/\//i.test(db)) {
    if (!URL.canParse(db)) throw new UsageError("--db: not a valid postgres:// URL");
    return true; // a database server's: never created nor removed here
  }
  const dir = dirname(resolve(db));
  const d = statSync(dir, { throwIfNoEntry: false });
  if (!d) throw new UsageError(`--db ${db}: the directory ${dir} does not exist; create it first (mkdir -p ${dir})`);
  if (!d.isDirectory()) throw new UsageError(`--db ${db}: ${dir} is not a directory`);
  const f = statSync(db, { throwIfNoEntry: false });
  if (f && !f.isFile()) throw new UsageError(`--db ${db}: ${fileKind(f)}, not a registry file`);
  return f !== undefined;
}

/**
 * The master key, as the plan says: from the environment, from an existing file (checked by the
 * app: regular file, format, mode 0600), or — with --create-master-key and no file yet — none yet
 * (`create`: the caller makes it once everything else holds).
 */
function existingMasterKey(app: ServerAppModule, source: MasterKeySource, env: Record<string, string | undefined>): Uint8Array | "create" {
  if ("env" in source) {
    try {
      return app.masterKeyFromEnv(env as NodeJS.ProcessEnv)!;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const st = statSync(source.file, { throwIfNoEntry: false });
  if (!st) {
    if (source.create) return "create";
    throw new UsageError(`--master-key-file ${source.file}: no such file; on the first run add --create-master-key to make one`);
  }
  // a regular file of at most 1 KiB holding 64 hex digits (usage errors); then the app reads it
  // for real and checks its mode
  const { bytes } = readOptionFile("--master-key-file", source.file, { maxBytes: app.MAX_MASTER_KEY_FILE_BYTES, what: "master key file" });
  try {
    app.parseMasterKey(bytes.toString("latin1"), source.file).fill(0);
  } catch {
    throw new UsageError(`--master-key-file ${source.file}: not a master key file (64 hex digits)`);
  } finally {
    bytes.fill(0);
  }
  return app.readMasterKeyFile(source.file);
}

/** Remove what a failed start created: the new master key and admin token, and the registry if it is new too. */
function removeCreated(created: { masterKeyFile?: string; adminTokenFile?: string; db?: string }): void {
  if (created.masterKeyFile) rmSync(created.masterKeyFile, { force: true });
  if (created.adminTokenFile) rmSync(created.adminTokenFile, { force: true });
  if (created.db) for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(created.db + suffix, { force: true });
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

async function run(argv: string[], io: CliIo): Promise<number> {
  // 1. check everything, creating nothing
  const plan = planFromArgs(argv, io.env);
  const tls = plan.tls ? readTls(plan.tls) : undefined;
  const dbExisted = checkDbPath(plan.db);
  const app = await loadServerApp();
  const found = existingMasterKey(app, plan.masterKey, io.env);

  // 2. create what is missing, start; on failure take back what this run created
  const created: { masterKeyFile?: string; adminTokenFile?: string; db?: string } = {};
  let masterKey: Uint8Array;
  if (found === "create") {
    const file = (plan.masterKey as { file: string }).file;
    masterKey = app.createMasterKeyFile(file);
    created.masterKeyFile = file;
  } else {
    masterKey = found;
  }
  if (!dbExisted && plan.db !== ":memory:") created.db = plan.db;
  let adminToken: string;
  try {
    adminToken = adminTokenOf(app, plan, io, created);
  } catch (e) {
    masterKey.fill(0);
    removeCreated(created);
    throw e;
  }
  const options: AuthServerOptions = {
    db: plan.db,
    masterKey,
    host: plan.host,
    port: plan.port,
    ...(tls ? { tls } : {}),
    ...(plan.windowSeconds !== undefined ? { windowSeconds: plan.windowSeconds } : {}),
    ...(plan.maxBodyBytes !== undefined ? { maxBodyBytes: plan.maxBodyBytes } : {}),
    adminToken,
    ...(plan.metricsToken ? { metricsToken: plan.metricsToken } : {}),
    ...(plan.hostNames ? { hostNames: plan.hostNames } : {}),
    ...(plan.publicUrls ? { publicUrls: plan.publicUrls } : {}),
    rateLimit: plan.rateLimit,
    ...(plan.maxConnections !== undefined ? { maxConnections: plan.maxConnections } : {}),
    ...(plan.log ? { logger: app.jsonLinesLogger((line) => io.err(line)) } : {}),
  };
  let server: { url: string; port: number; close(): Promise<void> };
  try {
    server =
      plan.workers > 1
        ? await app.startAuthCluster({
            ...options,
            db: plan.db,
            masterKey,
            workers: plan.workers,
            logRequests: plan.log,
            log: (r) => io.err(JSON.stringify({ t: new Date().toISOString(), ...r })),
          })
        : await app.startAuthServer(options);
  } catch (e) {
    removeCreated(created);
    throw e;
  } finally {
    masterKey.fill(0);
  }

  // 3. serve until Ctrl-C / SIGTERM
  const tokenFile = "file" in plan.adminToken ? plan.adminToken.file : undefined;
  io.out(JSON.stringify({ listening: server.url, port: server.port, ...(tokenFile ? { adminTokenFile: tokenFile } : {}) }));
  await waitForSignal();
  await server.close();
  return EXIT_OK;
}

export const server: CliCommand = {
  name: "server",
  summary: "run the reference TID auth server (loopback by default) until Ctrl-C",
  usage: USAGE,
  run,
};
