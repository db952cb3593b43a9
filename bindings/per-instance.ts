/**
 * @module bindings/per-instance
 * State the typed bindings keep per module instance (docs/abi.md: one I/O region and one set of
 * key and stream handle tables per instance): `requireWasm` checks the instance argument of
 * their entry points, `perInstance` makes each piece of state once per instance and name.
 */
import type { TidWasm } from "./wasm.js";

/** Check that `wasm` is a TidWasm instance (the entry points' first argument), or throw a TypeError. */
export function requireWasm(wasm: unknown): TidWasm {
  if (wasm === null || typeof wasm !== "object" || !("exports" in wasm) || !("ioPtr" in wasm)) {
    throw new TypeError(`wasm must be a TidWasm instance, got ${wasm === null ? "null" : typeof wasm}`);
  }
  return wasm as TidWasm;
}

const state = new WeakMap<TidWasm, Map<string, unknown>>();

/**
 * The state named `name` of `wasm`: made by `make()` on first use, the same object afterwards
 * (dropped with the instance). Each name must always be made by the same kind of `make`.
 */
export function perInstance<T>(wasm: TidWasm, name: string, make: () => T): T {
  let byName = state.get(wasm);
  if (!byName) {
    byName = new Map();
    state.set(wasm, byName);
  }
  if (byName.has(name)) return byName.get(name) as T;
  const made = make();
  byName.set(name, made);
  return made;
}
