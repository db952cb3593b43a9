// Lazy loading of the optional TEE client addon @tid-wasm/tee-client (tee/client/; docs/hal.md
// "The TEE link"), the same way hal/bus/native.ts loads i2c-bus: required only when a TEE link is
// opened, so the simulator, the tests and hosts without OP-TEE never need it. A missing or broken
// addon becomes TeeError "NO_MODULE" that says how to fix it. The interface below is the addon's
// (tee/client/index.d.ts), restated here so that hal/ compiles without the addon installed.
import { createRequire } from "node:module";
import { TeeError } from "./errors.js";

const requireHere = createRequire(import.meta.url);

export const TEE_NATIVE_MODULE = "@tid-wasm/tee-client";

/** An open context of the addon (opaque). */
export type TeeNativeContext = object;

export interface TeeNativeVersion {
  implId: number;
  implCaps: number;
  genCaps: number;
  shmSize: number;
}

export interface TeeNativeResult {
  result: number;
  origin: number;
}

export type TeeNativeParam = null | undefined | { a: number; b: number } | Uint8Array;
export type TeeNativeParamOut = null | { a: number; b: number } | { size: number };

export interface TeeNativeInvokeResult extends TeeNativeResult {
  params: TeeNativeParamOut[];
}

/** The addon's functions (tee/client/README.md). Tests inject fakes of this. */
export interface TeeNative {
  open(device: string, shmSize: number): TeeNativeContext;
  version(ctx: TeeNativeContext): TeeNativeVersion;
  openSession(ctx: TeeNativeContext, uuid: Uint8Array, login: 0 | 1 | 2, gid?: number): TeeNativeResult & { session: number };
  invoke(ctx: TeeNativeContext, session: number, cmd: number, types: number[], params: TeeNativeParam[]): TeeNativeInvokeResult;
  invokeAsync(
    ctx: TeeNativeContext,
    session: number,
    cmd: number,
    types: number[],
    params: TeeNativeParam[],
  ): Promise<TeeNativeInvokeResult>;
  cancel(ctx: TeeNativeContext, session: number, cancelId: number): void;
  closeSession(ctx: TeeNativeContext, session: number): void;
  close(ctx: TeeNativeContext): void;
}

/**
 * require() the TEE client addon.
 * @param target what is being opened, for the error message
 * @throws TeeError NO_MODULE when the addon is not installed or cannot be loaded
 */
export function loadTeeNative(target: string, req: (id: string) => unknown = requireHere): TeeNative {
  try {
    return req(TEE_NATIVE_MODULE) as TeeNative;
  } catch (e) {
    const code = (e as { code?: string } | null)?.code;
    const missing = code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND";
    const detail = missing
      ? `the optional dependency "${TEE_NATIVE_MODULE}" is not installed (or its build failed at install: it needs Linux, a C compiler ` +
        `and make); install them (\`sudo apt install build-essential python3\`) and run \`npm rebuild ${TEE_NATIVE_MODULE}\`, or ` +
        `\`npm install ${TEE_NATIVE_MODULE}\` on the device`
      : `the optional dependency "${TEE_NATIVE_MODULE}" failed to load (${e instanceof Error ? e.message : String(e)}); ` +
        `rebuild it for this Node version with \`npm rebuild ${TEE_NATIVE_MODULE}\``;
    throw new TeeError("NO_MODULE", target, detail, { op: "open", cause: e });
  }
}

/**
 * Whether the addon loads here: null when it does, otherwise the NO_MODULE message saying why and
 * how to get it (the suites that need the addon skip with it).
 */
export function teeNativeMissing(req: (id: string) => unknown = requireHere): string | null {
  try {
    loadTeeNative("the TEE client addon", req);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
