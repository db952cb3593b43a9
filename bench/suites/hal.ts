// HAL bench (docs/benchmarks.md "HAL (simulated bus)"): simulated bus time of one AUTH BEGIN + AUTH
// FINISH exchange (the worked example of test/vectors/tid-v1-example.json) through the real host
// stack (hal/se → hal/apdu → hal/link) against the simulated SE, at 400 kHz FM I2C and 2 MHz FM
// SPI.
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

function example(): Example {
  // dist/bench/suites/hal.js and bench/suites/hal.ts both sit three levels below the repo root.
  const url = new URL("../../../test/vectors/tid-v1-example.json", import.meta.url);
  const alt = new URL("../../test/vectors/tid-v1-example.json", import.meta.url);
  try {
    return JSON.parse(readFileSync(url, "utf8")) as Example;
  } catch {
    return JSON.parse(readFileSync(alt, "utf8")) as Example;
  }
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
    for (const r of rows) {
      const e = r.extra!;
      log(
        `  ${r.op}: bus ${r.us} µs for ${e.apduBytes} APDU bytes as ${e.wireBytes} wire bytes ` +
          `(+${(Number(e.framingOverhead) * 100).toFixed(1)} % framing and polling), ${e.transactions} transactions; ` +
          `SE busy ${e.seBusyUs} µs; elapsed ${e.elapsedUs} µs`,
      );
    }
    return rows;
  },
};
