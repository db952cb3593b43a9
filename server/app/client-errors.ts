// What went wrong with a request when the client, not the server, is the cause (docs/server.md
// "Logs"). node reports a client that hangs up mid-request and a request not received within
// requestTimeout the same way to the handler (ECONNRESET "aborted"); the server's clientError
// event tells them apart: watchClientErrors marks the sockets node times out, then answers as
// node would by itself (408 for a timeout, 431 for oversized headers, 400 otherwise) and closes.
import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";

export type ClientFailure = "client-aborted" | "timeout" | "bad-request";

const timedOut = new WeakSet<Socket>();

const RESPONSES: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n",
  HPE_HEADER_OVERFLOW: "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n",
};
const BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";

/** Handle `server`'s clientError events; `report` hears of each (timeouts and malformed requests). */
export function watchClientErrors(server: Server, report: (kind: ClientFailure, code: string | undefined) => void): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    const code = err.code;
    if (code === "ERR_HTTP_REQUEST_TIMEOUT") timedOut.add(socket);
    if (code === "ECONNRESET" || code === "EPIPE") {
      // the client went away before a request was parsed: nothing to answer, nothing to report
      socket.destroy();
      return;
    }
    report(code === "ERR_HTTP_REQUEST_TIMEOUT" ? "timeout" : "bad-request", code);
    // as node does: answer unless a response to the request at hand has begun (on a keep-alive
    // connection earlier answers may have been written already)
    const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (socket.writable && !current?.headersSent) socket.write(RESPONSES[code ?? ""] ?? BAD_REQUEST);
    socket.destroy();
  });
}

/** Was `e`, thrown while handling `req`, the client's doing (hung up, too slow)? undefined: it was not. */
export function clientFailureOf(e: unknown, req: IncomingMessage): ClientFailure | undefined {
  if (timedOut.has(req.socket)) return "timeout";
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "EPIPE") return "client-aborted";
  if (req.destroyed && req.socket?.destroyed) return "client-aborted";
  return undefined;
}
