// The TID-TLS worked example (test/vectors/tid-tls-example.json), typed once, and the run of one
// example connection through the engine (bindings/tls/) with the fixed randoms going in through the
// sans-IO handshakes' constructor and accept() — for test/tls/example.test.ts (reference cipher)
// and the device-side wasm cipher's run of the same example.
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { fromHex, toHex } from "../../reference/bytes.js";
import type { ClientCredentials } from "../../bindings/tls/client-handshake.js";
import type { TlsCipher } from "../../bindings/tls/cipher.js";
import { memoryPair, refCipher, errorOf, type Pair } from "./tls.js";

export interface Connection {
  mode: "auth" | "resume";
  clientRandom: string;
  serverRandom: string;
  PSK: string;
  binder?: string;
  clientHello: string;
  serverHello: string;
  helloHash: string;
  serverFinished: string;
  serverFinishedHash: string;
  clientFinished: string;
  secrets: Record<string, string>;
  keys: Record<string, { key: string; iv: string }>;
  records: Record<"client" | "server", { what: string; record: string; content?: string }[]>;
}
export const TLS_EXAMPLE: {
  TID: string;
  authcode: string;
  serverData: string;
  sessionToken: string;
  auth: Connection;
  resume: Connection;
} = JSON.parse(readFileSync(new URL("../vectors/tid-tls-example.json", import.meta.url), "utf8"));
const X = TLS_EXAMPLE;

/** Runs one example connection through the engine: handshake, one record each, KeyUpdate, one record each. */
/** `deviceCipher` gets the PSK in mode resume, null in mode auth (after the server data was checked). */
export function runExample(c: Connection, deviceCipher: (token: Uint8Array | null) => TlsCipher, authcode = fromHex(X.authcode)): Pair {
  const token = fromHex(c.PSK);
  const credentials: ClientCredentials =
    c.mode === "auth"
      ? { mode: "auth", authcode, validate: (sd) => (expect(toHex(sd)).toBe(X.serverData), deviceCipher(null)) }
      : { mode: "resume", tid: fromHex(X.TID), cipher: deviceCipher(token) };
  const p = memoryPair(
    credentials,
    () => ({ cipher: refCipher("server", token), ...(c.mode === "auth" ? { serverData: fromHex(X.serverData) } : {}) }),
    { clientRandom: fromHex(c.clientRandom), serverRandom: fromHex(c.serverRandom) },
  );
  p.settle();
  const content = (side: "client" | "server", i: number) => fromHex(c.records[side][i]!.content!);
  p.take("client", { send: [p.client.conn.seal(content("client", 2))], events: [] });
  p.take("server", { send: [p.server.conn.seal(content("server", 2))], events: [] });
  p.take("client", p.client.conn.keyUpdate(true));
  p.settle();
  p.take("client", { send: [p.client.conn.seal(content("client", 4))], events: [] });
  p.take("server", { send: [p.server.conn.seal(content("server", 4))], events: [] });
  p.settle();
  return p;
}

export function expectRecords(p: Pair, c: Connection): void {
  expect(errorOf(p.client)).toBeUndefined();
  expect(errorOf(p.server)).toBeUndefined();
  for (const side of ["client", "server"] as const) {
    expect(p[side].sent.map((r) => toHex(r))).toEqual(c.records[side].map((r) => r.record));
  }
  const text = (side: "client" | "server") => c.records[side].flatMap((r) => (r.content ? [r.content] : [])).join("");
  expect(toHex(p.data("server"))).toBe(text("client"));
  expect(toHex(p.data("client"))).toBe(text("server"));
}
