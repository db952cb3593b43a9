// The twelve steps of `tid demo` (cli/commands/demo.ts), one function each, in the order they run:
// the counterpart (auth server, user server), the device (provision, load the wasm), one
// authentication (authcode → auth server → validate → the same token on both sides), and the
// business data (an AEAD message each way, the legacy sym_crypto each way). docs/protocol.md
// describes the flow and the wire formats shown, in either algorithm suite ("Algorithm suites":
// --suite intl runs the soft backend in P-256/SHA-256/AES-128).
import { createHash, createPublicKey, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Server } from "node:net";
import { join } from "node:path";
import { openBoard, type OpenedBoard } from "../../hal/open-board.js";
import { SeClient } from "../../hal/se/client.js";
import type { AuthServer } from "../../server/app/index.js";
import { registerDevice, registerUserServer } from "../../server/sdk/admin-client.js";
import { authDevice, symDecrypt, symEncrypt } from "../../server/sdk/auth-device.js";
import { keygen } from "../../server/sdk/keygen.js";
import { AeadSession } from "../../reference/aead.js";
import { PSK_SIZE, SUITE_ALGORITHM_BYTES, TID_SIZE, type SuiteName } from "../../reference/constants.js";
import { toHex } from "../../reference/bytes.js";
import { TidClient } from "../../bindings/client.js";
import { writeKeyFile } from "../../bindings/keyfile.js";
import type { WasmBuild } from "../../bindings/wasm.js";
import { loadServerApp } from "../server-app.js";
import { linkKeyFingerprint } from "../link-pin.js";
import { shortHex, type BusFrame, type DemoReport, type StepRunner } from "./report.js";

export interface DemoOptions {
  backend: "se" | "soft";
  /** the device's algorithm suite (either backend: the SE holds it with the identity) */
  suite: SuiteName;
  bus: "i2c" | "spi";
  build: WasmBuild;
  /** flip one bit of the server data on its way to the device */
  tamper: boolean;
  /** SE backend: do not pair the SE; every APDU crosses the simulated bus in clear */
  unshielded: boolean;
  /** talk TID-TLS to an echo user server instead of the AEAD and sym_crypto messages (cli/demo/tls-steps.ts) */
  tls: boolean;
}

/** What the steps share: options, the temporary directory, the report, and what they open. */
export interface DemoContext {
  options: DemoOptions;
  /** temporary directory for the registry, the user server's keys and the key file */
  tmp: string;
  report: DemoReport;
  runner: StepRunner;
  say: (line: string) => void;
  server?: AuthServer;
  /** SE backend: the simulated board */
  opened?: OpenedBoard;
  /** SE backend: PK.SE as pinned when the SE was paired (null: unshielded) */
  linkKey?: Uint8Array | null;
  client?: TidClient;
  /** --tls: the TID-TLS echo user server */
  tlsServer?: Server;
}

export interface UserServer {
  uin: string;
  /** DIR/private_key.pem, 0600 */
  privateKeyPath: string;
}

/** The device's identity as provisioned: the TID, and for the soft backend how to open its key file. */
export interface ProvisionedDevice {
  tid: Uint8Array;
  keyFile?: { path: string; passphrase: string };
}

export const DEMO_USER = "demo-user-server";
/** The names of a suite's algorithms, as the steps print them (docs/protocol.md "Algorithm suites"). */
export const SUITE_TERMS: Readonly<
  Record<SuiteName, { cipher: string; keyAgreement: string; hmac: string; kdf: string; gcm: string; ecb: string }>
