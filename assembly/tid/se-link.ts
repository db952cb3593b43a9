// The host half of the shielded SE link (docs/se-profile.md "The shielded link"): the SE's
// pinned public link key, OPEN SECURE SESSION (two SM2 ECDH values, the SM3 KDF of
// GB/T 32918.4, the CMAC-SM4 receipt that proves the pinned SE answered) and the secure
// messaging of every later command (SM4-CBC with a counter-derived ICV, a chained CMAC-SM4
// C-MAC, R-MAC and encrypted responses, after GlobalPlatform SCP03). The session keys live
// here, in linear memory, and nowhere else; every scratch that held a secret is wiped.
import {
  OK, ERR_BAD_POINT, ERR_BAD_LENGTH, ERR_RNG_FAILED, ERR_SE_STATUS_WORD, ERR_SE_NOT_AUTHENTIC,
  ERR_SE_BAD_MAC, ERR_SE_SESSION_LOST,
} from "../status";
import { wipe } from "../mem";
import { ctEqual } from "../ct";
import { hostRandom } from "../host";
import { sm2Keygen, sm2Ecdh, sm2CheckPublic } from "../sm2/keys";
import { sm3Kdf } from "../sm3/kdf";
import { SM4_KEY_CTX_SIZE, sm4SetKey, sm4Crypt1 } from "../sm4/sm4";
import { sm4CbcEncrypt, sm4CbcDecrypt } from "../sm4/modes";
import { sm4CmacFinal } from "../sm4/cmac";
import { seCommand, seRsp, seRspLen, seSetRspLen, seLastSw, seWipeResponse } from "./apdu";

const CLA_PROP: u8 = 0x80;
const INS_OPEN: u8 = 0x88;
/** CLA bit of a protected command (ISO/IEC 7816-4 secure messaging, proprietary format). */
export const CLA_SM: u8 = 0x04;
/** PK.SE: an SM2 public key x ‖ y. */
export const LINK_KEY_SIZE: u32 = 64;
const PK_SIZE: u32 = LINK_KEY_SIZE;
const CHALLENGE_SIZE: u32 = 16;
const OPEN_SIZE: u32 = PK_SIZE + CHALLENGE_SIZE;       // 80: ePK ‖ challenge, ePK ‖ receipt
const MAC_SIZE: u32 = 8;
/** Largest plain command / response data a protected command carries. */
export const SM_MAX_DATA: u32 = 1024;
/** Largest protected data: the padded ciphertext of SM_MAX_DATA bytes and the MAC. */
export const SM_MAX_PROTECTED: u32 = SM_MAX_DATA + 16 + MAC_SIZE;

// "TIDLINK1": the label that starts the KDF's shared info
const LABEL: usize = memory.data<u8>([0x54, 0x49, 0x44, 0x4c, 0x49, 0x4e, 0x4b, 0x31]);
const LABEL_SIZE: u32 = 8;

// Pinned PK.SE and the session (keys as SM4 key schedules).
const PIN: usize = memory.data(<i32>PK_SIZE, 16);
let pinned: bool = false;
let open: bool = false;
let counter: u32 = 0;
const ENC: usize = memory.data(<i32>SM4_KEY_CTX_SIZE, 16);
const MAC: usize = memory.data(<i32>SM4_KEY_CTX_SIZE, 16);
const RMAC: usize = memory.data(<i32>SM4_KEY_CTX_SIZE, 16);
const CHAIN: usize = memory.data(16, 16);

// Scratch. OPEN: eSK.host ‖ the command (ePK.host ‖ challenge) ‖ Zee ‖ Zes ‖ info ‖ KM.
const ESK: usize = memory.data(32, 16);
const Z: usize = memory.data(<i32>(32 + 32 + LABEL_SIZE + 2 * PK_SIZE + CHALLENGE_SIZE), 16);
const Z_SIZE: u32 = 32 + 32 + LABEL_SIZE + 2 * PK_SIZE + CHALLENGE_SIZE;
const INFO: usize = Z + 64;                             // label ‖ ePK.host ‖ ePK.SE ‖ challenge
const CMD: usize = INFO + LABEL_SIZE;                   // ePK.host ‖ ePK.SE ‖ challenge
const KM: usize = memory.data(64, 16);
// Secure messaging: chain(16) ‖ header(6) ‖ ciphertext(≤ 1040) ‖ MAC(16), and the ICV / X cells.
const MSG: usize = memory.data(<i32>(16 + 6 + SM_MAX_DATA + 16 + 16), 16);
const ICV: usize = memory.data(16, 16);
const X: usize = memory.data(16, 16);
const TAG: usize = memory.data(16, 16);

