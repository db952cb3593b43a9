// TID-TLS in suite INTL (TLS_AES_128_GCM_SHA256, docs/tls.md "Cipher suites") between the device
// side and the user server's createTlsServer (server/sdk/tls-server.ts) over real TCP on
// 127.0.0.1: mode resume with the wasm cipher on both ends (keyed by tid_tls_open_psk_suite) and
// with the reference on either end; mode auth with the reference device half in suite "intl", and
// with the wasm TID client of an INTL identity (its token keys the context from its session slot),
// against a server whose authenticate() is the reference server half, then resume with the token
// and suite the server kept. The negotiation:
// a kept token of the other suite → handshake_failure; a ClientHello' whose authcode is in the
// other suite → illegal_parameter; a ServerHello' naming a suite the client did not offer →
// illegal_parameter; an unknown cipher suite → handshake_failure.
import { randomBytes } from "node:crypto";
import { connect as tcpConnect } from "node:net";
import { describe, expect, it } from "vitest";
import { connect } from "../../bindings/tls/connect.js";
import { TidTlsSocket } from "../../bindings/tls/socket.js";
import { ClientHandshake } from "../../bindings/tls/client-handshake.js";
import { ServerHandshake } from "../../bindings/tls/server-handshake.js";
import { WasmTlsCipher } from "../../bindings/tls/wasm-cipher.js";
import { encodeClientHello, encodeServerHello } from "../../bindings/tls/messages.js";
import { encodePlaintextRecord } from "../../bindings/tls/records.js";
import { ContentType, type SuiteName, type TlsCipher } from "../../bindings/tls/cipher.js";
import { createTlsServer } from "../../server/sdk/tls-server.js";
import { TidClient } from "../../bindings/client.js";
import { ReferenceTlsCipher } from "../../reference/tls-cipher.js";
import { buildAuthcode, finishDevice } from "../../reference/device-half.js";
import { buildServerData, verifyAuthcode } from "../../reference/server-half.js";
import { closeServer, listen, readAll, secured, socketError } from "../support/tls.js";
import { toHex } from "../../reference/bytes.js";

const TID = new Uint8Array(randomBytes(8));
const DEVICE_PSK = new Uint8Array(randomBytes(16));

/** A TidClient that only lends connect() its TID: the cipher comes from the factory. */
async function tidOnlyClient(): Promise<TidClient> {
  const c = await TidClient.create({ backend: "soft", identity: { tid: TID, psk: DEVICE_PSK } });
  c.init();
  return c;
}

const wasmDevice = (token: Uint8Array, suite: SuiteName) => (): TlsCipher => WasmTlsCipher.fromPsk("client", token, { suite });

async function echoThrough(s: TidTlsSocket, data: Buffer): Promise<void> {
  const echoed = readAll(s);
  s.end(data);
  expect((await echoed).equals(data)).toBe(true);
}