> = {
  sm: { cipher: "SM4", keyAgreement: "SM2-ECDH", hmac: "HMAC-SM3", kdf: "SM3 KDF", gcm: "SM4-GCM", ecb: "SM4-ECB" },
  intl: {
    cipher: "AES-128",
    keyAgreement: "P-256 ECDH",
    hmac: "HMAC-SHA-256",
    kdf: "X9.63-SHA-256 KDF",
    gcm: "AES-128-GCM",
    ecb: "AES-128-ECB",
  },
};

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** 1. A reference auth server on loopback: a temporary registry under a random master key. */
export async function startServer(ctx: DemoContext): Promise<AuthServer> {
  const db = join(ctx.tmp, "registry.db");
  const server = await ctx.runner.step(
    "start the TID auth server (loopback)",
    async () => {
      const app = await loadServerApp();
      const masterKey = new Uint8Array(randomBytes(32));
      try {
        return await app.startAuthServer({ dbPath: db, masterKey });
      } finally {
        masterKey.fill(0);
      }
    },
    (s) => ({ detail: [`${s.url}, SQLite registry in ${db} (PSKs sealed under a random master key)`] }),
  );
  ctx.server = server;
  ctx.report.server = server.url;
  return server;
}

/** 2. The user server's RSA key pair (what `tid keygen` makes), registered with the auth server. */
export async function makeUserServer(ctx: DemoContext, server: AuthServer): Promise<UserServer> {
  const made = await ctx.runner.step(
    "user server key pair (tid keygen), registered",
    async () => {
      const k = keygen(join(ctx.tmp, "user-server"));
      await registerUserServer({ url: server.url, adminToken: server.adminToken }, DEMO_USER, k.publicKeyPem);
      return k;
    },
    (k) => {
      const der = createPublicKey(k.publicKeyPem).export({ type: "spki", format: "der" });
      const fp = createHash("sha256").update(der).digest("hex");
      return {
        detail: [
          `RSA-2048, public key SHA-256 ${fp.slice(0, 16)}…, registered as user server "${DEMO_USER}"`,
          `private key ${k.privateKeyPath} (0600)`,
        ],
      };
    },
  );
  return { uin: DEMO_USER, privateKeyPath: made.privateKeyPath };
}

/**
 * 3. A fresh identity: into the simulated SE (PROVISION + LOCK, opened here) or a sealed key
 * file, and registered with the auth server, owned by the user server.
 */
export async function provisionDevice(ctx: DemoContext, server: AuthServer, user: UserServer): Promise<ProvisionedDevice> {
  const tid = new Uint8Array(randomBytes(TID_SIZE));
  const psk = new Uint8Array(randomBytes(PSK_SIZE));
  ctx.report.tid = toHex(tid);
  const bus = ctx.options.bus;
  const keyFile =
    ctx.options.backend === "soft" ? { path: join(ctx.tmp, "device.key"), passphrase: randomBytes(12).toString("base64url") } : undefined;
  if (!keyFile) {
    // a probe on the simulated wires: every frame, both directions, goes into the report
    const capture: BusFrame[] = [];
    ctx.report.busCapture = capture;
    ctx.opened = openBoard(`sim-${bus}`, { simulator: { tap: (dir, bytes) => capture.push({ dir, hex: toHex(bytes) }) } });
    ctx.runner.board = ctx.opened;
  }
  const opened = ctx.opened;
  try {
    const shielded = !ctx.options.unshielded;
    await ctx.runner.step(
      opened
        ? shielded
          ? "pair the SE (GENERATE LINK KEY), provision it (PROVISION + LOCK, shielded), register"
          : "provision the SE (PROVISION + LOCK, UNSHIELDED), register"
        : "provision a soft key file, register",
      async () => {
        if (opened) {
          const se = new SeClient(opened.channel);
          await se.select();
          ctx.linkKey = shielded ? await se.pair() : null;
          await se.provision(tid, psk, ctx.options.suite);
          await se.lock();
          const id = await se.identity();
          if (!id.tid || toHex(id.tid) !== toHex(tid) || id.info.lifecycle !== "locked")
            throw new Error("the SE does not report the provisioned TID, locked");
          const suite = await se.getSuite();
          if (suite !== ctx.options.suite) throw new Error(`the SE reports suite ${suite}, provisioned in ${ctx.options.suite}`);
        } else {
          await writeKeyFile(keyFile!.path, { tid, psk, suite: ctx.options.suite }, { passphrase: keyFile!.passphrase });
        }
        await registerDevice(
          { url: server.url, adminToken: server.adminToken },
          { tid, psk, suite: ctx.options.suite, label: "tid-wasm demo device", owner: user.uin },
        );
      },
      () => ({
        detail: [
          `fresh TID ${toHex(tid)}, PSK 16 random bytes (never shown), suite ${ctx.options.suite}`,
          opened
            ? ctx.linkKey
              ? `the SE made its link key pair and the host pinned the public half, ${linkKeyFingerprint(ctx.linkKey)}; then, inside a secure session, PROVISION (suite ${ctx.options.suite}), LOCK, GET DATA over ${bus.toUpperCase()}; registered with the auth server, owned by "${user.uin}"`
              : `written into the simulated SE over ${bus.toUpperCase()} (SELECT, PROVISION in suite ${ctx.options.suite}, LOCK, GET DATA) IN CLEAR — the PSK crossed the bus readable (--unshielded); registered with the auth server, owned by "${user.uin}"`
            : `sealed into ${keyFile!.path} (scrypt + AES-256-GCM, 0600; the suite in the authenticated header) and registered with the auth server in suite ${ctx.options.suite}, owned by "${user.uin}"`,
        ],
      }),
    );
  } finally {
    psk.fill(0);
  }
  return { tid, ...(keyFile ? { keyFile } : {}) };
}

