// The pinned SE link key on the host (docs/se-profile.md "The shielded link", "Pairing"): the SE's
// public link key PK.SE as `tid provision` records it, and its fingerprint for `tid probe`.
// A pin file is JSON with no secret in it, but whoever can rewrite it can make the host trust
// another SE, so one that group or others may write is refused.
import { createHash } from "node:crypto";
import { fromHex, toHex } from "../reference/bytes.js";
import { UsageError } from "./command.js";
import { readJsonOptionFile, writeJsonPrivateFile } from "./option-file.js";

export const LINK_PIN_FORMAT = "tid-wasm pinned SE link key v1";
export const LINK_KEY_SIZE = 64;
const MAX_PIN_BYTES = 4096;

export interface LinkPin {
  /** PK.SE, 64 bytes x ‖ y */
  linkKey: Uint8Array;
  /** the TID the SE held when it was paired */
  tid?: string;
  board?: string;
}

/** "sm3:" and the first 8 bytes of SM3(PK.SE) in hex: short enough to compare by eye. */
export function linkKeyFingerprint(linkKey: Uint8Array): string {
  return `sm3:${createHash("sm3").update(linkKey).digest("hex").slice(0, 16)}`;
}

/** PK.SE from hex (128 digits), or a UsageError naming `what`. */
export function linkKeyFromHex(what: string, hex: unknown): Uint8Array {
  if (typeof hex !== "string" || !new RegExp(`^[0-9a-fA-F]{${2 * LINK_KEY_SIZE}}$`).test(hex)) {
    throw new UsageError(`${what} must be ${2 * LINK_KEY_SIZE} hex digits (the SE's public link key x ‖ y)`);
  }
  return fromHex(hex);
}

/** Write a pin file (0600, atomically; not over an existing file unless `overwrite`). */
export async function writeLinkPin(path: string, pin: LinkPin, options: { overwrite?: boolean } = {}): Promise<void> {
  await writeJsonPrivateFile(
    path,
    {
      format: LINK_PIN_FORMAT,
      note: "The public link key of a paired secure element: the host trusts the SE that proves this key.",
      ...(pin.board ? { board: pin.board } : {}),
      ...(pin.tid ? { tid: pin.tid } : {}),
      linkKey: toHex(pin.linkKey),
      fingerprint: linkKeyFingerprint(pin.linkKey),
    },
    options,
  );
}

/** Read a pin file given as `option`; refuses one that group or others may write. */
export function readLinkPin(path: string, option = "--link-key"): LinkPin {
  const { json: j, mode } = readJsonOptionFile(option, path, {
    maxBytes: MAX_PIN_BYTES,
    what: "pinned link key file",
    hint: "`tid provision --board NAME --link-key FILE` writes one",
    format: LINK_PIN_FORMAT,
  });
  if ((mode & 0o022) !== 0) {
    throw new Error(`${path}: mode ${mode.toString(8).padStart(3, "0")} lets others replace the pinned key; run \`chmod 600 ${path}\``);
  }
  return {
    linkKey: linkKeyFromHex(`${option} ${path}: "linkKey"`, j.linkKey),
    ...(typeof j.tid === "string" ? { tid: j.tid } : {}),
    ...(typeof j.board === "string" ? { board: j.board } : {}),
  };
}

/**
 * The link a device command uses on an SE board: the pin in the simulated board's state file, or
 * the --link-key FILE of a hardware board, or no pin when --unshielded says so explicitly. A
 * usage error when neither (or both) is given.
 */
export function chooseLink(input: { simStatePin?: Uint8Array; linkKeyFile?: string; unshielded?: boolean; simulated: boolean }): {
  linkKey?: Uint8Array;
} {
  const { simStatePin, linkKeyFile, unshielded, simulated } = input;
  if (linkKeyFile !== undefined && simulated)
    throw new UsageError("--link-key is for hardware boards: a simulated board's --sim-state file holds its pin");
  const linkKey = simStatePin ?? (linkKeyFile !== undefined ? readLinkPin(linkKeyFile).linkKey : undefined);
  if (linkKey && unshielded) throw new UsageError("--unshielded contradicts the pinned link key: drop one");
  if (!linkKey && !unshielded) {
    throw new UsageError(
      simulated
        ? "the simulated SE in --sim-state was not paired (no link key): provision it again, or pass --unshielded to talk to it in clear"
        : "the SE's link key is not pinned: give --link-key FILE (written by `tid provision --link-key FILE`), or --unshielded to talk to the SE in clear",
    );
  }
  return linkKey ? { linkKey } : {};
}
