// SM2 exports (docs/abi.md § SM2): key pairs, ECDH, public-key decoding, signatures
// and public-key encryption (GB/T 32918.1/.2/.3/.4-2016 on the sm2p256v1 curve of GB/T 32918.5-2017).
//
// Rules shared by every call:
// - scalars (private keys, r, s) are 32 big-endian bytes; public keys are x ‖ y (64 bytes);
// - every range is checked against linear memory first (ERR_OUT_OF_BOUNDS); nothing traps;
// - inputs are read before any output is written, so outputs may overlap inputs, except: the two
//   outputs of sm2_keygen, and the output of sm2_encrypt / sm2_decrypt and its input, must not
//   overlap (ERR_BAD_PARAM);
// - on any error nothing is written; secrets and intermediate values are zeroed after each call.
import { OK, ERR_BAD_PARAM, ERR_BAD_LENGTH, ERR_OUT_OF_BOUNDS } from "../status";
import { inBounds, overlaps } from "../mem";
import {
  sm2Keygen, sm2PublicFromPrivate, sm2Ecdh, sm2DecodePoint, sm2Sign, sm2Verify, sm2SignDigest,
  sm2VerifyDigest, sm2Za, SM2_MAX_ID_LEN, sm2Encrypt, sm2Decrypt, SM2_CIPHER_OVERHEAD,
} from "../sm2/index";

