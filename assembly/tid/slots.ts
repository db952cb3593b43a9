// Session slots of the soft side (docs/protocol.md "Business data with the token"): SLOT_COUNT
// session keys, each in the suite it was made in, with its AEAD counters. Suite SM: the SM4-GCM
// context (seal/open; its SM4 key schedule also serves sym_crypto). Suite INTL: the raw AES-128 key,
// expanded per call into the module's one AES call context (aes/call-key.ts). A slot is zeroed
// before a key is installed in it and when it is erased; everything is static.
import { wipe } from "../mem";
import { sm4GcmInit, sm4GcmKeyCtx, SM4_GCM_CTX_SIZE } from "../sm4/gcm";
import { sm4KeyFromSchedule } from "../sm4/sm4";
import { isIntl } from "./suite";

/** Number of session slots (key_index 0..SLOT_COUNT-1). */
export const SLOT_COUNT: i32 = 8;

// Slot layout (offsets inside one slot).
const S_LOADED: usize = 0;     // u32: 1 when a key is installed
const S_RECV_ANY: usize = 4;   // u32: 1 once a message has been opened
const S_SEND_DONE: usize = 24; // u32: 1 once counter 2^64 − 1 has been used
const S_SUITE: usize = 28;     // u32: the key's suite (SUITE_SM, SUITE_INTL)
const S_SEND: usize = 8;       // u64: next send counter
const S_RECV: usize = 16;      // u64: highest counter opened so far
const S_GCM: usize = 32;       // SM: SM4-GCM context (key schedule, then the GHASH key); INTL: the raw key
const SLOT_STRIDE: usize = (S_GCM + SM4_GCM_CTX_SIZE + 15) & ~15;

const slots: usize = memory.data(<i32>(SLOT_STRIDE * <usize>SLOT_COUNT), 16);

// @ts-ignore: decorator
@inline
function slotBase(i: i32): usize {
  return slots + <usize>i * SLOT_STRIDE;
}

/** True when `i` is a valid slot index. */
// @ts-ignore: decorator
@inline
export function slotIndexValid(i: i32): bool {
  return i >= 0 && i < SLOT_COUNT;
}

export function slotLoaded(i: i32): bool {
  return load<u32>(slotBase(i) + S_LOADED) != 0;
}

/** Zero slot `i` (key, schedules, counters). */
export function slotErase(i: i32): void {
  wipe(slotBase(i), SLOT_STRIDE);
}

/** Replace slot `i` with the 16-byte key at `key` of suite `suite`; counters restart at 0. */
export function slotInstall(i: i32, key: usize, suite: u32): void {
  const s = slotBase(i);
  wipe(s, SLOT_STRIDE);
  if (isIntl(suite)) memory.copy(s + S_GCM, key, 16);
  else sm4GcmInit(s + S_GCM, key);  // the schedules only: the raw key is not kept
  store<u32>(s + S_SUITE, suite);
  store<u32>(s + S_LOADED, 1);
}

/** The suite of loaded slot `i`'s key (also the suite of a TID-TLS context it keys). */
export function slotSuite(i: i32): u32 {
  return load<u32>(slotBase(i) + S_SUITE);
}

/** Zero every slot. */
export function slotEraseAll(): void {
  wipe(slots, SLOT_STRIDE * <usize>SLOT_COUNT);
}

/** Suite SM: the SM4 key schedule of slot `i` (sym_crypto). */
export function slotEcbCtx(i: i32): usize { return sm4GcmKeyCtx(slotBase(i) + S_GCM); }

/**
 * The 16-byte key of loaded slot `i` into `out` (TID-TLS's PSK): suite SM recovers it from the
 * key schedule, suite INTL keeps it.
 */
export function slotKey(i: i32, out: usize): void {
  if (isIntl(slotSuite(i))) memory.copy(out, slotBase(i) + S_GCM, 16);
  else sm4KeyFromSchedule(slotEcbCtx(i), out);
}

/** Suite SM: the SM4-GCM context of slot `i`; suite INTL: its raw AES key. */
export function slotGcmCtx(i: i32): usize { return slotBase(i) + S_GCM; }

/**
 * Take the next send counter of slot `i` into `out` (8 bytes, big-endian) and advance it.
 * False when all 2^64 counters have been used.
 */
export function slotNextSendCounter(i: i32, out: usize): bool {
  const s = slotBase(i);
  if (load<u32>(s + S_SEND_DONE) != 0) return false;
  const c = load<u64>(s + S_SEND);
  store<u64>(out, bswap<u64>(c));
  if (c == U64.MAX_VALUE) store<u32>(s + S_SEND_DONE, 1);
  else store<u64>(s + S_SEND, c + 1);
  return true;
}

/** True when counter `c` is newer than every counter opened on slot `i` so far. */
export function slotRecvFresh(i: i32, c: u64): bool {
  const s = slotBase(i);
  return load<u32>(s + S_RECV_ANY) == 0 || c > load<u64>(s + S_RECV);
}

/** Record `c` as the highest counter opened on slot `i`. */
export function slotRecvAccept(i: i32, c: u64): void {
  const s = slotBase(i);
  store<u64>(s + S_RECV, c);
  store<u32>(s + S_RECV_ANY, 1);
}
