// Suite INTL end to end (docs/protocol.md "Algorithm suites", docs/server.md "Registry"): a device
// registered in suite INTL over the admin HTTP API, its authcode from the reference device half
// (reference/device-half.ts, AES-128 / P-256 / SHA-256) taken through the real HTTP auth server by
// the server SDK's authDevice, the server data validated on the reference device, and AEAD
// messages (AES-128-GCM) and raw AES-128-ECB both ways; an authcode in the other suite than the
// registered one is refused with 422 UNSUPPORTED_ALGORITHM and uses nothing up; a registration
// naming no suite is 400, and `replace` moves a device to the other suite. On both registry
// backends: a SQLite file and PostgreSQL (test/support/postgres.ts; skipped with a message without one).
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AeadError,
  AeadSession,
  aeadNonce,
  aeadSessionFor,
  aesEncrypt,
  aesGcmDecrypt,
  authDevice,
  destroyAgents,
  getDevice,
  keygen,
  registerDevice,
  registerUserServer,
  setDeviceActive,
  sm4Encrypt,
  symEncrypt,
  TidServerError,
  type AuthDeviceResult,
} from "../../server/sdk/index.js";
import { startAuthServer, type AuthServer } from "../../server/app/index.js";
import { buildAuthcode, finishDevice, parseServerData, type SuiteName } from "../../reference/index.js";
import { toHex } from "../../reference/bytes.js";
import { startTestPostgres } from "../support/postgres.js";

const dir = mkdtempSync(join(tmpdir(), "tid-intl-"));
const keys = keygen(join(dir, "keys"));
const privateKey = readFileSync(keys.privateKeyPath, "utf8");
const userUin = "intl-user";
const postgres = await startTestPostgres();
if ("skip" in postgres) console.warn(`intl-suite.test.ts: the PostgreSQL backend is skipped: ${postgres.skip}`);

afterAll(async () => {
  destroyAgents();
  if (!("skip" in postgres)) await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
});

const BACKENDS = [
  { name: "sqlite", db: async () => join(dir, "registry.db"), skip: false },
  { name: "postgres", db: async () => ("skip" in postgres ? "" : postgres.freshDatabase()), skip: "skip" in postgres },
] as const;

const newTid = () => new Uint8Array(randomBytes(8));
const newPsk = () => new Uint8Array(randomBytes(16));
const now = () => Math.floor(Date.now() / 1000);

