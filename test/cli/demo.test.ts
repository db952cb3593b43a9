// `tid demo` (cli/commands/demo.ts, what `npm run demo` runs): in process through the CLI's main()
// for the SE backend on both simulated buses and for the soft backend, in --json mode, with the
// JSON checked against the protocol's layouts and independently with the server's own AEAD and SM4
// code; the text mode; a forced failure (--tamper: exit 1, the failing step named); usage errors
// (exit 2); --tls (TID-TLS to an echo user server, modes auth and resume); --suite intl (the whole
// flow in suite INTL on the SE backend — an INTL identity in the simulated SE — and on the soft
// backend, checked with the server's AES code, with and without --tls). The compiled bin/tid.js runs it once too, as `npm run demo` does.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { tid } from "../support/cli.js";
import type { DemoReport } from "../../cli/commands/demo.js";
import { builtTid } from "../support/server-child.js";
import { AeadSession } from "../../reference/aead.js";
import { symEncrypt, type SuiteName } from "../../server/sdk/auth-device.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const demo = (args: string[]) => tid(["demo", ...args]);

/** Check a successful --json report the way an outsider would. */
function checkReport(r: DemoReport, backend: "se" | "soft", suite: SuiteName = "sm"): void {
  expect(r.ok).toBe(true);
  expect(r.backend).toBe(backend);
  expect(r.suite).toBe(suite);
  const authcode = fromHex(r.authcode!);
  const serverData = fromHex(r.serverData!);
  expect(authcode.length).toBe(132);
  expect(serverData.length).toBe(132);
  // v1, SM4 and SM2-ECDH (suite sm) or AES-128 and P-256 ECDH (suite intl), nonce 16, flags 0
  const algorithms = suite === "sm" ? "1002" : "2003";
  expect(toHex(authcode.subarray(0, 6))).toBe(`01${algorithms}100000`);
  expect(toHex(serverData.subarray(0, 6))).toBe(`01${algorithms}100001`); // flags bit 0: token issued
  expect(toHex(authcode.subarray(10, 18))).toBe(r.tid);
  expect(toHex(serverData.subarray(10, 18))).toBe(r.tid);
  expect(Math.abs(new DataView(serverData.buffer).getUint32(6) - Date.now() / 1000)).toBeLessThan(60);
  expect(r.deviceToken).toMatch(/^[0-9a-f]{32}$/);
  expect(r.deviceToken).toBe(r.serverToken);
  // the messages in the report open with the token, with the server's own code
  const token = fromHex(r.serverToken!);
  expect(new TextDecoder().decode(new AeadSession(token, "server", suite).open(fromHex(r.uplink!.message)))).toBe(r.uplink!.plaintext);
  expect(new TextDecoder().decode(new AeadSession(token, "device", suite).open(fromHex(r.downlink!.message)))).toBe(r.downlink!.plaintext);
  expect(toHex(symEncrypt(token, fromHex(r.symCrypto!.plaintext), suite))).toBe(r.symCrypto!.deviceCiphertext);
  expect(r.symCrypto!.serverCiphertext).toBe(r.symCrypto!.deviceCiphertext);
  expect(r.steps).toHaveLength(12);
  for (const s of r.steps) {
    expect(s.ok).toBe(true);
    expect(s.ms).toBeGreaterThanOrEqual(0);
    expect(s.name.length).toBeGreaterThan(0);
  }
  const step = (name: RegExp) => r.steps.find((s) => name.test(s.name))!;
  expect(step(/get_authcode/).bytes).toBe(132);
  if (backend === "se") {
    // every step that talks to the SE reports simulated bus time and wire bytes
    for (const name of [/provision/, /tid_client_init/, /get_authcode/, /validate/, /sym_crypto: device/, /sym_crypto: user server/]) {
      expect(step(name).busUs).toBeGreaterThan(0);
      expect(step(name).wireBytes).toBeGreaterThan(0);
    }
    expect(step(/authDevice/).wireBytes).toBe(0);
    expect(r.totals.busUs).toBeGreaterThan(0);
    expect(r.totals.wireBytes).toBeGreaterThan(300);
  } else {
    expect(r.steps.every((s) => s.busUs === undefined)).toBe(true);
  }
}

