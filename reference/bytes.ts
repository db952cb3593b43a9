// Bytes ↔ hexadecimal text: the one converter every layer of the repo uses (sources, tests,
// benchmarks). It imports nothing, so the lowest layer can use it too.

const DIGITS = "0123456789abcdef";

/** Lower-case hex of `bytes`, two digits per byte, joined by `separator` (default none). */
export function toHex(bytes: ArrayLike<number>, separator = ""): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]! & 0xff;
    if (i > 0) out += separator;
    out += DIGITS[b >> 4]! + DIGITS[b & 15]!;
  }
  return out;
}

/**
 * The bytes of hex `text` (either case; whitespace between digits is ignored, so dumps such as
 * "08 00 00 02" read as written). Throws TypeError for a non-string and RangeError for an odd
 * number of digits or a character that is not a hex digit.
 */
export function fromHex(text: string): Uint8Array {
  if (typeof text !== "string") throw new TypeError(`fromHex: text must be a string, got ${typeof text}`);
  const digits = text.replace(/\s+/g, "");
  if (digits.length % 2 !== 0) throw new RangeError(`fromHex: odd number of hex digits (${digits.length})`);
  if (!/^[0-9a-fA-F]*$/.test(digits)) throw new RangeError(`fromHex: not a hex string: ${JSON.stringify(text.slice(0, 40))}`);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}
