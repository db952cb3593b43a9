// Fuzzing the TID-TLS parsers and record layer (bindings/tls/messages.ts, records.ts,
// connection.ts and both handshakes), 100,000 inputs from a fixed seed (60,000 messages, 35,000
// streams into a fresh server, 2,500 + 2,500 protected records on fresh handshakes): mutations of the valid
// messages and records of the worked example (test/vectors/tid-tls-example.json) and random bytes.
// Nothing may crash — every refusal is a TidTlsError carrying a protocol alert, never
// internal_error — and nothing mutated is accepted: no mutated resume ClientHello' passes the
// binder, no mutated server Finished lets the client finish, no mutated protected record delivers
// a byte.
import { describe, expect, it } from "vitest";
import { TidTlsError } from "../../bindings/tls/alerts.js";
import {
  decodeClientHello,
  decodeFinished,
  decodeHandshake,
  decodeKeyUpdate,
  decodeServerHello,
  HandshakeType,
} from "../../bindings/tls/messages.js";
import { ClientHandshake } from "../../bindings/tls/client-handshake.js";
import { ServerHandshake } from "../../bindings/tls/server-handshake.js";
import { fromHex } from "../../reference/bytes.js";
import { memoryPair, refCipher } from "../support/tls.js";
import { TLS_EXAMPLE as X } from "../support/tls-example.js";

/** xorshift32: the same inputs every run. */
function prng(seed: number): { int(n: number): number; bytes(n: number): Uint8Array } {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  return {
    int: (n) => next() % n,
    bytes: (n) => Uint8Array.from({ length: n }, () => next() & 0xff),
  };
}

