// The node:crypto reference of TID protocol v1 (reference/) against the worked example
// (test/vectors/tid-v1-example.json, docs/protocol.md "Worked example, byte by byte"), and its
// round trips.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Status } from "../../bindings/status.js";
import {
  buildAuthcode,
  buildServerData,
  finishDevice,
  hmacSm3,
  MemoryReplayCache,
  parseAuthcode,
  parseServerData,
  ProtocolError,
  sm2Ecdh,
  sm2Keygen,
  sm2PublicFromPrivate,
  sm3,
  sm3Kdf,
  STATUS_OF,
  verifyAuthcode,
} from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const ex = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8")) as Record<string, string | number>;
const h = (s: string | number) => fromHex(String(s));
const hex = (b: Uint8Array | null) => (b ? toHex(b) : null);

const tid = h(ex.TID!);
const psk = h(ex.PSK!);

function exampleDevice() {
  return buildAuthcode({ tid, psk, time: ex.deviceTime as number, nd: h(ex.Nd!), ephemeralPrivate: h(ex.deviceEphemeralPrivate!) });
}

describe("worked example (tid-v1-example.json)", () => {
  it("device builds the authcode and tag_d", () => {
    const { authcode, pending } = exampleDevice();
    expect(hex(authcode)).toBe(ex.authcode);
    expect(authcode.length).toBe(ex.authcodeLength);
    expect(hex(pending.tagD)).toBe(ex.tagD);
    expect(hex(pending.nd)).toBe(ex.Nd);
  });

  it("server verifies it and builds server data, tag_s, Z, K and token", () => {
    const v = verifyAuthcode(h(ex.authcode!), { lookupPsk: () => psk, now: ex.serverTime as number });
    expect(hex(v.tid)).toBe(ex.TID);
    expect(v.wantsToken).toBe(true);
    const s = buildServerData({
      tid: v.tid,
      psk,
      nd: v.nd,
      tagD: v.tagD,
      Qd: v.Qd,
      time: ex.serverTime as number,
      ns: h(ex.Ns!),
      ephemeralPrivate: h(ex.serverEphemeralPrivate!),
      issueToken: true,
    });
    expect(hex(s.serverData)).toBe(ex.serverData);
    expect(s.serverData.length).toBe(ex.serverDataLength);
    expect(hex(s.tagS)).toBe(ex.tagS);
    expect(hex(s.z)).toBe(ex.Z);
    expect(hex(s.k)).toBe(ex.K);
    expect(hex(s.token)).toBe(ex.sessionToken);
  });

  it("device checks the server data and derives the same token", () => {
    const { pending } = exampleDevice();
    const r = finishDevice({ tid, psk, pending, serverData: h(ex.serverData!) });
    expect(hex(r.token)).toBe(ex.sessionToken);
    expect(hex(r.k)).toBe(ex.K);
    expect(hex(sm2Ecdh(h(ex.deviceEphemeralPrivate!), r.fields.Qs!))).toBe(ex.Z);
  });

  it("the parsed fields are the example's", () => {
    const a = parseAuthcode(h(ex.authcode!));
    expect(a.time).toBe(ex.deviceTime);
    expect(hex(a.Qd)).toBe(hex(sm2PublicFromPrivate(h(ex.deviceEphemeralPrivate!))));
    const s = parseServerData(h(ex.serverData!));
    expect(s.flags).toBe(1);
    expect(s.time).toBe(ex.serverTime);
    expect(hex(s.ns)).toBe(ex.Ns);
    expect(hex(s.tagS)).toBe(ex.tagS);
  });

  it("the guide's 132-byte authcode parses as v1 (its tag is not ours to check)", () => {
    const guide = h(
      "0110021000005d19e2af671007e10029b0a2ec8f9eabc6fbab64689bef2cf4efec9c0000b4d064e6a59187bc7d08821a03e28184ca0ab30eaa210a74fa9a1122e716cf79f02b310f2ecda3959bc99546dbbe39a7a31328090e9d5da9aa394ba1d84dd040de08573a57d2ef8143df1a4efdb6bf2e7d9d2d08be70e31391932813" +
        "26efd26e",
    );
    const f = parseAuthcode(guide);
    expect(f.time).toBe(1561977519);
    expect(hex(f.tid)).toBe(ex.TID);
    expect(hex(f.nd)).toBe(ex.Nd);
  });
});

