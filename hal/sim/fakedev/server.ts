// The fakedev server: the Linux i2c-dev and spidev kernel ABI, answered by the simulated FM SE
// (docs/hal.md "The simulated kernel path"). The LD_PRELOAD shim (hal/sim/fakedev/shim.c) turns
// open/read/write/ioctl/close on /dev/i2c-N and /dev/spidevB.C into requests on a Unix socket;
// this server plays the kernel driver, the bus controller and the bus, and puts the simulated SE of
// hal/sim behind it — one SE on I2C bus `i2c.bus` at `i2c.address` (default /dev/i2c-1 @ 0x71),
// another behind /dev/spidev`spi.bus`.`spi.chipSelect` (default /dev/spidev0.0). So the real
// `i2c-bus` / `spi-device` addons and the HAL's bus ports (hal/bus) run unchanged, as on a Pi.
//
// Wire protocol (the shim's header has the field-by-field layout): a request is u32 body length,
// u8 op, fields; a response is u32 body length, i32 status (>= 0 the syscall's result, < 0
// -errno), payload. One connection per open device fd; the connection holds what the kernel keeps
// per open file (the I2C_SLAVE address), the server what it keeps per device (SPI mode, word size,
// speed). Little-endian.
//
// What is modelled, after drivers/i2c/i2c-dev.c, drivers/spi/spidev.c, the SPI core and the
// Raspberry Pi's controllers (bcm2835 I2C and SPI):
//   open      a bus that is not configured → ENOENT; a path in `deny` → EACCES
//   I2C       I2C_SLAVE: address > 0x7F without ten-bit, or > 0x3FF → EINVAL; an address a
//             kernel driver holds (`claimed`) → EBUSY unless I2C_SLAVE_FORCE. Transfers: a message
//             to an address nobody answers → the adapter's NACK errno (`nackErrno`: EREMOTEIO as
//             bcm2835 and most adapters, ENXIO as some); a zero-length message (SMBus quick, as
//             i2cdetect sends) is ACKed by the SE unless it is busy. I2C_FUNCS: I2C | SMBUS_EMUL.
//   SPI       spidev's mode / word size / speed ioctls with spi_setup()'s checks against a
//             bcm2835-like controller (mode bits CPOL, CPHA, CS_HIGH, NO_CS: LSB_FIRST → EINVAL;
//             8-bit words only; speed 0 → EINVAL); SPI_IOC_MESSAGE: more than `bufsiz` bytes to
//             send or receive → EMSGSIZE, dual/quad widths → EINVAL, a null tx_buf sends zeros,
//             cs_change splits the message where chip select is released, a transfer's speed_hz
//             (or the device's) sets the simulated clock. The SE answers only in its own mode
//             (`seMode`, 3 for the FM SE): in any other mode it sees no valid frame and MISO
//             stays high (0xFF) — a model of a wrong-edge sample, not of its exact bits.
//   SE        the hal/sim SE (SimI2cPort / SimSpiPort on a SimChip), on the system clock: its
//             processing time (SM2, NVM writes, boot, WTX gaps) passes in real time, so the host's
//             real sleeps and polls meet a chip that is really busy. With `busTime: "real"` (the
//             default) each answer is also held back by the transaction's simulated bus time when
//             it is 1 ms or more (a 260-byte I2C read at 400 kHz: ~6 ms); shorter ones answer at
//             once. Transactions on one bus are serialised, as the adapter's bus lock does.
//   faults    the simulator's own fault plans (`faults.i2c`, `faults.spi`: NACK, corrupt,
//             truncate, I/O error, reset, …), whose BusErrors leave as the errno the kernel would
//             give (SIM_ERRNO); and `wire` faults at the syscall level: an errno, or a short count
//             (`transferred`), on the n-th open / ioctl / read / write / transfer.
import { createServer, type Server, type Socket } from "node:net";
import { existsSync, unlinkSync } from "node:fs";
import { SystemClock, type Clock } from "../../clock.js";
import { BusError, type BusErrorCode } from "../../bus/errors.js";
import type { SpiSegment } from "../../bus/port.js";
import { createSimulatedSe, type SimulatedSe } from "../index.js";
import type { Identity } from "../applet.js";
import type { FaultPlanOptions } from "../faults.js";
import type { SimI2cPort } from "../i2c.js";
import type { SimSpiPort } from "../spi.js";
import { i2cTransactionMs, spiMessageMs, type ChipTiming } from "../timing.js";

