// The SE side of the FM SPI link (docs/hal.md "The FM link, as implemented"), as an SpiPort, so the
// real link driver (hal/link/fm-spi.ts) talks to it exactly as to /dev/spidevB.C. One message
// (chip select held across its segments) = one command byte, then its bytes:
//
//   02 SEND     LEN_HI LEN_LO APDU… LRC. A good frame (LEN ≥ 4 = bytes − 3, LRC = FF ⊕ all)
//               goes to the applet; a damaged one is dropped. Either way the previous response
//               is gone. A SEND while the SE works on a command abandons that command's answer
//               and takes the new one; while it boots after a reset, the SEND is lost.
//   05 STATUS   one byte out: 00 = a response is ready, 01 = busy or nothing to send.
//   03 RECEIVE  the response frame LEN_HI LEN_LO DATA… LRC from its first byte, every time;
//               0xFF past its end, or throughout when there is nothing to send.
//   any other command byte: ignored, and like a damaged SEND it drops the response (the SE takes
//   it for the start of a command it could not read).
// The SE drives 0xFF on MISO while the command byte and any SEND bytes are clocked. There is no
// NAK and no WTX on FM SPI: a damaged command costs the host a timeout; a WTX storm is long busy.
// Known limit of the framing: nothing in it ties a response to its command, so a SEND whose
// command byte is corrupted into 03 (bit 0) leaves the previous response readable. See
// docs/se-profile.md, "Simulator".
import type { SpiPort, SpiSegment } from "../bus/port.js";
import { BusError } from "../bus/errors.js";
import { charge, type SimChip, type SimStats } from "./chip.js";
import { corrupt, truncateRead, truncateWrite, type Fault, type FaultPlan, type SpiOp } from "./faults.js";
import { spiMessageMs, type BusTiming } from "./timing.js";
import { nextSimBus, type BusTap } from "./i2c.js";

export type { SpiOp } from "./faults.js";

const CMD_SEND = 0x02;
const CMD_RECEIVE = 0x03;
const CMD_STATUS = 0x05;
const MAX_LEN = 1024;
/** A WTX storm on SPI: the SE stays busy this long per extension, ms. */
const SPI_WTX_MS = 10;

function lrc(b: Uint8Array, start: number, end: number): number {
  let x = 0xff;
  for (let i = start; i < end; i++) x ^= b[i]!;
  return x;
}

/** SE → host frame: LEN_HI LEN_LO DATA… LRC. */
export function seSpiFrame(data: Uint8Array): Uint8Array {
  const f = new Uint8Array(data.length + 3);
  f[0] = data.length >>> 8;
  f[1] = data.length & 0xff;
  f.set(data, 2);
  f[f.length - 1] = lrc(f, 0, f.length - 1);
  return f;
}

/** Parse the bytes after a SEND command byte; null when damaged. */
function parseSend(f: Uint8Array): Uint8Array | null {
  if (f.length < 3) return null;
  const len = (f[0]! << 8) | f[1]!;
  if (len < 4 || len > MAX_LEN || f.length !== len + 3) return null;
  if (lrc(f, 0, f.length - 1) !== f[f.length - 1]) return null;
  return f.slice(2, f.length - 1);
}

function opOf(cmd: number | undefined): SpiOp {
  return cmd === CMD_SEND ? "send" : cmd === CMD_STATUS ? "status" : cmd === CMD_RECEIVE ? "receive" : "other";
}

export interface SimSpiPortOptions {
  /** device name (default "sim:spi0.0", on a bus of its own) */
  name?: string;
  /** bus tap: per message, the bytes of the host's send segments ("out") and what it read in the others ("in") */
  tap?: BusTap;
}

export class SimSpiPort implements SpiPort {
  readonly kind = "spi" as const;
  readonly name: string;
  readonly bus: string;
  /** the bus tap (options.tap); may be set or replaced at any time */
  tap: BusTap | null;
  private closed = false;

  constructor(
    readonly chip: SimChip,
    private readonly timing: BusTiming,
    private readonly faults: FaultPlan | null,
    private readonly stats: SimStats,
    options: SimSpiPortOptions = {},
  ) {
    this.name = options.name ?? "sim:spi0.0";
    if (options.tap !== undefined && typeof options.tap !== "function") throw new TypeError("tap must be a function");
    this.tap = options.tap ?? null;
    // A named device shares its bus (and lock) with the other chip selects of that name; by
    // default each simulated SE has a bus of its own.
    this.bus = options.name !== undefined ? this.name.replace(/\.\d+$/, "") : `sim:spi#${nextSimBus()}`;
  }

