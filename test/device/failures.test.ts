// Every failure path of the device side, each with its own status (docs/protocol.md "Rules";
// docs/abi.md "TID client"): flipped bytes of server data, wrong PSK, TID mismatch, bad point,
// truncated and over-long inputs, second validate, stale answers, bad slot index, bad sym_crypto
// length, short buffers, out-of-bounds pointers, RNG failure. After each rejection: nothing
// installed and the pending request erased.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { computeTagS, encodeServerDataBody, parseAuthcode } from "../../reference/index.js";
import { TidClient } from "../../bindings/client.js";
import { TidError } from "../../bindings/errors.js";
import { Status, statusName } from "../../bindings/status.js";
import { BUILDS, EXAMPLE, EXAMPLE_IDENTITY, answer, randomIdentity, softClient } from "../support/tid.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import type { WasmBuild } from "../../bindings/wasm.js";
import { statusOf } from "../support/assertions.js";

const S = Status;
const MARKER = new Uint8Array(16).fill(0x5a);

/** Expected status when byte i of the worked example's server data is XORed with `mask`. */
function expectedForFlip(i: number, mask: number): string {
  if (i === 0) return "ERR_UNSUPPORTED_VERSION";
  if (i === 1 || i === 2) return "ERR_UNSUPPORTED_ALGORITHM";
  if (i === 3) return "ERR_BAD_FORMAT"; // nonce-length byte
  if (i === 4) return "ERR_BAD_FORMAT"; // reserved flag bits
  if (i === 5) return "ERR_BAD_FORMAT"; // reserved bits, or token bit cleared → length no longer fits
  if (i >= 10 && i < 18) return "ERR_TID_MISMATCH";
  if (i === 34) return "ERR_BAD_FORMAT"; // L' > 512
  if (i === 35) return mask === 0xff ? "ERR_BAD_FORMAT" : "ERR_BAD_FORMAT"; // L' ≠ 0: fields no longer fit
  return "ERR_VERIFY_FAILED"; // time, Ns, Qs, tag_s: all under tag_s
}

const qd = fromHex(EXAMPLE.deviceEphemeralPrivate);
const nd = fromHex(EXAMPLE.Nd);
const tagD = fromHex(EXAMPLE.tagD);
const good = fromHex(EXAMPLE.serverData);

/** The worked example's identity on `build`, with MARKER in slot 0. */
async function exampleClient(build: WasmBuild): Promise<TidClient> {
  const client = await softClient(build, EXAMPLE_IDENTITY);
  client.importSessionKey(0, MARKER);
  return client;
}