/** Linux errno numbers (asm-generic: x86-64, arm, arm64, riscv; not alpha, mips, parisc, sparc). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  ENOTTY: 25,
  ESPIPE: 29,
  EPROTO: 71,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  EREMOTEIO: 121,
} as const;
export type ErrnoName = keyof typeof ERRNO;

/**
 * How a simulated bus failure reaches user space: the errno the kernel driver returns for it.
 * "NACK" is the adapter's choice (FakedevI2cOptions.nackErrno; SPI has no NACK).
 */
export const SIM_ERRNO: Readonly<Partial<Record<BusErrorCode, ErrnoName | "nack">>> = Object.freeze({
  NACK: "nack",
  EIO: "EIO",
  TIMEOUT: "ETIMEDOUT",
  EINVAL: "EINVAL",
  EBUSY: "EBUSY",
});

export const OP = { OPEN: 1, I2C_ADDR: 2, I2C_XFER: 3, I2C_READ: 4, I2C_WRITE: 5, SPI_XFER: 6, SPI_GET: 7, SPI_SET: 8 } as const;
const KIND_I2C = 1;
const KIND_SPI = 2;
/** In an I2C_XFER message: "the address I2C_SLAVE set" (SMBus transfers). */
const ADDR_SLAVE = 0xffff;
const I2C_M_RD = 0x0001;
const I2C_M_TEN = 0x0010;
/** I2C_FUNC_I2C | I2C_FUNC_SMBUS_EMUL (linux/i2c.h), what i2c-bcm2835 reports without PROTOCOL_MANGLING. */
export const I2C_FUNCS_DEFAULT = 0x00000001 | 0x0eff0008;
const SPI = { CPHA: 0x01, CPOL: 0x02, CS_HIGH: 0x04, LSB_FIRST: 0x08, NO_CS: 0x40 } as const;
/** SPI_MODE_USER_MASK of linux/spi/spi.h: the mode bits user space may set. */
const SPI_MODE_USER_MASK = (1 << 17) - 1;
const SPI_GET_SET = { MODE8: 1, MODE32: 2, LSB: 3, BITS: 4, SPEED: 5 } as const;

/** A fault at the syscall level, before (or instead of) the bus transaction. */
export interface WireFault {
  /** which device (default: either) */
  device?: "i2c" | "spi";
  /** which call: open, a configuration ioctl, plain read(2)/write(2), an I2C_RDWR/I2C_SMBUS/SPI_IOC_MESSAGE transfer */
  op?: "open" | "ioctl" | "read" | "write" | "transfer" | "any";
  /** matching calls to let pass first (default 0) */
  skip?: number;
  /** how many matching calls it hits (default 1) */
  count?: number;
  /** fail the call with this errno (the device never sees it, unless `delivered`) */
  errno?: ErrnoName;
  /** with errno on a write or transfer: the bytes reached the device all the same */
  delivered?: boolean;
  /** succeed short: the call reports this many bytes (read/write/SPI) or messages (I2C_RDWR) */
  transferred?: number;
}

export interface FakedevI2cOptions {
  /** N of /dev/i2c-N (default 1) */
  bus?: number;
  /** the SE's 7-bit address (default 0x71) */
  address?: number;
  /** SCL rate for the simulated bus time (default 400 kHz, the rate the boards assume) */
  hz?: number;
  /** errno of an address NACK (default EREMOTEIO) */
  nackErrno?: "EREMOTEIO" | "ENXIO";
  /** I2C_FUNCS answer (default I2C_FUNCS_DEFAULT) */
  funcs?: number;
  /** addresses a kernel driver has bound: I2C_SLAVE → EBUSY (default none) */
  claimed?: number[];
}

