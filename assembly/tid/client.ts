// The TID client (docs/abi.md "TID client", docs/protocol.md "Rules"): the five calls of the
// original device SDK, the AEAD message API and the set-up calls, over either backend. Every
// host-given range is checked before use (never a trap), every failure has its own status, and
// nothing changes on failure.
//
// Pending-request rule (docs/protocol.md "Rules"): EVERY call of validate erases the pending
// request before it looks at anything else, whatever it returns — so a second validate of the same
// answer fails with ERR_NO_PENDING_REQUEST, and a rejected answer cannot be retried or probed.
import {
  OK, ERR_BAD_PARAM, ERR_BUFFER_TOO_SHORT, ERR_BAD_LENGTH, ERR_BAD_KEY_INDEX, ERR_OUT_OF_BOUNDS,
  ERR_NOT_INITIALISED, ERR_NO_PENDING_REQUEST, ERR_SLOT_EMPTY, ERR_BUSY, ERR_SE_IO, ERR_TOKEN_IN_SE,
  ERR_UNSUPPORTED_ALGORITHM,
} from "../status";
import { inBounds, wipe, overlaps } from "../mem";
import { sm4EcbEncrypt, sm4EcbDecrypt } from "../sm4/sm4";
import { aesEcb } from "../aes/aes";
import { aesCallKey, aesCallKeyWipe } from "../aes/call-key";
import { SUITE_SM, isIntl, suiteValid } from "./suite";
import { HAS_SM } from "../suites";
import {
  TID_SIZE, PSK_SIZE, TOKEN_SIZE, MAX_EXTRA, AUTH_FLAG_KEEP_SESSION,
  SERVER_DATA_MIN, SERVER_DATA_MAX, authcodeSize,
} from "./wire";
import { checkServerData, issuesToken } from "./server-data";
import {
  BACKEND_SOFT, BACKEND_SE, backend, initialised, identity, IDENTITY_TID, hasIdentity, pending,
  PENDING_SIZE, hasPending, extraLen, activeSlot, lastSw, setBackend, setInitialised,
  setHasIdentity, setHasPending, setActiveSlot, setAuthOptions, setLastSw, erasePending,
  resetState, suite, setSuite,
} from "./state";
import {
  SLOT_COUNT, slotIndexValid, slotLoaded, slotInstall, slotErase, slotEraseAll, slotEcbCtx, slotKey,
  slotSuite, slotGcmCtx,
} from "./slots";
import { softBuildAuthcode, softAuthcode, softWipeAuthcode, softValidate } from "./soft";
import {
  seInit, seBuildAuthcode, seResponse, seValidate, seAbortPending, seImportKey, seSymCrypto,
  seEraseSlot, SE_ERASE_ALL,
} from "./se";
import { linkPin, linkPinned, linkOpen, LINK_KEY_SIZE } from "./se-link";
import { seWipeResponse } from "./apdu";
import { aeadSeal, aeadOpen, AEAD_OVERHEAD, AEAD_COUNTER_SIZE } from "./aead";
import { tlsCloseAll } from "../tls/key-schedule";

// Private copies (zeroed after each call).
const sdBuf: usize = memory.data(<i32>SERVER_DATA_MAX, 16);  // server data
const reqBuf: usize = memory.data(<i32>PENDING_SIZE, 16);    // the erased pending request
const tokBuf: usize = memory.data(<i32>TOKEN_SIZE, 16);      // new token / imported key

/** SE backend: AUTH FINISH also returns the token to the wasm (default: yes). */
let seReturnToken: bool = true;

// A host import (random, now, transceive) must not call back into the module mid-call.
let busy: bool = false;

/**
 * The SE backend is in use. The applet's identity may be of either suite, but its shielded link
 * runs on SM2, SM3 and SM4 whatever the suite, so a build without suite SM (suites.ts) has no SE
 * backend: this is then false at compile time.
 */
// @ts-ignore: decorator
@inline
function seBackend(): bool {
  return HAS_SM && backend == BACKEND_SE;
}

/** True while a call is running (an import calling back in sees this and gets ERR_BUSY). */
export function callInProgress(): bool {
  return busy;
}

/** Enter a call that may talk to the SE: mark busy and forget the previous call's SW. */
// @ts-ignore: decorator
@inline
function enter(): void {
  busy = true;
  setLastSw(0);
}