  transferSync(segments: SpiSegment[]): Uint8Array[] {
    if (this.closed) throw new BusError("CLOSED", this.name, "the port was closed", { op: "transfer" });
    if (!Array.isArray(segments) || segments.length === 0)
      throw new BusError("EINVAL", this.name, "a message needs at least one segment", { op: "transfer" });
    let total = 0;
    let delayUs = 0;
    let sent = 0;
    for (const s of segments) {
      if (s.send) sent += s.length;
      if (!Number.isInteger(s.length) || s.length < 1)
        throw new BusError("EINVAL", this.name, `segment length must be a positive integer, got ${s.length}`, { op: "transfer" });
      if (s.send && s.send.length !== s.length)
        throw new BusError("EINVAL", this.name, `segment send is ${s.send.length} bytes, length says ${s.length}`, { op: "transfer" });
      total += s.length;
      delayUs += s.delayUs ?? 0;
    }
    // MOSI as one stream (0xFF where the host only reads).
    const mosi = new Uint8Array(total).fill(0xff);
    let o = 0;
    for (const s of segments) {
      if (s.send) mosi.set(s.send, o);
      o += s.length;
    }
    const op = opOf(mosi[0]);
    const f = this.faults?.next(op) ?? null;
    const chip = this.chip;
    const ms = spiMessageMs(this.timing, total, delayUs);
    this.stats.transactions++;
    this.stats.busTimeMs += ms;
    charge(chip.clock, ms);
    // Chip-level faults hit before the message, except that a SEND is taken first and then
    // worked on longer (busy, WTX storm: SPI has no WTX frame).
    const late = op === "send";
    if (f?.kind === "reset") chip.reset();
    if (f?.kind === "drop") chip.dropResponse();
    if (!late && f?.kind === "busy") chip.extendBusy(f.busyMs ?? 50);
    if (!late && f?.kind === "wtx") chip.extendBusy((f.wtx ?? 10) * SPI_WTX_MS);
    if (f?.kind === "io" && !f.delivered) throw this.ioError(f);

    // What the SE receives: faults on the host's bytes hit everything after the command byte,
    // except corrupt, which can hit any byte (the command byte is not covered by the LRC).
    let rx: Uint8Array = mosi;
    if (op === "send" || op === "other") {
      if (f?.kind === "corrupt") rx = corrupt(mosi, f);
      else if (f?.kind === "truncate") rx = truncateWrite(mosi, f);
      else if (f?.kind === "garbage") rx = Uint8Array.of(mosi[0]!, ...this.faults!.bytes(mosi.length - 1));
    }
    this.stats.bytesOut += sent;
    this.stats.bytesIn += total - sent;
    const miso = this.respond(rx, total, f);
    if (late && f?.kind === "busy") chip.extendBusy(f.busyMs ?? 50);
    if (late && f?.kind === "wtx") chip.extendBusy((f.wtx ?? 10) * SPI_WTX_MS);
    if (f?.kind === "io") throw this.ioError(f);

    let out: Uint8Array = miso;
    if (op === "status" || op === "receive") {
      if (f?.kind === "corrupt") out = corrupt(miso, f, 1);
      else if (f?.kind === "truncate") out = truncateRead(miso, f, 1);
      else if (f?.kind === "garbage") out = Uint8Array.of(miso[0]!, ...this.faults!.bytes(miso.length - 1));
    }
    // Split MISO back into segments.
    const res: Uint8Array[] = [];
    o = 0;
    for (const s of segments) {
      res.push(out.slice(o, o + s.length));
      o += s.length;
    }
    if (this.tap) {
      const sentBytes = segments.filter((s) => s.send).map((s) => s.send!);
      const readBytes = res.filter((_, i) => !segments[i]!.send);
      if (sentBytes.length > 0) this.tap("out", Uint8Array.from(sentBytes.flatMap((b) => [...b])));
      if (readBytes.length > 0) this.tap("in", Uint8Array.from(readBytes.flatMap((b) => [...b])));
    }
    return res;
  }

  transfer(segments: SpiSegment[]): Promise<Uint8Array[]> {
    return new Promise((resolve) => resolve(this.transferSync(segments)));
  }

  close(): void {
    this.closed = true;
  }

  /** The SE's side of one message: act on the received bytes, return MISO. */
  private respond(rx: Uint8Array, total: number, f: Fault | null): Uint8Array {
    const chip = this.chip;
    const miso = new Uint8Array(total).fill(0xff);
    const cmd = rx[0];
    const deaf = f?.kind === "nack";
    switch (cmd) {
      case CMD_SEND: {
        if (deaf || chip.booting()) {
          chip.discard(); // not taken
          break;
        }
        const apdu = parseSend(rx.subarray(1));
        if (apdu) chip.acceptApdu(apdu);
        else chip.discard();
        break;
      }
      case CMD_STATUS: {
        const ready = !deaf && chip.current() !== null;
        if (!ready) this.stats.nacks++;
        miso.fill(ready ? 0x00 : 0x01, 1);
        break;
      }
      case CMD_RECEIVE: {
        const now = deaf ? null : chip.current();
        if (now && now !== "wtx") {
          const frame = seSpiFrame(now.data);
          miso.set(frame.subarray(0, Math.min(frame.length, total - 1)), 1);
        }
        break;
      }
      default:
        chip.discard();
    }
    return miso;
  }

  private ioError(f: Fault): BusError {
    return f.error === "TIMEOUT"
      ? new BusError("TIMEOUT", this.name, "the SPI transfer timed out (injected)", { errno: "ETIMEDOUT", op: "transfer" })
      : new BusError("EIO", this.name, "I/O error (injected)", { errno: "EIO", op: "transfer" });
  }
}
