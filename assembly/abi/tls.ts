// TID-TLS exports (docs/abi.md "TID-TLS"): HKDF over SM3 or SHA-256 (RFC 5869, RFC 8446 §7.1's
// HKDF-Expand-Label) on host buffers, and a fixed pool of TLS contexts, each one side of one
// connection in one suite — SM (TLS_SM4_GCM_SM3, RFC 8998) or INTL (TLS_AES_128_GCM_SHA256, RFC
// 8446): the key schedule of RFC 8446 §7.1 in psk_ke mode keyed by a session slot's token or a
// host-given PSK, the binder (§4.2.11), Finished (§4.4.4), KeyUpdate (§7.2) and SM4-GCM or
// AES-128-GCM record protection (§5.2–§5.3). Traffic secrets, keys and IVs stay in the context;
// only binders, verify_data and records come out. The exports without a suite are SM's.
//
// Every call returns an i32 status, checks the context index (ERR_BAD_KEY_INDEX), whether the
// context is open (ERR_NOT_INITIALISED) and the order of calls (ERR_WRONG_STATE) first, then
// flags (ERR_BAD_PARAM), lengths (ERR_BAD_LENGTH), ranges (ERR_OUT_OF_BOUNDS) and aliasing
// (ERR_BAD_PARAM); nothing traps, nothing is allocated, and a failed call writes nothing and
// changes no state.
import {
  OK, ERR_BAD_KEY_INDEX, ERR_BAD_LENGTH, ERR_BAD_PARAM, ERR_NOT_INITIALISED, ERR_OUT_OF_BOUNDS,
  ERR_VERIFY_FAILED, ERR_WRONG_STATE, ERR_UNSUPPORTED_ALGORITHM,
} from "../status";
import { inBounds, wipe, overlaps } from "../mem";
import { ctEqual } from "../ct";
import { HKDF_CONTEXT_MAX, HKDF_LABEL_MAX, HKDF_MAX_OUTPUT, hkdfExpand, hkdfExpandLabel, hkdfExtract } from "../tls/hkdf";
import {
  TLS_CONTEXTS, PHASE_FREE, PHASE_EARLY, PHASE_HANDSHAKE, PHASE_APPLICATION, tlsContext, tlsPhase,
  tlsDirection, tlsSwitched, tlsOpen, tlsClose, tlsBinder, tlsDeriveHandshake, tlsFinished,
  tlsDeriveApplication, tlsUseApplication, tlsKeyUpdate, tlsSuite,
} from "../tls/key-schedule";
import {
  RECORD_HEADER_SIZE, RECORD_TAG_SIZE, RECORD_MAX_PLAINTEXT, RECORD_MAX_CIPHERTEXT, SUITE_SM, SUITE_INTL,
  recordKeyed, recordSeal, recordOpen, suiteHash,
} from "../tls/record";
import { slotToken } from "../tid/client";
import { activeSlot } from "../tid/state";
import { slotSuite } from "../tid/slots";
import { suiteValid } from "../tid/suite";

const HASH: usize = 32;
const PSK_SIZE: usize = 16;
// Scratch: a slot's token while it keys a context; a computed binder or verify_data.
const PSK: usize = memory.data(<i32>PSK_SIZE, 16);
const MAC: usize = memory.data(<i32>HASH, 16);

// ---------------------------------------------------------------- HKDF

/**
 * The status of a suite argument: OK for SUITE_SM (0) or SUITE_INTL (1) when this build has it,
 * ERR_UNSUPPORTED_ALGORITHM for one a one-suite build left out (docs/abi.md "Build targets"),
 * ERR_BAD_PARAM for anything else.
 */
function suiteStatus(suite: u32): i32 {
  if (suite > SUITE_INTL) return ERR_BAD_PARAM;
  return suiteValid(suite) ? OK : ERR_UNSUPPORTED_ALGORITHM;
}