// @ts-ignore: decorator
@inline
function cell(ptr: usize): bool {
  return inBounds(ptr, 4);
}

// ---------------------------------------------------------------------------------------------
// set-up

/** Choose the backend (1 = soft, 2 = SE). Zeroes every key, the pending request and options. */
export function setBackendKind(kind: i32): i32 {
  if (busy) return ERR_BUSY;
  if (kind != BACKEND_SOFT && kind != BACKEND_SE) return ERR_BAD_PARAM;
  if (kind == BACKEND_SE && !HAS_SM) return ERR_UNSUPPORTED_ALGORITHM;  // the shielded link is SM2/SM3/SM4
  closeLocal();
  setBackend(kind);
  return OK;
}

/**
 * Soft backend: load TID (8) ‖ PSK (16), suite SM, or TID ‖ PSK ‖ suite (1 byte: 0 SM, 1 INTL),
 * from [ptr, ptr+len). ERR_UNSUPPORTED_ALGORITHM for another suite byte. The host wipes its copy.
 */
export function softLoadIdentity(ptr: usize, len: u32): i32 {
  if (busy) return ERR_BUSY;
  if (backend != BACKEND_SOFT) return seBackend() ? ERR_BAD_PARAM : ERR_NOT_INITIALISED;
  if (len != TID_SIZE + PSK_SIZE && len != TID_SIZE + PSK_SIZE + 1) return ERR_BAD_LENGTH;
  if (!inBounds(ptr, len)) return ERR_OUT_OF_BOUNDS;
  const s: u32 = len == TID_SIZE + PSK_SIZE ? SUITE_SM : <u32>load<u8>(ptr + TID_SIZE + PSK_SIZE);
  if (!suiteValid(s)) return ERR_UNSUPPORTED_ALGORITHM;
  erasePending();
  memory.copy(identity, ptr, TID_SIZE + PSK_SIZE);
  setSuite(s);
  setHasIdentity(true);
  setInitialised(false);
  return OK;
}

/** Flags (bit 0 = keep the current session) and extra data (0..512 bytes) of the next authcodes. */
export function setAuthcodeOptions(flags: u32, extraPtr: usize, len: u32): i32 {
  if (busy) return ERR_BUSY;
  if ((flags & ~(<u32>AUTH_FLAG_KEEP_SESSION)) != 0) return ERR_BAD_PARAM;
  if (len > MAX_EXTRA) return ERR_BAD_LENGTH;
  if (!inBounds(extraPtr, len)) return ERR_OUT_OF_BOUNDS;
  setAuthOptions(flags, extraPtr, len);
  return OK;
}

/** The slot validate installs new tokens into (0..7; default 0). */
export function setActiveSlotIndex(i: i32): i32 {
  if (busy) return ERR_BUSY;
  if (!slotIndexValid(i)) return ERR_BAD_KEY_INDEX;
  setActiveSlot(i);
  return OK;
}

/** SE backend: 1 = AUTH FINISH returns the token to the wasm (default), 0 = it stays in the SE. */
export function setSeReturnToken(on: i32): i32 {
  if (busy) return ERR_BUSY;
  if (on != 0 && on != 1) return ERR_BAD_PARAM;
  seReturnToken = on == 1;
  return OK;
}

/**
 * SE backend: pin the SE's public link key (64 bytes x ‖ y) so every command goes through the
 * shielded link (docs/se-profile.md "The shielded link"); len 0 unpins. Any session ends.
 */
export function setSeLinkKey(ptr: usize, len: u32): i32 {
  if (busy) return ERR_BUSY;
  if (!seBackend()) return backend == BACKEND_SOFT ? ERR_BAD_PARAM : ERR_NOT_INITIALISED;
  if (len != 0 && len != LINK_KEY_SIZE) return ERR_BAD_LENGTH;
  if (!inBounds(ptr, len)) return ERR_OUT_OF_BOUNDS;
  return linkPin(ptr, len);
}

/** 0 = unshielded (no key pinned), 1 = shielded (a key is pinned), 2 = shielded with a session open. */
export function seLinkState(): i32 {
  return !linkPinned() ? 0 : linkOpen() ? 2 : 1;
}

