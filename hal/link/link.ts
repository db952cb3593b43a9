// The Link interface the APDU layer uses, its timing options and counters, and the part every
// link shares: the bus lock, the sync/async runners, statistics and the debug hex dump
// (docs/hal.md "The FM link, as implemented" — all values configurable, FMSE-A03 driver values by
// default).
//
//   interface Link {
//     transceiveSync(apdu) / transceive(apdu)   one command APDU → one response APDU (raw bytes,
//                                               SW included; SW handling is hal/apdu)
//     atrSync() / atr()                          the SE's answer-to-reset (FM I2C: CMD 0x30);
//                                               LinkUnsupported where the link has none (FM SPI)
//     stats, resetStats(), close()
//   }
//
// Counters: apduBytesOut/In count APDU bytes handed down / returned; wireBytesOut/In count every
// byte that crossed the bus in successful transactions (frames, length reads, NAKs, SPI command
// and status bytes, polls). (wireOut + wireIn) / (apduOut + apduIn) is the framing overhead.
// Debug: set TID_DEBUG=hal (or pass `trace`) to log every step as "Tx> hex", "Rx< hex", "NACK".
import type { Clock } from "../clock.js";
import type { Port } from "../bus/port.js";
import { BusError } from "../bus/errors.js";
import { busLock, type BusLock } from "../bus/lock.js";
import { runAsync, runSync, type Exchange, type Step, type Tap } from "./driver.js";
import { toHex } from "../../reference/bytes.js";

export interface Link {
  readonly kind: "fm-i2c" | "fm-spi" | "op-tee";
  /** The port's name, e.g. "/dev/i2c-1@0x71". */
  readonly name: string;
  readonly timing: Readonly<LinkTiming>;
  readonly stats: Readonly<LinkStats>;
  transceiveSync(apdu: Uint8Array): Uint8Array;
  transceive(apdu: Uint8Array): Promise<Uint8Array>;
  atrSync(): Uint8Array;
  atr(): Promise<Uint8Array>;
  resetStats(): void;
  /** Close the underlying port. */
  close(): void;
}

export interface LinkTiming {
  /** Wait after sending a frame before the first poll (ms). FMSE-A03: 5. */
  frameDelayMs: number;
  /** Interval between polls while the SE is busy (ms), 1..9. FMSE-A03: 5. */
  pollIntervalMs: number;
  /** How long the SE may stay silent (NACK / busy) before LinkTimeout; restarted by WTX and NAK. FMSE-A03: 16000. */
  timeoutMs: number;
  /** Hard cap on one whole exchange; nothing restarts it (ends WTX storms). */
  deadlineMs: number;
  /** Bad frames (length/checksum) tolerated per exchange, each answered by NAK (I2C) or a re-read (SPI). */
  maxNaks: number;
  /** Wait-time extensions tolerated per exchange. */
  maxWtx: number;
  /** Bus I/O errors (EIO, bus TIMEOUT) in a row retried on reads. A failed write is never retried. */
  ioRetries: number;
  /** Largest LEN accepted in a frame. FMSE-A03: 1024. */
  maxFrameLength: number;
}

export const DEFAULT_TIMING: Readonly<LinkTiming> = Object.freeze({
  frameDelayMs: 5,
  pollIntervalMs: 5,
  timeoutMs: 16_000,
  deadlineMs: 60_000,
  maxNaks: 3,
  maxWtx: 100,
  ioRetries: 2,
  maxFrameLength: 1024,
});

const TIMING_RANGES: Record<keyof LinkTiming, [number, number]> = {
  frameDelayMs: [0, 1000],
  pollIntervalMs: [1, 9],
  timeoutMs: [10, 600_000],
  deadlineMs: [10, 3_600_000],
  maxNaks: [0, 100],
  maxWtx: [0, 100_000],
  ioRetries: [0, 100],
  maxFrameLength: [8, 65_535],
};

export const TIMING_KEYS = Object.keys(TIMING_RANGES) as (keyof LinkTiming)[];

