// TLS 1.3 record protection (RFC 8446 §5.2–§5.3) for one direction of a connection, with the AEAD
// of the context's suite: SM4-GCM (RFC 8998, TLS_SM4_GCM_SM3) or AES-128-GCM (RFC 8446
// TLS_AES_128_GCM_SHA256, NIST SP 800-38D), both through gcm/gcm.ts with its cipher selector.
// The traffic key and IV of §7.3 (key 16, iv 12) come from a traffic secret with the suite's
// HKDF; the 64-bit sequence number counts the records; seal / open one record:
//   TLSCiphertext     = opaque_type 23 ‖ legacy_record_version 0x0303 ‖ uint16 length ‖ encrypted_record
//   TLSInnerPlaintext = content ‖ ContentType ‖ zeros (padding; seal adds none)
//   AAD = the 5-byte header; nonce = write_iv XOR the sequence number, left-padded to 12 bytes.
// SM4: the key schedule and GHASH key are set up once per key and kept in the direction. AES: the
// round-key planes and GHASH key (800 bytes) do not fit in a direction, so it keeps the raw
// 16-byte key and each record call expands it into the TID-TLS scratch (scratch.ts), wiped before
// the call returns (as the AES key handles of abi/aes.ts do).
// Nothing is allocated per record. Open checks the tag in constant time before it writes, finds
// the real content type with a scan whose memory accesses do not depend on the padding, and
// leaves nothing in `out` when it fails. The caller checks ranges, lengths and aliasing.
import { OK, ERR_VERIFY_FAILED, ERR_BAD_FORMAT, ERR_REPLAY } from "../status";
import { wipe } from "../mem";
import { GCM_AES, GCM_SM4, SM4_GCM_CTX_SIZE, AES_GCM_CTX_SIZE, gcmInit, gcmSeal, gcmOpen } from "../gcm/gcm";
import { hkdfExpandLabel } from "./hkdf";
import { TLS_SCRATCH } from "./scratch";
import { isIntl, suiteHash } from "../tid/suite";

// The suites of a TLS context are the TID suites (tid/suite.ts): SUITE_SM = TLS_SM4_GCM_SM3 (SM3,
// HMAC-SM3, SM4-GCM), SUITE_INTL = TLS_AES_128_GCM_SHA256 (SHA-256, HMAC-SHA-256, AES-128-GCM).
export { SUITE_SM, SUITE_INTL, suiteHash } from "../tid/suite";

export const RECORD_HEADER_SIZE: usize = 5;
export const RECORD_TAG_SIZE: usize = 16;
/** RFC 8446 §5.1: TLSPlaintext.length ≤ 2^14. */
export const RECORD_MAX_PLAINTEXT: usize = 16384;
/** RFC 8446 §5.2: TLSCiphertext.length ≤ 2^14 + 256. */
export const RECORD_MAX_CIPHERTEXT: usize = 16384 + 256;
const APPLICATION_DATA: u8 = 23;
const KEY_SIZE: usize = 16;
const IV_SIZE: usize = 12;

// One direction (RECORD_STATE_SIZE bytes, 16-aligned):
//   +0 SM4: the SM4-GCM context (key schedule, GHASH key); AES: the raw 16-byte key
//   +352 write/read IV (12) · +368 sequence (u64) · +376 keyed (u32: 1 once a key is installed)
//   +380 suite (u32: SUITE_SM / SUITE_INTL)
const D_GCM: usize = 0;
const D_IV: usize = SM4_GCM_CTX_SIZE;
const D_SEQ: usize = D_IV + 16;
const D_KEYED: usize = D_SEQ + 8;
const D_SUITE: usize = D_KEYED + 4;
export const RECORD_STATE_SIZE: usize = (D_SUITE + 4 + 15) & ~15;

// Scratch: the SM4 traffic key while it is expanded, the per-record nonce.
const KEY: usize = memory.data(<i32>KEY_SIZE, 16);
const NONCE: usize = memory.data(16, 16);

const L_KEY: usize = memory.data<u8>([0x6b, 0x65, 0x79]); // "key"
const L_IV: usize = memory.data<u8>([0x69, 0x76]); // "iv"

/** True when direction `d` has a traffic key. */
export function recordKeyed(d: usize): bool {
  return load<u32>(d + D_KEYED) != 0;
}

/** Sequence number of the next record of direction `d` (test hooks). */
export function recordSeq(d: usize): u64 {
  return load<u64>(d + D_SEQ);
}

/** Set the sequence number of direction `d` (test hooks: reach the end of the sequence space). */
export function recordSetSeq(d: usize, seq: u64): void {
  store<u64>(d + D_SEQ, seq);
}

/** Key direction `d` of `suite` from the 32-byte traffic secret at `secret` (§7.3); sequence number 0. */
export function recordInstall(d: usize, secret: usize, suite: u32): void {
  wipe(d, RECORD_STATE_SIZE);
  const h = suiteHash(suite);
  hkdfExpandLabel(h, secret, 32, L_IV, 2, 0, 0, d + D_IV, IV_SIZE);
  if (isIntl(suite)) {
    hkdfExpandLabel(h, secret, 32, L_KEY, 3, 0, 0, d + D_GCM, KEY_SIZE);
  } else {
    hkdfExpandLabel(h, secret, 32, L_KEY, 3, 0, 0, KEY, KEY_SIZE);
    gcmInit(GCM_SM4, d + D_GCM, KEY);
    wipe(KEY, KEY_SIZE);
  }
  store<u32>(d + D_SUITE, suite);
  store<u32>(d + D_KEYED, 1);
}

