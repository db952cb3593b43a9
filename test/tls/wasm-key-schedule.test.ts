// The wasm's TID-TLS key schedule (assembly/tls/, RFC 8446 §7.1 psk_ke over HKDF-SM3) held to the
// node:crypto reference (reference/tls-key-schedule.ts): every secret a context derives, read
// through the test build's hook, equals tlsKeySchedule's for several PSKs and transcripts; secrets
// are wiped when the schedule no longer needs them; and a context keyed from a TidClient's session
// slot (the device) equals one keyed from the same token as a PSK, with the typed errors when the
// slot is empty or the SE keeps the token.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { WasmTlsCipher } from "../../bindings/tls/wasm-cipher.js";
import { TidClient } from "../../bindings/client.js";
import { Status } from "../../bindings/status.js";
import { createSimulatedStack } from "../../hal/index.js";
import { ReferenceTlsCipher } from "../../reference/tls-cipher.js";
import { finishedVerifyData, tlsKeySchedule } from "../../reference/tls-key-schedule.js";
import { toHex } from "../../reference/bytes.js";
import { expectStatus } from "../support/assertions.js";
import { randomIdentity, softClient, answer } from "../support/tid.js";
import { SECRET_ORDER, handshake, randomTranscript, wasmSecret } from "../support/tls-cipher.js";

const ZERO32 = "00".repeat(32);

describe("the wasm key schedule equals tlsKeySchedule, secret by secret", async () => {
  const client = await softClient("test", randomIdentity());
  afterAll(() => client.close());

  it.each([0, 1, 2, 3, 4, 5])("PSK and transcript #%i", (i) => {
    const psk = i === 0 ? new Uint8Array(16) : i === 1 ? new Uint8Array(16).fill(0xff) : new Uint8Array(randomBytes(16));
    client.importSessionKey(3, psk);
    const t = randomTranscript();
    const expected = tlsKeySchedule(psk, t.helloHash, t.serverFinishedHash);
    const w = WasmTlsCipher.fromClient(client, { keyIndex: 3 });
    const peer = new ReferenceTlsCipher("server", psk);
    const secret = (name: (typeof SECRET_ORDER)[number]) => toHex(wasmSecret(w.wasm, w.context, name));
    expect(secret("earlySecret")).toBe(toHex(expected.earlySecret));
    expect(secret("binderKey")).toBe(toHex(expected.binderKey));
    expect(toHex(w.binder(t.truncatedHelloHash))).toBe(toHex(finishedVerifyData(expected.binderKey, t.truncatedHelloHash)));
    w.deriveHandshakeSecrets(t.helloHash);
    expect(secret("earlySecret")).toBe(ZERO32); // wiped once the handshake secret exists
    for (const name of ["handshakeSecret", "clientHandshakeTrafficSecret", "serverHandshakeTrafficSecret"] as const) {
      expect(secret(name), name).toBe(toHex(expected[name]));
    }
    w.deriveApplicationSecrets(t.serverFinishedHash);
    for (const name of ["masterSecret", "clientApplicationTrafficSecret", "serverApplicationTrafficSecret"] as const) {
      expect(secret(name), name).toBe(toHex(expected[name]));
    }
    // The traffic keys behind those secrets: records the reference peer opens.
    peer.deriveHandshakeSecrets(t.helloHash);
    peer.deriveApplicationSecrets(t.serverFinishedHash);
    for (const c of [w, peer]) (c.useApplicationKeys("read"), c.useApplicationKeys("write"));
    for (const name of [
      "binderKey",
      "handshakeSecret",
      "clientHandshakeTrafficSecret",
      "serverHandshakeTrafficSecret",
      "masterSecret",
    ] as const) {
      expect(secret(name), `${name} wiped after both directions switched`).toBe(ZERO32);
    }
    const rec = new Uint8Array(64);
    const n = w.seal(23, new Uint8Array([1, 2, 3]), rec);
    expect(peer.open(rec.subarray(0, n), new Uint8Array(64))).toMatchObject({ type: 23 });
    w.keyUpdate("write");
    expect(secret("clientApplicationTrafficSecret")).not.toBe(toHex(expected.clientApplicationTrafficSecret));
    w.destroy();
    for (const name of SECRET_ORDER) expect(wasmSecret(client.wasm, w.context, name).every((b) => b === 0)).toBe(true);
    peer.destroy();
  });
});

describe("WasmTlsCipher.fromClient", () => {
  it("keys from the active slot by default, from keyIndex when given, the token never in JavaScript", async () => {
    const id = randomIdentity();
    const client = await softClient("release", id);
    const token = client.validate(answer(client.getAuthcode(), id, { issueToken: true }).serverData)!;
    const other = new Uint8Array(randomBytes(16));
    client.importSessionKey(5, other);
    for (const [w, psk] of [
      [WasmTlsCipher.fromClient(client), token],
      [WasmTlsCipher.fromClient(client, { keyIndex: 5 }), other],
    ] as const) {
      expect(w.side).toBe("client");
      const server = new ReferenceTlsCipher("server", psk);
      handshake(w, server);
      const rec = new Uint8Array(100);
      const n = server.seal(23, new Uint8Array([9, 8, 7]), rec);
      expect(w.open(rec.subarray(0, n), new Uint8Array(100))).toMatchObject({ type: 23, content: new Uint8Array([9, 8, 7]) });
      w.destroy();
      server.destroy();
    }
    client.close();
  });

  it("an empty slot → TidError ERR_SLOT_EMPTY; a bad keyIndex → RangeError; a closed client → ERR_SLOT_EMPTY", async () => {
    const client = await softClient("release", randomIdentity());
    expectStatus(() => WasmTlsCipher.fromClient(client), Status.ERR_SLOT_EMPTY);
    expectStatus(() => WasmTlsCipher.fromClient(client, { keyIndex: 7 }), Status.ERR_SLOT_EMPTY);
    expect(() => WasmTlsCipher.fromClient(client, { keyIndex: 8 })).toThrow(RangeError);
    expect(() => WasmTlsCipher.fromClient(client, { keyIndex: -1 })).toThrow(RangeError);
    expect(() => WasmTlsCipher.fromClient({} as TidClient)).toThrow(TypeError);
    client.importSessionKey(0, new Uint8Array(16).fill(1));
    const w = WasmTlsCipher.fromClient(client);
    client.close(); // zeroes every TLS context of the instance too
    expect(() => w.binder(new Uint8Array(32))).toThrow(/ERR_NOT_INITIALISED/);
    expectStatus(() => WasmTlsCipher.fromClient(client), Status.ERR_SLOT_EMPTY);
    w.destroy();
  });

  it("an SE client that keeps the token inside the SE → TidError ERR_TOKEN_IN_SE", async () => {
    const id = randomIdentity();
    for (const returnToken of [false, true]) {
      const stack = createSimulatedStack({ bus: "i2c", identity: { ...id, locked: true } });
      const client = await TidClient.create({ backend: "se", unshielded: true, link: stack.link, returnToken });
      client.init();
      const got = client.validate(answer(client.getAuthcode(), id, { issueToken: true }).serverData);
      if (returnToken) {
        const w = WasmTlsCipher.fromClient(client);
        handshake(w, new ReferenceTlsCipher("server", got!));
        w.destroy();
      } else {
        expect(got).toBeNull();
        expectStatus(() => WasmTlsCipher.fromClient(client), Status.ERR_TOKEN_IN_SE);
        expect(() => WasmTlsCipher.fromClient(client)).toThrow(/keeps the session token inside the SE/);
      }
      client.close();
      stack.link.close();
    }
  });
});