/** Pin PK.SE (64 bytes x ‖ y, checked on the curve); ends any session. len 0 unpins. */
export function linkPin(pk: usize, len: u32): i32 {
  linkEnd();
  if (len == 0) {
    wipe(PIN, PK_SIZE);
    pinned = false;
    return OK;
  }
  if (len != PK_SIZE) return ERR_BAD_LENGTH;
  if (sm2CheckPublic(pk) != OK) return ERR_BAD_POINT;
  memory.copy(PIN, pk, PK_SIZE);
  pinned = true;
  return OK;
}

export function linkPinned(): bool {
  return pinned;
}

export function linkOpen(): bool {
  return open;
}

/** Copy the pinned key (64 bytes) to `out`; false when none is pinned. */
export function linkPinnedKey(out: usize): bool {
  if (pinned) memory.copy(out, PIN, PK_SIZE);
  return pinned;
}

/** Forget the session: keys, chaining value and counter are wiped. */
export function linkEnd(): void {
  open = false;
  counter = 0;
  wipe(ENC, SM4_KEY_CTX_SIZE);
  wipe(MAC, SM4_KEY_CTX_SIZE);
  wipe(RMAC, SM4_KEY_CTX_SIZE);
  wipe(CHAIN, 16);
}

function wipeOpenScratch(): void {
  wipe(ESK, 32);
  wipe(Z, Z_SIZE);
  wipe(KM, 64);
  wipe(X, 16);
  wipe(TAG, 16);
}

/**
 * OPEN SECURE SESSION with the pinned SE. OK with the session installed; ERR_SE_NOT_AUTHENTIC
 * when the answer does not prove the pinned key (an SW other than 9000, a wrong length, ePK.SE
 * off the curve, a receipt that does not match); ERR_RNG_FAILED; or the link's own status.
 */
export function linkOpenSession(): i32 {
  linkEnd();
  // Z = Zee(32) ‖ Zes(32) ‖ "TIDLINK1" ‖ ePK.host(64) ‖ ePK.SE(64) ‖ challenge(16); the command
  // data (ePK.host ‖ challenge) is assembled in MSG
  let st = sm2Keygen(ESK, CMD);
  if (st == OK && hostRandom(CMD + 2 * PK_SIZE, CHALLENGE_SIZE) != 0) st = ERR_RNG_FAILED;
  if (st != OK) {
    wipeOpenScratch();
    return st;
  }
  memory.copy(MSG, CMD, PK_SIZE);
  memory.copy(MSG + PK_SIZE, CMD + 2 * PK_SIZE, CHALLENGE_SIZE);
  st = seCommand(CLA_PROP, INS_OPEN, 0x00, 0x00, MSG, OPEN_SIZE, true);
  wipe(MSG, OPEN_SIZE);
  if (st != OK || seRspLen != OPEN_SIZE) {
    seWipeResponse();
    wipeOpenScratch();
    return st == OK || st == ERR_SE_STATUS_WORD ? ERR_SE_NOT_AUTHENTIC : st;
  }
  memory.copy(CMD + PK_SIZE, seRsp, PK_SIZE);          // ePK.SE
  memory.copy(TAG, seRsp + PK_SIZE, 16);                // the receipt
  seWipeResponse();
  memory.copy(INFO, LABEL, LABEL_SIZE);
  // Zee = x(eSK.host · ePK.SE) (also checks ePK.SE is on the curve), Zes = x(eSK.host · PK.SE)
  if (sm2Ecdh(ESK, CMD + PK_SIZE, Z) != OK || sm2Ecdh(ESK, PIN, Z + 32) != OK) {
    wipeOpenScratch();
    return ERR_SE_NOT_AUTHENTIC;
  }
  wipe(ESK, 32);
  sm3Kdf(Z, Z_SIZE, KM, 64);
  // receipt = CMAC-SM4(receipt key, ePK.host ‖ ePK.SE ‖ challenge)
  sm4SetKey(ENC, KM);
  wipe(X, 16);
  sm4CmacFinal(ENC, X, CMD, 2 * PK_SIZE + CHALLENGE_SIZE, MSG);
  const ok = ctEqual(MSG, TAG, 16);
  if (!ok) {
    wipe(MSG, 16);
    linkEnd();
    wipeOpenScratch();
    return ERR_SE_NOT_AUTHENTIC;
  }
  memory.copy(CHAIN, MSG, 16);                          // the first MAC chaining value
  wipe(MSG, 16);
  sm4SetKey(ENC, KM + 16);
  sm4SetKey(MAC, KM + 32);
  sm4SetKey(RMAC, KM + 48);
  wipeOpenScratch();
  counter = 1;
  open = true;
  return OK;
}

/** ICV block: prefix ‖ 00 × 11 ‖ counter (4, big-endian), encrypted under S-ENC, into ICV. */
function icv(prefix: u8): void {
  wipe(ICV, 16);
  store<u8>(ICV, prefix);
  store<u32>(ICV + 12, bswap<u32>(counter));
  sm4Crypt1(ENC, ICV, ICV);
}

