// SE backend (docs/se-profile.md "TID applet v1"): the TID, the PSK, the
// pending request and the session slots live in the secure element; the wasm builds the APDUs
// and sends them through `transceive`. The wire bytes of authcode and server data are those of
// the soft backend. Status words map to the statuses the soft backend reports (profile table).
// The identity's suite is the applet's (docs/se-profile.md "Algorithm suites"): seInit reads it
// with the TID (GET DATA 00 05; an applet older than suites answers 6A86 and is suite SM), and the
// client's authcode and server-data checks follow it; the shielded link is SM2/SM3/SM4 in both.
// With a pinned link key every command after SELECT goes through the shielded link (se-link.ts);
// a lost session is reopened once and the command repeated only when that is safe (`run`).
import {
  OK, ERR_SE_IO, ERR_SE_STATUS_WORD, ERR_BAD_LENGTH, ERR_BAD_PARAM, ERR_BAD_KEY_INDEX,
  ERR_SLOT_EMPTY, ERR_NOT_INITIALISED, ERR_NO_PENDING_REQUEST, ERR_VERIFY_FAILED,
  ERR_TID_MISMATCH, ERR_BAD_FORMAT, ERR_BAD_POINT, ERR_UNSUPPORTED_VERSION,
  ERR_UNSUPPORTED_ALGORITHM, ERR_CLOCK_FAILED, ERR_SE_SESSION_LOST,
} from "../status";
import { wipe } from "../mem";
import { hostTime } from "../host";
import {
  TID_SIZE, TOKEN_SIZE, MAX_EXTRA, TID_VERSION,
  TID_NONCE_LEN_CODE, OFF_TID, OFF_FLAGS, authcodeSize, storeBe16, storeBe32, loadBe16,
} from "./wire";
import { suiteAlgSym, suiteAlgKa, suiteValid, SUITE_SM } from "./suite";
import { seCommand, seRsp, seRspLen, seLastSw, seWipeResponse } from "./apdu";
import { linkPinned, linkOpen, linkOpenSession, linkCommand, linkEnd } from "./se-link";
import { identity, IDENTITY_TID, setHasIdentity, authFlags, extraLen, extraData, suite, setSuite } from "./state";

const CLA_ISO: u8 = 0x00;
const CLA_PROP: u8 = 0x80;
const INS_SELECT: u8 = 0xa4;
const INS_GET_DATA: u8 = 0xca;
const INS_AUTH: u8 = 0xdc;
const INS_LOAD_KEY: u8 = 0x5a;
const INS_SM4: u8 = 0xda;
const INS_ERASE: u8 = 0xec;
const AUTH_BEGIN: u8 = 0x01;
const AUTH_FINISH: u8 = 0x02;
const FINISH_RETURN_TOKEN: u8 = 0x80;
const TAG_TID: u8 = 0x01;
const TAG_SUITE: u8 = 0x05;
/** GET DATA's answer to a tag the applet does not know: an applet older than suites (suite SM). */
const SW_UNKNOWN_TAG: u32 = 0x6a86;
/** CIPHER data per command: 15 blocks fit one short APDU and its response (14 when shielded). */
const SM4_CHUNK: u32 = 240;
const SM4_CHUNK_SHIELDED: u32 = 224;

// When a shielded command may be sent again after its session was lost (docs/hal.md).
const REPEAT_IF_NOT_RUN: i32 = 1;  // only when the SE said it did not run it (a bare 6982)
const REPEAT_SAFE: i32 = 2;        // repeating it has the same effect, or its answer was never seen
export const SE_ERASE_ALL: i32 = 0xff;

/** AID of the TID applet: F0 ‖ "TIDAPPv1". */
const AID: usize = memory.data<u8>([0xf0, 0x54, 0x49, 0x44, 0x41, 0x50, 0x50, 0x76, 0x31]);
const AID_SIZE: u32 = 9;

const req: usize = memory.data(<i32>(6 + MAX_EXTRA), 16);  // AUTH BEGIN data: flags ‖ time ‖ extra
const one: usize = memory.data(1, 1);                        // the 1-byte AUTH FINISH that only erases

/**
 * One command of the profile: in clear when no link key is pinned, otherwise protected, opening
 * the secure session first when none is open. When the session is lost during the command (a
 * bare 6982, a response that fails its R-MAC, a link fault), a new session is opened once and the
 * command repeated if `repeat` allows; otherwise the loss is the result (ERR_SE_SESSION_LOST for
 * the SE's 6982, else ERR_SE_BAD_MAC or the link's status).
 */
