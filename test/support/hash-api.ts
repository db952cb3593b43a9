// Checks of a typed hash binding (bindings/sm3.ts, bindings/sha256.ts: a hash and its HMAC of
// RFC 2104, one-shot and streamed): differential properties against node:crypto's implementation
// of the same hash, and hostile input (wrong types, unaligned views, finished hashers, key
// traces). Shared by the SM3 and SHA-256 suites so that both are held to the same checks.
import { createHash, createHmac, randomBytes } from "node:crypto";
import fc from "fast-check";
import { expect } from "vitest";
import type { Hasher } from "../../bindings/hash-family.js";
import { TidError } from "../../bindings/errors.js";
import { Status } from "../../bindings/status.js";
import { toHex } from "../../reference/bytes.js";
import { expectStatus } from "./assertions.js";

/** One family of a binding: node:crypto's name for the hash and the binding's four calls. */
export interface HashUnderTest {
  node: "sm3" | "sha256";
  digest(data: Uint8Array): Uint8Array;
  create(): Hasher;
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  createHmac(key: Uint8Array): Hasher;
}

const nodeDigest = (t: HashUnderTest, d: Uint8Array): string => createHash(t.node).update(d).digest("hex");
const nodeHmac = (t: HashUnderTest, k: Uint8Array, d: Uint8Array): string => createHmac(t.node, k).update(d).digest("hex");

/** One-shot digests of random data of 0..4096 bytes. */
export function oneShotAgrees(t: HashUnderTest): void {
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 4096 }), (d) => toHex(t.digest(d)) === nodeDigest(t, d)));
}

/** Every length around the block and padding edges (0..200). */
export function everyShortLengthAgrees(t: HashUnderTest): void {
  const d = randomBytes(200);
  for (let n = 0; n <= 200; n++) expect(toHex(t.digest(d.subarray(0, n))), `length ${n}`).toBe(nodeDigest(t, d.subarray(0, n)));
}

/** A streaming hasher fed random data cut at random points. */
export function randomSplitsAgree(t: HashUnderTest): void {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 4096 }), fc.array(fc.nat(4096), { maxLength: 12 }), (d, cuts) => {
      const points = [...new Set(cuts.map((c) => c % (d.length + 1)))].sort((a, b) => a - b);
      const h = t.create();
      let at = 0;
      for (const p of [...points, d.length]) {
        h.update(d.subarray(at, p));
        at = p;
      }
      return toHex(h.digest()) === nodeDigest(t, d);
    }),
  );
}

/** HMAC with random keys of 0..200 bytes, one-shot and streamed in two pieces. */
export function hmacAgrees(t: HashUnderTest): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 4096 }), fc.nat(4096), (k, d, cut) => {
      const want = nodeHmac(t, k, d);
      const c = cut % (d.length + 1);
      return toHex(t.hmac(k, d)) === want && toHex(t.createHmac(k).update(d.subarray(0, c)).update(d.subarray(c)).digest()) === want;
    }),
  );
}

/** Values that are not a Uint8Array, for the hostile-input checks. */
export const NOT_BYTES: readonly unknown[] = [
  "abc",
  3,
  null,
  undefined,
  [1, 2, 3],
  new ArrayBuffer(4),
  new DataView(new ArrayBuffer(4)),
  new Uint16Array(2),
  {},
];

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));

/** A wrong type for any byte argument throws a TypeError naming it; a hasher refusing one stays usable. */
export function wrongTypesAreNamed(t: HashUnderTest): void {
  for (const bad of NOT_BYTES) {
    const b = bad as Uint8Array;
    expect(() => t.digest(b)).toThrow(TypeError);
    expect(() => t.digest(b)).toThrow(/^data must be a Uint8Array/);
    expect(() => t.hmac(b, new Uint8Array(1))).toThrow(/^key must be a Uint8Array/);
    expect(() => t.hmac(new Uint8Array(1), b)).toThrow(/^data must be a Uint8Array/);
    expect(() => t.createHmac(b)).toThrow(/^key must be a Uint8Array/);
    const h = t.create();
    expect(() => h.update(b)).toThrow(/^data must be a Uint8Array/);
    expect(toHex(h.update(ascii("abc")).digest())).toBe(nodeDigest(t, ascii("abc"))); // still usable
  }
}

