// TidClient (bindings/client.ts) as a user sees it: creation from an identity or a key file,
// secrets wiped from wasm memory (the awasm-noble "zero-check": scan linear memory for the PSK,
// the ephemeral key, Z, K and the token), close, the public exports of the package.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServerData, verifyAuthcode } from "../../reference/index.js";
import { TidClient } from "../../bindings/client.js";
import { writeKeyFile } from "../../bindings/keyfile.js";
import * as pkg from "../../bindings/index.js";
import { EXAMPLE, EXAMPLE_IDENTITY, answer, randomIdentity, softClient } from "../support/tid.js";
import { fromHex, toHex } from "../../reference/bytes.js";

/** Offsets at which `needle` occurs in `hay`. */
function find(hay: Uint8Array, needle: Uint8Array): number[] {
  const out: number[] = [];
  const first = needle[0]!;
  for (let i = hay.indexOf(first); i !== -1 && i <= hay.length - needle.length; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) out.push(i);
  }
  return out;
}

// These fix the ephemeral key with the TEST HOOK to look for it: the test build (release code + hooks).
describe.each(["test"] as const)("TidClient secrets in wasm memory (%s build)", (build) => {
  it("qd, Z and K never stay in memory; the PSK and the token only where they belong; close wipes all", async () => {
    const id = randomIdentity();
    const client = await softClient(build, id, () => EXAMPLE.deviceTime);
    const qd = fromHex(EXAMPLE.deviceEphemeralPrivate);
    client.testHooks.inject(new Uint8Array(randomBytes(16)), EXAMPLE.deviceTime, qd);
    const authcode = client.getAuthcode();
    const mem = () => client.wasm.bytes();
    expect(find(mem(), id.psk)).toHaveLength(1); // the identity
    expect(find(mem(), qd)).toHaveLength(1); // the pending request only
    const v = verifyAuthcode(authcode, { lookupPsk: () => id.psk, now: EXAMPLE.deviceTime });
    const sd = buildServerData({ tid: id.tid, psk: id.psk, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: EXAMPLE.deviceTime, issueToken: true });
    const token = client.validate(sd.serverData)!;
    expect(toHex(token)).toBe(toHex(sd.token!));
    expect(find(mem(), qd)).toHaveLength(0);
    expect(find(mem(), sd.z!)).toHaveLength(0);
    expect(find(mem(), sd.k!)).toHaveLength(0);
    expect(find(mem(), sd.k!.subarray(16))).toHaveLength(0);
    expect(find(mem(), token)).toHaveLength(0); // slot 0 keeps only its key schedules
    // Messages and sym_crypto leave no plaintext in the I/O region.
    const secret = new Uint8Array(randomBytes(48));
    client.symCrypto(0, secret, true);
    client.seal(0, secret);
    expect(find(mem(), secret)).toHaveLength(0);
    client.close();
    expect(find(mem(), id.psk)).toHaveLength(0);
    expect(find(mem(), token)).toHaveLength(0);
    expect(find(mem(), id.tid)).toHaveLength(0);
  });

  it("a failed validate leaves no trace of the request either", async () => {
    const client = await softClient(build, EXAMPLE_IDENTITY);
    const qd = fromHex(EXAMPLE.deviceEphemeralPrivate);
    client.testHooks.inject(fromHex(EXAMPLE.Nd), EXAMPLE.deviceTime, qd);
    client.getAuthcode();
    const bad = fromHex(EXAMPLE.serverData);
    bad[131]! ^= 1;
    expect(() => client.validate(bad)).toThrow(/ERR_VERIFY_FAILED/);
    expect(find(client.wasm.bytes(), qd)).toHaveLength(0);
    expect(find(client.wasm.bytes(), fromHex(EXAMPLE.tagD))).toHaveLength(0);
    client.close();
  });
});

describe("TidClient creation and lifecycle", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tid-client-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("from a key file: the same identity, a working handshake", async () => {
    const id = randomIdentity();
    const path = join(dir, "device.tidkey");
    await writeKeyFile(path, id, { passphrase: "correct horse battery staple" }, { scrypt: { logN: 10, r: 8, p: 1 } });
    const client = await TidClient.create({ backend: "soft", keyFile: path, secret: { passphrase: "correct horse battery staple" } });
    client.init();
    expect(toHex(client.tid)).toBe(toHex(id.tid));
    const { serverData, token } = answer(client.getAuthcode(), id);
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
    client.close();
    await expect(TidClient.create({ backend: "soft", keyFile: path, secret: { passphrase: "wrong" } })).rejects.toThrow(
      /BAD_SECRET|wrong passphrase/,
    );
    await expect(TidClient.create({ backend: "soft", keyFile: path } as never)).rejects.toThrow(/secret is required/);
    await expect(TidClient.create({ backend: "soft", keyFile: path, identity: id, secret: { passphrase: "x" } })).rejects.toThrow(
      /not both/,
    );
  });

  it("each client is its own instance: keys do not leak between clients", async () => {
    const a = await softClient("release", randomIdentity());
    const b = await softClient("release", randomIdentity());
    a.importSessionKey(0, new Uint8Array(16).fill(1));
    expect(() => b.symCrypto(0, new Uint8Array(16), true)).toThrow(/ERR_SLOT_EMPTY/);
    expect(a.wasm.memory).not.toBe(b.wasm.memory);
    a.close();
    b.close();
  });

  it("getters, slot count, init state, close twice", async () => {
    const client = await TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY });
    expect(client.slotCount).toBe(8);
    expect(client.isInitialised).toBe(false);
    client.init();
    expect(client.isInitialised).toBe(true);
    expect(client.lastSw).toBe(0);
    expect(client.maxSealLength()).toBeGreaterThan(60_000);
    expect(() => (client.activeSlot = 8)).toThrow(RangeError);
    client.close();
    client.close();
    expect(client.isInitialised).toBe(false);
    expect(() => client.seal(0, new Uint8Array(1))).toThrow(/closed/);
  });

  it("the package entry exports the client, the errors and the status table", () => {
    expect(pkg.TidClient).toBe(TidClient);
    expect(typeof pkg.TidError).toBe("function");
    expect(pkg.Status.ERR_REPLAY).toBe(-305);
    expect(typeof pkg.readKeyFile).toBe("function");
    expect(typeof pkg.writeKeyFile).toBe("function");
  });
});