describe("mode resume in suite INTL over TCP", () => {
  it("wasm ↔ wasm: TLS_AES_128_GCM_SHA256 on both sockets, 1 MiB echoed, KeyUpdate both ways", async () => {
    const token = new Uint8Array(randomBytes(16));
    const server = createTlsServer({ resume: () => ({ token: token.slice(), suite: "intl" }) }, (p) => p.pipe(p));
    const port = await listen(server);
    const peerP = new Promise<TidTlsSocket>((r) => server.once("secureConnection", r));
    const client = await tidOnlyClient();
    const s = connect({ port }, { client, mode: "resume", cipher: wasmDevice(token, "intl") });
    await secured(s);
    expect(s.cipherSuite).toBe("TLS_AES_128_GCM_SHA256");
    const peer = await peerP;
    expect(peer.cipherSuite).toBe("TLS_AES_128_GCM_SHA256");
    s.keyUpdate(true);
    peer.keyUpdate(false);
    await echoThrough(s, randomBytes(1 << 20));
    client.close();
    await closeServer(server);
  });

  it("wasm device ↔ reference server, and reference device ↔ wasm server", async () => {
    const token = new Uint8Array(randomBytes(16));
    for (const serverOnRef of [true, false]) {
      const server = createTlsServer(
        {
          resume: () => ({ token: token.slice(), suite: "intl" }),
          ...(serverOnRef ? { cipher: (t: Uint8Array, suite: SuiteName) => new ReferenceTlsCipher("server", t, suite) as TlsCipher } : {}),
        },
        (p) => p.pipe(p),
      );
      const port = await listen(server);
      const client = await tidOnlyClient();
      const cipher = serverOnRef ? wasmDevice(token, "intl") : () => new ReferenceTlsCipher("client", token, "intl") as TlsCipher;
      const s = connect({ port }, { client, mode: "resume", cipher });
      await secured(s);
      expect(s.cipherSuite).toBe("TLS_AES_128_GCM_SHA256");
      s.keyUpdate(true);
      await echoThrough(s, randomBytes(200_000));
      client.close();
      await closeServer(server);
    }
  });

  it("a token kept in the other suite → handshake_failure on both sides; the SM default still connects", async () => {
    const token = new Uint8Array(randomBytes(16));
    const errors: Error[] = [];
    for (const [kept, offered] of [
      ["sm", "intl"],
      ["intl", "sm"],
    ] as const) {
      const server = createTlsServer({ resume: () => (kept === "sm" ? token.slice() : { token: token.slice(), suite: kept }) }, (p) =>
        p.pipe(p),
      );
      server.on("tlsClientError", (e: Error) => errors.push(e));
      const port = await listen(server);
      const client = await tidOnlyClient();
      const s = connect({ port }, { client, mode: "resume", cipher: wasmDevice(token, offered) });
      expect(await socketError(s)).toMatchObject({ code: "ERR_TLS_ALERT_RECEIVED", alert: "handshake_failure" });
      await new Promise((r) => setTimeout(r, 20));
      expect(errors.pop()).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "handshake_failure", message: /is for TLS_/ });
      const ok = connect({ port }, { client, mode: "resume", cipher: wasmDevice(token, kept) });
      await secured(ok);
      expect(ok.cipherSuite).toBe(kept === "sm" ? "TLS_SM4_GCM_SM3" : "TLS_AES_128_GCM_SHA256");
      await echoThrough(ok, Buffer.from("suite " + kept));
      client.close();
      await closeServer(server);
    }
  });

  it("a resume() answer of another shape is refused (handshake fails, the server reports a TypeError)", async () => {
    const server = createTlsServer({ resume: () => ({ token: new Uint8Array(16), suite: "aes" }) as never });
    const errors: Error[] = [];
    server.on("tlsClientError", (e: Error) => errors.push(e));
    const port = await listen(server);
    const client = await tidOnlyClient();
    const s = connect({ port }, { client, mode: "resume", cipher: wasmDevice(new Uint8Array(16), "intl") });
    await socketError(s);
    await new Promise((r) => setTimeout(r, 20));
    expect(String((errors[0] as { cause?: unknown }).cause ?? errors[0])).toMatch(/suite/);
    client.close();
    await closeServer(server);
  });
});

