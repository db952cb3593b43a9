// Session slots of the soft side (docs/protocol.md "Business data with the token"): SLOT_COUNT SM4
// session keys, each with its SM4-GCM context (seal/open; its SM4 key schedule also serves
// sym_crypto) and its AEAD counters. A slot is zeroed before a key is installed in it and when it
// is erased; everything is static.
import { wipe } from "../mem";
import { sm4GcmInit, sm4GcmKeyCtx, SM4_GCM_CTX_SIZE } from "../sm4/gcm";
import { sm4KeyFromSchedule } from "../sm4/sm4";

/** Number of session slots (key_index 0..SLOT_COUNT-1). */
export const SLOT_COUNT: i32 = 8;

// Slot layout (offsets inside one slot).
const S_LOADED: usize = 0;     // u32: 1 when a key is installed
const S_RECV_ANY: usize = 4;   // u32: 1 once a message has been opened
const S_SEND_DONE: usize = 24; // u32: 1 once counter 2^64 − 1 has been used
const S_SUITE: usize = 28;     // u32: the token's suite for TID-TLS (0 SM, 1 INTL; install makes it 0)
const S_SEND: usize = 8;       // u64: next send counter
const S_RECV: usize = 16;      // u64: highest counter opened so far
const S_GCM: usize = 32;       // SM4-GCM context (key schedule first, then the GHASH key)
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

/** Replace slot `i` with the 16-byte key at `key`; counters restart at 0. */
export function slotInstall(i: i32, key: usize): void {
  const s = slotBase(i);
  wipe(s, SLOT_STRIDE);
  sm4GcmInit(s + S_GCM, key);  // the schedules only: the raw key is not kept
  store<u32>(s + S_LOADED, 1);
}

/** Zero every slot. */
export function slotEraseAll(): void {
  wipe(slots, SLOT_STRIDE * <usize>SLOT_COUNT);
}

export function slotEcbCtx(i: i32): usize { return sm4GcmKeyCtx(slotBase(i) + S_GCM); }

/** The 16-byte key of loaded slot `i` into `out`, recovered from its key schedule (TID-TLS's PSK). */
export function slotKey(i: i32, out: usize): void {
  sm4KeyFromSchedule(slotEcbCtx(i), out);
}
export function slotGcmCtx(i: i32): usize { return slotBase(i) + S_GCM; }

/** The suite of slot `i`'s token (0 SM, 1 INTL): the suite of a TID-TLS context it keys. */
export function slotSuite(i: i32): u32 { return load<u32>(slotBase(i) + S_SUITE); }
export function setSlotSuite(i: i32, suite: u32): void { store<u32>(slotBase(i) + S_SUITE, suite); }

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