/**
 * Send `CLA INS P1 P2 data` protected and leave the plain response data in seRsp (seRspLen) with
 * its SW in seLastSw(). Returns OK (SW 9000), ERR_SE_STATUS_WORD (another SW, authenticated by
 * its R-MAC), ERR_SE_BAD_MAC (a response that does not verify: the session is ended), or the
 * link's status (the session is ended), or ERR_SE_SESSION_LOST for a bare 6982 (the SE ended the
 * session and ran nothing): the caller decides whether to open a new one and repeat.
 */
export function linkCommand(cla: u8, ins: u8, p1: u8, p2: u8, data: usize, len: u32): i32 {
  const claSm = cla | CLA_SM;
  // C = SM4-CBC(S-ENC, ICV, data ‖ 80 ‖ 00 …), at MSG + 22
  const C: usize = MSG + 22;
  let clen: u32 = 0;
  if (len > 0) {
    clen = (len + 16) & ~15;
    memory.copy(C, data, len);
    wipe(C + len, clen - len);
    store<u8>(C + len, 0x80);
    icv(0x00);
    sm4CbcEncrypt(ENC, ICV, C, C, clen);
  }
  // C-MAC = CMAC(S-MAC, chain ‖ CLA' INS P1 P2 ‖ L ‖ C); the full MAC is the new chain
  memory.copy(MSG, CHAIN, 16);
  store<u8>(MSG + 16, claSm);
  store<u8>(MSG + 17, ins);
  store<u8>(MSG + 18, p1);
  store<u8>(MSG + 19, p2);
  store<u8>(MSG + 20, <u8>((clen + MAC_SIZE) >> 8));
  store<u8>(MSG + 21, <u8>(clen + MAC_SIZE));
  wipe(X, 16);
  sm4CmacFinal(MAC, X, MSG, 22 + clen, CHAIN);
  memory.copy(C + clen, CHAIN, MAC_SIZE);
  const st = seCommand(claSm, ins, p1, p2, C, clen + MAC_SIZE, true);
  wipe(MSG, 22 + clen + MAC_SIZE);
  wipe(ICV, 16);
  if (st != OK && st != ERR_SE_STATUS_WORD) {
    seWipeResponse();
    linkEnd();
    return st;
  }
  if (seRspLen == 0) {
    // no R-MAC: a bare 6982 is the SE ending the session without running the command; any other
    // bare SW cannot be the SE's answer to a protected command
    linkEnd();
    return st == ERR_SE_STATUS_WORD && seLastSw() == 0x6982 ? ERR_SE_SESSION_LOST : ERR_SE_BAD_MAC;
  }
  const st2 = unwrapResponse(seLastSw());
  if (st2 != OK) {
    seWipeResponse();
    linkEnd();
    return st2;
  }
  counter++;
  if (counter == 0) linkEnd();   // all 2^32 − 1 counters used: the next command opens a new session
  return st;
}

/** Check the R-MAC of seRsp = E ‖ R-MAC under `sw`, then decrypt E in place. */
function unwrapResponse(sw: u32): i32 {
  const n = seRspLen;
  if (n < MAC_SIZE || ((n - MAC_SIZE) & 15) != 0) return ERR_SE_BAD_MAC;
  const elen = n - MAC_SIZE;
  // R-MAC = CMAC(S-RMAC, chain ‖ E ‖ SW1 SW2)[0..8)
  memory.copy(MSG, CHAIN, 16);
  memory.copy(MSG + 16, seRsp, elen);
  store<u8>(MSG + 16 + elen, <u8>(sw >> 8));
  store<u8>(MSG + 17 + elen, <u8>sw);
  wipe(X, 16);
  sm4CmacFinal(RMAC, X, MSG, 18 + elen, TAG);
  wipe(MSG, 18 + elen);
  const ok = ctEqual(TAG, seRsp + elen, MAC_SIZE);
  wipe(TAG, 16);
  if (!ok) return ERR_SE_BAD_MAC;
  if (elen == 0) {
    seSetRspLen(0);
    return OK;
  }
  icv(0x80);
  sm4CbcDecrypt(ENC, ICV, seRsp, seRsp, elen);
  wipe(ICV, 16);
  // strip ISO/IEC 9797-1 method 2 padding: zeros back to one 0x80 in the last block
  let i: i32 = <i32>elen - 1;
  const stop: i32 = <i32>elen - 16;
  while (i > stop && load<u8>(seRsp + i) == 0) i--;
  if (load<u8>(seRsp + i) != 0x80) return ERR_SE_BAD_MAC;   // authentic but malformed
  wipe(seRsp + i, elen - <u32>i + MAC_SIZE);
  seSetRspLen(<u32>i);
  return OK;
}
