// Host imports that misbehave (bindings/host-imports.ts, docs/abi.md "Imports"): a callback given to
// TidWasm.create / TidClient.create that throws or returns the wrong kind of value becomes a status
// of the call that needed it — random → ERR_RNG_FAILED, now → ERR_CLOCK_FAILED, transceive →
// ERR_SE_IO — and never an exception through the wasm, which would leave the module busy for good
// (every later call ERR_BUSY, tid_close included, so the PSK would never be zeroed). After each
// failure the module must still work, and tid_close must zero the PSK.
import { randomFillSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TidWasm } from "../../bindings/wasm.js";
import { TidClient } from "../../bindings/client.js";
import { TidError } from "../../bindings/errors.js";
import { Status } from "../../bindings/status.js";
import { EXAMPLE_IDENTITY, answer } from "../support/tid.js";
import { statusOf } from "../support/assertions.js";

const { tid, psk } = EXAMPLE_IDENTITY;

/** Offset of `needle` in the module's memory, or -1. */
function findIn(wasm: TidWasm, needle: Uint8Array): number {
  return Buffer.from(wasm.bytes().buffer).indexOf(Buffer.from(needle));
}

/** A callback that throws. */
const THROW = () => {
  throw new Error("host failure");
};

describe("a host import that throws or returns a bad value becomes a status; the module stays usable", () => {
  const nowCases: [string, () => unknown][] = [
    ["throws", THROW],
    [
      "throws a non-Error",
      () => {
        throw "nope";
      },
    ],
    ["returns NaN", () => NaN],
    ["returns -1", () => -1],
    ["returns 1.5", () => 1.5],
    ["returns 2^32", () => 2 ** 32],
    ["returns 2^53", () => 2 ** 53],
    ["returns Infinity", () => Infinity],
    ["returns a string", () => "1700000000"],
    ["returns a bigint", () => 1_700_000_000n],
    ["returns undefined", () => undefined],
    ["returns an object", () => ({ valueOf: () => 1_700_000_000 })],
  ];

  it.each(nowCases)("now %s: getAuthcode fails with ERR_CLOCK_FAILED, no request; then works; close zeroes the PSK", async (_, value) => {
    let t: () => unknown = value;
    const client = await TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY, now: () => t() as number });
    client.init();
    expect(statusOf(() => client.getAuthcode())).toBe("ERR_CLOCK_FAILED");
    expect(statusOf(() => client.validate(new Uint8Array(100)))).toBe("ERR_NO_PENDING_REQUEST");
    t = () => Math.floor(Date.now() / 1000);
    const authcode = client.getAuthcode();
    const { serverData, token } = answer(authcode, EXAMPLE_IDENTITY);
    expect(Buffer.from(client.validate(serverData)!).equals(Buffer.from(token!))).toBe(true);
    expect(findIn(client.wasm, psk)).toBeGreaterThan(0);
    client.close();
    expect(findIn(client.wasm, psk)).toBe(-1);
  });

  it("TidWasm.create({ imports: { now } }) with a now that throws: the raw call returns ERR_CLOCK_FAILED, not ERR_BUSY forever", () => {
    const wasm = TidWasm.create({ imports: { now: THROW } });
    const x = wasm.exports,
      io = wasm.ioPtr,
      dv = () => new DataView(wasm.bytes().buffer);
    expect(x.tid_set_backend!(1)).toBe(Status.OK);
    wasm.bytes().set([...tid, ...psk], io);
    expect(x.tid_soft_load_identity!(io, 24)).toBe(Status.OK);
    wasm.bytes().fill(0, io, io + 24);
    expect(x.tid_client_init!()).toBe(Status.OK);
    for (let i = 0; i < 3; i++) {
      dv().setUint32(io, 1024, true);
      expect(x.tid_client_get_authcode!(io + 16, io)).toBe(Status.ERR_CLOCK_FAILED);
    }
    expect(x.tid_set_active_slot!(1)).toBe(Status.OK);
    expect(findIn(wasm, psk)).toBeGreaterThan(0);
    expect(x.tid_close!()).toBe(Status.OK);
    expect(findIn(wasm, psk)).toBe(-1);
  });

  it("now: 0 and 2^32 − 1 are the edges of what is accepted, and go into the authcode as they are", async () => {
    for (const t of [0, 1, 2 ** 32 - 1]) {
      const client = await TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY, now: () => t });
      client.init();
      const authcode = client.getAuthcode();
      expect(new DataView(authcode.buffer, authcode.byteOffset).getUint32(6, false)).toBe(t);
      client.close();
    }
  });

  const randomCases: [string, (out: Uint8Array) => unknown][] = [
    ["throws", THROW],
    ["returns 1", () => 1],
    ["returns -1", () => -1],
    ["returns NaN", () => NaN],
    ["returns undefined (no return)", (out) => void randomFillSync(out)],
    ['returns the string "0"', (out) => (randomFillSync(out), "0")],
    ["returns false", (out) => (randomFillSync(out), false)],
    ["returns null", (out) => (randomFillSync(out), null)],
  ];

  it.each(randomCases)("random %s: ERR_RNG_FAILED from every call that draws; then works; close zeroes the PSK", async (_, value) => {
    let r: (out: Uint8Array) => unknown = value;
    const client = await TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY, random: (out) => r(out) as number });
    client.init();
    expect(statusOf(() => client.getAuthcode())).toBe("ERR_RNG_FAILED");
    // The raw SM2 exports draw through the same import.
    const x = client.wasm.exports,
      io = client.wasm.ioPtr;
    expect(x.sm2_keygen!(io, io + 64)).toBe(Status.ERR_RNG_FAILED);
    r = (out) => (randomFillSync(out), 0);
    const { serverData, token } = answer(client.getAuthcode(), EXAMPLE_IDENTITY);
    expect(Buffer.from(client.validate(serverData)!).equals(Buffer.from(token!))).toBe(true);
    expect(x.sm2_keygen!(io, io + 64)).toBe(Status.OK);
    client.close();
    expect(findIn(client.wasm, psk)).toBe(-1);
  });

  const transceiveCases: [string, () => unknown, number][] = [
    ["throws", THROW, Status.ERR_SE_IO],
    ["returns a string", () => "9000", Status.ERR_SE_IO],
    ["returns an Array", () => [0x90, 0x00], Status.ERR_SE_IO],
    ["returns undefined", () => undefined, Status.ERR_SE_IO],
    ["returns NaN", () => NaN, Status.ERR_SE_IO],
    ["returns 0 (a status, not a response)", () => 0, Status.ERR_SE_IO],
    ["returns 1", () => 1, Status.ERR_SE_IO],
    ["returns -1.5", () => -1.5, Status.ERR_SE_IO],
    ["returns -2^40", () => -(2 ** 40), Status.ERR_SE_IO],
    ["returns 1 byte", () => new Uint8Array([0x90]), Status.ERR_SE_IO],
    ["returns 259 bytes", () => new Uint8Array(259), Status.ERR_SE_IO],
    ["returns ERR_SE_NACK", () => Status.ERR_SE_NACK, Status.ERR_SE_NACK],
    ["returns ERR_SE_TIMEOUT", () => Status.ERR_SE_TIMEOUT, Status.ERR_SE_TIMEOUT],
    ["returns -1 (not an SE status)", () => -1, Status.ERR_SE_IO],
  ];

  it.each(transceiveCases)("transceive %s: the call fails with its status; the module stays usable", async (_, value, want) => {
    let reply: () => unknown = value;
    const wasm = TidWasm.create({ imports: { transceive: () => reply() as number } });
    const x = wasm.exports;
    expect(x.tid_set_backend!(2)).toBe(Status.OK);
    expect(x.tid_client_init!()).toBe(want);
    // A well-behaved SE now: SELECT → 9000, GET DATA (TID) → TID ‖ 9000, GET DATA (suite) → 01 ‖ 9000.
    let n = 0;
    const answers = [
      [0x90, 0x00],
      [...tid, 0x90, 0x00],
      [0x01, 0x90, 0x00],
    ];
    reply = () => new Uint8Array(answers[n++]!);
    expect(x.tid_client_init!()).toBe(Status.OK);
    expect(x.tid_suite!()).toBe(1);
    reply = () => new Uint8Array([0x90, 0x00]);
    expect(x.tid_close!()).toBe(Status.OK);
  });

  it("transceive not given: ERR_SE_NOT_CONFIGURED (the TypeScript host supplies that answer itself)", () => {
    const wasm = TidWasm.create();
    expect(wasm.exports.tid_set_backend!(2)).toBe(Status.OK);
    expect(wasm.exports.tid_client_init!()).toBe(Status.ERR_SE_NOT_CONFIGURED);
    expect(wasm.exports.tid_close!()).toBe(Status.OK);
  });

  it("imports that are not functions are refused at creation, naming the option", async () => {
    expect(() => TidWasm.create({ imports: { now: 5 } as never })).toThrow(/options\.imports\.now must be a function, got number/);
    expect(() => TidWasm.create({ imports: "x" as never })).toThrow(/options\.imports must be an object/);
    expect(() => TidWasm.create({ imports: { random: {} } as never })).toThrow(TypeError);
    const wasm = TidWasm.create();
    expect(() => wasm.setImports({ transceive: 1 } as never)).toThrow(/imports\.transceive must be a function/);
    await expect(TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY, random: 1 } as never)).rejects.toThrow(
      /options\.random must be a function/,
    );
    await expect(TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY, now: 1 } as never)).rejects.toThrow(
      /options\.now must be a function/,
    );
  });
});
