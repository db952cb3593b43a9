// The worked example of docs/protocol.md (test/vectors/tid-v1-example.json) through the whole
// flow: the example identity registered with a real auth server whose clock reads the example's
// server time; each device kind (soft, SE on simulated I2C / SPI) with the example's Nd, qd and
// device time injected produces the example authcode byte for byte, the server accepts it, and
// the device derives the same token from the (server-random) answer. Also pins the AEAD and
// sym_crypto bytes that docs/protocol.md prints for the example token, on both sides.
import { afterAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { authDevice } from "../../server/sdk/auth-device.js";
import { registerDevice } from "../../server/sdk/admin-client.js";
import { seal, open } from "../../reference/aead.js";
import { sm4Encrypt } from "../../reference/sm4-ecb.js";
import { TidClient } from "../../bindings/client.js";
import { createSimulatedStack } from "../../hal/index.js";
import { DEVICES, startFixture, type Fixture } from "../support/e2e.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const EX = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8")) as Record<string, string & number>;
const identity = { tid: fromHex(EX.TID), psk: fromHex(EX.PSK) };

// One auth server per device kind: each accepts the example's (TID, Nd) once.
const fixtures: Fixture[] = [];
async function exampleServer(): Promise<Fixture> {
  const fx = await startFixture({ now: () => EX.serverTime });
  fixtures.push(fx);
  await registerDevice(fx.admin, { ...identity, label: "worked example" });
  return fx;
}
afterAll(async () => {
  for (const fx of fixtures) await fx.close();
});

describe("the worked example end to end", () => {
  it.each(DEVICES)("$name: the example authcode byte for byte, accepted; the same token on both sides", async (kind) => {
    let client: TidClient;
    if (kind.backend === "soft") {
      client = await TidClient.create({ backend: "soft", identity, build: "test" });
      client.init();
      client.testHooks.inject(fromHex(EX.Nd), EX.deviceTime, fromHex(EX.deviceEphemeralPrivate));
    } else {
      const stack = createSimulatedStack({ bus: kind.bus, identity });
      client = await TidClient.create({ backend: "se", unshielded: true, link: stack.link, now: () => EX.deviceTime });
      client.init();
      stack.sim.applet.injectNextAuth({ nd: fromHex(EX.Nd), ephemeralPrivate: fromHex(EX.deviceEphemeralPrivate) });
    }
    const authcode = client.getAuthcode();
    expect(toHex(authcode)).toBe(EX.authcode);
    const fx = await exampleServer();
    const auth = () => authDevice(fx.userUin, fx.privateKey, authcode, { url: fx.url, now: () => EX.serverTime });
    const [serverData, token] = await auth();
    expect(toHex(serverData.subarray(0, 18))).toBe("011002100001" + "5d19e2b0" + EX.TID);
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
    await expect(auth()).rejects.toMatchObject({ code: "REPLAY" });
    client.close();
  });

  it("the AEAD and sym_crypto bytes docs/protocol.md prints for the example token, on both sides", async () => {
    const token = fromHex(EX.sessionToken);
    const hello = new TextEncoder().encode("hello");
    const up = "000000000000000055778bf33cdd6ef9cc4a580220f24f042235260735";
    const down = "00000000000000001a8026f6c7c6061cc37b90eaaa930463c23581d9ae";
    expect(toHex(seal(token, "uplink", 0n, hello))).toBe(up);
    expect(toHex(seal(token, "downlink", 0n, hello))).toBe(down);
    expect(toHex(sm4Encrypt(token, new Uint8Array(16)))).toBe("f8a569f47245eaa032c02f9ecad13cb2");
    const client = await TidClient.create({ backend: "soft", identity });
    client.init();
    client.importSessionKey(0, token);
    expect(toHex(client.seal(0, hello))).toBe(up);
    expect(toHex(open(token, "uplink", fromHex(up)).plaintext)).toBe(toHex(hello));
    expect(toHex(client.open(0, fromHex(down)))).toBe(toHex(hello));
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe("f8a569f47245eaa032c02f9ecad13cb2");
    client.close();
  });
});
