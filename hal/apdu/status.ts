// Which wasm status (bindings/status.ts; docs/hal.md "Errors") a HAL error becomes when it crosses
// the wasm's synchronous transceive import. hal does not import bindings, so the names are
// strings; bindings turns them into numbers (Status[name]).
//
//   ApduError                         ERR_SE_STATUS_WORD  (the SW stays on the error)
//   ApduProtocolError                 ERR_SE_IO
//   LinkError subclasses              their own .status (LinkTimeout → ERR_SE_TIMEOUT, …)
//   BusError NACK                     ERR_SE_NACK
//   BusError TIMEOUT                  ERR_SE_TIMEOUT
//   BusError (any other code)         ERR_SE_IO
//   TeeError (hal/tee/errors.ts)      its own .status (ERR_SE_IO)
//   anything else                     undefined (a bug, not an SE condition: let it throw)
import { BusError } from "../bus/errors.js";
import { LinkError, type SeStatusName } from "../link/errors.js";
import { TeeError } from "../tee/errors.js";
import { ApduError, ApduProtocolError } from "./errors.js";

export function seStatusOf(err: unknown): SeStatusName | undefined {
  if (err instanceof ApduError) return err.status;
  if (err instanceof ApduProtocolError) return err.status;
  if (err instanceof LinkError) return err.status;
  if (err instanceof TeeError) return err.status;
  if (err instanceof BusError) return err.code === "NACK" ? "ERR_SE_NACK" : err.code === "TIMEOUT" ? "ERR_SE_TIMEOUT" : "ERR_SE_IO";
  return undefined;
}
