/**
 * @module bindings/handle-pool — the free list of one table of wasm handles (the SM4 key handles
 * and the SM3 stream handles of docs/abi.md), shared by bindings/sm4.ts and bindings/sm3.ts.
 *
 * `acquire()` lends the lowest free handle; `release(h)` zeroes it in the module (the table's
 * clear export) and takes it back. An object that holds a handle can be `track`ed: if it is
 * garbage-collected before it gave the handle back, the handle is released (zeroed) then.
 */
import { TidError } from "./errors.js";
import { Status } from "./status.js";

export interface HandlePoolOptions {
  /** Handles lent out, in the order acquire() hands them out first. */
  handles: readonly number[];
  /** Zero handle h in the module (e.g. sm4_key_clear); its status is not checked. */
  clear: (h: number) => unknown;
  /** Text of the ERR_BAD_KEY_INDEX error when every handle is in use. */
  exhausted: string;
}

interface Held {
  pool: HandlePool;
  handle: number;
}

/** Handles whose holder was garbage-collected without giving them back: zero and return them. */
const registry = new FinalizationRegistry<Held>((held) => {
  try {
    held.pool.release(held.handle);
  } catch {
    /* instance already gone */
  }
});

export class HandlePool {
  private readonly free: number[];
  private readonly clear: (h: number) => unknown;
  private readonly exhausted: string;

  constructor(options: HandlePoolOptions) {
    this.free = [...options.handles].reverse();
    this.clear = options.clear;
    this.exhausted = options.exhausted;
  }

  /** Number of handles free right now. */
  get available(): number {
    return this.free.length;
  }

  /**
   * Lend a free handle.
   * @throws TidError ERR_BAD_KEY_INDEX when every handle is in use
   */
  acquire(): number {
    const h = this.free.pop();
    if (h === undefined) throw new TidError(Status.ERR_BAD_KEY_INDEX, this.exhausted);
    return h;
  }

  /** Zero handle h in the module and take it back. */
  release(h: number): void {
    this.clear(h);
    this.free.push(h);
  }

  /** Release `handle` if `holder` is garbage-collected before `untrack(holder)`. */
  track(holder: object, handle: number): void {
    registry.register(holder, { pool: this, handle }, holder);
  }

  /** `holder` gives its handle back itself (call before release). */
  untrack(holder: object): void {
    registry.unregister(holder);
  }
}
