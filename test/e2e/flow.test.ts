// End to end (docs/protocol.md "Roles and flow"): the wasm TidClient (soft backend, and SE backend
// over a simulated FM SE on I2C and on SPI) → the server SDK's authDevice → the reference TID auth
// server over real HTTP on loopback → back to the device. Both sides must hold the same token, and
// business data must pass both ways (AEAD seal/open, legacy sym_crypto). Device-side failures go
// through the whole flow: server data altered or replayed on its way back, a second validate, the
// keep-session answer (no token) — and nothing is installed by a failed validate.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AeadSession } from "../../reference/aead.js";
import { sm4Decrypt, sm4Encrypt } from "../../server/sdk/auth-device.js";
import type { TidClient } from "../../bindings/client.js";
import { DEVICES, newDevice, startFixture, type Fixture } from "../support/e2e.js";
import { statusOf } from "../support/assertions.js";
import { toHex } from "../../reference/bytes.js";

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.close();
});

/** The key in slot 0 proves itself: sym_crypto in the device matches sm4Encrypt with `token`. */
function slotHolds(client: TidClient, token: Uint8Array): boolean {
  const block = new Uint8Array(randomBytes(32));
  return toHex(client.symCrypto(0, block, true)) === toHex(sm4Encrypt(token, block));
}

