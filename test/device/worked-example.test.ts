// The worked example of DESIGN.md §4.5 (test/vectors/tid-v1-example.json) reproduced byte for byte
// by the wasm soft backend, with Nd, time and the ephemeral key injected through the TEST HOOK.
import { describe, expect, it } from "vitest";
import { BUILDS, EXAMPLE, EXAMPLE_IDENTITY, hex, softClient, unhex } from "../support/tid.js";

describe.each(BUILDS)("worked example (%s)", (build) => {
  it("authcode, then token from the server data", async () => {
    const client = await softClient(build, EXAMPLE_IDENTITY);
    expect(hex(client.tid)).toBe(EXAMPLE.TID);
    client.testHooks.inject(unhex(EXAMPLE.Nd), EXAMPLE.deviceTime, unhex(EXAMPLE.deviceEphemeralPrivate));
    const authcode = client.getAuthcode();
    expect(authcode.length).toBe(132);
    expect(hex(authcode)).toBe(EXAMPLE.authcode);
    expect(hex(authcode.subarray(100))).toBe(EXAMPLE.tagD);
    const token = client.validate(unhex(EXAMPLE.serverData));
    expect(token).not.toBeNull();
    expect(hex(token!)).toBe(EXAMPLE.sessionToken);
    expect(hex(token!)).toBe(EXAMPLE.K.slice(0, 32));
    // The token is now slot 0's key: sym_crypto with it equals SM4-ECB under the token.
    const { createCipheriv } = await import("node:crypto");
    const block = unhex("00112233445566778899aabbccddeeff");
    const c = createCipheriv("sm4-ecb", Buffer.from(token!), null).setAutoPadding(false);
    expect(hex(client.symCrypto(0, block, true))).toBe(Buffer.concat([c.update(block), c.final()]).toString("hex"));
    client.close();
  });

  it("the injection is one-shot: the next authcode is fresh", async () => {
    const client = await softClient(build, EXAMPLE_IDENTITY, () => EXAMPLE.deviceTime);
    client.testHooks.inject(unhex(EXAMPLE.Nd), EXAMPLE.deviceTime, unhex(EXAMPLE.deviceEphemeralPrivate));
    const first = client.getAuthcode();
    const second = client.getAuthcode();
    expect(hex(first)).toBe(EXAMPLE.authcode);
    expect(hex(second.subarray(0, 18))).toBe(EXAMPLE.authcode.slice(0, 36)); // same header, time, TID
    expect(hex(second.subarray(18, 34))).not.toBe(EXAMPLE.Nd);
    expect(hex(second.subarray(36, 100))).not.toBe(EXAMPLE.authcode.slice(72, 200));
    client.close();
  });
});
