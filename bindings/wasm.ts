// Loads a build of the module (docs/abi.md "Build targets": build/release.wasm, debug.wasm,
// portable.wasm without SIMD, or test.wasm with the test hooks) and wires the host imports of docs/abi.md "Imports" (random, now,
// transceive) through bindings/host-imports.ts, which keeps host exceptions out of the wasm.
// Every typed binding (sm4, sm3, sm2, client) sits on one TidWasm instance.
//
// The public types here are structural (WasmMemory, WasmModule), so the package's declarations
// compile without the DOM lib; inside, the values are WebAssembly.Memory / WebAssembly.Module.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { instantiateSync } from "@assemblyscript/loader";
import { checkHostImports, guardedImports, type HostImports } from "./host-imports.js";

export type { HostImports } from "./host-imports.js";

/**
 * Which build of the module: "release" (optimised, both algorithm suites; what a product
 * embeds), "debug" (the same exports, with names and a source map), "portable" (the release
 * exports, optimised, without wasm SIMD: for hosts that lack it), "test" (release plus the TEST
 * HOOKS; tests and the benchmark only, not in the package), "release-sm" / "release-intl" (release
 * with one algorithm suite: SM2/SM3/SM4, or P-256/SHA-256/AES-128 with the soft backend only, the
 * SE's shielded link being SM2/SM3/SM4 — an INTL device behind an SE runs "release";
 * docs/abi.md "Build targets").
 */
export type WasmBuild = "release" | "debug" | "portable" | "test" | "release-sm" | "release-intl";
export const WASM_BUILDS: readonly WasmBuild[] = ["release", "debug", "portable", "test", "release-sm", "release-intl"];

/** The module's linear memory (a WebAssembly.Memory). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}

/** A compiled module (a WebAssembly.Module: an opaque object you can instantiate again). */
export type WasmModule = object;

function requireBuild(build: unknown, what: string): WasmBuild {
  if (!WASM_BUILDS.includes(build as WasmBuild)) {
    throw new TypeError(
      `${what} must be one of ${WASM_BUILDS.map((b) => `"${b}"`).join(", ")}, got ${typeof build === "string" ? `"${build}"` : typeof build}`,
    );
  }
  return build as WasmBuild;
}

/** Path of a build of the module, whether running from source (bindings/) or dist/bindings/. */
export function wasmPath(build: WasmBuild = "release"): string {
  requireBuild(build, "build");
  for (const rel of ["../build/", "../../build/"]) {
    const p = fileURLToPath(new URL(`${rel}${build}.wasm`, import.meta.url));
    if (existsSync(p)) return p;
  }
  const how = build === "test" ? "the test build is not in the package; in a clone run `npm run build`" : "run `npm run build` first";
  throw new Error(`build/${build}.wasm not found: ${how}`);
}

const moduleCache = new Map<WasmBuild, WebAssembly.Module>();

function compiled(build: WasmBuild): WebAssembly.Module {
  let m = moduleCache.get(build);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(wasmPath(build)));
    moduleCache.set(build, m);
  }
  return m;
}

/** The compiled module (compiled once per build per process). */
export function wasmModule(build: WasmBuild = "release"): WasmModule {
  return compiled(requireBuild(build, "build"));
}

/** Raw exports: every function takes and returns numbers (pointers are offsets into memory). */
export type RawExports = Record<string, (...args: number[]) => number> & { memory: WasmMemory };

export class TidWasm {
  readonly exports: RawExports;
  readonly memory: WasmMemory;
  readonly build: WasmBuild;
  /** The I/O region: inputs are copied in here and outputs read from here. */
  readonly ioPtr: number;
  readonly ioCap: number;
  /** True for the test build only: it exports the TEST HOOKS (tid_test_inject, tid_test_set_pending). */
  readonly hasTestHooks: boolean;
  private heap: Uint8Array;
  private hostImports: HostImports;

  private constructor(exports: RawExports, build: WasmBuild, hostImports: HostImports) {
    this.exports = exports;
    this.memory = exports.memory;
    this.build = build;
    this.hostImports = hostImports;
    this.heap = new Uint8Array(this.memory.buffer);
    this.ioPtr = exports.tid_io_ptr!();
    this.ioCap = exports.tid_io_cap!();
    this.hasTestHooks = typeof exports.tid_test_inject === "function" && typeof exports.tid_test_set_pending === "function";
  }

  /**
   * Instantiate a fresh module instance (its own memory, keys and state).
   * @throws TypeError for a bad build name or an import that is not a function
   */
  static create(options: { build?: WasmBuild; imports?: HostImports } = {}): TidWasm {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const build = requireBuild(options.build ?? "release", "options.build");
    const host: HostImports = { ...checkHostImports(options.imports, "options.imports") };
    let self: TidWasm | undefined;
    const env = guardedImports(host, () => (self ? self.bytes() : null));
    const instance = instantiateSync<Record<string, unknown>>(compiled(build), { env } as never);
    self = new TidWasm(instance.exports as unknown as RawExports, build, host);
    return self;
  }

  /** Replace host callbacks (e.g. attach a transceive after the SE is opened). */
  setImports(imports: HostImports): void {
    Object.assign(this.hostImports, checkHostImports(imports, "imports"));
  }

  /** A byte view of the whole linear memory (refreshed if memory ever grew). */
  bytes(): Uint8Array {
    if (this.heap.buffer !== this.memory.buffer) this.heap = new Uint8Array(this.memory.buffer);
    return this.heap;
  }
}
