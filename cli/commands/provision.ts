// `tid provision`: create a device identity — a TID (8 bytes) and a PSK (16 bytes) in an algorithm
// suite (--suite sm|intl, docs/protocol.md "Algorithm suites") — store it in a secure element
// (PROVISION TID+PSK+suite, then LOCK; docs/se-profile.md "Algorithm suites") or in a soft key
// file (bindings/keyfile.ts, docs/keyfile.md; it records the suite), and register it, with its
// suite, with a TID auth server through its admin API (server/sdk/admin-client.ts,
// docs/server.md). The PSK never appears on the command line or in the output.
//
// Order, so that a failure leaves no identity that only one side knows:
//   1. the options (usage errors, exit 2: nothing is touched before they all hold);
//   2. the target: the key file / state file can be created (directory there and writable, no
//      file unless --force), the SE is blank; the owner (--owner) is a user server the auth
//      server knows; the key file is sealed and written to a temporary file beside its path;
//   3. register the identity with the auth server;
//   4. store it: put the key file in place, or pair the SE (GENERATE LINK KEY: the SE's public
//      link key is pinned, docs/se-profile.md "The shielded link"), PROVISION (+ LOCK) it through
//      the shielded link, check the TID and suite it reports (GET DATA), and save the pin (--link-key FILE) or the simulated SE's state (which
//      holds the pin). If this fails, the registration is rolled back: the TID is deactivated on the
//      server (the admin API has no delete; a deactivated TID cannot authenticate, and can be
//      reactivated if the SE did get the identity).
// Simulated boards keep their SE's memory in a state file (cli/sim-state.ts).
import { randomBytes } from "node:crypto";
import { openBoard, type OpenedBoard } from "../../hal/open-board.js";
import type { Board } from "../../hal/boards.js";
import { SeClient } from "../../hal/se/client.js";
import { getUserServer, registerDevice, setDeviceActive, type AdminOptions } from "../../server/sdk/admin-client.js";
import { destroyAgents, TidServerError } from "../../server/sdk/http-client.js";
import { stageKeyFile, type KeyFileSecret, type StagedKeyFile } from "../../bindings/keyfile.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { PSK_SIZE, SUITE_NAMES, TID_SIZE, type SuiteName } from "../../reference/constants.js";
import { UsageError, parseCommandArgs, type CliCommand, type CliIo } from "../command.js";
import {
  ADMIN_TOKEN_USAGE,
  DEVICE_OPTIONS,
  SUITE_DESCRIPTION,
  adminOptions,
  keyFileSecret,
  loadBoardOrUsage,
  serverUrl,
} from "../options.js";
import { checkDestination } from "../option-file.js";
import { writeSimState } from "../sim-state.js";
import { linkKeyFingerprint, writeLinkPin } from "../link-pin.js";