describe("tid demo", () => {
  it.each([
    ["se", "i2c"],
    ["se", "spi"],
    ["soft", null],
  ] as const)("--json, backend %s, bus %s: exit 0, a complete and consistent report", async (backend, bus) => {
    const args = ["--json", "--backend", backend, ...(bus ? ["--bus", bus] : [])];
    const { code, out, err } = await demo(args);
    expect(err).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(out) as DemoReport;
    checkReport(r, backend);
    if (bus) expect(r.board).toBe(`sim-${bus}`);
    expect(r.shielded).toBe(backend === "se");
    if (backend === "se") {
      // the bus capture: every frame both ways; the token (shown in the report) is in none of them
      expect(r.busCapture!.length).toBeGreaterThan(30);
      expect(new Set(r.busCapture!.map((f) => f.dir))).toEqual(new Set(["out", "in"]));
      const wire = r.busCapture!.map((f) => f.hex).join(" ");
      expect(wire).toMatch(/^[0-9a-f ]+$/);
      expect(wire).not.toContain(r.deviceToken!);
    } else {
      expect(r.busCapture).toBeUndefined();
    }
  });

  it("--unshielded: the SE is not paired, and the token the report shows is there on the captured bus", async () => {
    const { code, out } = await demo(["--json", "--unshielded"]);
    expect(code).toBe(0);
    const r = JSON.parse(out) as DemoReport;
    checkReport(r, "se");
    expect(r.shielded).toBe(false);
    expect(r.busCapture!.map((f) => f.hex).join("")).toContain(r.deviceToken!);
    const text = await demo(["--unshielded"]);
    expect(text.out).toMatch(/^link: UNSHIELDED/m);
  });

  it("text mode: every step as it goes, then the summary", async () => {
    const { code, out } = await demo([]);
    expect(code).toBe(0);
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^tid-wasm demo — TID protocol v1, SE backend: .*sim-i2c/);
    expect(lines[1]).toBe("algorithm suite sm (SM2, SM3, SM4)");
    for (let n = 1; n <= 12; n++) expect(out).toMatch(new RegExp(`^\\[ ?${n}/12\\] .* ok `, "m"));
    expect(out).toMatch(/simulated: bus \d+\.\d\d ms, [\d.]+ ms with SE work, \d+ wire B/);
    expect(out).toMatch(/^all 12 steps held: TID [0-9a-f]{16} authenticated in suite sm, /m);
    expect(out).toMatch(/^link: shielded — after SELECT and OPEN SECURE SESSION every APDU was protected; \d+ bus frames captured/m);
    expect(out).toMatch(/server stopped, temporary files removed\.$/);
  });

  it("--tamper: the device refuses the altered server data; exit 1 naming the step", async () => {
    const { code, out, err } = await demo(["--tamper"]);
    expect(code).toBe(1);
    expect(out).toMatch(/^\[ 7\/12\] device: tid_client_validate_authcode +FAIL/m);
    expect(err).toMatch(/^tid demo: step 7 "device: tid_client_validate_authcode" failed: ERR_VERIFY_FAILED/);
    const j = await demo(["--tamper", "--json", "--backend", "soft"]);
    expect(j.code).toBe(1);
    const r = JSON.parse(j.out) as DemoReport;
    expect(r.ok).toBe(false);
    expect(r.steps.at(-1)).toMatchObject({ ok: false, name: "device: tid_client_validate_authcode" });
    expect(r.steps.at(-1)!.error).toMatch(/ERR_VERIFY_FAILED/);
  });

  it("usage errors exit 2", async () => {
    for (const args of [
      ["--backend", "tee"],
      ["--bus", "uart"],
      ["--backend", "soft", "--bus", "spi"],
      ["--backend", "soft", "--unshielded"],
      ["--frob"],
      ["extra"],
      ["--build", "fast"],
      ["--suite", "aes"],
      ["--suite", "intl", "--backend", "soft", "--bus", "spi"],
    ]) {
      const { code, err } = await demo(args);
      expect([args.join(" "), code]).toEqual([args.join(" "), 2]);
      expect(err).toMatch(/^tid demo: .*\n\nusage: tid demo /);
    }
    expect((await demo(["--help"])).code).toBe(0);
  });
});

