// The worked example of docs/protocol.md "Worked example, byte by byte"
// (test/vectors/tid-v1-example.json) reproduced byte for byte by the wasm soft backend, with Nd,
// time and the ephemeral key injected through the TEST HOOK.
import { describe, expect, it } from "vitest";
import { EXAMPLE, EXAMPLE_IDENTITY, softClient } from "../support/tid.js";
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
