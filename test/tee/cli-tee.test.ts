// The TEE level end to end, with no TrustZone: the `tid` command on `--board tee` in child
// processes that run under the fake /dev/tee0 (tee/host-stub/fake_tee.c, preloaded), so the real
// TEE client addon, the Linux TEE ioctl ABI as the kernel checks it, and the TA's own C code with
// the wasm core translated by wasm2c all take part. Checked: `npm run fakedev -- … probe --board
// tee` (the script itself) reporting "tee (insecure development platform)"; `tid provision`
// pairing the TA's link key and provisioning through the shielded link, then `tid auth` against a
// real auth server, the TA's storage carried between the processes; the same in suite INTL
// (`--suite intl`: the TA's object in format 03, `tid probe` showing the suite, `tid auth` in
// INTL with the suite read from the TA); and the errors a user meets
// first (no /dev/tee0, no tee-supplicant) as one-line messages. Skipped, saying what to install,
// without wasm2c, a C compiler or make, or when the addon is not built.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTeeHost, fakeTeeEnv, teeToolsMissing } from "../../hal/sim/fakedev/tee-build.js";
import { builtTid, ROOT } from "../support/server-child.js";
import { startFixture, type Fixture } from "../support/e2e.js";
import { teeNativeMissing } from "../../hal/tee/native.js";

