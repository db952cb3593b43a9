// TID-TLS failures over real TCP on 127.0.0.1 (docs/tls.md "Alerts"): every byte of a protected
// record flipped on the wire → bad_record_mac, the connection closed and no byte of that record
// delivered; a record header over 2^14 + 256 → record_overflow; handshake messages out of order →
// unexpected_message; a wrong PSK binder, a TID the server keeps no token for, and authcodes the
// auth server refuses (replayed, unknown TID) → handshake_failure with a TidTlsError on both
// sides, the server's 'tlsClientError' carrying the cause.
import { randomBytes } from "node:crypto";
import { connect as tcpConnect, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../bindings/tls/connect.js";
import type { TidTlsSocket } from "../../bindings/tls/socket.js";
import { TidClient } from "../../bindings/client.js";
import { createTlsServer } from "../../server/sdk/tls-server.js";
import { encodeFinished } from "../../bindings/tls/messages.js";
import { encodePlaintextRecord } from "../../bindings/tls/records.js";
import { DEVICES, newDevice, startFixture, type Fixture } from "../support/e2e.js";
import { closeServer, listen, recordProxy, refDeviceCipher, secured, socketError } from "../support/tls.js";

const TID = new Uint8Array(randomBytes(8));
const PSK = new Uint8Array(randomBytes(16));
let client: TidClient;

beforeAll(async () => {
  client = await TidClient.create({ backend: "soft", identity: { tid: TID, psk: new Uint8Array(16) } });
  client.init();
});
afterAll(() => client.close());

/** A server that records what it received and every error, on a fresh port. */
async function observedServer(options: Parameters<typeof createTlsServer>[0] = { resume: () => PSK.slice() }) {
  const received: Buffer[] = [];
  const errors: (Error & { code?: string; alert?: string | null; cause?: unknown })[] = [];
  const server: Server = createTlsServer(options, (s) => {
    s.on("data", (d: Buffer) => received.push(d));
    s.on("error", (e) => errors.push(e));
  });
  server.on("tlsClientError", (e: Error) => errors.push(e));
  const port = await listen(server);
  return { server, port, received, errors };
}

const closedSoon = (s: TidTlsSocket): Promise<void> => new Promise((r) => (s.socket.destroyed ? r() : s.socket.once("close", () => r())));

describe("a protected record changed on the wire", () => {
  it("every byte flipped → bad_record_mac on the receiver, the alert on the sender, nothing delivered, TCP closed", async () => {
    const { server, port, received, errors } = await observedServer();
    const content = Buffer.from("0123456789"); // one record of 5 + 10 + 1 + 16 = 32 bytes
    const size = 32;
    for (let i = 0; i < size; i++) {
      received.length = 0;
      errors.length = 0;
      const proxy = await recordProxy(port, (from, record, index) => {
        // client records: 0 ClientHello, 1 Finished, 2 the record under test, 3 a filler
        if (from !== "client" || index !== 2) return record;
        const r = record.slice();
        r[i]! ^= 0x01;
        return r;
      });
      const s = connect({ port: proxy.port }, { client, mode: "resume", cipher: refDeviceCipher(PSK) });
      await secured(s);
      s.write(content);
      s.write(Buffer.alloc(600)); // so that a length grown by 256 still finds its bytes
      const e = await socketError(s);
      expect(e, `byte ${i}`).toMatchObject({ code: "ERR_TLS_ALERT_RECEIVED", alert: "bad_record_mac" });
      await closedSoon(s);
      await new Promise((r) => setTimeout(r, 5));
      expect(received, `byte ${i}`).toEqual([]);
      expect(
        errors.map((x) => [x.code, x.alert]),
        `byte ${i}`,
      ).toEqual([["ERR_TLS_ALERT_SENT", "bad_record_mac"]]);
      await proxy.close();
    }
    await closeServer(server);
  });

  it("a record dropped or replayed → bad_record_mac (the sequence number is in the nonce)", async () => {
    const { server, port, received, errors } = await observedServer();
    for (const how of ["drop", "replay"] as const) {
      received.length = 0;
      errors.length = 0;
      let kept: Uint8Array | undefined;
      const proxy = await recordProxy(port, (from, record, index) => {
        if (from !== "client" || index < 2) return record;
        if (index === 2) {
          kept = record;
          return how === "drop" ? new Uint8Array(0) : record;
        }
        return how === "replay" && index === 3 ? kept! : record;
      });
      const s = connect({ port: proxy.port }, { client, mode: "resume", cipher: refDeviceCipher(PSK) });
      await secured(s);
      s.write("first");
      await new Promise((r) => setTimeout(r, 20));
      s.write("second");
      expect(await socketError(s)).toMatchObject({ alert: "bad_record_mac" });
      await new Promise((r) => setTimeout(r, 5));
      expect(Buffer.concat(received).toString()).toBe(how === "drop" ? "" : "first");
      expect(errors.map((x) => x.alert)).toEqual(["bad_record_mac"]);
      await proxy.close();
    }
    await closeServer(server);
  });

  it("a header announcing 2^14 + 257 bytes → record_overflow, before any body arrives", async () => {
    const { server, port, errors } = await observedServer();
    const proxy = await recordProxy(port, (from, record, index) => {
      if (from !== "client" || index !== 2) return record;
      return new Uint8Array([23, 3, 3, 0x41, 0x01]); // 16641: the header alone
    });
    const s = connect({ port: proxy.port }, { client, mode: "resume", cipher: refDeviceCipher(PSK) });
    await secured(s);
    s.write("x");
    expect(await socketError(s)).toMatchObject({ code: "ERR_TLS_ALERT_RECEIVED", alert: "record_overflow" });
    expect(errors.map((x) => x.alert)).toEqual(["record_overflow"]);
    await proxy.close();
    await closeServer(server);
  });
});

/** Sends `bytes` on a raw TCP connection and collects what comes back until the server closes. */
function raw(port: number, bytes: Uint8Array): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const sock = tcpConnect({ port, host: "127.0.0.1" }, () => sock.write(bytes));
    sock.on("data", (d: Buffer) => parts.push(d));
    sock.on("error", () => {});
    sock.on("close", () => resolve(Buffer.concat(parts)));
  });
}

