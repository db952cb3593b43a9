// Shared helpers of the TID-TLS tests (test/tls/): the two sans-IO handshakes wired to each other
// in memory with the node:crypto reference cipher (reference/tls-cipher.ts) on both sides, and
// loopback TCP set-ups of createTlsServer + connect.
import { randomBytes } from "node:crypto";
import { connect as tcpConnect, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from "node:net";
import { RecordReader } from "../../bindings/tls/records.js";
import { ReferenceTlsCipher } from "../../reference/tls-cipher.js";
import { ClientHandshake, type ClientCredentials } from "../../bindings/tls/client-handshake.js";
import { ServerHandshake, type ServerKey } from "../../bindings/tls/server-handshake.js";
import type { ConnectionEvent, Step, TlsConnection } from "../../bindings/tls/connection.js";
import type { TlsCipher } from "../../bindings/tls/cipher.js";
import type { DeviceCipherInput } from "../../bindings/tls/connect.js";
import type { TidTlsSocket } from "../../bindings/tls/socket.js";
import { TidTlsError } from "../../bindings/tls/alerts.js";

export const random32 = (): Uint8Array => new Uint8Array(randomBytes(32));

export function refCipher(side: "client" | "server", psk: Uint8Array): TlsCipher {
  return new ReferenceTlsCipher(side, psk) as TlsCipher;
}

/** A device-side cipher factory on the reference: the token validate returned, or `token` (mode resume). */
export function refDeviceCipher(token?: Uint8Array): (input: DeviceCipherInput) => TlsCipher {
  return ({ token: fromValidate }) => {
    const psk = fromValidate ?? token;
    if (psk === undefined) throw new Error("no token for the reference device cipher");
    return refCipher("client", psk);
  };
}

/** Events and records of one side, collected. */
export interface Side {
  conn: TlsConnection;
  events: ConnectionEvent[];
  /** records this side sent, in order */
  sent: Uint8Array[];
}

export interface Pair {
  client: Side & { conn: ClientHandshake };
  server: Side & { conn: ServerHandshake };
  /** delivers every queued record until both sides are idle */
  settle(): void;
  /** queue a Step produced outside settle() */
  take(from: "client" | "server", step: Step): void;
  data(side: "client" | "server"): Uint8Array;
}

/**
 * The two handshakes in memory. `keyFor` answers the server's hello (synchronously here; the
 * socket does it asynchronously). `tamper` may change a record on its way.
 */
export function memoryPair(
  credentials: ClientCredentials,
  keyFor: (hello: Extract<ConnectionEvent, { type: "hello" }>["hello"]) => ServerKey | TidTlsError,
  options: {
    clientRandom?: Uint8Array;
    serverRandom?: Uint8Array;
    tamper?: (from: "client" | "server", record: Uint8Array, index: number) => Uint8Array | null;
  } = {},
): Pair {
  const client = {
    conn: new ClientHandshake(credentials, options.clientRandom ?? random32()),
    events: [] as ConnectionEvent[],
    sent: [] as Uint8Array[],
  };
  const server = { conn: new ServerHandshake(), events: [] as ConnectionEvent[], sent: [] as Uint8Array[] };
  const queue: { to: Side; record: Uint8Array }[] = [];
  const counts = { client: 0, server: 0 };
  const take = (from: "client" | "server", step: Step): void => {
    const me = from === "client" ? client : server;
    const peer = from === "client" ? server : client;
    for (let record of step.send) {
      me.sent.push(record);
      if (options.tamper) {
        const t = options.tamper(from, record, counts[from]++);
        if (t === null) continue;
        record = t;
      }
      queue.push({ to: peer, record });
    }
    for (const e of step.events) {
      me.events.push(e);
      if (e.type === "hello" && from === "server") {
        const key = keyFor(e.hello);
        if (key instanceof TidTlsError) take("server", server.conn.reject(key));
        else take("server", server.conn.accept(key, options.serverRandom ?? random32()));
      }
    }
  };
  const settle = (): void => {
    while (queue.length > 0) {
      const { to, record } = queue.shift()!;
      take(to === client ? "client" : "server", to.conn.receive(record));
    }
  };
  take("client", client.conn.start());
  return {
    client,
    server,
    settle,
    take,
    data: (side) => {
      const parts = (side === "client" ? client : server).events.flatMap((e) => (e.type === "data" ? [e.data] : []));
      return new Uint8Array(Buffer.concat(parts));
    },
  };
}

/** The error event of a side, if any. */
export function errorOf(side: Side): { code: string; alert: string | null; cause?: unknown } | undefined {
  const e = side.events.find((x) => x.type === "error");
  return e?.type === "error" ? e.error : undefined;
}

/** Listens on 127.0.0.1, port 0; resolves the port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Resolves on 'secureConnect', rejects on 'error'. */
export function secured(socket: TidTlsSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("secureConnect", resolve);
    socket.once("error", reject);
  });
}

/** The error a socket emits (rejects if it connects and ends cleanly instead). */
export function socketError(socket: TidTlsSocket): Promise<Error & { code?: string; alert?: string | null }> {
  return new Promise((resolve, reject) => {
    socket.once("error", resolve);
    socket.once("close", () => setImmediate(() => reject(new Error("closed without an error"))));
  });
}

/** Everything a stream emits until 'end'. */
export async function readAll(socket: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of socket) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/**
 * A TCP proxy on loopback that cuts each direction into records (the framing of
 * bindings/tls/records.ts) and lets `hook` replace any record: it returns the bytes to forward
 * (nothing, one record, several, or a tampered one).
 */
export async function recordProxy(
  targetPort: number,
  hook: (from: "client" | "server", record: Uint8Array, index: number) => Uint8Array,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy = createTcpServer({ allowHalfOpen: true }, (down) => {
    const up = tcpConnect({ port: targetPort, host: "127.0.0.1", allowHalfOpen: true });
    sockets.add(down).add(up);
    const pipe = (from: "client" | "server", src: Socket, dst: Socket): void => {
      const reader = new RecordReader();
      let index = 0;
      src.on("data", (chunk: Buffer) => {
        reader.push(chunk);
        for (let r = reader.next(0xffff); r !== null; r = reader.next(0xffff)) {
          const out = hook(from, r.slice(), index++);
          if (out.length > 0 && !dst.destroyed) dst.write(out);
        }
      });
      src.on("end", () => dst.end());
      src.on("error", () => dst.destroy());
      src.on("close", () => setTimeout(() => dst.destroy(), 50).unref());
    };
    pipe("client", down, up);
    pipe("server", up, down);
  });
  const port = await listen(proxy);
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await closeServer(proxy);
    },
  };
}