describe("mode auth in suite INTL: the reference device half against the reference server half", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const registered = (suite: SuiteName) => (tid: Uint8Array) => (Buffer.from(tid).equals(TID) ? { psk: DEVICE_PSK, suite } : null);

  /** authenticate(): verify the authcode and answer with server data and a token, as the auth server does. */
  const authenticate = (suite: SuiteName) => (authcode: Uint8Array) => {
    const v = verifyAuthcode(authcode, { lookupPsk: registered(suite), now: now() });
    const sd = buildServerData({ suite: v.suite, tid: v.tid, psk: v.psk, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: now(), issueToken: true });
    return [sd.serverData, sd.token] as [Uint8Array, Uint8Array | null];
  };

  /** A device socket in mode auth: authcode in `suite`, validate with the reference, the wasm cipher on the token. */
  function authSocket(port: number, suite: SuiteName, tokens: Uint8Array[]): TidTlsSocket {
    const built = buildAuthcode({ suite, tid: TID, psk: DEVICE_PSK, time: now() });
    const handshake = new ClientHandshake(
      {
        mode: "auth",
        authcode: built.authcode,
        validate: (serverData) => {
          const { token } = finishDevice({ tid: TID, psk: DEVICE_PSK, pending: built.pending, serverData });
          tokens.push(token!.slice());
          return WasmTlsCipher.fromPsk("client", token!, { suite });
        },
      },
      new Uint8Array(randomBytes(32)),
    );
    return new TidTlsSocket(tcpConnect({ port, host: "127.0.0.1", allowHalfOpen: true }), { side: "client", handshake, tid: TID });
  }

  it("auth in-band in TLS_AES_128_GCM_SHA256, then resume with the token and suite the server kept", async () => {
    const server = createTlsServer({ authenticate: authenticate("intl") }, (p) => p.pipe(p));
    const port = await listen(server);
    const peerP = new Promise<TidTlsSocket>((r) => server.once("secureConnection", r));
    const tokens: Uint8Array[] = [];
    const a = authSocket(port, "intl", tokens);
    await secured(a);
    expect(a.cipherSuite).toBe("TLS_AES_128_GCM_SHA256");
    const peer = await peerP;
    expect(peer).toMatchObject({ mode: "auth", cipherSuite: "TLS_AES_128_GCM_SHA256" });
    expect(peer.tid).toEqual(TID);
    await echoThrough(a, randomBytes(100_000));
    const client = await tidOnlyClient();
    const r = connect({ port }, { client, mode: "resume", cipher: wasmDevice(tokens[0]!, "intl") });
    await secured(r);
    expect(r.cipherSuite).toBe("TLS_AES_128_GCM_SHA256");
    await echoThrough(r, Buffer.from("resumed in INTL"));
    // the token was kept in suite intl: an SM offer of it is refused
    const sm = connect({ port }, { client, mode: "resume", cipher: wasmDevice(tokens[0]!, "sm") });
    expect(await socketError(sm)).toMatchObject({ alert: "handshake_failure" });
    client.close();
    await closeServer(server);
  });

  it("the wasm TID client of an INTL identity: auth in-band, the context keyed from its INTL slot, then resume", async () => {
    const server = createTlsServer({ authenticate: authenticate("intl") }, (p) => p.pipe(p));
    const port = await listen(server);
    const client = await TidClient.create({ backend: "soft", identity: { tid: TID, psk: DEVICE_PSK, suite: "intl" } });
    client.init();
    const a = connect({ port }, { client, mode: "auth" });
    await secured(a);
    expect(a.cipherSuite).toBe("TLS_AES_128_GCM_SHA256");
    await echoThrough(a, randomBytes(50_000));
    // mode resume from the token validate left in the active slot (tid_tls_open_slot, suite INTL)
    const r = connect({ port }, { client, mode: "resume" });
    await secured(r);
    expect(r.cipherSuite).toBe("TLS_AES_128_GCM_SHA256");
    await echoThrough(r, Buffer.from("resumed from the slot"));
    client.close();
    await closeServer(server);
  });

  it("an auth server that answers in the other suite → handshake_failure (the server checks the server data's suite)", async () => {
    const server = createTlsServer({
      authenticate: (authcode) => {
        // the authcode verifies in suite intl, but the answer comes back in suite sm
        const v = verifyAuthcode(authcode, { lookupPsk: registered("intl"), now: now() });
        const sd = buildServerData({ suite: "sm", tid: v.tid, psk: v.psk, nd: v.nd, tagD: v.tagD, time: now(), issueToken: false });
        return [sd.serverData, new Uint8Array(16)] as [Uint8Array, Uint8Array | null];
      },
    });
    const errors: Error[] = [];
    server.on("tlsClientError", (e: Error) => errors.push(e));
    const port = await listen(server);
    const s = authSocket(port, "intl", []);
    expect(await socketError(s)).toMatchObject({ alert: "handshake_failure" });
    await new Promise((r) => setTimeout(r, 20));
    expect(errors[0]).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "handshake_failure", message: /server data is in suite sm/ });
    await closeServer(server);
  });
});

