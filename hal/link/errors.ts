// Link-layer errors (docs/hal.md "Errors"): every way an FM I2C / FM SPI exchange
// can fail is its own class, so a caller (and the wasm's status mapping) can tell them apart.
//
//   class                 code           when                                            status
//   LinkTimeout           TIMEOUT        the SE stayed busy past timeoutMs, or the       ERR_SE_TIMEOUT
//                                        exchange ran past its overall deadlineMs
//   LinkNack              NACK           the SE never acknowledged its address while     ERR_SE_NACK
//                                        we tried to send the command (absent, wrong
//                                        address, wedged)
//   LinkChecksum          CHECKSUM       a frame's BCC / LRC did not match (decoders)    ERR_SE_CHECKSUM
//   LinkLength            LENGTH         a frame's LEN is out of range or disagrees      ERR_SE_CHECKSUM
//                                        with the bytes read (decoders)
//   LinkRetriesExhausted  RETRIES        NAK/re-read limit (bad frames), WTX limit, or   by `what`
//                                        I/O retry limit reached; `cause` = last error
//   LinkProtocol          PROTOCOL       a well-formed frame that makes no sense: wrong  ERR_SE_IO
//                                        NAD, unknown status byte, empty response,
//                                        command too long for one frame
//   LinkUnsupported       UNSUPPORTED    the link has no such operation (ATR over SPI)   ERR_SE_IO
//
// Bus failures the link does not handle itself (ENOENT, EACCES, EIO on a write, CLOSED, EBUSY…)
// propagate as the original BusError (hal/bus/errors.ts), unchanged.

export type LinkErrorCode = "TIMEOUT" | "NACK" | "CHECKSUM" | "LENGTH" | "RETRIES" | "PROTOCOL" | "UNSUPPORTED";

/** Names from bindings/status.ts (kept as strings: hal does not import bindings). */
export type SeStatusName =
  | "ERR_SE_TIMEOUT"
  | "ERR_SE_NACK"
  | "ERR_SE_CHECKSUM"
  | "ERR_SE_STATUS_WORD"
  | "ERR_SE_IO"
  | "ERR_SE_NOT_CONFIGURED"
  | "ERR_SE_NOT_AUTHENTIC"
  | "ERR_SE_SESSION_LOST"
  | "ERR_SE_BAD_MAC";

export abstract class LinkError extends Error {
  abstract readonly code: LinkErrorCode;
  /** The status this error becomes at the wasm boundary (bindings/status.ts). */
  abstract readonly status: SeStatusName;
  /** The port the exchange ran on, e.g. "/dev/i2c-1@0x71". */
  readonly port: string;

  constructor(port: string, message: string, cause?: unknown) {
    super(`${port}: ${message}`, cause === undefined ? undefined : { cause });
    this.port = port;
  }
}

export class LinkTimeout extends LinkError {
  readonly code = "TIMEOUT" as const;
  readonly status = "ERR_SE_TIMEOUT" as const;
  /** "busy": no response within timeoutMs of the last sign of life; "deadline": overall cap hit. */
  readonly reason: "busy" | "deadline";
  readonly elapsedMs: number;
  constructor(port: string, reason: "busy" | "deadline", elapsedMs: number, limitMs: number, cause?: unknown) {
    super(
      port,
      reason === "busy"
        ? `the SE gave no response within ${limitMs} ms (waited ${elapsedMs.toFixed(1)} ms)`
        : `the exchange ran past its ${limitMs} ms deadline (${elapsedMs.toFixed(1)} ms)`,
      cause,
    );
    this.name = "LinkTimeout";
    this.reason = reason;
    this.elapsedMs = elapsedMs;
  }
}

export class LinkNack extends LinkError {
  readonly code = "NACK" as const;
  readonly status = "ERR_SE_NACK" as const;
  readonly attempts: number;
  constructor(port: string, attempts: number, elapsedMs: number, cause?: unknown) {
    super(
      port,
      `the SE did not acknowledge its address in ${attempts} attempts over ${elapsedMs.toFixed(1)} ms ` +
        "(not powered, wrong address or bus, or stuck busy; check with `i2cdetect -y <bus>`)",
      cause,
    );
    this.name = "LinkNack";
    this.attempts = attempts;
  }
}

export class LinkChecksum extends LinkError {
  readonly code = "CHECKSUM" as const;
  readonly status = "ERR_SE_CHECKSUM" as const;
  readonly expected: number;
  readonly actual: number;
  constructor(port: string, what: string, expected: number, actual: number) {
    super(port, `${what} mismatch: computed 0x${hex(expected)}, frame has 0x${hex(actual)}`);
    this.name = "LinkChecksum";
    this.expected = expected;
    this.actual = actual;
  }
}

export class LinkLength extends LinkError {
  readonly code = "LENGTH" as const;
  readonly status = "ERR_SE_CHECKSUM" as const;
  readonly length: number;
  constructor(port: string, length: number, detail: string) {
    super(port, `bad frame length ${length}: ${detail}`);
    this.name = "LinkLength";
    this.length = length;
  }
}

export class LinkRetriesExhausted extends LinkError {
  readonly code = "RETRIES" as const;
  readonly status: SeStatusName;
  /** Which limit: "nak" (bad frames, resends/re-reads), "wtx" (wait-time extensions), "io" (bus errors). */
  readonly what: "nak" | "wtx" | "io";
  readonly attempts: number;
  constructor(port: string, what: "nak" | "wtx" | "io", attempts: number, cause?: unknown) {
    const label = { nak: "bad frames (NAK/re-read)", wtx: "wait-time extensions", io: "bus I/O errors" }[what];
    const last = cause instanceof Error ? `; last: ${cause.message}` : "";
    super(port, `gave up after ${attempts} ${label}${last}`, cause);
    this.name = "LinkRetriesExhausted";
    this.what = what;
    this.attempts = attempts;
    this.status = what === "nak" ? "ERR_SE_CHECKSUM" : what === "wtx" ? "ERR_SE_TIMEOUT" : "ERR_SE_IO";
  }
}

export class LinkProtocol extends LinkError {
  readonly code = "PROTOCOL" as const;
  readonly status = "ERR_SE_IO" as const;
  constructor(port: string, message: string) {
    super(port, message);
    this.name = "LinkProtocol";
  }
}

export class LinkUnsupported extends LinkError {
  readonly code = "UNSUPPORTED" as const;
  readonly status = "ERR_SE_IO" as const;
  constructor(port: string, message: string) {
    super(port, message);
    this.name = "LinkUnsupported";
  }
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, "0");
}