const alertRecord = (d: number): Buffer => Buffer.from([21, 3, 3, 0, 2, 2, d]);

describe("handshake faults, unprotected (the server answers with a plaintext alert and closes)", () => {
  it("a Finished first → unexpected_message; a plaintext header over 2^14 → record_overflow; garbage → decode_error", async () => {
    const { server, port, errors } = await observedServer();
    expect(await raw(port, encodePlaintextRecord(22, encodeFinished(new Uint8Array(32))))).toEqual(alertRecord(10));
    expect(await raw(port, new Uint8Array([22, 3, 3, 0x40, 0x01]))).toEqual(alertRecord(22));
    expect(await raw(port, encodePlaintextRecord(22, new Uint8Array([1, 0, 0, 9, 1])))).toEqual(alertRecord(50));
    expect(await raw(port, encodePlaintextRecord(23, new Uint8Array(8)))).toEqual(alertRecord(10));
    expect(errors.map((e) => [e.code, e.alert])).toEqual([
      ["ERR_TLS_ALERT_SENT", "unexpected_message"],
      ["ERR_TLS_ALERT_SENT", "record_overflow"],
      ["ERR_TLS_ALERT_SENT", "decode_error"],
      ["ERR_TLS_ALERT_SENT", "unexpected_message"],
    ]);
    await closeServer(server);
  });
});

describe("refused keys → handshake_failure on both sides", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx.close();
  });

  it("a wrong PSK binder (the server holds another token for the TID)", async () => {
    const { server, port, errors } = await observedServer({ resume: () => new Uint8Array(randomBytes(16)) });
    const s = connect({ port }, { client, mode: "resume", cipher: refDeviceCipher(PSK) });
    expect(await socketError(s)).toMatchObject({ name: "TidTlsError", code: "ERR_TLS_ALERT_RECEIVED", alert: "handshake_failure" });
    await closedSoon(s);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "handshake_failure", message: /binder/ });
    await closeServer(server);
  });

  it("an unknown TID in mode resume (the server keeps no token for it)", async () => {
    const { server, port, errors } = await observedServer({ authServer: { url: fx.url, userUin: fx.userUin, privateKey: fx.privateKey } });
    const s = connect({ port }, { client, mode: "resume", cipher: refDeviceCipher(PSK) });
    expect(await socketError(s)).toMatchObject({ alert: "handshake_failure" });
    expect(errors[0]).toMatchObject({ alert: "handshake_failure", message: /no session token/ });
    await closeServer(server);
  });

  it("authcodes the auth server refuses: replayed, unknown TID — the cause is the auth server's code", async () => {
    const captured: Uint8Array[] = [];
    const { server, port, errors } = await observedServer({
      authenticate: async (authcode) => {
        captured.push(authcode);
        return fx.auth(captured[0]!); // every later connection replays the first authcode
      },
    });
    const device = await newDevice(fx, DEVICES[0]);
    const first = connect({ port }, { client: device.client, mode: "auth", cipher: refDeviceCipher() });
    await secured(first);
    first.destroy();
    const replay = connect({ port }, { client: device.client, mode: "auth", cipher: refDeviceCipher() });
    expect(await socketError(replay)).toMatchObject({ code: "ERR_TLS_ALERT_RECEIVED", alert: "handshake_failure" });
    const refused = errors.find((e) => e.alert === "handshake_failure")!;
    expect(refused.cause).toMatchObject({ name: "TidServerError", code: "REPLAY" });

    errors.length = 0;
    const stranger = await newDevice(fx, DEVICES[0], { register: false });
    const {
      server: s2,
      port: p2,
      errors: e2,
    } = await observedServer({ authServer: { url: fx.url, userUin: fx.userUin, privateKey: fx.privateKey } });
    const unknown = connect({ port: p2 }, { client: stranger.client, mode: "auth", cipher: refDeviceCipher() });
    expect(await socketError(unknown)).toMatchObject({ alert: "handshake_failure" });
    expect(e2[0]).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "handshake_failure" });
    expect(e2[0]!.cause).toMatchObject({ code: "UNKNOWN_TID" });
    device.close();
    stranger.close();
    await closeServer(server);
    await closeServer(s2);
  });

  it("a server data that does not verify on the device → the device sends handshake_failure, the server gets it", async () => {
    const { server, port, errors } = await observedServer({
      authenticate: async (authcode) => {
        const [serverData, token] = await fx.auth(authcode);
        const bad = serverData.slice();
        bad[bad.length - 1]! ^= 1; // tag_s
        return [bad, token];
      },
    });
    const device = await newDevice(fx, DEVICES[0]);
    const s = connect({ port }, { client: device.client, mode: "auth", cipher: refDeviceCipher() });
    const e = await socketError(s);
    expect(e).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "handshake_failure" });
    expect(e.cause).toMatchObject({ name: "TidError", status: "ERR_VERIFY_FAILED" });
    await new Promise((r) => setTimeout(r, 20));
    expect(errors.map((x) => [x.code, x.alert])).toEqual([["ERR_TLS_ALERT_RECEIVED", "handshake_failure"]]);
    device.close();
    await closeServer(server);
  });
});
