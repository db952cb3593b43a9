// Soft backend (docs/design.md "Security levels"; docs/protocol.md): the TID, PSK and suite live in
// the wasm; the suite's key generation and ECDH, HMAC and KDF (suite.ts) run here. Produces and
// checks the same wire bytes as an SE.
import { OK, ERR_RNG_FAILED, ERR_CLOCK_FAILED, ERR_VERIFY_FAILED } from "../status";
import { wipe } from "../mem";
import { ctEqual } from "../ct";
import { hostRandom, hostTime } from "../host";
import { HMAC_CTX_SIZE, hmacInit, hmacFinal } from "../hash/hmac";
import { hashUpdate } from "../hash/md";
import { suiteKeygen, suitePublicFromPrivate, suiteEcdh, suiteHash, suiteHmac, suiteKdf } from "./suite";
import {
  TID_SIZE, PSK_SIZE, NONCE_SIZE, SCALAR_SIZE, POINT_SIZE, TAG_SIZE, TOKEN_SIZE, KDF_OUT_SIZE,
  OFF_NONCE, TAG_S_LABEL, TAG_S_LABEL_SIZE, AUTHCODE_MAX,
} from "./wire";
import { encodeAuthcodeBody } from "./authcode";
import { checkServerData, issuesToken, serverPointOffset } from "./server-data";
import {
  identity, IDENTITY_TID, IDENTITY_PSK, pending, PENDING_QD, PENDING_ND, PENDING_TAG_D,
  setHasPending, authFlags, extraLen, extraData, injectArmed, injectNd, injectPriv, injectTime,
  disarmInjection, suite,
} from "./state";

// Scratch (zeroed after each call).
const acBuf: usize = memory.data(<i32>AUTHCODE_MAX, 16);      // authcode being built
const qPub: usize = memory.data(<i32>POINT_SIZE, 16);          // Qd
const hctx: usize = memory.data(<i32>HMAC_CTX_SIZE, 16);
const mac: usize = memory.data(<i32>TAG_SIZE, 16);
const zBuf: usize = memory.data(<i32>(SCALAR_SIZE + TID_SIZE + NONCE_SIZE + NONCE_SIZE), 16); // Z ‖ TID ‖ Nd ‖ Ns
const kBuf: usize = memory.data(<i32>KDF_OUT_SIZE, 16);

/**
 * Build a fresh authcode into the internal buffer, make it the pending request and return its
 * length (or a negative status). The caller copies `softAuthcode()` out. Erases any earlier pending
 * request first. Nd, time and qd come from the host (random, now, the suite's keygen) unless the TEST
 * HOOK armed them for this one call.
 */
export function softBuildAuthcode(): i32 {
  const nd = pending + PENDING_ND;
  const qd = pending + PENDING_QD;
  let time: u32;
  let status: i32 = OK;
  if (injectArmed) {
    memory.copy(nd, injectNd, NONCE_SIZE);
    memory.copy(qd, injectPriv, SCALAR_SIZE);
    time = injectTime;
    disarmInjection();
    status = suitePublicFromPrivate(suite, qd, qPub);
  } else {
    if (hostRandom(nd, NONCE_SIZE) != 0) status = ERR_RNG_FAILED;
    const t = hostTime();
    if (status == OK && t < 0) status = ERR_CLOCK_FAILED;
    time = <u32>t;
    if (status == OK) status = suiteKeygen(suite, qd, qPub);
  }
  if (status != OK) {
    wipe(pending, SCALAR_SIZE + NONCE_SIZE + TAG_SIZE);
    wipe(qPub, POINT_SIZE);
    return status;
  }
  const bodyLen = encodeAuthcodeBody(acBuf, suite, authFlags, time, identity + IDENTITY_TID, nd, extraData, extraLen, qPub);
  suiteHmac(suite, identity + IDENTITY_PSK, PSK_SIZE, acBuf, bodyLen, acBuf + bodyLen);
  memory.copy(pending + PENDING_TAG_D, acBuf + bodyLen, TAG_SIZE);
  wipe(qPub, POINT_SIZE);
  setHasPending(true);
  return <i32>(bodyLen + TAG_SIZE);
}

/** The authcode built by the last softBuildAuthcode. */
export function softAuthcode(): usize {
  return acBuf;
}

/** Zero the authcode buffer once it is copied out. */
export function softWipeAuthcode(): void {
  wipe(acBuf, AUTHCODE_MAX);
}

/**
 * Check server data `sd` (len bytes, a private copy) against the request `req` (qd ‖ Nd ‖ tag_d,
 * already erased from the state) and, when it issues a token, derive it into `tokenOut`.
 * Returns TOKEN_SIZE (token written), 0 (verified, no token issued) or a negative status.
 */
export function softValidate(sd: usize, len: u32, req: usize, tokenOut: usize): i32 {
  let status = checkServerData(sd, len, identity + IDENTITY_TID, suite);
  if (status != OK) return status;

  // tag_s = HMAC(PSK, "TIDS" ‖ bytes before tag_s ‖ Nd ‖ tag_d), compared in constant time.
  const h = suiteHash(suite);
  hmacInit(h, hctx, identity + IDENTITY_PSK, PSK_SIZE);
  hashUpdate(h, hctx, TAG_S_LABEL, TAG_S_LABEL_SIZE);
  hashUpdate(h, hctx, sd, len - TAG_SIZE);
  hashUpdate(h, hctx, req + PENDING_ND, NONCE_SIZE);
  hashUpdate(h, hctx, req + PENDING_TAG_D, TAG_SIZE);
  hmacFinal(h, hctx, mac);
  const good = ctEqual(mac, sd + len - TAG_SIZE, TAG_SIZE);
  wipe(mac, TAG_SIZE);
  if (!good) return ERR_VERIFY_FAILED;
  if (!issuesToken(sd)) return 0;

  // Z = x([qd]Qs); K = KDF(Z ‖ TID ‖ Nd ‖ Ns, 32); token = K[0..16).
  status = suiteEcdh(suite, req + PENDING_QD, sd + serverPointOffset(sd), zBuf);
  if (status == OK) {
    memory.copy(zBuf + SCALAR_SIZE, identity + IDENTITY_TID, TID_SIZE);
    memory.copy(zBuf + SCALAR_SIZE + TID_SIZE, req + PENDING_ND, NONCE_SIZE);
    memory.copy(zBuf + SCALAR_SIZE + TID_SIZE + NONCE_SIZE, sd + OFF_NONCE, NONCE_SIZE);
    suiteKdf(suite, zBuf, SCALAR_SIZE + TID_SIZE + NONCE_SIZE + NONCE_SIZE, kBuf, KDF_OUT_SIZE);
    memory.copy(tokenOut, kBuf, TOKEN_SIZE);
  }
  wipe(zBuf, SCALAR_SIZE + TID_SIZE + NONCE_SIZE + NONCE_SIZE);
  wipe(kBuf, KDF_OUT_SIZE);
  return status == OK ? <i32>TOKEN_SIZE : status;
}
