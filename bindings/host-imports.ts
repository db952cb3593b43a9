/**
 * @module bindings/host-imports — the module's `env` imports (docs/abi.md "Imports") built from the
 * host's callbacks, guarded so that no JavaScript exception ever unwinds through the wasm.
 *
 * An exception thrown by an import unwinds through the wasm frames that called it: the call never
 * reaches its end, so the module stays marked busy (every later call, `tid_close` included, answers
 * ERR_BUSY and the keys are never zeroed) and its scratch is not wiped. So every callback runs
 * inside try/catch here, and whatever it returns is checked before it reaches the wasm:
 *
 *   import      callback throws or returns something else      the wasm call returns
 *   random      anything but the number 0                       ERR_RNG_FAILED
 *   now         anything but an integer 0 .. 2^32 − 1 (seconds) ERR_CLOCK_FAILED (never truncated)
 *   transceive  not a Uint8Array of 2 .. rspCap bytes, nor a    ERR_SE_IO (a negative i32 status
 *               negative i32 status                              goes to the wasm, docs/abi.md "Imports")
 *   transceive  not given                                       ERR_SE_NOT_CONFIGURED
 */
import { EntropyPool } from "./entropy-pool.js";
import { Status } from "./status.js";

/** The host side of the module's imports (docs/abi.md "Imports"). */
export interface HostImports {
  /** Fill `out` with entropy and return 0; any other result, or a throw, is ERR_RNG_FAILED. Default: node:crypto's CSPRNG, pooled (entropy-pool.ts). */
  random?: (out: Uint8Array) => number;
  /** Unix time in whole seconds, 0 .. 2^32 − 1; anything else, or a throw, is ERR_CLOCK_FAILED. Default: the system clock. */
  now?: () => number;
  /** One APDU exchange with the SE: the response (data ‖ SW1 SW2), or a negative status. */
  transceive?: (command: Uint8Array) => Uint8Array | number;
}

const IMPORT_NAMES = ["random", "now", "transceive"] as const;

/** The default entropy of every instance in this thread: each byte is handed out once. */
const defaultEntropy = new EntropyPool();

/** Check a HostImports object given by the caller (`what` names it in errors). */
export function checkHostImports(imports: unknown, what: string): HostImports {
  if (imports === undefined) return {};
  if (typeof imports !== "object" || imports === null) {
    throw new TypeError(`${what} must be an object, got ${imports === null ? "null" : typeof imports}`);
  }
  for (const name of IMPORT_NAMES) {
    const f = (imports as Record<string, unknown>)[name];
    if (f !== undefined && typeof f !== "function") throw new TypeError(`${what}.${name} must be a function, got ${typeof f}`);
  }
  return imports as HostImports;
}

/** Time the wasm refuses (outside 0 .. 2^32 − 1): the call fails with ERR_CLOCK_FAILED. */
const BAD_TIME = -1n;
const MAX_TIME = 0xffffffff;
const RAPDU_MIN = 2;
const INT32_MIN = -0x80000000;

/**
 * The `env` object for instantiation. `host` is read at every call (so callbacks can be replaced
 * later); `memory` gives the module's current byte view (null before instantiation ends).
 */
export function guardedImports(host: HostImports, memory: () => Uint8Array | null) {
  return {
    random(ptr: number, len: number): number {
      try {
        const heap = memory();
        if (heap === null) return Status.ERR_RNG_FAILED;
        const out = heap.subarray(ptr, ptr + len);
        if (!host.random) {
          defaultEntropy.take(out);
          return Status.OK;
        }
        return host.random(out) === 0 ? Status.OK : Status.ERR_RNG_FAILED;
      } catch {
        return Status.ERR_RNG_FAILED;
      }
    },
    now(): bigint {
      try {
        const t = host.now ? host.now() : Math.floor(Date.now() / 1000);
        return typeof t === "number" && Number.isInteger(t) && t >= 0 && t <= MAX_TIME ? BigInt(t) : BAD_TIME;
      } catch {
        return BAD_TIME;
      }
    },
    transceive(cmdPtr: number, cmdLen: number, rspPtr: number, rspCap: number, rspLenPtr: number): number {
      if (!host.transceive) return Status.ERR_SE_NOT_CONFIGURED;
      try {
        const heap = memory();
        if (heap === null) return Status.ERR_SE_IO;
        const rsp: unknown = host.transceive(heap.slice(cmdPtr, cmdPtr + cmdLen));
        if (typeof rsp === "number") return Number.isInteger(rsp) && rsp < 0 && rsp >= INT32_MIN ? rsp : Status.ERR_SE_IO;
        if (!(rsp instanceof Uint8Array) || rsp.length < RAPDU_MIN || rsp.length > rspCap) return Status.ERR_SE_IO;
        const mem = memory()!; // the callback may have replaced the buffer (memory.grow)
        mem.set(rsp, rspPtr);
        new DataView(mem.buffer, mem.byteOffset, mem.byteLength).setUint32(rspLenPtr, rsp.length, true);
        return Status.OK;
      } catch {
        return Status.ERR_SE_IO;
      }
    },
  };
}
