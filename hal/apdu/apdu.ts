// ISO/IEC 7816-4 short APDUs (docs/se-profile.md "Conventions"):
//
//   case 1  CLA INS P1 P2
//   case 2  CLA INS P1 P2 Le
//   case 3  CLA INS P1 P2 Lc DATA          Lc = 1..255
//   case 4  CLA INS P1 P2 Lc DATA Le
//   Le = 1..256, sent as one byte (256 → 00). Response = DATA ‖ SW1 SW2.
//
// Extended APDUs are not used: longer data goes by command chaining and longer responses by
// 61xx / GET RESPONSE (hal/apdu/channel.ts).
import { ApduProtocolError } from "./errors.js";
import type { CommandApdu, ResponseApdu } from "./shape.js";

export { swHex, headerHex, type CommandApdu, type ResponseApdu } from "./shape.js";

export const SW_OK = 0x9000;
export const MAX_LC = 255;
export const MAX_LE = 256;

function byte(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xff) {
    throw new RangeError(`APDU ${name} must be a byte 0..255, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Encode a short command APDU.
 * @throws RangeError for a header field outside 0..255, data of 0 or > 255 bytes, Le outside 1..256
 * @example encodeApdu({ cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 8 }) // 00 84 00 00 08
 */
export function encodeApdu(c: CommandApdu): Uint8Array {
  const head = [byte("CLA", c.cla), byte("INS", c.ins), byte("P1", c.p1), byte("P2", c.p2)];
  const data = c.data;
  if (data !== undefined) {
    if (!(data instanceof Uint8Array)) throw new TypeError(`APDU data must be a Uint8Array, got ${typeof data}`);
    if (data.length < 1 || data.length > MAX_LC)
      throw new RangeError(`APDU data must be 1..${MAX_LC} bytes in one short APDU, got ${data.length}`);
  }
  if (c.le !== undefined && (!Number.isInteger(c.le) || c.le < 1 || c.le > MAX_LE)) {
    throw new RangeError(`APDU Le must be 1..${MAX_LE}, got ${JSON.stringify(c.le)}`);
  }
  const n = 4 + (data ? 1 + data.length : 0) + (c.le !== undefined ? 1 : 0);
  const out = new Uint8Array(n);
  out.set(head);
  let i = 4;
  if (data) {
    out[i++] = data.length;
    out.set(data, i);
    i += data.length;
  }
  if (c.le !== undefined) out[i] = c.le & 0xff;
  return out;
}

/**
 * Parse a short command APDU (cases 1–4), e.g. in a simulator or a log.
 * @throws RangeError when the bytes are not a consistent short APDU
 */
export function decodeApdu(b: Uint8Array): CommandApdu {
  if (b.length < 4) throw new RangeError(`a command APDU has at least 4 bytes, got ${b.length}`);
  const c: CommandApdu = { cla: b[0]!, ins: b[1]!, p1: b[2]!, p2: b[3]! };
  if (b.length === 4) return c;
  if (b.length === 5) {
    c.le = b[4]! === 0 ? 256 : b[4]!;
    return c;
  }
  const lc = b[4]!;
  if (lc === 0) throw new RangeError("Lc = 0 with more bytes following (extended APDUs are not supported)");
  if (b.length === 5 + lc) {
    c.data = b.slice(5, 5 + lc);
    return c;
  }
  if (b.length === 6 + lc) {
    c.data = b.slice(5, 5 + lc);
    c.le = b[5 + lc]! === 0 ? 256 : b[5 + lc]!;
    return c;
  }
  throw new RangeError(`Lc = ${lc} does not match the ${b.length - 5} bytes after it`);
}

/**
 * Split a response APDU into data and SW.
 * @throws ApduProtocolError when it has fewer than 2 bytes
 */
export function parseResponse(r: Uint8Array, where = "apdu"): ResponseApdu {
  if (r.length < 2) throw new ApduProtocolError(where, `a response APDU has at least 2 bytes (SW1 SW2), got ${r.length}`);
  return { data: r.slice(0, r.length - 2), sw: (r[r.length - 2]! << 8) | r[r.length - 1]! };
}
