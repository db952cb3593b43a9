// The simulator's bus tap (docs/se-profile.md "The simulated SE"): a probe on the I2C / SPI
// wires that sees every byte the host drives and reads, in order, for the wiretap checks.
import { describe, expect, it } from "vitest";
import { createSimulatedStack } from "../../hal/sim/stack.js";
import { toHex } from "../../reference/bytes.js";

const TID = Uint8Array.from([0x67, 0x10, 0x07, 0xe1, 0x00, 0x29, 0xb0, 0xa2]);
const PSK = new Uint8Array(16).fill(0x42);

describe.each(["i2c", "spi"] as const)("bus tap on FM %s", (bus) => {
  it("records every byte in both directions: the APDU out, the TID in, byte counts equal the stats", () => {
    const seen: { dir: "out" | "in"; bytes: Uint8Array }[] = [];
    const s = createSimulatedStack({ bus, identity: { tid: TID, psk: PSK }, tap: (dir, bytes) => seen.push({ dir, bytes }) });
    expect(toHex(s.client.getTidSync())).toBe(toHex(TID));
    const out = seen.filter((x) => x.dir === "out").map((x) => toHex(x.bytes));
    const inn = seen.filter((x) => x.dir === "in").map((x) => toHex(x.bytes));
    expect(out.join("|")).toContain("80ca0001");
    expect(inn.join("|")).toContain(toHex(TID));
    const total = (d: "out" | "in") => seen.filter((x) => x.dir === d).reduce((n, x) => n + x.bytes.length, 0);
    expect(total("out")).toBe(s.sim.stats.bytesOut);
    expect(total("in")).toBe(s.sim.stats.bytesIn);
    // the tap can be detached and replaced
    s.sim.port.tap = null;
    const n = seen.length;
    s.client.getTidSync();
    expect(seen.length).toBe(n);
  });
  it("refuses a tap that is not a function", () => {
    expect(() => createSimulatedStack({ bus, tap: 1 as unknown as () => void })).toThrow(/tap/);
  });
});