export interface FakedevSpiOptions {
  /** B of /dev/spidevB.C (default 0) */
  bus?: number;
  /** C of /dev/spidevB.C (default 0) */
  chipSelect?: number;
  /** the mode the SE answers in (default 3, the FM SE's) */
  seMode?: 0 | 1 | 2 | 3;
  /** the controller's top clock, Hz (default 125 MHz) */
  maxSpeedHz?: number;
  /** spidev's buffer size (default 4096, /sys/module/spidev/parameters/bufsiz) */
  bufsiz?: number;
}

export interface FakedevOptions {
  /** where to listen (an existing socket file there is replaced) */
  socketPath: string;
  /** the I2C bus with its SE; false: no I2C bus */
  i2c?: FakedevI2cOptions | false;
  /** the spidev device with its SE; false: none */
  spi?: FakedevSpiOptions | false;
  /** identity both SEs start with (default: blank) */
  identity?: Identity;
  /** SK.SE both SEs hold (paired, shielded; default: none) */
  linkKey?: Uint8Array;
  /** seed of the SEs' TRNG (default: node:crypto) */
  seed?: number | string;
  /** the simulator's fault plans, per SE */
  faults?: { i2c?: FaultPlanOptions; spi?: FaultPlanOptions };
  /** syscall-level faults, matched in order */
  wire?: WireFault[];
  /** per-operation processing times of the SEs */
  chipTiming?: Partial<ChipTiming>;
  /** hold each answer back by its simulated bus time ("real", default) or answer at once ("none") */
  busTime?: "real" | "none";
  /** device paths whose open fails with EACCES */
  deny?: string[];
  /** one line per request and its result */
  trace?: (line: string) => void;
  /** the SEs' clock (default: a SystemClock) */
  clock?: Clock;
}

/** What the server has seen, for tests. */
export interface FakedevCounts {
  opens: number;
  requests: number;
  /** requests by op name */
  ops: Record<string, number>;
  /** errno answers by name */
  errors: Record<string, number>;
  /** wire faults injected */
  wireFaults: number;
}

export interface FakedevServer {
  readonly socketPath: string;
  /** the SE behind the I2C bus, and the one behind spidev */
  readonly i2c: SimulatedSe<SimI2cPort> | null;
  readonly spi: SimulatedSe<SimSpiPort> | null;
  readonly counts: FakedevCounts;
  /** the SPI device's settings, as spidev holds them */
  readonly spiState: { mode: number; bitsPerWord: number; speedHz: number } | null;
  /** replace the wire fault list */
  setWireFaults(faults: WireFault[]): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  payload?: Uint8Array;
  /** simulated bus time of the transaction, ms */
  busMs?: number;
}

interface Conn {
  kind: "i2c" | "spi" | null;
  path: string;
  address: number;
  tenbit: boolean;
}

class Reader {
  o = 0;
  constructor(readonly b: Buffer) {}
  u8(): number {
    this.need(1);
    return this.b.readUInt8(this.o++);
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16LE(this.o);
    this.o += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32LE(this.o);
    this.o += 4;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = Uint8Array.from(this.b.subarray(this.o, this.o + n));
    this.o += n;
    return v;
  }
  private need(n: number): void {
    if (this.o + n > this.b.length) throw new RangeError("fakedev: truncated request");
  }
}

const OP_NAMES: Record<number, string> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));
const fail = (name: ErrnoName): Reply => ({ status: -ERRNO[name] });