describe("cipher-suite negotiation in the hellos (in memory)", () => {
  const random = () => new Uint8Array(randomBytes(32));
  const errorsOf = (events: { type: string; error?: { alert: string | null } }[]) =>
    events.filter((e) => e.type === "error").map((e) => e.error!.alert);

  it("a ClientHello' whose authcode is in the other suite → illegal_parameter", () => {
    const { authcode } = buildAuthcode({ suite: "intl", tid: TID, psk: DEVICE_PSK, time: 1 });
    for (const suite of ["sm", "intl"] as const) {
      const hello = encodeClientHello({ mode: "auth", random: random(), suite, authcode });
      const server = new ServerHandshake();
      const events = server.receive(encodePlaintextRecord(ContentType.handshake, hello)).events;
      if (suite === "intl") expect(events.map((e) => e.type)).toEqual(["hello"]);
      else expect(errorsOf(events as never)).toEqual(["illegal_parameter"]);
      server.destroy();
    }
  });

  const notReached = (): never => {
    throw new Error("validate is not reached before ServerHello'");
  };

  it("the device offers its authcode's suite; an authcode naming no suite starts no handshake", () => {
    for (const suite of ["sm", "intl"] as const) {
      const { authcode } = buildAuthcode({ suite, tid: TID, psk: DEVICE_PSK, time: 1 });
      const client = new ClientHandshake({ mode: "auth", authcode, validate: notReached }, random());
      const hello = client.start().send[0]!;
      expect(toHex(hello.subarray(5 + 4 + 1 + 32, 5 + 4 + 1 + 34))).toBe(suite === "sm" ? "00c6" : "1301");
      expect(client.suite).toBe(suite);
      client.destroy();
      const odd = authcode.slice();
      odd[1] = 0x30;
      const bad = new ClientHandshake({ mode: "auth", authcode: odd, validate: notReached }, random());
      const step = bad.start();
      expect(step.send.filter((r) => r[0] === ContentType.handshake)).toEqual([]);
      expect(step.events.map((e) => e.type)).toEqual(["error"]);
    }
  });

  it("an unknown cipher suite (TLS_AES_256_GCM_SHA384, 0x1302) → handshake_failure", () => {
    const hello = encodeClientHello({ mode: "resume", random: random(), suite: "intl", tid: TID, binder: new Uint8Array(32) });
    hello[4 + 1 + 32 + 1] = 0x02; // cipher_suite 13 01 → 13 02
    const server = new ServerHandshake();
    expect(errorsOf(server.receive(encodePlaintextRecord(ContentType.handshake, hello)).events as never)).toEqual(["handshake_failure"]);
  });

  it("a ServerHello' naming the suite the client did not offer → illegal_parameter; the server's key of another suite → handshake_failure", () => {
    const token = new Uint8Array(randomBytes(16));
    const client = new ClientHandshake(
      { mode: "resume", tid: TID, cipher: new ReferenceTlsCipher("client", token, "intl") as TlsCipher },
      random(),
    );
    const hello = client.start().send[0]!;
    expect(hello[5 + 4 + 1 + 32]).toBe(0x13); // the ClientHello' offers 0x1301
    expect(hello[5 + 4 + 1 + 33]).toBe(0x01);
    const wrong = encodeServerHello({ mode: "resume", random: random(), suite: "sm" });
    expect(errorsOf(client.receive(encodePlaintextRecord(ContentType.handshake, wrong)).events as never)).toEqual(["illegal_parameter"]);

    const server = new ServerHandshake();
    const events = server.receive(hello).events;
    expect(events.map((e) => e.type)).toEqual(["hello"]);
    const step = server.accept({ cipher: new ReferenceTlsCipher("server", token, "sm") as TlsCipher }, random());
    expect(errorsOf(step.events as never)).toEqual(["handshake_failure"]);
  });
});
