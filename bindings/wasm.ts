// Loads build/{release,debug}.wasm and wires the host imports of docs/abi.md "Imports" (random,
// now, transceive). Every typed binding (sm4, sm3, sm2, client) sits on one TidWasm instance.
import { readFileSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { instantiateSync } from "@assemblyscript/loader";
import { Status } from "./status.js";

export type WasmBuild = "release" | "debug";

/** The host side of the module's imports. Each returns a status (0 = OK). */
export interface HostImports {
  /** Fill `out` with entropy. Default: node:crypto randomFillSync. */
  random?: (out: Uint8Array) => number;
  /** Unix time in seconds. Default: Date.now(). */
  now?: () => number;
  /** One APDU exchange with the SE: returns the response bytes, or a negative status. */
  transceive?: (command: Uint8Array) => Uint8Array | number;
}

/** Path of a build of the module, whether running from source (bindings/) or dist/bindings/. */
export function wasmPath(build: WasmBuild = "release"): string {
  for (const rel of ["../build/", "../../build/"]) {
    const p = fileURLToPath(new URL(`${rel}${build}.wasm`, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error(`build/${build}.wasm not found: run \`npm run build\` first`);
}

const moduleCache = new Map<WasmBuild, WebAssembly.Module>();

/** The compiled module (compiled once per build per process). */
export function wasmModule(build: WasmBuild = "release"): WebAssembly.Module {
  let m = moduleCache.get(build);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(wasmPath(build)));
    moduleCache.set(build, m);
  }
  return m;
}

/** Raw exports: every function takes and returns numbers (pointers are offsets into memory). */
export type RawExports = Record<string, (...args: number[]) => number> & { memory: WebAssembly.Memory };

export class TidWasm {
  readonly exports: RawExports;
  readonly memory: WebAssembly.Memory;
  readonly build: WasmBuild;
  /** The I/O region: inputs are copied in here and outputs read from here. */
  readonly ioPtr: number;
  readonly ioCap: number;
  private heap: Uint8Array;
  private hostImports: HostImports;

  private constructor(exports: RawExports, build: WasmBuild, hostImports: HostImports) {
    this.exports = exports;
    this.memory = exports.memory;
    this.build = build;
    this.hostImports = hostImports;
    this.heap = new Uint8Array(this.memory.buffer);
    this.ioPtr = exports.tid_io_ptr();
    this.ioCap = exports.tid_io_cap();
  }

  /** Instantiate a fresh module instance (its own memory, keys and state). */
  static create(options: { build?: WasmBuild; imports?: HostImports } = {}): TidWasm {
    const build = options.build ?? "release";
    const host: HostImports = { ...options.imports };
    let self: TidWasm | undefined;
    const view = (): Uint8Array => self!.bytes();
    const env = {
      random(ptr: number, len: number): number {
        try {
          const out = view().subarray(ptr, ptr + len);
          if (host.random) return host.random(out);
          randomFillSync(out);
          return Status.OK;
        } catch {
          return Status.ERR_RNG_FAILED;
        }
      },
      now(): bigint {
        return BigInt(Math.floor(host.now ? host.now() : Date.now() / 1000));
      },
      transceive(cmdPtr: number, cmdLen: number, rspPtr: number, rspCap: number, rspLenPtr: number): number {
        if (!host.transceive) return Status.ERR_SE_NOT_CONFIGURED;
        let rsp: Uint8Array | number;
        try {
          rsp = host.transceive(view().slice(cmdPtr, cmdPtr + cmdLen));
        } catch {
          return Status.ERR_SE_IO;
        }
        if (typeof rsp === "number") return rsp < 0 ? rsp : Status.ERR_SE_IO;
        if (rsp.length > rspCap) return Status.ERR_BUFFER_TOO_SHORT;
        const mem = view();
        mem.set(rsp, rspPtr);
        new DataView(mem.buffer).setUint32(rspLenPtr, rsp.length, true);
        return Status.OK;
      },
    };
    const instance = instantiateSync<Record<string, unknown>>(wasmModule(build), { env } as never);
    self = new TidWasm(instance.exports as unknown as RawExports, build, host);
    return self;
  }

  /** Replace host callbacks (e.g. attach a transceive after the SE is opened). */
  setImports(imports: HostImports): void {
    Object.assign(this.hostImports, imports);
  }

  /** A byte view of the whole linear memory (refreshed if memory ever grew). */
  bytes(): Uint8Array {
    if (this.heap.buffer !== this.memory.buffer) this.heap = new Uint8Array(this.memory.buffer);
    return this.heap;
  }
}
