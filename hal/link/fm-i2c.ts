// FM I2C link driver (docs/hal.md "The FM link, as implemented"; after the public drivers
// zlgopen/ametal __fmse_i2c_transceive and Alibaba se_driver.c fm_i2c_transceive). One exchange,
// as the bus sees it:
//
//   1. write the frame (one I2C write). The SE NACKs its address while busy: poll every
//      pollIntervalMs; if it never ACKs within timeoutMs → LinkNack.
//   2. sleep frameDelayMs.
//   3. read 2 bytes (LEN_LO LEN_HI). NACK → still busy: sleep pollIntervalMs, go to 3.
//   4. read LEN + 2 bytes: the SE sends the whole frame again from its first byte.
//   5. check LEN, BCC, NAD; a bad frame → write the NAK frame (03 00 00 BA B9), restart the
//      timeout, go to 3 (the SE re-sends); more than maxNaks bad frames → LinkRetriesExhausted.
//   6. STA 0xF2 (WTX) → restart the timeout, go to 3; more than maxWtx → LinkRetriesExhausted.
//      STA 0xBA (the SE NAKs our frame: it arrived damaged) → write our frame again, counted as
//      a NAK. (Not in the vendor driver; harmless if the chip never sends it.) STA 0x00 → DATA
//      is the answer. Any other STA → LinkProtocol.
//   Throughout: no response within timeoutMs of the last sign of life → LinkTimeout("busy");
//   the whole exchange past deadlineMs → LinkTimeout("deadline"). EIO / bus TIMEOUT on a read →
//   read again (up to ioRetries in a row); on a write → the BusError propagates (the SE may or may not have the
//   command, so resending could run it twice). Every wait goes through the injected Clock.
//
// The framing has no sequence numbers: it relies on the SE dropping its previous response once a
// new frame starts, so a read after a lost command cannot return an old answer.
import type { I2cPort } from "../bus/port.js";
import { LinkNack, LinkProtocol, LinkRetriesExhausted, LinkTimeout, LinkChecksum, LinkLength } from "./errors.js";
import {
  decodeFmI2cFrame,
  encodeFmI2cFrame,
  fmI2cFrameLength,
  FM_I2C_CMD_APDU,
  FM_I2C_CMD_ATR,
  FM_I2C_CMD_NAK,
  FM_I2C_NAD,
  FM_I2C_NAK_FRAME,
  FM_I2C_STA_OK,
  FM_I2C_STA_WTX,
} from "./fm-i2c-frame.js";
import { read, sleep, write, type Exchange } from "./driver.js";
import { BaseLink, isNack, isTransientBusError, type LinkOptions } from "./link.js";
import { SystemClock } from "../clock.js";

export class FmI2cLink extends BaseLink<I2cPort> {
  readonly kind = "fm-i2c" as const;

  constructor(port: I2cPort, options: LinkOptions = {}) {
    if (port.kind !== "i2c") throw new TypeError(`FmI2cLink needs an I2C port, got a ${String(port.kind)} port (${port.name})`);
    super(port, options.clock ?? new SystemClock(), options);
  }

  protected apduExchange(apdu: Uint8Array): Exchange<Uint8Array> {
    if (apdu.length < 4) throw new LinkProtocol(this.name, `a command APDU has at least 4 bytes, got ${apdu.length}`);
    return this.exchange(encodeFmI2cFrame(FM_I2C_CMD_APDU, apdu, FM_I2C_NAD, this.timing.maxFrameLength, this.name), true);
  }

  protected atrExchange(): Exchange<Uint8Array> {
    return this.exchange(encodeFmI2cFrame(FM_I2C_CMD_ATR, undefined, FM_I2C_NAD, this.timing.maxFrameLength, this.name), false);
  }

