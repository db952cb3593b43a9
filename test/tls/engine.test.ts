// The TID-TLS engine without I/O (bindings/tls/connection.ts, client-handshake.ts,
// server-handshake.ts): both handshakes wired in memory with the node:crypto reference cipher on
// each side. Checks the flow of docs/tls.md "Flow" in both modes, application data cut into
// records of ≤ 2^14 bytes, KeyUpdate with update_requested honoured, close_notify, and that a
// message out of order, a wrong binder, a bad Finished or a refused server data ends the
// connection with the alert docs/tls.md "Alerts" names on both sides.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { localAlert } from "../../bindings/tls/alerts.js";
import { TLS_MAX_PLAINTEXT } from "../../bindings/tls/cipher.js";
import { encodeFinished, encodeHandshake, HandshakeType } from "../../bindings/tls/messages.js";
import { encodePlaintextRecord } from "../../bindings/tls/records.js";
import { errorOf, memoryPair, refCipher, type Pair } from "../support/tls.js";
import { EXAMPLE } from "../support/tid.js";
import { fromHex } from "../../reference/bytes.js";

const TID = new Uint8Array(randomBytes(8));
const PSK = new Uint8Array(randomBytes(16));
const AUTHCODE = fromHex(EXAMPLE.authcode);
const SERVER_DATA = fromHex(EXAMPLE.serverData);

function resumePair(serverPsk = PSK, options: Parameters<typeof memoryPair>[2] = {}): Pair {
  const p = memoryPair(
    { mode: "resume", tid: TID, cipher: refCipher("client", PSK) },
    () => ({ cipher: refCipher("server", serverPsk) }),
    options,
  );
  p.settle();
  return p;
}

function authPair(validate: (sd: Uint8Array) => ReturnType<typeof refCipher>): Pair {
  const p = memoryPair({ mode: "auth", authcode: AUTHCODE, validate }, () => ({
    cipher: refCipher("server", PSK),
    serverData: SERVER_DATA,
  }));
  p.settle();
  return p;
}

const secure = (p: Pair): boolean => p.client.conn.secure && p.server.conn.secure;