const USAGE = `usage: tid provision --server URL (--board NAME [--sim-state FILE] | --key-file FILE) [options]

Create a device identity (a random 8-byte TID and 16-byte PSK), register it with a TID auth server
(admin API) and store it in the secure element on a board (PROVISION, then LOCK) or in a soft key
file (sealed, mode 0600). The PSK is never printed. Everything is checked before the server hears
of the identity; if storing it fails after all, the registration is rolled back (deactivated).

  --server URL            the TID auth server (its admin API needs the admin token, below)
  --board NAME            store the identity in the SE on this board (boards/; sim-i2c, sim-spi simulate
                          one; default $TID_BOARD)
  --sim-state FILE        simulated boards (required there): save the simulated SE's memory to FILE
                          (JSON, 0600, PSK in clear: tests and demos only) for \`tid auth --sim-state\`,
                          with the pinned link key
  --link-key FILE         hardware boards (required there unless --unshielded): pair the SE and write
                          its public link key to FILE, the pin \`tid auth --link-key FILE\` checks
  --unshielded            do not pair: PROVISION sends the PSK over the bus in clear, and later
                          commands run unshielded (only for SEs that cannot be paired)
  --key-file FILE         soft backend: write the identity to this key file instead (its directory
                          must exist)
  --suite sm|intl         the identity's algorithm suite (default sm): sm = SM2/SM3/SM4, intl =
                          P-256/SHA-256/AES-128; written into the SE with the identity, or recorded
                          in the key file
  --passphrase-env VAR    key file passphrase from $VAR (default: $TID_KEY_PASSPHRASE)
  --passphrase-file FILE  key file passphrase from the first line of FILE
  --machine-bound         seal the key file with this machine's id instead (weaker; docs/keyfile.md)
  --tid HEX               use this TID (16 hex digits) instead of a random one
  --label TEXT            label kept with the device on the server
  --owner UIN             only this user server may authenticate the device (to any other it is
                          unknown); it must be registered (\`tid keygen DIR --server URL --user UIN\`).
                          Without it, any registered user server may
  --no-lock               leave the SE unlocked (it can be provisioned again)
  --force                 replace an existing --sim-state / --key-file and the server's record of the TID
${ADMIN_TOKEN_USAGE}
  --ca FILE               trust this CA certificate (PEM) for an https server
  --json                  print one JSON document

Exit codes: 0 provisioned and registered, 1 failed, 2 usage error.`;

export interface ProvisionReport {
  ok: boolean;
  tid: string;
  /** the identity's algorithm suite, as stored and registered */
  suite: SuiteName;
  backend: "se" | "soft";
  board?: string;
  simState?: string;
  keyFile?: string;
  locked?: boolean;
  /** SE: paired and provisioned through the shielded link; the pinned key's fingerprint and file */
  shielded?: boolean;
  linkKeyFingerprint?: string;
  linkKeyFile?: string;
  server: string;
  registered: boolean;
  stored: boolean;
  /** after a failure past registering: "deactivated", or "failed" when that failed too */
  rollback?: "deactivated" | "failed";
  error?: string;
}

/** Everything the command line asks for, checked (usage errors) before anything is touched. */
interface ProvisionPlan {
  admin: AdminOptions;
  tid: Uint8Array;
  suite: SuiteName;
  force: boolean;
  lock: boolean;
  label?: string;
  owner?: string;
  /** soft backend */
  keyFile?: string;
  secret?: KeyFileSecret;
  /** SE backend */
  board?: Board;
  boardName?: string;
  simState?: string;
  /** SE: pair and write the pin here (hardware boards) */
  linkKeyFile?: string;
  /** SE: do not pair (everything in clear) */
  unshielded?: boolean;
}

const OPTIONS = {
  ...DEVICE_OPTIONS,
  tid: { type: "string" },
  suite: { type: "string" },
  label: { type: "string" },
  owner: { type: "string" },
  "no-lock": { type: "boolean" },
  force: { type: "boolean" },
  "admin-token-env": { type: "string" },
  "admin-token-file": { type: "string" },
} as const;

