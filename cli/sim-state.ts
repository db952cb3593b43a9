// The state file of a simulated SE (`tid provision --sim-state FILE`, `tid auth --sim-state FILE`).
// A simulated SE lives only as long as the process, so its non-volatile memory — TID, PSK, suite,
// lock — is saved to a JSON file (mode 0600) that `tid auth` loads into a new simulated SE. The file
// holds the PSK (and the SE's private link key) in clear: it stands for the chip's NVM and is for
// tests and demos only (docs/protocol.md "Running it"). Beside the chip's NVM it keeps the host's
// pin of the SE's public link key (docs/se-profile.md "The shielded link"), so one file is the
// whole simulated board. The identity's suite (docs/se-profile.md "PROVISION") is "sm" or "intl";
// a file without one was written before suites existed and reads as "sm".
import { fromHex, toHex } from "../reference/bytes.js";
import { PSK_SIZE, SUITE_NAMES, TID_SIZE, type SuiteName } from "../reference/constants.js";
import { UsageError } from "./command.js";
import { readJsonOptionFile, tooOpen, writeJsonPrivateFile } from "./option-file.js";
import { linkKeyFromHex } from "./link-pin.js";

export const SIM_STATE_FORMAT = "tid-wasm simulated SE state v1";
/** A state file is a few hundred bytes; anything much larger is some other file. */
export const MAX_SIM_STATE_BYTES = 4096;

/** The non-volatile memory of a simulated SE, as saved by `tid provision --sim-state`. */
export interface SimState {
  tid: Uint8Array;
  psk: Uint8Array;
  /** the identity's algorithm suite (absent in a file: "sm") */
  suite?: SuiteName;
  locked: boolean;
  /** the chip's private link key SK.SE (32 bytes; NVM), when the SE was paired */
  linkPrivate?: Uint8Array;
  /** the host's pin: PK.SE (64 bytes), when the SE was paired */
  linkKey?: Uint8Array;
  /** the board it was provisioned on (informational) */
  board?: string;
}

/** Write a simulated SE's state file: JSON, mode 0600, atomically (bindings/private-file.ts). */
export async function writeSimState(path: string, state: SimState, options: { overwrite?: boolean } = {}): Promise<void> {
  await writeJsonPrivateFile(
    path,
    {
      format: SIM_STATE_FORMAT,
      note: "NVM of a simulated SE (tid provision / tid auth --sim-state). The PSK is in clear: tests and demos only.",
      ...(state.board ? { board: state.board } : {}),
      tid: toHex(state.tid),
      psk: toHex(state.psk),
      suite: state.suite ?? "sm",
      locked: state.locked,
      ...(state.linkPrivate ? { linkPrivate: toHex(state.linkPrivate) } : {}),
      ...(state.linkKey ? { linkKey: toHex(state.linkKey) } : {}),
    },
    options,
  );
}

/**
 * Read a state file written by writeSimState, given as `option`. In this order: a regular file
 * of at most 4 KiB, then the format (both usage errors), then the mode — a file that group or
 * others may access is refused (Error), as it holds the PSK.
 */
export function readSimState(path: string, option = "--sim-state"): SimState {
  const { json: j, mode } = readJsonOptionFile(option, path, {
    maxBytes: MAX_SIM_STATE_BYTES,
    what: "simulated SE state file",
    hint: "write one with `tid provision --board sim-i2c --sim-state FILE`",
    format: SIM_STATE_FORMAT,
  });
  const field = (name: string, n: number): Uint8Array => {
    const v = j[name];
    if (typeof v !== "string" || !new RegExp(`^[0-9a-fA-F]{${2 * n}}$`).test(v))
      throw new UsageError(`${option} ${path}: "${name}" must be ${2 * n} hex digits`);
    return fromHex(v);
  };
  if (typeof j.locked !== "boolean") throw new UsageError(`${option} ${path}: "locked" must be true or false`);
  const suite = j.suite === undefined ? "sm" : j.suite;
  if (!(SUITE_NAMES as readonly unknown[]).includes(suite)) {
    throw new UsageError(`${option} ${path}: "suite" must be ${SUITE_NAMES.map((n) => JSON.stringify(n)).join(" or ")}`);
  }
  const tid = field("tid", TID_SIZE);
  const psk = field("psk", PSK_SIZE);
  const paired = j.linkPrivate !== undefined || j.linkKey !== undefined;
  const linkPrivate = paired ? field("linkPrivate", 32) : undefined;
  const linkKey = paired ? linkKeyFromHex(`${option} ${path}: "linkKey"`, j.linkKey) : undefined;
  if (tooOpen(mode)) {
    psk.fill(0);
    linkPrivate?.fill(0);
    throw new Error(
      `${path}: mode ${mode.toString(8).padStart(3, "0")} lets others read the simulated SE's PSK; run \`chmod 600 ${path}\``,
    );
  }
  return {
    tid,
    psk,
    suite: suite as SuiteName,
    locked: j.locked,
    ...(linkPrivate && linkKey ? { linkPrivate, linkKey } : {}),
    ...(typeof j.board === "string" ? { board: j.board } : {}),
  };
}
