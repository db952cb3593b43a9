// `tid provision`: create a device identity — a TID (8 bytes) and a PSK (16 bytes),
// docs/protocol.md — store it in a secure element (PROVISION TID+PSK, then LOCK;
// docs/se-profile.md) or in a soft key file (bindings/keyfile.ts, docs/keyfile.md), and register it
// with a TID auth server through its admin API (server/sdk/admin-client.ts, docs/server.md). The
// PSK never appears on the command line or in the output.
//
// Order, so that a failure never leaves a locked SE whose PSK nobody knows: check the target (the
// SE is blank / the files do not exist), register the identity with the server, then write it
// into the SE or the key file. A failure after registering says so (run again with --force,
// which replaces the server's record).
//
// Simulated boards (sim-i2c, sim-spi): a simulated SE lives only as long as the process, so its
// non-volatile memory (TID, PSK, lock) is saved to a state file (--sim-state FILE, JSON, 0600)
// that `tid auth --sim-state FILE` loads into a new simulated SE. The file holds the PSK in clear:
// it stands for the chip's NVM and is for tests and demos only (docs/protocol.md "Tools").
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { openBoard, type OpenedBoard } from "../../hal/open-board.js";
import { BoardError, loadBoard, type Board } from "../../hal/boards.js";
import { SeClient } from "../../hal/se/client.js";
import { registerDevice } from "../../server/sdk/admin-client.js";
import { destroyAgents } from "../../server/sdk/http-client.js";
import { writeKeyFile, type KeyFileSecret } from "../../bindings/keyfile.js";
import { UsageError, parseCommandArgs, type CliCommand, type CliIo } from "../main.js";
import { toHex } from "../../reference/bytes.js";

export const SIM_STATE_FORMAT = "tid-wasm simulated SE state v1";

/** The non-volatile memory of a simulated SE, as saved by `tid provision --sim-state`. */
export interface SimState {
  tid: Uint8Array;
  psk: Uint8Array;
  locked: boolean;
  /** the board it was provisioned on (informational) */
  board?: string;
}


/** Write a simulated SE's state file: JSON, mode 0600, atomically (temporary file + rename). */
export async function writeSimState(path: string, state: SimState, options: { overwrite?: boolean } = {}): Promise<void> {
  if (!options.overwrite && existsSync(path)) throw new Error(`${path} exists (use --force to replace it)`);
  const text =
    JSON.stringify(
      {
        format: SIM_STATE_FORMAT,
        note: "NVM of a simulated SE (tid provision / tid auth --sim-state). The PSK is in clear: tests and demos only.",
        ...(state.board ? { board: state.board } : {}),
        tid: toHex(state.tid),
        psk: toHex(state.psk),
        locked: state.locked,
      },
      null,
      2,
    ) + "\n";
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Read a state file written by writeSimState. Refuses a file that group or others may access. */
export async function readSimState(path: string): Promise<SimState> {
  const st = await stat(path);
  if (!st.isFile()) throw new Error(`${path}: not a regular file`);
  if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
    throw new Error(`${path}: mode ${(st.mode & 0o777).toString(8)} lets others read the simulated SE's PSK; run \`chmod 600 ${path}\``);
  }
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${path}: not a JSON state file (${(e as Error).message})`);
  }
  if (j.format !== SIM_STATE_FORMAT) throw new Error(`${path}: not a simulated SE state file (format ${JSON.stringify(j.format)})`);
  const bytes = (name: string, n: number): Uint8Array => {
    const v = j[name];
    if (typeof v !== "string" || !new RegExp(`^[0-9a-fA-F]{${2 * n}}$`).test(v)) throw new Error(`${path}: "${name}" must be ${2 * n} hex digits`);
    return new Uint8Array(Buffer.from(v, "hex"));
  };
  return {
    tid: bytes("tid", 8),
    psk: bytes("psk", 16),
    locked: j.locked === true,
    ...(typeof j.board === "string" ? { board: j.board } : {}),
  };
}

/**
 * The secret that seals a soft key file, from the options shared by provision and auth:
 * --machine-bound, or a passphrase from $VAR (--passphrase-env VAR, default TID_KEY_PASSPHRASE)
 * or from a file (--passphrase-file FILE, first line). Never from argv itself.
 */
export async function keyFileSecret(
  values: { "machine-bound"?: boolean | undefined; "passphrase-env"?: string | undefined; "passphrase-file"?: string | undefined },
  env: Record<string, string | undefined>,
): Promise<KeyFileSecret> {
  const given = [values["machine-bound"], values["passphrase-env"], values["passphrase-file"]].filter((v) => v !== undefined && v !== false);
  if (given.length > 1) throw new UsageError("give only one of --machine-bound, --passphrase-env, --passphrase-file");
  if (values["machine-bound"]) return { machineBound: true };
  if (values["passphrase-file"] !== undefined) {
    const text = (await readFile(values["passphrase-file"], "utf8")).split(/\r?\n/)[0] ?? "";
    if (text.length === 0) throw new UsageError(`${values["passphrase-file"]}: empty passphrase`);
    return { passphrase: text };
  }
  const name = values["passphrase-env"] ?? "TID_KEY_PASSPHRASE";
  const pw = env[name];
  if (!pw) {
    throw new UsageError(`the key file's passphrase: set $${name}${values["passphrase-env"] ? "" : " (or --passphrase-env VAR, --passphrase-file FILE, --machine-bound)"}`);
  }
  return { passphrase: pw };
}

