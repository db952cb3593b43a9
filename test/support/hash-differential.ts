// Differential checks of a typed hash binding (bindings/sm3.ts, bindings/sha256.ts: a hash and its
// HMAC of RFC 2104, one-shot and streamed) against node:crypto's implementation of the same hash,
// shared by the SM3 and SHA-256 suites so that both are held to the same properties.
import { createHash, createHmac, randomBytes } from "node:crypto";
import fc from "fast-check";
import { expect } from "vitest";
import type { Hasher } from "../../bindings/hash-family.js";
import { toHex } from "../../reference/bytes.js";

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
