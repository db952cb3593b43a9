// End to end, the server's side of the rules (docs/protocol.md "Rules"):
// real authcodes from the wasm TidClient (soft backend; SE backend over a simulated FM SE on I2C
// and SPI) sent through the server SDK to the reference auth server over HTTP on loopback, and
// rejected for the right reason: a replayed authcode, an unknown or deactivated TID, a device clock
// outside the ±300 s window (the client's injected time source), a wrong PSK, and every byte of an
// authcode altered on its way. After each rejection the device is still usable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setDeviceActive } from "../../server/sdk/admin-client.js";
import { DEVICES, newDevice, newIdentity, serverCodeOf, startFixture, type Fixture } from "../support/e2e.js";
import { toHex } from "../../reference/bytes.js";

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.close();
});

const unix = (): number => Math.floor(Date.now() / 1000);

describe.each(DEVICES)("server-side rejections: $name", (kind) => {
  it("a replayed authcode is refused (REPLAY); the first answer still completes the handshake", async () => {
    const dev = await newDevice(fx, kind);
    const authcode = dev.client.getAuthcode();
    const [sd, tok] = await fx.auth(authcode);
    expect(await serverCodeOf(fx.auth(authcode))).toBe("REPLAY");
    expect(toHex(dev.client.validate(sd)!)).toBe(toHex(tok!));
    dev.close();
  });

  it("an unknown TID (UNKNOWN_TID) and a deactivated one (INACTIVE_TID); reactivated, it authenticates", async () => {
    const stranger = await newDevice(fx, kind, { register: false });
    expect(await serverCodeOf(fx.auth(stranger.client.getAuthcode()))).toBe("UNKNOWN_TID");
    stranger.close();

    const dev = await newDevice(fx, kind);
    await setDeviceActive(fx.admin, dev.identity.tid, false);
    expect(await serverCodeOf(fx.auth(dev.client.getAuthcode()))).toBe("INACTIVE_TID");
    await setDeviceActive(fx.admin, dev.identity.tid, true);
    const [sd, tok] = await fx.auth(dev.client.getAuthcode());
    expect(toHex(dev.client.validate(sd)!)).toBe(toHex(tok!));
    dev.close();
  });

  it("device time outside the ±300 s window is refused (STALE_TIME), inside it is accepted", async () => {
    let skew = 0;
    const dev = await newDevice(fx, kind, { now: () => unix() + skew });
    for (const s of [-1000, -310, 310, 86_400]) {
      skew = s;
      expect([s, await serverCodeOf(fx.auth(dev.client.getAuthcode()))]).toEqual([s, "STALE_TIME"]);
    }
    for (const s of [-250, 250, 0]) {
      skew = s;
      const authcode = dev.client.getAuthcode();
      expect(new DataView(authcode.buffer, authcode.byteOffset).getUint32(6)).toBeGreaterThanOrEqual(unix() + s - 2);
      const [sd, tok] = await fx.auth(authcode);
      expect(toHex(dev.client.validate(sd)!)).toBe(toHex(tok!));
    }
    dev.close();
  });

  it("a wrong PSK on the server: tag_d does not verify (VERIFY_FAILED)", async () => {
    const dev = await newDevice(fx, kind, { registeredPsk: newIdentity().psk });
    expect(await serverCodeOf(fx.auth(dev.client.getAuthcode()))).toBe("VERIFY_FAILED");
    dev.close();
  });

  it("every byte of an authcode altered in transit is refused; the device is unharmed", async () => {
    const dev = await newDevice(fx, kind);
    const authcode = dev.client.getAuthcode();
    const codes = new Map<string, number[]>();
    for (let i = 0; i < authcode.length; i++) {
      const bad = authcode.slice();
      bad[i]! ^= 0x01;
      const code = await serverCodeOf(fx.auth(bad));
      codes.set(code, [...(codes.get(code) ?? []), i]);
    }
    // header fields have their own codes (checked before the tag); the TID bytes name another,
    // unknown device; every other byte is covered by tag_d (time and flags included)
    const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, k) => a + k);
    expect(Object.fromEntries(codes)).toEqual({
      UNSUPPORTED_VERSION: [0],
      UNSUPPORTED_ALGORITHM: [1, 2],
      BAD_FORMAT: [3, 4, 34, 35], // nonce length, reserved flag bits, extra length L
      UNKNOWN_TID: range(10, 18),
      VERIFY_FAILED: [...range(5, 10), ...range(18, 34), ...range(36, 132)],
    });
    // the unaltered authcode was never accepted, so it still is now
    const [sd, tok] = await fx.auth(authcode);
    expect(toHex(dev.client.validate(sd)!)).toBe(toHex(tok!));
    dev.close();
  });
});