/** 4. The device: load the wasm, tid_client_init; it must report the provisioned TID. */
export async function loadClient(ctx: DemoContext, device: ProvisionedDevice): Promise<TidClient> {
  const { build } = ctx.options;
  const opened = ctx.opened;
  const tidHex = toHex(device.tid);
  return ctx.runner.step(
    "device: load the wasm, tid_client_init",
    async () => {
      const linkKey = ctx.linkKey;
      const client = opened
        ? await TidClient.create({ backend: "se", link: opened.link, build, ...(linkKey ? { linkKey } : { unshielded: true }) })
        : await TidClient.create({
            backend: "soft",
            keyFile: device.keyFile!.path,
            secret: { passphrase: device.keyFile!.passphrase },
            build,
          });
      ctx.client = client;
      client.init();
      const got = client.tid;
      if (toHex(got) !== tidHex) throw new Error(`the device reports TID ${toHex(got)}, provisioned ${tidHex}`);
      if (client.suite !== ctx.options.suite)
        throw new Error(`the device runs in suite ${client.suite}, provisioned in ${ctx.options.suite}`);
      return client;
    },
    (client) => ({
      detail: [
        opened
          ? ctx.linkKey
            ? `wasm SE backend, shielded: SELECT, OPEN SECURE SESSION (the SE's receipt proves the pinned key), protected GET DATA → TID ${tidHex}, suite ${client.suite}`
            : `wasm SE backend, UNSHIELDED: SELECT the TID applet, GET DATA → TID ${tidHex}, suite ${client.suite}`
          : `wasm soft backend: key file unsealed, TID ${tidHex}, PSK and suite ${client.suite} loaded into the wasm`,
      ],
    }),
  );
}

/** 5. The device makes its authcode. */
export async function getAuthcode(ctx: DemoContext, client: TidClient): Promise<Uint8Array> {
  const inSe = ctx.opened !== undefined;
  const suite = ctx.options.suite;
  const terms = SUITE_TERMS[suite];
  const bytes = SUITE_ALGORITHM_BYTES[suite];
  const hex2 = (b: number): string => b.toString(16).padStart(2, "0");
  const authcode = await ctx.runner.step(
    "device: tid_client_get_authcode",
    () => client.getAuthcode(),
    (a) => ({
      bytes: a.length,
      detail: [
        `${a.length} bytes: ${shortHex(a)}`,
        `version 01, ${terms.cipher} ${hex2(bytes.symAlg)}, ${terms.keyAgreement} ${hex2(bytes.keyAgreement)}, time ${new DataView(a.buffer, a.byteOffset).getUint32(6)}, TID, Nd, Qd (64), tag_d = ${terms.hmac}(PSK, …)${inSe ? " — built inside the SE (AUTH BEGIN)" : ""}`,
      ],
    }),
  );
  ctx.report.authcode = toHex(authcode);
  return authcode;
}

