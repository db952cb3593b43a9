// Board → port → link → APDU channel in one call (docs/hal.md "Using it"; docs/design.md "Where
// each part lives": implementations are chosen from the board file, never by editing code). Real
// boards open /dev/i2c-N or /dev/spidevB.C through the bus adapters (hal/bus) on the system clock;
// simulated boards build the simulated SE (hal/sim) on a virtual clock, with the board's bus speed
// as the simulated bus rate; TEE boards open a session with the TID trusted application through
// /dev/teeN (hal/tee, docs/tee.md) and have no port.
//
//   const { link, channel, close } = openBoard("rpi4-i2c");
//   const atr = await link.atr();
//   const random = await channel.send({ cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 8 });
//   close();
import type { Clock } from "./clock.js";
import { SystemClock } from "./clock.js";
import { openI2cPort, type I2cBusModule } from "./bus/i2c.js";
import { openSpiPort, type SpiDeviceModule } from "./bus/spi.js";
import type { Port } from "./bus/port.js";
import { FmI2cLink } from "./link/fm-i2c.js";
import { FmSpiLink } from "./link/fm-spi.js";
import type { Link, LinkTiming } from "./link/link.js";
import { ApduChannel, type ApduChannelOptions } from "./apdu/channel.js";
import { loadBoard, type Board } from "./boards.js";
import { createSimulatedSe, type SimulatedSe, type SimulatedSeOptions } from "./sim/index.js";
import { openTeeLink, type TeeLinkOptions } from "./tee/tee-link.js";

export interface OpenBoardOptions {
  /** Clock for the link (default: SystemClock for hardware, a VirtualClock for sim boards). */
  clock?: Clock;
  /** Link timing on top of the board's own overrides. */
  timing?: Partial<LinkTiming>;
  /** Per-step trace ("Tx> …"); default: stderr when TID_DEBUG=hal. */
  trace?: (line: string) => void;
  /** APDU channel options (chunk size, GET RESPONSE limits). */
  apdu?: ApduChannelOptions;
  /** Options for the simulated SE of a sim board (identity, seed, faults, chip timing, …). */
  simulator?: Omit<SimulatedSeOptions, "bus" | "clock">;
  /** Inject the `i2c-bus` module (tests); default: loaded when needed. */
  i2cModule?: I2cBusModule;
  /** Inject the `spi-device` module (tests); default: loaded when needed. */
  spiModule?: SpiDeviceModule;
  /** Inject the TEE client addon (tests); default: loaded when needed. */
  teeNative?: TeeLinkOptions["native"];
}

export interface OpenedBoard {
  board: Board;
  /** The bus port; none on a TEE board, whose link is a TEE session. */
  port?: Port;
  link: Link;
  channel: ApduChannel;
  clock: Clock;
  /** The simulated SE, for sim boards. */
  se?: SimulatedSe;
  /** Close the port (or the TEE session). */
  close(): void;
}

/**
 * Open a board by name (see hal/boards.ts, env overrides honoured) or from a loaded Board.
 * @throws BoardError (unknown board / bad field), RangeError, BusError (NO_MODULE, ENOENT, EACCES, …),
 *   TeeError (TEE boards: NO_MODULE, NO_DEVICE, PERMISSION, TA_NOT_FOUND, NO_SUPPLICANT, BUSY, …)
 */
export function openBoard(board: Board | string, options: OpenBoardOptions = {}): OpenedBoard {
  const b = typeof board === "string" ? loadBoard(board) : board;
  if (b.bus === "tee") {
    const clock = options.clock ?? new SystemClock();
    const link = openTeeLink({
      device: b.device,
      uuid: b.ta,
      login: b.login,
      ...(b.group !== undefined ? { group: b.group } : {}),
      clock,
      ...(options.trace ? { trace: options.trace } : {}),
      ...(options.teeNative ? { native: options.teeNative } : {}),
    });
    const channel = new ApduChannel(link, options.apdu);
    return { board: b, link, channel, clock, close: () => link.close() };
  }
  let port: Port;
  let clock: Clock;
  let se: SimulatedSe | undefined;
  if (b.sim) {
    const sim: SimulatedSeOptions = {
      ...options.simulator,
      bus: b.bus,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(b.bus === "i2c" ? { address: b.address } : {}),
      busTiming: { ...(b.bus === "i2c" ? { i2cHz: b.speedHz } : { spiHz: b.speedHz }), ...options.simulator?.busTiming },
    };
    se = createSimulatedSe(sim);
    port = se.port;
    clock = se.clock;
  } else {
    clock = options.clock ?? new SystemClock();
    port =
      b.bus === "i2c"
        ? openI2cPort({ bus: b.busNumber, address: b.address, ...(options.i2cModule ? { module: options.i2cModule } : {}) })
        : openSpiPort({
            bus: b.busNumber,
            chipSelect: b.chipSelect,
            mode: b.mode,
            speedHz: b.speedHz,
            ...(options.spiModule ? { module: options.spiModule } : {}),
          });
  }
  const linkOptions = {
    clock,
    timing: { ...b.timing, ...options.timing },
    ...(options.trace ? { trace: options.trace } : {}),
  };
  const link: Link = port.kind === "i2c" ? new FmI2cLink(port, linkOptions) : new FmSpiLink(port, linkOptions);
  const channel = new ApduChannel(link, options.apdu);
  return { board: b, port, link, channel, clock, ...(se ? { se } : {}), close: () => port.close() };
}
