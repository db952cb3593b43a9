// `npm run demo` — the whole TID flow on one machine, no hardware (docs/protocol.md
// "Running it"): a reference TID auth server on loopback (temporary registry), a user server
// key pair registered with it, a device identity provisioned into a simulated Fudan Micro SE on a
// simulated I2C bus (or SPI, or a soft key file) and registered, then one authentication —
//   get authcode (device) → user server → TID auth server → validate (device) → same token on
//   both sides → an uplink and a downlink AEAD message → the legacy sym_crypto both ways —
// printing each step with sizes, hex, wall time and (SE backend) simulated bus time and wire bytes.
// Exit 0 only if every step held; 1 with the failed step named otherwise; 2 for a usage error.
//
//   node dist/cli/commands/demo.js [--backend se|soft] [--bus i2c|spi] [--json] [--build release|debug]
import { createHash, createPublicKey, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { openBoard, type OpenedBoard } from "../../hal/open-board.js";
import { SeClient } from "../../hal/se/client.js";
import { startAuthServer, type AuthServer } from "../../server/app/auth-server.js";
import { registerDevice, registerUserServer } from "../../server/sdk/admin-client.js";
import { authDevice, destroyAgents, sm4Decrypt, sm4Encrypt } from "../../server/sdk/auth-device.js";
import { AeadSession } from "../../reference/aead.js";
import { keygen } from "../../server/sdk/keygen.js";
import { TidClient } from "../../bindings/client.js";
import { TidError } from "../../bindings/errors.js";
import { writeKeyFile } from "../../bindings/keyfile.js";
import type { WasmBuild } from "../../bindings/wasm.js";
import { toHex } from "../../reference/bytes.js";

const USAGE = `usage: npm run demo -- [--backend se|soft] [--bus i2c|spi] [--json] [--build release|debug]

Run the whole TID flow locally: a reference TID auth server on loopback, a user server, and a
device — the wasm client with a simulated Fudan Micro SE on a simulated bus (default), or with the
soft backend and a sealed key file (--backend soft). Shows every step; exits 0 only if all held.

  --backend se|soft   where the device keys live (default se)
  --bus i2c|spi       the simulated bus for the SE backend: board sim-i2c or sim-spi (default i2c)
  --json              print one JSON document (authcode, serverData, deviceToken, serverToken, steps)
  --build NAME        which wasm build to run (default release)
  --tamper            flip one bit of the server data on its way to the device, to watch the device
                      refuse it (the demo then fails at validate and exits 1)`;

export interface DemoStep {
  name: string;
  ok: boolean;
  /** wall-clock time of the step, ms */
  ms: number;
  /** SE backend: simulated bus time (bus busy) of the step, µs */
  busUs?: number;
  /** SE backend: simulated time of the step (bus, SE processing, polling), ms */
  simMs?: number;
  /** SE backend: bytes that crossed the simulated bus (frames, polls, status bytes) */
  wireBytes?: number;
  /** size of the step's main output, bytes */
  bytes?: number;
  detail: string[];
  error?: string;
}

export interface DemoReport {
  ok: boolean;
  backend: "se" | "soft";
  board?: string;
  build: WasmBuild;
  server?: string;
  tid?: string;
  authcode?: string;
  serverData?: string;
  deviceToken?: string | null;
  serverToken?: string | null;
  uplink?: { plaintext: string; message: string };
  downlink?: { plaintext: string; message: string };
  symCrypto?: { plaintext: string; deviceCiphertext: string; serverCiphertext: string };
  steps: DemoStep[];
  totals: { ms: number; busUs?: number; simMs?: number; wireBytes?: number };
  error?: string;
}

export interface DemoIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: DemoIo = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : t + "\n"),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : t + "\n"),
};


