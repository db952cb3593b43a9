// JSON-over-HTTP plumbing of the auth server: typed HTTP errors rendered as
// {"error": {"code", "message"}}, a size-limited JSON body reader with content-type checks.
import type { IncomingMessage, ServerResponse } from "node:http";
import { finished } from "node:stream";

/** Strict UTF-8 (a malformed byte is an error, not U+FFFD); decode() keeps no state between calls. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, e: HttpError): void {
  sendJson(res, e.status, { error: { code: e.code, message: e.message } }, e.headers);
}

/**
 * The whole body, at most `limit` bytes, from 'data' events (no async iterator: a promise per
 * chunk is measurable at thousands of requests a second). Rejects with the stream's error when the
 * client goes away (ECONNRESET, ERR_STREAM_PREMATURE_CLOSE: client-errors.ts), and with 413 when
 * the body grows past the limit (the rest is then drained unread: the handler resumes the request).
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: unknown) => {
      if (settled) return;
      settled = true;
      stop();
      req.off("data", onData);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      settle(new HttpError(413, "BODY_TOO_LARGE", `body exceeds the ${limit}-byte limit`, { connection: "close" }));
    };
    const stop = finished(req, { writable: false }, (error) => settle(error ?? null));
    req.on("data", onData);
  });
}

/** Read and parse a JSON object body of at most `limit` bytes. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  const [mime, ...params] = type.split(";").map((s) => s.trim());
  if (mime !== "application/json") {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `content-type must be application/json, got ${JSON.stringify(type || "(none)")}`);
  }
  const charset = params.find((p) => p.startsWith("charset="));
  if (charset && charset.slice(8).replace(/"/g, "") !== "utf-8") {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "only charset=utf-8 is accepted");
  }
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    throw new HttpError(413, "BODY_TOO_LARGE", `body of ${declared} bytes exceeds the ${limit}-byte limit`, { connection: "close" });
  }
  const body = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(body));
  } catch (e) {
    throw new HttpError(400, "MALFORMED_JSON", `body is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "BAD_REQUEST", "body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** Field readers that throw 400 BAD_REQUEST naming the field. */
export const field = {
  string(body: Record<string, unknown>, name: string, pattern: RegExp, what: string): string {
    const v = body[name];
    if (typeof v !== "string" || !pattern.test(v)) throw new HttpError(400, "BAD_REQUEST", `${name} must be ${what}`);
    return v;
  },
  optionalString(body: Record<string, unknown>, name: string, max: number): string | undefined {
    const v = body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v.length > max)
      throw new HttpError(400, "BAD_REQUEST", `${name} must be a string of at most ${max} characters`);
    return v;
  },
  integer(body: Record<string, unknown>, name: string, min: number, max: number): number {
    const v = body[name];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new HttpError(400, "BAD_REQUEST", `${name} must be an integer in [${min}, ${max}]`);
    }
    return v;
  },
  optionalBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
    const v = body[name];
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") throw new HttpError(400, "BAD_REQUEST", `${name} must be a boolean`);
    return v;
  },
  hex(body: Record<string, unknown>, name: string, minBytes: number, maxBytes: number): Uint8Array {
    const v = body[name];
    if (typeof v !== "string" || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v) || v.length < 2 * minBytes || v.length > 2 * maxBytes) {
      const size = minBytes === maxBytes ? `${minBytes} bytes` : `${minBytes}..${maxBytes} bytes`;
      throw new HttpError(400, "BAD_REQUEST", `${name} must be a hex string of ${size}`);
    }
    return new Uint8Array(Buffer.from(v, "hex"));
  },
};
