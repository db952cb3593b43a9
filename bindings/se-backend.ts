/**
 * @module se-backend — wires a synchronous APDU link to the SE into the wasm's `transceive`
 * import (docs/abi.md "Imports"; docs/hal.md). The wasm builds every APDU of the TID applet
 * profile (docs/se-profile.md) itself, chains and follows 61xx; this module only moves one
 * command APDU out and one response APDU (data ‖ SW1 SW2) back, and turns a thrown link or bus
 * error into the status the wasm returns:
 *
 *   error                                              status
 *   hal/link LinkError (its `status` field)            ERR_SE_TIMEOUT / ERR_SE_NACK / ERR_SE_CHECKSUM / ERR_SE_IO
 *   hal/bus BusError code TIMEOUT / NACK               ERR_SE_TIMEOUT / ERR_SE_NACK
 *   anything else thrown                               ERR_SE_IO
 *
 * The error itself is kept (`lastError`) so the TypeScript layer can attach it as the cause.
 */
import { Status } from "./status.js";

/** What the SE backend needs of a link: one APDU exchange, synchronously. hal's Link has it. */
export interface ApduLink {
  transceiveSync(apdu: Uint8Array): Uint8Array;
}

/** A `transceive` host import over a link, remembering the last error it swallowed. */
export interface LinkTransceiver {
  (command: Uint8Array): Uint8Array | number;
  /** The error behind the last failed exchange (cleared by the next exchange). */
  lastError: unknown;
}

const SE_STATUS: Record<string, number> = {
  ERR_SE_TIMEOUT: Status.ERR_SE_TIMEOUT,
  ERR_SE_NACK: Status.ERR_SE_NACK,
  ERR_SE_CHECKSUM: Status.ERR_SE_CHECKSUM,
  ERR_SE_STATUS_WORD: Status.ERR_SE_STATUS_WORD,
  ERR_SE_IO: Status.ERR_SE_IO,
  ERR_SE_NOT_CONFIGURED: Status.ERR_SE_NOT_CONFIGURED,
};

/** The wasm status for an error thrown by a link or a bus port. */
export function statusOfLinkError(err: unknown): number {
  if (typeof err === "object" && err !== null) {
    const { status, code } = err as { status?: unknown; code?: unknown };
    if (typeof status === "string" && status in SE_STATUS) return SE_STATUS[status]!;
    if (code === "TIMEOUT") return Status.ERR_SE_TIMEOUT;
    if (code === "NACK") return Status.ERR_SE_NACK;
  }
  return Status.ERR_SE_IO;
}

/** Make the wasm's `transceive` import from a link (see the table above). */
export function linkTransceiver(link: ApduLink): LinkTransceiver {
  const fn = ((command: Uint8Array): Uint8Array | number => {
    fn.lastError = undefined;
    try {
      const rsp = link.transceiveSync(command);
      if (!(rsp instanceof Uint8Array) || rsp.length < 2) {
        fn.lastError = new Error(`the link returned ${rsp instanceof Uint8Array ? `${rsp.length} bytes` : typeof rsp}, not an R-APDU`);
        return Status.ERR_SE_IO;
      }
      return rsp;
    } catch (err) {
      fn.lastError = err;
      return statusOfLinkError(err);
    }
  }) as LinkTransceiver;
  fn.lastError = undefined;
  return fn;
}
