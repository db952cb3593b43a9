// The TID-TLS steps of `tid demo --tls` (cli/commands/demo.ts; docs/tls.md): after the device is
// provisioned and loaded, a user server speaking TID-TLS (createTlsServer, echoing what it gets)
// authenticates the device in-band through the demo's auth server (mode auth: the authcode in the
// ClientHello', the server data in the ServerHello'), the two exchange messages, renew their keys
// (KeyUpdate) and close with close_notify; then the device reconnects with the token it keeps
// (mode resume: the PSK binder) and does it again.
import { readFileSync } from "node:fs";
import type { AddressInfo, Server } from "node:net";
import type { TidClient } from "../../bindings/client.js";
import { connect } from "../../bindings/tls/connect.js";
import type { TidTlsSocket } from "../../bindings/tls/socket.js";
import { toHex } from "../../reference/bytes.js";
import type { AuthServer } from "../../server/app/index.js";
import { createTlsServer } from "../../server/sdk/tls-server.js";
import type { TlsConnectionReport } from "./report.js";
import type { DemoContext, UserServer } from "./steps.js";

const MESSAGES = ["hello over TID-TLS", "the second message", "a third, to be sure"];

/** The echo user server: every connection's data goes back; what it saw is kept per connection. */
export async function startTlsUserServer(ctx: DemoContext, server: AuthServer, user: UserServer): Promise<Server> {
  return ctx.runner.step(
    "start a TID-TLS echo user server (createTlsServer)",
    async () => {
      const privateKey = readFileSync(user.privateKeyPath, "utf8");
      const tls = createTlsServer({ authServer: { url: server.url, userUin: user.uin, privateKey } }, (socket) => {
        socket.on("error", () => socket.destroy());
        socket.pipe(socket);
      });
      ctx.tlsServer = tls;
      await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
      return tls;
    },
    (tls) => ({
      detail: [
        `127.0.0.1:${(tls.address() as AddressInfo).port}; mode auth → authDevice at ${server.url} as "${user.uin}"; mode resume → the tokens of its authentications`,
      ],
    }),
  );
}

function secured(socket: TidTlsSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("secureConnect", resolve);
    socket.once("error", reject);
  });
}

/** Sends `text` and resolves when the same bytes came back. */
function echo(socket: TidTlsSocket, text: string): Promise<number> {
  const want = Buffer.from(text);
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      if (got.length < want.length) return;
      socket.off("data", onData);
      if (got.equals(want)) resolve(want.length);
      else reject(new Error(`the echo is ${JSON.stringify(got.toString())}, sent ${JSON.stringify(text)}`));
    };
    socket.on("data", onData);
    socket.write(want);
  });
}

/** One connection: connect, echo the messages (KeyUpdate both ways before the last), close. */
async function session(ctx: DemoContext, client: TidClient, tls: Server, mode: "auth" | "resume"): Promise<void> {
  const port = (tls.address() as AddressInfo).port;
  const report = ctx.report.tls!;
  const socket = await ctx.runner.step(
    mode === "auth" ? "TID-TLS connect, mode auth (authcode in ClientHello')" : "reconnect, mode resume (PSK binder, no auth server)",
    async () => {
      const t0 = performance.now();
      const s = connect({ port }, { client, mode });
      await secured(s);
      const entry: TlsConnectionReport = {
        mode,
        tid: toHex(s.tid!),
        cipherSuite: s.cipherSuite,
        handshakeMs: Math.round((performance.now() - t0) * 1000) / 1000,
        bytesEchoed: 0,
      };
      report.connections.push(entry);
      return s;
    },
    (s) => ({
      detail: [
        mode === "auth"
          ? `ClientHello' carried a fresh authcode; the user server asked the auth server; the device checked the server data and keyed ${s.cipherSuite} with the new token`
          : `ClientHello' carried TID ${toHex(s.tid!)} and a binder over the token the device keeps; ${s.cipherSuite}; both Finished verified`,
        `traffic keys in the wasm (WasmTlsCipher), handshake ${report.connections.at(-1)!.handshakeMs} ms`,
      ],
    }),
  );
  const entry = report.connections.at(-1)!;
  await ctx.runner.step(
    `exchange ${MESSAGES.length} messages (echo), KeyUpdate both ways, close_notify`,
    async () => {
      for (const [i, m] of MESSAGES.entries()) {
        if (i === MESSAGES.length - 1) socket.keyUpdate(true);
        entry.bytesEchoed += await echo(socket, m);
      }
      const ended = new Promise<void>((resolve, reject) => {
        socket.once("end", resolve);
        socket.once("error", reject);
        socket.resume();
      });
      socket.end();
      await ended;
      report.bytesEchoed += entry.bytesEchoed;
      return entry.bytesEchoed;
    },
    (n) => ({
      bytes: n,
      detail: [
        ...MESSAGES.map((m) => `→ "${m}" ← echoed`),
        `${n} bytes echoed; KeyUpdate (update_requested) before the last message; close_notify both ways`,
      ],
    }),
  );
}

/** The TID-TLS part of the demo: the echo server, one connection in mode auth, one in mode resume. */
export async function tlsSteps(ctx: DemoContext, client: TidClient, server: AuthServer, user: UserServer): Promise<void> {
  // the device's suite decides the cipher suite (docs/tls.md "Cipher suites")
  const cipherSuite = client.suite === "intl" ? "TLS_AES_128_GCM_SHA256" : "TLS_SM4_GCM_SM3";
  ctx.report.tls = { mode: "auth", cipherSuite, bytesEchoed: 0, connections: [] };
  const tls = await startTlsUserServer(ctx, server, user);
  await session(ctx, client, tls, "auth");
  await session(ctx, client, tls, "resume");
}

/** Steps of a --tls run: the four shared set-up steps, the server, and two steps per connection. */
export const TLS_DEMO_STEPS = 4 + 1 + 2 * 2;
