// TEST HOOK exports (docs/abi.md "Test hooks"): for known-answer tests, fuzzing and the benchmark.
// Only the test build (assembly/test-entry.ts → build/test.wasm) exports them; they make the
// device's nonces and ephemeral keys predictable, so release.wasm and debug.wasm leave them out.
import { testInject, testSetPending } from "../tid/test-hooks";

/** TEST ONLY. The next get_authcode uses this Nd (16), time and ephemeral private key (32). Soft only. */
export function tid_test_inject(ndPtr: usize, time: u32, privPtr: usize): i32 {
  return testInject(ndPtr, time, privPtr);
}

/** TEST ONLY. Make qd (32) ‖ Nd (16) ‖ tag_d (32) the pending request. Soft only. */
export function tid_test_set_pending(ptr: usize): i32 {
  return testSetPending(ptr);
}
