// P-256 exports (docs/abi.md § P-256): key pairs, ECDH and public-key decoding (SEC 1 §3.2–3.3 on
// secp256r1 of SEC 2 §2.4.2), and ECDSA with SHA-256 (FIPS 186-5 §6.4).
//
// Rules shared by every call (as for SM2):
// - scalars (private keys, r, s, digests) are 32 big-endian bytes; public keys are x ‖ y (64 bytes);
// - every range is checked against linear memory first (ERR_OUT_OF_BOUNDS); nothing traps;
// - inputs are read before any output is written, so outputs may overlap inputs, except the two
//   outputs of p256_keygen (ERR_BAD_PARAM);
// - on any error nothing is written; secrets and intermediate values are zeroed after each call.
import { ERR_BAD_PARAM, ERR_OUT_OF_BOUNDS } from "../status";
import { inBounds, overlaps } from "../mem";
import {
  p256Keygen, p256PublicFromPrivate, p256Ecdh, p256DecodePoint, ecdsaP256Sign, ecdsaP256Verify,
  ecdsaP256SignDigest, ecdsaP256VerifyDigest,
} from "../p256/index";

/** Draw a key pair from the host's entropy: d (32 bytes) at d_ptr, x ‖ y (64 bytes) at pub_ptr. */
export function p256_keygen(d_ptr: usize, pub_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(pub_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  if (overlaps(d_ptr, 32, pub_ptr, 64)) return ERR_BAD_PARAM;
  return p256Keygen(d_ptr, pub_ptr);
}

/** x ‖ y of [d]G at pub_ptr; ERR_BAD_SCALAR when d ∉ [1, n − 1]. */
export function p256_public_from_private(d_ptr: usize, pub_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(pub_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return p256PublicFromPrivate(d_ptr, pub_ptr);
}

/**
 * The x-coordinate of [d]Q (32 bytes at x_ptr) for the peer's public key Q = x ‖ y (SEC 1 §3.3.1).
 * ERR_BAD_POINT when Q is not a point of the curve; ERR_BAD_SCALAR when d ∉ [1, n − 1].
 */
export function p256_ecdh(d_ptr: usize, peer_ptr: usize, x_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(peer_ptr, 64) || !inBounds(x_ptr, 32)) return ERR_OUT_OF_BOUNDS;
  return p256Ecdh(d_ptr, peer_ptr, x_ptr);
}

/**
 * Decode and check a public key: src_len 64 (x ‖ y), 65 (04 ‖ x ‖ y) or 33 (02/03 ‖ x) bytes
 * → x ‖ y (64 bytes at out_ptr). ERR_BAD_LENGTH, ERR_BAD_POINT.
 */
export function p256_point_decode(src_ptr: usize, src_len: u32, out_ptr: usize): i32 {
  if (!inBounds(src_ptr, src_len) || !inBounds(out_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return p256DecodePoint(src_ptr, src_len, out_ptr);
}

/** ECDSA over SHA-256(msg) with d: r ‖ s (64 bytes) at sig_ptr. ERR_BAD_SCALAR, ERR_RNG_FAILED. */
export function ecdsa_p256_sign(d_ptr: usize, msg_ptr: usize, msg_len: u32, sig_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(msg_ptr, msg_len) || !inBounds(sig_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return ecdsaP256Sign(d_ptr, msg_ptr, msg_len, sig_ptr);
}

/**
 * Verify r ‖ s (64 bytes) over SHA-256(msg) under pub (x ‖ y). OK or ERR_VERIFY_FAILED;
 * ERR_BAD_SCALAR when r or s ∉ [1, n − 1]; ERR_BAD_POINT.
 */
export function ecdsa_p256_verify(pub_ptr: usize, msg_ptr: usize, msg_len: u32, sig_ptr: usize): i32 {
  if (!inBounds(pub_ptr, 64) || !inBounds(msg_ptr, msg_len) || !inBounds(sig_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return ecdsaP256Verify(pub_ptr, msg_ptr, msg_len, sig_ptr);
}

/** ECDSA over a 32-byte digest computed by the caller (SHA-256 streaming): r ‖ s at sig_ptr. */
export function ecdsa_p256_sign_digest(d_ptr: usize, e_ptr: usize, sig_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(e_ptr, 32) || !inBounds(sig_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return ecdsaP256SignDigest(d_ptr, e_ptr, sig_ptr);
}

/** Verify r ‖ s over a 32-byte digest under pub. As ecdsa_p256_verify. */
export function ecdsa_p256_verify_digest(pub_ptr: usize, e_ptr: usize, sig_ptr: usize): i32 {
  if (!inBounds(pub_ptr, 64) || !inBounds(e_ptr, 32) || !inBounds(sig_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return ecdsaP256VerifyDigest(pub_ptr, e_ptr, sig_ptr);
}