function extractCall(salt_ptr: usize, salt_len: usize, ikm_ptr: usize, ikm_len: usize, out_ptr: usize, suite: u32): i32 {
  const ss = suiteStatus(suite);
  if (ss != OK) return ss;
  if (!inBounds(salt_ptr, salt_len) || !inBounds(ikm_ptr, ikm_len) || !inBounds(out_ptr, HASH)) return ERR_OUT_OF_BOUNDS;
  hkdfExtract(suiteHash(suite), salt_ptr, salt_len, ikm_ptr, ikm_len, out_ptr);
  return OK;
}

function expandCall(prk_ptr: usize, prk_len: usize, info_ptr: usize, info_len: usize, out_ptr: usize, out_len: usize, suite: u32): i32 {
  const ss = suiteStatus(suite);
  if (ss != OK) return ss;
  if (out_len > HKDF_MAX_OUTPUT) return ERR_BAD_LENGTH;
  if (!inBounds(prk_ptr, prk_len) || !inBounds(info_ptr, info_len) || !inBounds(out_ptr, out_len)) return ERR_OUT_OF_BOUNDS;
  if (overlaps(out_ptr, out_len, prk_ptr, prk_len) || overlaps(out_ptr, out_len, info_ptr, info_len)) return ERR_BAD_PARAM;
  hkdfExpand(suiteHash(suite), prk_ptr, prk_len, info_ptr, info_len, out_ptr, out_len);
  return OK;
}

function expandLabelCall(
  secret_ptr: usize, secret_len: usize, label_ptr: usize, label_len: usize, context_ptr: usize, context_len: usize,
  out_ptr: usize, out_len: usize, suite: u32,
): i32 {
  const ss = suiteStatus(suite);
  if (ss != OK) return ss;
  if (label_len == 0 || label_len > HKDF_LABEL_MAX || context_len > HKDF_CONTEXT_MAX || out_len > HKDF_MAX_OUTPUT) return ERR_BAD_LENGTH;
  if (!inBounds(secret_ptr, secret_len) || !inBounds(label_ptr, label_len) || !inBounds(context_ptr, context_len) || !inBounds(out_ptr, out_len)) {
    return ERR_OUT_OF_BOUNDS;
  }
  if (overlaps(out_ptr, out_len, secret_ptr, secret_len)) return ERR_BAD_PARAM;
  hkdfExpandLabel(suiteHash(suite), secret_ptr, secret_len, label_ptr, label_len, context_ptr, context_len, out_ptr, out_len);
  return OK;
}

/** HKDF-Extract(salt, IKM) = HMAC-SM3(salt, IKM): 32 bytes to out_ptr (an empty salt = 32 zeros). */
export function tid_hkdf_extract(salt_ptr: usize, salt_len: usize, ikm_ptr: usize, ikm_len: usize, out_ptr: usize): i32 {
  return extractCall(salt_ptr, salt_len, ikm_ptr, ikm_len, out_ptr, SUITE_SM);
}

/**
 * HKDF-Expand(PRK, info, L) over HMAC-SM3: out_len (≤ 8160 = 255·32, else ERR_BAD_LENGTH) bytes to
 * out_ptr. The output must not overlap PRK or info (ERR_BAD_PARAM).
 */
export function tid_hkdf_expand(prk_ptr: usize, prk_len: usize, info_ptr: usize, info_len: usize, out_ptr: usize, out_len: usize): i32 {
  return expandCall(prk_ptr, prk_len, info_ptr, info_len, out_ptr, out_len, SUITE_SM);
}

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) of RFC 8446 §7.1 over HMAC-SM3: `label`
 * without the "tls13 " prefix (1..249 bytes), context 0..255 bytes, out_len ≤ 8160 (else
 * ERR_BAD_LENGTH). The output must not overlap the secret (ERR_BAD_PARAM).
 */
