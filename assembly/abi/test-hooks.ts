// TEST HOOK exports (docs/abi.md "Test hooks"): for known-answer tests, fuzzing and the benchmark.
// Only the test build (assembly/test-entry.ts → build/test.wasm) exports them; they make the
// device's nonces and ephemeral keys predictable, so release.wasm and debug.wasm leave them out.
// The TLS hooks read a context's secrets, move its sequence numbers, and key one of its record
// directions from a given traffic secret (for the published record traces of RFC 8448).
import { testInject, testSetPending } from "../tid/test-hooks";
import { OK, ERR_BAD_KEY_INDEX, ERR_BAD_PARAM, ERR_NOT_INITIALISED, ERR_OUT_OF_BOUNDS } from "../status";
import { inBounds } from "../mem";
import { TLS_CONTEXTS, SECRET_COUNT, PHASE_FREE, tlsContext, tlsDirection, tlsPhase, tlsSecret, tlsSuite } from "../tls/key-schedule";
import { recordInstall, recordSetSeq } from "../tls/record";

/** TEST ONLY. The next get_authcode uses this Nd (16), time and ephemeral private key (32). Soft only. */
export function tid_test_inject(ndPtr: usize, time: u32, privPtr: usize): i32 {
  return testInject(ndPtr, time, privPtr);
}

/** TEST ONLY. Make qd (32) ‖ Nd (16) ‖ tag_d (32) the pending request. Soft only. */
export function tid_test_set_pending(ptr: usize): i32 {
  return testSetPending(ptr);
}

/**
 * TEST ONLY. Copy secret `which` of TLS context ctx (0 early, 1 binder key, 2 handshake, 3/4
 * client/server handshake traffic, 5 master, 6/7 client/server application traffic) to the 32
 * bytes at out_ptr, so tests can hold every step of the key schedule to the reference.
 */
export function tid_test_tls_secret(ctx: u32, which: u32, out_ptr: usize): i32 {
  if (ctx >= TLS_CONTEXTS) return ERR_BAD_KEY_INDEX;
  if (which >= SECRET_COUNT) return ERR_BAD_PARAM;
  if (!inBounds(out_ptr, 32)) return ERR_OUT_OF_BOUNDS;
  memory.copy(out_ptr, tlsSecret(tlsContext(ctx), which), 32);
  return OK;
}

/** TEST ONLY. Set the sequence number of direction dir (0 read, 1 write) of TLS context ctx (to reach its end). */
export function tid_test_tls_set_seq(ctx: u32, dir: u32, seq: u64): i32 {
  if (ctx >= TLS_CONTEXTS) return ERR_BAD_KEY_INDEX;
  if (dir > 1) return ERR_BAD_PARAM;
  recordSetSeq(tlsDirection(tlsContext(ctx), dir), seq);
  return OK;
}

/**
 * TEST ONLY. Key direction dir (0 read, 1 write) of the open TLS context ctx from the 32-byte
 * traffic secret at secret_ptr, in the context's suite (key and iv of RFC 8446 §7.3), sequence 0,
 * so tests can seal and open the records of a published trace.
 */
export function tid_test_tls_install(ctx: u32, dir: u32, secret_ptr: usize): i32 {
  if (ctx >= TLS_CONTEXTS) return ERR_BAD_KEY_INDEX;
  const c = tlsContext(ctx);
  if (tlsPhase(c) == PHASE_FREE) return ERR_NOT_INITIALISED;
  if (dir > 1) return ERR_BAD_PARAM;
  if (!inBounds(secret_ptr, 32)) return ERR_OUT_OF_BOUNDS;
  recordInstall(tlsDirection(c, dir), secret_ptr, tlsSuite(c));
  return OK;
}
