// Benchmark harness: every implementation runs in this one process on the same inputs; each
// figure is the median of several samples taken after a warm-up (docs/benchmarks.md).

export type Impl = "tid-wasm" | "node:crypto" | "sm-crypto-v2" | "sm-crypto" | "sim";

export interface Row {
  op: string;
  impl: Impl;
  /** input size in bytes */
  size: number;
  /** MB/s (10^6 bytes of input per second) */
  mbps: number;
  /** microseconds per call */
  us: number;
  /** free-form extra figures (e.g. simulated bus time) */
  extra?: Record<string, number | string>;
}

export interface BenchOptions {
  /** milliseconds each sample runs for at least */
  sampleMs: number;
  samples: number;
  warmupMs: number;
}

export const defaultOptions: BenchOptions = { sampleMs: 250, samples: 5, warmupMs: 200 };
export const quickOptions: BenchOptions = { sampleMs: 60, samples: 3, warmupMs: 40 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median time of one call of `fn`, in microseconds. */
export function timeCall(fn: () => unknown, opt: BenchOptions = defaultOptions): number {
  const runFor = (ms: number): number => {
    const limit = BigInt(Math.round(ms * 1e6));
    let calls = 0;
    const t0 = process.hrtime.bigint();
    let elapsed = 0n;
    do {
      fn();
      calls++;
      elapsed = process.hrtime.bigint() - t0;
    } while (elapsed < limit);
    return Number(elapsed) / 1e3 / calls;
  };
  runFor(opt.warmupMs);
  const samples: number[] = [];
  for (let i = 0; i < opt.samples; i++) samples.push(runFor(opt.sampleMs));
  return median(samples);
}

/** Measure `fn` processing `size` bytes per call and return a row. */
export function measure(op: string, impl: Impl, size: number, fn: () => unknown, opt?: BenchOptions): Row {
  const us = timeCall(fn, opt);
  return { op, impl, size, us: round(us), mbps: round(size / us) };
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A suite contributes rows; `check` lets a suite verify the peers agree before timing them. */
export interface Suite {
  targets?: Target[];
  name: string;
  run(opt: BenchOptions, log: (line: string) => void): Promise<Row[]> | Row[];
}

/**
 * A target: the ratio of tid-wasm's figure to a peer's figure on the same op and size.
 * For `mbps` the ratio is tid-wasm / peer (higher is better, checked with atLeast); for `us`
 * it is tid-wasm / peer (lower is better, checked with atMost).
 */
export interface Target {
  op: string;
  size: number;
  metric: "mbps" | "us";
  peer?: Impl;
  atLeast?: number;
  atMost?: number;
}

export interface SuiteWithTargets extends Suite {
  targets?: Target[];
}