export function tid_hkdf_expand_label(
  secret_ptr: usize, secret_len: usize, label_ptr: usize, label_len: usize, context_ptr: usize, context_len: usize,
  out_ptr: usize, out_len: usize,
): i32 {
  return expandLabelCall(secret_ptr, secret_len, label_ptr, label_len, context_ptr, context_len, out_ptr, out_len, SUITE_SM);
}

/** tid_hkdf_extract in `suite`: 0 = HMAC-SM3, 1 = HMAC-SHA-256; another value → ERR_BAD_PARAM. */
export function tid_hkdf_extract_suite(salt_ptr: usize, salt_len: usize, ikm_ptr: usize, ikm_len: usize, out_ptr: usize, suite: u32): i32 {
  return extractCall(salt_ptr, salt_len, ikm_ptr, ikm_len, out_ptr, suite);
}

/** tid_hkdf_expand in `suite`: 0 = HMAC-SM3, 1 = HMAC-SHA-256; another value → ERR_BAD_PARAM. */
export function tid_hkdf_expand_suite(
  prk_ptr: usize, prk_len: usize, info_ptr: usize, info_len: usize, out_ptr: usize, out_len: usize, suite: u32,
): i32 {
  return expandCall(prk_ptr, prk_len, info_ptr, info_len, out_ptr, out_len, suite);
}

/** tid_hkdf_expand_label in `suite`: 0 = HMAC-SM3, 1 = HMAC-SHA-256; another value → ERR_BAD_PARAM. */
export function tid_hkdf_expand_label_suite(
  secret_ptr: usize, secret_len: usize, label_ptr: usize, label_len: usize, context_ptr: usize, context_len: usize,
  out_ptr: usize, out_len: usize, suite: u32,
): i32 {
  return expandLabelCall(secret_ptr, secret_len, label_ptr, label_len, context_ptr, context_len, out_ptr, out_len, suite);
}

// ---------------------------------------------------------------- contexts

/** Number of TLS contexts (16). */
export function tid_tls_contexts(): u32 {
  return TLS_CONTEXTS;
}

/** Context `ctx` if it is in range and open, else 0 (see why()). */
// @ts-ignore: decorator
@inline
function openCtx(ctx: u32): usize {
  return ctx < TLS_CONTEXTS && tlsPhase(tlsContext(ctx)) != PHASE_FREE ? tlsContext(ctx) : 0;
}

/** ERR_BAD_KEY_INDEX or ERR_NOT_INITIALISED for a context openCtx refused. */
function why(ctx: u32): i32 {
  return ctx < TLS_CONTEXTS ? ERR_NOT_INITIALISED : ERR_BAD_KEY_INDEX;
}

/** Shared checks of the two open calls: the index, a free context, the side. */
function openable(ctx: u32, side: u32): i32 {
  if (ctx >= TLS_CONTEXTS) return ERR_BAD_KEY_INDEX;
  if (tlsPhase(tlsContext(ctx)) != PHASE_FREE) return ERR_WRONG_STATE;
  return side > 1 ? ERR_BAD_PARAM : OK;
}

/**
 * Open the free context `ctx` for `side` (0 = client, 1 = server) keyed by the session token in
 * slot key_index (0..7, or -1 = the active slot), in the suite of that token (the slot's).
 * ERR_SLOT_EMPTY when the slot holds no token, ERR_TOKEN_IN_SE when the SE backend keeps its
 * tokens in the SE (tid_se_return_token(0)) and the wasm has no copy, ERR_WRONG_STATE when the
 * context is open already.
 */
export function tid_tls_open_slot(ctx: u32, side: u32, key_index: i32): i32 {
  const st = openable(ctx, side);
  if (st != OK) return st;
  const t = slotToken(key_index, PSK);
  if (t != OK) return t;
  const suite = slotSuite(key_index == -1 ? activeSlot : key_index);
  const ss = suiteStatus(suite);
  if (ss != OK) {
    wipe(PSK, PSK_SIZE);
    return ss;
  }
  tlsOpen(tlsContext(ctx), side, PSK, suite);
  wipe(PSK, PSK_SIZE);
  return OK;
}