class WirePlan {
  private entries: { f: WireFault; skip: number; left: number }[] = [];
  constructor(list: WireFault[] = []) {
    this.set(list);
  }
  set(list: WireFault[]): void {
    for (const f of list) {
      if (f.errno !== undefined && !(f.errno in ERRNO)) throw new TypeError(`wire fault: unknown errno ${String(f.errno)}`);
      if (f.errno === undefined && f.transferred === undefined) throw new TypeError("wire fault: give errno or transferred");
    }
    this.entries = list.map((f) => ({ f, skip: f.skip ?? 0, left: f.count ?? 1 }));
  }
  next(device: "i2c" | "spi", op: NonNullable<WireFault["op"]>): WireFault | null {
    for (const e of this.entries) {
      if (e.left <= 0) continue;
      if (e.f.device !== undefined && e.f.device !== device) continue;
      if ((e.f.op ?? "any") !== "any" && e.f.op !== op) continue;
      if (e.skip > 0) {
        e.skip--;
        continue;
      }
      e.left--;
      return e.f;
    }
    return null;
  }
}

/**
 * Start the server on `options.socketPath`.
 * @example const srv = await startFakedevServer({ socketPath: "/tmp/x/fakedev.sock" });
 *          // child: LD_PRELOAD=libfakedev.so TID_FAKEDEV_SOCKET=/tmp/x/fakedev.sock node …
 */
