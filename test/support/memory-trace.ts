// Memory-access traces of a wasm module, for constant-time tests: every load and store the module
// makes (site, size, address), every function entry and loop iteration, in order.
//
// How: binaryen (the `binaryen` package that assemblyscript depends on, used in-process through
// binaryen.js) rewrites a copy of the module with three of its passes, in this order:
//   1. llvm-memory-copy-fill-lowering — memory.copy and memory.fill become calls to two functions
//      that copy/fill byte by byte with plain i32.load8_u / i32.store8, so the bytes a bulk
//      operation touches show up as ordinary loads and stores (instrument-memory alone does not
//      see memory.copy / memory.fill at all);
//   2. instrument-memory — every load and store (i32/i64/f32/f64 of every width, and v128.load /
//      v128.store) passes its address through an import: env.load_ptr / env.store_ptr
//      (id, bytes, offset, ptr) -> ptr, and its value through env.load_val_* / env.store_val_*
//      (id, value) -> value for i32, i64, f32, f64 (v128 values get no value hook; the address
//      hook is what matters). memory_grow_pre / memory_grow_post wrap memory.grow;
//   3. log-execution — env.log_execution(id) at every function entry and loop head, so a branch on
//      a secret that changes which functions run or how often a loop turns shows up too, even when
//      it touches no memory.
// SIMD loads other than v128.load (v128.loadN_splat, loadN_zero, load8x8_s/u, load16x4_s/u,
// load32x2_s/u) are left alone by instrument-memory; lowerSimdLoads rewrites them first into a
// plain i32/i64 load of the same bytes plus the SIMD operation that builds the same vector, so
// they are traced too (the SM4 S-box uses v128.load32_splat). Lane loads and stores
// (v128.loadN_lane, storeN_lane) and atomics are not handled: instrument() refuses a module that
// still has one after the passes, or any other load or store not wrapped by a hook, so a gap fails
// loudly instead of passing quietly.
// Not seen at all: branches inside a function that touch no memory and call nothing, and
// instructions whose time depends on their operands (the module has no division by a secret;
// wasm's integer multiply is constant-time on the engines we target). The trace proves the
// addresses (cache lines, pages) and the call/loop structure, not cycle counts.
//
// Value hooks are identity functions in a tiny helper wasm module (no trip through JavaScript or
// BigInt for i64); address and execution hooks append to a growable Int32Array only while a
// recording is running. An event is three i32: (site id << 2 | kind), bytes, address.
import binaryen from "binaryen";

/** Event kinds (low two bits of an event's first word). */
export const LOAD = 0;
export const STORE = 1;
export const EXEC = 2;
const KIND_NAMES = ["load", "store", "exec"] as const;

/** The passes, in order (see the header). */
export const TRACE_PASSES = ["llvm-memory-copy-fill-lowering", "instrument-memory", "log-execution"] as const;

/** The wasm features of the module (docs/abi.md "What a host must support") and of the test modules. */
const FEATURES =
  binaryen.Features.MVP |
  binaryen.Features.MutableGlobals |
  binaryen.Features.SIMD128 |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.SignExt |
  binaryen.Features.NontrappingFPToInt;

/** Where a site is: the instruction and the function it sits in. */
export interface Site {
  kind: "load" | "store" | "exec";
  op: string;
  func: string;
}

export interface Instrumented {
  module: WebAssembly.Module;
  /** load/store sites by instrument-memory id, exec sites by log-execution id. */
  memSites: Map<number, Site>;
  execSites: Map<number, Site>;
  /** Count of instrumented load and store sites (a sanity figure for the tests). */
  memSiteCount: number;
}