function openPsk(ctx: u32, side: u32, psk_ptr: usize, psk_len: usize, suite: u32): i32 {
  const st = openable(ctx, side);
  if (st != OK) return st;
  const ss = suiteStatus(suite);
  if (ss != OK) return ss;
  if (psk_len != PSK_SIZE) return ERR_BAD_LENGTH;
  if (!inBounds(psk_ptr, PSK_SIZE)) return ERR_OUT_OF_BOUNDS;
  tlsOpen(tlsContext(ctx), side, psk_ptr, suite);
  return OK;
}

/** Open the free context `ctx` for `side` (0 = client, 1 = server) in suite SM keyed by the 16-byte PSK at psk_ptr. */
export function tid_tls_open_psk(ctx: u32, side: u32, psk_ptr: usize, psk_len: usize): i32 {
  return openPsk(ctx, side, psk_ptr, psk_len, SUITE_SM);
}

/**
 * tid_tls_open_psk in `suite`: 0 = SM (TLS_SM4_GCM_SM3), 1 = INTL (TLS_AES_128_GCM_SHA256);
 * another value → ERR_BAD_PARAM (after the index and state checks).
 */
export function tid_tls_open_psk_suite(ctx: u32, side: u32, psk_ptr: usize, psk_len: usize, suite: u32): i32 {
  return openPsk(ctx, side, psk_ptr, psk_len, suite);
}

/** The suite of open context `ctx` (0 SM, 1 INTL), or ERR_BAD_KEY_INDEX / ERR_NOT_INITIALISED. */
export function tid_tls_suite(ctx: u32): i32 {
  const c = openCtx(ctx);
  if (c == 0) return why(ctx);
  return <i32>tlsSuite(c);
}

/** Zero context `ctx` (every secret, both directions); it becomes free. Closing a free context is OK. */
export function tid_tls_close(ctx: u32): i32 {
  if (ctx >= TLS_CONTEXTS) return ERR_BAD_KEY_INDEX;
  tlsClose(tlsContext(ctx));
  return OK;
}

/** Phase check: OK when the phase of `c` is in [lo, hi], else ERR_WRONG_STATE. */
// @ts-ignore: decorator
@inline
function inPhase(c: usize, lo: u32, hi: u32): i32 {
  const p = tlsPhase(c);
  return p >= lo && p <= hi ? OK : ERR_WRONG_STATE;
}

// ---------------------------------------------------------------- binder, handshake, Finished

function binderCall(ctx: u32, hash_ptr: usize, other_ptr: usize, verify: bool): i32 {
  const c = openCtx(ctx);
  if (c == 0) return why(ctx);
  const st = inPhase(c, PHASE_EARLY, PHASE_APPLICATION);
  if (st != OK) return st;
  if (!inBounds(hash_ptr, HASH) || !inBounds(other_ptr, HASH)) return ERR_OUT_OF_BOUNDS;
  if (!verify) {
    tlsBinder(c, hash_ptr, other_ptr);
    return OK;
  }
  tlsBinder(c, hash_ptr, MAC);
  const ok = ctEqual(MAC, other_ptr, HASH);
  wipe(MAC, HASH);
  return ok ? OK : ERR_VERIFY_FAILED;
}

/** The PSK binder (32 bytes) over the transcript hash (32) at hash_ptr into out_ptr. Until both directions run on application keys. */
export function tid_tls_binder(ctx: u32, hash_ptr: usize, out_ptr: usize): i32 {
  return binderCall(ctx, hash_ptr, out_ptr, false);
}

