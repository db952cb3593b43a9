// Which names the auth server answers to (docs/server.md "Security model"). Admin calls and
// /metrics are accepted only with a Host header naming the server — a DNS-rebinding page reaches
// loopback under the attacker's name, and is refused — and without a cross-site Origin (a browser
// page of another site). The same names, with the scheme and port, are the audiences a signed
// /v1/auth request may name (request signing binds each request to one auth server).
import { networkInterfaces } from "node:os";
import type { IncomingMessage } from "node:http";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];

function isLoopbackAddress(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A host name or address as compared: lowercase, IPv6 without brackets. */
export function normalizeHostName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
}

/**
 * The names a server listening on `listenHost` answers to when none are configured: the loopback
 * names for a loopback address; for a wildcard address (0.0.0.0, ::) those and every address of
 * this machine's interfaces; otherwise the address itself. DNS names must be configured.
 */
export function defaultHostNames(listenHost: string): string[] {
  const host = normalizeHostName(listenHost);
  if (isLoopbackAddress(host)) return [...new Set([...LOOPBACK_NAMES, host])];
  if (host === "0.0.0.0" || host === "::") {
    const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => normalizeHostName(i.address)));
    return [...new Set([...LOOPBACK_NAMES, ...addresses])];
  }
  return [host];
}

/** The origin (scheme://host[:port], default port left out) of `scheme` and `name` on `port`. */
export function originOf(scheme: "http" | "https", name: string, port: number): string {
  const host = name.includes(":") ? `[${name}]` : name;
  return new URL(`${scheme}://${host}:${port}`).origin;
}

/** The name in a Host header ("name", "name:port", "[v6]:port"), normalized; undefined when malformed. */
function hostHeaderName(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::\d{1,5})?$/.exec(value.trim());
  return m ? normalizeHostName(m[1]!) : undefined;
}

/** Why a privileged request is refused because of its Host or Origin, or undefined when it is not. */
export function hostOrOriginProblem(req: IncomingMessage, names: ReadonlySet<string>): { code: string; message: string } | undefined {
  const host = hostHeaderName(req.headers.host);
  if (host === undefined || !names.has(host)) {
    return {
      code: "HOST_NOT_ALLOWED",
      message: `Host ${JSON.stringify(req.headers.host ?? "")} is not a name of this server (configure it with --host-name)`,
    };
  }
  const origin = req.headers.origin;
  const site = req.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") {
    return { code: "ORIGIN_NOT_ALLOWED", message: "admin calls and /metrics are not for other sites' pages" };
  }
  if (origin !== undefined) {
    let name: string | undefined;
    try {
      name = normalizeHostName(new URL(origin).hostname);
    } catch {
      name = undefined;
    }
    if (name === undefined || !names.has(name)) {
      return { code: "ORIGIN_NOT_ALLOWED", message: `Origin ${JSON.stringify(origin)} is not this server` };
    }
  }
  return undefined;
}
