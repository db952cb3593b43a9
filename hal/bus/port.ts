// Bus port interfaces (docs/hal.md "Layers", "Porting"): the only thing the link layer knows
// about hardware. Real ports wrap `i2c-bus` / `spi-device` (hal/bus/i2c.ts, hal/bus/spi.ts); the
// simulator (hal/sim) implements the same interfaces, so every test runs the real link code.
//
// I2cPort — one device on one bus, bound to its 7-bit address. A write or read is one complete
//   I2C transaction (START, address, data, STOP). If the device does not ACK its address (the FM
//   SE does this while it is busy), the call throws BusError code "NACK".
// SpiPort — one device on one bus (chip select fixed). transfer() runs the segments as one
//   message with chip select held across them; each segment clocks `length` bytes, sending `send`
//   (or 0xFF filler when absent, reading), and returns the bytes received during each segment.
//   `delayUs` is a pause after the segment before the next (still selected).
// Both: *Sync calls block (behind the wasm's synchronous transceive import); Promise calls for
//   the TypeScript API. A port is never used by two operations at once: async ops queue, a sync op
//   while an async one is in flight throws BusError "EBUSY" (hal/bus/lock.ts). close() is
//   idempotent; any call after close throws BusError "CLOSED". Errors are BusError (errors.ts).

export interface I2cPort {
  readonly kind: "i2c";
  /** Human-readable bus + address, e.g. "/dev/i2c-1@0x71". */
  readonly name: string;
  /** The bus this port sits on ("/dev/i2c-1"); ports of one bus share one lock. Default: name. */
  readonly bus?: string;
  writeSync(data: Uint8Array): void;
  readSync(length: number): Uint8Array;
  write(data: Uint8Array): Promise<void>;
  read(length: number): Promise<Uint8Array>;
  close(): void;
}

export interface SpiSegment {
  /** Bytes to send; when absent the port sends 0xFF filler. If present, send.length must equal length. */
  send?: Uint8Array;
  /** Number of bytes clocked in this segment. */
  length: number;
  /** Pause after this segment, in microseconds, with chip select still asserted. */
  delayUs?: number;
}

export interface SpiPort {
  readonly kind: "spi";
  /** Human-readable device, e.g. "/dev/spidev0.0". */
  readonly name: string;
  /** The bus this port sits on ("/dev/spidev0" for both chip selects); default: name. */
  readonly bus?: string;
  /** One message: chip select asserted for all segments. Returns the received bytes per segment. */
  transferSync(segments: SpiSegment[]): Uint8Array[];
  transfer(segments: SpiSegment[]): Promise<Uint8Array[]>;
  close(): void;
}

export type Port = I2cPort | SpiPort;