/** Compare the 32-byte binder at binder_ptr with the binder over hash_ptr in constant time: OK or ERR_VERIFY_FAILED. */
export function tid_tls_verify_binder(ctx: u32, hash_ptr: usize, binder_ptr: usize): i32 {
  return binderCall(ctx, hash_ptr, binder_ptr, true);
}

/**
 * Handshake secrets from Transcript-Hash(ClientHello..ServerHello) (32 bytes at hash_ptr); both
 * directions switch to the handshake traffic keys, sequence numbers 0. Once per context.
 */
export function tid_tls_derive_handshake(ctx: u32, hash_ptr: usize): i32 {
  const c = openCtx(ctx);
  if (c == 0) return why(ctx);
  const st = inPhase(c, PHASE_EARLY, PHASE_EARLY);
  if (st != OK) return st;
  if (!inBounds(hash_ptr, HASH)) return ERR_OUT_OF_BOUNDS;
  tlsDeriveHandshake(c, hash_ptr);
  return OK;
}

function finishedCall(ctx: u32, side: u32, hash_ptr: usize, other_ptr: usize, verify: bool): i32 {
  const c = openCtx(ctx);
  if (c == 0) return why(ctx);
  const st = inPhase(c, PHASE_HANDSHAKE, PHASE_APPLICATION);
  if (st != OK) return st;
  if (side > 1) return ERR_BAD_PARAM;
  if (!inBounds(hash_ptr, HASH) || !inBounds(other_ptr, HASH)) return ERR_OUT_OF_BOUNDS;
  if (!verify) {
    tlsFinished(c, side, hash_ptr, other_ptr);
    return OK;
  }
  tlsFinished(c, side, hash_ptr, MAC);
  const ok = ctEqual(MAC, other_ptr, HASH);
  wipe(MAC, HASH);
  return ok ? OK : ERR_VERIFY_FAILED;
}

/** Finished.verify_data (32) of `side`'s (0 client, 1 server) handshake traffic secret over hash_ptr into out_ptr. */
export function tid_tls_finished(ctx: u32, side: u32, hash_ptr: usize, out_ptr: usize): i32 {
  return finishedCall(ctx, side, hash_ptr, out_ptr, false);
}

/** Compare the 32-byte verify_data at verify_ptr with `side`'s in constant time: OK or ERR_VERIFY_FAILED. */
export function tid_tls_verify_finished(ctx: u32, side: u32, hash_ptr: usize, verify_ptr: usize): i32 {
  return finishedCall(ctx, side, hash_ptr, verify_ptr, true);
}

/**
 * Master secret and the application traffic secrets from Transcript-Hash(ClientHello..server
 * Finished) (32 bytes at hash_ptr). Nothing switches yet. Once per context, after the handshake secrets.
 */
export function tid_tls_derive_application(ctx: u32, hash_ptr: usize): i32 {
  const c = openCtx(ctx);
  if (c == 0) return why(ctx);
  const st = inPhase(c, PHASE_HANDSHAKE, PHASE_HANDSHAKE);
  if (st != OK) return st;
  if (!inBounds(hash_ptr, HASH)) return ERR_OUT_OF_BOUNDS;
  tlsDeriveApplication(c, hash_ptr);
  return OK;
}

/** Switch direction `dir` (0 = read, 1 = write) to its application traffic keys, sequence 0. Once per direction. */
export function tid_tls_use_application(ctx: u32, dir: u32): i32 {
  const c = openCtx(ctx);
  if (c == 0) return why(ctx);
  if (dir > 1) return ERR_BAD_PARAM;
  if (tlsPhase(c) != PHASE_APPLICATION || tlsSwitched(c, dir)) return ERR_WRONG_STATE;
  tlsUseApplication(c, dir);
  return OK;
}

/** KeyUpdate of direction `dir` (0 = read, 1 = write): the next application traffic secret, new key and IV, sequence 0. */
export function tid_tls_key_update(ctx: u32, dir: u32): i32 {
  const c = openCtx(ctx);
  if (c == 0) return why(ctx);
  if (dir > 1) return ERR_BAD_PARAM;
  if (!tlsSwitched(c, dir)) return ERR_WRONG_STATE;
  tlsKeyUpdate(c, dir);
  return OK;
}