const missing = teeToolsMissing() ?? teeNativeMissing();
if (missing) console.warn(`test/tee/cli-tee.test.ts skipped: ${missing}`);
const suite = missing ? describe.skip : describe;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(argv: string[], env: Record<string, string>): Promise<Run> {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, TID_BOARD: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

suite(missing ? `tid on --board tee: skipped, ${missing}` : "tid on --board tee, through the fake /dev/tee0", () => {
  let dir = "";
  let tid = "";
  let lib = "";
  beforeAll(() => {
    tid = builtTid();
    lib = buildTeeHost().fakeTee;
    dir = mkdtempSync(join(tmpdir(), "tid-cli-tee-"));
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `tid …` under the fake TEE, its objects in `storage`. */
  const tidUnderTee = (args: string[], storage: string, env: Record<string, string> = {}): Promise<Run> =>
    run([process.execPath, tid, ...args], { ...fakeTeeEnv(lib, { storage }), ...env });

  it("npm run fakedev -- node bin/tid.js probe --board tee: the TA, and what kind of TEE it is", async () => {
    const r = await run(
      [process.execPath, join(ROOT, "scripts", "fakedev.mjs"), "--", process.execPath, tid, "probe", "--board", "tee"],
      {},
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^level +tee \(insecure development platform\)$/m);
    expect(r.stdout).toMatch(/^port +\/dev\/tee0 .*op-tee$/m);
    expect(r.stdout).toMatch(/^TEE +OP-TEE; TA v1\.0, reports an insecure development platform$/m);
    expect(r.stdout).toMatch(/^ATR +none \(a TEE has no ATR\)$/m);
    expect(r.stdout).toMatch(/^applet +TID applet v1\.0/m);
    expect(r.stdout).toMatch(/^identity +none \(blank TA: provision it first\), blank$/m);
    expect(r.stdout).toMatch(/^link +UNSHIELDED: the TA has no link key \(pair it: tid provision\)$/m);
    expect(r.stdout).toMatch(/^calls +\d+ TEE invocations, \d+ bytes through shared memory for \d+ APDU bytes$/m);
  });

  it("probe --json: the level, the driver's version and the TA's INFO", async () => {
    const storage = join(dir, "probe-json");
    mkdirSync(storage);
    const r = await tidUnderTee(["probe", "--board", "tee", "--json"], storage);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      board: "tee",
      simulated: false,
      link: "op-tee",
      speedHz: null,
      atr: null,
      level: "tee (insecure development platform)",
      tee: { implId: 1, taVersion: "1.0", taInsecure: true, boardInsecure: true },
      applet: { version: "1.0" },
      lifecycle: "blank",
    });
    expect(report.transactions).toBeGreaterThan(0);
  });

  describe("provision + auth against a real auth server", () => {
    let fx: Fixture;
    let keyDir = "";
    beforeAll(async () => {
      fx = await startFixture();
      keyDir = fx.userKeyDir();
    });
    afterAll(async () => fx?.close());

    it("tid provision pairs the TA and provisions it through the shielded link; tid auth then authenticates", async () => {
      const storage = join(dir, "ta-storage");
      mkdirSync(storage, { mode: 0o700 });
      const pin = join(dir, "tee-link.json");
      const prov = await tidUnderTee(
        ["provision", "--board", "tee", "--server", fx.url, "--owner", fx.userUin, "--link-key", pin, "--json"],
        storage,
        fx.adminEnv,
      );
      expect(prov.code, prov.stdout + prov.stderr).toBe(0);
      expect(JSON.parse(prov.stdout)).toMatchObject({ ok: true, shielded: true, linkKeyFile: pin });
      expect(JSON.parse(readFileSync(pin, "utf8")).linkKey).toMatch(/^[0-9a-f]{128}$/);

      // a new process: the identity and the link key come from the TA's persistent storage
      const probe = await tidUnderTee(["probe", "--board", "tee", "--link-key", pin, "--json"], storage);
      expect(probe.code, probe.stderr).toBe(0);
      expect(JSON.parse(probe.stdout)).toMatchObject({ lifecycle: "locked", shielded: true });

      const auth = await tidUnderTee(
        ["auth", "--board", "tee", "--server", fx.url, "--user", fx.userUin, "--user-key", keyDir, "--link-key", pin, "--json"],
        storage,
      );
      expect(auth.code, auth.stdout + auth.stderr).toBe(0);
      expect(JSON.parse(auth.stdout)).toMatchObject({
        ok: true,
        shielded: true,
        tokenIssued: true,
        tokensMatch: true,
        aead: { uplink: true, downlink: true },
      });
    });
    it("--suite intl: the TA holds an INTL identity (storage format 03), probe shows the suite, tid auth runs in INTL with it", async () => {
      const storage = join(dir, "ta-storage-intl");
      mkdirSync(storage, { mode: 0o700 });
      const pin = join(dir, "tee-link-intl.json");
      const prov = await tidUnderTee(
        ["provision", "--board", "tee", "--suite", "intl", "--server", fx.url, "--owner", fx.userUin, "--link-key", pin, "--json"],
        storage,
        fx.adminEnv,
      );
      expect(prov.code, prov.stdout + prov.stderr).toBe(0);
      expect(JSON.parse(prov.stdout)).toMatchObject({ ok: true, suite: "intl", backend: "se", shielded: true, locked: true });
      // the TA's object: format 03 (docs/tee.md "Storage"), locked, with the link key, suite 01
      const object = readFileSync(join(storage, readdirSync(storage)[0]!));
      expect([object.length, ...object.subarray(0, 4)]).toEqual([61, 3, 1, 1, 1]);

      const probe = await tidUnderTee(["probe", "--board", "tee", "--link-key", pin, "--json"], storage);
      expect(probe.code, probe.stderr).toBe(0);
      expect(JSON.parse(probe.stdout)).toMatchObject({ suite: "intl", lifecycle: "locked", shielded: true });
      const probeText = await tidUnderTee(["probe", "--board", "tee", "--link-key", pin], storage);
      expect(probeText.stdout).toMatch(/^identity +TID [0-9a-f]{16}, suite intl, locked$/m);

      const auth = await tidUnderTee(
        ["auth", "--board", "tee", "--server", fx.url, "--user", fx.userUin, "--user-key", keyDir, "--link-key", pin, "--json"],
        storage,
      );
      expect(auth.code, auth.stdout + auth.stderr).toBe(0);
      expect(JSON.parse(auth.stdout)).toMatchObject({
        ok: true,
        suite: "intl",
        shielded: true,
        tokenIssued: true,
        tokensMatch: true,
        aead: { uplink: true, downlink: true },
      });
    });
  });

  describe("what a user meets first, as one clear line", () => {
    it("no /dev/tee0 (no OP-TEE driver): the probe names it", async () => {
      const r = await run([process.execPath, tid, "probe", "--board", "tee"], {});
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/\/dev\/tee0/);
      expect(r.stderr).toMatch(/NO_DEVICE|no such|not found|does not exist/i);
    });

    it("tee-supplicant not running: the probe says so", async () => {
      const storage = join(dir, "no-supplicant");
      mkdirSync(storage);
      const r = await tidUnderTee(["probe", "--board", "tee"], storage, { TID_FAKETEE_SUPPLICANT: "0" });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/supplicant/);
    });
  });
});