/**
 * Defaults overlaid with `overrides`, every field checked.
 * @throws TypeError for an unknown field or a non-number; RangeError for a value out of range
 */
export function resolveTiming(overrides: Partial<LinkTiming> = {}, where = "link timing"): LinkTiming {
  const t: LinkTiming = { ...DEFAULT_TIMING };
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in TIMING_RANGES)) throw new TypeError(`${where}: unknown field "${k}"; valid fields: ${TIMING_KEYS.join(", ")}`);
    if (v === undefined) continue;
    const key = k as keyof LinkTiming;
    const [lo, hi] = TIMING_RANGES[key];
    if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`${where}: ${k} must be a number, got ${JSON.stringify(v)}`);
    if (v < lo || v > hi) throw new RangeError(`${where}: ${k} must be in ${lo}..${hi}, got ${v}`);
    if (key !== "frameDelayMs" && key !== "pollIntervalMs" && key !== "timeoutMs" && key !== "deadlineMs" && !Number.isInteger(v)) {
      throw new RangeError(`${where}: ${k} must be an integer, got ${v}`);
    }
    t[key] = v;
  }
  return t;
}

export interface LinkStats {
  /** Exchanges started (APDUs and ATR requests). */
  exchanges: number;
  /** Exchanges that ended in an error. */
  failures: number;
  apduBytesOut: number;
  apduBytesIn: number;
  wireBytesOut: number;
  wireBytesIn: number;
  /** Bus transactions attempted (I2C writes/reads, SPI messages), failed ones included. */
  transactions: number;
  /** I2C address NACKs seen (the SE busy). */
  nacks: number;
  /** SPI status polls that said busy. */
  busyPolls: number;
  /** Wait-time extensions received. */
  wtx: number;
  /** Bad frames (each answered by a NAK or a re-read). */
  naks: number;
  /** Bus I/O errors retried. */
  ioRetries: number;
  /** Time spent in sleeps (frame delay, polling), ms on the link's clock. */
  waitMs: number;
}

export function emptyStats(): LinkStats {
  return {
    exchanges: 0,
    failures: 0,
    apduBytesOut: 0,
    apduBytesIn: 0,
    wireBytesOut: 0,
    wireBytesIn: 0,
    transactions: 0,
    nacks: 0,
    busyPolls: 0,
    wtx: 0,
    naks: 0,
    ioRetries: 0,
    waitMs: 0,
  };
}

export interface LinkOptions {
  clock?: Clock;
  timing?: Partial<LinkTiming>;
  /** Receives one line per bus step ("Tx> 08 00 …"); default: stderr when TID_DEBUG includes "hal". */
  trace?: (line: string) => void;
  /** The lock serialising exchanges; default: the process-wide lock of port.bus (or port.name). */
  lock?: BusLock;
}

export function isNack(e: unknown): boolean {
  return e instanceof BusError && e.code === "NACK";
}

/** A bus error worth retrying on a read: the SE re-sends its frame from the start on every read. */
export function isTransientBusError(e: unknown): e is BusError {
  return e instanceof BusError && (e.code === "EIO" || e.code === "TIMEOUT");
}

function defaultTrace(): ((line: string) => void) | undefined {
  const d = process.env.TID_DEBUG ?? "";
  return /(^|,)\s*(hal|\*|all)\s*(,|$)/.test(d) ? (line) => process.stderr.write(`[tid:hal] ${line}\n`) : undefined;
}

/** Shared machinery of the FM links; subclasses provide the exchanges. */
export abstract class BaseLink<P extends Port> implements Link {
  abstract readonly kind: "fm-i2c" | "fm-spi";
  readonly port: P;
  readonly clock: Clock;
  readonly timing: Readonly<LinkTiming>;
  readonly lock: BusLock;
  stats: LinkStats = emptyStats();
  private readonly trace: ((line: string) => void) | undefined;
  private readonly tap: Tap;

