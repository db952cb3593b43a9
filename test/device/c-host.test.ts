// examples/c-host: a device application in C that embeds build/portable.wasm through wasm2c
// (wabt) and provides the three imports in C — random from getrandom(2), now from time(2),
// transceive over /dev/i2c-N with the FM I2C framing. Built here with its Makefile into a
// temporary directory, then run as a device would run it:
//   - soft backend on the worked example (test/vectors/tid-v1-example.json), byte for byte: the
//     example's Nd and ephemeral key come in through the `random` import in the host's TEST MODE;
//     the session key then works for sym_crypto, an uplink and a downlink message;
//   - failures come out with the status names of include/tid_wasm.h;
//   - SE backend over the simulated kernel path (the LD_PRELOAD fake of i2c-dev, docs/hal.md):
//     probe, a handshake, bus faults the link rides out or reports;
//   - a full authentication with the reference server run as `tid server`: `tid keygen`, `tid
//     provision` of the SE, then the C host authenticates (and a soft-backend device registered
//     through the admin API).
// Without wasm2c, a C compiler or make the suite is skipped and says what to install.
import { spawn } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCHost, cHostToolsMissing } from "../../bench/c-host-build.js";
import { buildShim, shimEnv } from "../../hal/sim/fakedev/build.js";
import { startFakedevServer, type FakedevOptions, type FakedevServer } from "../../hal/sim/fakedev/server.js";
import { AeadSession } from "../../reference/aead.js";
import { buildServerData, sm2Keygen, verifyAuthcode } from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { registerDevice } from "../../server/sdk/admin-client.js";
import { authDevice, destroyAgents, sm4Encrypt } from "../../server/sdk/auth-device.js";
import { builtTid, ROOT, spawnServer, type ChildServer } from "../support/server-child.js";
import { tid } from "../support/cli.js";

const EXAMPLE = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8")) as Record<string, string>;
const SYM_BLOCK = new TextEncoder().encode("tid-c-host block"); // what `auth` encrypts with tid_client_sym_crypto
const missing = cHostToolsMissing();
const suite = missing ? describe.skip : describe;
if (missing) console.warn(`test/device/c-host.test.ts skipped: ${missing}`);

let dir = "";
let exe = "";
let shim = "";
let serial = 0;
const servers: FakedevServer[] = [];

beforeAll(() => {
  if (missing) return;
  dir = mkdtempSync(join(tmpdir(), "tid-c-host-test-"));
  exe = buildCHost(join(dir, "build"));
  shim = buildShim(dir);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function serve(options: Omit<FakedevOptions, "socketPath"> = {}): Promise<FakedevServer> {
  const s = await startFakedevServer({ socketPath: join(dir, `s${++serial}.sock`), ...options });
  servers.push(s);
  return s;
}

/** An identity file (`tid HEX` / `psk HEX`) with the given mode. */
function identityFile(tidHex: string, pskHex: string, mode = 0o600): string {
  const file = join(dir, `identity-${++serial}`);
  writeFileSync(file, `# a test identity\ntid ${tidHex}\npsk ${pskHex}\n`, { mode });
  chmodSync(file, mode);
  return file;
}

interface HostRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** `key value` lines of stdout */
  out: Record<string, string>;
}

/**
 * Run the C host. `input` is written to stdin at once; `answer` is asked after every stdout line
 * and what it returns is written as one line (null ends stdin). `shim` runs it under the
 * LD_PRELOAD fake of i2c-dev served by that fakedev server.
 */
function host(
  args: string[],
  options: {
    env?: Record<string, string>;
    input?: string;
    answer?: (key: string, value: string) => Promise<string | null | undefined> | string | null | undefined;
    shim?: FakedevServer;
  } = {},
): Promise<HostRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, TID_C_HOST_TEST_RANDOM: "", TID_C_HOST_TEST_NOW: "", ...options.env };
  if (options.shim) Object.assign(env, shimEnv(shim, options.shim.socketPath));
  const child = spawn(exe, args, { env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let pending = "";
  const out: Record<string, string> = {};
  let chain = Promise.resolve();
  child.stdin.on("error", () => {}); // the host may exit before reading everything
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    pending += d.toString();
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const sp = line.indexOf(" ");
      const [key, value] = sp < 0 ? [line, ""] : [line.slice(0, sp), line.slice(sp + 1)];
      out[key] = value;
      if (options.answer) {
        chain = chain.then(async () => {
          const reply = await options.answer!(key, value);
          if (reply === null) child.stdin.end();
          else if (reply !== undefined) child.stdin.write(reply + "\n");
        });
      }
    }
  });
  if (options.input !== undefined) child.stdin.end(options.input);
  else if (!options.answer) child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      chain.then(
        () => resolve({ code, stdout, stderr, out }),
        (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
      );
    });
  });
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Check what `auth` printed after the token: sym_crypto, the uplink message, the downlink one. */
function expectSessionWorks(r: HostRun, token: Uint8Array, message: string, downlink: string): void {
  expect(r.out["sym-ecb"]).toBe(toHex(sm4Encrypt(token, SYM_BLOCK)));
  const uplink = fromHex(r.out.uplink!);
  expect(new TextDecoder().decode(new AeadSession(token, "server").open(uplink))).toBe(message);
  expect(r.out.downlink).toBe(toHex(utf8(downlink)));
}