describe.each(BUILDS)("device failure paths (%s)", (build) => {
  it("wrong PSK: the server rejects the device's tag_d; the device rejects the server's tag_s", async () => {
    const id = randomIdentity();
    const wrong = { tid: id.tid, psk: new Uint8Array(randomBytes(16)) };
    const device = await softClient(build, wrong);
    expect(() => answer(device.getAuthcode(), id)).toThrow(/VERIFY_FAILED\/TAG_D/);
    const right = await softClient(build, id);
    right.importSessionKey(0, MARKER);
    const authcode = right.getAuthcode();
    // An answer made with the wrong PSK for this very request:
    const { serverData } = answer(authcode, { tid: id.tid, psk: id.psk });
    const forged = serverData.slice();
    const body = forged.subarray(0, forged.length - 32);
    const f = parseAuthcode(authcode);
    forged.set(computeTagS(wrong.psk, body, f.nd, f.tagD), forged.length - 32);
    expect(statusOf(() => right.validate(forged))).toBe("ERR_VERIFY_FAILED");
    expect(statusOf(() => right.validate(serverData))).toBe("ERR_NO_PENDING_REQUEST");
    device.close();
    right.close();
  });

  it("TID mismatch: an answer for another device", async () => {
    const a = randomIdentity();
    const b = randomIdentity();
    const ca = await softClient(build, a);
    const cb = await softClient(build, b);
    ca.getAuthcode();
    const { serverData } = answer(cb.getAuthcode(), b);
    expect(statusOf(() => ca.validate(serverData))).toBe("ERR_TID_MISMATCH");
    ca.close();
    cb.close();
  });

  it("an old answer replayed against a new request; an answer to a replaced request", async () => {
    const id = randomIdentity();
    const client = await softClient(build, id);
    const first = answer(client.getAuthcode(), id);
    expect(client.validate(first.serverData)).not.toBeNull();
    client.getAuthcode();
    expect(statusOf(() => client.validate(first.serverData))).toBe("ERR_VERIFY_FAILED");
    const stale = answer(client.getAuthcode(), id);
    client.getAuthcode(); // replaces the pending request
    expect(statusOf(() => client.validate(stale.serverData))).toBe("ERR_VERIFY_FAILED");
    client.close();
  });

  it("authcode buffer too short (raw ABI): ERR_BUFFER_TOO_SHORT with the needed length; no request made", async () => {
    const client = await exampleClient(build);
    const x = client.wasm.exports;
    const io = client.wasm.ioPtr;
    const dv = () => new DataView(client.wasm.bytes().buffer);
    for (const [extra, need] of [
      [0, 132],
      [10, 142],
      [512, 644],
    ] as const) {
      client.wasm.bytes().fill(1, io + 16, io + 16 + extra);
      expect(x.tid_set_authcode_options!(0, io + 16, extra)).toBe(S.OK);
      dv().setUint32(io, need - 1, true);
      expect(statusName(x.tid_client_get_authcode!(io + 1024, io))).toBe("ERR_BUFFER_TOO_SHORT");
      expect(dv().getUint32(io, true)).toBe(need);
      expect(statusName(x.tid_client_get_authcode!(io + 1024, io))).toBe("OK");
      expect(dv().getUint32(io, true)).toBe(need);
    }
    client.close();
  });

  it("bad slot index, bad key length, bad sym_crypto length and mode, empty slot (raw ABI and TidClient)", async () => {
    const client = await exampleClient(build);
    const x = client.wasm.exports;
    const io = client.wasm.ioPtr;
    for (const slot of [-1, 8, 9, 255, 0x7fffffff, -0x80000000]) {
      expect(statusName(x.tid_client_import_sesskey!(io, 16, slot))).toBe("ERR_BAD_KEY_INDEX");
      expect(statusName(x.tid_client_sym_crypto!(io, io, 16, slot, 1))).toBe("ERR_BAD_KEY_INDEX");
      expect(statusName(x.tid_seal!(slot, io, 0, io, 0, io + 64, io + 32))).toBe("ERR_BAD_KEY_INDEX");
      expect(statusName(x.tid_open!(slot, io, 24, io, 0, io + 64, io + 32))).toBe("ERR_BAD_KEY_INDEX");
      expect(statusName(x.tid_set_active_slot!(slot))).toBe("ERR_BAD_KEY_INDEX");
      expect(statusName(x.tid_erase_slot!(slot))).toBe("ERR_BAD_KEY_INDEX");
    }
    for (const len of [0, 15, 17, 24, -16, 0x7ffffff0 + 1]) {
      expect(statusName(x.tid_client_import_sesskey!(io, len, 0))).toBe("ERR_BAD_LENGTH");
      expect(statusName(x.tid_client_sym_crypto!(io, io, len, 0, 1))).toBe("ERR_BAD_LENGTH");
    }
    expect(statusName(x.tid_client_sym_crypto!(io, io, 16, 0, 2))).toBe("ERR_BAD_PARAM");
    expect(statusName(x.tid_client_sym_crypto!(io, io + 8, 32, 0, 1))).toBe("ERR_BAD_PARAM"); // partial overlap
    expect(statusName(x.tid_client_sym_crypto!(io, io, 16, 3, 1))).toBe("ERR_SLOT_EMPTY");
    expect(() => client.symCrypto(8, new Uint8Array(16), true)).toThrow(RangeError);
    expect(() => client.symCrypto(0, new Uint8Array(15), true)).toThrow(/data must be at least 16 bytes, got 15/);
    expect(() => client.symCrypto(0, new Uint8Array(17), true)).toThrow(/data length must be a multiple of 16, got 17/);
    expect(() => client.symCrypto(0, new Uint8Array(0), true)).toThrow(RangeError);
    expect(() => client.importSessionKey(0, new Uint8Array(15))).toThrow(/key must be 16 bytes/);
    expect(() => client.importSessionKey(-1, MARKER)).toThrow(/slot must be in 0\.\.7/);
    expect(() => client.symCrypto(0, "abc" as never, true)).toThrow(TypeError);
    expect(statusOf(() => client.symCrypto(3, new Uint8Array(16), true))).toBe("ERR_SLOT_EMPTY");
    client.eraseSlot(0);
    expect(statusOf(() => client.symCrypto(0, new Uint8Array(16), true))).toBe("ERR_SLOT_EMPTY");
    client.close();
  });

  it("a host import that calls back into the module gets ERR_BUSY; the outer call is unharmed", async () => {
    const seen: number[] = [];
    let client: TidClient | undefined;
    client = await TidClient.create({
      backend: "soft",
      identity: EXAMPLE_IDENTITY,
      build,
      random: (out) => {
        const x = client!.wasm.exports;
        seen.push(x.tid_close!(), x.tid_client_init!(), x.tid_client_get_authcode!(0, 0), x.tid_set_backend!(1));
        out.set(randomBytes(out.length));
        return 0;
      },
    });
    client.init();
    const authcode = client.getAuthcode();
    expect(new Set(seen)).toEqual(new Set([S.ERR_BUSY]));
    const { serverData, token } = answer(authcode, EXAMPLE_IDENTITY);
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
    client.close();
  });
});

