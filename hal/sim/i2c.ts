// The SE side of the FM I2C link (docs/hal.md "The FM link, as implemented"), as an I2cPort, so the
// real link driver (hal/link/fm-i2c.ts) talks to it exactly as to /dev/i2c-N:
//
//   write  while busy → address NACK (BusError "NACK", errno EREMOTEIO); otherwise the frame
//          LEN_LO LEN_HI NAD CMD DATA… BCC is checked (3 ≤ LEN ≤ 1024, LEN = bytes − 2, NAD 0,
//          BCC): CMD 0x02 → the APDU goes to the applet; 0x30 → ATR; 0xBA (host NAK) → the
//          last frame will be sent again; a damaged frame or unknown CMD → a NAK frame
//          (03 00 00 BA B9) that asks the host to resend. Any new frame drops the old output.
//   read   while busy, or with nothing to say → address NACK; otherwise the output frame
//          LEN_LO LEN_HI 00 STA DATA… BCC from its first byte, every time (so the host can read
//          2 length bytes, then the whole frame); bytes past the end read 0xFF. During a WTX
//          storm the frame is 03 00 00 F2 F1; once the host has read it whole, the chip is busy
//          for the WTX gap and then sends the next one or the answer.
// Every transaction advances the shared clock by its bus time (timing.ts) and consults the
// fault plan (faults.ts). Frames are parsed here independently of hal/link's codec on purpose:
// the simulator checks the host code, not itself.
import type { I2cPort } from "../bus/port.js";
import { BusError } from "../bus/errors.js";
import { charge, type SimChip, type SimStats } from "./chip.js";
import { corrupt, truncateRead, truncateWrite, type Fault, type FaultPlan } from "./faults.js";
import { i2cTransactionMs, type BusTiming } from "./timing.js";

const CMD_APDU = 0x02;
const CMD_ATR = 0x30;
const CMD_NAK = 0xba;
const STA_WTX = 0xf2;
const MAX_LEN = 1024;

/** SE → host frame: LEN_LO LEN_HI NAD STA DATA… BCC. */
export function seI2cFrame(sta: number, data: Uint8Array): Uint8Array {
  const len = data.length + 3;
  const f = new Uint8Array(len + 2);
  f[0] = len & 0xff;
  f[1] = len >>> 8;
  f[2] = 0x00;
  f[3] = sta;
  f.set(data, 4);
  let x = 0;
  for (let i = 0; i < f.length - 1; i++) x ^= f[i]!;
  f[f.length - 1] = x;
  return f;
}

const WTX_FRAME = seI2cFrame(STA_WTX, new Uint8Array(0));

/** Parse a host → SE frame; null when damaged. */
function parseHostFrame(f: Uint8Array): { cmd: number; data: Uint8Array } | null {
  if (f.length < 5) return null;
  const len = f[0]! | (f[1]! << 8);
  if (len < 3 || len > MAX_LEN || f.length !== len + 2) return null;
  let x = 0;
  for (let i = 0; i < f.length - 1; i++) x ^= f[i]!;
  if (x !== f[f.length - 1] || f[2] !== 0x00) return null;
  return { cmd: f[3]!, data: f.slice(4, f.length - 1) };
}

export interface SimI2cPortOptions {
  /** 7-bit address (default 0x71) */
  address?: number;
  /** bus name; SEs given the same name share a bus and its lock (default: a bus of its own) */
  bus?: string;
  /** bus tap: every byte the host writes ("out") and reads ("in"), one call per transaction */
  tap?: BusTap;
}

/**
 * A probe on the wires: called once per transaction that moved data, with the bytes the host
 * drove ("out", before any fault damaged them in flight) or the bytes it read ("in", as it got
 * them). NACKed transactions move no data and are not reported.
 */
export type BusTap = (dir: "out" | "in", bytes: Uint8Array) => void;

let simBusSerial = 0;
/** A fresh number for a simulated bus of its own (shared by the I2C and SPI models). */
export function nextSimBus(): number {
  return ++simBusSerial;
}

export class SimI2cPort implements I2cPort {
  readonly kind = "i2c" as const;
  readonly name: string;
  readonly bus: string;
  readonly address: number;
  /** the bus tap (options.tap); may be set or replaced at any time */
  tap: BusTap | null;
  private closed = false;