suite(missing ? `examples/c-host: skipped, ${missing}` : "examples/c-host: build/portable.wasm in a C program through wasm2c", () => {
  describe("soft backend", () => {
    it("the worked example byte for byte: authcode, session token, then sym_crypto, uplink and downlink with that token", async () => {
      const token = fromHex(EXAMPLE.sessionToken!);
      const downlink = "downlink from the server";
      const message = "hello from the C host";
      const r = await host(["--soft", identityFile(EXAMPLE.TID!, EXAMPLE.PSK!), "auth", "--message", message], {
        // TEST MODE: `random` hands out Nd, then the ephemeral private key (the order get_authcode draws them)
        env: { TID_C_HOST_TEST_RANDOM: EXAMPLE.Nd! + EXAMPLE.deviceEphemeralPrivate!, TID_C_HOST_TEST_NOW: String(EXAMPLE.deviceTime) },
        input: `${EXAMPLE.serverData}\n${toHex(new AeadSession(token, "server").seal(utf8(downlink)))}\n`,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("TEST MODE");
      expect(r.out.tid).toBe(EXAMPLE.TID);
      expect(r.out.authcode).toBe(EXAMPLE.authcode);
      expect(r.out.token).toBe(EXAMPLE.sessionToken);
      // the first uplink message under this token is fixed too: counter 0, SM4-GCM, no AAD
      expect(r.out.uplink).toBe(toHex(new AeadSession(token, "device").seal(utf8(message))));
      expectSessionWorks(r, token, message, downlink);
    });

    it("outside test mode the authcode is fresh every run: random from getrandom(2), the time from time(2)", async () => {
      const id = identityFile(EXAMPLE.TID!, EXAMPLE.PSK!);
      const before = Math.floor(Date.now() / 1000);
      const [a, b] = await Promise.all([host(["--soft", id, "authcode"]), host(["--soft", id, "authcode"])]);
      expect(a.code, a.stderr).toBe(0);
      expect(a.stderr).not.toContain("TEST MODE");
      expect(a.out.authcode).toHaveLength(264);
      expect(a.out.authcode).not.toBe(b.out.authcode);
      const v = verifyAuthcode(fromHex(a.out.authcode!), { lookupPsk: () => fromHex(EXAMPLE.PSK!), now: before });
      expect(Math.abs(v.time - before)).toBeLessThanOrEqual(2);
      const probe = await host(["--soft", id, "probe"]);
      expect(probe.out).toMatchObject({ abi: "1", backend: "soft", tid: EXAMPLE.TID });
    });

    it("failures name the status of include/tid_wasm.h and exit 1", async () => {
      const testMode = {
        TID_C_HOST_TEST_RANDOM: EXAMPLE.Nd! + EXAMPLE.deviceEphemeralPrivate!,
        TID_C_HOST_TEST_NOW: String(EXAMPLE.deviceTime),
      };
      // another PSK than the server's: tag_s does not verify
      const wrong = await host(["--soft", identityFile(EXAMPLE.TID!, "ff".repeat(16)), "auth"], {
        env: testMode,
        input: `${EXAMPLE.serverData}\n`,
      });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/tid_client_validate_authcode.*: TID_ERR_VERIFY_FAILED \(-304\)/);
      expect(wrong.out.token).toBeUndefined();
      // the random bytes run out before the ephemeral key
      const rng = await host(["--soft", identityFile(EXAMPLE.TID!, EXAMPLE.PSK!), "authcode"], {
        env: { ...testMode, TID_C_HOST_TEST_RANDOM: EXAMPLE.Nd! },
      });
      expect(rng.code).toBe(1);
      expect(rng.stderr).toMatch(/tid_client_get_authcode.*: TID_ERR_RNG_FAILED \(-401\)/);
      // a time the authcode cannot carry
      const clock = await host(["--soft", identityFile(EXAMPLE.TID!, EXAMPLE.PSK!), "authcode"], {
        env: { TID_C_HOST_TEST_NOW: String(2 ** 32) },
      });
      expect(clock.code).toBe(1);
      expect(clock.stderr).toMatch(/TID_ERR_CLOCK_FAILED \(-404\)/);
      // the identity file holds the PSK: group or others may not read it
      const open = await host(["--soft", identityFile(EXAMPLE.TID!, EXAMPLE.PSK!, 0o644), "probe"]);
      expect(open.code).toBe(1);
      expect(open.stderr).toMatch(/group or others may access it.*chmod 600/);
      // usage
      const usage = await host(["probe"]);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain("choose one backend");
    });
  });

  describe("SE backend over the fake i2c-dev (LD_PRELOAD shim + fakedev server, simulated FM SE at 0x71)", () => {
    const identity = { tid: fromHex(EXAMPLE.TID!), psk: fromHex(EXAMPLE.PSK!), locked: true };

    it("probe: ATR, applet info and TID through open/ioctl(I2C_SLAVE)/write/read on /dev/i2c-1", async () => {
      const srv = await serve({ identity });
      const r = await host(["--se", "/dev/i2c-1", "--unshielded", "probe"], { shim: srv });
      expect(r.code, r.stderr).toBe(0);
      expect(r.out).toMatchObject({
        backend: "se",
        port: "/dev/i2c-1@0x71",
        applet: "1.0",
        slots: "8",
        lifecycle: "locked",
        tid: EXAMPLE.TID,
      });
      expect(r.out.atr).toMatch(/^3b/);
      expect(srv.counts.ops).toMatchObject({ OPEN: 1, I2C_ADDR: 1 });
      expect(srv.counts.ops.I2C_WRITE).toBeGreaterThan(0);
      expect(srv.counts.ops.I2C_READ).toBeGreaterThan(0);

      const blank = await serve();
      const b = await host(["--se", "/dev/i2c-1", "--unshielded", "probe"], { shim: blank });
      expect(b.code, b.stderr).toBe(0);
      expect(b.out).toMatchObject({ lifecycle: "blank", tid: "none" });
      const ac = await host(["--se", "/dev/i2c-1", "--unshielded", "authcode"], { shim: blank });
      expect(ac.code).toBe(1);
      expect(ac.stderr).toMatch(/tid_client_init.*: TID_ERR_NOT_INITIALISED \(-200\), SE status word 6A88\n.*provision it first/);
    });

    it.each(["unshielded", "shielded"] as const)(
      "a handshake (%s link): the SE makes the authcode, validates the server data, the token works both ways",
      async (mode) => {
        const pair = mode === "shielded" ? sm2Keygen() : null;
        const srv = await serve({ identity, ...(pair ? { linkKey: pair.privateKey } : {}) });
        const now = Math.floor(Date.now() / 1000);
        let token: Uint8Array | undefined;
        const message = "door opened";
        const downlink = "close the door";
        const link = pair ? ["--link-key", toHex(pair.publicKey)] : ["--unshielded"];
        const r = await host(["--se", "/dev/i2c-1", ...link, "auth", "--message", message], {
          shim: srv,
          answer: (key, value) => {
            if (key === "authcode") {
              const v = verifyAuthcode(fromHex(value), { lookupPsk: () => identity.psk, now });
              const sd = buildServerData({
                tid: identity.tid,
                psk: identity.psk,
                nd: v.nd,
                tagD: v.tagD,
                Qd: v.Qd,
                time: now,
                issueToken: true,
              });
              token = sd.token!;
              return toHex(sd.serverData);
            }
            if (key === "uplink") return toHex(new AeadSession(token!, "server").seal(utf8(downlink)));
            return undefined;
          },
        });
        expect(r.code, r.stderr).toBe(0);
        expect(r.out.token).toBe(toHex(token!));
        expectSessionWorks(r, token!, message, downlink);
        expect(srv.counts.errors.EREMOTEIO ?? 0).toBeGreaterThan(0); // polls NACKed while the SE computed
        if (pair) {
          const probe = await host(["--se", "/dev/i2c-1", "--link-key", toHex(pair.publicKey), "probe"], { shim: srv });
          expect(probe.code, probe.stderr).toBe(0);
          expect(probe.out.shielded).toMatch(/^yes sm3:[0-9a-f]{16}$/);
          // another SE (another link key) is refused before any command goes in clear
          const impostor = await serve({ identity, linkKey: sm2Keygen().privateKey });
          const refused = await host(["--se", "/dev/i2c-1", "--link-key", toHex(pair.publicKey), "probe"], { shim: impostor });
          expect(refused.code).toBe(1);
          expect(refused.stderr).toMatch(/TID_ERR_SE_NOT_AUTHENTIC/);
        }
      },
    );

    it("bus faults: NACK, EIO, a corrupted frame (NAK) and WTX are ridden out; three read errors in a row are TID_ERR_SE_IO", async () => {
      const srv = await serve({
        identity,
        faults: {
          i2c: {
            script: [
              { kind: "nack", op: "read" },
              { kind: "io", op: "read", error: "EIO" },
              { kind: "corrupt", op: "read", skip: 2 },
              { kind: "wtx", op: "write", wtx: 3, skip: 1 },
            ],
          },
        },
      });
      const r = await host(["--se", "/dev/i2c-1", "--unshielded", "probe"], { shim: srv });
      expect(r.code, r.stderr).toBe(0);
      expect(r.out.tid).toBe(EXAMPLE.TID);
      const stats = Object.fromEntries(r.out.link!.split(" ").map((kv) => kv.split("=") as [string, string]));
      expect(Number(stats.nacks)).toBeGreaterThan(0);
      expect(Number(stats["io-retries"])).toBe(1);
      expect(Number(stats.naks)).toBeGreaterThanOrEqual(1);
      expect(Number(stats.wtx)).toBe(3);

      const failing = await serve({ identity, wire: [{ device: "i2c", op: "read", errno: "EIO", count: 3 }] });
      const f = await host(["--se", "/dev/i2c-1", "--unshielded", "probe"], { shim: failing });
      expect(f.code).toBe(1);
      expect(f.stderr).toMatch(/GET ATR: TID_ERR_SE_IO \(-504\)\n {2}\/dev\/i2c-1@0x71: 3 read errors in a row/);

      const none = await host(["--se", "/dev/i2c-9", "--unshielded", "probe"], { shim: srv });
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/\/dev\/i2c-9@0x71: no such bus/);
    });
  });

  describe("a full authentication with the reference server (`tid server`)", () => {
    let server: ChildServer;
    let keyDir = "";
    const user = "c-host-user";
    beforeAll(async () => {
      if (missing) return;
      builtTid(); // the children run dist/: refuse a stale build
      server = await spawnServer(["--db", join(dir, "tid.db"), "--master-key-file", join(dir, "master.key"), "--create-master-key"]);
      keyDir = join(dir, "user-server");
      const k = await tid(["keygen", keyDir, "--server", server.url, "--user", user], server.adminEnv);
      expect(k.code, k.err).toBe(0);
    });
    afterAll(() => {
      destroyAgents();
      server?.child.kill("SIGTERM");
    });

    /** The user server's side of `auth`: authcode → TID auth server → server data; then a downlink message. */
    function userServer(result: { token?: Uint8Array }, downlink: string) {
      const privateKey = createPrivateKey(readFileSync(join(keyDir, "private_key.pem")));
      return async (key: string, value: string): Promise<string | undefined> => {
        if (key === "authcode") {
          const [serverData, token] = await authDevice(user, privateKey, fromHex(value), { url: server.url });
          result.token = token!;
          return toHex(serverData);
        }
        if (key === "uplink") return toHex(new AeadSession(result.token!, "server").seal(utf8(downlink)));
        return undefined;
      };
    }

    it("SE: `tid provision --board rpi4-i2c` (paired) through the fake i2c-dev, then the C host authenticates on the same SE, shielded", async () => {
      const srv = await serve();
      const pin = join(dir, `link-${++serial}.json`);
      const prov = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            join(ROOT, "bin", "tid.js"),
            "provision",
            "--board",
            "rpi4-i2c",
            "--server",
            server.url,
            "--owner",
            user,
            "--link-key",
            pin,
            "--json",
          ],
          {
            env: { ...process.env, TID_BOARD: "", ...shimEnv(shim, srv.socketPath), ...server.adminEnv },
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, out }));
      });
      expect(prov.code, prov.out).toBe(0);
      const se = srv.i2c!.applet.inspect();
      expect(se).toMatchObject({ provisioned: true, locked: true });

      const result: { token?: Uint8Array } = {};
      const linkKey = JSON.parse(readFileSync(pin, "utf8")).linkKey as string;
      const r = await host(["--se", "/dev/i2c-1", "--link-key", linkKey, "auth", "--message", "first boot"], {
        shim: srv,
        answer: userServer(result, "welcome"),
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.out.tid).toBe(toHex(se.tid!));
      expect(r.out.token).toBe(toHex(result.token!));
      expectSessionWorks(r, result.token!, "first boot", "welcome");
    });

    it("soft: a device registered through the admin API authenticates with its identity file", async () => {
      const tidHex = "c0ffee0000000001";
      const pskHex = "0123456789abcdef0123456789abcdef";
      await registerDevice(server.admin, { tid: fromHex(tidHex), psk: fromHex(pskHex), label: "c-host soft", owner: user });
      const result: { token?: Uint8Array } = {};
      const r = await host(["--soft", identityFile(tidHex, pskHex), "auth"], { answer: userServer(result, "ok") });
      expect(r.code, r.stderr).toBe(0);
      expect(r.out.token).toBe(toHex(result.token!));
      expectSessionWorks(r, result.token!, "hello from the C host", "ok");
    });
  });
});