function run(cla: u8, ins: u8, p1: u8, p2: u8, data: usize, len: u32, withLe: bool, repeat: i32): i32 {
  if (!linkPinned()) return seCommand(cla, ins, p1, p2, data, len, withLe);
  for (let attempt = 0; ; attempt++) {
    if (!linkOpen()) {
      const st = linkOpenSession();
      if (st != OK) return st;
    }
    const st = linkCommand(cla, ins, p1, p2, data, len);
    if (st == OK || linkOpen()) return st;           // 9000, or another SW with a valid R-MAC
    const notRun = st == ERR_SE_SESSION_LOST;
    if (attempt == 0 && (repeat == REPEAT_SAFE || (notRun && repeat == REPEAT_IF_NOT_RUN))) continue;
    return st;
  }
}

/** Map the SW of a failed command to the soft backend's status (docs/se-profile.md table). */
function swStatus(st: i32, slotField: bool, finish: bool): i32 {
  if (st != ERR_SE_STATUS_WORD) return st;   // transport/link failure, or OK
  const sw = seLastSw();
  switch (sw) {
    case 0x6300: return ERR_VERIFY_FAILED;
    case 0x6700: return ERR_BAD_LENGTH;
    case 0x6984: return ERR_TID_MISMATCH;
    case 0x6985: return finish ? ERR_NO_PENDING_REQUEST : ERR_NOT_INITIALISED;
    // After the wasm's own format checks pass, the only 6A80 AUTH FINISH can answer is a bad Qs.
    case 0x6a80: return finish ? ERR_BAD_POINT : ERR_BAD_FORMAT;
    case 0x6a81: return ERR_UNSUPPORTED_VERSION;
    case 0x6a86: return slotField ? ERR_BAD_KEY_INDEX : ERR_BAD_PARAM;
    case 0x6a88: return slotField ? ERR_SLOT_EMPTY : ERR_NOT_INITIALISED;
    case 0x9484: return ERR_UNSUPPORTED_ALGORITHM;
  }
  return ERR_SE_STATUS_WORD;
}

/**
 * SELECT the applet, read the TID (GET DATA 00 01) into the identity and its suite (GET DATA 00 05)
 * into the client's suite. 6A86 for the suite (an applet older than suites) is suite SM; a suite
 * byte this build does not contain (suites.ts) is ERR_UNSUPPORTED_ALGORITHM, and nothing is set.
 */
export function seInit(): i32 {
  // SELECT is never protected; it ends the SE's secure session, so the host forgets its own
  linkEnd();
  let st = seCommand(CLA_ISO, INS_SELECT, 0x04, 0x00, AID, AID_SIZE, true);
  seWipeResponse();
  if (st != OK) return swStatus(st, false, false);
  st = run(CLA_PROP, INS_GET_DATA, 0x00, TAG_TID, 0, 0, true, REPEAT_SAFE);
  if (st == OK && seRspLen != TID_SIZE) st = ERR_SE_IO;
  if (st != OK) {
    seWipeResponse();
    return swStatus(st, false, false);
  }
  memory.copy(identity + IDENTITY_TID, seRsp, TID_SIZE);
  seWipeResponse();
  let s: u32 = SUITE_SM;
  st = run(CLA_PROP, INS_GET_DATA, 0x00, TAG_SUITE, 0, 0, true, REPEAT_SAFE);
  if (st == OK) {
    if (seRspLen != 1) st = ERR_SE_IO;
    else s = <u32>load<u8>(seRsp);
  } else if (st == ERR_SE_STATUS_WORD && seLastSw() == SW_UNKNOWN_TAG) {
    st = OK;
  }
  seWipeResponse();
  if (st == OK && !suiteValid(s)) st = ERR_UNSUPPORTED_ALGORITHM;
  if (st != OK) {
    wipe(identity + IDENTITY_TID, TID_SIZE);
    setHasIdentity(false);
    return swStatus(st, false, false);
  }
  setSuite(s);
  setHasIdentity(true);
  return OK;
}

/**
 * AUTH BEGIN: the SE builds the authcode and keeps the pending request. The authcode is left in
 * seRsp (the caller copies it out and wipes it); returns its length or a negative status
 * (ERR_CLOCK_FAILED, before any APDU, when the host's clock fails).
 */
