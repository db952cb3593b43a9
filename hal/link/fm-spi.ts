// FM SPI link driver (docs/hal.md "The FM link, as implemented"; after the public driver
// zlgopen/ametal am_fmse_spi.c).
// Each step is one SPI message (chip select held), the command byte followed by a 16 µs pause:
//
//   1. SEND     02 | LEN_HI LEN_LO APDU… LRC
//   2. sleep frameDelayMs
//   3. STATUS   05 | 1 byte in; non-zero → busy: sleep pollIntervalMs, go to 3
//   4. RECEIVE  03 | 2 bytes in (LEN, to size the read); FF FF (MISO idling high: the SE is not
//               driving it) means not ready after all → go to 3
//   5. RECEIVE  03 | LEN + 3 bytes in (the SE sends the frame again from its first byte)
//   6. check LEN (same as in 4, 2..maxFrameLength) and LRC; a bad frame → re-read from 3
//      (FM SPI has no NAK command; re-reading is the SPI analogue), more than maxNaks →
//      LinkRetriesExhausted. Otherwise DATA is the response APDU.
//   Throughout: busy longer than timeoutMs → LinkTimeout("busy"); past deadlineMs →
//   LinkTimeout("deadline"); EIO / bus TIMEOUT on a status or receive message → retried
//   (ioRetries); on SEND → the BusError propagates (the command may have arrived).
// FM SPI has no ATR command: atr() throws LinkUnsupported. There is no WTX on SPI either.
import type { SpiPort, SpiSegment } from "../bus/port.js";
import { SystemClock } from "../clock.js";
import { LinkChecksum, LinkLength, LinkProtocol, LinkRetriesExhausted, LinkTimeout, LinkUnsupported } from "./errors.js";
import {
  decodeFmSpiFrame,
  encodeFmSpiFrame,
  fmSpiFrameLength,
  FM_SPI_CMD_DELAY_US,
  FM_SPI_CMD_RECEIVE,
  FM_SPI_CMD_SEND,
  FM_SPI_CMD_STATUS,
  FM_SPI_STATUS_READY,
} from "./fm-spi-frame.js";
import { sleep, transfer, type Exchange } from "./driver.js";
import { BaseLink, isTransientBusError, type LinkOptions } from "./link.js";

const CMD = (b: number): SpiSegment => ({ send: Uint8Array.of(b), length: 1, delayUs: FM_SPI_CMD_DELAY_US });

/** The SEND message as segments: command byte + pause, then the frame. */
export function fmSpiSendSegments(frame: Uint8Array): SpiSegment[] {
  return [CMD(FM_SPI_CMD_SEND), { send: frame, length: frame.length }];
}
/** The STATUS message: 05 + pause, then one byte in. */
export function fmSpiStatusSegments(): SpiSegment[] {
  return [CMD(FM_SPI_CMD_STATUS), { length: 1 }];
}
/** A RECEIVE message reading `length` bytes: 03 + pause, then the bytes. */
export function fmSpiReceiveSegments(length: number): SpiSegment[] {
  return [CMD(FM_SPI_CMD_RECEIVE), { length }];
}

export class FmSpiLink extends BaseLink<SpiPort> {
  readonly kind = "fm-spi" as const;

  constructor(port: SpiPort, options: LinkOptions = {}) {
    if (port.kind !== "spi") throw new TypeError(`FmSpiLink needs an SPI port, got a ${String(port.kind)} port (${port.name})`);
    super(port, options.clock ?? new SystemClock(), options);
  }

  protected atrExchange(): Exchange<Uint8Array> {
    throw new LinkUnsupported(this.name, "the FM SPI link has no ATR command (use the I2C link, or GET DATA for identity)");
  }

  protected *apduExchange(apdu: Uint8Array): Exchange<Uint8Array> {
    const { clock, name } = this;
    const t = this.timing;
    if (apdu.length < 4) throw new LinkProtocol(name, `a command APDU has at least 4 bytes, got ${apdu.length}`);
    const frame = encodeFmSpiFrame(apdu, t.maxFrameLength, name);
    const start = clock.now();

    yield* transfer(fmSpiSendSegments(frame));
    yield* sleep(t.frameDelayMs);

    let since = clock.now();
    let naks = 0;
    let io = 0;
    let last: unknown;
    for (;;) {
      const el = clock.now() - start;
      if (el >= t.deadlineMs) throw new LinkTimeout(name, "deadline", el, t.deadlineMs, last);
      const quiet = clock.now() - since;
      if (quiet >= t.timeoutMs) throw new LinkTimeout(name, "busy", quiet, t.timeoutMs, last);
      try {
        const [, st] = yield* transfer(fmSpiStatusSegments());
        if (st![0] !== FM_SPI_STATUS_READY) {
          io = 0; // the bus works (the SE says busy): ioRetries counts consecutive errors
          this.stats.busyPolls++;
          yield* sleep(t.pollIntervalMs);
          continue;
        }
        const [, head] = yield* transfer(fmSpiReceiveSegments(2));
        if (head![0] === 0xff && head![1] === 0xff) {
          // MISO idles high: the SE is not driving the line, so nothing is ready after all
          // (e.g. a status byte damaged into 00). Keep polling; this is not a bad frame.
          this.stats.busyPolls++;
          yield* sleep(t.pollIntervalMs);
          continue;
        }
        const len = fmSpiFrameLength(head!, t.maxFrameLength, name);
        const [, whole] = yield* transfer(fmSpiReceiveSegments(len + 3));
        // A whole frame came through. Not reset after a "ready" status alone, or an EIO on every
        // RECEIVE would be retried until timeoutMs.
        io = 0;
        const data = decodeFmSpiFrame(whole!, t.maxFrameLength, name);
        if (data.length !== len) throw new LinkLength(name, data.length, `first read said LEN ${len}`);
        return data;
      } catch (e) {
        if (e instanceof LinkChecksum || e instanceof LinkLength) {
          naks++;
          this.stats.naks++;
          last = e;
          if (naks > t.maxNaks) throw new LinkRetriesExhausted(name, "nak", naks, e);
          since = clock.now();
          yield* sleep(t.pollIntervalMs);
          continue;
        }
        if (isTransientBusError(e)) {
          io++;
          last = e;
          if (io > t.ioRetries) throw new LinkRetriesExhausted(name, "io", io, e);
          this.stats.ioRetries++;
          yield* sleep(t.pollIntervalMs);
          continue;
        }
        throw e;
      }
    }
  }
}
