// The keyed values of TID protocol v1 (docs/protocol.md "Tags and the session token"): tag_d, tag_s
// and the session key K.
//   tag_d = HMAC-SM3(PSK, authcode[0, 100+L))
//   tag_s = HMAC-SM3(PSK, "TIDS" ‖ server data before tag_s ‖ Nd ‖ tag_d)
//   K     = KDF(Z ‖ TID ‖ Nd ‖ Ns, 32), Z = x([qd]·Qs) = x([qs]·Qd); token = K[0..16)
import { KDF_OUTPUT_SIZE, TAG_S_LABEL, TOKEN_SIZE } from "./constants.js";
import { hmacSm3, sm3Kdf } from "./primitives.js";

export function computeTagD(psk: Uint8Array, authcodeBody: Uint8Array): Uint8Array {
  return hmacSm3(psk, authcodeBody);
}

export function computeTagS(psk: Uint8Array, serverDataBody: Uint8Array, nd: Uint8Array, tagD: Uint8Array): Uint8Array {
  return hmacSm3(psk, TAG_S_LABEL, serverDataBody, nd, tagD);
}

/** K (32 bytes) from the ECDH x-coordinate Z. */
export function deriveK(z: Uint8Array, tid: Uint8Array, nd: Uint8Array, ns: Uint8Array): Uint8Array {
  const input = new Uint8Array(z.length + tid.length + nd.length + ns.length);
  input.set(z, 0);
  input.set(tid, z.length);
  input.set(nd, z.length + tid.length);
  input.set(ns, z.length + tid.length + nd.length);
  const k = sm3Kdf(input, KDF_OUTPUT_SIZE);
  input.fill(0);
  return k;
}

/** The session token: K[0..16). */
export function tokenOf(k: Uint8Array): Uint8Array {
  return k.slice(0, TOKEN_SIZE);
}
