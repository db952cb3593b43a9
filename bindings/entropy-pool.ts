/**
 * @module bindings/entropy-pool — the default entropy of the module's `random` import
 * (docs/abi.md "Imports"): node:crypto's CSPRNG (`randomFillSync`, OpenSSL's DRBG) read a block
 * at a time. One `randomFillSync` call costs about 4 µs in Node 20 whatever its size, most of it
 * call overhead, so drawing 32 bytes per key generation or signature that way cost more than the
 * key agreement's last inversion. The pool hands every byte out once, zeroes it as it goes, and is
 * refilled when it cannot answer a request whole; a request of at least a block goes straight to
 * the source.
 */
import { randomFillSync } from "node:crypto";

/** Bytes read from the source per refill. */
export const ENTROPY_BLOCK = 1024;

export class EntropyPool {
  private readonly pool: Uint8Array;
  /** Bytes of `pool` before this offset were handed out (and zeroed). */
  private used: number;

  /** `fill` is the source (tests pass their own); `block` the bytes read per refill. */
  constructor(
    private readonly fill: (out: Uint8Array) => void = (out) => void randomFillSync(out),
    block: number = ENTROPY_BLOCK,
  ) {
    if (!Number.isInteger(block) || block < 1) throw new RangeError(`block must be a positive integer, got ${block}`);
    this.pool = new Uint8Array(block);
    this.used = block;
  }

  /** Fill `out` with bytes never handed out before. Throws when the source throws (nothing is then written). */
  take(out: Uint8Array): void {
    const n = out.length;
    if (n >= this.pool.length) {
      this.fill(out);
      return;
    }
    if (this.pool.length - this.used < n) {
      this.fill(this.pool);
      this.used = 0;
    }
    const part = this.pool.subarray(this.used, this.used + n);
    out.set(part);
    part.fill(0);
    this.used += n;
  }
}