function planFromArgs(argv: string[], env: Record<string, string | undefined>): { plan: ProvisionPlan; json: boolean } {
  const { values } = parseCommandArgs(argv, OPTIONS, { positionals: false });
  const url = serverUrl(values.server, undefined, env);
  const keyFile = values["key-file"];
  const boardName = values.board ?? (keyFile === undefined ? env.TID_BOARD || undefined : undefined);
  const simState = values["sim-state"];
  if ((boardName === undefined) === (keyFile === undefined)) throw new UsageError("give exactly one of --board NAME and --key-file FILE");
  if (keyFile !== undefined && simState !== undefined) throw new UsageError("--sim-state goes with --board, not with --key-file");
  const suite = values.suite ?? "sm";
  if (!(SUITE_NAMES as readonly string[]).includes(suite)) throw new UsageError(`--suite must be sm or intl, got ${JSON.stringify(suite)}`);
  if (boardName !== undefined && (values["machine-bound"] || values["passphrase-env"] || values["passphrase-file"])) {
    throw new UsageError("--machine-bound / --passphrase-env / --passphrase-file go with --key-file");
  }
  if (keyFile !== undefined && values["no-lock"]) throw new UsageError("--no-lock goes with --board");
  if (keyFile !== undefined && (values["link-key"] !== undefined || values.unshielded))
    throw new UsageError("--link-key / --unshielded go with --board (a key file has no bus)");
  let tid: Uint8Array;
  if (values.tid !== undefined) {
    if (!new RegExp(`^[0-9a-fA-F]{${2 * TID_SIZE}}$`).test(values.tid))
      throw new UsageError(`--tid must be ${2 * TID_SIZE} hex digits, got ${JSON.stringify(values.tid)}`);
    tid = fromHex(values.tid);
  } else {
    tid = new Uint8Array(randomBytes(TID_SIZE));
  }
  if (values.owner !== undefined && !/^[0-9A-Za-z_.-]{1,64}$/.test(values.owner)) {
    throw new UsageError(`--owner must be a user server's UIN (1..64 characters of [0-9A-Za-z_.-]), got ${JSON.stringify(values.owner)}`);
  }
  if (values.label !== undefined && values.label.length > 200) throw new UsageError("--label is 200 characters at most");
  const plan: Omit<ProvisionPlan, "admin"> = {
    tid,
    suite: suite as SuiteName,
    force: values.force === true,
    lock: !values["no-lock"],
    ...(values.label !== undefined ? { label: values.label } : {}),
    ...(values.owner !== undefined ? { owner: values.owner } : {}),
  };
  if (keyFile !== undefined) {
    plan.keyFile = keyFile;
    plan.secret = keyFileSecret(values, env);
  } else {
    const board = loadBoardOrUsage(boardName!, env);
    if (board.sim && simState === undefined) {
      throw new UsageError(`${board.name} is simulated: give --sim-state FILE to keep the provisioned SE for \`tid auth\``);
    }
    if (!board.sim && simState !== undefined) throw new UsageError(`--sim-state is for simulated boards; ${board.name} is hardware`);
    const linkKeyFile = values["link-key"];
    if (board.sim && linkKeyFile !== undefined)
      throw new UsageError("--link-key is for hardware boards: a simulated board keeps its pin in the --sim-state file");
    if (linkKeyFile !== undefined && values.unshielded) throw new UsageError("--link-key pairs the SE, --unshielded does not: give one");
    if (!board.sim && linkKeyFile === undefined && !values.unshielded) {
      throw new UsageError(
        `${board.name}: give --link-key FILE to pair the SE and keep its public link key there (or --unshielded not to pair it)`,
      );
    }
    if (linkKeyFile !== undefined) plan.linkKeyFile = linkKeyFile;
    if (values.unshielded) plan.unshielded = true;
    plan.board = board;
    plan.boardName = boardName!;
    if (simState !== undefined) plan.simState = simState;
  }
  // the admin token last: every other mistake in the command line is reported first
  return { plan: { ...plan, admin: adminOptions(url, values, env) }, json: values.json === true };
}

/** --owner must name a user server the auth server knows, and an active one. */
async function checkOwner(admin: AdminOptions, owner: string): Promise<void> {
  let info: Record<string, unknown>;
  try {
    info = await getUserServer(admin, owner);
  } catch (e) {
    if (e instanceof TidServerError && e.code === "UNKNOWN_USER") {
      throw new Error(
        `--owner ${owner}: ${admin.url} has no such user server; register it first with \`tid keygen DIR --server ${admin.url} --user ${owner}\``,
      );
    }
    throw e;
  }
  if (info.active === false) throw new Error(`--owner ${owner}: the user server is deactivated on ${admin.url}`);
}

