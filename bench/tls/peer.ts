// One end of a TID-TLS / node:tls / TCP benchmark connection, in its own process
// (bench/suites/tls.ts spawns two: a server and a client). `node peer.js '<json config>'`.
//   server: listens on 127.0.0.1, prints {"port"}; for every connection it reads until the peer's
//           end, then answers one JSON line with what it received and its time inside the AEAD.
//   client: op "throughput" — writes `bytes` in 16 KiB writes (honouring backpressure), ends,
//           and waits for the server's line; op "handshake" — `count` connections one after the
//           other, each timed from connect() to the finished handshake. Prints one JSON result.
// The AEAD share is the time spent inside TlsCipher.seal / open (TID-TLS only: node:tls does its
// record layer inside OpenSSL, out of reach) over the process's wall time for the transfer.
import { readFileSync } from "node:fs";
import { createServer as createTcpServer, connect as tcpConnect, type Socket } from "node:net";
import { createServer as createNodeTlsServer, connect as nodeTlsConnect } from "node:tls";
import type { Duplex } from "node:stream";
import { TidClient } from "../../bindings/client.js";
import { connect } from "../../bindings/tls/connect.js";
import { WasmTlsCipher } from "../../bindings/tls/wasm-cipher.js";
import type { TlsCipher } from "../../bindings/tls/cipher.js";
import { fromHex } from "../../reference/bytes.js";
import { createTlsServer } from "../../server/sdk/tls-server.js";

export interface PeerConfig {
  role: "server" | "client";
  impl: "tid-wasm" | "node:tls" | "tcp";
  op?: "throughput" | "handshake";
  mode?: "auth" | "resume";
  port?: number;
  bytes?: number;
  count?: number;
  /** TID-TLS: the device identity and the token both ends hold (mode resume) */
  tid?: string;
  psk?: string;
  token?: string;
  /** TID-TLS mode auth: the auth server and the user server's identity there */
  authServer?: { url: string; userUin: string; privateKeyPem: string };
  /** node:tls: PEM files */
  certFile?: string;
  keyFile?: string;
}

const WRITE = 16384;
let aeadNs = 0n;

/** A TlsCipher whose seal/open time is added to `aeadNs`. */
function timed(c: TlsCipher): TlsCipher {
  const seal = c.seal.bind(c);
  const open = c.open.bind(c);
  c.seal = (type, content, out, offset) => {
    const t = process.hrtime.bigint();
    const n = seal(type, content, out, offset);
    aeadNs += process.hrtime.bigint() - t;
    return n;
  };
  c.open = (record, out) => {
    const t = process.hrtime.bigint();
    const r = open(record, out);
    aeadNs += process.hrtime.bigint() - t;
    return r;
  };
  return c;
}

/** Reads a connection to its end, then answers {received, wallMs, aeadMs}. */
function receiver(s: Duplex): void {
  let received = 0;
  let t0 = 0n;
  s.on("data", (d: Buffer) => {
    if (received === 0) {
      t0 = process.hrtime.bigint();
      aeadNs = 0n;
    }
    received += d.length;
  });
  s.on("end", () => {
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    s.end(JSON.stringify({ received, wallMs, aeadMs: Number(aeadNs) / 1e6 }) + "\n");
  });
  s.on("error", () => s.destroy());
}

function server(cfg: PeerConfig): void {
  let listening: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown };
  if (cfg.impl === "tid-wasm") {
    const token = cfg.token ? fromHex(cfg.token) : null;
    listening = createTlsServer(
      {
        ...(token ? { resume: () => token.slice() } : {}),
        ...(cfg.authServer
          ? { authServer: { url: cfg.authServer.url, userUin: cfg.authServer.userUin, privateKey: cfg.authServer.privateKeyPem } }
          : {}),
        cipher: (t) => timed(WasmTlsCipher.fromPsk("server", t)),
      },
      receiver,
    );
  } else if (cfg.impl === "node:tls") {
    listening = createNodeTlsServer(
      { key: readFileSync(cfg.keyFile!), cert: readFileSync(cfg.certFile!), minVersion: "TLSv1.3", ecdhCurve: "P-256" },
      receiver,
    );
  } else {
    listening = createTcpServer(receiver);
  }
  listening.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: (listening.address() as { port: number }).port })));
  process.on("SIGTERM", () => process.exit(0));
}

async function open(cfg: PeerConfig, client: TidClient | null): Promise<Duplex> {
  const port = cfg.port!;
  return new Promise((resolve, reject) => {
    let s: Duplex;
    if (cfg.impl === "tid-wasm") {
      s = connect({ port }, { client: client!, mode: cfg.mode ?? "resume", cipher: ({ client: c }) => timed(WasmTlsCipher.fromClient(c)) });
      s.once("secureConnect", () => resolve(s));
    } else if (cfg.impl === "node:tls") {
      s = nodeTlsConnect({
        port,
        host: "127.0.0.1",
        ca: readFileSync(cfg.certFile!),
        servername: "localhost",
        minVersion: "TLSv1.3",
        ecdhCurve: "P-256",
      });
      s.once("secureConnect", () => resolve(s));
    } else {
      s = tcpConnect({ port, host: "127.0.0.1" });
      s.once("connect", () => resolve(s));
    }
    s.once("error", reject);
  });
}

async function throughput(cfg: PeerConfig, client: TidClient | null): Promise<object> {
  const s = await open(cfg, client);
  (s as Socket).setNoDelay?.(true);
  const chunk = Buffer.alloc(WRITE, 0x5a);
  const answer = new Promise<string>((resolve) => {
    let text = "";
    s.on("data", (d: Buffer) => (text += d.toString()));
    s.on("end", () => resolve(text));
  });
  aeadNs = 0n;
  const t0 = process.hrtime.bigint();
  const total = cfg.bytes!;
  for (let sent = 0; sent < total; sent += WRITE) {
    if (!s.write(chunk)) await new Promise((r) => s.once("drain", r));
  }
  s.end();
  const peer = JSON.parse(await answer) as { received: number; wallMs: number; aeadMs: number };
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (peer.received !== total) throw new Error(`the server received ${peer.received} of ${total} bytes`);
  return { wallMs, aeadMs: Number(aeadNs) / 1e6, peer };
}

async function handshakes(cfg: PeerConfig, client: TidClient | null): Promise<object> {
  const times: number[] = [];
  for (let i = 0; i < cfg.count!; i++) {
    const t0 = process.hrtime.bigint();
    const s = await open(cfg, client);
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
    await new Promise<void>((resolve) => {
      s.on("data", () => {});
      s.once("close", () => resolve());
      s.end();
    });
  }
  return { times };
}

async function runClient(cfg: PeerConfig): Promise<void> {
  let client: TidClient | null = null;
  if (cfg.impl === "tid-wasm") {
    client = await TidClient.create({ backend: "soft", identity: { tid: fromHex(cfg.tid!), psk: fromHex(cfg.psk!) } });
    client.init();
    if (cfg.token) client.importSessionKey(0, fromHex(cfg.token));
  }
  const result = cfg.op === "handshake" ? await handshakes(cfg, client) : await throughput(cfg, client);
  client?.close();
  console.log(JSON.stringify(result));
}

const cfg = JSON.parse(process.argv[2] ?? "{}") as PeerConfig;
if (cfg.role === "server") server(cfg);
else
  runClient(cfg).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
