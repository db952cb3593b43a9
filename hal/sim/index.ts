// The simulated Fudan Micro SE (docs/se-profile.md "The simulated SE"): the TID applet v1 on a chip
// model behind an I2cPort or SpiPort, on a shared clock, with a timing model and a fault plan.
//
//   const se = createSimulatedSe({ bus: "i2c", clock, identity: { tid, psk } });
//   const link = new FmI2cLink(se.port, { clock });      // the real link driver
//   …                                                     // se.stats: bus time, busy time, …
//   se.chip.reset();                                      // simulated reset (identity kept)
//   se.applet.injectNextAuth({ nd, ephemeralPrivate });   // worked-example test hook
//   createSimulatedSe({ bus, linkKey: skSe, tap })        // a paired (shielded) SE; a bus probe
//
// Without a clock a VirtualClock is made (se.clock); pass the same clock to the link driver.
import type { Clock } from "../clock.js";
import { VirtualClock } from "../clock.js";
import { TidApplet, type Identity } from "./applet.js";
import { emptySimStats, SimChip, type SimStats } from "./chip.js";
import { FaultPlan, type FaultPlanOptions } from "./faults.js";
import { SimI2cPort, type BusTap } from "./i2c.js";
import { SimSpiPort } from "./spi.js";
import { resolveBusTiming, resolveChipTiming, type BusTiming, type ChipTiming } from "./timing.js";

export interface SimulatedSeOptions<B extends "i2c" | "spi" = "i2c" | "spi"> {
  bus: B;
  /** shared clock (default: a new VirtualClock); the simulator advances it by bus time */
  clock?: Clock;
  /** identity already provisioned (and locked when `locked`) */
  identity?: Identity;
  /** seed of the chip's TRNG (GET CHALLENGE, Nd, ephemeral keys); default: node:crypto */
  seed?: number | string;
  /** a fault plan, or its options; default: none */
  faults?: FaultPlan | FaultPlanOptions;
  /** bus clock and overheads (default 400 kHz I2C, 2 MHz SPI) */
  busTiming?: Partial<BusTiming>;
  /** per-operation processing times */
  chipTiming?: Partial<ChipTiming>;
  /** 7-bit I2C address (default 0x71) */
  address?: number;
  /** port name (default "sim:i2c@0x71" / "sim:spi0.0") */
  name?: string;
  /** session slots (default 8) */
  slots?: number;
  /** SK.SE, the link's static private key, already in NVM: a paired, shielded SE (default: none) */
  linkKey?: Uint8Array;
  /**
   * a probe on the wires: (dir, bytes) once per bus transaction that moved data, "out" = what the
   * host drove, "in" = what it read (the wiretap tests and the demo's bus capture use it)
   */
  tap?: BusTap;
}

export interface SimulatedSe<P extends SimI2cPort | SimSpiPort = SimI2cPort | SimSpiPort> {
  port: P;
  chip: SimChip;
  applet: TidApplet;
  clock: Clock;
  faults: FaultPlan | null;
  stats: SimStats;
  busTiming: BusTiming;
  chipTiming: ChipTiming;
}

export function createSimulatedSe(options: SimulatedSeOptions<"i2c">): SimulatedSe<SimI2cPort>;
export function createSimulatedSe(options: SimulatedSeOptions<"spi">): SimulatedSe<SimSpiPort>;
export function createSimulatedSe(options: SimulatedSeOptions): SimulatedSe;
export function createSimulatedSe(options: SimulatedSeOptions): SimulatedSe {
  if (options.bus !== "i2c" && options.bus !== "spi") {
    throw new TypeError(`bus must be "i2c" or "spi", got ${JSON.stringify(options.bus)}`);
  }
  const clock = options.clock ?? new VirtualClock();
  const busTiming = resolveBusTiming(options.busTiming);
  const chipTiming = resolveChipTiming(options.chipTiming);
  const applet = new TidApplet({
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.slots !== undefined ? { slots: options.slots } : {}),
    ...(options.linkKey !== undefined ? { linkKey: options.linkKey } : {}),
  });
  const stats = emptySimStats();
  const chip = new SimChip(applet, clock, chipTiming, stats);
  const faults = options.faults === undefined ? null : options.faults instanceof FaultPlan ? options.faults : new FaultPlan(options.faults);
  const port =
    options.bus === "i2c"
      ? new SimI2cPort(chip, busTiming, faults, stats, {
          ...(options.address !== undefined ? { address: options.address } : {}),
          ...(options.name !== undefined ? { bus: options.name } : {}),
          ...(options.tap !== undefined ? { tap: options.tap } : {}),
        })
      : new SimSpiPort(chip, busTiming, faults, stats, {
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.tap !== undefined ? { tap: options.tap } : {}),
        });
  return { port, chip, applet, clock, faults, stats, busTiming, chipTiming };
}

export {
  TidApplet,
  seededRandom,
  type AppletResult,
  type AppletWork,
  type AppletNvm,
  type Identity,
  type AppletOptions,
} from "./applet.js";
export { SimChip, emptySimStats, type SimStats, type ChipLogEntry, type ChipOutput } from "./chip.js";
export {
  FaultPlan,
  FAULT_KINDS,
  prng,
  type Fault,
  type FaultKind,
  type FaultPlanOptions,
  type ScriptedFault,
  type TransactionOp,
} from "./faults.js";
export { SimI2cPort, seI2cFrame, type BusTap } from "./i2c.js";
export { SimSpiPort, seSpiFrame, type SpiOp } from "./spi.js";
export {
  DEFAULT_BUS_TIMING,
  DEFAULT_CHIP_TIMING,
  i2cTransactionMs,
  processingMs,
  spiMessageMs,
  type BusTiming,
  type ChipTiming,
} from "./timing.js";
