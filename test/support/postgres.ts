// Test helper: a PostgreSQL for the registry tests. TID_TEST_POSTGRES_URL (a database whose user
// may CREATE DATABASE) when set; otherwise a throwaway cluster of the locally installed server —
// initdb into a temp dir, pg_ctl start on a free 127.0.0.1 port with its socket in that dir,
// fsync off (these tests are about the registry's logic, not the disk) — run as the `postgres`
// user (or `nobody`) when we are root, since postgres refuses to run as root. Without either,
// `skip` says how to get one. Every freshDatabase() is a new, empty database.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import pg from "pg";

export const POSTGRES_URL_ENV = "TID_TEST_POSTGRES_URL";

export interface TestPostgres {
  /** a URL of a new, empty database */
  freshDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** Where initdb and pg_ctl are: $PATH, then Debian's /usr/lib/postgresql/<version>/bin (newest first). */
function postgresBin(): string | undefined {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian))
    dirs.push(
      ...readdirSync(debian)
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join(debian, v, "bin")),
    );
  return dirs.find((d) => existsSync(join(d, "initdb")) && existsSync(join(d, "pg_ctl")));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The user to run postgres as when we are root: postgres if it exists, else nobody. */
function runAsUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync("/etc/passwd", "utf8").split("\n");
  for (const name of ["postgres", "nobody"]) {
    const f = passwd.find((l) => l.startsWith(`${name}:`))?.split(":");
    if (f) return { name, uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error("running as root and neither a postgres nor a nobody user exists to run PostgreSQL as");
}

async function createDatabaseOn(adminUrl: string): Promise<string> {
  const name = `tid_test_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A PostgreSQL to test against, or why there is none. */
export async function startTestPostgres(): Promise<TestPostgres | { skip: string }> {
  const given = process.env[POSTGRES_URL_ENV];
  if (given) return { freshDatabase: () => createDatabaseOn(given), stop: async () => {} };
  const bin = postgresBin();
  if (!bin) {
    return {
      skip: `no PostgreSQL: install it (Debian: apt-get install postgresql; initdb and pg_ctl are looked for on PATH and in /usr/lib/postgresql/*/bin) or set ${POSTGRES_URL_ENV}=postgres://user:password@host:5432/db (a user that may CREATE DATABASE)`,
    };
  }
  const user = runAsUser();
  const dir = mkdtempSync(join(tmpdir(), "tid-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = user ? ["runuser", ["-u", user.name, "--", join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: "utf8", cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  };
  const port = await freePort();
  try {
    run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    run("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "log"),
      "-w",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`,
      "start",
    ]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    freshDatabase: () => createDatabaseOn(adminUrl),
    stop: async () => {
      try {
        const args = ["-D", data, "-m", "immediate", "-w", "stop"];
        if (user) execFileSync("runuser", ["-u", user.name, "--", join(bin, "pg_ctl"), ...args], { stdio: "ignore" });
        else execFileSync(join(bin, "pg_ctl"), args, { stdio: "ignore" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
