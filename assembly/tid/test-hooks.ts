// TEST HOOKS of the TID client (docs/abi.md "Build targets", "Test hooks"): fix the next
// authcode's Nd, time and ephemeral key, or install a pending request directly. Exported only by
// the test build (assembly/test-entry.ts); release and debug builds do not contain them.
import { OK, ERR_BAD_PARAM, ERR_BUSY, ERR_NOT_INITIALISED, ERR_OUT_OF_BOUNDS } from "../status";
import { inBounds } from "../mem";
import { NONCE_SIZE, SCALAR_SIZE } from "./wire";
import { BACKEND_SOFT, BACKEND_SE, backend, initialised, pending, PENDING_SIZE, setHasPending, armInjection } from "./state";
import { callInProgress } from "./client";

/** Soft backend only: ERR_BAD_PARAM with the SE backend, ERR_NOT_INITIALISED with none. */
function softOnly(): i32 {
  if (backend == BACKEND_SOFT) return OK;
  return backend == BACKEND_SE ? ERR_BAD_PARAM : ERR_NOT_INITIALISED;
}

/** Make the next get_authcode use Nd (16 bytes), `time` and ephemeral private key qd (32 bytes). */
export function testInject(nd: usize, time: u32, priv: usize): i32 {
  if (callInProgress()) return ERR_BUSY;
  const st = softOnly();
  if (st != OK) return st;
  if (!inBounds(nd, NONCE_SIZE) || !inBounds(priv, SCALAR_SIZE)) return ERR_OUT_OF_BOUNDS;
  armInjection(nd, time, priv);
  return OK;
}

/** Install qd (32) ‖ Nd (16) ‖ tag_d (32) as the pending request, as get_authcode would. */
export function testSetPending(src: usize): i32 {
  if (callInProgress()) return ERR_BUSY;
  const st = softOnly();
  if (st != OK) return st;
  if (!initialised) return ERR_NOT_INITIALISED;
  if (!inBounds(src, PENDING_SIZE)) return ERR_OUT_OF_BOUNDS;
  memory.copy(pending, src, PENDING_SIZE);
  setHasPending(true);
  return OK;
}
