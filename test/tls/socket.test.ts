// TidTlsSocket and createTlsServer over real TCP on 127.0.0.1 (bindings/tls/socket.ts,
// connect.ts, server/sdk/tls-server.ts): the handshake in both modes (mode auth through the
// reference TID auth server over HTTP), an echo of a few MiB, backpressure both ways, half-close
// with close_notify, truncation as an error, KeyUpdate on a live connection, setTimeout, and the
// handshake timeout for a peer that sends nothing or stalls half-way; then the wasm cipher on the
// device (the default) against the wasm and the reference on the server, and an SE backend that
// keeps its token inside the SE, refused.
import { randomBytes } from "node:crypto";
import { connect as tcpConnect, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../bindings/tls/connect.js";
import type { TidTlsSocket } from "../../bindings/tls/socket.js";
import { createTlsServer } from "../../server/sdk/tls-server.js";
import { TidClient } from "../../bindings/client.js";
import { newDevice, startFixture, DEVICES, type Fixture } from "../support/e2e.js";
import { closeServer, listen, readAll, refCipher, refDeviceCipher, secured, socketError } from "../support/tls.js";
import { createSimulatedStack } from "../../hal/index.js";
import { registerDevice } from "../../server/sdk/admin-client.js";
import type { DeviceCipherInput } from "../../bindings/tls/connect.js";

const TID = new Uint8Array(randomBytes(8));
const PSK = new Uint8Array(randomBytes(16));

let echo: Server;
let echoPort: number;
let client: TidClient;

beforeAll(async () => {
  echo = createTlsServer({ resume: (tid) => (Buffer.from(tid).equals(TID) ? PSK.slice() : null) }, (s) => {
    s.on("error", () => {}); // a client destroyed without close_notify (the setTimeout test)
    s.pipe(s);
  });
  echoPort = await listen(echo);
  client = await TidClient.create({ backend: "soft", identity: { tid: TID, psk: new Uint8Array(16) } });
  client.init();
});
afterAll(async () => {
  client.close();
  await closeServer(echo);
});

const resume = (port = echoPort, extra: object = {}): TidTlsSocket =>
  connect({ port }, { client, mode: "resume", cipher: refDeviceCipher(PSK), ...extra });

describe("TidTlsSocket over TCP", () => {
  it("mode resume: secureConnect, properties, a 4 MiB echo, then close_notify both ways", async () => {
    const s = resume();
    await secured(s);
    expect(s.cipherSuite).toBe("TLS_SM4_GCM_SM3");
    expect(s.mode).toBe("resume");
    expect(s.tid).toEqual(TID);
    expect(s.secure).toBe(true);
    const data = randomBytes(4 << 20);
    const got = readAll(s);
    for (let i = 0; i < data.length; i += 100_000) s.write(data.subarray(i, i + 100_000));
    s.end();
    expect((await got).equals(data)).toBe(true);
  });

  it("the server's socket knows the peer's TID and mode", async () => {
    const server = createTlsServer({ resume: () => PSK.slice() });
    const port = await listen(server);
    const seen = new Promise<TidTlsSocket>((r) => server.once("secureConnection", r));
    const s = resume(port);
    const peer = await seen;
    expect(peer.tid).toEqual(TID);
    expect(peer.mode).toBe("resume");
    expect(peer.cipherSuite).toBe("TLS_SM4_GCM_SM3");
    peer.end("bye");
    expect((await readAll(s)).toString()).toBe("bye");
    await closeServer(server);
  });

  it("writes before secureConnect wait for the handshake", async () => {
    const s = resume();
    s.write("early ");
    s.end("data");
    expect((await readAll(s)).toString()).toBe("early data");
  });

  it("backpressure: a reader that does not read stops the writer; nothing is lost", async () => {
    const server = createTlsServer({ resume: () => PSK.slice() });
    const port = await listen(server);
    const peerP = new Promise<TidTlsSocket>((r) => server.once("secureConnection", r));
    const s = resume(port);
    await secured(s);
    const peer = await peerP;
    s.pause();
    const chunk = randomBytes(64 << 10);
    let written = 0;
    while (peer.write(chunk)) {
      written += chunk.length;
      if (written > 256 << 20) break;
    }
    // the kernel's buffers and the two streams' high-water marks hold a few MiB at most
    expect(written).toBeLessThan(64 << 20);
    peer.end();
    const total = (await readAll(s)).length;
    expect(total).toBe(written + chunk.length);
    await closeServer(server);
  });

  it("a TCP close without close_notify is an error (truncation), not an end", async () => {
    const server = createTlsServer({ resume: () => PSK.slice() }, (peer) => {
      peer.on("error", () => {}); // the client's FIN without close_notify, in turn
      peer.write("partial");
      setTimeout(() => peer.socket.end(), 20);
    });
    const port = await listen(server);
    const s = resume(port);
    let data = "";
    s.on("data", (d: Buffer) => (data += d.toString()));
    let ended = false;
    s.on("end", () => (ended = true));
    const e = await socketError(s);
    expect(e).toMatchObject({ name: "TidTlsError", code: "ERR_TLS_TRUNCATED", alert: null });
    expect(data).toBe("partial");
    expect(ended).toBe(false);
    await closeServer(server);
  });

  it("half-close: after the client's end() the server still writes, then ends", async () => {
    const server = createTlsServer({ resume: () => PSK.slice() }, (peer) => {
      peer.resume();
      peer.on("end", () => {
        peer.write("after your end ");
        peer.end("goodbye");
      });
    });
    const port = await listen(server);
    const s = resume(port);
    await secured(s);
    const all = readAll(s);
    s.end();
    expect((await all).toString()).toBe("after your end goodbye");
    await closeServer(server);
  });

  it("KeyUpdate on a live connection, with and without update_requested, both sides", async () => {
    const server = createTlsServer({ resume: () => PSK.slice() }, (peer) => {
      let n = 0;
      peer.on("data", (d: Buffer) => {
        if (++n === 2) peer.keyUpdate(true);
        peer.write(d);
      });
      peer.on("end", () => peer.end());
    });
    const port = await listen(server);
    const s = resume(port);
    await secured(s);
    const all = readAll(s);
    const parts = ["one ", "two ", "three ", "four"];
    for (const [i, p] of parts.entries()) {
      s.write(p);
      if (i === 0) s.keyUpdate(false);
      if (i === 2) s.keyUpdate(true);
      await new Promise((r) => setTimeout(r, 10));
    }
    s.end();
    expect((await all).toString()).toBe(parts.join(""));
    await closeServer(server);
  });

  it("setTimeout emits 'timeout' on an idle connection", async () => {
    const s = resume();
    await secured(s);
    await new Promise<void>((resolve) => s.setTimeout(50, resolve));
    s.destroy();
  });

  it("a peer that sends nothing, or stalls mid-handshake, is dropped after handshakeTimeout", async () => {
    const server = createTlsServer({ resume: () => PSK.slice(), handshakeTimeout: 200 });
    const port = await listen(server);
    const errors: Error[] = [];
    server.on("tlsClientError", (e: Error) => errors.push(e));
    const closed = (bytes: Uint8Array): Promise<number> =>
      new Promise((resolve) => {
        const t0 = Date.now();
        const raw = tcpConnect({ port, host: "127.0.0.1" }, () => raw.write(bytes));
        raw.on("error", () => {});
        raw.on("close", () => resolve(Date.now() - t0));
      });
    const silent = await closed(new Uint8Array(0));
    const stalled = await closed(new Uint8Array([22, 3, 3, 0, 200, 1, 0, 0])); // a record announced, 3 bytes of it sent
    expect(silent).toBeGreaterThanOrEqual(150);
    expect(silent).toBeLessThan(2000);
    expect(stalled).toBeGreaterThanOrEqual(150);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(["ERR_TLS_HANDSHAKE_TIMEOUT", "ERR_TLS_HANDSHAKE_TIMEOUT"]);
    await closeServer(server);
  });

  it("bad options are TypeErrors / RangeErrors naming the option", () => {
    expect(() => connect({ port: 1 }, { client, mode: "other" as never })).toThrow(/options.mode/);
    expect(() => connect({ port: 1 }, { client: {} as never, mode: "auth" })).toThrow(/options.client/);
    expect(() => connect({ port: 1 }, { client, mode: "resume", keyIndex: 99, cipher: refDeviceCipher(PSK) })).toThrow(RangeError);
    expect(() => createTlsServer({})).toThrow(/authServer or authenticate/);
    expect(() => createTlsServer({ resume: () => null, handshakeTimeout: -1 })).toThrow(/handshakeTimeout/);
    expect(() => createTlsServer({ resume: () => null, maxConnections: 0 })).toThrow(/maxConnections/);
  });
});

describe("mode auth through the reference TID auth server", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx.close();
  });

  it("auth in-band, then resume with the token the server kept", async () => {
    const server = createTlsServer({ authServer: { url: fx.url, userUin: fx.userUin, privateKey: fx.privateKey } }, (s) => s.pipe(s));
    const port = await listen(server);
    const device = await newDevice(fx, DEVICES[0]);
    let token: Uint8Array | undefined;
    const capture = (input: DeviceCipherInput) => {
      token = input.token!.slice();
      return refDeviceCipher()(input);
    };
    const a = connect({ port }, { client: device.client, mode: "auth", cipher: capture });
    await secured(a);
    expect(a.mode).toBe("auth");
    expect(a.tid).toEqual(device.identity.tid);
    const echoed = readAll(a);
    a.end("over TID-TLS");
    expect((await echoed).toString()).toBe("over TID-TLS");
    const r = connect({ port }, { client: device.client, mode: "resume", cipher: refDeviceCipher(token!) });
    await secured(r);
    const echoed2 = readAll(r);
    r.end("resumed");
    expect((await echoed2).toString()).toBe("resumed");
    device.close();
    await closeServer(server);
  });
});

