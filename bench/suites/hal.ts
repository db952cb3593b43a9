// HAL bench (docs/benchmarks.md "HAL (simulated bus)"): simulated bus time of one AUTH BEGIN + AUTH
// FINISH exchange (the worked example of test/vectors/tid-v1-example.json) through the real host
// stack (hal/se → hal/apdu → hal/link) against the simulated SE, at 400 kHz FM I2C and 2 MHz FM
// SPI; then the same exchange on the shielded link (docs/se-profile.md "The shielded link"; the
// session opened first with the keys of test/vectors/se-link-example.json, on its own row), and
// the ratio shielded / unshielded.
// The figures are simulated time from the timing model (hal/sim/timing.ts), not wall time, so
// they are exact and repeatable: `us` = time the bus was busy, in µs; row.extra has the wire
// bytes vs APDU bytes (framing overhead), the SE's processing time and the whole elapsed time
// including the host's frame delay and polling.
import { readFileSync } from "node:fs";
import { createSimulatedStack } from "../../hal/sim/stack.js";
import { round, type Row, type Suite } from "../harness.js";
import { fromHex } from "../../reference/bytes.js";

interface Example {
  TID: string;
  PSK: string;
  Nd: string;
  deviceEphemeralPrivate: string;
  deviceTime: number;
  serverData: string;
  authcode: string;
  sessionToken: string;
}

interface LinkExample {
  SK_SE: string;
  PK_SE: string;
  hostEphemeralPrivate: string;
  seEphemeralPrivate: string;
  challenge: string;
}

function vector<T>(name: string): T {
  // dist/bench/suites/hal.js sits three levels below the repo root, bench/suites/hal.ts two.
  const url = new URL(`../../../test/vectors/${name}`, import.meta.url);
  const alt = new URL(`../../test/vectors/${name}`, import.meta.url);
  try {
    return JSON.parse(readFileSync(url, "utf8")) as T;
  } catch {
    return JSON.parse(readFileSync(alt, "utf8")) as T;
  }
}

const example = (): Example => vector<Example>("tid-v1-example.json");

type Bus = "i2c" | "spi";
const busName = (bus: Bus): string => (bus === "i2c" ? "i2c-400k" : "spi-2m");

/** Counters of the link and the simulator, to take the difference around a step. */
function snapshot(s: ReturnType<typeof createSimulatedStack>) {
  const ls = s.link.stats;
  const st = s.sim.stats;
  return {
    apduBytes: ls.apduBytesOut + ls.apduBytesIn,
    wireBytes: ls.wireBytesOut + ls.wireBytesIn,
    transactions: ls.transactions,
    polls: s.sim.port.kind === "i2c" ? ls.nacks : ls.busyPolls,
    busMs: st.busTimeMs,
    busyMs: st.busyMs,
    at: s.clock.now(),
  };
}

function rowOf(op: string, impl: Row["impl"], bus: Bus, s: ReturnType<typeof createSimulatedStack>, a: ReturnType<typeof snapshot>): Row {
  const b = snapshot(s);
  const apduBytes = b.apduBytes - a.apduBytes;
  const wireBytes = b.wireBytes - a.wireBytes;
  return {
    op,
    impl,
    size: apduBytes,
    us: round((b.busMs - a.busMs) * 1000, 1),
    mbps: 0,
    extra: {
      busHz: bus === "i2c" ? s.sim.busTiming.i2cHz : s.sim.busTiming.spiHz,
      apduBytes,
      wireBytes,
      framingOverhead: round(wireBytes / apduBytes - 1, 3),
      transactions: b.transactions - a.transactions,
      polls: b.polls - a.polls,
      seBusyUs: round((b.busyMs - a.busyMs) * 1000, 1),
      elapsedUs: round((b.at - a.at) * 1000, 1),
    },
  };
}

/** AUTH BEGIN + AUTH FINISH of the worked example on `s`; throws unless it reproduces it. */
function auth(s: ReturnType<typeof createSimulatedStack>, ex: Example, bus: Bus): void {
  s.sim.applet.injectNextAuth({ nd: fromHex(ex.Nd), ephemeralPrivate: fromHex(ex.deviceEphemeralPrivate) });
  const authcode = s.client.authBeginSync({ time: ex.deviceTime });
  const token = s.client.authFinishSync(fromHex(ex.serverData), { returnToken: true });
  if (Buffer.from(authcode).toString("hex") !== ex.authcode || !token || Buffer.from(token).toString("hex") !== ex.sessionToken) {
    throw new Error(`hal bench: the ${bus} exchange did not reproduce the worked example`);
  }
}

