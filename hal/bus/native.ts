// Lazy loading of the optional native bus modules (docs/hal.md "Native modules"). `i2c-bus` and
// `spi-device` are optionalDependencies built for Linux; they are required only when a real bus is
// opened, so the simulator, the tests and non-Linux hosts never need them. A missing or broken
// module becomes BusError "NO_MODULE" that says how to fix it.
import { createRequire } from "node:module";
import { BusError } from "./errors.js";

const requireHere = createRequire(import.meta.url);

export type NativeModuleName = "i2c-bus" | "spi-device";

/**
 * require() a native bus module.
 * @param bus the device path being opened, for the error message
 * @throws BusError NO_MODULE when the module is not installed or cannot be loaded
 */
export function loadNative<T>(name: NativeModuleName, bus: string, req: (id: string) => unknown = requireHere): T {
  try {
    return req(name) as T;
  } catch (e) {
    const code = (e as { code?: string } | null)?.code;
    const missing = code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND";
    const detail = missing
      ? `the optional dependency "${name}" is not installed; run \`npm install ${name}\` on the device ` +
        "(a native addon: Linux only, needs a C++ toolchain) or use a simulated board (sim-i2c / sim-spi)"
      : `the optional dependency "${name}" failed to load (${e instanceof Error ? e.message : String(e)}); ` +
        `rebuild it for this Node version with \`npm rebuild ${name}\``;
    throw new BusError("NO_MODULE", bus, detail, { op: "open", cause: e });
  }
}