/** Write the device TID (8 bytes) to `out`. */
export function getTid(out: usize): i32 {
  if (busy) return ERR_BUSY;
  if (!initialised) return ERR_NOT_INITIALISED;
  if (!inBounds(out, TID_SIZE)) return ERR_OUT_OF_BOUNDS;
  memory.copy(out, identity + IDENTITY_TID, TID_SIZE);
  return OK;
}

/**
 * The session token of slot `i` (-1 = the active slot) into the 16 bytes at `out`, for TID-TLS
 * (assembly/abi/tls.ts): ERR_BAD_KEY_INDEX, ERR_TOKEN_IN_SE when the slot has no copy because the
 * SE backend keeps its tokens inside the SE (tid_se_return_token(0)), ERR_SLOT_EMPTY otherwise.
 */
export function slotToken(i: i32, out: usize): i32 {
  if (busy) return ERR_BUSY;
  const index = i == -1 ? activeSlot : i;
  if (!slotIndexValid(index)) return ERR_BAD_KEY_INDEX;
  if (!slotLoaded(index)) return seBackend() && !seReturnToken ? ERR_TOKEN_IN_SE : ERR_SLOT_EMPTY;
  slotKey(index, out);
  return OK;
}

/** The identity's suite: 0 SM, 1 INTL (SM until an identity names another). */
export function clientSuite(): i32 {
  return <i32>suite;
}

export function slotCount(): i32 {
  return SLOT_COUNT;
}

/** Last SE status word (0 before any exchange). */
export function lastStatusWord(): i32 {
  return <i32>lastSw;
}

/** Zero all local state: identity, pending request, options, slots, TLS contexts, scratch. */
function closeLocal(): void {
  resetState();
  slotEraseAll();
  tlsCloseAll();
  wipe(sdBuf, SERVER_DATA_MAX);
  wipe(reqBuf, PENDING_SIZE);
  wipe(tokBuf, TOKEN_SIZE);
  softWipeAuthcode();
  if (HAS_SM) {
    seWipeResponse();
    linkPin(0, 0);
  }
  seReturnToken = true;
}

/** Zero everything; with the SE backend, also erase every SE session slot (best effort). */
export function clientClose(): i32 {
  if (busy) return ERR_BUSY;
  enter();
  let st = OK;
  if (seBackend() && initialised) st = seEraseSlot(SE_ERASE_ALL);
  closeLocal();
  busy = false;
  return st;
}

/** Erase session slot `i` (SE backend: in the SE too). */
export function eraseSlot(i: i32): i32 {
  if (busy) return ERR_BUSY;
  if (!initialised) return ERR_NOT_INITIALISED;
  if (!slotIndexValid(i)) return ERR_BAD_KEY_INDEX;
  enter();
  let st = OK;
  if (seBackend()) st = seEraseSlot(i);
  slotErase(i);
  busy = false;
  return st;
}

// ---------------------------------------------------------------------------------------------
// the five calls

export function clientInit(): i32 {
  if (busy) return ERR_BUSY;
  if (backend == BACKEND_SOFT) {
    if (!hasIdentity) return ERR_SLOT_EMPTY;
    erasePending();
    setInitialised(true);
    return OK;
  }
  if (!seBackend()) return ERR_NOT_INITIALISED;
  enter();
  erasePending();
  const st = seInit();
  setInitialised(st == OK);
  busy = false;
  return st;
}

export function clientGetAuthcode(out: usize, bufLenPtr: usize): i32 {
  if (busy) return ERR_BUSY;
  if (!initialised) return ERR_NOT_INITIALISED;
  if (!cell(bufLenPtr)) return ERR_OUT_OF_BOUNDS;
  const needed = authcodeSize(extraLen);
  if (load<u32>(bufLenPtr) < needed) {
    store<u32>(bufLenPtr, needed);
    return ERR_BUFFER_TOO_SHORT;
  }
  if (!inBounds(out, needed)) return ERR_OUT_OF_BOUNDS;
  enter();
  erasePending();
  let n: i32;
  if (!seBackend()) {
    n = softBuildAuthcode();
    if (n > 0) memory.copy(out, softAuthcode(), <usize>n);
    softWipeAuthcode();
  } else {
    n = seBuildAuthcode();
    if (n > 0) {
      memory.copy(out, seResponse(), <usize>n);
      setHasPending(true);
    }
    seWipeResponse();
  }
  busy = false;
  if (n < 0) return n;
  store<u32>(bufLenPtr, <u32>n);
  return OK;
}

