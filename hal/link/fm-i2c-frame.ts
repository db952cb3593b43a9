// FM I2C link framing — pure encoder/decoder, no I/O (docs/hal.md "The FM link, as implemented";
// from the public FMSE-A03 drivers: zlgopen/ametal am_fmse_i2c.c and the Alibaba FM SE HAL
// se_driver.c).
//
//   host → SE   LEN_LO LEN_HI NAD CMD DATA… BCC
//   SE → host   LEN_LO LEN_HI NAD STA DATA… BCC
//
//   LEN  = DATA length + 3 (counts NAD, CMD/STA and BCC: every byte after the two LEN bytes),
//          little-endian, 3 ≤ LEN ≤ 1024, so a whole frame is LEN + 2 bytes (5..1026).
//   NAD  = 0x00.
//   CMD  = 0x02 APDU, 0x30 GET ATR, 0xBA NAK (resend your last frame).
//   STA  = 0x00 OK (DATA = response APDU or ATR), 0xF2 WTX (still working, keep polling).
//   BCC  = XOR of every earlier byte of the frame.
//
// Golden: GET CHALLENGE(8) = 08 00 00 02 00 84 00 00 08 86; NAK = 03 00 00 BA B9.
// How these frames move over the bus (write, poll, read 2, read LEN+2) is hal/link/fm-i2c.ts.
import { LinkChecksum, LinkLength, LinkProtocol } from "./errors.js";

export const FM_I2C_NAD = 0x00;
export const FM_I2C_CMD_APDU = 0x02;
export const FM_I2C_CMD_ATR = 0x30;
export const FM_I2C_CMD_NAK = 0xba;
export const FM_I2C_STA_OK = 0x00;
export const FM_I2C_STA_WTX = 0xf2;
export const FM_I2C_MIN_LEN = 3;
export const FM_I2C_MAX_LEN = 1024;
/** Bytes of a frame that are not DATA: LEN_LO LEN_HI NAD CMD/STA … BCC. */
export const FM_I2C_OVERHEAD = 5;

/** XOR of bytes[start..end). */
export function xorBytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= bytes[i]!;
  return x;
}

/**
 * Build a host → SE frame.
 * @param cmd 0x02 (APDU), 0x30 (ATR) or 0xBA (NAK)
 * @param data the APDU (empty for ATR and NAK)
 * @param maxLen largest LEN accepted by the SE (default 1024)
 * @throws LinkProtocol when data does not fit in one frame
 */
export function encodeFmI2cFrame(
  cmd: number,
  data: Uint8Array = new Uint8Array(0),
  nad = FM_I2C_NAD,
  maxLen = FM_I2C_MAX_LEN,
  where = "fm-i2c",
): Uint8Array {
  const len = data.length + 3;
  if (len > maxLen) throw new LinkProtocol(where, `command of ${data.length} bytes does not fit one FM I2C frame (LEN ${len} > ${maxLen})`);
  const f = new Uint8Array(len + 2);
  f[0] = len & 0xff;
  f[1] = len >>> 8;
  f[2] = nad;
  f[3] = cmd;
  f.set(data, 4);
  f[f.length - 1] = xorBytes(f, 0, f.length - 1);
  return f;
}

/** The NAK frame (03 00 00 BA B9): "your last frame was bad, send it again". */
export const FM_I2C_NAK_FRAME: Uint8Array = encodeFmI2cFrame(FM_I2C_CMD_NAK);

/**
 * LEN from the first two bytes of an SE → host frame; total frame size is LEN + 2.
 * @throws LinkLength when LEN is outside [3, maxLen]
 */
export function fmI2cFrameLength(head: Uint8Array, maxLen = FM_I2C_MAX_LEN, where = "fm-i2c"): number {
  if (head.length < 2) throw new LinkLength(where, head.length, "need 2 length bytes");
  const len = head[0]! | (head[1]! << 8);
  if (len < FM_I2C_MIN_LEN || len > maxLen) throw new LinkLength(where, len, `LEN must be ${FM_I2C_MIN_LEN}..${maxLen}`);
  return len;
}

export interface FmI2cFrame {
  nad: number;
  /** CMD (host → SE) or STA (SE → host). */
  code: number;
  data: Uint8Array;
}

/**
 * Parse and check a whole frame (either direction).
 * @throws LinkLength (LEN out of range or not equal to the bytes given), LinkChecksum (BCC)
 */
export function decodeFmI2cFrame(frame: Uint8Array, maxLen = FM_I2C_MAX_LEN, where = "fm-i2c"): FmI2cFrame {
  const len = fmI2cFrameLength(frame, maxLen, where);
  if (frame.length !== len + 2) throw new LinkLength(where, len, `LEN says ${len + 2} frame bytes, got ${frame.length}`);
  const want = xorBytes(frame, 0, frame.length - 1);
  const got = frame[frame.length - 1]!;
  if (want !== got) throw new LinkChecksum(where, "BCC", want, got);
  return { nad: frame[2]!, code: frame[3]!, data: frame.slice(4, frame.length - 1) };
}