/** Admin token for the server's admin API: $VAR (--admin-token-env VAR, default TID_SERVER_ADMIN_TOKEN). */
export function adminToken(values: { "admin-token-env"?: string | undefined }, env: Record<string, string | undefined>): string | undefined {
  return env[values["admin-token-env"] ?? "TID_SERVER_ADMIN_TOKEN"] || undefined;
}

/** Check a server URL argument. */
/**
 * Check a --server URL. Plain http is accepted only to a loopback host: these commands send the
 * admin token and (provision) the PSK, which must not cross a network in clear. Set
 * TID_INSECURE_HTTP=1 to allow plain http elsewhere anyway (a lab network, at your own risk).
 */
export function serverUrl(v: string | undefined, what = "--server URL", env: Record<string, string | undefined> = {}): string {
  if (!v) throw new UsageError(`${what} is required (the TID auth server, e.g. http://127.0.0.1:8443)`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`${what}: not a URL: ${v}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError(`${what}: must be http(s), got ${u.protocol}`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const loopback = host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (u.protocol === "http:" && !loopback && env.TID_INSECURE_HTTP !== "1") {
    throw new UsageError(`${what}: plain http to ${host} would send the admin token and keys in clear; use https (or set TID_INSECURE_HTTP=1 to allow it)`);
  }
  return v;
}

/**
 * The options provision and auth share: which server, which device (an SE on a board, or a soft
 * key file and how to unseal it), the CA to trust, JSON output.
 */
export const DEVICE_OPTIONS = {
  server: { type: "string" },
  board: { type: "string" },
  "sim-state": { type: "string" },
  "key-file": { type: "string" },
  "passphrase-env": { type: "string" },
  "passphrase-file": { type: "string" },
  "machine-bound": { type: "boolean" },
  ca: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Read a --ca FILE (PEM) for an https server; unreadable → usage error. */
export function caFile(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`--ca: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Load a board description by name (boards/, env overrides); a bad name is a usage error. */
export function loadBoardOrUsage(name: string, env: Record<string, string | undefined>): Board {
  try {
    return loadBoard(name, { env });
  } catch (e) {
    if (e instanceof BoardError) throw new UsageError(e.message);
    throw e;
  }
}

const USAGE = `usage: tid provision --server URL (--board NAME [--sim-state FILE] | --key-file FILE) [options]

Create a device identity (a random 8-byte TID and 16-byte PSK), register it with a TID auth server
(admin API) and store it in the secure element on a board (PROVISION, then LOCK) or in a soft key
file (sealed, mode 0600). The PSK is never printed.

  --server URL            the TID auth server (its admin API answers loopback clients, or needs a token)
  --board NAME            store the identity in the SE on this board (boards/; sim-i2c, sim-spi simulate
                          one; default $TID_BOARD)
  --sim-state FILE        simulated boards (required there): save the simulated SE's memory to FILE
                          (JSON, 0600, PSK in clear: tests and demos only) for \`tid auth --sim-state\`
  --key-file FILE         soft backend: write the identity to this key file instead
  --passphrase-env VAR    key file passphrase from $VAR (default: $TID_KEY_PASSPHRASE)
  --passphrase-file FILE  key file passphrase from the first line of FILE
  --machine-bound         seal the key file with this machine's id instead (weaker; docs/keyfile.md)
  --tid HEX               use this TID (16 hex digits) instead of a random one
  --label TEXT            label kept with the device on the server
  --owner UIN             only this user server may authenticate the device (to any other it is
                          unknown); without it, any registered user server may
  --no-lock               leave the SE unlocked (it can be provisioned again)
  --force                 replace an existing --sim-state / --key-file and the server's record of the TID
  --admin-token-env VAR   admin token from $VAR (default: $TID_SERVER_ADMIN_TOKEN), if the server needs one
  --ca FILE               trust this CA certificate (PEM) for an https server
  --json                  print one JSON document

Exit codes: 0 provisioned and registered, 1 failed, 2 usage error.`;

export interface ProvisionReport {
  ok: boolean;
  tid: string;
  backend: "se" | "soft";
  board?: string;
  simState?: string;
  keyFile?: string;
  locked?: boolean;
  server: string;
  registered: boolean;
  stored: boolean;
  error?: string;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    ...DEVICE_OPTIONS,
    tid: { type: "string" },
    label: { type: "string" },
    owner: { type: "string" },
    "no-lock": { type: "boolean" },
    force: { type: "boolean" },
    "admin-token-env": { type: "string" },
  }, { positionals: false });
  const str = (k: keyof typeof values): string | undefined => values[k] as string | undefined;
  const url = serverUrl(str("server"), undefined, io.env);
  const keyFile = str("key-file");
  const boardName = str("board") ?? (keyFile === undefined ? io.env.TID_BOARD || undefined : undefined);
  const simStatePath = str("sim-state");
  const force = values.force === true;
  if ((boardName === undefined) === (keyFile === undefined)) throw new UsageError("give exactly one of --board NAME and --key-file FILE");
  if (keyFile !== undefined && simStatePath !== undefined) throw new UsageError("--sim-state goes with --board, not with --key-file");
  if (boardName !== undefined && (values["machine-bound"] || str("passphrase-env") || str("passphrase-file"))) {
    throw new UsageError("--machine-bound / --passphrase-env / --passphrase-file go with --key-file");
  }
  if (keyFile !== undefined && values["no-lock"]) throw new UsageError("--no-lock goes with --board");
  let tid: Uint8Array;
  const tidHex = str("tid");
  if (tidHex !== undefined) {
    if (!/^[0-9a-fA-F]{16}$/.test(tidHex)) throw new UsageError(`--tid must be 16 hex digits, got ${JSON.stringify(tidHex)}`);
    tid = new Uint8Array(Buffer.from(tidHex, "hex"));
  } else {
    tid = new Uint8Array(randomBytes(8));
  }
  const secret = keyFile !== undefined ? await keyFileSecret(values as Record<string, string | undefined>, io.env) : undefined;
  const token = adminToken(values as Record<string, string | undefined>, io.env);
  const ca = caFile(str("ca"));
  const admin = { url, ...(token ? { adminToken: token } : {}), ...(ca ? { ca } : {}) };
  const lock = !values["no-lock"];
  const board = boardName !== undefined ? loadBoardOrUsage(boardName, io.env) : undefined;
  if (board?.sim && simStatePath === undefined) {
    throw new UsageError(`${board.name} is simulated: give --sim-state FILE to keep the provisioned SE for \`tid auth\``);
  }
  if (board && !board.sim && simStatePath !== undefined) throw new UsageError(`--sim-state is for simulated boards; ${board.name} is hardware`);

  const report: ProvisionReport = {
    ok: false, tid: toHex(tid), backend: keyFile !== undefined ? "soft" : "se", server: url, registered: false, stored: false,
    ...(boardName !== undefined ? { board: boardName } : {}),
    ...(simStatePath !== undefined ? { simState: simStatePath } : {}),
    ...(keyFile !== undefined ? { keyFile } : {}),
  };
  const psk = new Uint8Array(randomBytes(16));
  let opened: OpenedBoard | undefined;
  try {
    // 1. check the target before anything is registered
    if (keyFile !== undefined) {
      if (!force && existsSync(keyFile)) throw new Error(`${keyFile} exists (use --force to replace it)`);
    } else {
      if (simStatePath !== undefined && !force && existsSync(simStatePath)) throw new Error(`${simStatePath} exists (use --force to replace it)`);
      opened = openBoard(board!);
      const se = new SeClient(opened.channel);
      await se.select();
      const { tid: present, info } = await se.identity();
      if (info.lifecycle === "locked") {
        throw new Error(`the SE is locked with TID ${present ? toHex(present) : "?"}; it cannot be provisioned again`);
      }
      if (info.lifecycle === "personalised" && !force) {
        throw new Error(`the SE already holds TID ${present ? toHex(present) : "?"} (not locked; --force provisions it again)`);
      }
    }
    // 2. register with the auth server
    await registerDevice(admin, {
      tid, psk,
      ...(str("label") !== undefined ? { label: str("label")! } : {}),
      ...(str("owner") !== undefined ? { owner: str("owner")! } : {}),
      ...(force ? { replace: true } : {}),
    });
    report.registered = true;
    // 3. store
    try {
      if (keyFile !== undefined) {
        await writeKeyFile(keyFile, { tid, psk }, secret!, { overwrite: force });
      } else {
        const se = new SeClient(opened!.channel);
        await se.provision(tid, psk);
        if (lock) await se.lock();
        const { tid: got, info } = await se.identity();
        if (!got || toHex(got) !== toHex(tid)) throw new Error(`the SE reports TID ${got ? toHex(got) : "none"} after PROVISION`);
        report.locked = info.lifecycle === "locked";
        if (simStatePath !== undefined) await writeSimState(simStatePath, { tid, psk, locked: report.locked, board: opened!.board.name }, { overwrite: force });
      }
      report.stored = true;
    } catch (e) {
      throw new Error(`TID ${toHex(tid)} is registered on the server, but storing it failed: ${(e as Error).message} (run again with --force)`, { cause: e });
    }
    report.ok = true;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    report.error = e instanceof Error ? e.message : String(e);
  } finally {
    psk.fill(0);
    opened?.close();
    destroyAgents();
  }

  if (values.json) io.out(JSON.stringify(report, null, 2));
  else if (report.ok) {
    const where =
      report.backend === "soft"
        ? `key file ${keyFile} (sealed, 0600)`
        : `SE on ${boardName}${report.locked ? " (locked)" : " (not locked)"}${simStatePath ? `, simulated SE state in ${simStatePath}` : ""}`;
    io.out(`provisioned TID ${report.tid}\n  stored in  ${where}\n  registered with ${url}`);
  }
  if (!report.ok) {
    if (!values.json) io.err(`tid provision: ${report.error}`);
    return 1;
  }
  return 0;
}

export const provision: CliCommand = {
  name: "provision",
  summary: "create a TID+PSK identity in an SE (or a soft key file) and register it with an auth server",
  usage: USAGE,
  run,
};