  constructor(
    readonly chip: SimChip,
    private readonly timing: BusTiming,
    private readonly faults: FaultPlan | null,
    private readonly stats: SimStats,
    options: SimI2cPortOptions = {},
  ) {
    this.address = options.address ?? 0x71;
    if (options.tap !== undefined && typeof options.tap !== "function") throw new TypeError("tap must be a function");
    this.tap = options.tap ?? null;
    // Each simulated SE sits on a simulated bus of its own unless told to share one, so two
    // simulators in one process never wait for each other's bus lock (hal/bus/lock.ts).
    this.bus = options.bus ?? `sim:i2c#${nextSimBus()}`;
    this.name = `${options.bus ?? "sim:i2c"}@0x${this.address.toString(16).padStart(2, "0")}`;
  }

  writeSync(data: Uint8Array): void {
    this.open("write");
    const f = this.faults?.next("write") ?? null;
    const chip = this.chip;
    if (f?.kind === "reset") chip.reset();
    if (f?.kind === "busy") chip.extendBusy(f.busyMs ?? 50);
    if (f?.kind === "nack" || chip.busy()) return this.nack("write");
    this.spend(data.length, false);
    this.stats.bytesOut += data.length;
    this.tap?.("out", data.slice());
    if (f?.kind === "io") {
      if (f.delivered) this.receive(data);
      throw this.ioError(f, "write");
    }
    let got: Uint8Array = data;
    if (f?.kind === "corrupt") got = corrupt(data, f);
    else if (f?.kind === "truncate") got = truncateWrite(data, f);
    else if (f?.kind === "garbage") got = this.faults!.bytes(data.length);
    this.receive(got);
    if (f?.kind === "drop") chip.dropResponse();
    if (f?.kind === "wtx") chip.wtxStorm(f.wtx ?? 10);
  }

  readSync(length: number): Uint8Array {
    this.open("read");
    if (!Number.isInteger(length) || length < 1)
      throw new BusError("EINVAL", this.bus, `read length must be a positive integer, got ${length}`, {
        address: this.address,
        op: "read",
      });
    const f = this.faults?.next("read") ?? null;
    const chip = this.chip;
    if (f?.kind === "reset") chip.reset();
    if (f?.kind === "busy") chip.extendBusy(f.busyMs ?? 50);
    if (f?.kind === "drop") chip.dropResponse();
    if (f?.kind === "wtx") chip.wtxStorm(f.wtx ?? 10);
    const now = f?.kind === "nack" ? null : chip.current();
    if (now === null) return this.nack("read");
    this.spend(length, false);
    this.stats.bytesIn += length;
    if (f?.kind === "io") throw this.ioError(f, "read");
    const frame = now === "wtx" ? WTX_FRAME : seI2cFrame(now.sta, now.data);
    let out: Uint8Array = new Uint8Array(length).fill(0xff);
    out.set(frame.subarray(0, Math.min(length, frame.length)));
    if (now === "wtx" && length >= frame.length) chip.wtxSent();
    if (f?.kind === "corrupt") out = corrupt(out, f);
    else if (f?.kind === "truncate") out = truncateRead(out, f);
    else if (f?.kind === "garbage") out = this.faults!.bytes(length);
    this.tap?.("in", out.slice());
    return out;
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve) => resolve(this.writeSync(data)));
  }

  read(length: number): Promise<Uint8Array> {
    return new Promise((resolve) => resolve(this.readSync(length)));
  }

  close(): void {
    this.closed = true;
  }

  /** The frame as the SE received it. */
  private receive(frame: Uint8Array): void {
    const p = parseHostFrame(frame);
    if (!p) return this.chip.nak();
    switch (p.cmd) {
      case CMD_APDU:
        if (p.data.length < 4) return this.chip.nak();
        return this.chip.acceptApdu(p.data);
      case CMD_ATR:
        return this.chip.acceptAtr();
      case CMD_NAK:
        return this.chip.resend();
      default:
        return this.chip.nak();
    }
  }

  private spend(bytes: number, nack: boolean): void {
    const ms = i2cTransactionMs(this.timing, bytes, nack);
    this.stats.transactions++;
    this.stats.busTimeMs += ms;
    charge(this.chip.clock, ms);
  }

  private nack(op: string): never {
    this.spend(0, true);
    this.stats.nacks++;
    throw new BusError("NACK", this.bus, "no ACK from the device (busy, absent or wrong address)", {
      address: this.address,
      errno: "EREMOTEIO",
      op,
    });
  }

  private ioError(f: Fault, op: string): BusError {
    return f.error === "TIMEOUT"
      ? new BusError("TIMEOUT", this.bus, "the bus transaction timed out (injected)", { address: this.address, errno: "ETIMEDOUT", op })
      : new BusError("EIO", this.bus, "I/O error (injected)", { address: this.address, errno: "EIO", op });
  }

  private open(op: string): void {
    if (this.closed) throw new BusError("CLOSED", this.bus, "the port was closed", { address: this.address, op });
  }
}
