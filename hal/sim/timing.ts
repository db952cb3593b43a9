// Timing model of the simulated SE (figures and their sources in docs/se-profile.md, "Simulator
// timing model"). Two parts:
//   bus time   — how long one I2C or SPI transaction holds the wires, from the clock rate:
//                I2C: START + (address + n data bytes) × 9 clocks (8 bits + ACK) + STOP;
//                     a NACKed transaction costs START + 9 + STOP.
//                SPI: n bytes × 8 clocks, plus each segment's delayUs, plus chip-select setup.
//   busy time  — how long the chip works on a command before it answers, from the work the
//                applet reports (applet.ts AppletWork) and per-operation costs.
// All figures are assumptions for a hardware-accelerated SM2/SM3/SM4 secure element, not
// measurements of a Fudan Micro part (none are public); every one is configurable. Suite INTL's
// P-256 / SHA-256 / AES-128 work is charged the SM2 / SM3 / SM4 costs (work.ts).
import type { AppletWork } from "./applet.js";

export interface BusTiming {
  /** I2C SCL rate, Hz (FMSE-A03 drivers: 400 kHz fast mode). */
  i2cHz: number;
  /** SPI SCLK rate, Hz (AMetal FMSE-A03 board config: 2 MHz). */
  spiHz: number;
  /** Clocks for START + STOP (and bus free time) per I2C transaction. */
  i2cStartStopClocks: number;
  /** Chip-select setup + hold per SPI message, µs. */
  spiCsUs: number;
}

export interface ChipTiming {
  /** Fixed cost of receiving, dispatching and answering any APDU, ms. */
  commandMs: number;
  /** One SM2 key-pair generation (a fixed-base scalar multiplication), ms. */
  sm2KeygenMs: number;
  /** One SM2 ECDH (point check + variable-base scalar multiplication), ms. */
  sm2EcdhMs: number;
  /** SM3 / HMAC-SM3 throughput, bytes per ms. */
  sm3BytesPerMs: number;
  /** SM4 throughput, 16-byte blocks per ms. */
  sm4BlocksPerMs: number;
  /** One NVM (EEPROM/flash) page write, ms. */
  nvmWriteMs: number;
  /** TRNG throughput, bytes per ms. */
  trngBytesPerMs: number;
  /** GET ATR answer, ms. */
  atrMs: number;
  /** Boot after power-on or reset before the chip answers its address, ms. */
  bootMs: number;
  /** Answering a damaged frame with a NAK, ms. */
  nakMs: number;
  /** Gap between back-to-back WTX frames, ms. */
  wtxGapMs: number;
}

export const DEFAULT_BUS_TIMING: Readonly<BusTiming> = Object.freeze({
  i2cHz: 400_000,
  spiHz: 2_000_000,
  i2cStartStopClocks: 2,
  spiCsUs: 1,
});

export const DEFAULT_CHIP_TIMING: Readonly<ChipTiming> = Object.freeze({
  commandMs: 0.5,
  sm2KeygenMs: 40,
  sm2EcdhMs: 45,
  sm3BytesPerMs: 2_000,
  sm4BlocksPerMs: 100,
  nvmWriteMs: 10,
  trngBytesPerMs: 1_000,
  atrMs: 1,
  bootMs: 10,
  nakMs: 0.2,
  wtxGapMs: 2,
});

/** Milliseconds one I2C transaction of `bytes` data bytes holds the bus (nack: address only). */
export function i2cTransactionMs(bus: BusTiming, bytes: number, nack = false): number {
  const clocks = bus.i2cStartStopClocks + 9 * (1 + (nack ? 0 : bytes));
  return (clocks / bus.i2cHz) * 1000;
}

/** Milliseconds one SPI message holds the bus: its bytes, its pauses, chip-select setup. */
export function spiMessageMs(bus: BusTiming, bytes: number, delayUs: number): number {
  return ((bytes * 8) / bus.spiHz) * 1000 + (delayUs + bus.spiCsUs) / 1000;
}

/** Milliseconds the chip works on one command. */
export function processingMs(chip: ChipTiming, work: AppletWork): number {
  return (
    chip.commandMs +
    work.sm2Keygen * chip.sm2KeygenMs +
    work.sm2Ecdh * chip.sm2EcdhMs +
    work.sm3Bytes / chip.sm3BytesPerMs +
    work.sm4Blocks / chip.sm4BlocksPerMs +
    work.nvmWrites * chip.nvmWriteMs +
    work.randomBytes / chip.trngBytesPerMs
  );
}

function check<T extends object>(defaults: Readonly<T>, overrides: Partial<T> | undefined, what: string): T {
  const out = { ...defaults } as T;
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (!(k in defaults)) throw new TypeError(`${what}: unknown field "${k}"; valid: ${Object.keys(defaults).join(", ")}`);
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new RangeError(`${what}: ${k} must be a number ≥ 0, got ${String(v)}`);
    (out as Record<string, number>)[k] = v;
  }
  return out;
}

export function resolveBusTiming(o?: Partial<BusTiming>): BusTiming {
  const t = check(DEFAULT_BUS_TIMING, o, "bus timing");
  if (t.i2cHz <= 0 || t.spiHz <= 0) throw new RangeError("bus timing: i2cHz and spiHz must be > 0");
  return t;
}

export function resolveChipTiming(o?: Partial<ChipTiming>): ChipTiming {
  const t = check(DEFAULT_CHIP_TIMING, o, "chip timing");
  for (const k of ["sm3BytesPerMs", "sm4BlocksPerMs", "trngBytesPerMs"] as const) {
    if (t[k] <= 0) throw new RangeError(`chip timing: ${k} must be > 0`);
  }
  return t;
}