/** Memory operations instrument-memory does not wrap: none may be left after the passes. */
const UNCOVERED =
  /\((memory\.(?:copy|fill|init)|data\.drop|v128\.(?:load|store)\d[\w.]*|[if](?:32|64)\.atomic[\w.]*|memory\.atomic[\w.]*|atomic\.fence)\b/g;
/** A plain load or store (the ones instrument-memory wraps). */
const PLAIN_ACCESS = /^\s*\(((?:i32|i64|f32|f64|v128)\.(load|store)\w*)\b(.*)$/;

/** Instrument a binary module (e.g. the release build); `funcNames` names its defined functions in order. */
export function instrument(wasm: Uint8Array, funcNames?: readonly string[]): Instrumented {
  let mod = binaryen.readBinaryWithFeatures(wasm, FEATURES);
  let names = funcNames;
  if (names && names.length !== definedFunctions(mod)) names = undefined; // a stale text file: no names
  const text = mod.emitText();
  if (SIMD_LOAD.test(text)) {
    mod.dispose();
    mod = binaryen.parseText(lowerSimdLoads(text));
  }
  return finish(mod, names);
}

/** Instrument a module given as WebAssembly text (the self-tests' small modules). */
export function instrumentText(wat: string): Instrumented {
  let mod = binaryen.parseText(wat);
  const text = mod.emitText();
  if (SIMD_LOAD.test(text)) {
    mod.dispose();
    mod = binaryen.parseText(lowerSimdLoads(text));
  }
  return finish(mod);
}

function definedFunctions(mod: binaryen.Module): number {
  let n = 0;
  for (let i = 0; i < mod.getNumFunctions(); i++) if (!binaryen.getFunctionInfo(mod.getFunctionByIndex(i)).module) n++;
  return n;
}

function finish(mod: binaryen.Module, funcNames?: readonly string[]): Instrumented {
  try {
    mod.setFeatures(FEATURES);
    mod.runPasses([...TRACE_PASSES]);
    if (!mod.validate()) throw new Error("the instrumented module does not validate");
    const text = mod.emitText();
    const sites = checkCoverage(text, funcNames);
    return { module: new WebAssembly.Module(new Uint8Array(mod.emitBinary())), ...sites };
  } finally {
    mod.dispose();
  }
}

/** The SIMD loads lowerSimdLoads rewrites, on the opening line of binaryen's folded text. */
const SIMD_LOAD = /^(\s*)\(v128\.load(?:(8|16|32|64)_(splat|zero)|(8x8|16x4|32x2)_([su]))((?:\s+(?:offset|align)=\d+)*)\s*$/m;

/** The plain load that reads the same bytes, and the SIMD operations that build the same vector from it. */
function simdLoadEquivalent(m: RegExpExecArray): [open: string, close: string] {
  const memarg = m[6] ?? "";
  if (m[3] === "splat") {
    const [load, splat] = {
      "8": ["i32.load8_u", "i8x16.splat"],
      "16": ["i32.load16_u", "i16x8.splat"],
      "32": ["i32.load", "i32x4.splat"],
      "64": ["i64.load", "i64x2.splat"],
    }[m[2] as "8" | "16" | "32" | "64"];
    return [`(${splat} (${load}${memarg}`, "))"];
  }
  if (m[3] === "zero") {
    return m[2] === "32"
      ? [`(i32x4.replace_lane 0 (v128.const i32x4 0 0 0 0) (i32.load${memarg}`, "))"]
      : [`(i64x2.replace_lane 0 (v128.const i64x2 0 0) (i64.load${memarg}`, "))"];
  }
  const extend = { "8x8": "i16x8.extend_low_i8x16", "16x4": "i32x4.extend_low_i16x8", "32x2": "i64x2.extend_low_i32x4" }[
    m[4] as "8x8" | "16x4" | "32x2"
  ];
  return [`(${extend}_${m[5]} (i64x2.splat (i64.load${memarg}`, ")))"];
}

/**
 * Rewrite v128.loadN_splat, v128.loadN_zero and v128.loadMxN_s/u in binaryen's folded text as a
 * plain i32/i64 load of the same bytes (which instrument-memory wraps) and the SIMD operations
 * that build the same vector. Their one operand is the address, so evaluation order is kept.
 * Binaryen prints a multi-line expression's closing parenthesis alone, at the indentation of its
 * opening line; that is how the end of each load is found. Lane loads and stores are left alone
 * (checkCoverage rejects them).
 */
export function lowerSimdLoads(text: string): string {
  const lines = text.split("\n");
  const pattern = new RegExp(SIMD_LOAD.source);
  for (let i = 0; i < lines.length; i++) {
    const m = pattern.exec(lines[i]!);
    if (!m) continue;
    const indent = m[1]!;
    let end = i + 1;
    while (end < lines.length && lines[end] !== `${indent})`) end++;
    if (end === lines.length) throw new Error(`no end found for the SIMD load on line ${i + 1}`);
    const [open, close] = simdLoadEquivalent(m);
    lines[i] = indent + open;
    lines[end] = indent + close;
  }
  return lines.join("\n");
}

/**
 * Check that every memory access of the instrumented module goes through a hook, and map hook
 * ids to sites. Throws, naming the instructions, when something is not covered.
 */
function checkCoverage(text: string, funcNames?: readonly string[]): Omit<Instrumented, "module"> {
  const uncovered = new Map<string, number>();
  for (const m of text.matchAll(UNCOVERED)) uncovered.set(m[1]!, (uncovered.get(m[1]!) ?? 0) + 1);
  const lines = text.split("\n");
  const memSites = new Map<number, Site>();
  const execSites = new Map<number, Site>();
  let func = "?";
  let ordinal = -1;
  let sinceHeader = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = /^ \(func \$(\S+)/.exec(line);
    if (header) {
      ordinal++;
      const own = header[1]!;
      func = funcNames && ordinal < funcNames.length && /^\d+$/.test(own) ? funcNames[ordinal]! : `$${own}`;
      sinceHeader = 0;
      continue;
    }
    const trimmed = line.trim();
    if (!trimmed.startsWith("(local ")) sinceHeader++;
    const access = PLAIN_ACCESS.exec(line);
    if (access) {
      const kind = access[2] === "load" ? "load" : "store";
      const next = lines[i + 1]?.trim();
      const id = /^\(i32\.const (-?\d+)\)$/.exec(lines[i + 2]?.trim() ?? "");
      if (next !== `(call $${kind}_ptr` || !id) {
        const op = access[1]!;
        uncovered.set(`${op} without ${kind}_ptr`, (uncovered.get(`${op} without ${kind}_ptr`) ?? 0) + 1);
        continue;
      }
      memSites.set(Number(id[1]), { kind, op: (access[1]! + access[3]!).trim(), func });
      continue;
    }
    if (trimmed === "(call $log_execution") {
      const id = /^\(i32\.const (-?\d+)\)$/.exec(lines[i + 1]?.trim() ?? "");
      if (id) execSites.set(Number(id[1]), { kind: "exec", op: sinceHeader === 1 ? "enter" : "loop", func });
    }
  }
  if (uncovered.size > 0) {
    const list = [...uncovered].map(([op, n]) => `${op} ×${n}`).join(", ");
    throw new Error(`memory accesses the trace would not see (extend test/support/memory-trace.ts): ${list}`);
  }
  return { memSites, execSites, memSiteCount: memSites.size };
}

/** Identity value hooks, in wasm so that i64 values never cross into JavaScript. */
let valueHooks: WebAssembly.Instance | undefined;
function identityHooks(): WebAssembly.Exports {
  if (!valueHooks) {
    const types = ["i32", "i64", "f32", "f64"];
    const funcs = types.flatMap((t) => [
      `(func (export "load_val_${t}") (param i32 ${t}) (result ${t}) (local.get 1))`,
      `(func (export "store_val_${t}") (param i32 ${t}) (result ${t}) (local.get 1))`,
    ]);
    const grow = `(func (export "memory_grow") (param i32 i32) (result i32) (local.get 1))`;
    const mod = binaryen.parseText(`(module ${funcs.join(" ")} ${grow})`);
    try {
      valueHooks = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(mod.emitBinary())));
    } finally {
      mod.dispose();
    }
  }
  return valueHooks.exports;
}

/** One recorded trace: `length` events of three i32 each in `events`. */
export class Trace {
  constructor(
    readonly events: Int32Array,
    readonly length: number,
  ) {}

  kind(i: number): number {
    return this.events[3 * i]! & 3;
  }
  site(i: number): number {
    return this.events[3 * i]! >> 2;
  }
  bytes(i: number): number {
    return this.events[3 * i + 1]!;
  }
  address(i: number): number {
    return this.events[3 * i + 2]! >>> 0;
  }

  /** Number of events of one kind. */
  count(kind: number): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.kind(i) === kind) n++;
    return n;
  }

  /** True when some load or store covers a byte of [addr, addr + len). */
  touches(addr: number, len: number, kind?: number): boolean {
    for (let i = 0; i < this.length; i++) {
      const k = this.kind(i);
      if (k === EXEC || (kind !== undefined && k !== kind)) continue;
      const a = this.address(i);
      if (a < addr + len && addr < a + this.bytes(i)) return true;
    }
    return false;
  }
}

