// SpiPort over the `spi-device` module (docs/hal.md "Layers", "Enable SPI (rpi4-spi)").
// One transfer(segments) = one spidev message (ioctl SPI_IOC_MESSAGE): chip select stays asserted
// across the segments; a segment's delayUs becomes the transfer's microSecondDelay (16-bit).
// Reading segments send 0xFF filler. spidev limits a message to its buffer size (4096 bytes by
// default, /sys/module/spidev/parameters/bufsiz) and the Pi's driver to 64 transfers, so larger
// requests are cut into transfers of ≤ maxMessageBytes and messages of ≤ maxTransfers and
// ≤ maxMessageBytes; chip select is released between those messages (never for FM frames,
// which are at most 1027 bytes). Mode (0..3; FM SE: 3), speed and chip select are set at open.
import { BusError, toBusError } from "./errors.js";
import { BusLock } from "./lock.js";
import { loadNative } from "./native.js";
import type { SpiPort, SpiSegment } from "./port.js";

/** One transfer of a spi-device message. */
export interface SpiTransfer {
  byteLength: number;
  sendBuffer?: Buffer;
  receiveBuffer?: Buffer;
  speedHz?: number;
  microSecondDelay?: number;
  chipSelectChange?: boolean;
}

/** The parts of a `spi-device` SpiDevice this adapter uses (so tests can inject a fake). */
export interface SpiDeviceLike {
  transferSync(message: SpiTransfer[]): unknown;
  transfer(message: SpiTransfer[], cb: (err: Error | null | undefined, message: SpiTransfer[]) => void): unknown;
  closeSync(): void;
}

/** The parts of the `spi-device` module this adapter uses. */
export interface SpiDeviceModule {
  openSync(busNumber: number, deviceNumber: number, options?: { mode?: 0 | 1 | 2 | 3; maxSpeedHz?: number }): SpiDeviceLike;
}

export interface SpiPortOptions {
  /** B of /dev/spidevB.C */
  bus: number;
  /** C of /dev/spidevB.C (chip select). */
  chipSelect: number;
  /** SPI mode 0..3 (FM SE: 3). */
  mode: 0 | 1 | 2 | 3;
  /** Clock, Hz (FM SE example: 2 MHz). */
  speedHz: number;
  /** Largest message (and transfer) in bytes; default 4096 (spidev bufsiz). */
  maxMessageBytes?: number;
  /** Most transfers in one message; default 64. */
  maxTransfers?: number;
  /** The `spi-device` module; default: require("spi-device") when the port is opened. */
  module?: SpiDeviceModule;
}

export function spiDevicePath(bus: number, chipSelect: number): string {
  return `/dev/spidev${bus}.${chipSelect}`;
}

const ACCESS_HINT =
  "permission denied: add your user to the spi group (`sudo usermod -aG spi $USER`, then log in again) " +
  'or install a udev rule such as SUBSYSTEM=="spidev", GROUP="spi", MODE="0660" (docs/hal.md)';

interface Piece {
  seg: number;
  offset: number;
  t: SpiTransfer;
}

/** Cut segments into spidev messages within the limits; returns the messages and where each piece belongs. */
export function planSpiMessages(segments: SpiSegment[], maxBytes = 4096, maxTransfers = 64): Piece[][] {
  const messages: Piece[][] = [];
  let cur: Piece[] = [];
  let bytes = 0;
  segments.forEach((s, seg) => {
    for (let offset = 0; offset < s.length;) {
      const n = Math.min(maxBytes, s.length - offset);
      if (cur.length === maxTransfers || bytes + n > maxBytes) {
        messages.push(cur);
        cur = [];
        bytes = 0;
      }
      const last = offset + n === s.length;
      const t: SpiTransfer = {
        byteLength: n,
        sendBuffer: s.send ? Buffer.from(s.send.buffer, s.send.byteOffset + offset, n) : Buffer.alloc(n, 0xff),
        receiveBuffer: Buffer.alloc(n),
      };
      if (last && s.delayUs) t.microSecondDelay = s.delayUs;
      cur.push({ seg, offset, t });
      bytes += n;
      offset += n;
    }
  });
  if (cur.length > 0) messages.push(cur);
  return messages;
}

