// `tid auth`: one TID authentication (docs/protocol.md "Roles and flow") against a TID auth server,
// with this process playing both the device and its user server:
//   device       TidClient — SE backend on a board (real, or simulated from a --sim-state file
//                written by `tid provision`), or soft backend from a --key-file
//   user server  the server SDK's authDevice (server/sdk/auth-device.ts), signing with
//                --user-key DIR as --user
// Steps: init → get authcode → authDevice → validate on the device → the device's token must equal
// the user server's → one AEAD message each way (seal/open) with the new token, in the device's
// algorithm suite (docs/protocol.md "Algorithm suites": the key file's; an SE's, which the wasm
// reads from it at init), which must be the one the auth server answered in.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openBoard, type OpenedBoard } from "../../hal/open-board.js";
import { authDevice, destroyAgents } from "../../server/sdk/auth-device.js";
import { AeadSession } from "../../reference/aead.js";
import { TidClient } from "../../bindings/client.js";
import { TidError } from "../../bindings/errors.js";
import { inspectKeyFile, KeyFileError, type KeyFileHeader, type KeyFileSecret } from "../../bindings/keyfile.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { MAX_EXTRA, type SuiteName } from "../../reference/constants.js";
import { UsageError, parseCommandArgs, type CliCommand, type CliIo } from "../command.js";
import { DEVICE_OPTIONS, SUITE_DESCRIPTION, caFile, keyFileSecret, loadBoardOrUsage, serverUrl } from "../options.js";
import { readOptionFile, tooOpen } from "../option-file.js";
import { readSimState } from "../sim-state.js";
import { chooseLink, linkKeyFingerprint } from "../link-pin.js";

const USAGE = `usage: tid auth --server URL --user UIN --user-key DIR (--board NAME [--sim-state FILE] | --key-file FILE) [options]

Run one TID authentication against a TID auth server: the device (the SE on a board, or a soft key
file) makes an authcode, the user server (this process, with the key pair from \`tid keygen\`) sends
it to the auth server, the device validates the answer, and both sides must hold the same session
token. Then one AEAD message goes each way with it.

  --server URL            the TID auth server
  --user UIN              the user server's UIN, registered with the auth server
  --user-key DIR          the user server's key pair directory (DIR/private_key.pem)
  --board NAME            the device is the SE on this board (boards/; sim-i2c, sim-spi simulate one;
                          default $TID_BOARD)
  --sim-state FILE        simulated boards (required there): the SE state written by \`tid provision\`
                          (it holds the pinned link key too)
  --link-key FILE         hardware boards: the SE's pinned public link key (\`tid provision --link-key\`);
                          every APDU then goes through the shielded link
  --unshielded            talk to the SE in clear (no pinned key): the token crosses the bus readable
  --key-file FILE         the device is a soft identity in this key file
  --passphrase-env VAR    key file passphrase from $VAR (default: $TID_KEY_PASSPHRASE)
  --passphrase-file FILE  key file passphrase from the first line of FILE
  --machine-bound         the key file is sealed with this machine's id
  --extra HEX             extra data carried (authenticated) in the authcode, up to 512 bytes
  --keep-session          ask the server to issue no new token (the device keeps its session key)
  --ca FILE               trust this CA certificate (PEM) for an https server
  --show-token            print the session token (it is a key: for debugging only)
  --trace                 log every bus transaction to stderr (same as TID_DEBUG=hal)
  --json                  print one JSON document

Exit codes: 0 authenticated and the tokens agree, 1 failed, 2 usage error.`;

export interface AuthReport {
  ok: boolean;
  backend: "se" | "soft";
  board?: string;
  simulated?: boolean;
  server: string;
  user: string;
  tid?: string;
  /** the device's algorithm suite (sm or intl), the one the auth server answered in too */
  suite?: SuiteName;
  authcode?: string;
  authcodeLength?: number;
  serverData?: string;
  serverDataLength?: number;
  tokenIssued?: boolean;
  tokensMatch?: boolean;
  aead?: { uplink: boolean; downlink: boolean };
  /** wall-clock ms of the device calls and of the round trip to the auth server */
  deviceMs?: number;
  serverMs?: number;
  /** SE backend: whether every APDU went through the shielded link, and the pinned key's fingerprint */
  shielded?: boolean;
  linkKeyFingerprint?: string;
  /** SE on a simulated board: simulated bus time and link traffic of the whole run */
  simulatedBusMs?: number;
  wireBytes?: number;
  token?: string;
  error?: string;
  errorCode?: string;
}