export type WasmFn = (...args: number[]) => number;

/** The module's own imports (docs/abi.md "Imports"), supplied by the test. */
export interface HostImports {
  random: (ptr: number, len: number) => number;
  now: () => bigint;
  transceive: (cmd: number, cmdLen: number, rsp: number, rspCap: number, rspLenPtr: number) => number;
}

/** An instance of an instrumented module that records traces on demand. */
export class TracedInstance {
  private buf = new Int32Array(3 << 16);
  private n = 0;
  private recording = false;
  readonly instance: WebAssembly.Instance;

  /** Instantiate (the start function runs with recording off) with the host's imports and the hooks. */
  constructor(
    readonly instrumented: Instrumented,
    host: Partial<HostImports> = {},
  ) {
    const hooks = identityHooks();
    const env: Record<string, unknown> = {
      ...host,
      load_ptr: (id: number, bytes: number, offset: number, ptr: number) => {
        if (this.recording) this.push((id << 2) | LOAD, bytes, ptr + offset);
        return ptr;
      },
      store_ptr: (id: number, bytes: number, offset: number, ptr: number) => {
        if (this.recording) this.push((id << 2) | STORE, bytes, ptr + offset);
        return ptr;
      },
      log_execution: (id: number) => {
        if (this.recording) this.push((id << 2) | EXEC, 0, 0);
      },
      memory_grow_pre: hooks.memory_grow,
      memory_grow_post: hooks.memory_grow,
    };
    for (const t of ["i32", "i64", "f32", "f64"]) {
      env[`load_val_${t}`] = hooks[`load_val_${t}`];
      env[`store_val_${t}`] = hooks[`store_val_${t}`];
    }
    // Every import the instrumented module asks for must be one we know how to answer.
    for (const imp of WebAssembly.Module.imports(instrumented.module)) {
      if (imp.module !== "env" || !(imp.name in env)) throw new Error(`no implementation for the import ${imp.module}.${imp.name}`);
    }
    this.instance = new WebAssembly.Instance(instrumented.module, { env: env as WebAssembly.ModuleImports });
  }

