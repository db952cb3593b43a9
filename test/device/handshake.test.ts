// Full handshakes between the wasm soft backend (device) and the node:crypto reference
// (reference/, server half), with random identities, nonces and keys, in both directions:
// the reference server verifies the wasm's authcodes, the wasm verifies the reference's answers,
// and both end with the same session token. Also the device half of the reference against the
// wasm's authcode bytes (same layout), extra data of every size class, and keep-session.
import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildAuthcode, finishDevice, parseAuthcode, sm2Keygen, MemoryReplayCache } from "../../reference/index.js";
import { BUILDS, answer, randomIdentity, softClient } from "../support/tid.js";
import { toHex } from "../../reference/bytes.js";

describe.each(BUILDS)("handshake wasm ↔ reference server half (%s)", (build) => {
  it("random identities: the same token on both sides, installed in the active slot", async () => {
    for (let i = 0; i < 8; i++) {
      const id = randomIdentity();
      const client = await softClient(build, id);
      const authcode = client.getAuthcode();
      const fields = parseAuthcode(authcode);
      expect(toHex(fields.tid)).toBe(toHex(id.tid));
      expect(Math.abs(fields.time - Date.now() / 1000)).toBeLessThan(5);
      const { serverData, token } = answer(authcode, id);
      const deviceToken = client.validate(serverData);
      expect(toHex(deviceToken!)).toBe(toHex(token!));
      // The installed key is the token: sym_crypto in slot 0 equals SM4-ECB under it.
      const block = new Uint8Array(randomBytes(32));
      const c = createCipheriv("sm4-ecb", Buffer.from(token!), null).setAutoPadding(false);
      expect(toHex(client.symCrypto(0, block, true))).toBe(toHex(Buffer.concat([c.update(block), c.final()])));
      client.close();
    }
  });

  it("extra data of 0, 1, 255, 256 and 512 bytes is carried and authenticated", async () => {
    const id = randomIdentity();
    const client = await softClient(build, id);
    for (const n of [0, 1, 255, 256, 512]) {
      const extra = new Uint8Array(randomBytes(n));
      const authcode = client.getAuthcode(extra);
      expect(authcode.length).toBe(132 + n);
      expect(toHex(parseAuthcode(authcode).extra)).toBe(toHex(extra));
      const serverExtra = new Uint8Array(randomBytes(512 - n));
      const { serverData, token } = answer(authcode, id, { extra: serverExtra });
      expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
    }
    client.close();
  });

  it("keepSession: flags bit 0 set, no token issued, the slot keeps its key (token_len 0)", async () => {
    const id = randomIdentity();
    const client = await softClient(build, id);
    const first = answer(client.getAuthcode(), id);
    const token = client.validate(first.serverData)!;
    const block = new Uint8Array(randomBytes(16));
    const before = client.symCrypto(0, block, true);
    const authcode = client.getAuthcode(undefined, { keepSession: true });
    expect(parseAuthcode(authcode).flags).toBe(1);
    const second = answer(authcode, id);
    expect(second.token).toBeNull();
    expect(client.validate(second.serverData)).toBeNull();
    expect(toHex(client.symCrypto(0, block, true))).toBe(toHex(before));
    expect(token.length).toBe(16);
    client.close();
  });

  it("a server that issues no token although one was asked for: null, key kept", async () => {
    const id = randomIdentity();
    const client = await softClient(build, id);
    client.importSessionKey(0, new Uint8Array(16).fill(7));
    const before = client.symCrypto(0, new Uint8Array(16), true);
    const { serverData } = answer(client.getAuthcode(), id, { issueToken: false });
    expect(client.validate(serverData)).toBeNull();
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(toHex(before));
    client.close();
  });

  it("activeSlot: the token goes to the chosen slot, other slots untouched", async () => {
    const id = randomIdentity();
    const client = await softClient(build, id);
    client.importSessionKey(0, new Uint8Array(16).fill(1));
    const slot0 = client.symCrypto(0, new Uint8Array(16), true);
    client.activeSlot = 5;
    const { serverData, token } = answer(client.getAuthcode(), id);
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(toHex(slot0));
    const other = await softClient(build, id);
    other.importSessionKey(1, token!);
    expect(toHex(client.symCrypto(5, new Uint8Array(16), true))).toBe(toHex(other.symCrypto(1, new Uint8Array(16), true)));
    client.close();
    other.close();
  });

  it("the reference server's replay cache rejects the same wasm authcode twice", async () => {
    const id = randomIdentity();
    const cache = new MemoryReplayCache();
    const client = await softClient(build, id);
    const authcode = client.getAuthcode();
    const { serverData, token } = answer(authcode, id, { cache });
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
    expect(() => answer(authcode, id, { cache })).toThrow(/REPLAY/);
    client.close();
  });
});

// The differential fixes Nd, qd and time with the TEST HOOK: the test build (release code + hooks).
describe.each(["test"] as const)("handshake wasm ↔ reference device half (%s build)", (build) => {
  it("differential: random Nd, qd, time, flags, extra — the wasm equals the reference device half", async () => {
    for (let i = 0; i < 6; i++) {
      const id = randomIdentity();
      const client = await softClient(build, id);
      const nd = new Uint8Array(randomBytes(16));
      const qd = sm2Keygen().privateKey;
      const time = randomBytes(4).readUInt32BE(0);
      const extra = new Uint8Array(randomBytes([0, 3, 100, 300, 511, 512][i]!));
      const flags = i % 2;
      client.testHooks.inject(nd, time, qd);
      const authcode = client.getAuthcode(extra, { keepSession: flags === 1 });
      const ref = buildAuthcode({ tid: id.tid, psk: id.psk, time, nd, ephemeralPrivate: qd, extra, flags });
      expect(toHex(authcode)).toBe(toHex(ref.authcode));
      const { serverData } = answer(authcode, id, { now: time, issueToken: true, extra: new Uint8Array(randomBytes(i * 50)) });
      const expected = finishDevice({ tid: id.tid, psk: id.psk, pending: ref.pending, serverData });
      expect(toHex(client.validate(serverData)!)).toBe(toHex(expected.token!));
      client.close();
    }
  });
});