export function clientValidate(data: usize, dataLen: u32, tokenOut: usize, tokenLenPtr: usize): i32 {
  if (busy) return ERR_BUSY;
  if (!initialised) return ERR_NOT_INITIALISED;
  // Take the pending request out of the state first: this call consumes it, whatever happens.
  const had = hasPending;
  memory.copy(reqBuf, pending, PENDING_SIZE);
  erasePending();
  if (!had) {
    wipe(reqBuf, PENDING_SIZE);
    return ERR_NO_PENDING_REQUEST;
  }
  enter();
  const se = seBackend();
  let sentToSe = false;
  let st = OK;
  let r: i32 = 0;
  if (!cell(tokenLenPtr)) st = ERR_OUT_OF_BOUNDS;
  else if (load<u32>(tokenLenPtr) < TOKEN_SIZE) {
    store<u32>(tokenLenPtr, TOKEN_SIZE);
    st = ERR_BUFFER_TOO_SHORT;
  } else if (!inBounds(tokenOut, TOKEN_SIZE) || !inBounds(data, dataLen)) st = ERR_OUT_OF_BOUNDS;
  else if (dataLen < SERVER_DATA_MIN || dataLen > SERVER_DATA_MAX) st = ERR_BAD_LENGTH;
  if (st == OK) {
    memory.copy(sdBuf, data, dataLen);
    if (!se) {
      r = softValidate(sdBuf, dataLen, reqBuf, tokBuf);
    } else {
      // The wasm checks the public fields itself, so both backends report the same statuses.
      st = checkServerData(sdBuf, dataLen, identity + IDENTITY_TID, suite);
      if (st == OK) {
        sentToSe = true;
        r = seValidate(sdBuf, dataLen, activeSlot, seReturnToken, issuesToken(sdBuf), tokBuf);
      }
    }
    if (st == OK && r < 0) st = r;
  }
  if (se && !sentToSe) {
    // The SE must forget its request too. Its answer to this internal abort (6700) is not the
    // reason the call failed, so it is not left in tid_last_sw.
    const abort = seAbortPending(activeSlot);
    if (abort == OK) setLastSw(0);
    if (st == OK) st = abort;
  }
  if (st == OK) {
    if (r == <i32>TOKEN_SIZE) {
      slotInstall(activeSlot, tokBuf, suite);  // SE backend: the wasm's copy, for seal/open
      memory.copy(tokenOut, tokBuf, TOKEN_SIZE);
      store<u32>(tokenLenPtr, TOKEN_SIZE);
    } else {
      // No token returned. Soft: none was issued, the slot keeps its key. SE: if one was issued
      // it stays in the SE only, so the wasm's copy of that slot is now stale.
      if (se && issuesToken(sdBuf)) {
        slotErase(activeSlot);
        if (seReturnToken) st = ERR_SE_IO;  // asked for the token and did not get it
      }
      if (st == OK) store<u32>(tokenLenPtr, 0);
    }
  }
  wipe(sdBuf, SERVER_DATA_MAX);
  wipe(reqBuf, PENDING_SIZE);
  wipe(tokBuf, TOKEN_SIZE);
  busy = false;
  return st;
}

export function clientImportSessionKey(key: usize, keyLen: i32, index: i32): i32 {
  if (busy) return ERR_BUSY;
  if (!initialised) return ERR_NOT_INITIALISED;
  if (!slotIndexValid(index)) return ERR_BAD_KEY_INDEX;
  if (keyLen != <i32>TOKEN_SIZE) return ERR_BAD_LENGTH;
  if (!inBounds(key, TOKEN_SIZE)) return ERR_OUT_OF_BOUNDS;
  enter();
  memory.copy(tokBuf, key, TOKEN_SIZE);
  let st = OK;
  if (seBackend()) st = seImportKey(index, tokBuf);
  if (st == OK) slotInstall(index, tokBuf, suite);
  wipe(tokBuf, TOKEN_SIZE);
  busy = false;
  return st;
}

