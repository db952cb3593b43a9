// The auth server's answer with its SM2 on the wasm (server/app/server-data.ts) against the
// node:crypto reference (reference/server-half.ts buildServerData): on the same inputs — server
// nonce and ephemeral key injected — the same server data, Qs, Z, K and token, byte for byte; with
// fresh randomness, an answer the device half (finishDevice) accepts with the server's token. In
// suite INTL (P-256 on node:crypto, not the wasm) the same, with the INTL device half.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildServerDataWasm } from "../../server/app/server-data.js";
import { buildAuthcode, buildServerData, finishDevice, p256Keygen, sm2Keygen, verifyAuthcode } from "../../reference/index.js";
import { toHex } from "../../reference/bytes.js";

const TIME = 1_700_000_000;

function verified(tid: Uint8Array, psk: Uint8Array, extra?: Uint8Array, flags?: number) {
  const { authcode, pending } = buildAuthcode({ tid, psk, time: TIME, extra, flags });
  return { v: verifyAuthcode(authcode, { lookupPsk: () => psk, now: TIME }), pending };
}

describe("buildServerDataWasm", () => {
  it("matches the reference byte for byte on injected inputs", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.boolean(),
        (tid, psk, ns, extra, issueToken) => {
          const { v } = verified(tid, psk);
          const qs = sm2Keygen().privateKey;
          const input = { tid, psk, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: TIME + 1, ns, ephemeralPrivate: qs, issueToken, extra };
          const ours = buildServerDataWasm(input);
          const ref = buildServerData(input);
          expect(Buffer.from(ours.serverData).toString("hex")).toBe(Buffer.from(ref.serverData).toString("hex"));
          for (const k of ["token", "k", "z", "Qs", "tagS", "ns"] as const) expect(ours[k], k).toEqual(ref[k]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("with fresh randomness the device accepts the answer and derives the same token", () => {
    for (let i = 0; i < 20; i++) {
      const tid = new Uint8Array(randomBytes(8));
      const psk = new Uint8Array(randomBytes(16));
      const { v, pending } = verified(tid, psk);
      const built = buildServerDataWasm({ tid, psk, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: TIME, issueToken: true });
      const done = finishDevice({ tid, psk, pending, serverData: built.serverData });
      expect(done.token).toEqual(built.token);
      expect(built.token).toHaveLength(16);
    }
  });

  it("keeps the session (no key agreement) when the device asks so", () => {
    const tid = new Uint8Array(8).fill(1);
    const psk = new Uint8Array(16).fill(2);
    const { v, pending } = verified(tid, psk, undefined, 1);
    const built = buildServerDataWasm({ tid, psk, nd: v.nd, tagD: v.tagD, time: TIME, issueToken: v.wantsToken });
    expect(built.token).toBeNull();
    expect(built.Qs).toBeNull();
    expect(finishDevice({ tid, psk, pending, serverData: built.serverData }).token).toBeNull();
  });

  it("suite INTL: the reference's P-256 answer, byte for byte, that the INTL device accepts", () => {
    for (let i = 0; i < 10; i++) {
      const tid = new Uint8Array(randomBytes(8));
      const psk = new Uint8Array(randomBytes(16));
      const { authcode, pending } = buildAuthcode({ tid, psk, time: TIME, suite: "intl" });
      const v = verifyAuthcode(authcode, { lookupPsk: () => ({ psk, suite: "intl" }), now: TIME });
      const qs = p256Keygen().privateKey;
      const ns = new Uint8Array(randomBytes(16));
      const input = {
        suite: "intl" as const,
        tid,
        psk,
        nd: v.nd,
        tagD: v.tagD,
        Qd: v.Qd,
        time: TIME,
        ns,
        ephemeralPrivate: qs,
        issueToken: true,
      };
      const ours = buildServerDataWasm(input);
      const ref = buildServerData(input);
      expect(toHex(ours.serverData)).toBe(toHex(ref.serverData));
      expect(toHex(ours.serverData.subarray(0, 3))).toBe("012003");
      const fresh = buildServerDataWasm({ ...input, ns: undefined, ephemeralPrivate: undefined });
      expect(finishDevice({ tid, psk, pending, serverData: fresh.serverData, suite: "intl" }).token).toEqual(fresh.token);
    }
  });

  it("rejects bad arguments naming them", () => {
    const base = { tid: new Uint8Array(8), psk: new Uint8Array(16), nd: new Uint8Array(16), tagD: new Uint8Array(32), time: TIME };
    expect(() => buildServerDataWasm({ ...base, tid: new Uint8Array(7), issueToken: false })).toThrow(/tid/);
    expect(() => buildServerDataWasm({ ...base, issueToken: true })).toThrow(/Qd/);
  });
});
