// The worked example of docs/protocol.md "Worked example, byte by byte"
// (test/vectors/tid-v1-example.json) reproduced byte for byte by the wasm soft backend, with Nd,
// time and the ephemeral key injected through the TEST HOOK.
import { describe, expect, it } from "vitest";
import { createCipheriv } from "node:crypto";
import {
  BUILDS,
  EXAMPLE,
  EXAMPLE_IDENTITY,
  INTL_EXAMPLE,
  INTL_EXAMPLE_IDENTITY,
  answer,
  randomIdentity,
  softClient,
} from "../support/tid.js";
import { expectStatus } from "../support/assertions.js";
import { Status } from "../../bindings/status.js";
import { TidClient } from "../../bindings/client.js";
import { seal as sealRef, open as openRef } from "../../reference/aead.js";
import { fromHex, toHex } from "../../reference/bytes.js";

// Nd, time and the ephemeral key come in through the TEST HOOK: the test build (release code + hooks).
describe.each(["test"] as const)("worked example (%s build)", (build) => {
  it("authcode, then token from the server data", async () => {
    const client = await softClient(build, EXAMPLE_IDENTITY);
    expect(toHex(client.tid)).toBe(EXAMPLE.TID);
    client.testHooks.inject(fromHex(EXAMPLE.Nd), EXAMPLE.deviceTime, fromHex(EXAMPLE.deviceEphemeralPrivate));
    const authcode = client.getAuthcode();
    expect(authcode.length).toBe(132);
    expect(toHex(authcode)).toBe(EXAMPLE.authcode);
    expect(toHex(authcode.subarray(100))).toBe(EXAMPLE.tagD);
    const token = client.validate(fromHex(EXAMPLE.serverData));
    expect(token).not.toBeNull();
    expect(toHex(token!)).toBe(EXAMPLE.sessionToken);
    expect(toHex(token!)).toBe(EXAMPLE.K.slice(0, 32));
    // The token is now slot 0's key: sym_crypto with it equals SM4-ECB under the token.
    const { createCipheriv } = await import("node:crypto");
    const block = fromHex("00112233445566778899aabbccddeeff");
    const c = createCipheriv("sm4-ecb", Buffer.from(token!), null).setAutoPadding(false);
    expect(toHex(client.symCrypto(0, block, true))).toBe(Buffer.concat([c.update(block), c.final()]).toString("hex"));
    client.close();
  });

  it("the injection is one-shot: the next authcode is fresh", async () => {
    const client = await softClient(build, EXAMPLE_IDENTITY, () => EXAMPLE.deviceTime);
    client.testHooks.inject(fromHex(EXAMPLE.Nd), EXAMPLE.deviceTime, fromHex(EXAMPLE.deviceEphemeralPrivate));
    const first = client.getAuthcode();
    const second = client.getAuthcode();
    expect(toHex(first)).toBe(EXAMPLE.authcode);
    expect(toHex(second.subarray(0, 18))).toBe(EXAMPLE.authcode.slice(0, 36)); // same header, time, TID
    expect(toHex(second.subarray(18, 34))).not.toBe(EXAMPLE.Nd);
    expect(toHex(second.subarray(36, 100))).not.toBe(EXAMPLE.authcode.slice(72, 200));
    client.close();
  });
});

// Suite INTL: the worked example of test/vectors/tid-v1-intl-example.json (computed with
// node:crypto, checked with Python's cryptography) — P-256, HMAC-SHA-256, the X9.63 KDF with
// SHA-256, AES-128 — reproduced byte for byte, then the same exchange against the reference server
// half on every build, with sym_crypto and the AEAD messages checked against node:crypto.
describe("worked example, suite INTL (test build)", () => {
  it("authcode, token, sym_crypto and the first uplink message", async () => {
    const client = await softClient("test", INTL_EXAMPLE_IDENTITY);
    expect(client.suite).toBe("intl");
    client.testHooks.inject(fromHex(INTL_EXAMPLE.Nd), INTL_EXAMPLE.deviceTime, fromHex(INTL_EXAMPLE.deviceEphemeralPrivate));
    const authcode = client.getAuthcode();
    expect(toHex(authcode)).toBe(INTL_EXAMPLE.authcode);
    expect(toHex(authcode.subarray(100))).toBe(INTL_EXAMPLE.tagD);
    const token = client.validate(fromHex(INTL_EXAMPLE.serverData));
    expect(toHex(token!)).toBe(INTL_EXAMPLE.sessionToken);
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(INTL_EXAMPLE.symCryptoEncryptZeroBlock);
    expect(toHex(client.seal(0, new TextEncoder().encode("hello")))).toBe(INTL_EXAMPLE.sealUplinkCounter0Hello);
    client.close();
  });

  it("refuses SM server data on an INTL device, and INTL server data on an SM device", async () => {
    const intl = await softClient("test", INTL_EXAMPLE_IDENTITY);
    intl.testHooks.inject(fromHex(INTL_EXAMPLE.Nd), INTL_EXAMPLE.deviceTime, fromHex(INTL_EXAMPLE.deviceEphemeralPrivate));
    intl.getAuthcode();
    expectStatus(() => intl.validate(fromHex(EXAMPLE.serverData)), Status.ERR_UNSUPPORTED_ALGORITHM);
    const sm = await softClient("test", { tid: fromHex(INTL_EXAMPLE.TID), psk: fromHex(INTL_EXAMPLE.PSK) });
    expect(sm.suite).toBe("sm");
    sm.getAuthcode();
    expectStatus(() => sm.validate(fromHex(INTL_EXAMPLE.serverData)), Status.ERR_UNSUPPORTED_ALGORITHM);
    intl.close();
    sm.close();
  });
});

describe.each(BUILDS)("suite INTL against the reference server half (%s build)", (build) => {
  it("authenticates, then sym_crypto and AEAD messages interoperate with node:crypto and reference/aead", async () => {
    const identity = { ...randomIdentity(), suite: "intl" as const };
    const client = await softClient(build, identity);
    for (let round = 0; round < 3; round++) {
      const authcode = client.getAuthcode();
      expect(authcode[1]).toBe(0x20);
      expect(authcode[2]).toBe(0x03);
      const { serverData, token } = answer(authcode, identity, { issueToken: true });
      const got = client.validate(serverData);
      expect(toHex(got!)).toBe(toHex(token!));
      const block = new Uint8Array(32).map((_, i) => i * 7 + round);
      const ecb = createCipheriv("aes-128-ecb", token!, null).setAutoPadding(false);
      const enc = client.symCrypto(0, block, true);
      expect(toHex(enc)).toBe(toHex(Buffer.concat([ecb.update(block), ecb.final()])));
      expect(toHex(client.symCrypto(0, enc, false))).toBe(toHex(block));
      const up = client.seal(0, block, new Uint8Array([round]));
      expect(toHex(openRef(token!, "uplink", up, new Uint8Array([round]), "intl").plaintext)).toBe(toHex(block));
      const down = sealRef(token!, "downlink", BigInt(round), block, new Uint8Array(0), "intl");
      expect(toHex(client.open(0, down))).toBe(toHex(block));
    }
    client.close();
  });

  it("rejects a bad suite byte in the identity", async () => {
    await expect(TidClient.create({ backend: "soft", identity: { ...randomIdentity(), suite: "nist" as never }, build })).rejects.toThrow(
      RangeError,
    );
  });
});
