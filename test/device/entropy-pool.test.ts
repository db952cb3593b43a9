// The default entropy of the `random` import (bindings/entropy-pool.ts): every byte handed out
// once, consumed bytes zeroed in the pool, a refill only when a request cannot be answered whole,
// large requests straight from the source, a failing source writes nothing; and, through the
// module, keys drawn from it are all distinct.
import { describe, expect, it } from "vitest";
import { EntropyPool, ENTROPY_BLOCK } from "../../bindings/entropy-pool.js";
import { TidWasm } from "../../bindings/wasm.js";

/** A source that numbers its bytes 1, 2, 3, … (mod 256, never 0) and counts its calls. */
function countingSource() {
  let next = 0;
  const calls: number[] = [];
  const filled: Uint8Array[] = [];
  return {
    calls,
    filled,
    fill(out: Uint8Array) {
      calls.push(out.length);
      filled.push(out);
      for (let i = 0; i < out.length; i++) out[i] = (next++ % 255) + 1;
    },
  };
}

describe("EntropyPool", () => {
  it("hands out the source's bytes in order, each once, refilling only when a request does not fit", () => {
    const src = countingSource();
    const pool = new EntropyPool((o) => src.fill(o), 64);
    const got: number[] = [];
    for (const n of [16, 32, 8, 16, 5, 40, 1]) {
      const out = new Uint8Array(n);
      pool.take(out);
      got.push(...out);
    }
    // 16 + 32 + 8 = 56 bytes of the first block; the next 16 do not fit in the 8 left, so the
    // second block is read (those 8 are never handed out) and answers 16 + 5 + 40 + 1 = 62
    expect(src.calls).toEqual([64, 64]);
    expect(got).toEqual([...Array.from({ length: 56 }, (_, i) => i + 1), ...Array.from({ length: 62 }, (_, i) => 65 + i)]);
  });

  it("zeroes every byte it hands out", () => {
    const src = countingSource();
    const pool = new EntropyPool((o) => src.fill(o), 32);
    pool.take(new Uint8Array(10));
    const block = src.filled[0]!;
    expect([...block.subarray(0, 10)]).toEqual(Array(10).fill(0));
    expect(block.subarray(10).every((b) => b !== 0)).toBe(true);
    pool.take(new Uint8Array(22));
    expect(block.every((b) => b === 0)).toBe(true);
  });

  it("answers a request of a block or more from the source directly", () => {
    const src = countingSource();
    const pool = new EntropyPool((o) => src.fill(o), 32);
    const big = new Uint8Array(100);
    pool.take(big);
    expect(src.calls).toEqual([100]);
    expect(src.filled[0]).toBe(big);
  });

  it("writes nothing when the source throws, and works again after", () => {
    let fail = true;
    const pool = new EntropyPool((o) => {
      if (fail) throw new Error("no entropy");
      o.fill(7);
    }, 16);
    const out = new Uint8Array(8);
    expect(() => pool.take(out)).toThrow("no entropy");
    expect([...out]).toEqual(Array(8).fill(0));
    fail = false;
    pool.take(out);
    expect([...out]).toEqual(Array(8).fill(7));
  });

  it("rejects a block size that is not a positive integer", () => {
    for (const b of [0, -1, 1.5, NaN]) expect(() => new EntropyPool(undefined, b)).toThrow(RangeError);
  });

  it("is what the module draws from by default: 2,000 P-256 private keys, all distinct", () => {
    const w = TidWasm.create();
    const x = w.exports as unknown as Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };
    const io = x.tid_io_ptr!();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      expect(x.p256_keygen!(io, io + 64)).toBe(0);
      seen.add(Buffer.from(new Uint8Array(x.memory.buffer, io, 32)).toString("hex"));
    }
    expect(seen.size).toBe(2000);
    expect(ENTROPY_BLOCK).toBeGreaterThanOrEqual(64);
  });
});
