// Typed errors of the TID protocol v1 reference (docs/protocol.md "Rules"; docs/server.md "Error
// codes").
// `code` is the coarse class; where it overlaps the wasm status table (bindings/status.ts) the
// matching status name is in `status` (e.g. BAD_FORMAT ↔ ERR_BAD_FORMAT). `reason` is the fine,
// distinct cause (one per check), so tests and logs can tell every rejection apart.

export type ProtocolErrorCode =
  | "BAD_FORMAT" // length, nonce-length byte, reserved flag bits, L too large
  | "UNSUPPORTED_VERSION"
  | "UNSUPPORTED_ALGORITHM" // symmetric algorithm or key agreement byte, or not the device's suite
  | "TID_MISMATCH" // server data for another TID
  | "VERIFY_FAILED" // tag_d or tag_s wrong
  | "BAD_POINT" // public key not on the suite's curve (SM2 or P-256)
  | "BAD_SCALAR" // private key outside the suite's range (SM2 [1, n-2], P-256 [1, n-1])
  | "STALE_TIME" // device time outside the server's window (server only)
  | "REPLAY" // (TID, Nd) already seen inside the window (server only)
  | "UNKNOWN_TID" // server only
  | "INACTIVE_TID"; // server only: the device is registered but deactivated

/** Fine-grained causes; each check in the codecs and verifiers has its own. */
export type ProtocolErrorReason =
  | "TOO_SHORT"
  | "TOO_LONG"
  | "LENGTH_MISMATCH"
  | "EXTRA_TOO_LONG"
  | "NONCE_LENGTH"
  | "RESERVED_FLAGS"
  | "VERSION"
  | "SYM_ALG"
  | "KEY_AGREEMENT"
  | "SUITE" // a valid message in another suite than the device's registered one
  | "TID"
  | "TAG_D"
  | "TAG_S"
  | "NOT_ON_CURVE"
  | "SCALAR_RANGE"
  | "TOO_OLD"
  | "TOO_NEW"
  | "SEEN"
  | "NOT_REGISTERED"
  | "DEACTIVATED";

/** Status names of bindings/status.ts that correspond to a protocol error code. */
export const STATUS_OF: Readonly<Partial<Record<ProtocolErrorCode, string>>> = {
  BAD_FORMAT: "ERR_BAD_FORMAT",
  UNSUPPORTED_VERSION: "ERR_UNSUPPORTED_VERSION",
  UNSUPPORTED_ALGORITHM: "ERR_UNSUPPORTED_ALGORITHM",
  TID_MISMATCH: "ERR_TID_MISMATCH",
  VERIFY_FAILED: "ERR_VERIFY_FAILED",
  REPLAY: "ERR_REPLAY",
  BAD_POINT: "ERR_BAD_POINT",
  BAD_SCALAR: "ERR_BAD_SCALAR",
};

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly reason: ProtocolErrorReason;
  /** The matching wasm status name, when there is one. */
  readonly status: string | undefined;

  constructor(code: ProtocolErrorCode, reason: ProtocolErrorReason, message: string) {
    super(`${code}/${reason}: ${message}`);
    this.name = "ProtocolError";
    this.code = code;
    this.reason = reason;
    this.status = STATUS_OF[code];
  }
}

export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}
