// Token buckets keyed by a string (docs/server.md "Rate limits"): a client address or a userUin.
// Each key's bucket holds up to `burst` tokens and refills at `perSecond`; a request that finds no
// whole token is refused with the seconds until one is back (the Retry-After of a 429). Buckets
// that have refilled completely carry no information and are dropped when the table grows past
// `maxKeys`; if it is still full then, the oldest keys go (a flood of new addresses cannot grow
// the table without bound).
export interface BucketRate {
  /** tokens added per second, > 0 */
  perSecond: number;
  /** the most tokens a bucket holds (the burst allowed after a quiet spell), ≥ 1 */
  burst: number;
}

interface Bucket {
  tokens: number;
  /** ms timestamp of the last refill */
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  readonly perSecond: number;
  readonly burst: number;
  private readonly maxKeys: number;
  private readonly clock: () => number;

  constructor(rate: BucketRate, options: { maxKeys?: number; clock?: () => number } = {}) {
    if (!(rate.perSecond > 0) || !Number.isFinite(rate.perSecond))
      throw new RangeError(`perSecond must be a positive number, got ${rate.perSecond}`);
    if (!(rate.burst >= 1) || !Number.isFinite(rate.burst)) throw new RangeError(`burst must be a number ≥ 1, got ${rate.burst}`);
    this.perSecond = rate.perSecond;
    this.burst = rate.burst;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.clock = options.clock ?? Date.now;
  }

  private refill(key: string, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
      return b;
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    return b;
  }

  private evict(now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(k);
    }
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(k);
    }
  }

  /** Seconds (≥ 1, whole) until `key` has a token again; 0 when it has one now. Takes nothing. */
  retryAfter(key: string): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(this.burst, b.tokens + ((this.clock() - b.at) / 1000) * this.perSecond);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
  }

  /** Take one token from `key`'s bucket: 0 when there was one, else the seconds to wait (nothing taken). */
  take(key: string): number {
    const now = this.clock();
    const b = this.refill(key, now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }

  /** Keys tracked now (for the metrics). */
  get size(): number {
    return this.buckets.size;
  }
}
