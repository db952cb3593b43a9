// TID-TLS over loopback TCP (docs/benchmarks.md "TID-TLS"), client and server each in its own
// process (bench/tls/peer.ts):
// - tls-throughput (size 16384, MB/s): 256 MiB one way (32 MiB with --quick) in 16 KiB writes,
//   from the client's first write until the server has read everything and answered: TID-TLS
//   (WasmTlsCipher on both ends, mode resume) against node:tls (TLS 1.3, its default suite) and
//   plain TCP. extra: the share of each TID-TLS process's time spent inside seal / open.
// - tls-handshake-resume (size 0, µs per connection, median): TID-TLS mode resume against a full
//   node:tls TLS 1.3 handshake (ECDHE P-256, an ECDSA P-256 certificate made here with the openssl
//   command line), each connection opened, finished and closed one after the other.
// - tls-handshake-auth (size 0, µs): TID-TLS mode auth, the user server asking the reference auth
//   server that runs in this process (SQLite in a temporary folder) over HTTP.
import { spawn, execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, round, type BenchOptions, type Impl, type Row, type Suite } from "../harness.js";
import { started, type ServerProcess } from "../server/processes.js";
import type { PeerConfig } from "../tls/peer.js";
import { toHex } from "../../reference/bytes.js";
import { startAuthServer } from "../../server/app/auth-server.js";
import { destroyAgents, registerDevice, registerUserServer } from "../../server/sdk/index.js";

const PEER = fileURLToPath(new URL("../tls/peer.js", import.meta.url));
const WRITE = 16384;

/** Starts a server peer; resolves once it listens (its port, and stop()). */
function startServer(cfg: PeerConfig): Promise<ServerProcess> {
  const child = spawn(process.execPath, [PEER, JSON.stringify({ ...cfg, role: "server" })], { stdio: ["ignore", "pipe", "pipe"] });
  return started(child, "tls bench server");
}

/** Runs a client peer to its end; resolves its JSON result. */
function runClient<T>(cfg: PeerConfig): Promise<T> {
  const child = spawn(process.execPath, [PEER, JSON.stringify({ ...cfg, role: "client" })], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`tls bench client exited with ${code}: ${err}`)),
    ),
  );
}

async function pair<T>(cfg: PeerConfig): Promise<T> {
  const server = await startServer(cfg);
  try {
    return await runClient<T>({ ...cfg, port: server.port });
  } finally {
    await server.stop();
  }
}

interface Throughput {
  wallMs: number;
  aeadMs: number;
  peer: { received: number; wallMs: number; aeadMs: number };
}

export const suite: Suite = {
  name: "TID-TLS over loopback TCP, client and server in separate processes: vs node:tls (TLS 1.3) and plain TCP",
  targets: [
    { op: "tls-throughput", size: WRITE, metric: "mbps", impl: "tid-wasm", peer: "node:tls", atLeast: 0.6 },
    { op: "tls-handshake-resume", size: 0, metric: "us", impl: "tid-wasm", peer: "node:tls", atMost: 0.5 },
  ],
  async run(opt: BenchOptions, log: (line: string) => void): Promise<Row[]> {
    const quick = opt.samples < 5;
    const bytes = (quick ? 32 : 256) << 20;
    const handshakes = quick ? 60 : 400;
    const auths = quick ? 20 : 150;
    const dir = mkdtempSync(join(tmpdir(), "tid-bench-tls-"));
    const certFile = join(dir, "cert.pem");
    const keyFile = join(dir, "key.pem");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", certFile,
      "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
    ], { stdio: "ignore" }); // prettier-ignore
    const tid = toHex(randomBytes(8));
    const psk = toHex(randomBytes(16));
    const token = toHex(randomBytes(16));
    const common: PeerConfig = { role: "client", impl: "tcp", tid, psk, token, certFile, keyFile };
    const rows: Row[] = [];
    try {
      for (const impl of ["tid-wasm", "node:tls", "tcp"] as const) {
        const r = await pair<Throughput>({ ...common, impl, op: "throughput", bytes });
        const mbps = bytes / r.wallMs / 1e3;
        const row: Row = {
          op: "tls-throughput",
          impl,
          size: WRITE,
          mbps: round(mbps),
          us: round((r.wallMs * 1e3) / (bytes / WRITE)),
          extra: { MiB: bytes >> 20, receiverMbps: round(r.peer.received / r.peer.wallMs / 1e3) },
        };
        if (impl === "tid-wasm") {
          row.extra!.aeadShareSender = round(r.aeadMs / r.wallMs);
          row.extra!.aeadShareReceiver = round(r.peer.aeadMs / r.peer.wallMs);
        }
        rows.push(row);
        log(
          `  tls-throughput ${impl}: ${mbps.toFixed(1)} MB/s${impl === "tid-wasm" ? ` (AEAD ${(100 * Number(row.extra!.aeadShareSender)).toFixed(0)}% of the sender's time, ${(100 * Number(row.extra!.aeadShareReceiver)).toFixed(0)}% of the receiver's)` : ""}`,
        );
      }

      const handshakeRow = (op: string, impl: Impl, times: number[], extra: Record<string, number | string> = {}): Row => {
        const us = median(times);
        log(`  ${op} ${impl}: ${us.toFixed(0)} µs per connection (median of ${times.length})`);
        return {
          op,
          impl,
          size: 0,
          us: round(us),
          mbps: 0,
          extra: { connections: times.length, meanUs: round(times.reduce((a, b) => a + b, 0) / times.length), ...extra },
        };
      };
      for (const impl of ["tid-wasm", "node:tls"] as const) {
        const r = await pair<{ times: number[] }>({ ...common, impl, op: "handshake", mode: "resume", count: handshakes });
        rows.push(
          handshakeRow(
            "tls-handshake-resume",
            impl,
            r.times,
            impl === "node:tls" ? { handshake: "full TLS 1.3, ECDHE P-256, ECDSA P-256" } : { handshake: "TID-TLS resume (psk_ke)" },
          ),
        );
      }

      // mode auth: the reference auth server in this process
      const auth = await startAuthServer({ dbPath: join(dir, "registry.db"), masterKey: new Uint8Array(randomBytes(32)) });
      try {
        const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
        const admin = { url: auth.url, adminToken: auth.adminToken };
        const userUin = "100000000042";
        await registerUserServer(admin, userUin, publicKey.export({ type: "spki", format: "pem" }) as string);
        await registerDevice(admin, { tid: Buffer.from(tid, "hex"), psk: Buffer.from(psk, "hex") });
        const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
        const { token: _unused, ...noToken } = common;
        const r = await pair<{ times: number[] }>({
          ...noToken,
          impl: "tid-wasm",
          op: "handshake",
          mode: "auth",
          count: auths,
          authServer: { url: auth.url, userUin, privateKeyPem },
        });
        rows.push(
          handshakeRow("tls-handshake-auth", "tid-wasm", r.times, { handshake: "TID-TLS auth via the reference auth server over HTTP" }),
        );
      } finally {
        destroyAgents();
        await auth.close();
      }
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
