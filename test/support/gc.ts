// Garbage collection on demand, for the tests that check that a binding's FinalizationRegistry
// (bindings/handle-pool.ts) gives the handles of dropped objects back.
import v8 from "node:v8";
import vm from "node:vm";

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
