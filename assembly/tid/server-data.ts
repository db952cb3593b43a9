// Parser of the TID v1 server data (docs/protocol.md "The server data"). Checks everything that can
// be checked without the PSK, each failure with its own status, in wire order (the statuses
// docs/se-profile.md gives the SE's status words, so both backends report the same):
//   length outside 68..644            → ERR_BAD_LENGTH
//   version ≠ 0x01                    → ERR_UNSUPPORTED_VERSION
//   algorithm bytes ≠ the device suite's (10 02 SM, 20 03 INTL) → ERR_UNSUPPORTED_ALGORITHM
//   nonce-length byte ≠ 0x10, reserved flag bits, L' > 512 → ERR_BAD_FORMAT
//   length ≠ 36 + L' (+ 64) + 32      → ERR_BAD_FORMAT (truncated or over-long for its own fields)
//   TID ≠ the device's                → ERR_TID_MISMATCH
// The tag (tag_s) and the point (Qs) are the backend's to verify.
import {
  OK, ERR_BAD_LENGTH, ERR_UNSUPPORTED_VERSION, ERR_UNSUPPORTED_ALGORITHM, ERR_BAD_FORMAT,
  ERR_TID_MISMATCH,
} from "../status";
import {
  TID_VERSION, TID_NONCE_LEN_CODE, TID_SIZE, POINT_SIZE, TAG_SIZE,
  MAX_EXTRA, OFF_VERSION, OFF_ALG_SYM, OFF_ALG_KA, OFF_NONCE_LEN, OFF_FLAGS, OFF_TID,
  OFF_EXTRA_LEN, HEADER_SIZE, SERVER_DATA_MIN, SERVER_DATA_MAX, SERVER_FLAG_TOKEN, loadBe16,
} from "./wire";
import { suiteAlgSym, suiteAlgKa } from "./suite";

/** Check the server data at [src, src+len) against its wire format, the device TID and suite. */
export function checkServerData(src: usize, len: u32, tid: usize, suite: u32): i32 {
  if (len < SERVER_DATA_MIN || len > SERVER_DATA_MAX) return ERR_BAD_LENGTH;
  if (load<u8>(src + OFF_VERSION) != TID_VERSION) return ERR_UNSUPPORTED_VERSION;
  if (load<u8>(src + OFF_ALG_SYM) != suiteAlgSym(suite) || load<u8>(src + OFF_ALG_KA) != suiteAlgKa(suite)) {
    return ERR_UNSUPPORTED_ALGORITHM;
  }
  if (load<u8>(src + OFF_NONCE_LEN) != TID_NONCE_LEN_CODE) return ERR_BAD_FORMAT;
  const flags = loadBe16(src + OFF_FLAGS);
  if ((flags & ~(<u32>SERVER_FLAG_TOKEN)) != 0) return ERR_BAD_FORMAT;
  const extraLen = loadBe16(src + OFF_EXTRA_LEN);
  if (extraLen > MAX_EXTRA) return ERR_BAD_FORMAT;
  if (len != serverDataSize(extraLen, (flags & SERVER_FLAG_TOKEN) != 0)) return ERR_BAD_FORMAT;
  // The TID is public, so comparing it in variable time leaks nothing.
  for (let i: u32 = 0; i < TID_SIZE; i++) {
    if (load<u8>(src + OFF_TID + i) != load<u8>(tid + i)) return ERR_TID_MISMATCH;
  }
  return OK;
}

/** Length of a server data with L' extra bytes, with or without Qs. */
// @ts-ignore: decorator
@inline
export function serverDataSize(extraLen: u32, withPoint: bool): u32 {
  return HEADER_SIZE + extraLen + (withPoint ? POINT_SIZE : 0) + TAG_SIZE;
}

/** True when a checked server data issues a token (flags bit 0). */
// @ts-ignore: decorator
@inline
export function issuesToken(src: usize): bool {
  return (loadBe16(src + OFF_FLAGS) & SERVER_FLAG_TOKEN) != 0;
}

/** Offset of Qs in a checked server data that issues a token. */
// @ts-ignore: decorator
@inline
export function serverPointOffset(src: usize): u32 {
  return HEADER_SIZE + loadBe16(src + OFF_EXTRA_LEN);
}
