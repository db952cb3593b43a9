// The keyed values of TID protocol v1 (docs/protocol.md "Tags and the session token", "Algorithm
// suites"): tag_d, tag_s and the session key K, in the HMAC and KDF of the suite (default SM).
//   tag_d = HMAC(PSK, authcode[0, 100+L))
//   tag_s = HMAC(PSK, "TIDS" ‖ server data before tag_s ‖ Nd ‖ tag_d)
//   K     = KDF(Z ‖ TID ‖ Nd ‖ Ns, 32), Z = x([qd]·Qs) = x([qs]·Qd); token = K[0..16)
// HMAC is HMAC-SM3 (suite SM) or HMAC-SHA-256 (INTL); KDF is GB/T 32918.4 with SM3 or ANSI X9.63
// with SHA-256.
import { KDF_OUTPUT_SIZE, TAG_S_LABEL, TOKEN_SIZE, type SuiteName } from "./constants.js";
import { suiteOf } from "./suite.js";

export function computeTagD(psk: Uint8Array, authcodeBody: Uint8Array, suite: SuiteName = "sm"): Uint8Array {
  return suiteOf(suite).hmac(psk, authcodeBody);
}

export function computeTagS(
  psk: Uint8Array,
  serverDataBody: Uint8Array,
  nd: Uint8Array,
  tagD: Uint8Array,
  suite: SuiteName = "sm",
): Uint8Array {
  return suiteOf(suite).hmac(psk, TAG_S_LABEL, serverDataBody, nd, tagD);
}

/** K (32 bytes) from the ECDH x-coordinate Z. */
export function deriveK(z: Uint8Array, tid: Uint8Array, nd: Uint8Array, ns: Uint8Array, suite: SuiteName = "sm"): Uint8Array {
  const kdf = suiteOf(suite).kdf;
  const input = new Uint8Array(z.length + tid.length + nd.length + ns.length);
  input.set(z, 0);
  input.set(tid, z.length);
  input.set(nd, z.length + tid.length);
  input.set(ns, z.length + tid.length + nd.length);
  const k = kdf(input, KDF_OUTPUT_SIZE);
  input.fill(0);
  return k;
}

/** The session token: K[0..16). */
export function tokenOf(k: Uint8Array): Uint8Array {
  return k.slice(0, TOKEN_SIZE);
}
