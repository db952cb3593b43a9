// A small JSON-over-HTTP(S) client for the server SDK: keep-alive agents shared per origin and
// CA, a whole-request timeout, and the server's {"error": {code, message}} turned into
// TidServerError.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createHash } from "node:crypto";

export class TidServerError extends Error {
  /** the server's error code (e.g. VERIFY_FAILED), or NETWORK / TIMEOUT / BAD_RESPONSE */
  readonly code: string;
  /** HTTP status, 0 when no response arrived */
  readonly status: number;
  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(`${code}${status ? ` (HTTP ${status})` : ""}: ${message}`, options);
    this.name = "TidServerError";
    this.code = code;
    this.status = status;
  }
}

export interface HttpClientOptions {
  /** extra trusted CA certificate(s), PEM, for https URLs */
  ca?: string | Buffer | (string | Buffer)[];
  /** whole-request timeout, ms (default 15 s) */
  timeoutMs?: number;
  /** use this agent instead of the shared keep-alive one */
  agent?: HttpAgent;
  headers?: Record<string, string>;
}

const agents = new Map<string, HttpAgent>();

function agentFor(url: URL, ca: HttpClientOptions["ca"]): HttpAgent {
  const caKey =
    ca === undefined
      ? ""
      : createHash("sha256")
          .update(([] as (string | Buffer)[]).concat(ca).join("\n"))
          .digest("hex");
  const key = `${url.protocol}//${url.host}|${caKey}`;
  let a = agents.get(key);
  if (!a) {
    a = url.protocol === "https:" ? new HttpsAgent({ keepAlive: true, ca }) : new HttpAgent({ keepAlive: true });
    agents.set(key, a);
  }
  return a;
}

/** Close the shared keep-alive agents (lets a process exit at once). */
export function destroyAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

/** The auth server's answers are a few KiB; anything past this is not one of them. */
const MAX_RESPONSE_BYTES = 1 << 20;

/** POST/GET JSON; resolves with the parsed body of a 2xx answer, throws TidServerError otherwise. */
export function requestJson(method: string, url: URL, body: unknown, options: HttpClientOptions = {}): Promise<Record<string, unknown>> {
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return Promise.reject(new TypeError(`url must be http(s), got ${url.protocol}`));
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8");
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(url, {
      method,
      agent: options.agent ?? agentFor(url, options.ca),
      headers: {
        accept: "application/json",
        ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
        ...options.headers,
      },
    });
    const timer = setTimeout(() => req.destroy(new TidServerError("TIMEOUT", 0, `no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e instanceof TidServerError ? e : new TidServerError("NETWORK", 0, (e as Error).message, { cause: e }));
    });
    req.on("response", (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on("data", (c: Buffer) => {
        received += c.length;
        if (received > MAX_RESPONSE_BYTES) {
          clearTimeout(timer);
          reject(new TidServerError("BAD_RESPONSE", res.statusCode ?? 0, `answer longer than ${MAX_RESPONSE_BYTES} bytes`));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on("error", (e) => {
        clearTimeout(timer);
        reject(new TidServerError("NETWORK", res.statusCode ?? 0, e.message, { cause: e }));
      });
      res.on("end", () => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          reject(new TidServerError("BAD_RESPONSE", status, "answer is not JSON"));
          return;
        }
        const obj = (parsed ?? {}) as Record<string, unknown>;
        if (status >= 200 && status < 300) resolve(obj);
        else {
          const err = (obj.error ?? {}) as { code?: unknown; message?: unknown };
          reject(
            new TidServerError(
              typeof err.code === "string" ? err.code : "HTTP_ERROR",
              status,
              typeof err.message === "string" ? err.message : "request failed",
            ),
          );
        }
      });
    });
    req.end(payload);
  });
}
