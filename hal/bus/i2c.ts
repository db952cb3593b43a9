// I2cPort over the `i2c-bus` module (docs/hal.md "Layers", "Raspberry Pi bring-up").
// i2c-bus keeps one fd per address on /dev/i2c-N with ioctl(I2C_SLAVE) set once; i2cWrite /
// i2cRead are plain write(2) / read(2) on it, so each call is exactly one I2C transaction
// (START, address, data, STOP) — what the FM framing needs. *Sync calls use i2cReadSync /
// i2cWriteSync; Promise calls use the callback API (libuv thread pool), serialised per port.
//
// The address is the 7-bit form that `i2cdetect` prints (0x03..0x77); an 8-bit form such as 0xE2
// is refused with a hint (CryptoAuthLib's most repeated user issue). Opening checks the bus at
// once (i2cFuncsSync opens /dev/i2c-N) so a missing bus or a permission problem shows up at
// open, not at the first APDU. Every failure is a BusError naming bus and address (errors.ts).
import { BusError, hex2, toBusError } from "./errors.js";
import { BusLock } from "./lock.js";
import { loadNative } from "./native.js";
import type { I2cPort } from "./port.js";

/** The parts of an `i2c-bus` Bus this adapter uses (so tests can inject a fake). */
export interface I2cBusLike {
  i2cFuncsSync(): { i2c: boolean };
  i2cReadSync(addr: number, length: number, buffer: Buffer): number;
  i2cWriteSync(addr: number, length: number, buffer: Buffer): number;
  i2cRead(addr: number, length: number, buffer: Buffer, cb: (err: Error | null, bytesRead: number, buffer: Buffer) => void): void;
  i2cWrite(addr: number, length: number, buffer: Buffer, cb: (err: Error | null, bytesWritten: number, buffer: Buffer) => void): void;
  closeSync(): void;
}

/** The parts of the `i2c-bus` module this adapter uses. */
export interface I2cBusModule {
  openSync(busNumber: number, options?: { forceAccess?: boolean }): I2cBusLike;
}

export interface I2cPortOptions {
  /** Bus number N of /dev/i2c-N. */
  bus: number;
  /** 7-bit device address (0x71 for the FM SE). */
  address: number;
  /** Use I2C_SLAVE_FORCE (talk to an address a kernel driver has claimed). */
  forceAccess?: boolean;
  /** The `i2c-bus` module; default: require("i2c-bus") when the port is opened. */
  module?: I2cBusModule;
}

const ACCESS_HINT =
  "permission denied: add your user to the i2c group (`sudo usermod -aG i2c $USER`, then log in again) " +
  'or install a udev rule such as SUBSYSTEM=="i2c-dev", GROUP="i2c", MODE="0660" (docs/hal.md)';

/**
 * Check a 7-bit I2C address.
 * @throws RangeError naming the valid range; for 0x80..0xFF, with the 7-bit equivalent
 */
export function checkI2cAddress(address: unknown, name = "address"): number {
  if (typeof address !== "number" || !Number.isInteger(address)) {
    throw new TypeError(`${name} must be an integer 7-bit I2C address (e.g. 0x71), got ${JSON.stringify(address)}`);
  }
  if (address > 0x7f && address <= 0xff) {
    throw new RangeError(
      `${name} ${hex2(address)} looks like an 8-bit address (7-bit address << 1 | R/W); use ${hex2(address >> 1)}, ` +
        "the 7-bit form that i2cdetect shows",
    );
  }
  if (address < 0x03 || address > 0x77) {
    throw new RangeError(
      `${name} must be a 7-bit I2C address in 0x03..0x77 (as i2cdetect scans), got ${address < 0 || address > 0xff ? address : hex2(address)}`,
    );
  }
  return address;
}

export function i2cDevicePath(bus: number): string {
  return `/dev/i2c-${bus}`;
}

class NodeI2cPort implements I2cPort {
  readonly kind = "i2c" as const;
  readonly name: string;
  readonly bus: string;
  private readonly lock: BusLock;
  private closed = false;

  constructor(
    private readonly dev: I2cBusLike,
    readonly address: number,
    path: string,
  ) {
    this.bus = path;
    this.name = `${path}@${hex2(address)}`;
    this.lock = new BusLock(path);
  }

