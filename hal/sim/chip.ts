// The simulated chip between its bus interface and its applet (docs/se-profile.md "What the chip
// does on the bus"): it takes a
// command (an APDU or a GET ATR), works on it for the time the timing model gives, then holds one
// output until the next command replaces it. While it works it is busy (the I2C side NACKs its
// address, the SPI side reports busy). It also carries the chip-level faults: longer busy, WTX
// storms, a lost response, a reset (RAM lost, boot time, no output).
//
// A command runs to completion when it is accepted; its answer is held back until the busy time
// has passed. So a reset "mid-command" models the harder of the two real outcomes: the command
// took effect inside the chip, but its answer never reaches the host.
import type { Clock } from "../clock.js";
import { SIM_ATR } from "../se/profile.js";
import { TidApplet } from "./applet.js";
import { processingMs, type ChipTiming } from "./timing.js";

/** What the chip has to say: a link status byte and data (I2C STA; SPI sends data only). */
export interface ChipOutput {
  /** 0x00 OK (data = R-APDU or ATR), 0xBA NAK (the host's frame arrived damaged) */
  sta: number;
  data: Uint8Array;
}

export interface SimStats {
  /** time the bus was in use (every transaction, NACKed ones included), ms */
  busTimeMs: number;
  /** time the chip spent working on commands (and booting), ms */
  busyMs: number;
  transactions: number;
  /** transactions the SE did not acknowledge (I2C NACK) or answered "busy" (SPI status) */
  nacks: number;
  /** bytes clocked host → SE and SE → host */
  bytesOut: number;
  bytesIn: number;
  /** APDUs the applet processed, ATR requests answered */
  apdus: number;
  atrs: number;
  /** damaged host frames the SE NAKed (I2C) or dropped (SPI) */
  badFrames: number;
  /** WTX frames sent */
  wtx: number;
  resets: number;
}

export function emptySimStats(): SimStats {
  return {
    busTimeMs: 0,
    busyMs: 0,
    transactions: 0,
    nacks: 0,
    bytesOut: 0,
    bytesIn: 0,
    apdus: 0,
    atrs: 0,
    badFrames: 0,
    wtx: 0,
    resets: 0,
  };
}

/** One APDU as the applet saw it, for tests: what it got and what it answered. */
export interface ChipLogEntry {
  capdu: Uint8Array;
  rapdu: Uint8Array;
  /** simulated time the command was accepted, ms */
  at: number;
  /** its processing time, ms */
  ms: number;
}

/** Advance a clock that can be advanced (VirtualClock); real clocks move by themselves. */
export function charge(clock: Clock, ms: number): void {
  const c = clock as Clock & { advance?: (ms: number) => void };
  if (typeof c.advance === "function" && ms > 0) c.advance(ms);
}

export class SimChip {
  readonly applet: TidApplet;
  readonly clock: Clock;
  readonly timing: ChipTiming;
  readonly stats: SimStats;
  /** every APDU processed, oldest first (bounded to `logLimit`) */
  readonly log: ChipLogEntry[] = [];
  logLimit = 10_000;
  private output: ChipOutput | null = null;
  private readyAt = -Infinity;
  private wtxQueue = 0;
  private dropNext = false;
  private bootUntil = -Infinity;

  constructor(applet: TidApplet, clock: Clock, timing: ChipTiming, stats: SimStats) {
    this.applet = applet;
    this.clock = clock;
    this.timing = timing;
    this.stats = stats;
  }

  /** Working on a command, booting, or between two WTX frames. */
  busy(): boolean {
    return this.clock.now() < this.readyAt;
  }

  /** Still booting after a reset: deaf to everything. */
  booting(): boolean {
    return this.clock.now() < this.bootUntil;
  }

  /** What a read would get now: the output, or a WTX frame while a storm lasts; null = nothing. */
  current(): ChipOutput | "wtx" | null {
    if (this.busy()) return null;
    if (this.output && this.wtxQueue > 0) return "wtx";
    if (this.output && this.dropNext) {
      this.output = null;
      this.dropNext = false;
    }
    return this.output;
  }

  /** The host read a whole WTX frame: one extension used, busy for the gap until the next. */
  wtxSent(): void {
    this.wtxQueue = Math.max(0, this.wtxQueue - 1);
    this.stats.wtx++;
    this.work(this.timing.wtxGapMs);
  }

  /** A new command: the previous output is gone; the answer comes after the busy time. */
  acceptApdu(capdu: Uint8Array): void {
    const r = this.applet.process(capdu);
    const ms = processingMs(this.timing, r.work);
    this.stats.apdus++;
    if (this.log.length >= this.logLimit) this.log.shift();
    this.log.push({ capdu: capdu.slice(), rapdu: r.rapdu.slice(), at: this.clock.now(), ms });
    this.output = { sta: 0x00, data: r.rapdu };
    this.work(ms);
  }

  acceptAtr(): void {
    this.stats.atrs++;
    this.output = { sta: 0x00, data: SIM_ATR.slice() };
    this.work(this.timing.atrMs);
  }

  /** The host's frame arrived damaged: answer with a NAK (I2C). The previous output is gone. */
  nak(): void {
    this.stats.badFrames++;
    this.output = { sta: 0xba, data: new Uint8Array(0) };
    this.work(this.timing.nakMs);
  }

  /** A frame arrived damaged on a link with no NAK (SPI): drop it and the previous output. */
  discard(): void {
    this.stats.badFrames++;
    this.output = null;
  }

  /** The host's NAK: send the last frame again. Nothing to do: every read starts from byte 0. */
  resend(): void {}

  extendBusy(ms: number): void {
    const now = this.clock.now();
    const from = Math.max(now, this.readyAt);
    this.readyAt = from + ms;
    this.stats.busyMs += ms;
  }

  wtxStorm(n: number): void {
    this.wtxQueue += n;
  }

  /** Lose the response: the one held now, or the next one. */
  dropResponse(): void {
    if (!this.busy() && this.output) this.output = null;
    else this.dropNext = true;
  }

  /** Power glitch / reset pin: RAM state and output lost; the chip boots. */
  reset(): void {
    this.stats.resets++;
    this.applet.reset();
    this.output = null;
    this.wtxQueue = 0;
    this.dropNext = false;
    this.readyAt = this.clock.now();
    this.work(this.timing.bootMs);
    this.bootUntil = this.readyAt;
  }

  private work(ms: number): void {
    this.readyAt = this.clock.now() + ms;
    this.stats.busyMs += ms;
  }
}
