// The files `tid auth` and `tid provision` read from their options (cli/option-file.ts, the key
// file reader of bindings/keyfile.ts, cli/sim-state.ts): each wrong one is a usage error (exit 2)
// naming the option and saying what to do — missing, not a regular file (a FIFO must not hang the
// command, /dev/urandom must not be read), too large, of the wrong format — before anything runs
// or is registered; a well-formed secret file that others may read fails (exit 1) with the chmod to
// run, only after its format was checked.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tid } from "../support/cli.js";
import { writeSimState } from "../../cli/sim-state.js";
import { writeKeyFile } from "../../bindings/keyfile.js";
import { getDevice } from "../../server/sdk/admin-client.js";
import { keygen } from "../../server/sdk/keygen.js";
import { fromHex } from "../../reference/bytes.js";
import { newIdentity, startFixture, type Fixture } from "../support/e2e.js";

let fx: Fixture;
let dir: string;
let keys: string;
let fifo: string;
let keyFile: string;
const PW = { TID_KEY_PASSPHRASE: "correct horse battery staple" };

beforeAll(async () => {
  fx = await startFixture();
  dir = mkdtempSync(join(tmpdir(), "tid-cli-inputs-"));
  keys = join(dir, "user-keys");
  keygen(keys);
  fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  keyFile = join(dir, "device.key");
  await writeKeyFile(keyFile, newIdentity(), { passphrase: PW.TID_KEY_PASSPHRASE }, { scrypt: { logN: 10, r: 8, p: 1 } });
});
afterAll(async () => {
  await fx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A file in the test directory with these contents and mode. */
function file(name: string, contents: string | Uint8Array, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, contents);
  chmodSync(p, mode);
  return p;
}

describe("file options: usage errors (exit 2) that name the option, before anything runs", () => {
  it("tid auth: --key-file, --passphrase-file, --sim-state, --user-key, --ca", async () => {
    const huge = file("huge", "");
    truncateSync(huge, 2 ** 30); // 1 GiB, sparse
    const passwd = file("passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n", 0o644);
    const big = file("big-passphrase", "p".repeat(5000));
    const binary = file("binary-passphrase", Uint8Array.from([0xff, 0xfe, 0x00, 0x41]));
    const emptyLine = file("empty-passphrase", "\nsecond line\n");
    const notJson = file("not-json", "{ nope");
    const otherJson = file("other-json", JSON.stringify({ format: "something else" }));
    const badKeyDir = join(dir, "bad-keys");
    execFileSync("mkdir", [badKeyDir]);
    file("bad-keys/private_key.pem", "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n");
    const notPem = file("not-pem.crt", "just text\n");

    const auth = ["auth", "--server", fx.url, "--user", fx.userUin];
    const soft = [...auth, "--user-key", keys, "--key-file"];
    const sim = [...auth, "--user-key", keys, "--board", "sim-i2c", "--sim-state"];
    const cases: [string[], RegExp][] = [
      [[...soft, passwd], /--key-file .*passwd: a key file is 80 \(version 1\) or 81 \(version 2\) bytes, this one \d+$/m],
      [[...soft, fifo], /--key-file .*fifo: not a regular file/],
      [[...soft, "/dev/urandom"], /--key-file \/dev\/urandom: not a regular file/],
      [[...soft, huge], /--key-file .*huge: a key file is 80 \(version 1\) or 81 \(version 2\) bytes, this one 1073741824/],
      [
        [...soft, join(dir, "missing.key")],
        /--key-file .*missing\.key: no such file; write one with `tid provision --server URL --key-file/,
      ],
      [[...soft, keyFile, "--machine-bound"], /sealed with a passphrase, not this machine's id: drop --machine-bound/],
      [
        [...soft, keyFile, "--passphrase-file", "/dev/urandom"],
        /--passphrase-file \/dev\/urandom: a character device, not the passphrase file it should be/,
      ],
      [[...soft, keyFile, "--passphrase-file", fifo], /--passphrase-file .*fifo: a FIFO/],
      [
        [...soft, keyFile, "--passphrase-file", big],
        /--passphrase-file .*big-passphrase: 5000 bytes, larger than a passphrase file can be \(4096 bytes at most\)/,
      ],
      [[...soft, keyFile, "--passphrase-file", binary], /--passphrase-file .*binary-passphrase: not UTF-8 text/],
      [[...soft, keyFile, "--passphrase-file", emptyLine], /--passphrase-file .*empty-passphrase: the first line is empty/],
      [[...soft, keyFile, "--passphrase-file", join(dir, "no-pw")], /--passphrase-file .*no-pw: no such file/],
      [
        [...sim, join(dir, "missing.json")],
        /--sim-state .*missing\.json: no such file; write one with `tid provision --board sim-i2c --sim-state FILE`/,
      ],
      [[...sim, fifo], /--sim-state .*fifo: a FIFO, not the simulated SE state file/],
      [[...sim, huge], /--sim-state .*huge: 1073741824 bytes, larger than a simulated SE state file can be/],
      [[...sim, notJson], /--sim-state .*not-json: not a simulated SE state file \(/],
      [[...sim, otherJson], /--sim-state .*other-json: not a simulated SE state file \(format "something else"\)/],
      [[...auth, "--user-key", keyFile, "--key-file", keyFile], /--user-key .*device\.key: not a directory/],
      [[...auth, "--user-key", badKeyDir, "--key-file", keyFile], /--user-key .*private_key\.pem: not a PEM private key/],
      [
        [...auth, "--user-key", dir, "--key-file", keyFile],
        /--user-key .*private_key\.pem: no such file; make the key pair with `tid keygen/,
      ],
      [[...soft, keyFile, "--ca", "/dev/urandom"], /--ca \/dev\/urandom: a character device/],
      [[...soft, keyFile, "--ca", notPem], /--ca .*not-pem\.crt: not a PEM certificate/],
    ];
    for (const [args, why] of cases) {
      const t0 = Date.now();
      const r = await tid(args, args.includes("--passphrase-file") || args.includes("--machine-bound") ? {} : PW);
      expect([args.slice(5).join(" "), r.code]).toEqual([args.slice(5).join(" "), 2]);
      expect(r.err).toMatch(why);
      expect(r.err).not.toMatch(/chmod|ENOENT/);
      expect(r.err).toMatch(/usage: tid auth /);
      expect(Date.now() - t0).toBeLessThan(5_000);
    }
  });

  it("tid provision: the passphrase file is read the same way, before anything is registered", async () => {
    const tidHex = "0badf11e0badf11e";
    const r = await tid(
      ["provision", "--server", fx.url, "--key-file", join(dir, "p.key"), "--tid", tidHex, "--passphrase-file", "/dev/urandom"],
      fx.adminEnv,
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--passphrase-file \/dev\/urandom: a character device/);
    await expect(getDevice(fx.admin, fromHex(tidHex))).rejects.toMatchObject({ code: "UNKNOWN_DEVICE" });
  });
});

describe("secret files that others may read: exit 1 with the chmod to run, after the format", () => {
  it("a key file and a simulated SE state file, mode 0644", async () => {
    const open = join(dir, "open.key");
    await writeKeyFile(open, newIdentity(), { passphrase: PW.TID_KEY_PASSPHRASE }, { scrypt: { logN: 10, r: 8, p: 1 } });
    chmodSync(open, 0o644);
    const k = await tid(["auth", "--server", fx.url, "--user", fx.userUin, "--user-key", keys, "--key-file", open, "--json"], PW);
    expect(k.code).toBe(1);
    expect(JSON.parse(k.out)).toMatchObject({ ok: false, errorCode: "INSECURE_PERMISSIONS" });
    expect(JSON.parse(k.out).error).toMatch(/run `chmod 600 .*open\.key`/);

    const state = join(dir, "open.json");
    await writeSimState(state, { ...newIdentity(), locked: true });
    chmodSync(state, 0o644);
    const s = await tid(["auth", "--server", fx.url, "--user", fx.userUin, "--user-key", keys, "--board", "sim-i2c", "--sim-state", state]);
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/^tid auth: .*open\.json: mode 644 lets others read the simulated SE's PSK; run `chmod 600 /);
  });

  it("the user server's private key (--user-key DIR/private_key.pem), mode 0644 or 0640", async () => {
    const openKeys = join(dir, "open-user-keys");
    keygen(openKeys);
    for (const m of [0o644, 0o640]) {
      chmodSync(join(openKeys, "private_key.pem"), m);
      const r = await tid(["auth", "--server", fx.url, "--user", fx.userUin, "--user-key", openKeys, "--key-file", keyFile], PW);
      expect(r.code).toBe(1);
      const octal = m.toString(8);
      expect(r.err).toMatch(
        new RegExp(
          `private_key\\.pem: mode ${octal} lets others read the user server's private key; run \`chmod 600 .*private_key\\.pem\``,
        ),
      );
    }
  });
});
