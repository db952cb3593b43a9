// The token buckets of the rate limits (server/app/rate-limit.ts) and the log throttle
// (server/app/logging.ts) on a fake clock: burst, refill, Retry-After, the bounded key table, and
// the count of records left out.
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../server/app/rate-limit.js";
import { LogThrottle } from "../../server/app/logging.js";

describe("RateLimiter", () => {
  it("a burst, then one token per 1/perSecond, with the wait in whole seconds", () => {
    let t = 0;
    const r = new RateLimiter({ perSecond: 2, burst: 3 }, { clock: () => t });
    expect([r.take("a"), r.take("a"), r.take("a")]).toEqual([0, 0, 0]);
    expect(r.take("a")).toBe(1); // 0.5 s to the next token, rounded up to 1
    expect(r.retryAfter("a")).toBe(1);
    expect(r.take("b")).toBe(0); // keys are apart
    t = 500;
    expect(r.retryAfter("a")).toBe(0);
    expect(r.take("a")).toBe(0);
    expect(r.take("a")).toBe(1);
    t = 60_000;
    expect([r.take("a"), r.take("a"), r.take("a"), r.take("a")]).toEqual([0, 0, 0, 1]); // never more than the burst
  });

  it("a slow rate: Retry-After covers the whole wait", () => {
    let t = 0;
    const r = new RateLimiter({ perSecond: 0.1, burst: 1 }, { clock: () => t });
    expect(r.take("k")).toBe(0);
    expect(r.take("k")).toBe(10);
    t = 4_000;
    expect(r.retryAfter("k")).toBe(6);
  });

  it("retryAfter takes nothing and knows nothing of unseen keys", () => {
    const r = new RateLimiter({ perSecond: 1, burst: 1 }, { clock: () => 0 });
    expect(r.retryAfter("new")).toBe(0);
    expect(r.size).toBe(0);
  });

  it("the key table stays bounded: full buckets go first, then the oldest", () => {
    let t = 0;
    const r = new RateLimiter({ perSecond: 1, burst: 2 }, { clock: () => t, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) r.take(`addr-${i}`);
    expect(r.size).toBeLessThanOrEqual(100);
    t = 10_000; // every bucket refilled: all can go
    r.take("late");
    expect(r.size).toBeLessThanOrEqual(100);
  });

  it("refuses nonsense rates", () => {
    expect(() => new RateLimiter({ perSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new RateLimiter({ perSecond: 1, burst: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({ perSecond: Infinity, burst: 1 })).toThrow(/perSecond/);
  });
});

describe("LogThrottle", () => {
  it("lets `burst` records per kind through each window; the next one carries the count left out", () => {
    let t = 0;
    const th = new LogThrottle(3, 1_000, () => t);
    const admitted = Array.from({ length: 10 }, () => th.admit("client-aborted"));
    expect(admitted).toEqual([0, 0, 0, undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(th.admit("timeout")).toBe(0); // kinds are apart
    t = 1_000;
    expect(th.admit("client-aborted")).toBe(7);
    expect(th.admit("client-aborted")).toBe(0);
  });
});