/** The shielded rows: OPEN SECURE SESSION on its own, then the same AUTH BEGIN + AUTH FINISH. */
function shielded(bus: Bus, ex: Example): Row[] {
  const lx = vector<LinkExample>("se-link-example.json");
  const s = createSimulatedStack({
    bus,
    identity: { tid: fromHex(ex.TID), psk: fromHex(ex.PSK) },
    linkKey: fromHex(lx.SK_SE),
    pinnedKey: fromHex(lx.PK_SE),
  });
  s.sim.applet.injectNextOpen(fromHex(lx.seEphemeralPrivate));
  s.client.secure!.injectNextOpen({ ephemeralPrivate: fromHex(lx.hostEphemeralPrivate), challenge: fromHex(lx.challenge) });
  const a = snapshot(s);
  s.client.secure!.openSync();
  const open = rowOf(`se-open-session-${busName(bus)}`, "shielded", bus, s, a);
  const b = snapshot(s);
  auth(s, ex, bus);
  return [open, rowOf(`se-auth-bus-${busName(bus)}`, "shielded", bus, s, b)];
}

function unshielded(bus: Bus, ex: Example): Row {
  const s = createSimulatedStack({ bus, identity: { tid: fromHex(ex.TID), psk: fromHex(ex.PSK) } });
  const a = snapshot(s);
  auth(s, ex, bus);
  return rowOf(`se-auth-bus-${busName(bus)}`, "unshielded", bus, s, a);
}

function authExchange(bus: "i2c" | "spi", ex: Example): Row {
  const s = createSimulatedStack({ bus, identity: { tid: fromHex(ex.TID), psk: fromHex(ex.PSK) } });
  s.sim.applet.injectNextAuth({ nd: fromHex(ex.Nd), ephemeralPrivate: fromHex(ex.deviceEphemeralPrivate) });
  const t0 = s.clock.now();
  const authcode = s.client.authBeginSync({ time: ex.deviceTime });
  const token = s.client.authFinishSync(fromHex(ex.serverData), { returnToken: true });
  const elapsedMs = s.clock.now() - t0;
  if (Buffer.from(authcode).toString("hex") !== ex.authcode || !token || Buffer.from(token).toString("hex") !== ex.sessionToken) {
    throw new Error(`hal bench: the ${bus} exchange did not reproduce the worked example`);
  }
  const ls = s.link.stats;
  const st = s.sim.stats;
  const apduBytes = ls.apduBytesOut + ls.apduBytesIn;
  const wireBytes = ls.wireBytesOut + ls.wireBytesIn;
  const mhz = bus === "i2c" ? s.sim.busTiming.i2cHz : s.sim.busTiming.spiHz;
  return {
    op: bus === "i2c" ? "se-auth-i2c-400k" : "se-auth-spi-2m",
    impl: "sim",
    size: apduBytes,
    us: round(st.busTimeMs * 1000, 1),
    mbps: 0,
    extra: {
      busHz: mhz,
      apduBytes,
      wireBytes,
      framingOverhead: round(wireBytes / apduBytes - 1, 3),
      transactions: ls.transactions,
      polls: bus === "i2c" ? ls.nacks : ls.busyPolls,
      seBusyUs: round(st.busyMs * 1000, 1),
      elapsedUs: round(elapsedMs * 1000, 1),
    },
  };
}

export const suite: Suite = {
  name: "hal (simulated SE: AUTH BEGIN + AUTH FINISH, worked example)",
  run(_opt, log) {
    const ex = example();
    const rows = (["i2c", "spi"] as const).map((bus) => authExchange(bus, ex));
    const link: Row[] = [];
    for (const bus of ["i2c", "spi"] as const) link.push(unshielded(bus, ex), ...shielded(bus, ex));
    rows.push(...link);
    for (const r of rows) {
      const e = r.extra!;
      log(
        `  ${r.op}: bus ${r.us} µs for ${e.apduBytes} APDU bytes as ${e.wireBytes} wire bytes ` +
          `(+${(Number(e.framingOverhead) * 100).toFixed(1)} % framing and polling), ${e.transactions} transactions; ` +
          `SE busy ${e.seBusyUs} µs; elapsed ${e.elapsedUs} µs`,
      );
    }
    for (const bus of ["i2c", "spi"] as const) {
      const plain = link.find((r) => r.op === `se-auth-bus-${busName(bus)}` && r.impl === "unshielded")!;
      const sh = link.find((r) => r.op === `se-auth-bus-${busName(bus)}` && r.impl === "shielded")!;
      const open = link.find((r) => r.op === `se-open-session-${busName(bus)}`)!;
      log(
        `  ${busName(bus)}: shielded / unshielded AUTH BEGIN + AUTH FINISH bus time ${(sh.us / plain.us).toFixed(3)}× ` +
          `(${plain.us} → ${sh.us} µs; APDU bytes ${plain.size} → ${sh.size}), session open ${open.us} µs of bus, SE busy ${open.extra!.seBusyUs} µs (once per session)`,
      );
    }
    return rows;
  },
};
