// SM2 key pairs and ECDH (GB/T 32918.1-2016 §6; GB/T 32918.3 for the shared point) on the curve
// sm2p256v1 of GB/T 32918.5-2017: ec/keys.ts with the SM2 curve selected. Private keys are in
// [1, n − 2]; public keys are x ‖ y (64 big-endian bytes).
import { useCurve, CURVE_SM2 } from "../ec/curve";
import { ecKeygen, ecPublicFromPrivate, ecEcdh, ecCheckPublic, ecDecodePoint } from "../ec/keys";

/** Draw a key pair: d (32 bytes) into dOut, x ‖ y into pubOut. OK or ERR_RNG_FAILED. */
export function sm2Keygen(dOut: usize, pubOut: usize): i32 {
  useCurve(CURVE_SM2);
  return ecKeygen(dOut, pubOut);
}

/** pubOut = [d]G (x ‖ y). ERR_BAD_SCALAR when d ∉ [1, n − 2]. */
export function sm2PublicFromPrivate(d: usize, pubOut: usize): i32 {
  useCurve(CURVE_SM2);
  return ecPublicFromPrivate(d, pubOut);
}

/** xOut = x-coordinate of [d]Q (32 bytes). ERR_BAD_POINT, ERR_BAD_SCALAR. */
export function sm2Ecdh(d: usize, peerPub: usize, xOut: usize): i32 {
  useCurve(CURVE_SM2);
  return ecEcdh(d, peerPub, xOut);
}

/** OK when the 64 bytes x ‖ y at `pub` are a point of the curve, else ERR_BAD_POINT. */
export function sm2CheckPublic(pub: usize): i32 {
  useCurve(CURVE_SM2);
  return ecCheckPublic(pub);
}

/** Decode 64 (x ‖ y), 65 (04 ‖ x ‖ y) or 33 (02/03 ‖ x) bytes into x ‖ y. */
export function sm2DecodePoint(src: usize, len: usize, out: usize): i32 {
  useCurve(CURVE_SM2);
  return ecDecodePoint(src, len, out);
}
