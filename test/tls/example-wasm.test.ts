// The TID-TLS worked example (test/vectors/tid-tls-example.json) with the wasm cipher
// (bindings/tls/wasm-cipher.ts) in the engine: on the device side keyed from the client's session
// slot — mode auth from the token that validate() installs after the example's authcode (Nd, time
// and ephemeral key through the test build's TEST HOOK), mode resume from the token imported into
// a slot — with the reference on the server side, and with WasmTlsCipher.fromPsk on both sides.
// Every record must be the example's, byte for byte.
import { afterEach, describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../reference/bytes.js";
import { WasmTlsCipher } from "../../bindings/tls/wasm-cipher.js";
import type { TidClient } from "../../bindings/client.js";
import { EXAMPLE, EXAMPLE_IDENTITY, softClient } from "../support/tid.js";
import { TLS_EXAMPLE as X, expectRecords, runExample } from "../support/tls-example.js";
import { memoryPair, errorOf } from "../support/tls.js";

let client: TidClient | undefined;
afterEach(() => {
  client?.close();
  client = undefined;
});

describe("TID-TLS worked example with WasmTlsCipher", () => {
  it("mode auth, device keyed from the slot validate() filled; reference server", async () => {
    client = await softClient("test", EXAMPLE_IDENTITY);
    client.testHooks.inject(fromHex(EXAMPLE.Nd), EXAMPLE.deviceTime, fromHex(EXAMPLE.deviceEphemeralPrivate));
    const authcode = client.getAuthcode();
    expect(toHex(authcode)).toBe(X.authcode);
    const c = client;
    const p = runExample(
      X.auth,
      () => {
        expect(toHex(c.validate(fromHex(X.serverData))!)).toBe(X.sessionToken);
        return WasmTlsCipher.fromClient(c);
      },
      authcode,
    );
    expectRecords(p, X.auth);
  });

  it("mode resume, device keyed from slot 3 (the token imported there); reference server", async () => {
    client = await softClient("release", EXAMPLE_IDENTITY);
    client.importSessionKey(3, fromHex(X.sessionToken));
    const c = client;
    expectRecords(
      runExample(X.resume, () => WasmTlsCipher.fromClient(c, { keyIndex: 3 })),
      X.resume,
    );
  });

  it("both sides on fromPsk (the user server's default) reproduce mode resume", () => {
    const psk = fromHex(X.resume.PSK);
    const p = memoryPair(
      { mode: "resume", tid: fromHex(X.TID), cipher: WasmTlsCipher.fromPsk("client", psk) },
      () => ({ cipher: WasmTlsCipher.fromPsk("server", psk) }),
      { clientRandom: fromHex(X.resume.clientRandom), serverRandom: fromHex(X.resume.serverRandom) },
    );
    p.settle();
    expect(errorOf(p.client)).toBeUndefined();
    expect(p.client.sent.map((r) => toHex(r)).slice(0, 2)).toEqual(X.resume.records.client.slice(0, 2).map((r) => r.record));
    expect(p.server.sent.map((r) => toHex(r))).toEqual(X.resume.records.server.slice(0, 2).map((r) => r.record));
  });

  it("mode resume from an empty slot is refused with the wasm's status", async () => {
    client = await softClient("release", EXAMPLE_IDENTITY);
    expect(() => WasmTlsCipher.fromClient(client!, { keyIndex: 5 })).toThrow(
      expect.objectContaining({ name: "TidError", status: "ERR_SLOT_EMPTY" }),
    );
  });
});
