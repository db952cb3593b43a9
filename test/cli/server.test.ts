// `tid server` (cli/commands/server.ts): the compiled CLI starts the reference auth server, which
// answers on loopback and stops cleanly on SIGTERM; the auth server app loads through its one
// loader (cli/server-app.ts). Every wrong option is a usage error (exit 2) that creates nothing —
// ranges, pairs, the plain-http rule, input files that are missing, not regular files (a FIFO
// must not hang it), too large or of the wrong format; a master key that others may read fails
// (exit 1) after its format was checked; a server that cannot start (port taken) removes the master
// key, the admin token file and the registry it had just created. The first start makes the admin
// token file (0600, next to the registry) and prints the token once; later starts use it.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tid } from "../support/cli.js";
import { loadServerApp, SERVER_APP_CANDIDATES } from "../../cli/server-app.js";
import { builtTid, ROOT } from "../support/server-child.js";

const root = mkdtempSync(join(tmpdir(), "tid-cli-server-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh empty directory per case, so "nothing created" can be checked by listing it. */
const freshDir = (): string => {
  const d = join(root, `case-${n++}`);
  mkdirSync(d);
  return d;
};

describe("tid server", () => {
  /** Run `tid server ARGS` until it listens; then SIGTERM it. Its first stdout line, its stderr, its exit code. */
  async function runServer(args: string[], whileUp: (listening: string) => Promise<void> = async () => {}) {
    const child = spawn(process.execPath, [builtTid(), "server", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        const nl = buf.indexOf("\n");
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      child.on("exit", (code) => reject(new Error(`server exited early with ${code}: ${err}`)));
    });
    const parsed = JSON.parse(line) as { listening: string; port: number; adminTokenFile?: string };
    await whileUp(parsed.listening);
    child.kill("SIGTERM");
    return { ...parsed, code: await exited, err };
  }

  it("listens on loopback, answers /v1/health, exits 0 on SIGTERM; the admin token: made 0600 next to the registry, printed once", async () => {
    const dir = freshDir();
    const args = ["--db", join(dir, "r.db"), "--master-key-file", join(dir, "mk"), "--create-master-key"];
    const first = await runServer(args, async (listening) => {
      const res = await fetch(`${listening}/v1/health`);
      expect(res.status).toBe(200);
    });
    expect(first.listening).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.code).toBe(0);
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(["mk", "r.db", "r.db.admin-token"]));
    const tokenFile = join(dir, "r.db.admin-token");
    expect(first.adminTokenFile).toBe(tokenFile);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, "utf8").trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.err).toContain(`made the admin token, stored in ${tokenFile} (mode 0600; shown only now): ${token}`);

    const second = await runServer(args, async (listening) => {
      const unauthorized = await fetch(`${listening}/v1/admin/user-servers/nobody`);
      expect(unauthorized.status).toBe(401);
      const known = await fetch(`${listening}/v1/admin/user-servers/nobody`, { headers: { authorization: `Bearer ${token}` } });
      expect([known.status, ((await known.json()) as { error: { code: string } }).error.code]).toEqual([404, "UNKNOWN_USER"]);
    });
    expect(second.code).toBe(0);
    expect(second.err).not.toContain(token); // printed once only
    expect(readFileSync(tokenFile, "utf8").trim()).toBe(token);
  });

  it("--log: pino JSON lines on stderr with the request id; the rate and connection options are taken", async () => {
    const dir = freshDir();
    const args = ["--db", join(dir, "r.db"), "--master-key-file", join(dir, "mk"), "--create-master-key", "--log"];
    const run = await runServer([...args, "--failure-rate", "5:10", "--user-rate", "0", "--max-connections", "64"], async (listening) => {
      const res = await fetch(`${listening}/v1/health`, { headers: { "x-request-id": "cli-log-check-1" } });
      expect(res.headers.get("x-request-id")).toBe("cli-log-check-1");
    });
    expect(run.code).toBe(0);
    const records = run.err
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((r) => r.reqId === "cli-log-check-1")).toMatchObject({
      event: "request",
      method: "GET",
      path: "/v1/health",
      status: 200,
      level: 30,
      msg: "request",
    });
  });

  it("an admin token file others may read fails (exit 1) with the chmod to run", async () => {
    const dir = freshDir();
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "t".repeat(43) + "\n");
    chmodSync(tokenFile, 0o644);
    const key = join(dir, "mk");
    writeFileSync(key, "ab".repeat(32) + "\n", { mode: 0o600 });
    const r = await tid(["server", "--db", join(dir, "r.db"), "--master-key-file", key, "--admin-token-file", tokenFile]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/token: mode 644 lets others read the admin token; run `chmod 600 .*token`/);
    expect(readdirSync(dir).sort()).toEqual(["mk", "token"]);
  });

  it("loads the auth server app through its one loader, first from the compiled tree", async () => {
    expect(SERVER_APP_CANDIDATES).toEqual(["../server/app/index.js", "@tid-wasm/server/app"]);
    const app = await loadServerApp();
    expect(typeof app.startAuthServer).toBe("function");
    expect(typeof app.readMasterKeyFile).toBe("function");
  });

  it("the loader: the compiled tree, else @tid-wasm/server/app, else 'install @tid-wasm/server'; a broken install says what broke", () => {
    builtTid(); // dist/ is current
    const loaded = (tree: string): string => {
      const script = `import(${JSON.stringify(join(tree, "cli", "server-app.js"))}).then((m) => m.loadServerApp()).then((app) => console.log("loaded " + Object.keys(app).join(",")), (e) => console.log("error " + e.message))`;
      return execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim();
    };
    const tree = freshDir();
    mkdirSync(join(tree, "cli"));
    copyFileSync(join(ROOT, "dist", "cli", "server-app.js"), join(tree, "cli", "server-app.js"));
    writeFileSync(join(tree, "package.json"), '{"type":"module"}');
    expect(loaded(tree)).toBe(
      "error the reference auth server is not installed: it ships as its own package, `npm install @tid-wasm/server` (it builds SQLite)",
    );
    const pkg = join(tree, "node_modules", "@tid-wasm", "server");
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({ name: "@tid-wasm/server", type: "module", exports: { "./app": "./app.js" } }),
    );
    writeFileSync(join(pkg, "app.js"), "export const fromThePackage = true;\n");
    expect(loaded(tree)).toBe("loaded fromThePackage");
    mkdirSync(join(tree, "server", "app"), { recursive: true });
    writeFileSync(join(tree, "server", "app", "index.js"), "export const fromTheTree = true;\n");
    expect(loaded(tree)).toBe("loaded fromTheTree");
    writeFileSync(join(tree, "server", "app", "index.js"), 'import "./gone.js";\n');
    expect(loaded(tree)).toMatch(/^error Cannot find module '.*gone\.js' imported from /);
  });

  it("every wrong option is a usage error (exit 2) naming it, and creates nothing", async () => {
    const fifoDir = freshDir();
    const fifo = join(fifoDir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const notKey = join(fifoDir, "not-a-key");
    writeFileSync(notKey, "hello\n", { mode: 0o600 });
    const big = join(fifoDir, "big");
    writeFileSync(big, "a".repeat(4096), { mode: 0o600 });
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [[], /--db FILE\|URL is required/],
      [["--workers", "0"], /--workers must be an integer in 1\.\.64, got "0"/],
      [["--workers", "65"], /--workers must be an integer in 1\.\.64/],
      [["--db", "postgres://[nope"], /--db: not a valid postgres:\/\/ URL/],
      [["--port", "99999"], /--port must be an integer in 0\.\.65535, got "99999"/],
      [["--port=-1"], /--port must be an integer/],
      [["--port", "80x"], /--port must be an integer/],
      [["--window", "0"], /--window must be an integer in 1\.\.86400/],
      [["--max-body", "12"], /--max-body must be an integer in 1024\.\.1048576/],
      [["--tls-key", "k.pem"], /--tls-key and --tls-cert go together/],
      [["--host", "0.0.0.0"], /--host 0\.0\.0\.0: plain http off loopback .* give --tls-key and --tls-cert/],
      [["--tls-key", join(fifoDir, "nope.pem"), "--tls-cert", notKey], /--tls-key .*nope\.pem: no such file/],
      [["--tls-key", fifo, "--tls-cert", notKey], /--tls-key .*fifo: a FIFO, not the PEM private key it should be/],
      [["--tls-key", notKey, "--tls-cert", notKey], /--tls-key .*not-a-key: not a PEM private key/],
      [["--db", join(fifoDir, "no-dir", "r.db")], /--db .*r\.db: the directory .*no-dir does not exist; create it first/],
      [["--db", fifo], /--db .*fifo: a FIFO, not a registry file/],
      [
        ["--master-key-file", join(fifoDir, "missing.key")],
        /--master-key-file .*missing\.key: no such file; on the first run add --create-master-key/,
      ],
      [["--master-key-file", fifo], /--master-key-file .*fifo: a FIFO/],
      [["--master-key-file", big], /--master-key-file .*big: 4096 bytes, larger than a master key file can be/],
      [["--master-key-file", notKey], /--master-key-file .*not-a-key: not a master key file \(64 hex digits\)/],
      [["--master-key-file", "/dev/urandom"], /--master-key-file \/dev\/urandom: a character device/],
      [[], /TID_SERVER_MASTER_KEY: the master key must be 64 hex characters/, { TID_SERVER_MASTER_KEY: "abc" }],
      [["--master-key-file", notKey], /not both/, { TID_SERVER_MASTER_KEY: "00".repeat(32) }],
      [["--unknown"], /Unknown option '--unknown'/],
      [["--failure-rate", "fast"], /--failure-rate must be N or N:BURST/],
      [["--user-rate", "10:0"], /--user-rate: the burst must be at least 1/],
      [["--max-connections", "0"], /--max-connections must be an integer in 1\.\.1000000/],
      [["--host-name", "a b"], /--host-name "a b": not a host name or address/],
      [["--public-url", "ftp://tid.example"], /--public-url "ftp:\/\/tid\.example": not an http\(s\) URL/],
      [[], /\$TID_SERVER_ADMIN_TOKEN: an admin token is 32\.\.256 characters/, { TID_SERVER_ADMIN_TOKEN: "short" }],
    ];
    for (const [extra, why, env] of cases) {
      const dir = freshDir();
      const defaults = extra.includes("--db") || (extra.length === 0 && !env) ? [] : ["--db", join(dir, "r.db")];
      const key = extra.includes("--master-key-file") || env ? [] : ["--master-key-file", join(dir, "mk"), "--create-master-key"];
      const args = ["server", ...defaults, ...(extra.length === 0 && !env ? [] : key), ...extra];
      const r = await tid(args, env);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
      expect(r.err).toMatch(why);
      expect(r.err).toMatch(/usage: tid server --db FILE/);
      expect([args.join(" "), readdirSync(dir)]).toEqual([args.join(" "), []]);
    }
    expect(readdirSync(fifoDir).sort()).toEqual(["big", "fifo", "not-a-key"]);
  });

  it("a master key file others may read fails (exit 1) with the chmod to run; nothing is created", async () => {
    const dir = freshDir();
    const key = join(dir, "master.key");
    writeFileSync(key, "ab".repeat(32) + "\n");
    chmodSync(key, 0o644);
    const r = await tid(["server", "--db", join(dir, "r.db"), "--master-key-file", key]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/mode 644 lets others read the master key; run `chmod 600 .*master\.key`/);
    expect(readdirSync(dir)).toEqual(["master.key"]);
  });

  it("a server that cannot start (port taken) exits 1 and removes the master key and registry it created", async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const dir = freshDir();
      const r = await tid([
        "server",
        "--db",
        join(dir, "r.db"),
        "--master-key-file",
        join(dir, "mk"),
        "--create-master-key",
        "--port",
        String(port),
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/EADDRINUSE/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      taken.close();
    }
  });
});