/** A PEM private key is a few KiB (RSA-8192 PKCS#8: under 7 KiB). */
const MAX_PRIVATE_KEY_BYTES = 64 * 1024;

/** The user server's private key, DIR/private_key.pem (from `tid keygen DIR`): a PEM key only its owner may read. */
function loadPrivateKey(dir: string): KeyObject {
  const made = "make the key pair with `tid keygen DIR --server URL --user UIN`";
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) throw new UsageError(`--user-key ${dir}: no such directory; ${made}`);
  if (!st.isDirectory()) throw new UsageError(`--user-key ${dir}: not a directory (it names the directory \`tid keygen DIR\` wrote)`);
  const path = join(dir, "private_key.pem");
  const { bytes, mode } = readOptionFile("--user-key", path, { maxBytes: MAX_PRIVATE_KEY_BYTES, what: "PEM private key", hint: made });
  let key: KeyObject;
  try {
    key = createPrivateKey(bytes);
  } catch (e) {
    throw new UsageError(`--user-key ${path}: not a PEM private key (${(e as Error).message})`);
  } finally {
    bytes.fill(0);
  }
  // as with the device's key file and the simulated SE's state: a key others may read is refused
  if (tooOpen(mode)) {
    throw new Error(
      `${path}: mode ${mode.toString(8).padStart(3, "0")} lets others read the user server's private key; run \`chmod 600 ${path}\``,
    );
  }
  return key;
}

/**
 * The soft key file's header, checked before anything runs: a missing file, not a regular file,
 * not a key file are usage errors naming --key-file (its mode is checked when it is read).
 */
async function checkKeyFile(path: string): Promise<KeyFileHeader> {
  try {
    return await inspectKeyFile(path);
  } catch (e) {
    if (!(e instanceof KeyFileError)) throw e;
    const hint = e.code === "NOT_FOUND" ? `; write one with \`tid provision --server URL --key-file ${path}\`` : "";
    throw new UsageError(`--key-file ${e.message}${hint}`);
  }
}