/** 6. The user server signs the request and sends the authcode to the auth server. */
export async function relayToAuthServer(
  ctx: DemoContext,
  server: AuthServer,
  user: UserServer,
  authcode: Uint8Array,
): Promise<[Uint8Array, Uint8Array | null]> {
  const [serverData, serverToken] = await ctx.runner.step(
    "user server → TID auth server (authDevice)",
    async () => {
      const result = await authDevice(user.uin, readFileSync(user.privateKeyPath, "utf8"), authcode, { url: server.url });
      if (result[2] !== ctx.options.suite) {
        result[1]?.fill(0);
        throw new Error(`the auth server answered in suite ${result[2]}, the device is in suite ${ctx.options.suite}`);
      }
      return result;
    },
    ([sd, tok, suite]) => ({
      bytes: sd.length,
      detail: [
        `request signed with the user server's RSA key; the server checked tag_d, the time window and (TID, Nd) replay`,
        `server data ${sd.length} bytes, suite ${suite}: ${shortHex(sd)}`,
        `session token ${tok ? `${tok.length} bytes, RSA-OAEP-encrypted to the user server, decrypted: ${toHex(tok)}` : "none"}`,
      ],
    }),
  );
  ctx.report.serverData = toHex(serverData);
  ctx.report.serverToken = serverToken ? toHex(serverToken) : null;
  if (ctx.options.tamper) {
    serverData[40] ^= 0x01; // Qs, on the way back through the user server
    ctx.say(`        --tamper: bit 0 of server data byte 40 flipped on its way to the device`);
  }
  return [serverData, serverToken];
}

/** 7. The device validates the server data and installs the session token. */
export async function validateOnDevice(ctx: DemoContext, client: TidClient, serverData: Uint8Array): Promise<Uint8Array | null> {
  const inSe = ctx.opened !== undefined;
  const deviceToken = await ctx.runner.step(
    "device: tid_client_validate_authcode",
    () => client.validate(serverData),
    (t) => ({
      ...(t ? { bytes: t.length } : {}),
      detail: [
        `tag_s verified (bound to this request's Nd and tag_d); Z = x([qd]Qs), K = ${SUITE_TERMS[ctx.options.suite].kdf}(Z ‖ TID ‖ Nd ‖ Ns)${inSe ? " — inside the SE (AUTH FINISH)" : ""}`,
        `session token ${t ? toHex(t) : "none"} installed in slot 0`,
      ],
    }),
  );
  ctx.report.deviceToken = deviceToken ? toHex(deviceToken) : null;
  return deviceToken;
}

/** 8. Both sides hold the same token; returns it. */
export async function compareTokens(ctx: DemoContext, deviceToken: Uint8Array | null, serverToken: Uint8Array | null): Promise<Uint8Array> {
  return ctx.runner.step(
    "the same token on both sides",
    () => {
      if (!deviceToken || !serverToken) throw new Error("a token is missing");
      if (toHex(deviceToken) !== toHex(serverToken)) throw new Error(`device ${toHex(deviceToken)} ≠ user server ${toHex(serverToken)}`);
      return serverToken;
    },
    () => ({ detail: [`device ${toHex(deviceToken!)} = user server ${toHex(serverToken!)}`] }),
  );
}

