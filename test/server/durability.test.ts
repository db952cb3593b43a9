// Crash safety of the auth server's registry: a child server process is SIGKILLed in the middle
// of a write-heavy load (device registrations and authentications over HTTP). Everything it had
// acknowledged must be in the database afterwards, the database must open cleanly and pass
// SQLite's integrity check, and a new server process must serve from it — replay protection
// included. (SIGKILL tests process crashes; power loss is covered by synchronous=FULL, not here.)
// Run for one server process, and for a --workers 2 cluster (two processes group-committing to
// one file) whose primary and workers are all SIGKILLed at once.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { authDevice, destroyAgents, keygen, registerDevice, registerUserServer, TidServerError } from "../../server/sdk/index.js";
import { readMasterKeyFile, SqliteRegistry } from "../../server/app/index.js";
import { buildAuthcode, finishDevice } from "../../reference/index.js";
import { spawnServer } from "../support/server-child.js";

const dir = mkdtempSync(join(tmpdir(), "tid-crash-"));
afterAll(() => {
  destroyAgents();
  rmSync(dir, { recursive: true, force: true });
});

/** The processes whose parent is `pid` (a cluster's workers), from /proc. */
function childPids(pid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return Number(readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ")[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

describe.each([1, 2])("SIGKILL mid-write, --workers %i", (workers) => {
  it("loses nothing acknowledged; the database reopens cleanly", async () => {
    const db = join(dir, `tid-${workers}.db`);
    const keyFile = join(dir, `master-${workers}.key`);
    const args = ["--db", db, "--master-key-file", keyFile, "--create-master-key", "--workers", String(workers)];
    const first = await spawnServer(args);
    const keys = keygen(join(dir, `keys-${workers}`));
    const privateKey = readFileSync(keys.privateKeyPath, "utf8");
    await registerUserServer(first.admin, "100000000001", keys.publicKeyPem);

    const registered = new Map<string, Uint8Array>(); // acknowledged TID → PSK
    const authenticated: { tid: Uint8Array; psk: Uint8Array; authcode: Uint8Array }[] = [];
    let killed = false;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => first.child.once("exit", (_code, signal) => resolve(signal)));

    async function worker(w: number): Promise<void> {
      for (let i = 0; !killed; i++) {
        const tid = new Uint8Array(randomBytes(8));
        const psk = new Uint8Array(randomBytes(16));
        try {
          await registerDevice({ ...first.admin, timeoutMs: 5_000 }, { tid, psk, label: `w${w}-${i}` });
          registered.set(Buffer.from(tid).toString("hex"), psk);
          const { authcode, pending } = buildAuthcode({ tid, psk, time: Math.floor(Date.now() / 1000) });
          const [serverData, token] = await authDevice("100000000001", privateKey, authcode, { url: first.url, timeoutMs: 5_000 });
          expect(Buffer.from(finishDevice({ tid, psk, pending, serverData }).token!).equals(Buffer.from(token!))).toBe(true);
          authenticated.push({ tid, psk, authcode });
        } catch (e) {
          // no answer, or (a cluster worker that outlived its primary by a moment) a 5xx: neither acknowledges anything
          if (killed && e instanceof TidServerError && (e.code === "NETWORK" || e.status >= 500)) return;
          throw e;
        }
      }
    }

    const load = Promise.all([0, 1, 2, 3, 4, 5].map(worker));
    while (registered.size < 120) await new Promise((r) => setTimeout(r, 20));
    killed = true;
    const workerPids = childPids(first.child.pid!);
    expect(workerPids).toHaveLength(workers > 1 ? workers : 0);
    first.child.kill("SIGKILL");
    for (const pid of workerPids) process.kill(pid, "SIGKILL");
    expect(await exited).toBe("SIGKILL");
    await load;
    destroyAgents();

    // The database opens (WAL recovery), is sound and holds every acknowledged write.
    const registry = SqliteRegistry.open(db, { masterKey: readMasterKeyFile(keyFile) });
    expect(registry.integrityCheck()).toBe("ok");
    for (const [tidHex, psk] of registered) {
      const found = await registry.getDevicePsk(new Uint8Array(Buffer.from(tidHex, "hex")));
      expect(found, tidHex).toBeDefined();
      expect(Buffer.from(found!.psk).equals(Buffer.from(psk))).toBe(true);
    }
    for (const a of authenticated) expect((await registry.describeDevice(a.tid))!.authCount).toBe(1);
    expect((await registry.replayCacheSize()).authcodes).toBeGreaterThanOrEqual(authenticated.length);
    await registry.close();

    // A new server process serves from it; authcodes accepted before the crash stay replays.
    const second = await spawnServer(args);
    try {
      expect(authenticated.length).toBeGreaterThan(0);
      const replay = authenticated[0]!;
      await expect(authDevice("100000000001", privateKey, replay.authcode, { url: second.url })).rejects.toMatchObject({ code: "REPLAY" });
      const { authcode, pending } = buildAuthcode({ tid: replay.tid, psk: replay.psk, time: Math.floor(Date.now() / 1000) });
      const [serverData, token] = await authDevice("100000000001", privateKey, authcode, { url: second.url });
      expect(Buffer.from(finishDevice({ tid: replay.tid, psk: replay.psk, pending, serverData }).token!).equals(Buffer.from(token!))).toBe(
        true,
      );
    } finally {
      second.child.kill("SIGTERM");
      await new Promise((r) => second.child.once("exit", r));
    }
  });
});