describe.each(DEVICES)("end to end: $name", (kind) => {
  it("handshake: the same token on both sides; uplink/downlink AEAD and sym_crypto both ways; a second handshake rekeys", async () => {
    const dev = await newDevice(fx, kind);
    const c = dev.client;
    expect(toHex(c.tid)).toBe(toHex(dev.identity.tid));

    const authcode = c.getAuthcode();
    expect(authcode.length).toBe(132);
    const [serverData, serverToken] = await fx.auth(authcode);
    expect(serverData.length).toBe(132);
    expect(serverToken).not.toBeNull();
    const deviceToken = c.validate(serverData);
    expect(toHex(deviceToken!)).toBe(toHex(serverToken!));

    // AEAD: counters advance, both directions, several messages
    const session = new AeadSession(serverToken!, "server");
    for (const n of [0, 1, 17, 300]) {
      const up = new Uint8Array(randomBytes(n));
      expect(toHex(session.open(c.seal(0, up)))).toBe(toHex(up));
      const down = new Uint8Array(randomBytes(n));
      expect(toHex(c.open(0, session.seal(down)))).toBe(toHex(down));
    }
    // a replayed downlink message is refused by the device
    const m = session.seal(new TextEncoder().encode("once"));
    c.open(0, m);
    expect(statusOf(() => c.open(0, m))).toBe("ERR_REPLAY");

    // legacy sym_crypto (SM4-ECB) both ways
    const data = new Uint8Array(randomBytes(64));
    expect(toHex(sm4Decrypt(serverToken!, c.symCrypto(0, data, true)))).toBe(toHex(data));
    expect(toHex(c.symCrypto(0, sm4Encrypt(serverToken!, data), false))).toBe(toHex(data));

    // with extra data, and a new token replacing the old one in slot 0
    const extra = new Uint8Array(randomBytes(100));
    const authcode2 = c.getAuthcode(extra);
    expect(authcode2.length).toBe(232);
    expect(toHex(authcode2.subarray(36, 136))).toBe(toHex(extra));
    const [sd2, tok2] = await fx.auth(authcode2);
    expect(sd2.length).toBe(132); // the server does not echo the device's extra data (L' = 0)
    expect(toHex(c.validate(sd2)!)).toBe(toHex(tok2!));
    expect(toHex(tok2!)).not.toBe(toHex(serverToken!));
    expect(slotHolds(c, tok2!)).toBe(true);
    const s2 = new AeadSession(tok2!, "server");
    expect(toHex(s2.open(c.seal(0, data)))).toBe(toHex(data));
    dev.close();
  });

  it("server data altered in transit: the device refuses it, installs nothing, and the request is spent", async () => {
    const dev = await newDevice(fx, kind);
    const c = dev.client;
    const [sd0, tok0] = await fx.auth(c.getAuthcode());
    c.validate(sd0);
    // [byte, expected status]: version, TID, Ns, Qs, tag_s; and a truncated answer
    const cases: [number | "truncated", string][] = [
      [0, "ERR_UNSUPPORTED_VERSION"],
      [12, "ERR_TID_MISMATCH"],
      [20, "ERR_VERIFY_FAILED"],
      [60, "ERR_VERIFY_FAILED"],
      [131, "ERR_VERIFY_FAILED"],
      ["truncated", "ERR_BAD_LENGTH"],
    ];
    for (const [where, status] of cases) {
      const [sd, tok] = await fx.auth(c.getAuthcode());
      expect(tok).not.toBeNull();
      const bad = where === "truncated" ? sd.slice(0, 100) : sd.slice();
      if (where !== "truncated") bad[where]! ^= 0x01;
      const got = statusOf(() => c.validate(bad));
      if (where === "truncated") expect(["ERR_BAD_LENGTH", "ERR_BAD_FORMAT"]).toContain(got);
      else expect([where, got]).toEqual([where, status]);
      // nothing installed: slot 0 still holds the first token
      expect(slotHolds(c, tok0!)).toBe(true);
      // and the genuine answer is refused too: the failed validate erased the pending request
      expect(statusOf(() => c.validate(sd))).toBe("ERR_NO_PENDING_REQUEST");
    }
    // the device still authenticates afterwards
    const [sd, tok] = await fx.auth(c.getAuthcode());
    expect(toHex(c.validate(sd)!)).toBe(toHex(tok!));
    dev.close();
  });

  it("replayed server data (an earlier answer against a new request) and a second validate are refused", async () => {
    const dev = await newDevice(fx, kind);
    const c = dev.client;
    const [sd1, tok1] = await fx.auth(c.getAuthcode());
    expect(toHex(c.validate(sd1)!)).toBe(toHex(tok1!));
    // second validate of the same answer: no pending request
    expect(statusOf(() => c.validate(sd1))).toBe("ERR_NO_PENDING_REQUEST");
    // a new request; the old answer replayed against it
    const a2 = c.getAuthcode();
    expect(statusOf(() => c.validate(sd1))).toBe("ERR_VERIFY_FAILED");
    expect(slotHolds(c, tok1!)).toBe(true);
    // the request a2 is spent by that attempt: its genuine answer is refused too
    const [sd2] = await fx.auth(a2);
    expect(statusOf(() => c.validate(sd2))).toBe("ERR_NO_PENDING_REQUEST");
    // an answer to a request that a newer get_authcode replaced
    const a3 = c.getAuthcode();
    const a4 = c.getAuthcode();
    const [sd3] = await fx.auth(a3);
    const [sd4, tok4] = await fx.auth(a4);
    expect(statusOf(() => c.validate(sd3))).toBe("ERR_VERIFY_FAILED");
    const a5 = c.getAuthcode();
    expect(statusOf(() => c.validate(sd4))).toBe("ERR_VERIFY_FAILED");
    const [sd5, tok5] = await fx.auth(a5);
    expect(statusOf(() => c.validate(sd5))).toBe("ERR_NO_PENDING_REQUEST");
    expect(tok4).not.toBeNull();
    expect(tok5).not.toBeNull();
    expect(slotHolds(c, tok1!)).toBe(true);
    dev.close();
  });

  it("keep session: the server issues no token, validate returns null and the slot keeps its key", async () => {
    const dev = await newDevice(fx, kind);
    const c = dev.client;
    const [sd1, tok1] = await fx.auth(c.getAuthcode());
    c.validate(sd1);
    const authcode = c.getAuthcode(new Uint8Array(0), { keepSession: true });
    expect(authcode[5]! & 1).toBe(1);
    const [sd, tok] = await fx.auth(authcode);
    expect(tok).toBeNull();
    expect(sd.length).toBe(68); // no Qs
    expect(sd[5]! & 1).toBe(0);
    expect(c.validate(sd)).toBeNull();
    expect(slotHolds(c, tok1!)).toBe(true);
    const session = new AeadSession(tok1!, "server");
    expect(toHex(session.open(c.seal(0, new Uint8Array([1, 2, 3]))))).toBe("010203");
    dev.close();
  });
});