  private fail(e: unknown, op: string): BusError {
    return toBusError(e, { bus: this.bus, address: this.address, op, accessHint: ACCESS_HINT });
  }

  private checkOpen(op: string): void {
    if (this.closed) throw new BusError("CLOSED", this.bus, "the port is closed", { address: this.address, op });
  }

  private checkCount(op: string, got: number, want: number): void {
    if (got !== want) {
      throw new BusError("EIO", this.bus, `short ${op}: ${got} of ${want} bytes`, { address: this.address, op });
    }
  }

  writeSync(data: Uint8Array): void {
    this.checkOpen("write");
    this.lock.runSync("write", () => {
      let n: number;
      try {
        n = this.dev.i2cWriteSync(this.address, data.length, Buffer.from(data.buffer, data.byteOffset, data.length));
      } catch (e) {
        throw this.fail(e, "write");
      }
      this.checkCount("write", n, data.length);
    });
  }

  readSync(length: number): Uint8Array {
    this.checkOpen("read");
    return this.lock.runSync("read", () => {
      const buf = Buffer.alloc(length);
      let n: number;
      try {
        n = this.dev.i2cReadSync(this.address, length, buf);
      } catch (e) {
        throw this.fail(e, "read");
      }
      this.checkCount("read", n, length);
      return new Uint8Array(buf.buffer, buf.byteOffset, length);
    });
  }

  write(data: Uint8Array): Promise<void> {
    return this.lock
      .run(
        () =>
          new Promise<void>((resolve, reject) => {
            this.checkOpen("write");
            const buf = Buffer.from(data);
            this.dev.i2cWrite(this.address, buf.length, buf, (err, n) => {
              if (err) return reject(this.fail(err, "write"));
              try {
                this.checkCount("write", n, buf.length);
                resolve();
              } catch (e) {
                reject(e);
              }
            });
          }),
      )
      .catch((e: unknown) => Promise.reject(e instanceof BusError ? e : this.fail(e, "write")));
  }

  read(length: number): Promise<Uint8Array> {
    return this.lock
      .run(
        () =>
          new Promise<Uint8Array>((resolve, reject) => {
            this.checkOpen("read");
            const buf = Buffer.alloc(length);
            this.dev.i2cRead(this.address, length, buf, (err, n) => {
              if (err) return reject(this.fail(err, "read"));
              try {
                this.checkCount("read", n, length);
                resolve(new Uint8Array(buf.buffer, buf.byteOffset, length));
              } catch (e) {
                reject(e);
              }
            });
          }),
      )
      .catch((e: unknown) => Promise.reject(e instanceof BusError ? e : this.fail(e, "read")));
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
 * Open /dev/i2c-<bus> for one device.
 * @throws RangeError / TypeError for a bad bus number or address;
 *         BusError NO_MODULE (i2c-bus not installed), ENOENT (no such bus), EACCES (permission),
 *         EIO (the adapter cannot do plain I2C transfers)
 * @example const port = openI2cPort({ bus: 1, address: 0x71 });
 */
export function openI2cPort(options: I2cPortOptions): I2cPort {
  const { bus } = options;
  if (typeof bus !== "number" || !Number.isInteger(bus) || bus < 0 || bus > 255) {
    throw new RangeError(`bus must be an I2C bus number 0..255 (N of /dev/i2c-N), got ${JSON.stringify(bus)}`);
  }
  const address = checkI2cAddress(options.address);
  const path = i2cDevicePath(bus);
  const mod = options.module ?? loadNative<I2cBusModule>("i2c-bus", path);
  const ctx = { bus: path, address, op: "open", accessHint: ACCESS_HINT };
  let dev: I2cBusLike;
  try {
    dev = mod.openSync(bus, { forceAccess: options.forceAccess ?? false });
  } catch (e) {
    throw toBusError(e, ctx);
  }
  let funcs: { i2c: boolean };
  try {
    funcs = dev.i2cFuncsSync();
  } catch (e) {
    try {
      dev.closeSync();
    } catch {
      // the open failed; nothing more to report
    }
    throw toBusError(e, ctx);
  }
  if (!funcs.i2c) {
    dev.closeSync();
    throw new BusError("EIO", path, "this adapter cannot do plain I2C transfers (I2C_FUNC_I2C missing; SMBus-only?)", {
      address,
      op: "open",
    });
  }
  return new NodeI2cPort(dev, address, path);
}
