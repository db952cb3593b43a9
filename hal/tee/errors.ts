// TEE link errors (docs/hal.md "The TEE link"): every way opening or using a session with the TID
// trusted application can fail is a TeeError with its own `code`, made from either an errno of the
// Linux TEE client ioctls (<linux/tee.h>) or a TEEC_Result and its origin (GlobalPlatform TEE
// Client API Specification v1.0, "TEEC_Result" and "Return origin codes").
//
//   code            from                                                        status
//   NO_MODULE       the optional addon @tid-wasm/tee-client is missing/broken   ERR_SE_IO
//   NO_DEVICE       ENOENT, ENODEV, ENXIO: no /dev/tee0 (no OP-TEE driver)      ERR_SE_IO
//   PERMISSION      EACCES, EPERM: not allowed to open the device / log in      ERR_SE_IO
//   NOT_GP          the device is not a GlobalPlatform TEE (TEE_IOC_VERSION)   ERR_SE_IO
//   TA_NOT_FOUND    TEEC_ERROR_ITEM_NOT_FOUND on open-session from the TEE      ERR_SE_IO
//   NO_SUPPLICANT   TEEC_ERROR_COMMUNICATION on open-session (comms or TEE)     ERR_SE_IO
//   BUSY            TEEC_ERROR_BUSY: another client holds the TA's one session  ERR_SE_IO
//   SHORT_BUFFER    TEEC_ERROR_SHORT_BUFFER left after the one retry            ERR_SE_IO
//   BAD_PARAMETERS  TEEC_ERROR_BAD_PARAMETERS                                   ERR_SE_IO
//   TARGET_DEAD     TEEC_ERROR_TARGET_DEAD: the TA panicked, its RAM state gone ERR_SE_IO
//   OUT_OF_MEMORY   TEEC_ERROR_OUT_OF_MEMORY, or ENOMEM                         ERR_SE_IO
//   CLOSED          the link was used after close()                             ERR_SE_IO
//   IO              any other errno                                             ERR_SE_IO
//   TEE_ERROR       any other TEEC_Result (result and origin kept)              ERR_SE_IO
//
// Every code stands for ERR_SE_IO at the wasm boundary: to the wasm a TEE fault is a transport
// fault, as an I/O error on a bus is; the TeeError itself stays on the TidError's `cause`.
import type { SeStatusName } from "../link/errors.js";

export type TeeErrorCode =
  | "NO_MODULE"
  | "NO_DEVICE"
  | "PERMISSION"
  | "NOT_GP"
  | "TA_NOT_FOUND"
  | "NO_SUPPLICANT"
  | "BUSY"
  | "SHORT_BUFFER"
  | "BAD_PARAMETERS"
  | "TARGET_DEAD"
  | "OUT_OF_MEMORY"
  | "CLOSED"
  | "IO"
  | "TEE_ERROR";

export const TEE_ERROR_CODES: readonly TeeErrorCode[] = [
  "NO_MODULE",
  "NO_DEVICE",
  "PERMISSION",
  "NOT_GP",
  "TA_NOT_FOUND",
  "NO_SUPPLICANT",
  "BUSY",
  "SHORT_BUFFER",
  "BAD_PARAMETERS",
  "TARGET_DEAD",
  "OUT_OF_MEMORY",
  "CLOSED",
  "IO",
  "TEE_ERROR",
];

/** What was being done: opening the device, opening the session, invoking a command, closing. */
export type TeeOp = "open" | "open-session" | "invoke" | "close";

/** Who produced a TEEC_Result (TEEC_ORIGIN_API 1, _COMMS 2, _TEE 3, _TRUSTED_APP 4). */
export type TeeOrigin = "api" | "comms" | "tee" | "trusted-app";

/** TEEC_Result values (GP TEE Client API) that the link tells apart. */
export const TEEC = Object.freeze({
  SUCCESS: 0x00000000,
  ERROR_GENERIC: 0xffff0000,
  ERROR_ACCESS_DENIED: 0xffff0001,
  ERROR_CANCEL: 0xffff0002,
  ERROR_BAD_FORMAT: 0xffff0005,
  ERROR_BAD_PARAMETERS: 0xffff0006,
  ERROR_BAD_STATE: 0xffff0007,
  ERROR_ITEM_NOT_FOUND: 0xffff0008,
  ERROR_NOT_IMPLEMENTED: 0xffff0009,
  ERROR_NOT_SUPPORTED: 0xffff000a,
  ERROR_OUT_OF_MEMORY: 0xffff000c,
  ERROR_BUSY: 0xffff000d,
  ERROR_COMMUNICATION: 0xffff000e,
  ERROR_SECURITY: 0xffff000f,
  ERROR_SHORT_BUFFER: 0xffff0010,
  ERROR_TARGET_DEAD: 0xffff3024,
});

const ORIGINS: Record<number, TeeOrigin> = { 1: "api", 2: "comms", 3: "tee", 4: "trusted-app" };

/** The name of a TEEC_ORIGIN_* number; undefined for a number no specification defines. */
export function teeOriginName(origin: number): TeeOrigin | undefined {
  return ORIGINS[origin];
}

const RESULT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TEEC).map(([k, v]) => [v, `TEEC_${k}`]));

