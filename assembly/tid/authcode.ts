// Encoder of the TID v1 device authcode (docs/protocol.md "The authcode"). Writes the body,
// bytes [0, 100+L), with the algorithm bytes of the device's suite (suite.ts); the backend appends
// tag_d = HMAC(PSK, body) (HMAC-SM3 or HMAC-SHA-256) with the key it holds.
import {
  TID_VERSION, TID_NONCE_LEN_CODE, TID_SIZE, NONCE_SIZE, POINT_SIZE,
  OFF_VERSION, OFF_ALG_SYM, OFF_ALG_KA, OFF_NONCE_LEN, OFF_FLAGS, OFF_TIME, OFF_TID, OFF_NONCE,
  OFF_EXTRA_LEN, HEADER_SIZE, storeBe16, storeBe32,
} from "./wire";
import { suiteAlgSym, suiteAlgKa } from "./suite";

/**
 * Write the authcode body to `dst` and return its length (100 + extraLen).
 * `dst` must have room for 100 + extraLen bytes; `extraLen` ≤ 512 (the caller checks).
 */
export function encodeAuthcodeBody(
  dst: usize, suite: u32, flags: u32, time: u32, tid: usize, nd: usize, extra: usize, extraLen: u32, qd: usize,
): u32 {
  store<u8>(dst + OFF_VERSION, TID_VERSION);
  store<u8>(dst + OFF_ALG_SYM, suiteAlgSym(suite));
  store<u8>(dst + OFF_ALG_KA, suiteAlgKa(suite));
  store<u8>(dst + OFF_NONCE_LEN, TID_NONCE_LEN_CODE);
  storeBe16(dst + OFF_FLAGS, flags);
  storeBe32(dst + OFF_TIME, time);
  memory.copy(dst + OFF_TID, tid, TID_SIZE);
  memory.copy(dst + OFF_NONCE, nd, NONCE_SIZE);
  storeBe16(dst + OFF_EXTRA_LEN, extraLen);
  if (extraLen > 0) memory.copy(dst + HEADER_SIZE, extra, extraLen);
  memory.copy(dst + HEADER_SIZE + extraLen, qd, POINT_SIZE);
  return HEADER_SIZE + extraLen + POINT_SIZE;
}