export async function startFakedevServer(options: FakedevOptions): Promise<FakedevServer> {
  const clock = options.clock ?? new SystemClock();
  const i2cOpt = options.i2c === false ? null : { ...options.i2c };
  const spiOpt = options.spi === false ? null : { ...options.spi };
  const i2cBus = i2cOpt?.bus ?? 1;
  const i2cAddress = i2cOpt?.address ?? 0x71;
  const nackErrno: ErrnoName = i2cOpt?.nackErrno ?? "EREMOTEIO";
  const funcs = i2cOpt?.funcs ?? I2C_FUNCS_DEFAULT;
  const claimed = new Set(i2cOpt?.claimed ?? []);
  const spiBus = spiOpt?.bus ?? 0;
  const spiCs = spiOpt?.chipSelect ?? 0;
  const seMode = spiOpt?.seMode ?? 3;
  const maxSpeedHz = spiOpt?.maxSpeedHz ?? 125_000_000;
  const bufsiz = spiOpt?.bufsiz ?? 4096;
  const i2cPath = `/dev/i2c-${i2cBus}`;
  const spiPath = `/dev/spidev${spiBus}.${spiCs}`;
  const deny = new Set(options.deny ?? []);
  const realBusTime = (options.busTime ?? "real") === "real";
  const trace = options.trace;
  const common = {
    clock,
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.linkKey ? { linkKey: options.linkKey } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.chipTiming ? { chipTiming: options.chipTiming } : {}),
  };
  const i2c = i2cOpt
    ? createSimulatedSe({
        ...common,
        bus: "i2c",
        address: i2cAddress,
        name: i2cPath,
        busTiming: { i2cHz: i2cOpt.hz ?? 400_000 },
        ...(options.faults?.i2c ? { faults: options.faults.i2c } : {}),
      })
    : null;
  const spi = spiOpt
    ? createSimulatedSe({ ...common, bus: "spi", name: spiPath, ...(options.faults?.spi ? { faults: options.faults.spi } : {}) })
    : null;
  // spidev's per-device settings: spi->mode from the device tree (0), 8-bit words, the DT's speed.
  const spiState = spi ? { mode: 0, bitsPerWord: 8, speedHz: maxSpeedHz } : null;
  const wire = new WirePlan(options.wire);
  const counts: FakedevCounts = { opens: 0, requests: 0, ops: {}, errors: {}, wireFaults: 0 };

  /** The errno of a simulator BusError. */
  const errnoOf = (e: unknown): ErrnoName => {
    if (!(e instanceof BusError)) throw e;
    const m = SIM_ERRNO[e.code] ?? "EIO";
    return m === "nack" ? nackErrno : m;
  };

  const wireFault = (device: "i2c" | "spi", op: NonNullable<WireFault["op"]>): WireFault | null => {
    const f = wire.next(device, op);
    if (f) counts.wireFaults++;
    return f;
  };

  // ---- open ---------------------------------------------------------------------------------
  const open = (c: Conn, r: Reader): Reply => {
    const kind = r.u8();
    r.u8(); // access mode: spidev and i2c-dev accept any
    const bus = r.u16();
    const cs = r.u16();
    const path = kind === KIND_I2C ? `/dev/i2c-${bus}` : `/dev/spidev${bus}.${cs}`;
    c.path = path;
    const exists =
      (kind === KIND_I2C && i2c !== null && bus === i2cBus) || (kind === KIND_SPI && spi !== null && bus === spiBus && cs === spiCs);
    if (!exists) return fail("ENOENT");
    if (deny.has(path)) return fail("EACCES");
    const f = wireFault(kind === KIND_I2C ? "i2c" : "spi", "open");
    if (f?.errno) return fail(f.errno);
    c.kind = kind === KIND_I2C ? "i2c" : "spi";
    counts.opens++;
    const payload = Buffer.alloc(kind === KIND_I2C ? 4 : 0);
    if (kind === KIND_I2C) payload.writeUInt32LE(funcs >>> 0);
    return { status: 0, payload };
  };

  // ---- I2C ----------------------------------------------------------------------------------
  const i2cSetAddress = (c: Conn, r: Reader): Reply => {
    const address = r.u16();
    const force = r.u8() !== 0;
    const tenbit = r.u8() !== 0;
    const f = wireFault("i2c", "ioctl");
    if (f?.errno) return fail(f.errno);
    if (address > 0x3ff || (!tenbit && address > 0x7f)) return fail("EINVAL");
    if (!force && claimed.has(address)) return fail("EBUSY");
    c.address = address;
    c.tenbit = tenbit;
    return { status: 0 };
  };

  /** One I2C message on the bus: the bytes read, or an errno; adds its bus time. */
  const i2cMessage = (
    address: number,
    ten: boolean,
    read: number | null,
    data: Uint8Array,
    acc: { busMs: number },
  ): Uint8Array | ErrnoName => {
    const se = i2c!;
    if (ten || address !== i2cAddress) {
      acc.busMs += i2cTransactionMs(se.busTiming, 0, true);
      return nackErrno;
    }
    const length = read ?? data.length;
    if (length === 0) {
      // START, address, STOP: the SE ACKs unless it is busy (SMBus quick; i2cdetect's probe).
      const busy = se.chip.busy();
      acc.busMs += i2cTransactionMs(se.busTiming, 0, busy);
      return busy ? nackErrno : new Uint8Array(0);
    }
    const before = se.stats.busTimeMs;
    try {
      if (read !== null) return se.port.readSync(read);
      se.port.writeSync(data);
      return new Uint8Array(0);
    } catch (e) {
      return errnoOf(e);
    } finally {
      acc.busMs += se.stats.busTimeMs - before;
    }
  };

  const i2cReadWrite = (c: Conn, r: Reader, writing: boolean): Reply => {
    const n = r.u32();
    const data = writing ? r.bytes(n) : new Uint8Array(0);
    const f = wireFault("i2c", writing ? "write" : "read");
    const acc = { busMs: 0 };
    if (f?.errno) {
      if (writing && f.delivered) i2cMessage(c.address, c.tenbit, null, data, acc);
      return { ...fail(f.errno), busMs: acc.busMs };
    }
    const keep = f?.transferred !== undefined ? Math.max(0, Math.min(f.transferred, n)) : n;
    // A short write delivers only what it reports; a short read clocks the whole length.
    const out = i2cMessage(c.address, c.tenbit, writing ? null : n, writing ? data.subarray(0, keep) : data, acc);
    if (typeof out === "string") return { ...fail(out), busMs: acc.busMs };
    return { status: keep, payload: writing ? new Uint8Array(0) : out.subarray(0, keep), busMs: acc.busMs };
  };

  const i2cTransfer = (c: Conn, r: Reader): Reply => {
    r.u8(); // source: I2C_RDWR or I2C_SMBUS
    const n = r.u16();
    const msgs: { address: number; flags: number; length: number; data: Uint8Array }[] = [];
    for (let i = 0; i < n; i++) {
      const address = r.u16();
      const flags = r.u16();
      const length = r.u16();
      msgs.push({ address, flags, length, data: flags & I2C_M_RD ? new Uint8Array(0) : r.bytes(length) });
    }
    const f = wireFault("i2c", "transfer");
    const acc = { busMs: 0 };
    if (f?.errno && !f.delivered) return fail(f.errno);
    const done = f?.transferred !== undefined ? Math.max(0, Math.min(f.transferred, n)) : n;
    const reads: Uint8Array[] = [];
    for (const [i, m] of msgs.entries()) {
      if (i >= done) break; // a short transfer: the rest never went out
      const address = m.address === ADDR_SLAVE ? c.address : m.address;
      const ten = m.address === ADDR_SLAVE ? c.tenbit : (m.flags & I2C_M_TEN) !== 0;
      const out = i2cMessage(address, ten, m.flags & I2C_M_RD ? m.length : null, m.data, acc);
      if (typeof out === "string") return { ...fail(out), busMs: acc.busMs };
      reads.push(out);
    }
    if (f?.errno) return { ...fail(f.errno), busMs: acc.busMs };
    // the read messages that did not run read nothing; the shim copies only on full success
    for (const m of msgs.slice(done)) if (m.flags & I2C_M_RD) reads.push(new Uint8Array(m.length));
    return { status: done, payload: Buffer.concat(reads), busMs: acc.busMs };
  };

  // ---- SPI ----------------------------------------------------------------------------------
  /** spi_setup() on a bcm2835-like controller: which mode bits and word sizes it takes. */
  const spiSetupOk = (mode: number, bits: number): boolean =>
    (mode & ~(SPI.CPHA | SPI.CPOL | SPI.CS_HIGH | SPI.NO_CS)) === 0 && (bits === 0 || bits === 8);

  const spiGet = (r: Reader): Reply => {
    const what = r.u8();
    const f = wireFault("spi", "ioctl");
    if (f?.errno) return fail(f.errno);
    const s = spiState!;
    const v =
      what === SPI_GET_SET.MODE8
        ? s.mode & 0xff
        : what === SPI_GET_SET.MODE32
          ? s.mode & SPI_MODE_USER_MASK
          : what === SPI_GET_SET.LSB
            ? s.mode & SPI.LSB_FIRST
              ? 1
              : 0
            : what === SPI_GET_SET.BITS
              ? s.bitsPerWord
              : what === SPI_GET_SET.SPEED
                ? s.speedHz
                : -1;
    if (v < 0) return fail("ENOTTY");
    const payload = Buffer.alloc(4);
    payload.writeUInt32LE(v >>> 0);
    return { status: 0, payload };
  };

  const spiSet = (r: Reader): Reply => {
    const what = r.u8();
    const v = r.u32();
    const f = wireFault("spi", "ioctl");
    if (f?.errno) return fail(f.errno);
    const s = spiState!;
    switch (what) {
      case SPI_GET_SET.MODE8:
      case SPI_GET_SET.MODE32: {
        if (v & ~SPI_MODE_USER_MASK) return fail("EINVAL");
        const mode = (v | (s.mode & ~(what === SPI_GET_SET.MODE8 ? 0xff : SPI_MODE_USER_MASK))) & SPI_MODE_USER_MASK;
        if (!spiSetupOk(mode, s.bitsPerWord)) return fail("EINVAL");
        s.mode = mode;
        return { status: 0 };
      }
      case SPI_GET_SET.LSB: {
        const mode = v ? s.mode | SPI.LSB_FIRST : s.mode & ~SPI.LSB_FIRST;
        if (!spiSetupOk(mode, s.bitsPerWord)) return fail("EINVAL");
        s.mode = mode;
        return { status: 0 };
      }
      case SPI_GET_SET.BITS:
        if (!spiSetupOk(s.mode, v & 0xff)) return fail("EINVAL");
        s.bitsPerWord = v & 0xff || 8;
        return { status: 0 };
      case SPI_GET_SET.SPEED:
        if (v === 0) return fail("EINVAL");
        s.speedHz = v;
        return { status: 0 };
      default:
        return fail("ENOTTY");
    }
  };

  const spiTransfer = (r: Reader): Reply => {
    const source = r.u8();
    const n = r.u16();
    const s = spiState!;
    const se = spi!;
    const xfers: {
      len: number;
      speedHz: number;
      delayUs: number;
      bits: number;
      csChange: boolean;
      txN: number;
      rxN: number;
      tx: Uint8Array | null;
    }[] = [];
    let txTotal = 0;
    let rxTotal = 0;
    for (let i = 0; i < n; i++) {
      const len = r.u32();
      const speedHz = r.u32();
      const delayUs = r.u16();
      const bits = r.u8();
      const csChange = r.u8() !== 0;
      const txN = r.u8();
      const rxN = r.u8();
      r.u8(); // word_delay_usecs: needs controller support; ignored, as the Pi's driver does
      const flags = r.u8();
      const tx = flags & 1 ? r.bytes(len) : null;
      if (flags & 1) txTotal += len;
      if (flags & 2) rxTotal += len;
      xfers.push({ len, speedHz, delayUs, bits, csChange, txN, rxN, tx });
    }
    const total = xfers.reduce((a, x) => a + x.len, 0);
    if (txTotal > bufsiz || rxTotal > bufsiz) return fail("EMSGSIZE");
    for (const x of xfers) {
      if (!spiSetupOk(s.mode, x.bits)) return fail("EINVAL");
      if (![0, 1].includes(x.txN) || ![0, 1].includes(x.rxN)) return fail("EINVAL"); // no dual/quad on this controller
    }
    const f = wireFault("spi", source === 0 ? "transfer" : source === 1 ? "read" : "write");
    if (f?.errno && !f.delivered) return fail(f.errno);
    // Chip select is released after a transfer with cs_change (except the last): one CS assertion
    // is one message to the SE.
    const groups: (typeof xfers)[] = [[]];
    xfers.forEach((x, i) => {
      groups[groups.length - 1]!.push(x);
      if (x.csChange && i < xfers.length - 1) groups.push([]);
    });
    const miso = new Uint8Array(total);
    let at = 0;
    let busMs = 0;
    const selected = (s.mode & (SPI.CS_HIGH | SPI.NO_CS)) === 0;
    const seHears = selected && (s.mode & 3) === seMode;
    for (const g of groups) {
      const speed = Math.min(g.find((x) => x.len > 0)?.speedHz || s.speedHz, maxSpeedHz);
      se.busTiming.spiHz = speed;
      const segments: SpiSegment[] = [];
      for (const x of g) {
        if (x.len === 0) {
          const last = segments[segments.length - 1];
          if (last && x.delayUs) last.delayUs = (last.delayUs ?? 0) + x.delayUs;
          continue;
        }
        segments.push({ send: x.tx ?? new Uint8Array(x.len), length: x.len, ...(x.delayUs ? { delayUs: x.delayUs } : {}) });
      }
      const bytes = segments.reduce((a, x) => a + x.length, 0);
      if (bytes === 0) continue;
      if (!seHears) {
        // The SE is not selected, or samples on the other edge: no frame for it, MISO floats high.
        busMs += spiMessageMs(
          se.busTiming,
          bytes,
          segments.reduce((a, x) => a + (x.delayUs ?? 0), 0),
        );
        miso.fill(0xff, at, at + bytes);
        at += bytes;
        continue;
      }
      const before = se.stats.busTimeMs;
      try {
        for (const part of se.port.transferSync(segments)) {
          miso.set(part, at);
          at += part.length;
        }
      } catch (e) {
        return { ...fail(errnoOf(e)), busMs: busMs + se.stats.busTimeMs - before };
      } finally {
        busMs += se.stats.busTimeMs - before;
      }
    }
    if (f?.errno) return { ...fail(f.errno), busMs };
    const count = f?.transferred !== undefined ? Math.max(0, Math.min(f.transferred, total)) : total;
    return { status: count, payload: miso, busMs };
  };

  // ---- requests -----------------------------------------------------------------------------
  const handle = (c: Conn, body: Buffer): Reply => {
    const r = new Reader(body);
    const op = r.u8();
    if (op !== OP.OPEN && c.kind === null) return fail("EBADF");
    switch (op) {
      case OP.OPEN:
        return open(c, r);
      case OP.I2C_ADDR:
        return c.kind === "i2c" ? i2cSetAddress(c, r) : fail("ENOTTY");
      case OP.I2C_XFER:
        return c.kind === "i2c" ? i2cTransfer(c, r) : fail("ENOTTY");
      case OP.I2C_READ:
        return c.kind === "i2c" ? i2cReadWrite(c, r, false) : fail("EINVAL");
      case OP.I2C_WRITE:
        return c.kind === "i2c" ? i2cReadWrite(c, r, true) : fail("EINVAL");
      case OP.SPI_XFER:
        return c.kind === "spi" ? spiTransfer(r) : fail("EINVAL");
      case OP.SPI_GET:
        return c.kind === "spi" ? spiGet(r) : fail("ENOTTY");
      case OP.SPI_SET:
        return c.kind === "spi" ? spiSet(r) : fail("ENOTTY");
      default:
        return fail("ENOTTY");
    }
  };

  // Transactions on one bus go one at a time, each holding the bus for its bus time.
  const busQueues = new Map<string, Promise<void>>();
  const onBus = (key: string, fn: () => Promise<void>): Promise<void> => {
    const next = (busQueues.get(key) ?? Promise.resolve()).then(fn, fn);
    busQueues.set(key, next);
    return next;
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    const conn: Conn = { kind: null, path: "?", address: 0, tenbit: false };
    let pending: Buffer = Buffer.alloc(0);
    let chain = Promise.resolve();
    sock.on("data", (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4) {
        const len = pending.readUInt32LE(0);
        if (pending.length < 4 + len) break;
        const body = pending.subarray(4, 4 + len);
        pending = pending.subarray(4 + len);
        chain = chain.then(() =>
          onBus(conn.kind ?? "open", async () => {
            counts.requests++;
            const opName = OP_NAMES[body[0]!] ?? `op${body[0]}`;
            counts.ops[opName] = (counts.ops[opName] ?? 0) + 1;
            let reply: Reply;
            try {
              reply = handle(conn, body);
            } catch (e) {
              trace?.(`fakedev: bad request on ${conn.path}: ${e instanceof Error ? e.message : String(e)}`);
              reply = fail("EINVAL");
            }
            if (reply.status < 0) {
              const name = Object.entries(ERRNO).find(([, v]) => v === -reply.status)?.[0] ?? String(-reply.status);
              counts.errors[name] = (counts.errors[name] ?? 0) + 1;
            }
            trace?.(
              `${conn.path} ${opName} → ${reply.status < 0 ? errnoLabel(-reply.status) : reply.status}${reply.busMs ? ` (${reply.busMs.toFixed(3)} ms)` : ""}`,
            );
            if (realBusTime && reply.busMs !== undefined && reply.busMs >= 1) await new Promise((res) => setTimeout(res, reply.busMs));
            const payload = reply.payload ?? new Uint8Array(0);
            const out = Buffer.alloc(8 + payload.length);
            out.writeUInt32LE(4 + payload.length, 0);
            out.writeInt32LE(reply.status, 4);
            out.set(payload, 8);
            if (!sock.destroyed) sock.write(out);
          }),
        );
      }
    });
    sock.on("error", () => sock.destroy());
    sock.on("close", () => sockets.delete(sock));
  });

  if (existsSync(options.socketPath)) unlinkSync(options.socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    socketPath: options.socketPath,
    i2c,
    spi,
    counts,
    spiState,
    setWireFaults: (list) => wire.set(list),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** "EREMOTEIO (121)" for an errno number. */
export function errnoLabel(n: number): string {
  const name = Object.entries(ERRNO).find(([, v]) => v === n)?.[0];
  return name ? `${name} (${n})` : `errno ${n}`;
}