/** "TEEC_ERROR_BUSY", or the hex value for a result without a name here. */
export function teeResultName(result: number): string {
  return RESULT_NAMES[result] ?? `0x${(result >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;
}

export interface TeeErrorOptions {
  op: TeeOp;
  result?: number;
  origin?: TeeOrigin;
  /** The errno name ("ENOENT", …) of a failed system call. */
  errno?: string;
  cause?: unknown;
}

export class TeeError extends Error {
  readonly code: TeeErrorCode;
  readonly op: TeeOp;
  /** The TEEC_Result, when the TEE (or the TA) answered one. */
  readonly result?: number;
  readonly origin?: TeeOrigin;
  readonly errno?: string;
  /** The status this error becomes at the wasm boundary (bindings/status.ts), as LinkError has. */
  readonly status: SeStatusName = "ERR_SE_IO";
  /** What was opened or used, e.g. "/dev/tee0 TA ee459cd1-d81d-464e-892d-2767e98150dc". */
  readonly target: string;

  constructor(code: TeeErrorCode, target: string, detail: string, options: TeeErrorOptions) {
    const extra = [
      options.result !== undefined ? teeResultName(options.result) : undefined,
      options.origin !== undefined ? `origin ${options.origin}` : undefined,
      options.errno !== undefined ? options.errno : undefined,
    ].filter((s) => s !== undefined);
    super(
      `${code}: ${options.op} on ${target}: ${detail}${extra.length > 0 ? ` [${extra.join(", ")}]` : ""}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "TeeError";
    this.code = code;
    this.op = options.op;
    this.target = target;
    if (options.result !== undefined) this.result = options.result >>> 0;
    if (options.origin !== undefined) this.origin = options.origin;
    if (options.errno !== undefined) this.errno = options.errno;
  }
}

/** The TeeError for a system error the addon threw (an Error with `code` = errno name, or its own ERR_TEE_* codes). */
export function teeErrorFromSystem(err: unknown, target: string, op: TeeOp): TeeError {
  const code = (err as { code?: unknown } | null)?.code;
  const errno = typeof code === "string" ? code : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  switch (errno) {
    case "ENOENT":
    case "ENODEV":
    case "ENXIO":
      return new TeeError("NO_DEVICE", target, `no TEE device (is the OP-TEE driver loaded? ${msg})`, { op, errno, cause: err });
    case "EACCES":
    case "EPERM":
      return new TeeError(
        "PERMISSION",
        target,
        op === "open"
          ? `permission denied: add the user to the group that owns the device (\`ls -l\` shows it; OP-TEE's udev rule gives it mode 0660 and group "tee" or "teeclnt", depending on the build) and log in again (${msg})`
          : `permission denied by the TEE driver: a group login needs a group the process is in (${msg})`,
        { op, errno, cause: err },
      );
    case "ENOMEM":
      return new TeeError("OUT_OF_MEMORY", target, msg, { op, errno, cause: err });
    case "ERR_TEE_NOT_GP":
      return new TeeError("NOT_GP", target, msg, { op, cause: err });
    case "ERR_TEE_CLOSED":
      return new TeeError("CLOSED", target, "the TEE context is closed", { op, cause: err });
    default:
      return new TeeError("IO", target, msg, { op, ...(errno !== undefined ? { errno } : {}), cause: err });
  }
}

/** The TeeError for a TEEC_Result other than success. */
export function teeErrorFromResult(result: number, originNumber: number, target: string, op: TeeOp): TeeError {
  const r = result >>> 0;
  const origin = teeOriginName(originNumber);
  const o = { op, result: r, ...(origin !== undefined ? { origin } : {}) };
  switch (r) {
    case TEEC.ERROR_ITEM_NOT_FOUND:
      if (op === "open-session" && origin === "tee") {
        return new TeeError(
          "TA_NOT_FOUND",
          target,
          "the TEE has no such trusted application: install its .ta file in /lib/optee_armtz/",
          o,
        );
      }
      break;
    case TEEC.ERROR_COMMUNICATION:
      if (op === "open-session" && (origin === "comms" || origin === "tee")) {
        return new TeeError("NO_SUPPLICANT", target, "the TEE could not load the trusted application: is tee-supplicant running?", o);
      }
      break;
    case TEEC.ERROR_BUSY:
      return new TeeError("BUSY", target, "another client holds the trusted application's one session; close it first", o);
    case TEEC.ERROR_SHORT_BUFFER:
      return new TeeError("SHORT_BUFFER", target, "the output buffer is too small", o);
    case TEEC.ERROR_BAD_PARAMETERS:
      return new TeeError("BAD_PARAMETERS", target, "the TEE or the trusted application refused the parameters", o);
    case TEEC.ERROR_TARGET_DEAD:
      return new TeeError(
        "TARGET_DEAD",
        target,
        "the trusted application panicked: its RAM state (slots, pending request) is gone; reset the link",
        o,
      );
    case TEEC.ERROR_OUT_OF_MEMORY:
      return new TeeError("OUT_OF_MEMORY", target, "the TEE ran out of memory", o);
  }
  return new TeeError("TEE_ERROR", target, `the TEE answered ${teeResultName(r)}`, o);
}