/** 9. Uplink: the device seals a message, the user server opens it. */
export async function uplink(ctx: DemoContext, client: TidClient, session: AeadSession, tid: Uint8Array): Promise<void> {
  const up = enc(`{"tid":"${toHex(tid)}","temperature":21.5,"seq":1}`);
  await ctx.runner.step(
    "uplink: device seals, user server opens",
    () => {
      const m = client.seal(0, up);
      if (toHex(session.open(m)) !== toHex(up)) throw new Error("the opened plaintext differs");
      ctx.report.uplink = { plaintext: dec(up), message: toHex(m) };
      return m;
    },
    (m) => ({
      bytes: m.length,
      detail: [
        `${up.length} bytes ${dec(up)}`,
        `→ ${m.length} bytes (counter 8 ‖ ${SUITE_TERMS[ctx.options.suite].gcm} ciphertext ‖ tag 16, nonce 00000001 ‖ counter): ${shortHex(m)}`,
      ],
    }),
  );
}

/** 10. Downlink: the user server seals a message, the device opens it. */
export async function downlink(ctx: DemoContext, client: TidClient, session: AeadSession): Promise<void> {
  const down = enc(`{"cmd":"set-interval","seconds":60}`);
  await ctx.runner.step(
    "downlink: user server seals, device opens",
    () => {
      const m = session.seal(down);
      if (toHex(client.open(0, m)) !== toHex(down)) throw new Error("the opened plaintext differs");
      ctx.report.downlink = { plaintext: dec(down), message: toHex(m) };
      return m;
    },
    (m) => ({
      bytes: m.length,
      detail: [`${down.length} bytes ${dec(down)}`, `→ ${m.length} bytes (nonce prefix 00000002): ${shortHex(m)}`],
    }),
  );
}

/** The legacy sym_crypto check message: 32 bytes, two cipher blocks (SM4 or AES: both 16 bytes). */
const SYM_PLAIN = enc("legacy sym_crypto: two blocks...");

/** 11. Legacy sym_crypto: the device encrypts (raw SM4-ECB or AES-128-ECB with the slot key), the user server decrypts. */
export async function symCryptoUp(ctx: DemoContext, client: TidClient, token: Uint8Array): Promise<void> {
  const inSe = ctx.opened !== undefined;
  await ctx.runner.step(
    "sym_crypto: device encrypts, user server decrypts",
    () => {
      const ct = client.symCrypto(0, SYM_PLAIN, true);
      if (toHex(symDecrypt(token, ct, ctx.options.suite)) !== toHex(SYM_PLAIN))
        throw new Error("symDecrypt on the server gives other bytes");
      ctx.report.symCrypto = { plaintext: toHex(SYM_PLAIN), deviceCiphertext: toHex(ct), serverCiphertext: "" };
      return ct;
    },
    (ct) => ({
      bytes: ct.length,
      detail: [
        `raw ${SUITE_TERMS[ctx.options.suite].ecb} over 2 blocks with the slot 0 key${inSe ? " (inside the SE: CIPHER)" : ""}: ${toHex(ct)}`,
      ],
    }),
  );
}

/** 12. Legacy sym_crypto: the user server encrypts, the device decrypts. */
export async function symCryptoDown(ctx: DemoContext, client: TidClient, token: Uint8Array): Promise<void> {
  await ctx.runner.step(
    "sym_crypto: user server encrypts, device decrypts",
    () => {
      const ct = symEncrypt(token, SYM_PLAIN, ctx.options.suite);
      const p = client.symCrypto(0, ct, false);
      if (toHex(p) !== toHex(SYM_PLAIN)) throw new Error("the device decrypts to other bytes");
      ctx.report.symCrypto!.serverCiphertext = toHex(ct);
      return p;
    },
    (p) => ({
      bytes: p.length,
      detail: [`server symEncrypt (${SUITE_TERMS[ctx.options.suite].ecb}) → device sym_crypto decrypt: "${dec(p)}"`],
    }),
  );
}