export function seBuildAuthcode(): i32 {
  const time = hostTime();
  if (time < 0) return ERR_CLOCK_FAILED;
  storeBe16(req, authFlags);
  storeBe32(req + 2, <u32>time);
  if (extraLen > 0) memory.copy(req + 6, extraData, extraLen);
  // repeatable: an AUTH BEGIN whose answer was lost leaves a pending request the host never saw
  const st = run(CLA_PROP, INS_AUTH, AUTH_BEGIN, 0x00, req, 6 + extraLen, true, REPEAT_SAFE);
  wipe(req, 6 + MAX_EXTRA);
  if (st != OK) {
    seWipeResponse();
    return swStatus(st, false, false);
  }
  // The SE must answer with a well-formed authcode for this identity and these options.
  const n = seRspLen;
  if (
    n != authcodeSize(extraLen) ||
    load<u8>(seRsp) != TID_VERSION || load<u8>(seRsp + 1) != suiteAlgSym(suite) ||
    load<u8>(seRsp + 2) != suiteAlgKa(suite) || load<u8>(seRsp + 3) != TID_NONCE_LEN_CODE ||
    loadBe16(seRsp + OFF_FLAGS) != authFlags ||
    memory.compare(seRsp + OFF_TID, identity + IDENTITY_TID, TID_SIZE) != 0
  ) {
    seWipeResponse();
    return ERR_SE_IO;
  }
  return <i32>n;
}

/** The authcode (or other response) left by the last command. */
export function seResponse(): usize {
  return seRsp;
}

/**
 * AUTH FINISH with server data the wasm already checked (format, version, algorithms, TID).
 * The token goes to `slot`; with `returnToken` it is also written to `tokenOut`.
 * `tokenIssued` is the server data's flags bit 0: the SE must answer with exactly a token when
 * one was issued and asked for, and with nothing otherwise; any other answer is ERR_SE_IO.
 * Returns TOKEN_SIZE (token written), 0 (no token returned) or a negative status.
 */
export function seValidate(sd: usize, len: u32, slot: i32, returnToken: bool, tokenIssued: bool, tokenOut: usize): i32 {
  const p2 = <u8>slot | (returnToken ? FINISH_RETURN_TOKEN : 0);
  // AUTH FINISH erases the pending request whatever its outcome: repeated only when it did not run
  let st = run(CLA_PROP, INS_AUTH, AUTH_FINISH, p2, sd, len, true, REPEAT_IF_NOT_RUN);
  if (st == OK) {
    const expected: u32 = returnToken && tokenIssued ? TOKEN_SIZE : 0;
    if (seRspLen != expected) {
      st = ERR_SE_IO;
    } else if (expected != 0) {
      memory.copy(tokenOut, seRsp, TOKEN_SIZE);
      st = <i32>TOKEN_SIZE;
    }
  } else {
    st = swStatus(st, true, true);
  }
  seWipeResponse();
  return st;
}

/**
 * Erase the SE's pending request without a full AUTH FINISH (used when the wasm rejects the
 * server data itself): a 1-byte AUTH FINISH, which the SE erases on and then refuses (6700).
 */
export function seAbortPending(slot: i32): i32 {
  store<u8>(one, 0);
  const st = run(CLA_PROP, INS_AUTH, AUTH_FINISH, <u8>slot, one, 1, false, REPEAT_IF_NOT_RUN);
  seWipeResponse();
  if (st == OK || st == ERR_SE_STATUS_WORD) return OK;  // 6700 / 6985 expected: the request is gone
  return st;
}

/** LOAD SESSION KEY: install the 16-byte key at `key` into SE slot `slot`. */
export function seImportKey(slot: i32, key: usize): i32 {
  const st = run(CLA_PROP, INS_LOAD_KEY, 0x00, <u8>slot, key, TOKEN_SIZE, false, REPEAT_SAFE);
  seWipeResponse();
  return swStatus(st, true, false);
}

/**
 * CIPHER: raw ECB of the identity's suite (SM4, or AES-128 in suite INTL) of `len` bytes (a positive multiple of 16) with SE slot `slot`.
 * Long data takes several commands; if a later one fails, the output already written is zeroed,
 * so a failed call never releases part of a result.
 */
export function seSymCrypto(src: usize, dst: usize, len: u32, slot: i32, encrypt: bool): i32 {
  const chunk = linkPinned() ? SM4_CHUNK_SHIELDED : SM4_CHUNK;
  let off: u32 = 0;
  while (off < len) {
    const n = min<u32>(chunk, len - off);
    let st = run(CLA_PROP, INS_SM4, encrypt ? 0x01 : 0x00, <u8>slot, src + off, n, true, REPEAT_SAFE);
    if (st == OK && seRspLen != n) st = ERR_SE_IO;
    if (st != OK) {
      seWipeResponse();
      wipe(dst, off);
      return swStatus(st, true, false);
    }
    memory.copy(dst + off, seRsp, n);
    seWipeResponse();
    off += n;
  }
  return OK;
}

/** ERASE SLOT: wipe SE slot `slot` (0..7), or every slot with SE_ERASE_ALL. */
export function seEraseSlot(slot: i32): i32 {
  const st = run(CLA_PROP, INS_ERASE, 0x00, <u8>slot, 0, 0, false, REPEAT_SAFE);
  seWipeResponse();
  return swStatus(st, true, false);
}

