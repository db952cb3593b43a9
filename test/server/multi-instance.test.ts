// Several auth server processes on one registry never accept the same authcode twice: the replay
// caches are rows with unique keys in the shared database, not process memory. Two `tid server`
// processes on one PostgreSQL (test/support/postgres.ts; skipped with a message without one), and
// one `tid server --workers 2` cluster on a SQLite file (two processes writing one file), each get
// the same authcode from two user-server requests at once: exactly one 200, the other 409 REPLAY.
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
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
  TidServerError,
  type AuthDeviceResult,
} from "../../server/sdk/index.js";
import { createMasterKeyFile } from "../../server/app/index.js";
import { buildAuthcode, finishDevice } from "../../reference/index.js";
import { spawnServer, type ChildServer } from "../support/server-child.js";
import { startTestPostgres } from "../support/postgres.js";

const dir = mkdtempSync(join(tmpdir(), "tid-multi-"));
const keyFile = join(dir, "master.key");
createMasterKeyFile(keyFile);
const keys = keygen(join(dir, "keys"));
const privateKey = readFileSync(keys.privateKeyPath, "utf8");
const USER = "100000000001";
const postgres = await startTestPostgres();
if ("skip" in postgres) console.warn(`multi-instance.test.ts: the PostgreSQL case is skipped: ${postgres.skip}`);

const children: ChildServer[] = [];
afterAll(async () => {
  destroyAgents();
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          if (c.child.exitCode !== null) return resolve(null);
          c.child.once("exit", resolve);
          c.child.kill("SIGTERM");
        }),
    ),
  );
  if (!("skip" in postgres)) await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One admin token for every instance (on PostgreSQL the registry is shared, so is the admin API's key). */
const ADMIN_TOKEN = randomBytes(24).toString("base64url");

async function start(args: string[]): Promise<ChildServer> {
  const c = await spawnServer(["--master-key-file", keyFile, ...args], { TID_SERVER_ADMIN_TOKEN: ADMIN_TOKEN });
  children.push(c);
  return c;
}

/** The same authcode to `urls[0]` and `urls[1]` at once, `rounds` times; every round: one token, one REPLAY. */
async function raceSameAuthcode(urls: [string, string], rounds: number): Promise<void> {
  const tid = new Uint8Array(randomBytes(8));
  const psk = new Uint8Array(randomBytes(16));
  await registerDevice({ url: urls[0], adminToken: ADMIN_TOKEN }, { tid, psk });
  for (let i = 0; i < rounds; i++) {
    const { authcode, pending } = buildAuthcode({ tid, psk, time: Math.floor(Date.now() / 1000) });
    const got = await Promise.allSettled(urls.map((url) => authDevice(USER, privateKey, authcode, { url })));
    const won = got.filter((g) => g.status === "fulfilled");
    const lost = got.filter((g) => g.status === "rejected");
    expect(won, `round ${i}: one acceptance`).toHaveLength(1);
    expect(lost, `round ${i}: one rejection`).toHaveLength(1);
    const reason = (lost[0] as PromiseRejectedResult).reason as TidServerError;
    expect(reason).toBeInstanceOf(TidServerError);
    expect([reason.status, reason.code]).toEqual([409, "REPLAY"]);
    const [serverData, token] = (won[0] as PromiseFulfilledResult<AuthDeviceResult>).value;
    expect(finishDevice({ tid, psk, pending, serverData }).token).toEqual(token);
  }
  expect((await getDevice({ url: urls[1], adminToken: ADMIN_TOKEN }, tid)).authCount).toBe(rounds);
}

describe("one registry, several server processes", () => {
  describe.skipIf("skip" in postgres)("two instances on one PostgreSQL", () => {
    let a: ChildServer, b: ChildServer;
    beforeAll(async () => {
      if ("skip" in postgres) return;
      const db = await postgres.freshDatabase();
      [a, b] = await Promise.all([start(["--db", db]), start(["--db", db])]);
      await registerUserServer(a.admin, USER, keys.publicKeyPem);
    }, 60_000);

    it("the same authcode sent to both at once: exactly one 200, the other 409", () => raceSameAuthcode([a.url, b.url], 15), 60_000);
  });

  describe("a --workers 2 cluster on one SQLite file", () => {
    let c: ChildServer;
    beforeAll(async () => {
      c = await start(["--db", join(dir, "cluster.db"), "--workers", "2"]);
      await registerUserServer(c.admin, USER, keys.publicKeyPem);
    }, 60_000);

    it("the same authcode twice at once: exactly one 200, the other 409", () => raceSameAuthcode([c.url, c.url], 15), 60_000);
  });
});