// ---------------------------------------------------------------- records

/**
 * Seal one record in the write direction: header (5) ‖ encrypted content ‖ type ‖ tag (16), in_len + 22
 * bytes to out_ptr. `type` 1..255 (ERR_BAD_PARAM), in_len ≤ 16384 (ERR_BAD_LENGTH); in_ptr is
 * out_ptr + 5 (in place) or disjoint from the record (ERR_BAD_PARAM). ERR_WRONG_STATE before the
 * handshake secrets; ERR_REPLAY when the sequence number is exhausted.
 */
export function tid_tls_seal(ctx: u32, type: u32, in_ptr: usize, in_len: usize, out_ptr: usize): i32 {
  const c = openCtx(ctx);
  if (c == 0) return why(ctx);
  const d = tlsDirection(c, 1);
  if (!recordKeyed(d)) return ERR_WRONG_STATE;
  if (type == 0 || type > 255) return ERR_BAD_PARAM;
  if (in_len > RECORD_MAX_PLAINTEXT) return ERR_BAD_LENGTH;
  const recLen = RECORD_HEADER_SIZE + in_len + 1 + RECORD_TAG_SIZE;
  if (!inBounds(in_ptr, in_len) || !inBounds(out_ptr, recLen)) return ERR_OUT_OF_BOUNDS;
  if (in_ptr != out_ptr + RECORD_HEADER_SIZE && overlaps(in_ptr, in_len, out_ptr, recLen)) return ERR_BAD_PARAM;
  return recordSeal(d, <u8>type, in_ptr, in_len, out_ptr);
}

/**
 * Open one record (header ‖ ciphertext ‖ tag, rec_len ≤ 5 + 16640, else ERR_BAD_LENGTH) in the
 * read direction into out_ptr (room for rec_len − 21 bytes; out_ptr is rec_ptr + 5 or disjoint
 * from the record). OK: the content at out_ptr, its length and real type as two u32 at info_ptr.
 * ERR_VERIFY_FAILED: bad tag, or a record too short to hold one (nothing written). ERR_BAD_FORMAT:
 * the inner plaintext is all zeros (nothing left in out). ERR_REPLAY: sequence number exhausted.
 * The sequence number moves on success only.
 */
export function tid_tls_open(ctx: u32, rec_ptr: usize, rec_len: usize, out_ptr: usize, info_ptr: usize): i32 {
  const c = openCtx(ctx);
  if (c == 0) return why(ctx);
  const d = tlsDirection(c, 0);
  if (!recordKeyed(d)) return ERR_WRONG_STATE;
  if (rec_len > RECORD_HEADER_SIZE + RECORD_MAX_CIPHERTEXT) return ERR_BAD_LENGTH;
  const min = RECORD_HEADER_SIZE + 1 + RECORD_TAG_SIZE;
  const outLen = rec_len >= min ? rec_len - RECORD_HEADER_SIZE - RECORD_TAG_SIZE : 0;
  if (!inBounds(rec_ptr, rec_len) || !inBounds(out_ptr, outLen) || !inBounds(info_ptr, 8)) return ERR_OUT_OF_BOUNDS;
  if (out_ptr != rec_ptr + RECORD_HEADER_SIZE && overlaps(out_ptr, outLen, rec_ptr, rec_len)) return ERR_BAD_PARAM;
  if (overlaps(info_ptr, 8, rec_ptr, rec_len) || overlaps(info_ptr, 8, out_ptr, outLen)) return ERR_BAD_PARAM;
  if (rec_len < min) return ERR_VERIFY_FAILED;
  return recordOpen(d, rec_ptr, rec_len, out_ptr, info_ptr);
}
