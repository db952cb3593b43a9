// bindings/handle-pool.ts, the one free list behind the SM4 key handles and the SM3 stream
// handles: lowest handle first, a clear TidError when all are lent, release zeroes the handle
// (through the table's clear export) before it can be lent again, and a holder that is
// garbage-collected gives its handle back. Also the SM4 side of exhaustion, through Sm4Key.
import v8 from "node:v8";
import vm from "node:vm";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HandlePool } from "../../bindings/handle-pool.js";
import { TidError } from "../../bindings/errors.js";
import { TidWasm } from "../../bindings/wasm.js";
import { Sm4Key } from "../../bindings/sm4.js";

describe("HandlePool", () => {
  it("lends the handles in order, refuses with ERR_BAD_KEY_INDEX when all are lent, clears on release", () => {
    const cleared: number[] = [];
    const pool = new HandlePool({ handles: [1, 2, 3], clear: (h) => cleared.push(h), exhausted: "all 3 test handles are in use" });
    expect([pool.acquire(), pool.acquire(), pool.acquire()]).toEqual([1, 2, 3]);
    expect(pool.available).toBe(0);
    let error: unknown;
    try {
      pool.acquire();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TidError);
    expect((error as TidError).status).toBe("ERR_BAD_KEY_INDEX");
    expect(String(error)).toMatch(/all 3 test handles are in use/);
    pool.release(2);
    expect(cleared).toEqual([2]);
    expect(pool.acquire()).toBe(2);
  });

  it("a tracked holder that is garbage-collected gives its handle back, cleared; an untracked one does not", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const cleared: number[] = [];
    const pool = new HandlePool({ handles: [0, 1], clear: (h) => cleared.push(h), exhausted: "none left" });
    const kept = {};
    (() => {
      pool.track({}, pool.acquire());
    })();
    pool.track(kept, pool.acquire());
    pool.untrack(kept);
    for (let i = 0; i < 50 && cleared.length === 0; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(cleared).toEqual([0]);
    expect(pool.available).toBe(1);
    expect(kept).toBeDefined();
  });

  it("Sm4Key: 64 keys per instance, then ERR_BAD_KEY_INDEX naming destroy(); a destroyed key's handle is zeroed and lent again", () => {
    const wasm = TidWasm.create();
    const keys = Array.from({ length: wasm.exports.sm4_key_slots!() }, () => new Sm4Key(wasm, randomBytes(16)));
    expect(keys.map((k) => k.handle)).toEqual(keys.map((_, i) => i));
    expect(() => new Sm4Key(wasm, randomBytes(16))).toThrow(/all 64 SM4 key handles of this instance are in use; destroy\(\) keys/);
    keys[5]!.destroy();
    expect(wasm.exports.sm4_key_is_set!(5)).toBe(0);
    const again = new Sm4Key(wasm, randomBytes(16));
    expect(again.handle).toBe(5);
    for (const k of [...keys, again]) k.destroy();
  });
});