describe("tid demo --suite intl", () => {
  it.each([
    [[], "se"],
    [["--backend", "se", "--bus", "spi"], "se"],
    [["--backend", "soft"], "soft"],
  ] as const)("--json %j: the whole flow in suite INTL on the %s backend, checked with the server's AES code", async (extra, backend) => {
    const { code, out, err } = await demo(["--json", "--suite", "intl", ...extra]);
    expect(err).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(out) as DemoReport;
    checkReport(r, backend, "intl");
    if (backend === "soft") expect(r.busCapture).toBeUndefined();
    else expect(r.busCapture!.length).toBeGreaterThan(0);
    // the same token does not open the messages in the other suite: the report is really INTL
    expect(() => new AeadSession(fromHex(r.serverToken!), "server", "sm").open(fromHex(r.uplink!.message))).toThrow();
  });

  it("text mode says the suite, at the start, in the steps and in the summary (SE backend, the default)", async () => {
    const { code, out } = await demo(["--suite", "intl"]);
    expect(code).toBe(0);
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^tid-wasm demo — TID protocol v1, SE backend/);
    expect(out).toMatch(/PROVISION \(suite intl\)/);
    expect(out).toMatch(/protected GET DATA → TID [0-9a-f]{16}, suite intl/);
    expect(out).toMatch(/inside the SE: CIPHER/);
    expect(lines[1]).toBe("algorithm suite intl (P-256, SHA-256, AES-128)");
    expect(out).toMatch(/version 01, AES-128 20, P-256 ECDH 03, time \d+, .* tag_d = HMAC-SHA-256\(PSK, …\)/);
    expect(out).toMatch(/counter 8 ‖ AES-128-GCM ciphertext ‖ tag 16/);
    expect(out).toMatch(/raw AES-128-ECB over 2 blocks/);
    expect(out).toMatch(/^all 12 steps held: TID [0-9a-f]{16} authenticated in suite intl, /m);
    expect(out).not.toMatch(/SM4|SM2|SM3/);
  });

  it("--tls --json: mode auth then resume in TLS_AES_128_GCM_SHA256, every byte echoed", async () => {
    const { code, out, err } = await demo(["--suite", "intl", "--tls", "--json"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(out) as DemoReport;
    expect(r.ok).toBe(true);
    expect(r.suite).toBe("intl");
    expect(r.tls!.cipherSuite).toBe("TLS_AES_128_GCM_SHA256");
    expect(r.tls!.connections.map((c) => [c.mode, c.cipherSuite])).toEqual([
      ["auth", "TLS_AES_128_GCM_SHA256"],
      ["resume", "TLS_AES_128_GCM_SHA256"],
    ]);
    expect(r.tls!.bytesEchoed).toBeGreaterThan(0);
  });
});

describe("tid demo --tls", () => {
  it.each(["se", "soft"] as const)("--json --backend %s: mode auth then resume over TID-TLS, every byte echoed", async (backend) => {
    const { code, out, err } = await demo(["--tls", "--json", "--backend", backend]);
    expect(err).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(out) as DemoReport;
    expect(r.ok).toBe(true);
    expect(r.steps).toHaveLength(9);
    expect(r.steps.every((s) => s.ok)).toBe(true);
    const tls = r.tls!;
    expect(tls.mode).toBe("auth");
    expect(tls.cipherSuite).toBe("TLS_SM4_GCM_SM3");
    expect(tls.connections.map((c) => c.mode)).toEqual(["auth", "resume"]);
    const sent = ["hello over TID-TLS", "the second message", "a third, to be sure"].join("").length;
    expect(tls.connections.map((c) => c.bytesEchoed)).toEqual([sent, sent]);
    expect(tls.bytesEchoed).toBe(2 * sent);
    for (const c of tls.connections) {
      expect(c.tid).toBe(r.tid);
      expect(c.cipherSuite).toBe("TLS_SM4_GCM_SM3");
      expect(c.handshakeMs).toBeGreaterThan(0);
    }
  });

  it("text mode prints each step and the summary; --tls with --tamper is a usage error", async () => {
    const { code, out } = await demo(["--tls", "--backend", "soft"]);
    expect(code).toBe(0);
    for (let n = 1; n <= 9; n++) expect(out).toMatch(new RegExp(`^\\[ ?${n}/9\\] .* ok `, "m"));
    expect(out).toMatch(/TID-TLS connect, mode auth/);
    expect(out).toMatch(/reconnect, mode resume/);
    expect(out).toMatch(
      /^all 9 steps held: TID [0-9a-f]{16} over TID-TLS \(TLS_SM4_GCM_SM3\), mode auth then mode resume, 110 bytes echoed\.$/m,
    );
    expect((await demo(["--tls", "--tamper"])).code).toBe(2);
  });
});

describe("bin/tid.js demo (compiled, as npm run demo runs it)", () => {
  it.each(["se", "soft"] as const)("--json --backend %s exits 0 with a consistent report", (backend) => {
    const p = spawnSync(process.execPath, [builtTid(), "demo", "--json", "--backend", backend], { encoding: "utf8", timeout: 60_000 });
    expect(p.stderr).toBe("");
    expect(p.status).toBe(0);
    checkReport(JSON.parse(p.stdout) as DemoReport, backend);
  });
});