/** The secret for a key file: as the options say, and of the kind the file is sealed with. */
function secretFor(
  header: KeyFileHeader,
  values: Parameters<typeof keyFileSecret>[0],
  env: Record<string, string | undefined>,
  path: string,
): KeyFileSecret {
  if (header.source === "machine-bound" && !values["machine-bound"]) {
    throw new UsageError(`--key-file ${path} is sealed with this machine's id, not a passphrase: add --machine-bound`);
  }
  if (header.source === "passphrase" && values["machine-bound"]) {
    throw new UsageError(
      `--key-file ${path} is sealed with a passphrase, not this machine's id: drop --machine-bound and set $TID_KEY_PASSPHRASE (or --passphrase-env VAR, --passphrase-file FILE)`,
    );
  }
  return keyFileSecret(values, env);
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      ...DEVICE_OPTIONS,
      user: { type: "string" },
      "user-key": { type: "string" },
      extra: { type: "string" },
      "keep-session": { type: "boolean" },
      "show-token": { type: "boolean" },
      trace: { type: "boolean" },
    },
    { positionals: false },
  );
  const str = (k: keyof typeof values): string | undefined => values[k] as string | undefined;
  const url = serverUrl(str("server"), undefined, io.env);
  const user = str("user");
  if (!user) throw new UsageError("--user UIN is required (the user server registered with the auth server)");
  const keyDir = str("user-key");
  if (!keyDir) throw new UsageError("--user-key DIR is required (the user server's key pair, from `tid keygen DIR`)");
  const boardName = str("board") ?? (str("key-file") === undefined ? io.env.TID_BOARD || undefined : undefined);
  const keyFile = str("key-file");
  if ((boardName === undefined) === (keyFile === undefined)) throw new UsageError("give exactly one of --board NAME and --key-file FILE");
  if (keyFile !== undefined && str("sim-state") !== undefined) throw new UsageError("--sim-state goes with --board, not with --key-file");
  if (keyFile !== undefined && (str("link-key") !== undefined || values.unshielded))
    throw new UsageError("--link-key / --unshielded go with --board (the soft backend has no bus)");
  let extra: Uint8Array = new Uint8Array(0);
  if (str("extra") !== undefined) {
    const x = str("extra")!;
    if (!new RegExp(`^([0-9a-fA-F]{2}){0,${MAX_EXTRA}}$`).test(x)) throw new UsageError(`--extra must be hex, up to ${MAX_EXTRA} bytes`);
    extra = fromHex(x);
  }
  if (boardName !== undefined && (values["machine-bound"] || str("passphrase-env") || str("passphrase-file"))) {
    throw new UsageError("--machine-bound / --passphrase-env / --passphrase-file go with --key-file");
  }
  const privateKey = loadPrivateKey(keyDir);
  const ca = caFile(str("ca"));
  const secret = keyFile !== undefined ? secretFor(await checkKeyFile(keyFile), values, io.env, keyFile) : undefined;

  const report: AuthReport = { ok: false, backend: keyFile !== undefined ? "soft" : "se", server: url, user };
  let opened: OpenedBoard | undefined;
  let client: TidClient | undefined;
  try {
    if (boardName !== undefined) {
      report.board = boardName;
      const simStatePath = str("sim-state");
      const board = loadBoardOrUsage(boardName, io.env);
      const sim = board.sim;
      if (sim && simStatePath === undefined)
        throw new UsageError(
          `${boardName} is simulated: give --sim-state FILE (written by \`tid provision --board ${boardName} --sim-state FILE\`)`,
        );
      if (!sim && simStatePath !== undefined) throw new UsageError(`--sim-state is for simulated boards; ${boardName} is hardware`);
      const state = simStatePath !== undefined ? readSimState(simStatePath) : undefined;
      const { linkKey } = chooseLink({
        ...(state?.linkKey ? { simStatePin: state.linkKey } : {}),
        ...(str("link-key") !== undefined ? { linkKeyFile: str("link-key")! } : {}),
        unshielded: values.unshielded === true,
        simulated: sim,
      });
      opened = openBoard(board, {
        ...(values.trace ? { trace: (l: string) => io.err(`[tid:hal] ${l}`) } : {}),
        ...(state
          ? {
              simulator: {
                identity: { tid: state.tid, psk: state.psk, suite: state.suite ?? "sm", locked: state.locked },
                ...(state.linkPrivate ? { linkKey: state.linkPrivate } : {}),
              },
            }
          : {}),
      });
      state?.psk.fill(0);
      state?.linkPrivate?.fill(0);
      report.simulated = opened.board.sim;
      report.shielded = linkKey !== undefined;
      if (linkKey) report.linkKeyFingerprint = linkKeyFingerprint(linkKey);
      client = await TidClient.create({ backend: "se", link: opened.link, ...(linkKey ? { linkKey } : { unshielded: true }) });
    } else {
      client = await TidClient.create({ backend: "soft", keyFile: keyFile!, secret: secret! });
    }
    let deviceMs = 0;
    const device = <T>(fn: () => T): T => {
      const t0 = performance.now();
      try {
        return fn();
      } finally {
        deviceMs += performance.now() - t0;
      }
    };
    const c = client;
    device(() => c.init());
    report.tid = toHex(device(() => c.tid));
    const suite = device(() => c.suite);
    report.suite = suite;
    const authcode = device(() => c.getAuthcode(extra, { keepSession: values["keep-session"] === true }));
    report.authcode = toHex(authcode);
    report.authcodeLength = authcode.length;
    const t0 = performance.now();
    const [serverData, serverToken, serverSuite] = await authDevice(user, privateKey, authcode, { url, ...(ca ? { ca } : {}) });
    report.serverMs = round(performance.now() - t0);
    report.serverData = toHex(serverData);
    report.serverDataLength = serverData.length;
    report.tokenIssued = serverToken !== null;
    if (serverSuite !== suite) {
      serverToken?.fill(0);
      throw new Error(`the auth server answered in suite ${serverSuite}, the device is in suite ${suite}`);
    }
    const deviceToken = device(() => c.validate(serverData));
    report.tokensMatch =
      (deviceToken === null && serverToken === null) ||
      (deviceToken !== null && serverToken !== null && toHex(deviceToken) === toHex(serverToken));
    if (!report.tokensMatch)
      throw new Error(
        `the device's token (${deviceToken ? "16 bytes" : "none"}) differs from the user server's (${serverToken ? "16 bytes" : "none"})`,
      );
    if (serverToken) {
      const session = new AeadSession(serverToken, "server", suite);
      const up = new TextEncoder().encode(`tid auth uplink check from ${report.tid}`);
      const uplink = toHex(session.open(device(() => c.seal(0, up)))) === toHex(up);
      const down = new TextEncoder().encode(`tid auth downlink check to ${report.tid}`);
      const downlink = toHex(device(() => c.open(0, session.seal(down)))) === toHex(down);
      session.destroy();
      report.aead = { uplink, downlink };
      if (!uplink || !downlink) throw new Error("an AEAD check message did not come through intact");
      if (values["show-token"]) report.token = toHex(serverToken);
      serverToken.fill(0);
    }
    report.deviceMs = round(deviceMs);
    report.ok = true;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    report.error = e instanceof Error ? e.message : String(e);
    report.errorCode = errorCode(e);
  } finally {
    try {
      client?.close();
    } catch {
      // best effort: the SE may be gone
    }
    if (opened) {
      if (opened.se) {
        report.simulatedBusMs = round(opened.se.stats.busTimeMs);
      }
      report.wireBytes = opened.link.stats.wireBytesOut + opened.link.stats.wireBytesIn;
      opened.close();
    }
    destroyAgents();
  }

  if (values.json) io.out(JSON.stringify(report, null, 2));
  else if (report.ok) {
    const lines = [
      `authenticated TID ${report.tid} with ${url} (user server ${user})`,
      `  device     ${report.backend === "soft" ? `soft backend, key file ${keyFile}` : `SE on ${boardName}${report.simulated ? " (simulated)" : ""}`}`,
      `  suite      ${SUITE_DESCRIPTION[report.suite!]}`,
      ...(report.backend === "se"
        ? [
            report.shielded
              ? `  link       shielded (secure session with the pinned SE, key ${report.linkKeyFingerprint})`
              : `  link       UNSHIELDED: APDUs and the token crossed the bus in clear (--unshielded)`,
          ]
        : []),
      `  authcode   ${report.authcodeLength} bytes   server data ${report.serverDataLength} bytes`,
      `  token      ${report.tokenIssued ? "issued; the device and the user server hold the same 16-byte token" : "none issued (the device keeps its session key)"}`,
    ];
    if (report.aead)
      lines.push(`  AEAD       uplink and downlink check messages opened (${report.suite === "intl" ? "AES-128-GCM" : "SM4-GCM"})`);
    if (report.token) lines.push(`  token hex  ${report.token}`);
    const bus =
      report.simulatedBusMs !== undefined
        ? `; simulated bus ${report.simulatedBusMs} ms, ${report.wireBytes} wire bytes`
        : report.wireBytes !== undefined
          ? `; ${report.wireBytes} wire bytes`
          : "";
    lines.push(`  time       device ${report.deviceMs} ms, auth server round trip ${report.serverMs} ms${bus}`);
    io.out(lines.join("\n"));
  }
  if (!report.ok) {
    if (!values.json) io.err(`tid auth: ${report.error}`);
    return 1;
  }
  return 0;
}

/** A short code for an error: the TidError status name, the server's code, or the error's own code. */
export function errorCode(e: unknown): string | undefined {
  if (e instanceof TidError) return e.status;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export const auth: CliCommand = {
  name: "auth",
  summary: "run one TID authentication from a board's SE (or a soft key file) against an auth server",
  usage: USAGE,
  run,
};