  constructor(port: P, clock: Clock, options: LinkOptions = {}) {
    this.port = port;
    this.clock = clock;
    this.timing = Object.freeze(resolveTiming(options.timing));
    this.lock = options.lock ?? busLock(port.bus ?? port.name);
    this.trace = options.trace ?? defaultTrace();
    this.tap = (step, result, error) => this.count(step, result, error);
  }

  get name(): string {
    return this.port.name;
  }

  protected abstract apduExchange(apdu: Uint8Array): Exchange<Uint8Array>;
  protected abstract atrExchange(): Exchange<Uint8Array>;

  transceiveSync(apdu: Uint8Array): Uint8Array {
    return this.runSync("transceive", apdu, () => this.apduExchange(apdu));
  }

  transceive(apdu: Uint8Array): Promise<Uint8Array> {
    return this.runAsync(apdu, () => this.apduExchange(apdu));
  }

  atrSync(): Uint8Array {
    return this.runSync("atr", undefined, () => this.atrExchange());
  }

  atr(): Promise<Uint8Array> {
    return this.runAsync(undefined, () => this.atrExchange());
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  close(): void {
    this.port.close();
  }

  private checkApdu(apdu: Uint8Array | undefined): void {
    if (apdu !== undefined && !(apdu instanceof Uint8Array)) {
      throw new TypeError(`apdu must be a Uint8Array, got ${apdu === null ? "null" : typeof apdu}`);
    }
  }

  private begin(apdu: Uint8Array | undefined): void {
    this.stats.exchanges++;
    if (apdu) this.stats.apduBytesOut += apdu.length;
    this.trace?.(apdu ? `APDU> ${toHex(apdu, " ")}` : "ATR?");
  }

  private end(out: Uint8Array, isApdu: boolean): Uint8Array {
    if (isApdu) this.stats.apduBytesIn += out.length;
    this.trace?.(`${isApdu ? "APDU<" : "ATR<"} ${toHex(out, " ")}`);
    return out;
  }

  private fail(e: unknown): never {
    this.stats.failures++;
    this.trace?.(`FAIL ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }

  private runSync(what: string, apdu: Uint8Array | undefined, make: () => Exchange<Uint8Array>): Uint8Array {
    this.checkApdu(apdu);
    return this.lock.runSync(what, () => {
      this.begin(apdu);
      try {
        return this.end(runSync(make(), this.port, this.clock, this.tap), apdu !== undefined);
      } catch (e) {
        return this.fail(e);
      }
    });
  }

  private runAsync(apdu: Uint8Array | undefined, make: () => Exchange<Uint8Array>): Promise<Uint8Array> {
    try {
      this.checkApdu(apdu);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.lock.run(async () => {
      this.begin(apdu);
      try {
        return this.end(await runAsync(make(), this.port, this.clock, this.tap), apdu !== undefined);
      } catch (e) {
        return this.fail(e);
      }
    });
  }

  private count(step: Step, result: unknown, error: unknown): void {
    const s = this.stats;
    const t = this.trace;
    if (step.op === "sleep") {
      s.waitMs += step.ms;
      return;
    }
    s.transactions++;
    if (error !== undefined) {
      if (isNack(error)) s.nacks++;
      t?.(isNack(error) ? `NACK (${step.op})` : `ERR ${step.op}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    switch (step.op) {
      case "write":
        s.wireBytesOut += step.data.length;
        t?.(`Tx> ${toHex(step.data, " ")}`);
        break;
      case "read":
        s.wireBytesIn += step.length;
        t?.(`Rx< ${toHex(result as Uint8Array, " ")}`);
        break;
      case "transfer": {
        const rx = result as Uint8Array[];
        step.segments.forEach((seg, i) => {
          if (seg.send) {
            s.wireBytesOut += seg.send.length;
            t?.(`Tx> ${toHex(seg.send, " ")}`);
          } else {
            s.wireBytesIn += seg.length;
            t?.(`Rx< ${toHex(rx[i] ?? new Uint8Array(0), " ")}`);
          }
        });
        break;
      }
    }
  }
}
