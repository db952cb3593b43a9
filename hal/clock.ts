// Time source for the HAL (docs/hal.md "The FM link, as implemented" for the link timings,
// docs/se-profile.md "Simulator timing model" for the simulator). Every wait in the link driver
// (frame delay, poll interval, WTX, deadline) goes through a Clock, so the same code runs on real
// time against hardware and on virtual time against the simulator, where a test never sleeps.
//
//   interface Clock { now(): number; sleepSync(ms): void; sleep(ms): Promise<void> }
//     now()        milliseconds, monotonic, fractional allowed (origin is arbitrary)
//     sleepSync()  blocks the thread (used behind the wasm's synchronous transceive import)
//     sleep()      resolves after ms (used by the Promise API)
//   SystemClock   real time: performance.now(), Atomics.wait on a SharedArrayBuffer, setTimeout
//   VirtualClock  time moves only when someone sleeps or calls advance(ms); deterministic
import { performance } from "node:perf_hooks";

export interface Clock {
  /** Milliseconds on a monotonic scale; fractional values allowed. */
  now(): number;
  /** Block the calling thread for `ms` milliseconds (0 or negative returns at once). */
  sleepSync(ms: number): void;
  /** Resolve after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

function checkMs(ms: number): number {
  if (typeof ms !== "number" || Number.isNaN(ms)) throw new TypeError(`ms must be a number, got ${String(ms)}`);
  return ms > 0 ? ms : 0;
}

/** Wall-clock time of this process. sleepSync blocks the thread with Atomics.wait. */
export class SystemClock implements Clock {
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));

  now(): number {
    return performance.now();
  }

  sleepSync(ms: number): void {
    const d = checkMs(ms);
    if (d === 0) return;
    const end = performance.now() + d;
    // Atomics.wait takes whole-ish ms; loop until the deadline so short waits are not cut short.
    for (let left = d; left > 0; left = end - performance.now()) Atomics.wait(this.cell, 0, 0, left);
  }

  sleep(ms: number): Promise<void> {
    const d = checkMs(ms);
    if (d === 0) return new Promise((resolve) => setTimeout(resolve, 0));
    // setTimeout counts from the event loop's whole-millisecond time, so it can fire up to 1 ms
    // early by performance.now(); wait again for what is left, as sleepSync does.
    const end = performance.now() + d;
    return new Promise((resolve) => {
      const check = (): void => {
        const left = end - performance.now();
        if (left <= 0) resolve();
        else setTimeout(check, left);
      };
      setTimeout(check, d);
    });
  }
}

/**
 * Deterministic time for tests and the simulator. Time starts at `start` (default 0) and moves
 * only through sleepSync / sleep / advance; nothing ever waits on the real clock. `sleep` resolves
 * on a microtask after advancing, so an async driver loop on a VirtualClock finishes without timers.
 */
export class VirtualClock implements Clock {
  private t: number;
  /** Total time spent in sleepSync/sleep (not advance): "time the HAL spent waiting". */
  slept = 0;

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** Move time forward by `ms` (e.g. a simulator charging bus or processing time). */
  advance(ms: number): void {
    this.t += checkMs(ms);
  }

  sleepSync(ms: number): void {
    const d = checkMs(ms);
    this.t += d;
    this.slept += d;
  }

  sleep(ms: number): Promise<void> {
    this.sleepSync(ms);
    return Promise.resolve();
  }
}