  get exports(): Record<string, WasmFn> {
    return this.instance.exports as unknown as Record<string, WasmFn>;
  }

  get memory(): WebAssembly.Memory {
    return this.instance.exports.memory as WebAssembly.Memory;
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  private push(op: number, bytes: number, addr: number): void {
    if (this.n + 3 > this.buf.length) {
      const bigger = new Int32Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = op;
    this.buf[this.n++] = bytes;
    this.buf[this.n++] = addr;
  }

  /** Run `fn` (calls into this instance) and return the trace of everything the module did meanwhile. */
  record(fn: () => void): Trace {
    if (this.recording) throw new Error("recordings do not nest");
    this.n = 0;
    this.recording = true;
    try {
      fn();
    } finally {
      this.recording = false;
    }
    return new Trace(this.buf.slice(0, this.n), this.n / 3);
  }
}

/** One line describing event i of a trace. */
export function describeEvent(t: Trace, i: number, inst: Instrumented): string {
  if (i >= t.length) return "(end of trace)";
  const kind = t.kind(i);
  const id = t.site(i);
  const site = (kind === EXEC ? inst.execSites : inst.memSites).get(id);
  const where = site ? `${site.op} in ${site.func}` : "unknown site";
  if (kind === EXEC) return `exec #${id} (${where})`;
  return `${KIND_NAMES[kind]} #${id} (${where}) ${t.bytes(i)} bytes at 0x${t.address(i).toString(16)}`;
}

/** Index of the first event where the traces differ (a shorter trace differs where it ends), or −1. */
export function firstDifference(a: Trace, b: Trace): number {
  const n = Math.min(a.length, b.length);
  const x = a.events;
  const y = b.events;
  for (let i = 0; i < 3 * n; i++) if (x[i] !== y[i]) return Math.floor(i / 3);
  return a.length === b.length ? -1 : n;
}

/** A readable report of where two traces part, or null when they are identical. */
export function compareTraces(labelA: string, a: Trace, labelB: string, b: Trace, inst: Instrumented): string | null {
  const i = firstDifference(a, b);
  if (i < 0) return null;
  const lines = [
    `memory-access traces differ: "${labelA}" (${a.length} events) vs "${labelB}" (${b.length} events), first at event ${i}:`,
    `  ${labelA}: ${describeEvent(a, i, inst)}`,
    `  ${labelB}: ${describeEvent(b, i, inst)}`,
    `  the events before it (the same in both):`,
  ];
  for (let j = Math.max(0, i - 4); j < i; j++) lines.push(`    ${j}: ${describeEvent(a, j, inst)}`);
  return lines.join("\n");
}

/** Throws with the first difference unless every trace equals the first. */
export function assertSameTraces(runs: readonly { label: string; trace: Trace }[], inst: Instrumented): void {
  const [first, ...rest] = runs;
  if (!first) throw new Error("no traces");
  for (const r of rest) {
    const diff = compareTraces(first.label, first.trace, r.label, r.trace, inst);
    if (diff) throw new Error(diff);
  }
}

/**
 * Names of the defined functions of a module, in order, from its text form as asc writes it next
 * to the binary (one ` (func $name` line per function); [] when there is none.
 */
export function functionNamesFromWat(wat: string): string[] {
  return [...wat.matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1]!);
}
