// TeeLink (hal/tee/tee-link.ts) through the real @tid-wasm/tee-client addon (tee/client/, the
// Linux TEE client ioctls of <linux/tee.h>) against the fake /dev/tee0 (libfaketee.so from
// tee/host-stub/, LD_PRELOADed into child node processes: the preload must be there when the
// process starts), which runs the natively built TID trusted application. Checked: SELECT and GET
// DATA, INFO, sync and async exchanges, reset, a second link → BUSY, close twice, no supplicant →
// NO_SUPPLICANT, another UUID → TA_NOT_FOUND, no /dev/tee0 → NO_DEVICE, injected TEE results and a
// TA panic in the middle of provisioning → typed errors with nothing installed (checked in a new
// session and a new process, the TA's objects kept in a directory), and a TidClient on the wasm's
// SE backend authenticating over the TeeLink against the reference server half.
// The children run the compiled HAL from dist/ (`npm run build` first). Skipped, saying what to
// install, without the native TA build's tools or without the compiled addon.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTeeHost, fakeTeeEnv, teeToolsMissing } from "../../hal/sim/fakedev/tee-build.js";
import { builtTid, ROOT } from "../support/server-child.js";
import { teeNativeMissing } from "../../hal/tee/native.js";

const missing = teeToolsMissing() ?? teeNativeMissing();
const suite = missing === null ? describe : describe.skip;
if (missing !== null) console.warn(`test/tee/tee-link.test.ts skipped: ${missing}`);

const url = (p: string) => JSON.stringify(pathToFileURL(join(ROOT, "dist", p)).href);

let fakeTee = "";
let work = "";
let serial = 0;