/** The SE on the board answers, has the TID applet and holds no identity (or, with --force, an unlocked one). */
async function checkSeBlank(opened: OpenedBoard, force: boolean): Promise<void> {
  const se = new SeClient(opened.channel);
  await se.select();
  const { tid: present, info } = await se.identity();
  if (info.lifecycle === "locked") {
    throw new Error(`the SE is locked with TID ${present ? toHex(present) : "?"}; it cannot be provisioned again`);
  }
  if (info.lifecycle === "personalised" && !force) {
    throw new Error(`the SE already holds TID ${present ? toHex(present) : "?"} (not locked; --force provisions it again)`);
  }
  if (info.linkKey) {
    throw new Error(
      "the SE is already paired (it has a link key): only a host holding its pin can talk to it, and tid provision starts from an unpaired SE",
    );
  }
}

/**
 * Pair the SE unless told not to (GENERATE LINK KEY; the client pins the key it answers), then
 * PROVISION (+ LOCK) it in the plan's suite — through the shielded link when paired — and check it
 * reports the TID and the suite (an applet older than suites refuses an INTL PROVISION, 6700).
 */
async function writeSe(
  opened: OpenedBoard,
  plan: ProvisionPlan,
  psk: Uint8Array,
  written: () => void,
): Promise<{ locked: boolean; linkKey: Uint8Array | null }> {
  const { tid, lock } = plan;
  const se = new SeClient(opened.channel);
  const linkKey = plan.unshielded ? null : await se.pair();
  await se.provision(tid, psk, plan.suite);
  written();
  if (lock) await se.lock();
  const { tid: got, info } = await se.identity();
  if (!got || toHex(got) !== toHex(tid)) throw new Error(`the SE reports TID ${got ? toHex(got) : "none"} after PROVISION`);
  const suite = await se.getSuite();
  if (suite !== plan.suite) throw new Error(`the SE reports suite ${suite} after PROVISION in suite ${plan.suite}`);
  return { locked: info.lifecycle === "locked", linkKey };
}