  private *exchange(frame: Uint8Array, isApdu: boolean): Exchange<Uint8Array> {
    const { clock, name } = this;
    const t = this.timing;
    const start = clock.now();
    const checkDeadline = (cause?: unknown): void => {
      const el = clock.now() - start;
      if (el >= t.deadlineMs) throw new LinkTimeout(name, "deadline", el, t.deadlineMs, cause);
    };

    yield* this.send(frame, checkDeadline);
    yield* sleep(t.frameDelayMs);

    let since = clock.now(); // last sign of life: restarted by WTX and NAK
    let naks = 0;
    let wtx = 0;
    let io = 0;
    let last: unknown;
    for (;;) {
      checkDeadline(last);
      const quiet = clock.now() - since;
      if (quiet >= t.timeoutMs) throw new LinkTimeout(name, "busy", quiet, t.timeoutMs, last);
      let bad: LinkChecksum | LinkLength | LinkProtocol | undefined;
      try {
        const head = yield* read(2);
        const len = fmI2cFrameLength(head, t.maxFrameLength, name);
        const whole = yield* read(len + 2);
        // A whole frame came through: ioRetries counts consecutive errors. Not after the length
        // read alone, or an EIO on every frame read would be retried until timeoutMs.
        io = 0;
        const f = decodeFmI2cFrame(whole, t.maxFrameLength, name);
        if (f.nad !== FM_I2C_NAD) {
          bad = new LinkProtocol(name, `response NAD 0x${f.nad.toString(16).padStart(2, "0")}, expected 0x00`);
        } else if (f.code === FM_I2C_STA_WTX) {
          wtx++;
          this.stats.wtx++;
          if (wtx > t.maxWtx) throw new LinkRetriesExhausted(name, "wtx", wtx);
          since = clock.now();
          yield* sleep(t.pollIntervalMs);
          continue;
        } else if (f.code === FM_I2C_CMD_NAK) {
          // The SE asks for our frame again.
          naks++;
          this.stats.naks++;
          last = new LinkProtocol(name, "the SE NAKed our frame (it arrived damaged)");
          if (naks > t.maxNaks) throw new LinkRetriesExhausted(name, "nak", naks, last);
          yield* this.send(frame, checkDeadline);
          since = clock.now();
          yield* sleep(t.frameDelayMs);
          continue;
        } else if (f.code !== FM_I2C_STA_OK) {
          throw new LinkProtocol(name, `the SE answered with link status 0x${f.code.toString(16).padStart(2, "0")} (expected 00 or F2)`);
        } else if (isApdu && f.data.length < 2) {
          bad = new LinkProtocol(name, `response of ${f.data.length} bytes has no status word`);
        } else {
          return f.data;
        }
      } catch (e) {
        if (isNack(e)) {
          last = e;
          io = 0;
          yield* sleep(t.pollIntervalMs);
          continue;
        }
        if (e instanceof LinkChecksum || e instanceof LinkLength) {
          bad = e;
        } else if (isTransientBusError(e)) {
          io++;
          last = e;
          if (io > t.ioRetries) throw new LinkRetriesExhausted(name, "io", io, e);
          this.stats.ioRetries++;
          yield* sleep(t.pollIntervalMs);
          continue;
        } else {
          throw e;
        }
      }
      // A damaged frame: ask the SE to send it again.
      naks++;
      this.stats.naks++;
      last = bad;
      if (naks > t.maxNaks) throw new LinkRetriesExhausted(name, "nak", naks, bad);
      yield* this.send(FM_I2C_NAK_FRAME, checkDeadline);
      since = clock.now();
      yield* sleep(t.frameDelayMs);
    }
  }

  /** Write one frame, polling while the SE NACKs its address. */
  private *send(frame: Uint8Array, checkDeadline: (cause?: unknown) => void): Exchange<void> {
    const { clock, name } = this;
    const t = this.timing;
    const start = clock.now();
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        yield* write(frame);
        return;
      } catch (e) {
        if (!isNack(e)) throw e;
        checkDeadline(e);
        const waited = clock.now() - start;
        if (waited >= t.timeoutMs) throw new LinkNack(name, attempts, waited, e);
        yield* sleep(t.pollIntervalMs);
      }
    }
  }
}
