// P-256 (secp256r1, SEC 2 §2.4.2) key pairs, ECDH and public-key decoding: ec/keys.ts with the
// P-256 curve selected. Private keys d ∈ [1, n − 1] (SEC 1 §3.2.1); public keys x ‖ y (64
// big-endian bytes); ECDH is SEC 1 §3.3.1's primitive (the x-coordinate of [d]Q) after full
// public-key validation (SEC 1 §3.2.2.1: coordinates below p, on the curve; the cofactor is 1).
import { useCurve, CURVE_P256 } from "../ec/curve";
import { ecKeygen, ecPublicFromPrivate, ecEcdh, ecCheckPublic, ecDecodePoint } from "../ec/keys";

/** Draw a key pair: d (32 bytes) into dOut, x ‖ y into pubOut. OK or ERR_RNG_FAILED. */
export function p256Keygen(dOut: usize, pubOut: usize): i32 {
  useCurve(CURVE_P256);
  return ecKeygen(dOut, pubOut);
}

/** pubOut = [d]G (x ‖ y). ERR_BAD_SCALAR when d ∉ [1, n − 1]. */
export function p256PublicFromPrivate(d: usize, pubOut: usize): i32 {
  useCurve(CURVE_P256);
  return ecPublicFromPrivate(d, pubOut);
}

/** xOut = x-coordinate of [d]Q (32 bytes). ERR_BAD_POINT, ERR_BAD_SCALAR. */
export function p256Ecdh(d: usize, peerPub: usize, xOut: usize): i32 {
  useCurve(CURVE_P256);
  return ecEcdh(d, peerPub, xOut);
}

/** OK when the 64 bytes x ‖ y at `pub` are a point of the curve, else ERR_BAD_POINT. */
export function p256CheckPublic(pub: usize): i32 {
  useCurve(CURVE_P256);
  return ecCheckPublic(pub);
}

/** Decode 64 (x ‖ y), 65 (04 ‖ x ‖ y) or 33 (02/03 ‖ x) bytes into x ‖ y. */
export function p256DecodePoint(src: usize, len: usize, out: usize): i32 {
  useCurve(CURVE_P256);
  return ecDecodePoint(src, len, out);
}
