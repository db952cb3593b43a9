// Bus-level errors (docs/hal.md "Errors"): every failure of an I2C/SPI port is a BusError whose
// `code` says what went wrong, never collapsed into a generic I/O error, and whose message names
// the bus (device path) and, for I2C, the 7-bit address.
//
//   code        meaning                                          from (Linux errno)
//   ENOENT      no such bus device node                          ENOENT, ENODEV
//   EACCES      permission denied on the device node             EACCES, EPERM
//   NACK        address not acknowledged: the SE is busy/absent  EREMOTEIO, ENXIO
//   EIO         any other I/O failure on the wire                EIO and anything unrecognised
//   TIMEOUT     the bus transaction timed out                    ETIMEDOUT
//   EBUSY       the bus is already in use by another operation   (port lock) / EBUSY
//   CLOSED      the port was closed                              (port state)
//   NO_MODULE   the optional native module is not installed      (require of i2c-bus / spi-device)
//   EINVAL      a bad argument reached the driver                EINVAL
//
// A NACK is not a failure for the link layer: the FM SE does not ACK its address while it is busy,
// so hal/link treats NACK as "poll again" (docs/hal.md "The FM link, as implemented").

export type BusErrorCode = "ENOENT" | "EACCES" | "NACK" | "EIO" | "TIMEOUT" | "EBUSY" | "CLOSED" | "NO_MODULE" | "EINVAL";

export const BUS_ERROR_CODES: readonly BusErrorCode[] = [
  "ENOENT",
  "EACCES",
  "NACK",
  "EIO",
  "TIMEOUT",
  "EBUSY",
  "CLOSED",
  "NO_MODULE",
  "EINVAL",
];

export interface BusErrorOptions {
  /** 7-bit I2C address, when the bus is I2C. */
  address?: number;
  /** The operating-system errno name behind the error ("EREMOTEIO", ...), when there was one. */
  errno?: string;
  /** What was being done: "open", "write", "read", "transfer", "close". */
  op?: string;
  cause?: unknown;
}

export function hex2(n: number): string {
  return "0x" + n.toString(16).toUpperCase().padStart(2, "0");
}

export class BusError extends Error {
  readonly code: BusErrorCode;
  /** The bus: a device path such as "/dev/i2c-1" or "/dev/spidev0.0" (or "sim:i2c"). */
  readonly bus: string;
  readonly address?: number;
  readonly errno?: string;
  readonly op?: string;

  constructor(code: BusErrorCode, bus: string, detail: string, options: BusErrorOptions = {}) {
    const where = options.address === undefined ? bus : `${bus} address ${hex2(options.address)}`;
    const what = options.op ? `${options.op} on ${where}` : where;
    const errno = options.errno && options.errno !== code ? ` [${options.errno}]` : "";
    super(`${code}: ${what}: ${detail}${errno}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BusError";
    this.code = code;
    this.bus = bus;
    if (options.address !== undefined) this.address = options.address;
    if (options.errno !== undefined) this.errno = options.errno;
    if (options.op !== undefined) this.op = options.op;
  }
}

/** Linux errno numbers seen from i2c-dev / spidev, for errors that carry only a number. */
const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  5: "EIO",
  6: "ENXIO",
  13: "EACCES",
  16: "EBUSY",
  19: "ENODEV",
  22: "EINVAL",
  110: "ETIMEDOUT",
  121: "EREMOTEIO",
};

/** The errno name of a Node system error (`code` string, or negative/positive `errno` number). */
export function errnoName(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { code?: unknown; errno?: unknown };
  if (typeof e.code === "string" && /^E[A-Z0-9]+$/.test(e.code)) return e.code;
  if (typeof e.errno === "number") return ERRNO_NAMES[Math.abs(e.errno)];
  return undefined;
}

export interface BusContext {
  bus: string;
  address?: number;
  op: string;
  /** Extra hint for EACCES (e.g. which group owns the node). */
  accessHint?: string;
}

const DEFAULT_ACCESS_HINT =
  "permission denied; add the user to the device's group (i2c / spi on Raspberry Pi OS: `sudo usermod -aG i2c,spi $USER`, then log in again) or install a udev rule (docs/hal.md)";

/** Map any error thrown by a native bus module to a BusError naming bus and address. */
export function toBusError(err: unknown, ctx: BusContext): BusError {
  if (err instanceof BusError) return err;
  const errno = errnoName(err);
  const msg = err instanceof Error ? err.message : String(err);
  const opts: BusErrorOptions = { op: ctx.op, cause: err };
  if (ctx.address !== undefined) opts.address = ctx.address;
  if (errno !== undefined) opts.errno = errno;
  switch (errno) {
    case "ENOENT":
    case "ENODEV":
      return new BusError("ENOENT", ctx.bus, `no such bus: ${ctx.bus} does not exist (is the interface enabled? see docs/hal.md)`, opts);
    case "EACCES":
    case "EPERM":
      return new BusError("EACCES", ctx.bus, ctx.accessHint ?? DEFAULT_ACCESS_HINT, opts);
    case "EREMOTEIO":
    case "ENXIO":
      return new BusError("NACK", ctx.bus, "no ACK from the device (busy, absent or wrong address)", opts);
    case "ETIMEDOUT":
      return new BusError("TIMEOUT", ctx.bus, "the bus transaction timed out", opts);
    case "EBUSY":
      return new BusError("EBUSY", ctx.bus, "the bus or device is busy (in use by another driver?)", opts);
    case "EINVAL":
      return new BusError("EINVAL", ctx.bus, `invalid argument: ${msg}`, opts);
    default:
      return new BusError("EIO", ctx.bus, `I/O error: ${msg}`, opts);
  }
}