/** One mutation of `input`: flip bits, set bytes, truncate, extend, duplicate or splice random bytes. */
function mutate(r: ReturnType<typeof prng>, input: Uint8Array): Uint8Array {
  const out = Array.from(input);
  const rounds = 1 + r.int(3);
  for (let k = 0; k < rounds; k++) {
    const at = out.length === 0 ? 0 : r.int(out.length);
    switch (r.int(6)) {
      case 0:
        if (out.length) out[at] = out[at]! ^ (1 << r.int(8));
        break;
      case 1:
        if (out.length) out[at] = r.int(256);
        break;
      case 2:
        out.length = r.int(out.length + 1);
        break;
      case 3:
        out.push(...r.bytes(1 + r.int(8)));
        break;
      case 4:
        out.splice(at, 0, ...out.slice(at, at + 1 + r.int(16)));
        break;
      default:
        out.splice(at, r.int(4), ...r.bytes(r.int(4)));
    }
  }
  return Uint8Array.from(out);
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Runs `fn`; a throw must be a TidTlsError with a protocol alert. */
function typed(fn: () => void): "ok" | "refused" {
  try {
    fn();
    return "ok";
  } catch (e) {
    if (!(e instanceof TidTlsError) || e.code !== "ERR_TLS_ALERT_SENT" || e.alert === "internal_error") throw e;
    return "refused";
  }
}

const MESSAGES = [
  X.auth.clientHello,
  X.resume.clientHello,
  X.auth.serverHello,
  X.resume.serverHello,
  X.resume.serverFinished,
  "1800000101",
].map(fromHex);

describe("TID-TLS fuzz (fixed seed)", () => {
  it("60,000 handshake messages: the decoders only ever throw typed alerts", () => {
    const r = prng(0x7115_0001);
    let refused = 0;
    for (let i = 0; i < 60_000; i++) {
      const base = MESSAGES[i % MESSAGES.length]!;
      const input = i % 10 === 9 ? r.bytes(r.int(700)) : mutate(r, base);
      const outcome = typed(() => {
        const m = decodeHandshake(input);
        if (m.type === HandshakeType.clientHello) decodeClientHello(m.body);
        else if (m.type === HandshakeType.serverHello) decodeServerHello(m.body, i % 2 ? "auth" : "resume");
        else if (m.type === HandshakeType.finished) decodeFinished(m.body);
        else if (m.type === HandshakeType.keyUpdate) decodeKeyUpdate(m.body);
      });
      if (outcome === "refused") refused++;
    }
    expect(refused).toBeGreaterThan(30_000);
  });

  it("35,000 byte streams into a server before its handshake: typed alerts only, and no mutated resume ClientHello' passes the binder", () => {
    const r = prng(0x7115_0002);
    const record = fromHex(X.resume.records.client[0]!.record);
    const psk = fromHex(X.resume.PSK);
    let binderChecked = 0;
    for (let i = 0; i < 35_000; i++) {
      const input = i % 10 === 9 ? r.bytes(r.int(200)) : mutate(r, record);
      if (same(input, record)) continue;
      const server = new ServerHandshake();
      const step = server.receive(input);
      for (const e of step.events) {
        if (e.type === "error") {
          expect(e.error.code).toBe("ERR_TLS_ALERT_SENT");
          expect(e.error.alert).not.toBe("internal_error");
        }
        // the ClientHello' record intact (bytes were only added after it) is no mutation of it
        const intact = input.length >= record.length && same(input.subarray(0, record.length), record);
        if (e.type === "hello" && e.hello.mode === "resume" && !intact) {
          binderChecked++;
          const answer = server.accept({ cipher: refCipher("server", psk) }, new Uint8Array(32));
          expect(answer.events.map((x) => (x.type === "error" ? x.error.alert : x.type))).toEqual(["handshake_failure"]);
        }
        if (e.type === "hello" && (e.hello.mode === "auth" || intact)) server.destroy();
      }
    }
    expect(binderChecked).toBeGreaterThan(100);
  });

  it("2,500 mutated server Finished records (each on a fresh handshake): the client never finishes", () => {
    const r = prng(0x7115_0003);
    const c = X.resume;
    const [helloRecord, finishedRecord] = c.records.server.map((x) => fromHex(x.record));
    for (let i = 0; i < 2_500; i++) {
      const input = mutate(r, finishedRecord!);
      if (input.length >= finishedRecord!.length && same(input.subarray(0, finishedRecord!.length), finishedRecord!)) continue;
      const client = new ClientHandshake(
        { mode: "resume", tid: fromHex(X.TID), cipher: refCipher("client", fromHex(c.PSK)) },
        fromHex(c.clientRandom),
      );
      client.start();
      expect(client.receive(helloRecord!).events).toEqual([]);
      const events = client.receive(input).events;
      expect(client.secure).toBe(false);
      for (const e of events) {
        expect(e.type).toBe("error");
        if (e.type === "error") expect(e.error.alert).not.toBe("internal_error");
      }
      client.destroy();
    }
  });

  it("2,500 mutated application records on a live connection: never a delivered byte", () => {
    const r = prng(0x7115_0004);
    const psk = new Uint8Array(16).fill(7);
    const tid = new Uint8Array(8).fill(1);
    const pair = () => {
      const p = memoryPair({ mode: "resume", tid, cipher: refCipher("client", psk) }, () => ({ cipher: refCipher("server", psk) }));
      p.settle();
      return p;
    };
    let p = pair();
    const valid = p.client.conn.seal(new TextEncoder().encode("the content of one protected record"));
    let refused = 0;
    for (let i = 0; i < 2_500; i++) {
      const input = mutate(r, valid);
      if (input.length >= valid.length && same(input.subarray(0, valid.length), valid)) continue;
      const events = p.server.conn.receive(input).events;
      expect(events.filter((e) => e.type === "data")).toEqual([]);
      const error = events.find((e) => e.type === "error");
      if (error?.type === "error") {
        expect(error.error.alert).not.toBe("internal_error");
        refused++;
        p = pair(); // the connection is dead: a fresh one (its first record is `valid` again, seq 0)
      } else {
        // a prefix of a record: the server waits for the rest; nothing was delivered
        expect(p.server.conn.failed).toBe(false);
        p = pair();
      }
    }
    expect(refused).toBeGreaterThan(1_200); // the rest were cut short: the server still waits for their bytes
  });
});