describe("TID-TLS handshake in memory (reference cipher both sides)", () => {
  it("mode resume: four messages, both sides secure, data both ways", () => {
    const p = resumePair();
    expect(secure(p)).toBe(true);
    expect(p.client.sent.map((r) => r[0])).toEqual([22, 23]); // ClientHello (plain), Finished (protected)
    expect(p.server.sent.map((r) => r[0])).toEqual([22, 23]); // ServerHello (plain), Finished (protected)
    expect(p.server.conn.tid).toEqual(TID);
    expect(p.server.conn.mode).toBe("resume");
    const up = new Uint8Array(randomBytes(3 * TLS_MAX_PLAINTEXT + 5));
    p.take("client", { send: [p.client.conn.seal(up)], events: [] });
    const down = new TextEncoder().encode("hello device");
    p.take("server", { send: [p.server.conn.seal(down)], events: [] });
    p.settle();
    expect(p.data("server")).toEqual(up);
    expect(p.data("client")).toEqual(down);
  });

  it("application data is cut into records of at most 2^14 bytes", () => {
    const p = resumePair();
    const out = p.client.conn.seal(new Uint8Array(2 * TLS_MAX_PLAINTEXT + 1));
    const lengths: number[] = [];
    for (let at = 0; at < out.length;) {
      const n = (out[at + 3]! << 8) | out[at + 4]!;
      lengths.push(n);
      at += 5 + n;
    }
    expect(lengths).toEqual([TLS_MAX_PLAINTEXT + 17, TLS_MAX_PLAINTEXT + 17, 1 + 17]);
  });

  it("mode auth: the server data goes to validate, whose cipher keys the connection", () => {
    let seen: Uint8Array | undefined;
    const p = authPair((sd) => {
      seen = sd;
      return refCipher("client", PSK);
    });
    expect(secure(p)).toBe(true);
    expect(seen).toEqual(SERVER_DATA);
    expect(p.server.conn.tid).toEqual(fromHex(EXAMPLE.TID));
    expect(p.server.conn.mode).toBe("auth");
  });

  it("KeyUpdate with update_requested: both directions move on and data still flows", () => {
    const p = resumePair();
    p.take("client", p.client.conn.keyUpdate(true));
    p.settle();
    // the server answered with its own KeyUpdate (not requested)
    expect(p.server.sent.length).toBe(3);
    p.take("server", { send: [p.server.conn.seal(new Uint8Array([1, 2, 3]))], events: [] });
    p.take("client", { send: [p.client.conn.seal(new Uint8Array([4, 5]))], events: [] });
    p.take("server", p.server.conn.keyUpdate(false));
    p.take("server", { send: [p.server.conn.seal(new Uint8Array([6]))], events: [] });
    p.settle();
    expect(p.data("client")).toEqual(new Uint8Array([1, 2, 3, 6]));
    expect(p.data("server")).toEqual(new Uint8Array([4, 5]));
    expect(errorOf(p.client)).toBeUndefined();
    expect(errorOf(p.server)).toBeUndefined();
  });

  it("a KeyUpdate whose request_update is not 0 or 1 → illegal_parameter", () => {
    const p = resumePair();
    const c = p.client.conn as unknown as {
      sendRecord(t: number, b: Uint8Array): void;
      run(f: () => void): ReturnType<typeof p.client.conn.close>;
    };
    p.take(
      "client",
      c.run(() => c.sendRecord(22, encodeHandshake(HandshakeType.keyUpdate, new Uint8Array([2])))),
    );
    p.settle();
    expect(errorOf(p.server)).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "illegal_parameter" });
    expect(errorOf(p.client)).toMatchObject({ code: "ERR_TLS_ALERT_RECEIVED", alert: "illegal_parameter" });
  });

  it("close_notify ends the peer's reading; data after it is ignored", () => {
    const p = resumePair();
    p.take("client", p.client.conn.close());
    p.settle();
    expect(p.server.events.at(-1)).toEqual({ type: "end" });
    expect(p.server.conn.readClosed).toBe(true);
    expect(() => p.client.conn.seal(new Uint8Array(1))).toThrow(/write after end/);
    // the server may still write (half-close)
    p.take("server", { send: [p.server.conn.seal(new Uint8Array([9]))], events: [] });
    p.settle();
    expect(p.data("client")).toEqual(new Uint8Array([9]));
  });

  it("a wrong PSK binder → handshake_failure on both sides", () => {
    const p = resumePair(new Uint8Array(16));
    expect(errorOf(p.server)).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "handshake_failure" });
    expect(errorOf(p.client)).toMatchObject({ code: "ERR_TLS_ALERT_RECEIVED", alert: "handshake_failure" });
    expect(secure(p)).toBe(false);
  });

  it("a server data that does not verify → the client sends handshake_failure, unprotected, and the server takes it", () => {
    const cause = new Error("ERR_VERIFY_FAILED");
    const p = authPair(() => {
      throw cause;
    });
    const e = errorOf(p.client)!;
    expect(e).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "handshake_failure" });
    expect(e.cause).toBe(cause);
    expect(p.client.sent.at(-1)).toEqual(encodePlaintextRecord(21, new Uint8Array([2, 40])));
    expect(errorOf(p.server)).toMatchObject({ code: "ERR_TLS_ALERT_RECEIVED", alert: "handshake_failure" });
  });

  it("a server that refuses the key → handshake_failure with its cause", () => {
    const p = memoryPair({ mode: "resume", tid: TID, cipher: refCipher("client", PSK) }, () => localAlert("handshake_failure", "no token"));
    p.settle();
    expect(errorOf(p.server)).toMatchObject({ alert: "handshake_failure" });
    expect(errorOf(p.client)).toMatchObject({ code: "ERR_TLS_ALERT_RECEIVED", alert: "handshake_failure" });
  });

  it("a bad server Finished → decrypt_error", () => {
    const q = memoryPair({ mode: "resume", tid: TID, cipher: refCipher("client", PSK) }, () => {
      const cipher = refCipher("server", PSK);
      const finished = cipher.finished.bind(cipher);
      cipher.finished = (side, hash) => {
        const v = finished(side, hash);
        v[0]! ^= 1;
        return v;
      };
      return { cipher };
    });
    q.settle();
    expect(errorOf(q.client)).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "decrypt_error" });
    expect(errorOf(q.server)).toMatchObject({ code: "ERR_TLS_ALERT_RECEIVED", alert: "decrypt_error" });
  });

  it("out of order: a Finished in place of the ServerHello → unexpected_message", () => {
    const p = memoryPair({ mode: "resume", tid: TID, cipher: refCipher("client", PSK) }, () => ({ cipher: refCipher("server", PSK) }), {
      tamper: (from, record) =>
        from === "server" && record[0] === 22 ? encodePlaintextRecord(22, encodeFinished(new Uint8Array(32))) : record,
    });
    p.settle();
    expect(errorOf(p.client)).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "unexpected_message" });
  });

  it("out of order: a second ClientHello, or application data before the handshake → unexpected_message", () => {
    const p = memoryPair({ mode: "resume", tid: TID, cipher: refCipher("client", PSK) }, () => ({ cipher: refCipher("server", PSK) }), {
      tamper: (from, record) => (from === "client" && record[0] === 23 ? p.client.sent[0]! : record),
    });
    p.settle();
    // the repeated ClientHello arrives unprotected while the server reads protected records
    expect(errorOf(p.server)?.alert).toMatch(/bad_record_mac|unexpected_message/);
    const q = memoryPair({ mode: "resume", tid: TID, cipher: refCipher("client", PSK) }, () => ({ cipher: refCipher("server", PSK) }), {
      tamper: (from, record, index) => (from === "client" && index === 0 ? encodePlaintextRecord(23, new Uint8Array(4)) : record),
    });
    q.settle();
    expect(errorOf(q.server)).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "unexpected_message" });
  });

  it("a ServerHello whose mode differs from the client's → illegal_parameter", () => {
    const p = memoryPair(
      { mode: "auth", authcode: AUTHCODE, validate: () => refCipher("client", PSK) },
      () => ({ cipher: refCipher("server", PSK), serverData: SERVER_DATA }),
      {
        tamper: (from, record) => {
          if (from !== "server" || record[0] !== 22) return record;
          const r = record.slice();
          r[5 + 4 + 1 + 32 + 2] = 2; // mode byte → resume
          return r;
        },
      },
    );
    p.settle();
    expect(errorOf(p.client)).toMatchObject({ alert: "illegal_parameter" });
  });

  it("after failing, the keys are wiped: the cipher refuses further use", () => {
    const cipher = refCipher("server", new Uint8Array(16));
    const p = memoryPair({ mode: "resume", tid: TID, cipher: refCipher("client", PSK) }, () => ({ cipher }));
    p.settle();
    expect(errorOf(p.server)?.alert).toBe("handshake_failure");
    expect(() => cipher.binder(new Uint8Array(32))).toThrow(/after destroy/);
  });
});
