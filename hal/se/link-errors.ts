// Typed errors of the shielded SE link on the host (docs/se-profile.md "The shielded link";
// docs/hal.md "The shielded link"). Each keeps what caused it (`cause`), and `status` is the wasm
// status name it stands for.
//   SeImpostorError          the SE did not prove it holds the pinned key: receipt mismatch, a bad
//                            ePK.SE, a malformed OPEN answer, no link key at all (6985) while one
//                            is pinned, or OPEN refused with another SW (OPEN_REFUSED; the
//                            SeStatusError is its cause). Nothing is ever sent in clear after it.
//   SeSessionLostError       the session ended under a command (reset, bare 6982, a link fault)
//                            and the command could not be repeated safely, or it was lost again.
//   SeSecureMessagingError   a protected response failed its check (R-MAC, length, padding):
//                            nothing of it is used; the session is ended.
// Their `status` names are the wasm's (bindings/status.ts) for the same failures of its own host
// half: ERR_SE_NOT_AUTHENTIC, ERR_SE_SESSION_LOST, ERR_SE_BAD_MAC.
import type { SeStatusName } from "../link/errors.js";

export class SeImpostorError extends Error {
  readonly status: SeStatusName = "ERR_SE_NOT_AUTHENTIC";
  /** RECEIPT, BAD_POINT, BAD_FORMAT, NO_LINK_KEY, OPEN_REFUSED */
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(`the SE is not the paired one (${reason}): ${message}`, options);
    this.name = "SeImpostorError";
    this.reason = reason;
  }
}

export class SeSessionLostError extends Error {
  readonly status: SeStatusName = "ERR_SE_SESSION_LOST";
  /** the command that was under way ("AUTH FINISH") */
  readonly command: string;
  /** "6982" (the SE ended the session: the command did not run) or "link" (a fault: it may have run) */
  readonly how: "6982" | "link";
  constructor(command: string, how: "6982" | "link", message: string, options?: { cause?: unknown }) {
    super(`${command}: secure session lost (${how === "6982" ? "the SE answered a bare 6982" : "link fault"}): ${message}`, options);
    this.name = "SeSessionLostError";
    this.command = command;
    this.how = how;
  }
}

export class SeSecureMessagingError extends Error {
  readonly status: SeStatusName = "ERR_SE_BAD_MAC";
  readonly command: string;
  /** BAD_MAC, BAD_FORMAT, BAD_PADDING, … (reference/secure-link-error.ts) */
  readonly reason: string;
  constructor(command: string, reason: string, message: string, options?: { cause?: unknown }) {
    super(`${command}: protected response refused (${reason}): ${message}`, options);
    this.name = "SeSecureMessagingError";
    this.command = command;
    this.reason = reason;
  }
}
