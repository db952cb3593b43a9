// The algorithm suite on the command line (docs/protocol.md "Algorithm suites"), against a real
// `tid server` (the compiled bin/tid.js, as it runs in production): `tid provision --suite intl
// --key-file` writes a version 2 key file holding suite INTL (docs/keyfile.md) and registers the
// device in suite INTL; `tid auth` with that key file authenticates end to end in INTL and says so
// (JSON and text); `--suite intl` with a (simulated) board provisions the SE with an INTL identity
// (docs/se-profile.md "Algorithm suites") and `tid auth` on it runs in INTL, the suite read from
// the SE; the default stays suite SM and a version 1 key file; a suite that is none is a usage error
// that touches nothing.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tid } from "../support/cli.js";
import { spawnServer, type ChildServer } from "../support/server-child.js";
import { getDevice } from "../../server/sdk/admin-client.js";
import { destroyAgents } from "../../server/sdk/http-client.js";
import { inspectKeyFile, KEYFILE_SIZE, KEYFILE_V2_SIZE } from "../../bindings/keyfile.js";
import { fromHex } from "../../reference/bytes.js";

let server: ChildServer;
let dir: string;
let keys: string;
const USER = "suite-user";
const PW = { TID_KEY_PASSPHRASE: "correct horse battery staple" };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tid-cli-suite-"));
  server = await spawnServer(["--db", join(dir, "tid.db"), "--master-key-file", join(dir, "master.key"), "--create-master-key"]);
  keys = join(dir, "user-server");
  const k = await tid(["keygen", keys, "--server", server.url, "--user", USER], server.adminEnv);
  expect(k.code).toBe(0);
});
afterAll(async () => {
  destroyAgents();
  if (server) {
    const exited = new Promise((resolve) => server.child.once("exit", resolve));
    server.child.kill("SIGTERM");
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const auth = (keyFile: string, extra: string[] = []) =>
  tid(["auth", "--server", server.url, "--user", USER, "--user-key", keys, "--key-file", keyFile, ...extra], PW);
/** `tid auth --json` against a simulated board whose SE state is the file `state`. */
const authOnBoard = (board: string, state: string) =>
  tid(["auth", "--server", server.url, "--user", USER, "--user-key", keys, "--board", board, "--sim-state", state, "--json"]);

/** A `tid auth --json` report in suite INTL: authenticated, both tokens and the AEAD checks agree, bytes 1–2 of both messages are AES-128 (20) and ECDH on P-256 (03). */
function expectIntlAuth(j: Record<string, unknown>, backend: "soft" | "se", tid: string): void {
  expect(j).toMatchObject({ ok: true, backend, tid, suite: "intl", tokensMatch: true, aead: { uplink: true, downlink: true } });
  expect((j.authcode as string).slice(2, 6)).toBe("2003");
  expect((j.serverData as string).slice(2, 6)).toBe("2003");
}

describe("tid provision --suite and tid auth against tid server", () => {
  it("--suite intl: a version 2 key file in suite INTL, registered in INTL; tid auth runs in INTL end to end", async () => {
    const keyFile = join(dir, "intl.key");
    const p = await tid(["provision", "--server", server.url, "--key-file", keyFile, "--suite", "intl", "--owner", USER, "--json"], {
      ...PW,
      ...server.adminEnv,
    });
    expect(p.code).toBe(0);
    const report = p.json();
    expect(report).toMatchObject({ ok: true, suite: "intl", backend: "soft", registered: true, stored: true });
    const tidHex = report.tid as string;
    expect(readFileSync(keyFile).length).toBe(KEYFILE_V2_SIZE);
    expect(await inspectKeyFile(keyFile)).toMatchObject({ version: 2, suite: "intl" });
    expect(await getDevice(server.admin, fromHex(tidHex))).toMatchObject({ suite: "intl", owner: USER, active: true });

    const a = await auth(keyFile, ["--json", "--show-token"]);
    expect(a.err).toBe("");
    expect(a.code).toBe(0);
    const j = a.json();
    expectIntlAuth(j, "soft", tidHex);
    expect(j.token).toMatch(/^[0-9a-f]{32}$/);

    const text = await auth(keyFile);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(new RegExp(`^authenticated TID ${tidHex} with `, "m"));
    expect(text.out).toMatch(/^ {2}suite {6}intl \(P-256, SHA-256, AES-128\)$/m);
    expect(text.out).toMatch(/^ {2}AEAD {7}uplink and downlink check messages opened \(AES-128-GCM\)$/m);
  });

  it("the default is suite SM: a version 1 key file (80 bytes, as before suites), registered in SM; text output says it", async () => {
    const keyFile = join(dir, "sm.key");
    const p = await tid(["provision", "--server", server.url, "--key-file", keyFile], { ...PW, ...server.adminEnv });
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/^provisioned TID [0-9a-f]{16}$/m);
    expect(p.out).toMatch(/^ {2}suite {6}sm \(SM2, SM3, SM4\)$/m);
    const tidHex = p.out.match(/^provisioned TID ([0-9a-f]{16})$/m)![1]!;
    expect(readFileSync(keyFile).length).toBe(KEYFILE_SIZE);
    expect(await inspectKeyFile(keyFile)).toMatchObject({ version: 1, suite: "sm" });
    expect(await getDevice(server.admin, fromHex(tidHex))).toMatchObject({ suite: "sm" });
    const a = await auth(keyFile, ["--json"]);
    expect(a.code).toBe(0);
    expect(a.json()).toMatchObject({ ok: true, tid: tidHex, suite: "sm", tokensMatch: true });
    expect((a.json().authcode as string).slice(2, 6)).toBe("1002");
  });

  it.each(["sim-i2c", "sim-spi"])(
    "--suite intl --board %s: the SE holds an INTL identity (state file suite intl), registered in INTL; tid auth reads the suite from the SE",
    async (board) => {
      const state = join(dir, `se-intl-${board}.json`);
      const p = await tid(["provision", "--server", server.url, "--board", board, "--sim-state", state, "--suite", "intl", "--json"], {
        ...server.adminEnv,
      });
      expect(p.err).toBe("");
      expect(p.code).toBe(0);
      const report = p.json();
      expect(report).toMatchObject({ ok: true, suite: "intl", backend: "se", registered: true, stored: true, locked: true });
      const tidHex = report.tid as string;
      expect(JSON.parse(readFileSync(state, "utf8"))).toMatchObject({ tid: tidHex, suite: "intl", locked: true });
      expect(await getDevice(server.admin, fromHex(tidHex))).toMatchObject({ suite: "intl", active: true });

      const a = await authOnBoard(board, state);
      expect(a.err).toBe("");
      expect(a.code).toBe(0);
      expectIntlAuth(a.json(), "se", tidHex);
    },
  );

  it("--suite sm with a board is what it always was: the state file says sm, tid auth runs in SM", async () => {
    const state = join(dir, "se-sm.json");
    const sm = await tid(
      ["provision", "--server", server.url, "--board", "sim-i2c", "--sim-state", state, "--suite", "sm", "--json"],
      server.adminEnv,
    );
    expect(sm.json()).toMatchObject({ ok: true, suite: "sm", backend: "se" });
    expect(JSON.parse(readFileSync(state, "utf8")).suite).toBe("sm");
    const a = await authOnBoard("sim-i2c", state);
    expect(a.code).toBe(0);
    expect(a.json()).toMatchObject({ ok: true, suite: "sm" });
    expect((a.json().authcode as string).slice(2, 6)).toBe("1002");
  });

  it("a suite that is none is a usage error naming --suite", async () => {
    for (const suite of ["SM", "aes", ""]) {
      const keyFile = join(dir, `bad-${suite || "empty"}.key`);
      const r = await tid(["provision", "--server", server.url, "--key-file", keyFile, "--suite", suite], { ...PW, ...server.adminEnv });
      expect([suite, r.code]).toEqual([suite, 2]);
      expect(r.err).toContain(`--suite must be sm or intl, got ${JSON.stringify(suite)}`);
      expect(existsSync(keyFile)).toBe(false);
    }
  });
});
