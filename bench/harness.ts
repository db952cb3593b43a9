import { toHex } from "../reference/bytes.js";
// Benchmark harness: every implementation runs in this one process on the same inputs; each
// figure is the median of several samples taken after a warm-up (docs/benchmarks.md).

/**
 * "tid-wasm" is build/release.wasm; "tid-wasm-portable" is build/portable.wasm (no SIMD);
 * "tid-wasm-c-portable" is build/portable.wasm translated to C by wasm2c (examples/c-host).
 */
export type Impl =
  | "tid-wasm"
  | "tid-wasm-in-memory"
  | "tid-wasm-portable"
  | "tid-wasm-c-portable"
  | "node:crypto"
  | "sm-crypto-v2"
  | "sm-crypto"
  /** @noble/hashes and @noble/ciphers: portable JavaScript peers of the international suite */
  | "noble"
  | "sim"
  /** the TID TA behind the fake /dev/tee0, through the TEE client addon (bench/suites/tee.ts) */
  | "tee"
  | "shielded"
  | "unshielded"
  /** the node:crypto reference of the protocol (reference/), e.g. ReferenceTlsCipher */
  | "reference"
  /** TID-TLS in suite INTL (TLS_AES_128_GCM_SHA256, bench/suites/tls-cipher.ts): the wasm and the reference */
  | "tid-wasm-intl"
  | "reference-intl"
  /** the auth server (`tid server`, bench/suites/server.ts) and its peer, a bare node:http server */
  | "tid-server"
  | "node:http"
  /** TID-TLS's peers (bench/suites/tls.ts): TLS 1.3 in node, and plain TCP */
  | "node:tls"
  | "tcp";

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

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Run `fn` for at least `ms`; wall-clock and process CPU time per call, in µs. */
export function sample(fn: () => unknown, ms: number): { wallUs: number; cpuUs: number } {
  // start from a collected heap (node --expose-gc, as `npm run bench` runs): the JavaScript
  // peers leave megabytes of garbage, and the next sample must not pay for its collection
  (globalThis as { gc?: () => void }).gc?.();
  const limit = BigInt(Math.round(ms * 1e6));
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let calls = 0;
  let elapsed = 0n;
  do {
    fn();
    calls++;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < limit);
  const c = process.cpuUsage(c0);
  return { wallUs: Number(elapsed) / 1e3 / calls, cpuUs: (c.user + c.system) / calls };
}

/** Median wall-clock time of one call of `fn`, in microseconds. */
export function timeCall(fn: () => unknown, opt: BenchOptions = defaultOptions): number {
  sample(fn, opt.warmupMs);
  const samples: number[] = [];
  for (let i = 0; i < opt.samples; i++) samples.push(sample(fn, opt.sampleMs).wallUs);
  return median(samples);
}

/** Measure `fn` processing `size` bytes per call and return a row. */
export function measure(op: string, impl: Impl, size: number, fn: () => unknown, opt?: BenchOptions): Row {
  const us = timeCall(fn, opt);
  return { op, impl, size, us: round(us), mbps: round(size / us) };
}

/** One thing to time: `run` processes `size` bytes per call. */
export interface Case {
  op: string;
  impl: Impl;
  size: number;
  run: () => unknown;
}

/**
 * Time every case, the peers of one (op, size) in turns (A B C A B C …) rather than one after
 * another, so a change in machine load hits all of them alike. Each figure is the median of its
 * turns; the rows carry wall-clock figures and, in `extra`, process CPU time (cpuUs, cpuMbps),
 * which other load on this shared machine disturbs less. Rows come back in the cases' order.
 */
export function measureInTurns(cases: Case[], opt: BenchOptions = defaultOptions): Row[] {
  const groups = new Map<string, Case[]>();
  for (const c of cases) {
    const id = `${c.op}/${c.size}`;
    groups.set(id, [...(groups.get(id) ?? []), c]);
  }
  const turns = Math.max(opt.samples, 7);
  const rowOf = new Map<Case, Row>();
  for (const group of groups.values()) {
    const wall: number[][] = group.map(() => []);
    const cpu: number[][] = group.map(() => []);
    for (const c of group) sample(c.run, opt.warmupMs);
    for (let t = 0; t < turns; t++) {
      group.forEach((c, i) => {
        const s = sample(c.run, opt.sampleMs);
        wall[i]!.push(s.wallUs);
        cpu[i]!.push(s.cpuUs);
      });
    }
    group.forEach((c, i) => {
      const us = median(wall[i]!),
        cpuUs = median(cpu[i]!);
      rowOf.set(c, {
        op: c.op,
        impl: c.impl,
        size: c.size,
        us: round(us),
        mbps: round(c.size / us),
        extra: { cpuUs: round(cpuUs), cpuMbps: round(c.size / cpuUs) },
      });
    });
  }
  return cases.map((c) => rowOf.get(c)!);
}

/** Deterministic pseudo-random bytes (xorshift32): the same inputs for every implementation. */
export function deterministicBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 255;
  }
  return out;
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
 * A target: the ratio of tid-wasm's figure to a peer's figure on the same size and the same op
 * (or on `peerOp`, when a peer has no such op: node:crypto has no SM4-GCM, so GCM is held
 * against its SM4-CTR).
 * For `mbps` the ratio is tid-wasm / peer (higher is better, checked with atLeast); for `us`
 * it is tid-wasm / peer (lower is better, checked with atMost).
 */
export interface Target {
  op: string;
  /** whose figure is held against the peer's (default "tid-wasm") */
  impl?: Impl;
  size: number;
  metric: "mbps" | "us";
  peer?: Impl;
  peerOp?: string;
  atLeast?: number;
  atMost?: number;
}

export interface SuiteWithTargets extends Suite {
  targets?: Target[];
}