function checkSegments(segments: SpiSegment[], bus: string): void {
  if (!Array.isArray(segments) || segments.length === 0) {
    throw new BusError("EINVAL", bus, "transfer needs at least one segment", { op: "transfer" });
  }
  for (const [i, s] of segments.entries()) {
    if (!Number.isInteger(s.length) || s.length < 1)
      throw new BusError("EINVAL", bus, `segment ${i}: length must be ≥ 1, got ${s.length}`, { op: "transfer" });
    if (s.send && s.send.length !== s.length)
      throw new BusError("EINVAL", bus, `segment ${i}: send has ${s.send.length} bytes, length is ${s.length}`, { op: "transfer" });
    if (s.delayUs !== undefined && (!Number.isInteger(s.delayUs) || s.delayUs < 0 || s.delayUs > 0xffff)) {
      throw new BusError("EINVAL", bus, `segment ${i}: delayUs must be 0..65535, got ${s.delayUs}`, { op: "transfer" });
    }
  }
}

class NodeSpiPort implements SpiPort {
  readonly kind = "spi" as const;
  readonly name: string;
  readonly bus: string;
  private readonly lock: BusLock;
  private closed = false;

  constructor(
    private readonly dev: SpiDeviceLike,
    path: string,
    busKey: string,
    private readonly maxBytes: number,
    private readonly maxTransfers: number,
  ) {
    this.name = path;
    this.bus = busKey;
    this.lock = new BusLock(path);
  }

  private fail(e: unknown, op: string): BusError {
    return toBusError(e, { bus: this.name, op, accessHint: ACCESS_HINT });
  }

  private prepare(segments: SpiSegment[]): Piece[][] {
    if (this.closed) throw new BusError("CLOSED", this.name, "the port is closed", { op: "transfer" });
    checkSegments(segments, this.name);
    return planSpiMessages(segments, this.maxBytes, this.maxTransfers);
  }

  private collect(segments: SpiSegment[], plan: Piece[][]): Uint8Array[] {
    const out = segments.map((s) => new Uint8Array(s.length));
    for (const m of plan) for (const p of m) out[p.seg]!.set(p.t.receiveBuffer!, p.offset);
    return out;
  }

  transferSync(segments: SpiSegment[]): Uint8Array[] {
    const plan = this.prepare(segments);
    return this.lock.runSync("transfer", () => {
      for (const m of plan) {
        try {
          this.dev.transferSync(m.map((p) => p.t));
        } catch (e) {
          throw this.fail(e, "transfer");
        }
      }
      return this.collect(segments, plan);
    });
  }

  async transfer(segments: SpiSegment[]): Promise<Uint8Array[]> {
    const plan = this.prepare(segments);
    return this.lock.run(async () => {
      for (const m of plan) {
        await new Promise<void>((resolve, reject) => {
          try {
            this.dev.transfer(
              m.map((p) => p.t),
              (err) => (err ? reject(this.fail(err, "transfer")) : resolve()),
            );
          } catch (e) {
            reject(this.fail(e, "transfer"));
          }
        });
      }
      return this.collect(segments, plan);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.dev.closeSync();
    } catch (e) {
      throw this.fail(e, "close");
    }
  }
}

/**
 * Open /dev/spidev<bus>.<chipSelect>.
 * @throws RangeError for bad numbers; BusError NO_MODULE, ENOENT, EACCES, EINVAL (mode/speed refused)
 * @example const port = openSpiPort({ bus: 0, chipSelect: 0, mode: 3, speedHz: 2_000_000 });
 */
export function openSpiPort(options: SpiPortOptions): SpiPort {
  const { bus, chipSelect, mode, speedHz } = options;
  const int = (v: unknown, name: string, lo: number, hi: number): void => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
      throw new RangeError(`${name} must be an integer ${lo}..${hi}, got ${JSON.stringify(v)}`);
    }
  };
  int(bus, "bus", 0, 255);
  int(chipSelect, "chipSelect", 0, 255);
  int(mode, "mode", 0, 3);
  int(speedHz, "speedHz", 1_000, 200_000_000);
  const maxBytes = options.maxMessageBytes ?? 4096;
  const maxTransfers = options.maxTransfers ?? 64;
  int(maxBytes, "maxMessageBytes", 16, 1 << 22);
  int(maxTransfers, "maxTransfers", 1, 1024);
  const path = spiDevicePath(bus, chipSelect);
  const mod = options.module ?? loadNative<SpiDeviceModule>("spi-device", path);
  let dev: SpiDeviceLike;
  try {
    dev = mod.openSync(bus, chipSelect, { mode, maxSpeedHz: speedHz });
  } catch (e) {
    throw toBusError(e, { bus: path, op: "open", accessHint: ACCESS_HINT });
  }
  return new NodeSpiPort(dev, path, `/dev/spidev${bus}.*`, maxBytes, maxTransfers);
}
