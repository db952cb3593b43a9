// A whole host stack on a simulated SE, for tests, the CLI and the demo: simulator → real link
// driver (hal/link) → APDU channel (hal/apdu) → typed SE calls (hal/se), all on one VirtualClock.
// Only this file of hal/sim depends on the host layers; the simulator itself knows only ports.
import { VirtualClock, type Clock } from "../clock.js";
import { ApduChannel } from "../apdu/channel.js";
import { FmI2cLink } from "../link/fm-i2c.js";
import { FmSpiLink } from "../link/fm-spi.js";
import type { Link, LinkTiming } from "../link/link.js";
import { SeClient } from "../se/client.js";
import { createSimulatedSe, type SimulatedSe, type SimulatedSeOptions } from "./index.js";

export interface SimulatedStackOptions extends SimulatedSeOptions {
  /** link driver timing (default: the FMSE-A03 values of hal/link) */
  linkTiming?: Partial<LinkTiming>;
  /** link debug trace */
  trace?: (line: string) => void;
  /** PK.SE to pin on the client: it then uses the shielded link (pair the chip with `linkKey`) */
  pinnedKey?: Uint8Array;
}

export interface SimulatedStack {
  sim: SimulatedSe;
  clock: Clock;
  link: Link;
  channel: ApduChannel;
  client: SeClient;
}

export function createSimulatedStack(options: SimulatedStackOptions): SimulatedStack {
  const clock = options.clock ?? new VirtualClock();
  const sim = createSimulatedSe({ ...options, clock });
  const linkOptions = {
    clock,
    ...(options.linkTiming ? { timing: options.linkTiming } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
  };
  const link: Link = sim.port.kind === "i2c" ? new FmI2cLink(sim.port, linkOptions) : new FmSpiLink(sim.port, linkOptions);
  const channel = new ApduChannel(link);
  const client = new SeClient(channel, options.pinnedKey !== undefined ? { pinnedKey: options.pinnedKey } : {});
  return { sim, clock, link, channel, client };
}