/** Hex, abbreviated to the first 16 and last 8 bytes when longer than 32 bytes. */
export function shortHex(b: Uint8Array): string {
  if (b.length <= 32) return toHex(b);
  return `${toHex(b.subarray(0, 16))}…${toHex(b.subarray(b.length - 8))}`;
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

class StepFailed extends Error {}

/** Run the demo; resolves with the exit code. */
export async function runDemo(argv: string[], io: DemoIo = processIo): Promise<number> {
  let values: { backend?: string | undefined; bus?: string | undefined; json?: boolean | undefined; build?: string | undefined; tamper?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { backend: { type: "string" }, bus: { type: "string" }, json: { type: "boolean" }, build: { type: "string" }, tamper: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    io.err(`demo: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const backend = values.backend ?? "se";
  const bus = values.bus ?? "i2c";
  const build = values.build ?? "release";
  const bad = (m: string): number => {
    io.err(`demo: ${m}\n\n${USAGE}`);
    return 2;
  };
  if (backend !== "se" && backend !== "soft") return bad(`--backend must be se or soft, got ${JSON.stringify(backend)}`);
  if (bus !== "i2c" && bus !== "spi") return bad(`--bus must be i2c or spi, got ${JSON.stringify(bus)}`);
  if (values.bus !== undefined && backend === "soft") return bad("--bus goes with the SE backend (the soft backend has no bus)");
  if (build !== "release" && build !== "debug") return bad(`--build must be release or debug, got ${JSON.stringify(build)}`);
  const json = values.json === true;

  const report: DemoReport = { ok: false, backend, build, steps: [], totals: { ms: 0 } };
  const boardName = `sim-${bus}`;
  if (backend === "se") report.board = boardName;
  const say = (t: string): void => {
    if (!json) io.out(t);
  };

  const tmp = mkdtempSync(join(tmpdir(), "tid-demo-"));
  // Interrupted (Ctrl-C): stop the server and remove the temporary files before exiting.
  const onSignal = (signal: NodeJS.Signals): void => {
    io.err(`demo: ${signal}, stopping the server`);
    void (server?.close() ?? Promise.resolve()).finally(() => {
      rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let server: AuthServer | undefined;
  let opened: OpenedBoard | undefined;
  let client: TidClient | undefined;
  const t00 = performance.now();
  say(
    backend === "se"
      ? `tid-wasm demo — TID protocol v1, SE backend: the wasm client drives a simulated Fudan Micro SE on ${boardName} (${bus === "i2c" ? "I2C 400 kHz at 0x71" : "SPI mode 3, 2 MHz"}, virtual clock)`
      : "tid-wasm demo — TID protocol v1, soft backend: TID and PSK in the wasm, loaded from a sealed key file",
  );
  say("");

  /** Run one step: time it (and the simulated bus), print it, record it; a throw fails the demo. */
  const TOTAL = 12;
  async function step<T>(name: string, fn: () => Promise<T> | T, describe: (r: T) => { detail: string[]; bytes?: number }): Promise<T> {
    const n = report.steps.length + 1;
    const sim = opened?.se;
    const bus0 = sim?.stats.busTimeMs ?? 0;
    const clk0 = opened?.clock.now() ?? 0;
    const wire0 = opened ? opened.link.stats.wireBytesOut + opened.link.stats.wireBytesIn : 0;
    const t0 = performance.now();
    const rec: DemoStep = { name, ok: false, ms: 0, detail: [] };
    report.steps.push(rec);
    let result: T;
    try {
      result = await fn();
      const d = describe(result);
      rec.detail = d.detail;
      if (d.bytes !== undefined) rec.bytes = d.bytes;
      rec.ok = true;
    } catch (e) {
      rec.error = e instanceof Error ? e.message : String(e);
    }
    rec.ms = round(performance.now() - t0);
    if (opened?.se) {
      rec.busUs = round((opened.se.stats.busTimeMs - bus0) * 1000, 1);
      rec.simMs = round(opened.clock.now() - clk0);
      rec.wireBytes = opened.link.stats.wireBytesOut + opened.link.stats.wireBytesIn - wire0;
    }
    let timing = `${rec.ms.toFixed(1).padStart(6)} ms`;
    if (rec.busUs !== undefined && rec.wireBytes) {
      timing += `   simulated: bus ${(rec.busUs / 1000).toFixed(2)} ms, ${rec.simMs!.toFixed(1)} ms with SE work, ${rec.wireBytes} wire B`;
    }
    say(`[${String(n).padStart(2)}/${TOTAL}] ${name.padEnd(50, " ")} ${rec.ok ? "ok  " : "FAIL"} ${timing}`);
    for (const line of rec.detail) say(`        ${line}`);
    if (!rec.ok) {
      say(`        error: ${rec.error}`);
      throw new StepFailed(`step ${n} "${name}" failed: ${rec.error}`);
    }
    return result!;
  }

  try {
    // ---- the counterpart: auth server, user server -----------------------------------------
    server = await step(
      "start the TID auth server (loopback)",
      () => startAuthServer({ dbPath: join(tmp, "registry.db"), masterKey: new Uint8Array(randomBytes(32)) }),
      (s) => ({ detail: [`${s.url}, SQLite registry in ${join(tmp, "registry.db")} (PSKs sealed under a random master key)`] }),
    );
    report.server = server.url;
    const srv = server;
    const userUin = "demo-user-server";
    const userKey = await step(
      "user server key pair (tid keygen), registered",
      async () => {
        const k = keygen(join(tmp, "user-server"));
        await registerUserServer({ url: srv.url }, userUin, k.publicKeyPem);
        return k;
      },
      (k) => {
        const der = createPublicKey(k.publicKeyPem).export({ type: "spki", format: "der" });
        const fp = createHash("sha256").update(der).digest("hex");
        return { detail: [`RSA-2048, public key SHA-256 ${fp.slice(0, 16)}…, registered as user server "${userUin}"`, `private key ${k.privateKeyPath} (0600)`] };
      },
    );

    // ---- the device: provision an identity ---------------------------------------------------
    const tid = new Uint8Array(randomBytes(8));
    const psk = new Uint8Array(randomBytes(16));
    report.tid = toHex(tid);
    const keyFile = join(tmp, "device.key");
    const passphrase = randomBytes(12).toString("base64url");
    if (backend === "se") opened = openBoard(boardName, {});
    await step(
      backend === "se" ? "provision the SE (PROVISION + LOCK), register" : "provision a soft key file, register",
      async () => {
        if (opened) {
          const se = new SeClient(opened.channel);
          await se.select();
          await se.provision(tid, psk);
          await se.lock();
          const id = await se.identity();
          if (!id.tid || toHex(id.tid) !== toHex(tid) || id.info.lifecycle !== "locked") throw new Error("the SE does not report the provisioned TID, locked");
        } else {
          await writeKeyFile(keyFile, { tid, psk }, { passphrase });
        }
        await registerDevice({ url: srv.url }, { tid, psk, label: "tid-wasm demo device", owner: userUin });
      },
      () => ({
        detail: [
          `fresh TID ${toHex(tid)}, PSK 16 random bytes (never shown)`,
          opened
            ? `written into the simulated SE over ${bus.toUpperCase()} (SELECT, PROVISION, LOCK, GET DATA) and registered with the auth server, owned by "${userUin}"`
            : `sealed into ${keyFile} (scrypt + AES-256-GCM, 0600) and registered with the auth server, owned by "${userUin}"`,
        ],
      }),
    );
    psk.fill(0);

    const c = await step(
      "device: load the wasm, tid_client_init",
      async () => {
        const cl = opened
          ? await TidClient.create({ backend: "se", link: opened.link, build })
          : await TidClient.create({ backend: "soft", keyFile, secret: { passphrase }, build });
        client = cl;
        cl.init();
        const got = cl.tid;
        if (toHex(got) !== toHex(tid)) throw new Error(`the device reports TID ${toHex(got)}, provisioned ${toHex(tid)}`);
        return cl;
      },
      () => ({
        detail: [
          opened
            ? `wasm SE backend: SELECT the TID applet, GET DATA → TID ${toHex(tid)}`
            : `wasm soft backend: key file unsealed, TID ${toHex(tid)} and PSK loaded into the wasm`,
        ],
      }),
    );

    // ---- one authentication -------------------------------------------------------------------
    const authcode = await step(
      "device: tid_client_get_authcode",
      () => c.getAuthcode(),
      (a) => ({
        bytes: a.length,
        detail: [
          `${a.length} bytes: ${shortHex(a)}`,
          `version 01, SM4 10, SM2-ECDH 02, time ${new DataView(a.buffer, a.byteOffset).getUint32(6)}, TID, Nd, Qd (64), tag_d = HMAC-SM3(PSK, …)${opened ? " — built inside the SE (AUTH BEGIN)" : ""}`,
        ],
      }),
    );
    report.authcode = toHex(authcode);

    const [serverData, serverToken] = await step(
      "user server → TID auth server (authDevice)",
      () => authDevice(userUin, readFileSync(userKey.privateKeyPath, "utf8"), authcode, { url: srv.url }),
      ([sd, tok]) => ({
        bytes: sd.length,
        detail: [
          `request signed with the user server's RSA key; the server checked tag_d, the time window and (TID, Nd) replay`,
          `server data ${sd.length} bytes: ${shortHex(sd)}`,
          `session token ${tok ? `${tok.length} bytes, RSA-OAEP-encrypted to the user server, decrypted: ${toHex(tok)}` : "none"}`,
        ],
      }),
    );
    report.serverData = toHex(serverData);
    report.serverToken = serverToken ? toHex(serverToken) : null;
    if (values.tamper) {
      serverData[40] ^= 0x01; // Qs, on the way back through the user server
      say(`        --tamper: bit 0 of server data byte 40 flipped on its way to the device`);
    }

    const deviceToken = await step(
      "device: tid_client_validate_authcode",
      () => c.validate(serverData),
      (t) => ({
        ...(t ? { bytes: t.length } : {}),
        detail: [
          `tag_s verified (bound to this request's Nd and tag_d); Z = x([qd]Qs), K = KDF(Z ‖ TID ‖ Nd ‖ Ns)${opened ? " — inside the SE (AUTH FINISH)" : ""}`,
          `session token ${t ? toHex(t) : "none"} installed in slot 0`,
        ],
      }),
    );
    report.deviceToken = deviceToken ? toHex(deviceToken) : null;

    await step(
      "the same token on both sides",
      () => {
        if (!deviceToken || !serverToken) throw new Error("a token is missing");
        if (toHex(deviceToken) !== toHex(serverToken)) throw new Error(`device ${toHex(deviceToken)} ≠ user server ${toHex(serverToken)}`);
      },
      () => ({ detail: [`device ${toHex(deviceToken!)} = user server ${toHex(serverToken!)}`] }),
    );

    // ---- business data ----------------------------------------------------------------------------
    const session = new AeadSession(serverToken!, "server");
    const up = new TextEncoder().encode(`{"tid":"${toHex(tid)}","temperature":21.5,"seq":1}`);
    await step(
      "uplink: device seals, user server opens",
      () => {
        const m = c.seal(0, up);
        const p = session.open(m);
        if (toHex(p) !== toHex(up)) throw new Error("the opened plaintext differs");
        report.uplink = { plaintext: new TextDecoder().decode(up), message: toHex(m) };
        return m;
      },
      (m) => ({
        bytes: m.length,
        detail: [
          `${up.length} bytes ${new TextDecoder().decode(up)}`,
          `→ ${m.length} bytes (counter 8 ‖ SM4-GCM ciphertext ‖ tag 16, nonce 00000001 ‖ counter): ${shortHex(m)}`,
        ],
      }),
    );
    const down = new TextEncoder().encode(`{"cmd":"set-interval","seconds":60}`);
    await step(
      "downlink: user server seals, device opens",
      () => {
        const m = session.seal(down);
        const p = c.open(0, m);
        if (toHex(p) !== toHex(down)) throw new Error("the opened plaintext differs");
        report.downlink = { plaintext: new TextDecoder().decode(down), message: toHex(m) };
        return m;
      },
      (m) => ({
        bytes: m.length,
        detail: [`${down.length} bytes ${new TextDecoder().decode(down)}`, `→ ${m.length} bytes (nonce prefix 00000002): ${shortHex(m)}`],
      }),
    );
    session.destroy();

    const plain = new TextEncoder().encode("legacy sym_crypto: two blocks..."); // 32 bytes = 2 SM4 blocks
    await step(
      "sym_crypto: device encrypts, user server decrypts",
      () => {
        const ct = c.symCrypto(0, plain, true);
        if (toHex(sm4Decrypt(serverToken!, ct)) !== toHex(plain)) throw new Error("sm4Decrypt on the server gives other bytes");
        report.symCrypto = { plaintext: toHex(plain), deviceCiphertext: toHex(ct), serverCiphertext: "" };
        return ct;
      },
      (ct) => ({
        bytes: ct.length,
        detail: [`raw SM4-ECB over 2 blocks with the slot 0 key${opened ? " (inside the SE: SM4 CIPHER)" : ""}: ${toHex(ct)}`],
      }),
    );
    await step(
      "sym_crypto: user server encrypts, device decrypts",
      () => {
        const ct = sm4Encrypt(serverToken!, plain);
        const p = c.symCrypto(0, ct, false);
        if (toHex(p) !== toHex(plain)) throw new Error("the device decrypts to other bytes");
        report.symCrypto!.serverCiphertext = toHex(ct);
        return p;
      },
      (p) => ({ bytes: p.length, detail: [`server sm4Encrypt → device sym_crypto decrypt: "${new TextDecoder().decode(p)}"`] }),
    );
    report.ok = true;
  } catch (e) {
    report.error = e instanceof StepFailed ? e.message : `${e instanceof TidError ? "" : "unexpected error: "}${e instanceof Error ? e.message : String(e)}`;
  } finally {
    try {
      client?.close();
    } catch {
      // closing erases the slots; a dead simulated SE must not hide the real error
    }
    opened?.close();
    destroyAgents();
    if (server) await server.close();
    rmSync(tmp, { recursive: true, force: true });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  report.totals.ms = round(performance.now() - t00);
  if (backend === "se") {
    const steps = report.steps;
    report.totals.busUs = round(steps.reduce((s, x) => s + (x.busUs ?? 0), 0), 1);
    report.totals.simMs = round(steps.reduce((s, x) => s + (x.simMs ?? 0), 0));
    report.totals.wireBytes = steps.reduce((s, x) => s + (x.wireBytes ?? 0), 0);
  }
  if (json) {
    const { steps, totals, ...head } = report;
    io.out(JSON.stringify({ ...head, totals, steps }, null, 2));
  } else {
    say("");
    if (report.ok) {
      const sim =
        report.totals.busUs !== undefined
          ? `; simulated bus time ${round(report.totals.busUs / 1000)} ms (${report.totals.simMs} ms simulated with SE processing and polling), ${report.totals.wireBytes} wire bytes`
          : "";
      say(`all ${report.steps.length} steps held: TID ${report.tid} authenticated, token ${report.deviceToken} on both sides, messages both ways.`);
      say(`wall time ${round(report.totals.ms, 1)} ms${sim}; server stopped, temporary files removed.`);
    }
  }
  if (!report.ok) {
    io.err(`demo failed: ${report.error}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // `npm run demo | head`: a reader that goes away must not stop the demo before it cleans up
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  });
  runDemo(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`demo: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