/** Draw a key pair from the host's entropy: d (32 bytes) at d_ptr, x ‖ y (64 bytes) at pub_ptr. */
export function sm2_keygen(d_ptr: usize, pub_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(pub_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  if (d_ptr < pub_ptr + 64 && pub_ptr < d_ptr + 32) return ERR_BAD_PARAM;
  return sm2Keygen(d_ptr, pub_ptr);
}

/** x ‖ y of [d]G at pub_ptr; ERR_BAD_SCALAR when d ∉ [1, n − 2]. */
export function sm2_public_from_private(d_ptr: usize, pub_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(pub_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return sm2PublicFromPrivate(d_ptr, pub_ptr);
}

/**
 * The x-coordinate of [d]Q (32 bytes at x_ptr) for the peer's public key Q = x ‖ y.
 * ERR_BAD_POINT when Q is not a point of the curve; ERR_BAD_SCALAR when d ∉ [1, n − 2].
 */
export function sm2_ecdh(d_ptr: usize, peer_ptr: usize, x_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(peer_ptr, 64) || !inBounds(x_ptr, 32)) return ERR_OUT_OF_BOUNDS;
  return sm2Ecdh(d_ptr, peer_ptr, x_ptr);
}

/**
 * Decode and check a public key: src_len 64 (x ‖ y), 65 (04 ‖ x ‖ y) or 33 (02/03 ‖ x) bytes
 * → x ‖ y (64 bytes at out_ptr). ERR_BAD_LENGTH, ERR_BAD_POINT.
 */
export function sm2_point_decode(src_ptr: usize, src_len: u32, out_ptr: usize): i32 {
  if (!inBounds(src_ptr, src_len) || !inBounds(out_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return sm2DecodePoint(src_ptr, src_len, out_ptr);
}

/** Z_A (32 bytes at out_ptr) of the public key x ‖ y and signer ID (≤ 8191 bytes). */
export function sm2_za(pub_ptr: usize, id_ptr: usize, id_len: u32, out_ptr: usize): i32 {
  if (!inBounds(pub_ptr, 64) || !inBounds(id_ptr, id_len) || !inBounds(out_ptr, 32)) return ERR_OUT_OF_BOUNDS;
  if (<usize>id_len > SM2_MAX_ID_LEN) return ERR_BAD_LENGTH;
  sm2Za(pub_ptr, id_ptr, id_len, out_ptr);
  return OK;
}

/**
 * Sign msg with d (whose public key pub is hashed into Z_A with the ID): r ‖ s (64 bytes) at
 * sig_ptr. k comes from the host's entropy. ERR_BAD_SCALAR, ERR_BAD_POINT, ERR_BAD_LENGTH
 * (ID over 8191 bytes), ERR_RNG_FAILED.
 */
export function sm2_sign(d_ptr: usize, pub_ptr: usize, id_ptr: usize, id_len: u32, msg_ptr: usize, msg_len: u32, sig_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(pub_ptr, 64) || !inBounds(id_ptr, id_len)
    || !inBounds(msg_ptr, msg_len) || !inBounds(sig_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return sm2Sign(d_ptr, pub_ptr, id_ptr, id_len, msg_ptr, msg_len, sig_ptr);
}

/**
 * Verify r ‖ s (64 bytes) over msg under pub and the signer ID. OK or ERR_VERIFY_FAILED;
 * ERR_BAD_SCALAR when r or s ∉ [1, n − 1]; ERR_BAD_POINT; ERR_BAD_LENGTH.
 */
export function sm2_verify(pub_ptr: usize, id_ptr: usize, id_len: u32, msg_ptr: usize, msg_len: u32, sig_ptr: usize): i32 {
  if (!inBounds(pub_ptr, 64) || !inBounds(id_ptr, id_len) || !inBounds(msg_ptr, msg_len)
    || !inBounds(sig_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return sm2Verify(pub_ptr, id_ptr, id_len, msg_ptr, msg_len, sig_ptr);
}

/** Sign the digest e = SM3(Z_A ‖ M) (32 bytes, computed by the caller): r ‖ s at sig_ptr. */
export function sm2_sign_digest(d_ptr: usize, e_ptr: usize, sig_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(e_ptr, 32) || !inBounds(sig_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return sm2SignDigest(d_ptr, e_ptr, sig_ptr);
}

/** Verify r ‖ s over the digest e = SM3(Z_A ‖ M) under pub. Statuses as sm2_verify. */
export function sm2_verify_digest(pub_ptr: usize, e_ptr: usize, sig_ptr: usize): i32 {
  if (!inBounds(pub_ptr, 64) || !inBounds(e_ptr, 32) || !inBounds(sig_ptr, 64)) return ERR_OUT_OF_BOUNDS;
  return sm2VerifyDigest(pub_ptr, e_ptr, sig_ptr);
}

/**
 * Encrypt msg_len (≥ 1) bytes to pub (x ‖ y): C1 ‖ C3 ‖ C2, 97 + msg_len bytes at out_ptr.
 * ERR_BAD_POINT, ERR_BAD_LENGTH (empty message), ERR_BAD_PARAM (overlap), ERR_RNG_FAILED.
 */
export function sm2_encrypt(pub_ptr: usize, msg_ptr: usize, msg_len: u32, out_ptr: usize): i32 {
  const outLen = <usize>msg_len + SM2_CIPHER_OVERHEAD;
  if (!inBounds(pub_ptr, 64) || !inBounds(msg_ptr, msg_len) || outLen < SM2_CIPHER_OVERHEAD
    || !inBounds(out_ptr, outLen)) return ERR_OUT_OF_BOUNDS;
  if (overlaps(msg_ptr, msg_len, out_ptr, outLen)) return ERR_BAD_PARAM;
  return sm2Encrypt(pub_ptr, msg_ptr, msg_len, out_ptr);
}

/**
 * Decrypt C1 ‖ C3 ‖ C2 (c_len ≥ 98) with d: c_len − 97 bytes at out_ptr. ERR_BAD_LENGTH,
 * ERR_BAD_SCALAR, ERR_BAD_POINT (C1), ERR_VERIFY_FAILED (C3), ERR_BAD_PARAM (overlap).
 */
export function sm2_decrypt(d_ptr: usize, c_ptr: usize, c_len: u32, out_ptr: usize): i32 {
  if (!inBounds(d_ptr, 32) || !inBounds(c_ptr, c_len)) return ERR_OUT_OF_BOUNDS;
  if (<usize>c_len <= SM2_CIPHER_OVERHEAD) return ERR_BAD_LENGTH;
  const outLen = <usize>c_len - SM2_CIPHER_OVERHEAD;
  if (!inBounds(out_ptr, outLen)) return ERR_OUT_OF_BOUNDS;
  if (overlaps(c_ptr, c_len, out_ptr, outLen)) return ERR_BAD_PARAM;
  return sm2Decrypt(d_ptr, c_ptr, c_len, out_ptr);
}
