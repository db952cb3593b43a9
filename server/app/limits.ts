// The auth server's limits against floods (docs/server.md "Rate limits"), with their defaults:
//   - failures per client address: a token bucket charged by every 4xx answer given before the
//     request was authenticated (a bad shape, a bad signature, a wrong admin token, …). A client
//     whose bucket is empty is answered 429 before its request is even parsed. Authenticated
//     traffic never charges it, so a user server relaying a whole fleet from one address is not
//     slowed — the legitimate load of a fleet, however large, passes.
//   - requests per userUin: a token bucket charged by each /v1/auth request once its signature
//     verified (charging before would let anyone drain a user server's bucket by naming it).
//   - concurrent connections: server.maxConnections; connections past it are closed on accept.
// Each server process keeps its own buckets (with several processes, each has the full rate).
import { RateLimiter, type BucketRate } from "./rate-limit.js";

export interface RateLimitOptions {
  /** 4xx answers to unauthenticated requests per client address; false: no limit */
  failuresPerAddress?: BucketRate | false;
  /** authenticated /v1/auth requests per userUin; false: no limit */
  perUser?: BucketRate | false;
}

/** 20 unauthenticated failures a second per address, 200 at once after a quiet spell. */
export const DEFAULT_FAILURES_PER_ADDRESS: BucketRate = { perSecond: 20, burst: 200 };
/** 5,000 authentications a second per userUin, 10,000 at once: above what one machine serves. */
export const DEFAULT_PER_USER: BucketRate = { perSecond: 5_000, burst: 10_000 };
export const DEFAULT_MAX_CONNECTIONS = 1_024;

/** The limiters for `options` (false: none at all). */
export function createLimiters(options: RateLimitOptions | false | undefined): {
  failures: RateLimiter | undefined;
  perUser: RateLimiter | undefined;
} {
  if (options === false) return { failures: undefined, perUser: undefined };
  const failures = options?.failuresPerAddress ?? DEFAULT_FAILURES_PER_ADDRESS;
  const perUser = options?.perUser ?? DEFAULT_PER_USER;
  return {
    failures: failures === false ? undefined : new RateLimiter(failures),
    perUser: perUser === false ? undefined : new RateLimiter(perUser),
  };
}