/** "status CODE" of a rejected authDevice, or "accepted". */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "accepted";
  } catch (e) {
    if (!(e instanceof TidServerError)) throw e;
    return `${e.status} ${e.code}`;
  }
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`suite INTL through the HTTP auth server, registry on ${backend.name}`, () => {
    let server: AuthServer;
    const logs: Record<string, unknown>[] = [];
    const admin = () => ({ url: server.url, adminToken: server.adminToken });
    const auth = (authcode: Uint8Array) => authDevice(userUin, privateKey, authcode, { url: server.url });

    beforeAll(async () => {
      server = await startAuthServer({ db: await backend.db(), masterKey: new Uint8Array(randomBytes(32)), log: (r) => logs.push(r) });
      expect(server.registry.kind).toBe(backend.name);
      await registerUserServer(admin(), userUin, keys.publicKeyPem);
    }, 60_000);
    afterAll(() => server?.close());

    it("a device registered in INTL authenticates, validates the server data and shares the token", async () => {
      const tid = newTid();
      const psk = newPsk();
      const registered = await registerDevice(admin(), { tid, psk, label: "aes lock", suite: "intl" });
      expect(registered).toMatchObject({ tid: toHex(tid), suite: "intl", active: true, label: "aes lock" });
      expect(await getDevice(admin(), tid)).toMatchObject({ suite: "intl", authCount: 0 });

      const { authcode, pending } = buildAuthcode({ tid, psk, time: now(), suite: "intl" });
      expect(toHex(authcode.subarray(0, 3))).toBe("012003");
      const result = await auth(authcode);
      const [serverData, token, suite] = result;
      expect(suite).toBe("intl");
      expect(toHex(serverData.subarray(0, 3))).toBe("012003");
      expect(parseServerData(serverData).Qs).toHaveLength(64);
      expect(token).toHaveLength(16);
      const device = finishDevice({ tid, psk, pending, serverData, suite: "intl" });
      expect(toHex(device.token!)).toBe(toHex(token!));
      // the device of suite SM would refuse this server data
      expect(() => finishDevice({ tid, psk, pending: { ...pending, suite: "sm" }, serverData })).toThrow(/UNSUPPORTED_ALGORITHM/);
      expect(await getDevice(admin(), tid)).toMatchObject({ suite: "intl", authCount: 1 });

      // AEAD messages both ways: the server's session picks AES-128-GCM from the result
      const serverSide = aeadSessionFor(result);
      const deviceSide = new AeadSession(device.token!, "device", "intl");
      const up = deviceSide.seal(new TextEncoder().encode("door opened"), new TextEncoder().encode("tid"));
      expect(new TextDecoder().decode(serverSide.open(up, new TextEncoder().encode("tid")))).toBe("door opened");
      const down = serverSide.seal(new TextEncoder().encode("lock it"));
      expect(new TextDecoder().decode(deviceSide.open(down))).toBe("lock it");
      expect(() => serverSide.open(up, new TextEncoder().encode("tid"))).toThrow(AeadError); // replay
      // the message is AES-128-GCM under the token with the uplink nonce of counter 0 (and not SM4-GCM)
      const plain = aesGcmDecrypt(
        token!,
        aeadNonce("uplink", 0n),
        up.subarray(8, up.length - 16),
        up.subarray(up.length - 16),
        new TextEncoder().encode("tid"),
      );
      expect(new TextDecoder().decode(plain!)).toBe("door opened");
      expect(() => new AeadSession(token!, "server", "sm").open(up, new TextEncoder().encode("tid"))).toThrow(/VERIFY_FAILED/);

      // raw sym_crypto: AES-128-ECB on both sides
      const block = new Uint8Array(randomBytes(32));
      const ours = aesEncrypt(token!, block);
      expect(toHex(ours)).toBe(toHex(symEncrypt(device.token!, block, "intl")));
      expect(toHex(ours)).not.toBe(toHex(sm4Encrypt(token!, block)));

      serverSide.destroy();
      deviceSide.destroy();
      const record = logs.find((r) => r.event === "auth" && r.tid === toHex(tid));
      expect(record).toMatchObject({ userUin, suite: "intl", tokenIssued: true });
      expect(logs.find((r) => r.event === "device-registered" && r.tid === toHex(tid))).toMatchObject({ suite: "intl" });
      const { text } = await server.metrics.render();
      expect(text).toMatch(/^tid_auth_accepted_total\{suite="intl"\} [1-9]/m);
    });

    it("keep-session in INTL: server data in suite INTL, no token, no session to build", async () => {
      const tid = newTid();
      const psk = newPsk();
      await registerDevice(admin(), { tid, psk, suite: "intl" });
      const { authcode, pending } = buildAuthcode({ tid, psk, time: now(), suite: "intl", flags: 1 });
      const result: AuthDeviceResult = await auth(authcode);
      expect(result[1]).toBeNull();
      expect(result[2]).toBe("intl");
      expect(finishDevice({ tid, psk, pending, serverData: result[0], suite: "intl" }).token).toBeNull();
      expect(() => aeadSessionFor(result)).toThrow(/no session token/);
    });

    it("an authcode in the other suite than the registered one: 422 UNSUPPORTED_ALGORITHM, nothing used up", async () => {
      const cases: { registered: SuiteName; sent: SuiteName }[] = [
        { registered: "sm", sent: "intl" },
        { registered: "intl", sent: "sm" },
      ];
      for (const { registered, sent } of cases) {
        const tid = newTid();
        const psk = newPsk();
        await registerDevice(admin(), { tid, psk, ...(registered === "intl" ? { suite: "intl" } : {}) });
        const time = now();
        const nd = new Uint8Array(randomBytes(16));
        const wrong = buildAuthcode({ tid, psk, time, nd, suite: sent });
        expect(await outcome(auth(wrong.authcode)), `${registered} device, ${sent} authcode`).toBe("422 UNSUPPORTED_ALGORITHM");
        // nothing was remembered: the same Nd in the registered suite is accepted, once
        const right = buildAuthcode({ tid, psk, time, nd, suite: registered });
        const [serverData, token, suite] = await auth(right.authcode);
        expect(suite).toBe(registered);
        expect(finishDevice({ tid, psk, pending: right.pending, serverData, suite: registered }).token).toEqual(token);
        expect(await outcome(auth(right.authcode))).toBe("409 REPLAY");
        expect((await getDevice(admin(), tid)).authCount).toBe(1);
        // the suite is compared only after tag_d: with a wrong PSK the answer does not reveal it
        expect(await outcome(auth(buildAuthcode({ tid, psk: newPsk(), time, suite: sent }).authcode))).toBe("401 VERIFY_FAILED");
        // … and before the activity check
        await setDeviceActive(admin(), tid, false);
        expect(await outcome(auth(buildAuthcode({ tid, psk, time, suite: sent }).authcode))).toBe("422 UNSUPPORTED_ALGORITHM");
        expect(await outcome(auth(buildAuthcode({ tid, psk, time, suite: registered }).authcode))).toBe("403 INACTIVE_TID");
      }
    });

    it("the admin API: a suite that is none is 400 BAD_REQUEST naming the field, and registers nothing", async () => {
      const tid = newTid();
      for (const suite of ["aes", "SM", "", null, 3, ["intl"]]) {
        const res = await fetch(`${server.url}/v1/admin/devices`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${server.adminToken}` },
          body: JSON.stringify({ tid: toHex(tid), psk: toHex(newPsk()), suite }),
        });
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect([res.status, body.error.code], JSON.stringify(suite)).toEqual([400, "BAD_REQUEST"]);
        expect(body.error.message).toMatch(/^suite must be "sm" or "intl"/);
      }
      expect(await outcome(getDevice(admin(), tid))).toBe("404 UNKNOWN_DEVICE");
      // absent: suite SM
      expect(await registerDevice(admin(), { tid, psk: newPsk() })).toMatchObject({ suite: "sm" });
    });

    it("re-registering with replace moves a device to the other suite", async () => {
      const tid = newTid();
      const psk = newPsk();
      await registerDevice(admin(), { tid, psk });
      expect(await outcome(auth(buildAuthcode({ tid, psk, time: now(), suite: "sm" }).authcode))).toBe("accepted");
      expect(await registerDevice(admin(), { tid, psk, suite: "intl", replace: true })).toMatchObject({ suite: "intl" });
      expect(await outcome(auth(buildAuthcode({ tid, psk, time: now(), suite: "sm" }).authcode))).toBe("422 UNSUPPORTED_ALGORITHM");
      const [, , suite] = await auth(buildAuthcode({ tid, psk, time: now(), suite: "intl" }).authcode);
      expect(suite).toBe("intl");
    });
  });
}
