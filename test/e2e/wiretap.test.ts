// A probe on the wires (docs/se-profile.md "The shielded link"): a tap on the simulated I2C and SPI
// buses records every byte of provision → authentication → seal/open → sym_crypto, and no secret
// may appear in the capture — not the PSK, the session token, the protocol's K and Z, the keys
// loaded into SE slots, nor any secure session's keys — as a substring, in either byte order.
// The same run unshielded must show the PSK and the token on the wires: the check can fail.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSimulatedStack } from "../../hal/index.js";
import { SeClient } from "../../hal/se/client.js";
import { TidClient } from "../../bindings/client.js";
import { AeadSession } from "../../reference/aead.js";
import { toHex } from "../../reference/bytes.js";
import { buildServerData, verifyAuthcode } from "../../reference/index.js";
import { randomIdentity } from "../support/tid.js";

const BUSES = ["i2c", "spi"] as const;

interface Run {
  /** every frame the tap saw, hex, in order, with its direction */
  frames: { dir: "out" | "in"; hex: string }[];
  /** name → bytes of every secret that existed during the run */
  secrets: Map<string, Uint8Array>;
}

async function deviceRun(bus: "i2c" | "spi", shielded: boolean): Promise<Run> {
  const frames: Run["frames"] = [];
  const secrets = new Map<string, Uint8Array>();
  const identity = randomIdentity();
  secrets.set("PSK", identity.psk);
  const stack = createSimulatedStack({ bus, tap: (dir, bytes) => frames.push({ dir, hex: toHex(bytes) }) });

  // provision: pair (the SE draws its link key), then PROVISION and LOCK through the shielded link
  const se = new SeClient(stack.channel);
  se.selectSync();
  const linkKey = shielded ? se.pairSync() : null;
  se.provisionSync(identity.tid, identity.psk);
  se.lockSync();
  if (shielded) {
    const keys = se.sessionKeys();
    expect(keys).not.toBeNull();
    for (const [k, v] of Object.entries(keys!)) secrets.set(`provisioning session ${k}`, v);
  }

  // the device: the wasm SE backend on the same bus
  const client = await TidClient.create({ backend: "se", link: stack.link, ...(linkKey ? { linkKey } : { unshielded: true }) });
  client.init();
  const qd = new Uint8Array(randomBytes(32));
  qd[0] = 0x7f; // below n
  stack.sim.applet.injectNextAuth({ ephemeralPrivate: qd });
  secrets.set("qd", qd.slice());
  const authcode = client.getAuthcode(new TextEncoder().encode("wiretap"));
  const now = Math.floor(Date.now() / 1000);
  const v = verifyAuthcode(authcode, { lookupPsk: () => identity.psk, now });
  const built = buildServerData({ tid: v.tid, psk: v.psk, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: now, issueToken: true });
  secrets.set("K", built.k!);
  secrets.set("Z", built.z!);
  const token = client.validate(built.serverData)!;
  expect(toHex(token)).toBe(toHex(built.token!));
  secrets.set("token", token);

  // business data: AEAD both ways (in the wasm), sym_crypto both ways (in the SE), a key loaded into a slot
  const server = new AeadSession(token, "server");
  const up = new TextEncoder().encode("uplink over a tapped bus");
  expect(toHex(server.open(client.seal(0, up)))).toBe(toHex(up));
  const down = new TextEncoder().encode("downlink over a tapped bus");
  expect(toHex(client.open(0, server.seal(down)))).toBe(toHex(down));
  server.destroy();
  const plain = new Uint8Array(randomBytes(64));
  expect(toHex(client.symCrypto(0, client.symCrypto(0, plain, true), false))).toBe(toHex(plain));
  const loaded = new Uint8Array(randomBytes(16));
  secrets.set("loaded slot key", loaded.slice());
  client.importSessionKey(1, loaded);
  client.symCrypto(1, plain, true);
  if (shielded) {
    const keys = stack.sim.applet.linkSessionKeys();
    expect(keys).not.toBeNull();
    for (const [k, v] of Object.entries(keys!)) secrets.set(`device session ${k}`, v);
  }
  client.close();
  return { frames, secrets };
}

/** The secrets (by name) found in the capture, as hex substrings in either byte order. */
function leaks(run: Run): string[] {
  const streams = [
    run.frames.map((f) => f.hex),
    [
      run.frames
        .filter((f) => f.dir === "out")
        .map((f) => f.hex)
        .join(""),
    ],
    [
      run.frames
        .filter((f) => f.dir === "in")
        .map((f) => f.hex)
        .join(""),
    ],
  ].flat();
  const found: string[] = [];
  for (const [name, bytes] of run.secrets) {
    const forward = toHex(bytes);
    const backward = toHex(bytes.slice().reverse());
    // hex offsets must be byte-aligned: look at even positions only
    const hit = (s: string, needle: string): boolean => {
      for (let i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) if (i % 2 === 0) return true;
      return false;
    };
    if (streams.some((s) => hit(s, forward) || hit(s, backward))) found.push(name);
  }
  return found;
}

describe.each(BUSES)("a wiretap on the simulated %s bus", (bus) => {
  it("shielded: provision, authentication, seal/open and sym_crypto leave no secret on the wires", async () => {
    const run = await deviceRun(bus, true);
    expect(run.frames.length).toBeGreaterThan(30);
    expect([...run.secrets.keys()]).toEqual(
      expect.arrayContaining(["PSK", "token", "K", "Z", "qd", "loaded slot key", "device session sEnc", "provisioning session sMac"]),
    );
    expect(leaks(run)).toEqual([]);
  });

  it("unshielded (the control): the same run puts the PSK, the token and the loaded key on the wires", async () => {
    const run = await deviceRun(bus, false);
    expect(leaks(run)).toEqual(expect.arrayContaining(["PSK", "token", "loaded slot key"]));
  });
});