describe("with the wasm cipher on the device (the default), over TCP", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx.close();
  });

  it("device and user server on WasmTlsCipher (both defaults): auth, echo, resume, echo", async () => {
    const server = createTlsServer({ authServer: { url: fx.url, userUin: fx.userUin, privateKey: fx.privateKey } }, (s) => s.pipe(s));
    const port = await listen(server);
    const device = await newDevice(fx, DEVICES[0]);
    for (const mode of ["auth", "resume"] as const) {
      const s = connect({ port }, { client: device.client, mode });
      await secured(s);
      const echoed = readAll(s);
      const data = randomBytes(300_000);
      s.end(data);
      expect((await echoed).equals(data), mode).toBe(true);
    }
    device.close();
    await closeServer(server);
  });

  it("device on WasmTlsCipher, user server on the reference: the two implementations interoperate", async () => {
    const token = new Uint8Array(randomBytes(16));
    const server = createTlsServer({ resume: () => token.slice(), cipher: (t) => refCipher("server", t) }, (s) => s.pipe(s));
    const port = await listen(server);
    const c = await TidClient.create({ backend: "soft", identity: { tid: TID, psk: new Uint8Array(16) } });
    c.init();
    c.importSessionKey(2, token);
    const s = connect({ port }, { client: c, mode: "resume", keyIndex: 2 });
    await secured(s);
    const echoed = readAll(s);
    s.keyUpdate(true);
    s.end("wasm ↔ reference");
    expect((await echoed).toString()).toBe("wasm ↔ reference");
    c.close();
    await closeServer(server);
  });

  it("an SE backend that keeps its token inside the SE: mode resume refused at connect(), mode auth fails with the wasm's status", async () => {
    const server = createTlsServer({ authServer: { url: fx.url, userUin: fx.userUin, privateKey: fx.privateKey } });
    const port = await listen(server);
    const serverErrors: Error[] = [];
    server.on("tlsClientError", (e: Error) => serverErrors.push(e));
    const id = { tid: new Uint8Array(randomBytes(8)), psk: new Uint8Array(randomBytes(16)) };
    await registerDevice(fx.admin, { ...id, label: "SE, token kept inside" });
    const stack = createSimulatedStack({ bus: "i2c", identity: { ...id, locked: true } });
    const se = await TidClient.create({ backend: "se", unshielded: true, link: stack.link, returnToken: false });
    se.init();
    expect(() => connect({ port }, { client: se, mode: "resume" })).toThrow(expect.objectContaining({ name: "TidError" }));
    const s = connect({ port }, { client: se, mode: "auth" });
    const e = await socketError(s);
    expect(e).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "handshake_failure" });
    expect(e.cause).toMatchObject({ name: "TidError", status: "ERR_TOKEN_IN_SE" });
    await new Promise((r) => setTimeout(r, 20));
    expect(serverErrors).toMatchObject([{ code: "ERR_TLS_ALERT_RECEIVED", alert: "handshake_failure" }]);
    se.close();
    stack.link.close();
    await closeServer(server);
  });
});
