// The AEAD message API (docs/protocol.md "Business data with the token"): SM4-GCM (RFC 8998), or
// AES-128-GCM (NIST SP 800-38D) for a key of suite INTL, with a session slot's key and a 12-byte nonce = 4-byte direction prefix ‖ 64-bit big-endian counter. The
// device seals with the uplink prefix and opens with the downlink prefix (the server SDK does the
// opposite), so a message can never be reflected back to its sender.
//   message = counter (8, big-endian) ‖ ciphertext (len) ‖ tag (16)
// Each slot has a send counter (0, 1, 2, … ; restarts when a key is installed) and a receive
// high-water mark: open accepts only counters above every counter it accepted before, so a
// replayed or reordered message fails with ERR_REPLAY. A message whose tag fails changes nothing.
import { OK, ERR_REPLAY } from "../status";
import { wipe } from "../mem";
import { sm4GcmSeal, sm4GcmOpen } from "../sm4/gcm";
import { aesGcmSeal, aesGcmOpen } from "../aes/gcm";
import { aesCallGcmKey, aesCallKeyWipe } from "../aes/call-key";
import { isIntl } from "./suite";
import { storeBe32, storeBe64, loadBe64 } from "./wire";
import { slotGcmCtx, slotSuite, slotNextSendCounter, slotRecvFresh, slotRecvAccept } from "./slots";

/** Nonce prefix of device → server messages. */
export const PREFIX_UPLINK: u32 = 0x00000001;
/** Nonce prefix of server → device messages. */
export const PREFIX_DOWNLINK: u32 = 0x00000002;

export const AEAD_COUNTER_SIZE: u32 = 8;
export const AEAD_TAG_SIZE: u32 = 16;
export const AEAD_OVERHEAD: u32 = AEAD_COUNTER_SIZE + AEAD_TAG_SIZE;
const NONCE_SIZE: u32 = 12;

const nonce: usize = memory.data(16, 16);

/**
 * Seal `len` bytes at `src` with slot `slot` into `dst` (len + 24 bytes). The caller has checked
 * the slot and the ranges; `src` may equal `dst + 8` (in place). ERR_REPLAY once all 2^64
 * counters of the key have been used.
 */
export function aeadSeal(slot: i32, src: usize, len: u32, aad: usize, aadLen: u32, dst: usize): i32 {
  storeBe32(nonce, PREFIX_UPLINK);
  if (!slotNextSendCounter(slot, nonce + 4)) return ERR_REPLAY;
  const ct = dst + AEAD_COUNTER_SIZE, tag = dst + AEAD_COUNTER_SIZE + len;
  if (isIntl(slotSuite(slot))) {
    aesGcmSeal(aesCallGcmKey(slotGcmCtx(slot)), nonce, NONCE_SIZE, aad, aadLen, src, len, ct, tag);
    aesCallKeyWipe();
  } else {
    sm4GcmSeal(slotGcmCtx(slot), nonce, NONCE_SIZE, aad, aadLen, src, len, ct, tag);
  }
  memory.copy(dst, nonce + 4, AEAD_COUNTER_SIZE);
  wipe(nonce, 16);
  return OK;
}

/**
 * Open the `len`-byte message at `src` (len ≥ 24) with slot `slot` into `dst` (len − 24 bytes).
 * ERR_REPLAY for a counter not above the high-water mark, ERR_VERIFY_FAILED for a bad tag; on any
 * failure nothing is written and the mark does not move.
 */
export function aeadOpen(slot: i32, src: usize, len: u32, aad: usize, aadLen: u32, dst: usize): i32 {
  const counter = loadBe64(src);
  if (!slotRecvFresh(slot, counter)) return ERR_REPLAY;
  const ctLen = len - AEAD_OVERHEAD;
  storeBe32(nonce, PREFIX_DOWNLINK);
  storeBe64(nonce + 4, counter);
  const ct = src + AEAD_COUNTER_SIZE, tag = src + AEAD_COUNTER_SIZE + ctLen;
  let st: i32;
  if (isIntl(slotSuite(slot))) {
    st = aesGcmOpen(aesCallGcmKey(slotGcmCtx(slot)), nonce, NONCE_SIZE, aad, aadLen, ct, ctLen, tag, AEAD_TAG_SIZE, dst);
    aesCallKeyWipe();
  } else {
    st = sm4GcmOpen(slotGcmCtx(slot), nonce, NONCE_SIZE, aad, aadLen, ct, ctLen, tag, AEAD_TAG_SIZE, dst);
  }
  wipe(nonce, 16);
  if (st == OK) slotRecvAccept(slot, counter);
  return st;
}