// These arm a pending request or an ephemeral key with the TEST HOOKS, which only the test build
// (the release code plus the hooks) exports.
describe("device failure paths through the test hooks (test build)", () => {
  const build = "test" as const;

  it("each byte of server data flipped (0xFF and 0x01): rejected with its status, nothing installed, pending erased", async () => {
    const client = await exampleClient(build);
    const marker = client.symCrypto(0, new Uint8Array(16), true);
    for (const mask of [0xff, 0x01]) {
      for (let i = 0; i < good.length; i++) {
        const bad = good.slice();
        bad[i]! ^= mask;
        client.testHooks.setPending(qd, nd, tagD);
        expect([i, mask, statusOf(() => client.validate(bad))]).toEqual([i, mask, expectedForFlip(i, mask)]);
        // The request is gone: even the genuine answer now fails.
        expect(statusOf(() => client.validate(good))).toBe("ERR_NO_PENDING_REQUEST");
      }
    }
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(toHex(marker));
    // And the genuine answer to a fresh (re-armed) request still works.
    client.testHooks.setPending(qd, nd, tagD);
    expect(toHex(client.validate(good)!)).toBe(EXAMPLE.sessionToken);
    client.close();
  });

  it("second validate of the same answer: ERR_NO_PENDING_REQUEST; validate before any authcode too", async () => {
    const client = await exampleClient(build);
    expect(statusOf(() => client.validate(good))).toBe("ERR_NO_PENDING_REQUEST");
    client.testHooks.setPending(qd, nd, tagD);
    expect(toHex(client.validate(good)!)).toBe(EXAMPLE.sessionToken);
    expect(statusOf(() => client.validate(good))).toBe("ERR_NO_PENDING_REQUEST");
    client.close();
  });

  it("truncated and over-long server data", async () => {
    const client = await exampleClient(build);
    const marker = client.symCrypto(0, new Uint8Array(16), true);
    for (let n = 0; n < good.length; n++) {
      client.testHooks.setPending(qd, nd, tagD);
      const want = n < 68 ? "ERR_BAD_LENGTH" : "ERR_BAD_FORMAT";
      expect([n, statusOf(() => client.validate(good.subarray(0, n)))]).toEqual([n, want]);
    }
    for (const extra of [1, 16, 512, 513, 1000, 60000]) {
      const long = new Uint8Array(good.length + extra);
      long.set(good);
      client.testHooks.setPending(qd, nd, tagD);
      const want = good.length + extra > 644 ? "ERR_BAD_LENGTH" : "ERR_BAD_FORMAT";
      expect([extra, statusOf(() => client.validate(long))]).toEqual([extra, want]);
      expect(statusOf(() => client.validate(good))).toBe("ERR_NO_PENDING_REQUEST");
    }
    // Longer than the I/O region: a RangeError, and the request is still consumed.
    client.testHooks.setPending(qd, nd, tagD);
    expect(() => client.validate(new Uint8Array(70_000))).toThrow(RangeError);
    expect(statusOf(() => client.validate(good))).toBe("ERR_NO_PENDING_REQUEST");
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(toHex(marker));
    client.close();
  });

  it("a correctly tagged Qs that is not a curve point: ERR_BAD_POINT, nothing installed", async () => {
    const client = await exampleClient(build);
    const marker = client.symCrypto(0, new Uint8Array(16), true);
    for (const Qs of [new Uint8Array(64), new Uint8Array(randomBytes(64)), new Uint8Array(64).fill(0xff)]) {
      const body = encodeServerDataBody({ time: EXAMPLE.serverTime, tid: EXAMPLE_IDENTITY.tid, ns: fromHex(EXAMPLE.Ns), Qs });
      const sd = new Uint8Array(body.length + 32);
      sd.set(body);
      sd.set(computeTagS(EXAMPLE_IDENTITY.psk, body, nd, tagD), body.length);
      client.testHooks.setPending(qd, nd, tagD);
      expect(statusOf(() => client.validate(sd))).toBe("ERR_BAD_POINT");
    }
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(toHex(marker));
    client.close();
  });

  it("token buffer too short (raw ABI): ERR_BUFFER_TOO_SHORT with 16 written back; the request is consumed", async () => {
    const client = await exampleClient(build);
    const x = client.wasm.exports;
    const io = client.wasm.ioPtr;
    const mem = () => client.wasm.bytes();
    const dv = () => new DataView(mem().buffer);
    client.testHooks.setPending(qd, nd, tagD);
    mem().set(good, io + 64);
    dv().setUint32(io, 15, true);
    expect(statusName(x.tid_client_validate_authcode!(io + 64, good.length, io + 16, io))).toBe("ERR_BUFFER_TOO_SHORT");
    expect(dv().getUint32(io, true)).toBe(16);
    expect(statusName(x.tid_client_validate_authcode!(io + 64, good.length, io + 16, io))).toBe("ERR_NO_PENDING_REQUEST");
    client.close();
  });

  it("out-of-bounds pointers never trap: ERR_OUT_OF_BOUNDS, state intact", async () => {
    const client = await exampleClient(build);
    const x = client.wasm.exports;
    const end = client.wasm.memory.buffer.byteLength;
    const io = client.wasm.ioPtr;
    const far = [end, end - 1, end - 3, 0xffffffff | 0, 0xfffffff0 | 0];
    for (const p of far) {
      expect(x.tid_client_get_authcode!(io, p)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_client_import_sesskey!(p, 16, 0)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_client_sym_crypto!(p, io, 16, 0, 1)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_client_sym_crypto!(io, p, 16, 0, 1)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_get_tid!(p)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_soft_load_identity!(p, 24)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_set_authcode_options!(0, p, 16)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_seal!(0, p, 16, io, 0, io + 64, io)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_open!(0, p, 40, io, 0, io + 64, io)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_test_inject!(p, 0, io)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_test_set_pending!(p)).toBe(S.ERR_OUT_OF_BOUNDS);
      client.testHooks.setPending(qd, nd, tagD);
      new DataView(client.wasm.bytes().buffer).setUint32(io, 16, true);
      expect(x.tid_client_validate_authcode!(p, 132, io + 16, io)).toBe(S.ERR_OUT_OF_BOUNDS);
      client.testHooks.setPending(qd, nd, tagD);
      expect(x.tid_client_validate_authcode!(io, 132, io + 16, p)).toBe(S.ERR_OUT_OF_BOUNDS);
    }
    // The authcode output range is checked against its real length.
    new DataView(client.wasm.bytes().buffer).setUint32(io, 1000, true);
    expect(x.tid_client_get_authcode!(end - 131, io)).toBe(S.ERR_OUT_OF_BOUNDS);
    // Still fully working afterwards.
    client.testHooks.setPending(qd, nd, tagD);
    expect(toHex(client.validate(good)!)).toBe(EXAMPLE.sessionToken);
    client.close();
  });

  it("state errors: not initialised, no identity, wrong backend for a set-up call, closed client", async () => {
    const client = await TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY, build });
    const x = client.wasm.exports;
    const io = client.wasm.ioPtr;
    expect(x.tid_client_get_authcode!(io + 16, io)).toBe(S.ERR_NOT_INITIALISED);
    expect(x.tid_client_validate_authcode!(io, 132, io, io)).toBe(S.ERR_NOT_INITIALISED);
    expect(x.tid_client_import_sesskey!(io, 16, 0)).toBe(S.ERR_NOT_INITIALISED);
    expect(x.tid_client_sym_crypto!(io, io, 16, 0, 1)).toBe(S.ERR_NOT_INITIALISED);
    expect(x.tid_seal!(0, io, 0, io, 0, io + 64, io)).toBe(S.ERR_NOT_INITIALISED);
    expect(x.tid_get_tid!(io)).toBe(S.ERR_NOT_INITIALISED);
    expect(statusOf(() => client.tid)).toBe("ERR_NOT_INITIALISED");
    expect(x.tid_set_backend!(1)).toBe(S.OK); // zeroes the identity
    expect(x.tid_client_init!()).toBe(S.ERR_SLOT_EMPTY);
    expect(x.tid_set_backend!(3)).toBe(S.ERR_BAD_PARAM);
    expect(x.tid_close!()).toBe(S.OK);
    expect(x.tid_client_init!()).toBe(S.ERR_NOT_INITIALISED); // no backend
    expect(x.tid_soft_load_identity!(io, 24)).toBe(S.ERR_NOT_INITIALISED);
    expect(x.tid_set_backend!(2)).toBe(S.OK);
    expect(x.tid_soft_load_identity!(io, 24)).toBe(S.ERR_BAD_PARAM); // SE backend has no soft identity
    expect(x.tid_test_inject!(io, 0, io)).toBe(S.ERR_BAD_PARAM);
    expect(x.tid_client_init!()).toBe(S.ERR_SE_NOT_CONFIGURED); // no transceive given
    expect(x.tid_set_backend!(1)).toBe(S.OK);
    expect(x.tid_soft_load_identity!(io, 23)).toBe(S.ERR_BAD_LENGTH);
    expect(x.tid_set_authcode_options!(2, io, 0)).toBe(S.ERR_BAD_PARAM);
    expect(x.tid_set_authcode_options!(0, io, 513)).toBe(S.ERR_BAD_LENGTH);
    expect(x.tid_se_return_token!(2)).toBe(S.ERR_BAD_PARAM);
    client.close();
    expect(statusOf(() => client.getAuthcode())).toBe("ERR_NOT_INITIALISED");
    expect(() => client.close()).not.toThrow();
  });

  it("RNG failure: ERR_RNG_FAILED from get_authcode, and no pending request", async () => {
    let fail = false;
    const client = await TidClient.create({
      backend: "soft",
      identity: EXAMPLE_IDENTITY,
      build,
      random: (out) => (fail ? -1 : (out.set(randomBytes(out.length)), 0)),
    });
    client.init();
    const id = EXAMPLE_IDENTITY;
    const authcode = client.getAuthcode();
    fail = true;
    expect(statusOf(() => client.getAuthcode())).toBe("ERR_RNG_FAILED");
    fail = false;
    // The earlier request was replaced by the failed attempt: its answer no longer validates.
    const { serverData } = answer(authcode, id);
    expect(statusOf(() => client.validate(serverData))).toBe("ERR_NO_PENDING_REQUEST");
    // An injected ephemeral key outside [1, n-2] is refused the same way.
    for (const bad of [new Uint8Array(32), new Uint8Array(32).fill(0xff)]) {
      client.testHooks.inject(new Uint8Array(16), 0, bad);
      expect(statusOf(() => client.getAuthcode())).toBe("ERR_BAD_SCALAR");
    }
    client.close();
  });

  it("argument errors name the argument", async () => {
    const client = await exampleClient(build);
    expect(() => client.getAuthcode(new Uint8Array(513))).toThrow(/extra must be at most 512 bytes, got 513/);
    expect(() => client.getAuthcode([1, 2] as never)).toThrow(/extra must be a Uint8Array, got an Array/);
    expect(() => client.validate(null as never)).toThrow(/serverData must be a Uint8Array, got null/);
    expect(() => client.seal(0, new Uint8Array(1), "x" as never)).toThrow(/aad must be a Uint8Array/);
    expect(() => client.open(0, new Uint8Array(23))).toThrow(/message must be at least 24 bytes, got 23/);
    expect(() => client.testHooks.inject(new Uint8Array(15), 0, new Uint8Array(32))).toThrow(/nd must be 16 bytes/);
    await expect(TidClient.create({ backend: "soft" } as never)).rejects.toThrow(/needs identity or keyFile/);
    await expect(TidClient.create({ backend: "soft", identity: { tid: new Uint8Array(7), psk: new Uint8Array(16) } })).rejects.toThrow(
      /identity.tid must be 8 bytes, got 7/,
    );
    await expect(TidClient.create({ backend: "tee" } as never)).rejects.toThrow(TypeError);
    await expect(TidClient.create({ backend: "se", link: {} } as never)).rejects.toThrow(/transceiveSync/);
    client.close();
  });
});