/** Unaligned subarrays of a Buffer are read exactly; `more(view)` checks the family's other calls on each view. */
export function unalignedViewsAreExact(t: HashUnderTest, more: (view: Uint8Array) => void): void {
  const backing = randomBytes(5000);
  for (const [a, b] of [
    [1, 4],
    [3, 67],
    [5, 4096 + 5],
    [7, 4999],
  ] as const) {
    const view = new Uint8Array(backing.buffer, backing.byteOffset + a, b - a);
    expect(toHex(t.digest(view))).toBe(nodeDigest(t, view));
    expect(toHex(t.hmac(view.subarray(0, 33), view))).toBe(nodeHmac(t, view.subarray(0, 33), view));
    more(view);
  }
}

/** Results are fresh arrays, not views of the module's memory that a later call overwrites. */
export function resultsAreFresh(t: HashUnderTest, memory: { buffer: ArrayBuffer }): void {
  const a = t.digest(ascii("abc"));
  t.digest(ascii("other"));
  expect(toHex(a)).toBe(nodeDigest(t, ascii("abc")));
  expect(a.buffer).not.toBe(memory.buffer);
}

/** A hasher used after digest() or destroy() throws TidError ERR_NOT_INITIALISED; destroy() is idempotent. */
export function finishedHashersThrow(t: HashUnderTest): void {
  for (const make of [() => t.create(), () => t.createHmac(ascii("k"))]) {
    const h = make().update(ascii("abc"));
    h.digest();
    expect(() => h.update(ascii("x"))).toThrow(TidError);
    expect(() => h.update(ascii("x"))).toThrow(/update\(\) on a finished .*hasher/);
    expect(() => h.digest()).toThrow(/digest\(\) on a finished/);
    expectStatus(() => h.digest(), Status.ERR_NOT_INITIALISED);
    const g = make();
    g.destroy();
    g.destroy();
    expect(() => g.digest()).toThrow(TidError);
  }
}

/** HMAC keys (64 bytes, and 100 bytes hashed to K0 first) and their padded forms leave no trace in module memory. */
export function hmacKeysLeaveNoTrace(t: HashUnderTest, memory: { buffer: ArrayBuffer }): void {
  const key = ascii("K".repeat(20) + "this is a distinctive key!!" + "Q".repeat(17)); // 64 bytes
  const pad = (b: number): Buffer => Buffer.from(key.map((k) => k ^ b));
  expect(toHex(t.createHmac(key).update(ascii("m")).digest())).toBe(nodeHmac(t, key, ascii("m")));
  expect(toHex(t.hmac(key, ascii("m")))).toBe(nodeHmac(t, key, ascii("m")));
  const long = Buffer.concat([key, key.subarray(0, 36)]); // 100 bytes: hashed to K0 first
  const k0 = Buffer.concat([createHash(t.node).update(long).digest(), Buffer.alloc(32)]);
  expect(toHex(t.hmac(long, ascii("m")))).toBe(nodeHmac(t, long, ascii("m")));
  expect(toHex(t.createHmac(long).update(ascii("m")).digest())).toBe(nodeHmac(t, long, ascii("m")));
  const mem = Buffer.from(memory.buffer);
  for (const needle of [Buffer.from(key), pad(0x36), pad(0x5c), k0.subarray(0, 32), k0.map((b) => b ^ 0x36), k0.map((b) => b ^ 0x5c)]) {
    expect(mem.indexOf(needle.subarray(0, 24))).toBe(-1);
  }
}
