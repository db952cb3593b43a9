// Typed failures of the shielded SE link (docs/se-profile.md "The shielded link"). `code` is the
// class a caller acts on; `reason` the exact check, so tests and logs can tell them apart.
//   IMPOSTOR         the receipt of OPEN SECURE SESSION does not match: the answer does not come
//                    from the holder of the pinned key (never fall back to clear)
//   BAD_POINT        an ephemeral public key is not a point of the curve
//   BAD_FORMAT       a length that the spec does not allow (open data, protected data, response)
//   BAD_MAC          a C-MAC or R-MAC does not verify
//   BAD_PADDING      decrypted data without ISO/IEC 9797-1 method-2 padding
//   SESSION_ENDED    the session was wiped (after a failure or on request), or its counter ran out
//   OUT_OF_ORDER     a call the session's state does not allow (a response with no command, …)

export type SecureLinkErrorCode = "IMPOSTOR" | "BAD_POINT" | "BAD_FORMAT" | "BAD_MAC" | "BAD_PADDING" | "SESSION_ENDED" | "OUT_OF_ORDER";

export class SecureLinkError extends Error {
  readonly code: SecureLinkErrorCode;
  readonly reason: string;

  constructor(code: SecureLinkErrorCode, reason: string, message: string) {
    super(`${code}/${reason}: ${message}`);
    this.name = "SecureLinkError";
    this.code = code;
    this.reason = reason;
  }
}

export function isSecureLinkError(e: unknown): e is SecureLinkError {
  return e instanceof SecureLinkError;
}
