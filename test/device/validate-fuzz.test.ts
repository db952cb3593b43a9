// Fuzz of tid_client_validate_authcode (docs/abi.md "The five calls"): ≥ 100,000 random and mutated
// server-data inputs against one real pending request (the worked example's), re-armed before each
// input with the TEST HOOK tid_test_set_pending so no SM2 key generation is needed. Every input
// must be rejected with a status (a trap would throw WebAssembly.RuntimeError), nothing may be
// installed, the pending request must be gone after each attempt, and afterwards the genuine answer
// and a fresh handshake against the node:crypto reference (reference/) must still succeed.
import { describe, expect, it } from "vitest";
import { Status, statusName } from "../../bindings/status.js";
import { EXAMPLE, EXAMPLE_IDENTITY, answer, softClient } from "../support/tid.js";
import { fromHex, toHex } from "../../reference/bytes.js";

/** xorshift32: reproducible inputs (the seed is in the test name). */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return { next, below: (n: number) => next() % n, byte: () => next() & 0xff };
}

const SEED = 0x7d1d5eed;
// The re-arming hook exists only in the test build (the release code plus the TEST HOOKS).
const COUNTS = { test: 100_000 } as const;

describe.each(["test"] as const)("validate fuzz (%s build)", (build) => {
  it(`${COUNTS[build]} random and mutated inputs (seed 0x${SEED.toString(16)}): no trap, nothing accepted, state intact`, async () => {
    const client = await softClient(build, EXAMPLE_IDENTITY);
    const marker = new Uint8Array(16).fill(0xa5);
    client.importSessionKey(0, marker);
    const markerCt = client.symCrypto(0, new Uint8Array(16), true);

    const x = client.wasm.exports;
    const io = client.wasm.ioPtr;
    const mem = () => client.wasm.bytes();
    const dv = new DataView(mem().buffer);
    const PENDING = io + 4096; // qd ‖ Nd ‖ tag_d, kept in host memory for re-arming
    const TOKEN = io + 16;
    const DATA = io + 64;
    mem().set(fromHex(EXAMPLE.deviceEphemeralPrivate), PENDING);
    mem().set(fromHex(EXAMPLE.Nd), PENDING + 32);
    mem().set(fromHex(EXAMPLE.tagD), PENDING + 48);

    const good = fromHex(EXAMPLE.serverData);
    const rnd = prng(SEED);
    const buf = new Uint8Array(1200);
    const counts = new Map<string, number>();

    const makeInput = (i: number): number => {
      const kind = i % 6;
      if (kind === 0) {
        // Random bytes, random length 0..700.
        const n = rnd.below(701);
        for (let j = 0; j < n; j++) buf[j] = rnd.byte();
        return n;
      }
      if (kind === 1 || kind === 2) {
        // The genuine answer with 1..8 byte or bit flips.
        buf.set(good);
        const flips = 1 + rnd.below(8);
        for (let f = 0; f < flips; f++) {
          const at = rnd.below(good.length);
          buf[at]! ^= kind === 1 ? 1 + rnd.below(255) : 1 << rnd.below(8);
        }
        return good.length;
      }
      if (kind === 3) {
        // Truncated or extended genuine answer.
        buf.set(good);
        const n = rnd.below(900);
        for (let j = good.length; j < n; j++) buf[j] = rnd.byte();
        return n === good.length ? n - 1 : n;
      }
      // Well-formed header (version, algorithms, TID right), random flags bit 0, random L' and
      // body of the consistent length: these reach the tag check (and must fail there).
      buf.set(good.subarray(0, 36));
      const token = rnd.next() & 1;
      const l = kind === 4 ? rnd.below(513) : rnd.below(3);
      buf[4] = 0;
      buf[5] = token;
      buf[34] = l >> 8;
      buf[35] = l & 0xff;
      for (let j = 18; j < 34; j++) if (rnd.below(2)) buf[j] = rnd.byte();
      const n = 36 + l + (token ? 64 : 0) + 32;
      for (let j = 36; j < n; j++) buf[j] = rnd.byte();
      if (kind === 5 && token) buf.set(good.subarray(36, 100), 36 + l); // the genuine Qs, forged tag
      return n;
    };

    const t0 = performance.now();
    for (let i = 0; i < COUNTS[build]; i++) {
      const n = makeInput(i);
      mem().set(buf.subarray(0, n), DATA);
      expect(x.tid_test_set_pending!(PENDING)).toBe(Status.OK);
      dv.setUint32(io, 16, true);
      const st = x.tid_client_validate_authcode!(DATA, n, TOKEN, io);
      if (st === Status.OK) throw new Error(`input ${i} accepted: ${toHex(buf.subarray(0, n))}`);
      const name = statusName(st);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if (i % 97 === 0) {
        // The attempt consumed the request.
        expect(x.tid_client_validate_authcode!(DATA, n, TOKEN, io)).toBe(Status.ERR_NO_PENDING_REQUEST);
      }
    }
    const ms = performance.now() - t0;

    // Each class of rejection was reached, and nothing else came back.
    for (const s of [
      "ERR_BAD_LENGTH",
      "ERR_BAD_FORMAT",
      "ERR_UNSUPPORTED_VERSION",
      "ERR_UNSUPPORTED_ALGORITHM",
      "ERR_TID_MISMATCH",
      "ERR_VERIFY_FAILED",
    ]) {
      expect(counts.get(s) ?? 0, s).toBeGreaterThan(0);
    }
    expect([...counts.keys()].every((k) => k.startsWith("ERR_") && k !== "ERR_OUT_OF_BOUNDS")).toBe(true);

    // Nothing was installed; the module still works: the genuine answer, then a real handshake.
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(toHex(markerCt));
    client.testHooks.setPending(fromHex(EXAMPLE.deviceEphemeralPrivate), fromHex(EXAMPLE.Nd), fromHex(EXAMPLE.tagD));
    expect(toHex(client.validate(good)!)).toBe(EXAMPLE.sessionToken);
    const fresh = answer(client.getAuthcode(), EXAMPLE_IDENTITY);
    expect(toHex(client.validate(fresh.serverData)!)).toBe(toHex(fresh.token!));
    client.close();
    console.log(`validate fuzz ${build}: ${COUNTS[build]} inputs in ${ms.toFixed(0)} ms`, Object.fromEntries(counts));
  });
});
