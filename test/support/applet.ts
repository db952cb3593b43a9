// Driving the simulated applet (hal/sim/applet.ts) one C-APDU at a time, for its tests.
import type { TidApplet } from "../../hal/sim/applet.js";
import { fromHex, toHex } from "../../reference/bytes.js";

/** Run one APDU (hex or bytes); return [data hex, SW hex]. */
export function run(a: TidApplet, apdu: string | Uint8Array): [string, string] {
  const r = a.process(typeof apdu === "string" ? fromHex(apdu) : apdu).rapdu;
  return [toHex(r.subarray(0, r.length - 2)), toHex(r.subarray(r.length - 2))];
}

/** Run one APDU; return its SW hex. */
export const sw = (a: TidApplet, apdu: string | Uint8Array): string => run(a, apdu)[1];

/** A short C-APDU: header, then Lc ‖ data when there is data, then Le when given (256 → 00). */
export function apdu(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, le?: number): Uint8Array {
  const out = [cla, ins, p1, p2];
  if (data && data.length) out.push(data.length, ...data);
  if (le !== undefined) out.push(le & 0xff);
  return Uint8Array.from(out);
}
