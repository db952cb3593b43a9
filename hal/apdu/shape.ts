// The shapes of a short command APDU and of a response APDU (ISO/IEC 7816-4 §5.1;
// docs/se-profile.md), and how a command header and a status word are written in messages.
// A leaf module: the codec (apdu.ts) and the status-word errors (errors.ts) both build on it.

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data, 1..255 bytes for one APDU (more goes through ApduChannel's chaining). */
  data?: Uint8Array;
  /** Expected response length 1..256; omit for none (case 1 / 3). */
  le?: number;
}

export interface ResponseApdu {
  data: Uint8Array;
  /** SW1 << 8 | SW2 */
  sw: number;
}

/** "6A88" */
export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, "0");
}

/** "80 DC 01 00" — the header of a command, for messages. */
export function headerHex(c: CommandApdu): string {
  return [c.cla, c.ins, c.p1, c.p2].map((x) => x.toString(16).toUpperCase().padStart(2, "0")).join(" ");
}
