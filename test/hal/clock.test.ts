// Clocks: VirtualClock moves only when asked (deterministic); SystemClock really waits, both in
// the blocking and the Promise form.
import { describe, expect, it } from "vitest";
import { SystemClock, VirtualClock } from "../../hal/clock.js";

describe("VirtualClock", () => {
  it("moves only on sleep, sleepSync and advance", async () => {
    const c = new VirtualClock(100);
    expect(c.now()).toBe(100);
    c.sleepSync(2.5);
    await c.sleep(5);
    c.advance(10);
    c.sleepSync(-3);
    expect(c.now()).toBe(117.5);
    expect(c.slept).toBe(7.5);
  });

  it("refuses NaN", () => {
    expect(() => new VirtualClock().sleepSync(NaN)).toThrow(TypeError);
  });

  it("a 16 s wait costs no real time", async () => {
    const c = new VirtualClock();
    const t0 = Date.now();
    for (let i = 0; i < 3200; i++) await c.sleep(5);
    expect(c.now()).toBe(16_000);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe("SystemClock", () => {
  it("sleepSync blocks for at least the time asked", () => {
    const c = new SystemClock();
    const t0 = c.now();
    c.sleepSync(3);
    expect(c.now() - t0).toBeGreaterThanOrEqual(3);
    c.sleepSync(0);
  });

  it("sleep resolves after the time asked", async () => {
    const c = new SystemClock();
    const t0 = c.now();
    await c.sleep(3);
    expect(c.now() - t0).toBeGreaterThanOrEqual(2.5);
  });

  it("sleep never resolves early, even when called just before a millisecond boundary", async () => {
    // Node's timers start from the event loop's whole-millisecond time, so a bare setTimeout(ms)
    // called at x.9 ms fires after about ms − 0.9 ms.
    const c = new SystemClock();
    for (let i = 0; i < 20; i++) {
      while (process.hrtime.bigint() % 1_000_000n < 900_000n) {
        // wait for the end of a millisecond
      }
      const t0 = c.now();
      await c.sleep(2);
      expect(c.now() - t0).toBeGreaterThanOrEqual(2);
    }
  });
});