export function clientSymCrypto(src: usize, dst: usize, len: i32, index: i32, isEnc: i32): i32 {
  if (busy) return ERR_BUSY;
  if (!initialised) return ERR_NOT_INITIALISED;
  if (!slotIndexValid(index)) return ERR_BAD_KEY_INDEX;
  if (len <= 0 || (len & 15) != 0) return ERR_BAD_LENGTH;
  if (isEnc != 0 && isEnc != 1) return ERR_BAD_PARAM;
  if (!inBounds(src, <usize>len) || !inBounds(dst, <usize>len)) return ERR_OUT_OF_BOUNDS;
  if (src != dst && overlaps(src, <usize>len, dst, <usize>len)) return ERR_BAD_PARAM;
  if (seBackend()) {
    enter();
    const st = seSymCrypto(src, dst, <u32>len, index, isEnc == 1);
    busy = false;
    return st;
  }
  if (!slotLoaded(index)) return ERR_SLOT_EMPTY;
  if (isIntl(slotSuite(index))) {
    aesEcb(aesCallKey(slotGcmCtx(index)), src, dst, <usize>len, isEnc != 1);
    aesCallKeyWipe();
  } else if (isEnc == 1) sm4EcbEncrypt(slotEcbCtx(index), src, dst, <usize>len);
  else sm4EcbDecrypt(slotEcbCtx(index), src, dst, <usize>len);
  return OK;
}

// ---------------------------------------------------------------------------------------------
// AEAD messages (the wasm's copy of the slot key, both backends)

export function clientSeal(index: i32, src: usize, len: u32, aad: usize, aadLen: u32, dst: usize, outLenPtr: usize): i32 {
  if (busy) return ERR_BUSY;
  if (!initialised) return ERR_NOT_INITIALISED;
  if (!slotIndexValid(index)) return ERR_BAD_KEY_INDEX;
  if (!cell(outLenPtr) || !inBounds(src, len) || !inBounds(aad, aadLen)) return ERR_OUT_OF_BOUNDS;
  const needed = len + AEAD_OVERHEAD;  // no overflow: len fits in memory
  if (load<u32>(outLenPtr) < needed) {
    store<u32>(outLenPtr, needed);
    return ERR_BUFFER_TOO_SHORT;
  }
  if (!inBounds(dst, needed)) return ERR_OUT_OF_BOUNDS;
  // In place (src == dst + 8) or disjoint; the AAD never overlaps the output.
  if (src != dst + AEAD_COUNTER_SIZE && overlaps(src, len, dst, needed)) return ERR_BAD_PARAM;
  if (overlaps(aad, aadLen, dst, needed)) return ERR_BAD_PARAM;
  if (!slotLoaded(index)) return ERR_SLOT_EMPTY;
  const st = aeadSeal(index, src, len, aad, aadLen, dst);
  if (st == OK) store<u32>(outLenPtr, needed);
  return st;
}

export function clientOpen(index: i32, src: usize, len: u32, aad: usize, aadLen: u32, dst: usize, outLenPtr: usize): i32 {
  if (busy) return ERR_BUSY;
  if (!initialised) return ERR_NOT_INITIALISED;
  if (!slotIndexValid(index)) return ERR_BAD_KEY_INDEX;
  if (!cell(outLenPtr) || !inBounds(src, len) || !inBounds(aad, aadLen)) return ERR_OUT_OF_BOUNDS;
  if (len < AEAD_OVERHEAD) return ERR_BAD_LENGTH;
  const needed = len - AEAD_OVERHEAD;
  if (load<u32>(outLenPtr) < needed) {
    store<u32>(outLenPtr, needed);
    return ERR_BUFFER_TOO_SHORT;
  }
  if (!inBounds(dst, needed)) return ERR_OUT_OF_BOUNDS;
  // In place (dst == src + 8) or disjoint; the AAD never overlaps the output.
  if (dst != src + AEAD_COUNTER_SIZE && overlaps(src, len, dst, needed)) return ERR_BAD_PARAM;
  if (overlaps(aad, aadLen, dst, needed)) return ERR_BAD_PARAM;
  if (!slotLoaded(index)) return ERR_SLOT_EMPTY;
  const st = aeadOpen(index, src, len, aad, aadLen, dst);
  if (st == OK) store<u32>(outLenPtr, needed);
  return st;
}
