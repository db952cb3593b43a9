// Garbage collection on demand, for the tests that check that a binding's FinalizationRegistry
// (bindings/handle-pool.ts) gives the handles of dropped objects back, and the check itself for
// the key tables of docs/abi.md (SM4, AES).
import v8 from "node:v8";
import vm from "node:vm";
import type { TidWasm } from "../../bindings/wasm.js";

/**
 * Collect garbage until `done()` holds (or about half a second has passed): returns whether it
 * holds. `--expose-gc` is switched on for a fresh context, whose `gc` collects the whole heap.
 */
export async function collectUntil(done: () => boolean): Promise<boolean> {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  for (let i = 0; i < 50 && !done(); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  return done();
}

/** How many handles of the key table `<prefix>_key_*` (docs/abi.md: "sm4", "aes") hold a key. */
export function keysSet(wasm: TidWasm, prefix: "sm4" | "aes"): number {
  const x = wasm.exports;
  let n = 0;
  for (let h = 0; h < x[`${prefix}_key_slots`]!(); h++) n += x[`${prefix}_key_is_set`]!(h);
  return n;
}

/**
 * Make ten keys with `make` and drop them without destroy(): true when they took ten handles
 * and garbage collection gave every one back (zeroed: `<prefix>_key_is_set` is 0 again).
 */
export async function droppedKeysComeBack(wasm: TidWasm, prefix: "sm4" | "aes", make: () => unknown): Promise<boolean> {
  const before = keysSet(wasm, prefix);
  (() => {
    for (let i = 0; i < 10; i++) make();
  })();
  if (keysSet(wasm, prefix) !== before + 10) return false;
  return collectUntil(() => keysSet(wasm, prefix) === before);
}