beforeAll(() => {
  if (missing !== null) return;
  builtTid(); // dist/ is current: the children run the compiled HAL
  fakeTee = buildTeeHost().fakeTee;
  work = mkdtempSync(join(tmpdir(), "tid-tee-link-test-"));
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  out: any;
}

/** A fresh directory for the TA's persistent objects. */
function storage(): string {
  return mkdtempSync(join(work, `store${++serial}-`));
}

/**
 * An ES module body run in a child node under the fake /dev/tee0, with `hal`, `bindings`, `ref`
 * (dist/reference/index.js), `hex`, `bytes(hex)`, `err(e)` and `out(v)` (prints JSON) in scope.
 */
function child(body: string, options: { storage?: string; env?: Record<string, string>; preload?: boolean } = {}): Promise<Run> {
  const prelude = `
    const hal = await import(${url("hal/index.js")});
    const bindings = await import(${url("bindings/index.js")});
    const ref = await import(${url("reference/index.js")});
    const hex = (b) => Buffer.from(b).toString("hex");
    const bytes = (h) => new Uint8Array(Buffer.from(h.replace(/ /g, ""), "hex"));
    const err = (e) => ({ name: e?.name, code: e?.code, op: e?.op, result: e?.result, origin: e?.origin, errno: e?.errno, status: e?.status, message: String(e?.message) });
    const results = [];
    const out = (v) => results.push(v === undefined ? null : JSON.parse(JSON.stringify(v)));
    try {
  `;
  const epilogue = `
    } finally { console.log(JSON.stringify(results)); }
  `;
  const env: Record<string, string> = { ...(process.env as Record<string, string>), TID_DEBUG: "", ...(options.env ?? {}) };
  delete env.LD_PRELOAD;
  if (options.preload !== false) Object.assign(env, fakeTeeEnv(fakeTee, { ...(options.storage ? { storage: options.storage } : {}) }));
  const c = spawn(process.execPath, ["--input-type=module", "-e", prelude + body + epilogue], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  c.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  c.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    c.on("error", reject);
    c.on("close", (code) => {
      const last = stdout.trim().split("\n").at(-1) ?? "";
      let parsed: any;
      try {
        parsed = JSON.parse(last);
      } catch {
        reject(new Error(`no JSON from the child (exit ${code}):\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ code, stdout, stderr, out: parsed });
    });
  });
}

const SELECT = "00a4040009f05449444150507631";
const GET_TID = "80ca000100";
const GET_INFO = "80ca000200";

suite(
  missing === null ? "TeeLink over the real addon and the fake /dev/tee0" : `TeeLink on the fake /dev/tee0: skipped, ${missing}`,
  () => {
    it("opens a session, exchanges SELECT and GET DATA sync and async, reads INFO, resets and closes", async () => {
      const r = await child(`
      const link = hal.openTeeLink();
      out({ kind: link.kind, name: link.name, version: link.version });
      out(hex(link.transceiveSync(bytes("${SELECT}"))));
      out(hex(await link.transceive(bytes("${GET_INFO}"))));
      out(hex(link.transceiveSync(bytes("${GET_TID}"))));
      out(link.infoSync());
      out(await link.info());
      const [a, b] = await Promise.all([link.transceive(bytes("0084000008")), link.transceive(bytes("0084000010"))]);
      out([a.length, b.length]);
      link.resetSync();
      out(hex(link.transceiveSync(bytes("${SELECT}"))));
      await link.reset();
      out(link.stats);
      link.close();
      link.close();
      try { link.transceiveSync(bytes("${SELECT}")); } catch (e) { out(err(e)); }
      try { await link.info(); } catch (e) { out(err(e)); }
    `);
      expect(r.code, r.stderr).toBe(0);
      const [head, select, info, tid, infoSync, infoAsync, lengths, select2, stats, closed1, closed2] = r.out;
      expect(head).toEqual({
        kind: "op-tee",
        name: "/dev/tee0 TA ee459cd1-d81d-464e-892d-2767e98150dc",
        version: { implId: 1, implCaps: 1, genCaps: 9 },
      });
      expect(select).toMatch(/9000$/);
      expect(info).toMatch(/^0100.*9000$/); // applet version 1.0 (docs/se-profile.md GET DATA 00 02)
      expect(tid).toBe("6a88"); // a blank TA has no TID
      const expected = { version: { major: 1, minor: 0 }, insecurePlatform: true, lifecycle: "blank", slots: 8 };
      expect(infoSync).toMatchObject(expected);
      expect(infoAsync).toEqual(infoSync);
      expect(lengths).toEqual([10, 18]);
      expect(select2).toBe(select);
      expect(stats).toMatchObject({ exchanges: 6, failures: 0, transactions: 8, apduBytesOut: 14 + 5 + 5 + 5 + 5 + 14 });
      expect(stats.wireBytesIn).toBe(stats.apduBytesIn);
      expect(closed1).toMatchObject({ name: "TeeError", code: "CLOSED" });
      expect(closed2).toMatchObject({ name: "TeeError", code: "CLOSED" });
    }, 30_000);

    it("answers BUSY to a second link while the first holds the session, and opens once it is closed", async () => {
      const r = await child(`
      const first = hal.openTeeLink();
      try { hal.openTeeLink(); } catch (e) { out(err(e)); }
      first.close();
      const second = hal.openTeeLink({ login: "user" });
      out(hex(second.transceiveSync(bytes("${SELECT}"))).slice(-4));
      second.close();
      try { hal.openTeeLink({ login: "group", group: process.getgid() }).close(); out("group ok"); } catch (e) { out(err(e)); }
    `);
      expect(r.code, r.stderr).toBe(0);
      expect(r.out[0]).toMatchObject({ name: "TeeError", code: "BUSY", op: "open-session", result: 0xffff000d, status: "ERR_SE_IO" });
      expect(r.out[1]).toBe("9000");
      expect(r.out[2]).toBe("group ok");
    }, 30_000);

    it("maps the environment's failures: no supplicant, another TA, no device, a group the process is not in", async () => {
      const noSupplicant = await child(`try { hal.openTeeLink(); } catch (e) { out(err(e)); }`, { env: { TID_FAKETEE_SUPPLICANT: "0" } });
      expect(noSupplicant.out[0]).toMatchObject({ code: "NO_SUPPLICANT", op: "open-session", origin: "comms", result: 0xffff000e });
      const wrongTa = await child(`try { hal.openTeeLink({ uuid: "00112233-4455-6677-8899-aabbccddeeff" }); } catch (e) { out(err(e)); }`);
      expect(wrongTa.out[0]).toMatchObject({ code: "TA_NOT_FOUND", op: "open-session", origin: "tee", result: 0xffff0008 });
      const noDevice = await child(`try { hal.openTeeLink(); } catch (e) { out(err(e)); }`, { preload: false });
      expect(noDevice.out[0]).toMatchObject({ code: "NO_DEVICE", op: "open", errno: "ENOENT" });
      const otherDevice = await child(`try { hal.openTeeLink({ device: "/dev/null" }); } catch (e) { out(err(e)); }`, { preload: false });
      expect(otherDevice.out[0]).toMatchObject({ code: "IO", op: "open", errno: "ENOTTY" });
      const badGroup = await child(`try { hal.openTeeLink({ login: "group", group: 4242424 }); } catch (e) { out(err(e)); }`);
      expect(badGroup.out[0]).toMatchObject({ code: "PERMISSION", op: "open-session", errno: "EPERM" });
    }, 60_000);

    // PROVISION (docs/se-profile.md): 80 D8 00 00 18 ‖ TID (8) ‖ PSK (16)
    const TID_A = "0102030405060708";
    const PSK_A = "00112233445566778899aabbccddeeff";
    const TID_B = "1112131415161718";
    const provision = (tid: string, psk: string) => `80d8000018${tid}${psk}`;

    it("a TEE fault or a TA panic in the middle of provisioning is a typed error, and installs nothing", async () => {
      const dir = storage();
      // a first identity, stored in the directory
      const first = await child(
        `const l = hal.openTeeLink(); l.transceiveSync(bytes("${SELECT}")); out(hex(l.transceiveSync(bytes("${provision(TID_A, PSK_A)}")))); out(hex(l.transceiveSync(bytes("${GET_TID}")))); l.close();`,
        { storage: dir },
      );
      expect(first.out, first.stderr).toEqual(["9000", `${TID_A}9000`]);

      // INVOKE 2 is PROVISION of another TID: the TEE answers an error without running the TA
      const injected = await child(
        `const l = hal.openTeeLink();
       l.transceiveSync(bytes("${SELECT}"));
       try { l.transceiveSync(bytes("${provision(TID_B, PSK_A)}")); out("ran"); } catch (e) { out(err(e)); }
       out(hex(l.transceiveSync(bytes("${GET_TID}"))));
       try { await l.transceive(bytes("${provision(TID_B, PSK_A)}")); out("ran"); } catch (e) { out(err(e)); }
       out(l.stats.failures);
       l.close();`,
        { storage: dir, env: { TID_FAKETEE_FAULT: "invoke:2:FFFF000C,invoke:4:FFFF0000" } },
      );
      expect(injected.code, injected.stderr).toBe(0);
      expect(injected.out[0]).toMatchObject({ name: "TeeError", code: "OUT_OF_MEMORY", op: "invoke", origin: "tee", result: 0xffff000c });
      expect(injected.out[1]).toBe(`${TID_A}9000`);
      expect(injected.out[2]).toMatchObject({ code: "TEE_ERROR", result: 0xffff0000, origin: "tee" });
      expect(injected.out[3]).toBe(2);

      // the TA panics in PROVISION: TARGET_DEAD, and the dead session stays dead until a reset
      const panicked = await child(
        `const l = hal.openTeeLink();
       l.transceiveSync(bytes("${SELECT}"));
       try { l.transceiveSync(bytes("${provision(TID_B, PSK_A)}")); out("ran"); } catch (e) { out(err(e)); }
       try { l.transceiveSync(bytes("${GET_TID}")); out("alive"); } catch (e) { out(err(e)); }
       try { l.infoSync(); out("alive"); } catch (e) { out(err(e)); }
       l.resetSync();
       l.transceiveSync(bytes("${SELECT}"));
       out(hex(l.transceiveSync(bytes("${GET_TID}"))));
       l.close();`,
        { storage: dir, env: { TID_FAKETEE_FAULT: "panic:2" } },
      );
      expect(panicked.code, panicked.stderr).toBe(0);
      expect(panicked.out[0]).toMatchObject({ code: "TARGET_DEAD", op: "invoke", result: 0xffff3024, origin: "tee" });
      expect(panicked.out[1]).toMatchObject({ code: "TARGET_DEAD" });
      expect(panicked.out[2]).toMatchObject({ code: "TARGET_DEAD" });
      expect(panicked.out[3]).toBe(`${TID_A}9000`);

      // and a new process reads the first identity from storage
      const after = await child(
        `const l = hal.openTeeLink(); l.transceiveSync(bytes("${SELECT}")); out(hex(l.transceiveSync(bytes("${GET_TID}")))); out(l.infoSync().lifecycle); l.close();`,
        {
          storage: dir,
        },
      );
      expect(after.out).toEqual([`${TID_A}9000`, "personalised"]);
    }, 60_000);

    it("a TidClient on the wasm's SE backend authenticates over the TeeLink", async () => {
      const dir = storage();
      const r = await child(
        `
      const tid = bytes("2122232425262728");
      const psk = new Uint8Array(16).map((_, i) => i * 7 + 3);
      const link = hal.openTeeLink();
      const se = new hal.SeClient(link);
      await se.select();
      await se.provision(tid, psk);
      out(hex(await se.getTid()));
      const client = await bindings.TidClient.create({ backend: "se", unshielded: true, link });
      client.init();
      out(hex(client.tid));
      const authcode = client.getAuthcode();
      const now = Math.floor(Date.now() / 1000);
      const v = ref.verifyAuthcode(authcode, { lookupPsk: (t) => (hex(t) === hex(tid) ? psk : null), now });
      const built = ref.buildServerData({ tid: v.tid, psk: v.psk, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: now, issueToken: v.wantsToken });
      const token = client.validate(built.serverData);
      out(hex(token) === hex(built.token));
      out(token.length);
      client.close();
      out(link.stats.failures);
      link.close();
    `,
        { storage: dir },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.out).toEqual(["2122232425262728", "2122232425262728", true, 16, 0]);
    }, 60_000);
  },
);
