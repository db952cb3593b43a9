// The auth server's structured logs (docs/server.md "Logs"): JSON lines through pino, one record
// per request with its request id (the client's X-Request-Id when it is a sane token, else a new
// UUID; sent back in X-Request-Id), method, path, status, error code and duration. Events that a
// misbehaving or unlucky client can produce by the thousand — a client that hangs up
// (`client-aborted`), a request not received in time (`timeout`), a malformed request line or
// header (`bad-request`) — are logged as what they are, without a stack, and at most
// EVENT_BURST per kind and second: what is left out is counted in the next record (`suppressed`).
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { pino, type Logger } from "pino";

export type { Logger };

/** A log sink for tests and embedders: one parsed record per call. */
export type LogFunction = (record: Record<string, unknown>) => void;

/**
 * The server's logger: `logger` as given, or a pino logger whose lines go to `log` (parsed), or
 * a silent one.
 */
export function createLogger(options: { logger?: Logger; log?: LogFunction }): Logger {
  if (options.logger) return options.logger;
  const log = options.log;
  if (!log) return pino({ enabled: false });
  return pino({ base: undefined }, { write: (line: string) => log(JSON.parse(line) as Record<string, unknown>) });
}

/** A pino logger writing each JSON line (no trailing newline) to `write`; `tid server --log` gives stderr. */
export function jsonLinesLogger(write: (line: string) => void): Logger {
  return pino({ base: { pid: process.pid } }, { write: (line: string) => write(line.trimEnd()) });
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id: the client's X-Request-Id when it is 1..128 of [A-Za-z0-9._:-], else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Records per kind and second before the rest are only counted. */
export const EVENT_BURST = 10;

/** At most `burst` records per kind in each `windowMs`; the count of those left out goes with the next one let through. */
export class LogThrottle {
  private readonly kinds = new Map<string, { windowStart: number; count: number; suppressed: number }>();
  constructor(
    private readonly burst = EVENT_BURST,
    private readonly windowMs = 1_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** undefined: leave this record out; else the number left out since the last one (0 if none). */
  admit(kind: string): number | undefined {
    const now = this.clock();
    let k = this.kinds.get(kind);
    if (!k || now - k.windowStart >= this.windowMs) {
      const suppressed = k?.suppressed ?? 0;
      k = { windowStart: now, count: 1, suppressed: 0 };
      this.kinds.set(kind, k);
      return suppressed;
    }
    if (k.count < this.burst) {
      k.count++;
      const suppressed = k.suppressed;
      k.suppressed = 0;
      return suppressed;
    }
    k.suppressed++;
    return undefined;
  }
}
