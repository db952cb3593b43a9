// FM SPI link framing — pure encoder/decoder, no I/O (docs/hal.md "The FM link, as implemented";
// from the public FMSE-A03 driver zlgopen/ametal am_fmse_spi.c). SPI mode 3, 8-bit words.
//
// Every SPI message starts with one command byte, then a 16 µs pause (chip select held):
//   0x02 SEND      02 | LEN_HI LEN_LO DATA… LRC            the command APDU
//   0x05 STATUS    05 | one byte in: 0x00 = ready, anything else = busy
//   0x03 RECEIVE   03 | LEN_HI LEN_LO DATA… LRC            the response APDU (read out again from
//                                                           its first byte on every RECEIVE)
//   LEN = DATA length, big-endian; 2 ≤ LEN ≤ 1024 for responses (1 ≤ LEN for commands).
//   LRC = 0xFF XOR LEN_HI XOR LEN_LO XOR every DATA byte.
// There is no NAK and no ATR command on FM SPI. Golden: GET CHALLENGE(8) SEND message =
// 02 00 05 00 84 00 00 08 76. How these messages move is hal/link/fm-spi.ts.
import { LinkChecksum, LinkLength, LinkProtocol } from "./errors.js";

export const FM_SPI_CMD_SEND = 0x02;
export const FM_SPI_CMD_RECEIVE = 0x03;
export const FM_SPI_CMD_STATUS = 0x05;
export const FM_SPI_STATUS_READY = 0x00;
/** Pause after each command byte, microseconds (AMetal SPI_CMD_DELAY). */
export const FM_SPI_CMD_DELAY_US = 16;
export const FM_SPI_MIN_LEN = 2;
export const FM_SPI_MAX_LEN = 1024;
/** Bytes of a frame that are not DATA: LEN_HI LEN_LO … LRC. */
export const FM_SPI_OVERHEAD = 3;

/** 0xFF XOR bytes[start..end). */
export function lrc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let x = 0xff;
  for (let i = start; i < end; i++) x ^= bytes[i]!;
  return x;
}

/**
 * The frame that follows the SEND command byte: LEN_HI LEN_LO DATA… LRC.
 * @throws LinkProtocol when data is empty or longer than maxLen
 */
export function encodeFmSpiFrame(data: Uint8Array, maxLen = FM_SPI_MAX_LEN, where = "fm-spi"): Uint8Array {
  if (data.length < 1 || data.length > maxLen) {
    throw new LinkProtocol(where, `command of ${data.length} bytes does not fit one FM SPI frame (1..${maxLen})`);
  }
  const f = new Uint8Array(data.length + 3);
  f[0] = data.length >>> 8;
  f[1] = data.length & 0xff;
  f.set(data, 2);
  f[f.length - 1] = lrc(f, 0, f.length - 1);
  return f;
}

/** The whole SEND message as it appears on MOSI: 02 LEN_HI LEN_LO DATA… LRC. */
export function encodeFmSpiSend(data: Uint8Array, maxLen = FM_SPI_MAX_LEN, where = "fm-spi"): Uint8Array {
  const f = encodeFmSpiFrame(data, maxLen, where);
  const m = new Uint8Array(f.length + 1);
  m[0] = FM_SPI_CMD_SEND;
  m.set(f, 1);
  return m;
}

/**
 * LEN from the two length bytes of a response; the frame is LEN + 3 bytes.
 * @throws LinkLength when LEN is outside [minLen, maxLen]
 */
export function fmSpiFrameLength(head: Uint8Array, maxLen = FM_SPI_MAX_LEN, where = "fm-spi", minLen = FM_SPI_MIN_LEN): number {
  if (head.length < 2) throw new LinkLength(where, head.length, "need 2 length bytes");
  const len = (head[0]! << 8) | head[1]!;
  if (len < minLen || len > maxLen) throw new LinkLength(where, len, `LEN must be ${minLen}..${maxLen}`);
  return len;
}

/**
 * Check a whole frame LEN_HI LEN_LO DATA… LRC and return DATA.
 * @throws LinkLength, LinkChecksum
 */
export function decodeFmSpiFrame(frame: Uint8Array, maxLen = FM_SPI_MAX_LEN, where = "fm-spi", minLen = FM_SPI_MIN_LEN): Uint8Array {
  const len = fmSpiFrameLength(frame, maxLen, where, minLen);
  if (frame.length !== len + 3) throw new LinkLength(where, len, `LEN says ${len + 3} frame bytes, got ${frame.length}`);
  const want = lrc(frame, 0, frame.length - 1);
  const got = frame[frame.length - 1]!;
  if (want !== got) throw new LinkChecksum(where, "LRC", want, got);
  return frame.slice(2, frame.length - 1);
}
