// Shared helpers of the TID-TLS cipher suites (test/tls/wasm-*.test.ts): two TlsCipher objects of
// one connection taken through the PSK handshake's key schedule side by side, and the secrets a
// wasm TLS context holds, read through the test build's hook (docs/abi.md "Test hooks").
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { ContentType, TLS_MAX_RECORD, type TlsCipher } from "../../bindings/tls/cipher.js";
import { toHex } from "../../reference/bytes.js";
import type { TidWasm } from "../../bindings/wasm.js";
import { tlsHash, type TlsSecrets } from "../../reference/tls-key-schedule.js";

/** The two transcript hashes of one handshake: ClientHello..ServerHello and ..server Finished. */
export interface Transcript {
  helloHash: Uint8Array;
  serverFinishedHash: Uint8Array;
  /** ClientHello up to the binders (what the binder covers). */
  truncatedHelloHash: Uint8Array;
}

export function randomTranscript(): Transcript {
  return {
    truncatedHelloHash: tlsHash(randomBytes(200)),
    helloHash: tlsHash(randomBytes(300)),
    serverFinishedHash: tlsHash(randomBytes(400)),
  };
}

/**
 * Take a client and a server cipher of the same PSK through the handshake: binder checked by the
 * server, handshake secrets, both Finished checked across, application secrets, both directions
 * switched. Returns the transcript used.
 */
export function handshake(client: TlsCipher, server: TlsCipher, t: Transcript = randomTranscript()): Transcript {
  const binder = client.binder(t.truncatedHelloHash);
  expect(server.verifyBinder(t.truncatedHelloHash, binder)).toBe(true);
  client.deriveHandshakeSecrets(t.helloHash);
  server.deriveHandshakeSecrets(t.helloHash);
  const sf = server.finished("server", t.serverFinishedHash);
  expect(client.verifyFinished("server", t.serverFinishedHash, sf)).toBe(true);
  const cf = client.finished("client", t.serverFinishedHash);
  expect(server.verifyFinished("client", t.serverFinishedHash, cf)).toBe(true);
  client.deriveApplicationSecrets(t.serverFinishedHash);
  server.deriveApplicationSecrets(t.serverFinishedHash);
  for (const c of [client, server]) {
    c.useApplicationKeys("write");
    c.useApplicationKeys("read");
  }
  return t;
}

/** The order of the secrets in a wasm TLS context (tid_test_tls_secret's `which`). */
export const SECRET_ORDER: readonly (keyof TlsSecrets)[] = [
  "earlySecret",
  "binderKey",
  "handshakeSecret",
  "clientHandshakeTrafficSecret",
  "serverHandshakeTrafficSecret",
  "masterSecret",
  "clientApplicationTrafficSecret",
  "serverApplicationTrafficSecret",
];

/** Secret `name` of context `ctx` of a test-build instance (all zeros once wiped). */
export function wasmSecret(wasm: TidWasm, ctx: number, name: keyof TlsSecrets): Uint8Array {
  const io = wasm.ioPtr;
  const st = wasm.exports.tid_test_tls_secret!(ctx, SECRET_ORDER.indexOf(name), io);
  expect(st).toBe(0);
  const out = wasm.bytes().slice(io, io + 32);
  wasm.bytes().fill(0, io, io + 32);
  return out;
}

/**
 * Two ciphers of the same side and PSK (the wasm's and the reference's, say) seal every record
 * alike: sizes `sizes` on the handshake keys, then on the application keys, then after three
 * KeyUpdates. Both have computed the binder already; `t` is their transcript.
 */
export function expectSameRecords(w: TlsCipher, r: TlsCipher, t: Transcript, sizes: readonly number[]): void {
  for (const c of [w, r]) c.deriveHandshakeSecrets(t.helloHash);
  const sealBoth = (size: number) => {
    const content = new Uint8Array(randomBytes(size));
    const a = new Uint8Array(TLS_MAX_RECORD),
      b = new Uint8Array(TLS_MAX_RECORD);
    const n = w.seal(ContentType.handshake, content, a, 0);
    expect(r.seal(ContentType.handshake, content, b, 0)).toBe(n);
    expect(toHex(a.subarray(0, n))).toBe(toHex(b.subarray(0, n)));
  };
  for (const size of sizes) sealBoth(size);
  for (const side of ["client", "server"] as const) {
    expect(toHex(w.finished(side, t.serverFinishedHash))).toBe(toHex(r.finished(side, t.serverFinishedHash)));
  }
  for (const c of [w, r]) {
    c.deriveApplicationSecrets(t.serverFinishedHash);
    c.useApplicationKeys("write");
    c.useApplicationKeys("read");
  }
  for (const size of sizes) sealBoth(size);
  for (let i = 0; i < 3; i++) {
    w.keyUpdate("write");
    r.keyUpdate("write");
    for (const size of [0, 17, 16384]) sealBoth(size);
  }
}