/** Undo the registration after a failure to store: deactivate the TID; the message says what happened. */
async function rollBack(plan: ProvisionPlan, report: ProvisionReport, cause: string, seHolds: boolean): Promise<string> {
  const tid = toHex(plan.tid);
  try {
    await setDeviceActive(plan.admin, plan.tid, false);
    report.rollback = "deactivated";
  } catch (e) {
    report.rollback = "failed";
    return `${cause}; deactivating TID ${tid} on the server failed too (${(e as Error).message}): deactivate it by hand (POST ${plan.admin.url}/v1/admin/devices/${tid}/deactivate)`;
  }
  let what = `${cause}; the registration was rolled back: TID ${tid} is deactivated on the server and cannot authenticate`;
  if (seHolds) {
    // PROVISION went through: the SE holds this identity, maybe locked
    what += !plan.lock
      ? "; the SE holds the identity, unlocked: --force provisions it again"
      : `; the SE holds the identity: if it is locked, reactivate the TID to use it (POST ${plan.admin.url}/v1/admin/devices/${tid}/activate), else --force provisions it again`;
  }
  return what;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { plan, json } = planFromArgs(argv, io.env);
  const { keyFile, simState, boardName } = plan;
  const report: ProvisionReport = {
    ok: false,
    tid: toHex(plan.tid),
    suite: plan.suite,
    backend: keyFile !== undefined ? "soft" : "se",
    server: plan.admin.url,
    registered: false,
    stored: false,
    ...(boardName !== undefined ? { board: boardName } : {}),
    ...(simState !== undefined ? { simState } : {}),
    ...(keyFile !== undefined ? { keyFile } : {}),
  };
  const psk = new Uint8Array(randomBytes(PSK_SIZE));
  let opened: OpenedBoard | undefined;
  let staged: StagedKeyFile | undefined;
  let seHolds = false;
  try {
    // 2. the target, before the server hears of the identity
    if (keyFile !== undefined) checkDestination("--key-file", keyFile, { force: plan.force });
    if (simState !== undefined) checkDestination("--sim-state", simState, { force: plan.force });
    if (plan.linkKeyFile !== undefined) checkDestination("--link-key", plan.linkKeyFile, { force: plan.force });
    if (plan.owner !== undefined) await checkOwner(plan.admin, plan.owner);
    if (keyFile !== undefined) {
      staged = await stageKeyFile(keyFile, { tid: plan.tid, psk, suite: plan.suite }, plan.secret!, { overwrite: plan.force });
    } else {
      opened = openBoard(plan.board!);
      await checkSeBlank(opened, plan.force);
    }
    // 3. register
    // suite SM is the default: sent only for INTL, so an SM registration is the request it always was
    const registered = await registerDevice(plan.admin, {
      tid: plan.tid,
      psk,
      ...(plan.suite !== "sm" ? { suite: plan.suite } : {}),
      ...(plan.label !== undefined ? { label: plan.label } : {}),
      ...(plan.owner !== undefined ? { owner: plan.owner } : {}),
      ...(plan.force ? { replace: true } : {}),
    });
    report.registered = true;
    // 4. store, or roll the registration back
    try {
      // a server that does not know suites ignores the field and registers suite SM: caught here
      const registeredSuite = registered.suite ?? "sm";
      if (registeredSuite !== plan.suite) {
        throw new Error(
          `the auth server registered TID ${report.tid} in suite ${String(registeredSuite)}, not ${plan.suite} (does it know algorithm suites?)`,
        );
      }
      if (staged) {
        await staged.commit();
      } else {
        const written = await writeSe(opened!, plan, psk, () => (seHolds = true));
        report.locked = written.locked;
        report.shielded = written.linkKey !== null;
        if (written.linkKey) report.linkKeyFingerprint = linkKeyFingerprint(written.linkKey);
        if (simState !== undefined) {
          const nvm = opened!.se!.applet.exportNvm();
          try {
            await writeSimState(
              simState,
              {
                tid: plan.tid,
                psk,
                suite: nvm.suite,
                locked: report.locked,
                ...(written.linkKey && nvm.linkKey ? { linkPrivate: nvm.linkKey, linkKey: written.linkKey } : {}),
                board: opened!.board.name,
              },
              { overwrite: plan.force },
            );
          } finally {
            nvm.psk?.fill(0);
            nvm.linkKey?.fill(0);
          }
        }
        if (plan.linkKeyFile !== undefined && written.linkKey) {
          await writeLinkPin(
            plan.linkKeyFile,
            { linkKey: written.linkKey, tid: report.tid, board: opened!.board.name },
            { overwrite: plan.force },
          );
          report.linkKeyFile = plan.linkKeyFile;
        }
      }
      report.stored = true;
    } catch (e) {
      throw new Error(
        await rollBack(plan, report, `storing TID ${report.tid} failed: ${(e as Error).message}`, seHolds && simState === undefined),
        { cause: e },
      );
    }
    report.ok = true;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    report.error = e instanceof Error ? e.message : String(e);
  } finally {
    psk.fill(0);
    await staged?.discard();
    opened?.close();
    destroyAgents();
  }

  if (json) io.out(JSON.stringify(report, null, 2));
  else if (report.ok) {
    const where =
      report.backend === "soft"
        ? `key file ${keyFile} (sealed, 0600)`
        : `SE on ${boardName}${report.locked ? " (locked)" : " (not locked)"}${simState ? `, simulated SE state in ${simState}` : ""}`;
    const link =
      report.backend === "se"
        ? report.shielded
          ? `\n  paired     link key ${report.linkKeyFingerprint} pinned${report.linkKeyFile ? ` in ${report.linkKeyFile}` : simState ? ` in ${simState}` : ""}; PROVISION went through the shielded link`
          : "\n  UNSHIELDED the SE was not paired: the PSK crossed the bus in clear, and so will every APDU (--unshielded)"
        : "";
    const owner = plan.owner !== undefined ? `, owned by user server ${plan.owner}` : "";
    io.out(
      `provisioned TID ${report.tid}\n  suite      ${SUITE_DESCRIPTION[report.suite]}\n  stored in  ${where}${link}\n  registered with ${plan.admin.url}${owner}`,
    );
  }
  if (!report.ok) {
    if (!json) io.err(`tid provision: ${report.error}`);
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
