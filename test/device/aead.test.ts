// The AEAD message API (docs/protocol.md "Business data with the token"; assembly/tid/aead.ts)
// against the server side (reference/aead.ts on node:crypto): uplink sealed in the wasm opens on
// the server and downlink sealed on the server opens in the wasm, byte-exact counters, AAD, replay
// and reorder rejected (ERR_REPLAY), a bad tag releases nothing (ERR_VERIFY_FAILED), counters
// restart with a new key. Also sym_crypto against node:crypto sm4-ecb over many lengths.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AeadSession, seal as serverSeal } from "../../reference/aead.js";
import { TidError } from "../../bindings/errors.js";
import { BUILDS, answer, randomIdentity, softClient } from "../support/tid.js";
import { toHex } from "../../reference/bytes.js";
import { statusOf } from "../support/assertions.js";

describe.each(BUILDS)("AEAD messages (%s)", (build) => {
  async function session() {
    const id = randomIdentity();
    const client = await softClient(build, id);
    const { serverData, token } = answer(client.getAuthcode(), id);
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
    return { client, server: new AeadSession(token!, "server"), token: token! };
  }

  it("uplink and downlink, many lengths, with and without AAD", async () => {
    const { client, server } = await session();
    for (const n of [0, 1, 15, 16, 17, 31, 32, 33, 100, 255, 256, 1000, 4096, 30000]) {
      const pt = new Uint8Array(randomBytes(n));
      const aad = n % 2 ? new Uint8Array(randomBytes(n % 40)) : undefined;
      const up = client.seal(0, pt, aad);
      expect(up.length).toBe(n + 24);
      expect(toHex(server.open(up, aad))).toBe(toHex(pt));
      const down = server.seal(pt, aad);
      expect(toHex(client.open(0, down, aad))).toBe(toHex(pt));
    }
    client.close();
  });

  it("counters: uplink counts 0, 1, 2…; the server's downlink counters are accepted in order", async () => {
    const { client, token } = await session();
    for (let i = 0; i < 5; i++) {
      const up = client.seal(0, new Uint8Array([i]));
      expect(new DataView(up.buffer).getBigUint64(0)).toBe(BigInt(i));
      expect(toHex(up)).toBe(toHex(serverSeal(token, "uplink", BigInt(i), new Uint8Array([i]))));
    }
    // Gaps are fine (lost messages); only going back is refused.
    for (const c of [0n, 1n, 7n, 1000n, 0xffff_ffff_ffffn]) {
      expect(client.open(0, serverSeal(token, "downlink", c, new Uint8Array([1, 2, 3])))[2]).toBe(3);
    }
    client.close();
  });

  it("replayed or reordered downlink: ERR_REPLAY; bad tag: ERR_VERIFY_FAILED and the mark does not move", async () => {
    const { client, token, server } = await session();
    const m0 = server.seal(new Uint8Array([0]));
    const m1 = server.seal(new Uint8Array([1]));
    const m2 = server.seal(new Uint8Array([2]));
    expect(client.open(0, m1)[0]).toBe(1);
    expect(statusOf(() => client.open(0, m1))).toBe("ERR_REPLAY"); // replayed
    expect(statusOf(() => client.open(0, m0))).toBe("ERR_REPLAY"); // reordered (older)
    const forged = m2.slice();
    forged[10]! ^= 1;
    expect(statusOf(() => client.open(0, forged))).toBe("ERR_VERIFY_FAILED");
    const badTag = m2.slice();
    badTag[badTag.length - 1]! ^= 0x80;
    expect(statusOf(() => client.open(0, badTag))).toBe("ERR_VERIFY_FAILED");
    // A forged message with a huge counter must not raise the high-water mark.
    const huge = serverSeal(new Uint8Array(16), "downlink", 1n << 60n, new Uint8Array([9]));
    expect(statusOf(() => client.open(0, huge))).toBe("ERR_VERIFY_FAILED");
    expect(client.open(0, m2)[0]).toBe(2);
    // AAD must match; the direction prefix keeps the device's own uplink from being reflected.
    const withAad = serverSeal(token, "downlink", 10n, new Uint8Array([5]), new Uint8Array([1]));
    expect(statusOf(() => client.open(0, withAad, new Uint8Array([2])))).toBe("ERR_VERIFY_FAILED");
    const reflected = client.seal(0, new Uint8Array([4]));
    reflected.set(new Uint8Array(8).fill(0x7f), 0); // even with a fresh counter
    expect(statusOf(() => client.open(0, reflected))).toBe("ERR_VERIFY_FAILED");
    client.close();
  });

  it("a new key (validate or import) restarts both counters; empty slot and bad slot refused", async () => {
    const { client } = await session();
    const key = new Uint8Array(randomBytes(16));
    client.importSessionKey(3, key);
    const server = new AeadSession(key, "server");
    const downs = [server.seal(new Uint8Array([1])), server.seal(new Uint8Array([2]))];
    expect(client.open(3, downs[1]!)[0]).toBe(2);
    client.seal(3, new Uint8Array(1));
    client.importSessionKey(3, key); // replace: counters back to 0
    expect(new DataView(client.seal(3, new Uint8Array(1)).buffer).getBigUint64(0)).toBe(0n);
    expect(client.open(3, downs[0]!)[0]).toBe(1);
    expect(statusOf(() => client.seal(4, new Uint8Array(1)))).toBe("ERR_SLOT_EMPTY");
    expect(statusOf(() => client.open(4, downs[0]!))).toBe("ERR_SLOT_EMPTY");
    expect(() => client.seal(8, new Uint8Array(1))).toThrow(RangeError);
    client.close();
  });

  it("raw ABI: short output buffers report the needed length; in place and disjoint both work", async () => {
    const { client, token } = await session();
    const x = client.wasm.exports;
    const io = client.wasm.ioPtr;
    const dv = () => new DataView(client.wasm.bytes().buffer);
    const mem = () => client.wasm.bytes();
    mem().set([1, 2, 3, 4, 5], io + 1024);
    dv().setUint32(io, 28, true);
    expect(x.tid_seal!(0, io + 1024, 5, io, 0, io + 2048, io)).toBe(-101);
    expect(dv().getUint32(io, true)).toBe(29);
    expect(x.tid_seal!(0, io + 1024, 5, io, 0, io + 2048, io)).toBe(0); // disjoint
    const msg = mem().slice(io + 2048, io + 2048 + 29);
    expect(new DataView(msg.buffer).getBigUint64(0)).toBe(0n);
    dv().setUint32(io, 29, true);
    expect(x.tid_seal!(0, io + 1024, 5, io, 0, io + 1020, io)).toBe(-100); // partial overlap
    const down = serverSeal(token, "downlink", 5n, new Uint8Array([9, 8, 7]));
    mem().set(down, io + 4096);
    dv().setUint32(io, 2, true);
    expect(x.tid_open!(0, io + 4096, down.length, io, 0, io + 8192, io)).toBe(-101);
    expect(dv().getUint32(io, true)).toBe(3);
    expect(x.tid_open!(0, io + 4096, 23, io, 0, io + 8192, io)).toBe(-102);
    expect(x.tid_open!(0, io + 4096, down.length, io, 0, io + 8192, io)).toBe(0);
    expect([...mem().slice(io + 8192, io + 8195)]).toEqual([9, 8, 7]);
    client.close();
  });
});

describe.each(BUILDS)("sym_crypto = SM4-ECB vs node:crypto (%s)", (build) => {
  it("encrypt and decrypt, 16..70,000 bytes (chunked through the I/O region), every slot", async () => {
    const client = await softClient(build, randomIdentity());
    for (let slot = 0; slot < 8; slot++) {
      const key = new Uint8Array(randomBytes(16));
      client.importSessionKey(slot, key);
      for (const n of [16, 32, 48, 240, 256, 1024, 4096, 66560, 70_000 - (70_000 % 16)]) {
        if (slot > 1 && n > 4096) continue;
        const pt = new Uint8Array(randomBytes(n));
        const e = createCipheriv("sm4-ecb", key, null).setAutoPadding(false);
        const ct = Buffer.concat([e.update(pt), e.final()]);
        expect(toHex(client.symCrypto(slot, pt, true))).toBe(toHex(ct));
        const d = createDecipheriv("sm4-ecb", key, null).setAutoPadding(false);
        expect(toHex(client.symCrypto(slot, ct, false))).toBe(toHex(Buffer.concat([d.update(ct), d.final()])));
      }
    }
    client.close();
  });
});
