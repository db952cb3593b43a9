// The auth server's metrics in the Prometheus text format, through prom-client (docs/server.md
// "Metrics"): authentications by result, accepted authentications by algorithm suite, request
// latency by route, requests refused by the rate limits, the registry's device count and the
// replay caches' sizes (read at each scrape), and prom-client's standard process metrics. Each
// server has its own prom-client registry, so several servers in one process do not mix their
// figures.
import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from "prom-client";

/** What the size gauges read at scrape time (sync or async, as the registry implementation is). */
export interface RegistrySizes {
  countDevices(): number | Promise<number>;
  replayCacheSize(): { authcodes: number; nonces: number } | Promise<{ authcodes: number; nonces: number }>;
}

export type Route = "auth" | "admin" | "health" | "metrics" | "other";

export class ServerMetrics {
  readonly register = new PromRegistry();
  private readonly auths: Counter<"result">;
  private readonly suites: Counter<"suite">;
  private readonly latency: Histogram<"route">;
  private readonly limited: Counter<"scope">;

  constructor(sizes: RegistrySizes) {
    const registers = [this.register];
    this.auths = new Counter({
      name: "tid_auth_requests_total",
      help: "POST /v1/auth requests by result: ok, or the error code answered",
      labelNames: ["result"],
      registers,
    });
    this.suites = new Counter({
      name: "tid_auth_accepted_total",
      help: "POST /v1/auth requests answered 200, by the device's algorithm suite: sm or intl",
      labelNames: ["suite"],
      registers,
    });
    this.latency = new Histogram({
      name: "tid_http_request_duration_seconds",
      help: "time from a request's arrival to its answer, by route",
      labelNames: ["route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.limited = new Counter({
      name: "tid_rate_limited_total",
      help: "requests answered 429 by the rate limits, by scope (address: unauthenticated failures of a client address; user: a userUin's requests)",
      labelNames: ["scope"],
      registers,
    });
    new Gauge({
      name: "tid_registry_devices",
      help: "devices in the registry",
      registers,
      async collect() {
        this.set(await sizes.countDevices());
      },
    });
    new Gauge({
      name: "tid_replay_cache_entries",
      help: "entries in the replay caches: authcodes = accepted (TID, Nd), nonces = signed request nonces",
      labelNames: ["cache"],
      registers,
      async collect() {
        const s = await sizes.replayCacheSize();
        this.set({ cache: "authcodes" }, s.authcodes);
        this.set({ cache: "nonces" }, s.nonces);
      },
    });
    collectDefaultMetrics({ register: this.register });
  }

  /** One /v1/auth answered: "ok" or its error code. */
  auth(result: string): void {
    this.auths.inc({ result });
  }

  /** One authentication accepted for a device of `suite`. */
  accepted(suite: string): void {
    this.suites.inc({ suite });
  }

  /** One request answered after `seconds`. */
  observe(route: Route, seconds: number): void {
    this.latency.observe({ route }, seconds);
  }

  rateLimited(scope: "address" | "user"): void {
    this.limited.inc({ scope });
  }

  /** The text exposition and its content type. */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.register.metrics(), contentType: this.register.contentType };
  }
}
