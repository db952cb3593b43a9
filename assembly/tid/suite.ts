// The algorithm suites of TID protocol v1 (docs/protocol.md "Algorithm suites"): the same wire
// layout, messages and rules in both; bytes 1–2 of every message name the suite, and these are its
// primitives. A device's suite comes with its identity (soft backend: set by the host with the
// identity; SE backend: the applet's, read at init with GET DATA 00 05, docs/se-profile.md
// "Algorithm suites" — SM for an applet older than suites).
//   SM    0x10 SM4-128, 0x02 ECDH on SM2 (GB/T 32918), HMAC-SM3, the GB/T 32918.4 KDF with SM3,
//         token cipher SM4 (ECB for sym_crypto, GCM for the AEAD messages)
//   INTL  0x20 AES-128, 0x03 ECDH on P-256 (SEC 1 §3.3.1), HMAC-SHA-256, the ANSI X9.63 KDF with
//         SHA-256 (SEC 1 §3.6.1, empty SharedInfo: the same construction), token cipher AES-128
import { HASH_SM3, HASH_SHA256 } from "../hash/md";
import { hmac } from "../hash/hmac";
import { kdfFrom } from "../hash/kdf";
import { sm2Keygen, sm2PublicFromPrivate, sm2Ecdh } from "../sm2/index";
import { p256Keygen, p256PublicFromPrivate, p256Ecdh } from "../p256/index";
import { HAS_SM, HAS_INTL } from "../suites";

export const SUITE_SM: u32 = 0;
export const SUITE_INTL: u32 = 1;

/** True for a suite number this build contains (suites.ts). */
export function suiteValid(s: u32): bool {
  return (HAS_SM && s == SUITE_SM) || (HAS_INTL && s == SUITE_INTL);
}

/** True when `s` (a valid suite) is INTL; a build with one suite answers at compile time. */
// @ts-ignore: decorator
@inline
export function isIntl(s: u32): bool {
  return HAS_INTL && (!HAS_SM || s == SUITE_INTL);
}

/** Byte 1 of every message: the symmetric algorithm. */
export function suiteAlgSym(s: u32): u8 {
  return isIntl(s) ? 0x20 : 0x10;
}

/** Byte 2 of every message: the key agreement. */
export function suiteAlgKa(s: u32): u8 {
  return isIntl(s) ? 0x03 : 0x02;
}

/** The suite's hash (HASH_SM3 or HASH_SHA256) for the hmac/kdf of assembly/hash/. */
export function suiteHash(s: u32): u32 {
  return isIntl(s) ? HASH_SHA256 : HASH_SM3;
}

/** A fresh ephemeral key pair: d (32) and x ‖ y (64). */
export function suiteKeygen(s: u32, d: usize, pub: usize): i32 {
  return isIntl(s) ? p256Keygen(d, pub) : sm2Keygen(d, pub);
}

/** x ‖ y of [d]G. */
export function suitePublicFromPrivate(s: u32, d: usize, pub: usize): i32 {
  return isIntl(s) ? p256PublicFromPrivate(d, pub) : sm2PublicFromPrivate(d, pub);
}

/** The x-coordinate of [d]Q, Q checked to be a point of the suite's curve. */
export function suiteEcdh(s: u32, d: usize, peer: usize, x: usize): i32 {
  return isIntl(s) ? p256Ecdh(d, peer, x) : sm2Ecdh(d, peer, x);
}

/** One-shot HMAC with the suite's hash (tag_d). */
export function suiteHmac(s: u32, key: usize, keyLen: usize, msg: usize, msgLen: usize, out: usize): void {
  hmac(suiteHash(s), key, keyLen, msg, msgLen, out);
}


/** Hash(z ‖ 1) ‖ Hash(z ‖ 2) ‖ … truncated to outLen: the suite's KDF. */
export function suiteKdf(s: u32, z: usize, zLen: usize, out: usize, outLen: usize): void {
  kdfFrom(suiteHash(s), z, zLen, 0, 0, 1, out, outLen);
}
