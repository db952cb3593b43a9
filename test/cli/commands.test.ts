// The `tid` commands keygen, provision and auth (cli/commands/{keygen,provision,auth}.ts) run in
// process through the CLI's main() against a reference auth server started here: keygen (files,
// modes, registration), provision into a simulated SE (state file) and into a soft key file, auth
// from both (SE on sim-i2c and sim-spi, soft), failures (exit 1, with the reason) and usage errors
// (exit 2, with the usage text). One smoke test runs the compiled bin/tid.js (a stale dist/ fails it).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tid } from "../support/cli.js";
import { writeSimState } from "../../cli/sim-state.js";
import { getDevice } from "../../server/sdk/admin-client.js";
import { newIdentity, startFixture, type Fixture } from "../support/e2e.js";
import { builtTid, ROOT } from "../support/server-child.js";

let fx: Fixture;
let dir: string;
let keys: string;
const USER = "cli-user";
const PW = { TID_KEY_PASSPHRASE: "correct horse battery staple" };

beforeAll(async () => {
  fx = await startFixture();
  dir = mkdtempSync(join(tmpdir(), "tid-cli-"));
  keys = join(dir, "user-keys");
});
afterAll(async () => {
  await fx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const mode = (p: string): number => statSync(p).mode & 0o777;

describe("tid keygen", () => {
  it("writes public_key.pem (0644) and private_key.pem (0600), registers the key, refuses to overwrite", async () => {
    const r = await tid(["keygen", keys, "--server", fx.url, "--user", USER, "--json"], fx.adminEnv);
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.ok).toBe(true);
    expect(j.registered).toEqual({ server: fx.url, userUin: USER });
    expect(j.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(mode(join(keys, "private_key.pem"))).toBe(0o600);
    expect(mode(join(keys, "public_key.pem"))).toBe(0o644);
    expect(readFileSync(join(keys, "private_key.pem"), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    const again = await tid(["keygen", keys]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/exists/);

    const other = join(dir, "other-keys");
    const text = await tid(["keygen", other]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^RSA-2048 key pair in /);
    const forced = await tid(["keygen", other, "--force", "--json"]);
    expect(forced.code).toBe(0);
    expect(forced.json().fingerprint).not.toBe(text.out.match(/SHA-256 ([0-9a-f]{64})/)![1]); // a new pair
  });

  it("usage errors exit 2 with the usage text", async () => {
    for (const args of [
      ["keygen"],
      ["keygen", "a", "b"],
      ["keygen", "d", "--bits", "1024"],
      ["keygen", "d", "--server", fx.url],
      ["keygen", "d", "--what"],
      ["keygen", "d", "--server", "ftp://x", "--user", "u"],
    ]) {
      const r = await tid(args);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
      expect(r.err).toMatch(/usage: tid keygen DIR/);
    }
  });
});

describe("tid provision and tid auth", () => {
  it("simulated SE: provision into a state file (0600, locked), then authenticate on sim-i2c and sim-spi", async () => {
    const state = join(dir, "se.json");
    const p = await tid(
      ["provision", "--server", fx.url, "--board", "sim-i2c", "--sim-state", state, "--label", "cli test", "--owner", USER, "--json"],
      fx.adminEnv,
    );
    expect(p.code).toBe(0);
    const pj = p.json();
    expect(pj).toMatchObject({ ok: true, backend: "se", board: "sim-i2c", locked: true, registered: true, stored: true });
    expect(mode(state)).toBe(0o600);
    const saved = JSON.parse(readFileSync(state, "utf8")) as Record<string, unknown>;
    expect(saved.tid).toBe(pj.tid);
    expect(p.out).not.toContain(saved.psk as string); // the PSK is never printed
    const dev = await getDevice(fx.admin, new Uint8Array(Buffer.from(pj.tid as string, "hex")));
    expect(dev.label).toBe("cli test");
    expect(dev.owner).toBe(USER);

    for (const board of ["sim-i2c", "sim-spi"]) {
      const a = await tid([
        "auth",
        "--server",
        fx.url,
        "--user",
        USER,
        "--user-key",
        keys,
        "--board",
        board,
        "--sim-state",
        state,
        "--json",
      ]);
      expect([board, a.code, a.err]).toEqual([board, 0, ""]);
      const aj = a.json();
      expect(aj).toMatchObject({
        ok: true,
        backend: "se",
        board,
        simulated: true,
        tid: pj.tid,
        tokenIssued: true,
        tokensMatch: true,
        aead: { uplink: true, downlink: true },
      });
      expect(aj.authcodeLength).toBe(132);
      expect(aj.simulatedBusMs).toBeGreaterThan(0);
      expect(aj.wireBytes).toBeGreaterThan(300);
      expect(aj.token).toBeUndefined();
    }
    // text output, extra data, keep-session (no token), --show-token
    const t = await tid([
      "auth",
      "--server",
      fx.url,
      "--user",
      USER,
      "--user-key",
      keys,
      "--board",
      "sim-i2c",
      "--sim-state",
      state,
      "--extra",
      "c0ffee",
      "--show-token",
    ]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^authenticated TID [0-9a-f]{16} with /);
    expect(t.out).toMatch(/authcode {3}135 bytes/);
    expect(t.out).toMatch(/token hex {2}[0-9a-f]{32}/);
    const k = await tid([
      "auth",
      "--server",
      fx.url,
      "--user",
      USER,
      "--user-key",
      keys,
      "--board",
      "sim-spi",
      "--sim-state",
      state,
      "--keep-session",
      "--json",
    ]);
    expect(k.json()).toMatchObject({ ok: true, tokenIssued: false, tokensMatch: true, serverDataLength: 68 });

    // the same state file again: refused without --force; with --force the locked SE is new (a fresh simulated chip)
    const again = await tid(["provision", "--server", fx.url, "--board", "sim-i2c", "--sim-state", state], fx.adminEnv);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/exists/);
    const forced = await tid(
      [
        "provision",
        "--server",
        fx.url,
        "--board",
        "sim-spi",
        "--sim-state",
        state,
        "--force",
        "--tid",
        "00112233445566ff",
        "--no-lock",
        "--json",
      ],
      fx.adminEnv,
    );
    expect(forced.json()).toMatchObject({ ok: true, tid: "00112233445566ff", locked: false });
    const a2 = await tid([
      "auth",
      "--server",
      fx.url,
      "--user",
      USER,
      "--user-key",
      keys,
      "--board",
      "sim-spi",
      "--sim-state",
      state,
      "--json",
    ]);
    expect(a2.json()).toMatchObject({ ok: true, tid: "00112233445566ff" });
  });

  it("soft key file: provision (sealed, 0600), authenticate; a wrong passphrase fails with the reason", async () => {
    const keyFile = join(dir, "device.key");
    const p = await tid(["provision", "--server", fx.url, "--key-file", keyFile, "--json"], { ...PW, ...fx.adminEnv });
    expect(p.code).toBe(0);
    expect(p.json()).toMatchObject({ ok: true, backend: "soft", keyFile, registered: true, stored: true });
    expect(mode(keyFile)).toBe(0o600);
    expect(readFileSync(keyFile).subarray(0, 6).toString()).toBe("TIDKEY");

    const a = await tid(["auth", "--server", fx.url, "--user", USER, "--user-key", keys, "--key-file", keyFile, "--json"], PW);
    expect(a.code).toBe(0);
    expect(a.json()).toMatchObject({ ok: true, backend: "soft", tid: p.json().tid, tokensMatch: true });

    // passphrase from another variable, and from a file
    const pwFile = join(dir, "pw.txt");
    writeFileSync(pwFile, `${PW.TID_KEY_PASSPHRASE}\n`, { mode: 0o600 });
    const viaFile = await tid([
      "auth",
      "--server",
      fx.url,
      "--user",
      USER,
      "--user-key",
      keys,
      "--key-file",
      keyFile,
      "--passphrase-file",
      pwFile,
    ]);
    expect(viaFile.code).toBe(0);
    const viaEnv = await tid(
      ["auth", "--server", fx.url, "--user", USER, "--user-key", keys, "--key-file", keyFile, "--passphrase-env", "MY_PW"],
      { MY_PW: PW.TID_KEY_PASSPHRASE },
    );
    expect(viaEnv.code).toBe(0);

    const wrong = await tid(["auth", "--server", fx.url, "--user", USER, "--user-key", keys, "--key-file", keyFile, "--json"], {
      TID_KEY_PASSPHRASE: "wrong",
    });
    expect(wrong.code).toBe(1);
    expect(wrong.json()).toMatchObject({ ok: false, errorCode: "BAD_SECRET" });
    expect(wrong.json().error).toMatch(/cannot unseal/);
  });

  it("failures exit 1 and say why: unregistered device, unknown user server, hardware board not present", async () => {
    // a simulated SE whose identity the server never saw
    const state = join(dir, "stranger.json");
    const id = newIdentity();
    await writeSimState(state, { ...id, locked: true });
    const a = await tid([
      "auth",
      "--server",
      fx.url,
      "--user",
      USER,
      "--user-key",
      keys,
      "--board",
      "sim-i2c",
      "--sim-state",
      state,
      "--unshielded", // a state file written without pairing
      "--json",
    ]);
    expect(a.code).toBe(1);
    expect(a.json()).toMatchObject({ ok: false, errorCode: "UNKNOWN_TID" });
    const text = await tid([
      "auth",
      "--server",
      fx.url,
      "--user",
      USER,
      "--user-key",
      keys,
      "--board",
      "sim-i2c",
      "--sim-state",
      state,
      "--unshielded",
    ]);
    expect(text.err).toMatch(/^tid auth: UNKNOWN_TID \(HTTP 403\)/);
    // an unpaired SE is used in clear only when asked to
    const clear = await tid(["auth", "--server", fx.url, "--user", USER, "--user-key", keys, "--board", "sim-i2c", "--sim-state", state]);
    expect(clear.code).toBe(2);
    expect(clear.err).toMatch(/was not paired \(no link key\).*--unshielded/);

    // a user server the auth server does not know
    const known = join(dir, "se.json");
    const u = await tid([
      "auth",
      "--server",
      fx.url,
      "--user",
      "nobody",
      "--user-key",
      keys,
      "--board",
      "sim-i2c",
      "--sim-state",
      known,
      "--json",
    ]);
    expect(u.json()).toMatchObject({ ok: false, errorCode: "BAD_SIGNATURE" }); // an unknown user server looks like a bad signature

    // hardware that is not there: nothing is registered
    const tidHex = "feedfacecafebeef";
    const h = await tid(["provision", "--server", fx.url, "--board", "rpi4-i2c", "--unshielded", "--tid", tidHex, "--json"], {
      TID_I2C_BUS: "97",
      ...fx.adminEnv,
    });
    expect(h.code).toBe(1);
    expect(h.json()).toMatchObject({ ok: false, registered: false, stored: false });
    await expect(getDevice(fx.admin, new Uint8Array(Buffer.from(tidHex, "hex")))).rejects.toMatchObject({ code: "UNKNOWN_DEVICE" });

    // a server that is not there
    const down = await tid(["provision", "--server", "http://127.0.0.1:9", "--key-file", join(dir, "never.key"), "--json"], {
      ...PW,
      ...fx.adminEnv,
    });
    expect(down.code).toBe(1);
    expect(down.json()).toMatchObject({ ok: false, registered: false });
    expect(existsSync(join(dir, "never.key"))).toBe(false);
  });

  it("usage errors exit 2 with the command's usage", async () => {
    const k = ["--user", USER, "--user-key", keys];
    const cases: [string[], RegExp][] = [
      [["provision", "--board", "sim-i2c", "--sim-state", "x"], /--server URL is required/],
      [["provision", "--server", "nonsense", "--key-file", "x"], /not a URL/],
      [["provision", "--server", fx.url], /exactly one of --board NAME and --key-file FILE/],
      [["provision", "--server", fx.url, "--board", "sim-i2c", "--key-file", "x"], /exactly one of/],
      [["provision", "--server", fx.url, "--board", "sim-i2c"], /give --sim-state FILE/],
      [["provision", "--server", fx.url, "--board", "rpi4-i2c", "--sim-state", "x"], /for simulated boards/],
      [["provision", "--server", fx.url, "--board", "no-such-board", "--sim-state", "x"], /unknown board/],
      [["provision", "--server", fx.url, "--key-file", "x", "--tid", "123"], /--tid must be 16 hex digits/],
      [["provision", "--server", fx.url, "--key-file", "x"], /passphrase: set \$TID_KEY_PASSPHRASE/],
      [["provision", "--server", fx.url, "--key-file", "x", "--machine-bound", "--passphrase-env", "V"], /only one of/],
      [["provision", "--server", fx.url, "--key-file", "x", "--frobnicate"], /Unknown option '--frobnicate'/],
      [["auth", "--server", fx.url, "--user-key", keys, "--key-file", "x"], /--user UIN is required/],
      [["auth", "--server", fx.url, "--user", USER, "--key-file", "x"], /--user-key DIR is required/],
      [
        ["auth", "--server", fx.url, "--user", USER, "--user-key", join(dir, "nope"), "--key-file", "x"],
        /--user-key .*nope: no such directory; make the key pair with `tid keygen/,
      ],
      [
        ["auth", "--server", fx.url, ...k, "--key-file", join(dir, "no.key")],
        /--key-file .*no\.key: no such file; write one with `tid provision/,
      ],
      [["auth", "--server", fx.url, ...k, "--board", "sim-spi"], /give --sim-state FILE/],
      [["auth", "--server", fx.url, ...k, "--key-file", "x", "--extra", "zz"], /--extra must be hex/],
      [["auth", "--server", fx.url, ...k, "--key-file", "x", "--sim-state", "y"], /--sim-state goes with --board/],
      [["auth", ...k, "--key-file", "x"], /--server URL is required/],
      [["provision", "--server", "http://tid.example:8080", "--key-file", "x"], /plain http to tid\.example would send/],
      [["auth", "--server", "http://10.0.0.7:8080", ...k, "--key-file", "x"], /plain http to 10\.0\.0\.7/],
      [["keygen", join(dir, "k2"), "--server", "http://[fd00::1]:80", "--user", USER], /plain http to fd00::1/],
      [["auth", "--server", fx.url, ...k, "--key-file", "x", "--ca", join(dir, "no-ca.pem")], /--ca .*no-ca\.pem: no such file/],
    ];
    for (const [args, why] of cases) {
      const r = await tid(args, args.includes("--key-file") && args[0] === "auth" ? PW : {});
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
      expect(r.err).toMatch(why);
      expect(r.err).toMatch(new RegExp(`usage: tid ${args[0]} `));
    }
    const help = await tid(["help", "provision"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: tid provision --server URL/);
    const list = await tid(["help"]);
    for (const c of ["probe", "keygen", "server", "provision", "auth", "demo", "version"])
      expect(list.out).toMatch(new RegExp(`^  ${c} `, "m"));
  });
});

describe("bin/tid.js (compiled, as installed)", () => {
  it("runs keygen, lists the commands, prints the version; usage errors exit 2", () => {
    const bin = builtTid();
    const h = spawnSync(process.execPath, [bin, "help"], { encoding: "utf8" });
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/provision/);
    const k = spawnSync(process.execPath, [bin, "keygen", join(dir, "bin-keys"), "--json"], { encoding: "utf8" });
    expect(k.status).toBe(0);
    expect(JSON.parse(k.stdout)).toMatchObject({ ok: true, bits: 2048 });
    const u = spawnSync(process.execPath, [bin, "auth"], { encoding: "utf8" });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/usage: tid auth/);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "version", "-v"]) {
      const v = spawnSync(process.execPath, [bin, flag], { encoding: "utf8" });
      expect([flag, v.status, v.stdout]).toEqual([flag, 0, `tid-wasm ${pkg.version}\n`]);
    }
  });
});