describe("primitives", () => {
  it("SM3 and HMAC-SM3 known answers", () => {
    expect(hex(sm3(new TextEncoder().encode("abc")))).toBe("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    // HMAC is RFC 2104 over SM3: check against a manual ipad/opad construction.
    const key = new Uint8Array(20).fill(0x0b);
    const msg = new TextEncoder().encode("Hi There");
    const k0 = new Uint8Array(64);
    k0.set(key);
    const ipad = k0.map((b) => b ^ 0x36);
    const opad = k0.map((b) => b ^ 0x5c);
    expect(hex(hmacSm3(key, msg))).toBe(hex(sm3(opad, sm3(ipad, msg))));
  });

  it("sm3Kdf counts from 1 and truncates", () => {
    const z = new Uint8Array([1, 2, 3]);
    const out = sm3Kdf(z, 40);
    expect(hex(out.subarray(0, 32))).toBe(hex(sm3(z, new Uint8Array([0, 0, 0, 1]))));
    expect(hex(out.subarray(32))).toBe(hex(sm3(z, new Uint8Array([0, 0, 0, 2])).subarray(0, 8)));
    expect(sm3Kdf(z, 0).length).toBe(0);
  });

  it("SM2 ECDH agrees both ways; bad points and scalars are typed errors", () => {
    const a = sm2Keygen();
    const b = sm2Keygen();
    expect(hex(sm2Ecdh(a.privateKey, b.publicKey))).toBe(hex(sm2Ecdh(b.privateKey, a.publicKey)));
    const bad = b.publicKey.slice();
    bad[63]! ^= 1;
    expect(() => sm2Ecdh(a.privateKey, bad)).toThrow(expect.objectContaining({ code: "BAD_POINT" }));
    expect(() => sm2PublicFromPrivate(new Uint8Array(32))).toThrow(expect.objectContaining({ code: "BAD_SCALAR" }));
    expect(() => sm2PublicFromPrivate(h("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122"))).toThrow(
      expect.objectContaining({ code: "BAD_SCALAR" }),
    );
  });

  it("error codes map onto names of the wasm status table", () => {
    for (const name of Object.values(STATUS_OF)) expect(Object.keys(Status)).toContain(name);
  });
});

describe("round trips", () => {
  const now = 1_700_000_000;

  it("fresh keys: device and server agree on the token; extra data on both sides", () => {
    const extra = new Uint8Array(512).fill(7);
    const { authcode, pending } = buildAuthcode({ tid, psk, time: now, extra });
    expect(authcode.length).toBe(132 + 512);
    const v = verifyAuthcode(authcode, { lookupPsk: () => psk, now });
    expect(hex(v.extra)).toBe(hex(extra));
    const s = buildServerData({ ...v, time: now, issueToken: true, extra: new Uint8Array([1, 2, 3]) });
    const d = finishDevice({ tid, psk, pending, serverData: s.serverData });
    expect(d.token).not.toBeNull();
    expect(hex(d.token)).toBe(hex(s.token));
    expect(hex(d.fields.extra)).toBe("010203");
  });

  it("keep-session flag: no token, 68-byte server data", () => {
    const { authcode, pending } = buildAuthcode({ tid, psk, time: now, flags: 1 });
    const v = verifyAuthcode(authcode, { lookupPsk: () => psk, now });
    expect(v.wantsToken).toBe(false);
    const s = buildServerData({ ...v, time: now, issueToken: v.wantsToken });
    expect(s.serverData.length).toBe(68);
    expect(s.token).toBeNull();
    const d = finishDevice({ tid, psk, pending, serverData: s.serverData });
    expect(d.token).toBeNull();
    expect(d.k).toBeNull();
  });

  it("server checks in order: unknown, tag, inactive, time, replay", () => {
    const { authcode } = buildAuthcode({ tid, psk, time: now });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        return `${(e as ProtocolError).code}/${(e as ProtocolError).reason}`;
      }
      return "OK";
    };
    expect(code(() => verifyAuthcode(authcode, { lookupPsk: () => null, now }))).toBe("UNKNOWN_TID/NOT_REGISTERED");
    expect(code(() => verifyAuthcode(authcode, { lookupPsk: () => new Uint8Array(16), now }))).toBe("VERIFY_FAILED/TAG_D");
    expect(code(() => verifyAuthcode(authcode, { lookupPsk: () => ({ psk, active: false }), now }))).toBe("INACTIVE_TID/DEACTIVATED");
    expect(code(() => verifyAuthcode(authcode, { lookupPsk: () => psk, now: now + 301 }))).toBe("STALE_TIME/TOO_OLD");
    expect(code(() => verifyAuthcode(authcode, { lookupPsk: () => psk, now: now - 301 }))).toBe("STALE_TIME/TOO_NEW");
    expect(code(() => verifyAuthcode(authcode, { lookupPsk: () => psk, now: now + 300 }))).toBe("OK");
    expect(code(() => verifyAuthcode(authcode, { lookupPsk: () => psk, now: now + 10, windowSeconds: 5 }))).toBe("STALE_TIME/TOO_OLD");
    const cache = new MemoryReplayCache();
    const remember = cache.remember.bind(cache);
    expect(code(() => verifyAuthcode(authcode, { lookupPsk: () => psk, now, remember }))).toBe("OK");
    expect(code(() => verifyAuthcode(authcode, { lookupPsk: () => psk, now, remember }))).toBe("REPLAY/SEEN");
    cache.prune(now + 302);
    expect(cache.size).toBe(0);
  });

  it("device checks: TID mismatch, tag_s, wrong PSK, reuse against another request", () => {
    const first = buildAuthcode({ tid, psk, time: now });
    const v = verifyAuthcode(first.authcode, { lookupPsk: () => psk, now });
    const s = buildServerData({ ...v, time: now, issueToken: true });
    const codeOf = (f: () => unknown) => {
      try {
        f();
        return "OK";
      } catch (e) {
        return (e as ProtocolError).code;
      }
    };
    const otherTid = tid.slice();
    otherTid[0]! ^= 1;
    expect(codeOf(() => finishDevice({ tid: otherTid, psk, pending: first.pending, serverData: s.serverData }))).toBe("TID_MISMATCH");
    expect(codeOf(() => finishDevice({ tid, psk: new Uint8Array(16), pending: first.pending, serverData: s.serverData }))).toBe(
      "VERIFY_FAILED",
    );
    const second = buildAuthcode({ tid, psk, time: now });
    expect(codeOf(() => finishDevice({ tid, psk, pending: second.pending, serverData: s.serverData }))).toBe("VERIFY_FAILED");
    expect(codeOf(() => finishDevice({ tid, psk, pending: first.pending, serverData: s.serverData }))).toBe("OK");
  });

  it("each byte of the server data flipped is rejected by the device", () => {
    const { pending } = exampleDevice();
    const good = h(ex.serverData!);
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i]! ^= 0x01;
      expect(() => finishDevice({ tid, psk, pending, serverData: bad }), `byte ${i}`).toThrow(ProtocolError);
    }
  });

  it("encoders reject bad arguments with TypeError / RangeError", () => {
    expect(() => buildAuthcode({ tid: new Uint8Array(7), psk, time: now })).toThrow(RangeError);
    expect(() => buildAuthcode({ tid, psk: "x" as unknown as Uint8Array, time: now })).toThrow(TypeError);
    expect(() => buildAuthcode({ tid, psk, time: -1 })).toThrow(RangeError);
    expect(() => buildAuthcode({ tid, psk, time: now, flags: 2 })).toThrow(RangeError);
    expect(() => buildAuthcode({ tid, psk, time: now, extra: new Uint8Array(513) })).toThrow(RangeError);
  });
});