/**
 * The GCM context of direction `d` for one record call: SM4's own; for AES the raw key expanded
 * into the scratch, which the caller wipes with doneGcm.
 */
function gcmOf(d: usize): usize {
  if (!isIntl(load<u32>(d + D_SUITE))) return d + D_GCM;
  gcmInit(GCM_AES, TLS_SCRATCH, d + D_GCM);
  return TLS_SCRATCH;
}

/** Wipe what gcmOf expanded (nothing for SM4). */
function doneGcm(d: usize): void {
  if (isIntl(load<u32>(d + D_SUITE))) wipe(TLS_SCRATCH, AES_GCM_CTX_SIZE);
}

/** The cipher selector of gcm.ts for direction `d`. */
// @ts-ignore: decorator
@inline
function cipherOf(d: usize): u32 {
  return isIntl(load<u32>(d + D_SUITE)) ? GCM_AES : GCM_SM4;
}

/** Zero direction `d`. */
export function recordWipe(d: usize): void {
  wipe(d, RECORD_STATE_SIZE);
}

/** The per-record nonce (§5.3) into NONCE: the IV with the big-endian sequence number XORed into its last 8 bytes. */
function nonceOf(d: usize): void {
  store<u32>(NONCE, load<u32>(d + D_IV));
  store<u64>(NONCE + 4, load<u64>(d + D_IV + 4) ^ bswap<u64>(load<u64>(d + D_SEQ)));
}

/**
 * Seal one record of `len` content bytes (≤ 2^14) of ContentType `type` at `src` into `out`:
 * header (5) ‖ ciphertext of content ‖ type (len + 1) ‖ tag (16). `src` is `out + 5` (in place) or
 * disjoint from the record. ERR_REPLAY (nothing written) when the sequence number is exhausted
 * (§5.5: 2^64 − 1 is never used); the sequence number then moves on.
 */
export function recordSeal(d: usize, type: u8, src: usize, len: usize, out: usize): i32 {
  const seq = load<u64>(d + D_SEQ);
  if (seq == U64.MAX_VALUE) return ERR_REPLAY;
  const body = out + RECORD_HEADER_SIZE;
  const length = len + 1 + RECORD_TAG_SIZE;
  store<u8>(out, APPLICATION_DATA);
  store<u8>(out + 1, 3);
  store<u8>(out + 2, 3);
  store<u8>(out + 3, <u8>(length >> 8));
  store<u8>(out + 4, <u8>length);
  if (src != body) memory.copy(body, src, len);
  store<u8>(body + len, type);
  nonceOf(d);
  gcmSeal(cipherOf(d), gcmOf(d), NONCE, IV_SIZE, out, RECORD_HEADER_SIZE, body, len + 1, body, body + len + 1);
  doneGcm(d);
  wipe(NONCE, 16);
  store<u64>(d + D_SEQ, seq + 1);
  return OK;
}

/**
 * Open the record of `recLen` bytes (header ‖ ciphertext ‖ tag, 5 + 17 ≤ recLen ≤ 5 + 2^14 + 256)
 * at `rec` into `out` (room for recLen − 21 bytes; `out` is `rec + 5` or disjoint). On OK the
 * content is at `out`, its length and real type at `info` (two u32), the rest of the inner
 * plaintext zeroed, and the sequence number moves on. ERR_VERIFY_FAILED: the tag did not verify,
 * nothing was written. ERR_BAD_FORMAT: the tag verified but the inner plaintext is all zeros (no
 * content type); what was decrypted is wiped. ERR_REPLAY: sequence number exhausted. On any failure
 * the sequence number stays.
 */
export function recordOpen(d: usize, rec: usize, recLen: usize, out: usize, info: usize): i32 {
  const seq = load<u64>(d + D_SEQ);
  if (seq == U64.MAX_VALUE) return ERR_REPLAY;
  const n = recLen - RECORD_HEADER_SIZE - RECORD_TAG_SIZE;
  nonceOf(d);
  const st = gcmOpen(cipherOf(d), gcmOf(d), NONCE, IV_SIZE, rec, RECORD_HEADER_SIZE, rec + RECORD_HEADER_SIZE, n, rec + RECORD_HEADER_SIZE + n, RECORD_TAG_SIZE, out);
  doneGcm(d);
  wipe(NONCE, 16);
  if (st != OK) return st;
  // The last non-zero byte is the type (§5.4). Every byte is read, with no branch on its value.
  let last: i32 = -1;
  for (let i: usize = 0; i < n; i++) {
    const nonzero = -(<i32>(load<u8>(out + i) != 0)); // all ones when the byte is not zero
    last = (last & ~nonzero) | (<i32>i & nonzero);
  }
  if (last < 0) {
    wipe(out, n);
    return ERR_BAD_FORMAT;
  }
  const type = load<u8>(out + <usize>last);
  wipe(out + <usize>last, n - <usize>last);
  store<u32>(info, <u32>last);
  store<u32>(info + 4, <u32>type);
  store<u64>(d + D_SEQ, seq + 1);
  return OK;
}
