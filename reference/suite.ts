// The algorithm suites of TID protocol v1 (docs/protocol.md "Algorithm suites"): for each suite the
// algorithm bytes it writes at offsets 1–2, and the primitives the protocol uses in it.
//   sm    0x10 SM4-128, 0x02 ECDH on SM2 (GB/T 32918), HMAC-SM3, KDF of GB/T 32918.4 with SM3,
//         SM4-ECB (GB/T 32907), SM4-GCM (RFC 8998)
//   intl  0x20 AES-128, 0x03 ECDH on P-256 (SEC 2), HMAC-SHA-256 (RFC 2104), ANSI X9.63 KDF with
//         SHA-256 (SEC 1 §3.6.1), AES-128-ECB, AES-128-GCM (NIST SP 800-38D)
// Both KDFs are Hash(Z ‖ counter_be32), counter from 1, over the same input Z ‖ TID ‖ Nd ‖ Ns; every
// field, length and rule of the protocol is the same in both suites. "sm" is the default.
import { SUITE_ALGORITHM_BYTES, SUITE_NAMES, type SuiteName } from "./constants.js";
import { aesDecrypt, aesEncrypt } from "./aes-ecb.js";
import { AesGcm } from "./aes-gcm.js";
import type { KeyedGcm } from "./gcm-once.js";
import {
  hmacSha256,
  p256CheckPublicKey,
  p256Ecdh,
  p256IsOnCurve,
  p256Keygen,
  p256PublicFromPrivate,
  sha256,
  x963KdfSha256,
} from "./p256.js";
import { checkPublicKey, hmacSm3, isOnCurve, sm2Ecdh, sm2Keygen, sm2PublicFromPrivate, sm3, sm3Kdf } from "./primitives.js";
import { sm4Decrypt, sm4Encrypt } from "./sm4-ecb.js";
import { Sm4Gcm } from "./sm4-gcm.js";

export type { SuiteName } from "./constants.js";

/** A block-cipher GCM instance with one key (Sm4Gcm or AesGcm; gcm-once.ts). */
export type SuiteGcm = KeyedGcm;

/** One algorithm suite: its wire bytes and its primitives. Public keys are 64 bytes X ‖ Y. */
export interface Suite {
  readonly name: SuiteName;
  /** byte 1 of every message */
  readonly symAlg: number;
  /** byte 2 of every message */
  readonly keyAgreement: number;
  /** human-readable names, for messages and docs */
  readonly description: string;
  hash(...parts: Uint8Array[]): Uint8Array;
  hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
  /** Hash(z ‖ 1) ‖ Hash(z ‖ 2) ‖ …, truncated to `length` */
  kdf(z: Uint8Array, length: number): Uint8Array;
  keygen(): { privateKey: Uint8Array; publicKey: Uint8Array };
  publicFromPrivate(d: Uint8Array): Uint8Array;
  /** x-coordinate of [d]·Q; BAD_POINT / BAD_SCALAR on bad input */
  ecdh(d: Uint8Array, peerPublic: Uint8Array): Uint8Array;
  isOnCurve(pub: Uint8Array): boolean;
  /** throws BAD_POINT unless pub is on the suite's curve */
  checkPublicKey(pub: Uint8Array): void;
  /** the token's raw block cipher in ECB mode (tid_client_sym_crypto) */
  ecbEncrypt(token: Uint8Array, data: Uint8Array): Uint8Array;
  ecbDecrypt(token: Uint8Array, data: Uint8Array): Uint8Array;
  /** GCM with the token as key (the AEAD messages) */
  gcm(key: Uint8Array): SuiteGcm;
}

export const SUITE_SM: Suite = Object.freeze({
  name: "sm",
  ...SUITE_ALGORITHM_BYTES.sm,
  description: "SM (0x10 SM4-128, 0x02 ECDH on SM2, HMAC-SM3, SM3 KDF)",
  hash: sm3,
  hmac: hmacSm3,
  kdf: sm3Kdf,
  keygen: sm2Keygen,
  publicFromPrivate: sm2PublicFromPrivate,
  ecdh: sm2Ecdh,
  isOnCurve,
  checkPublicKey,
  ecbEncrypt: sm4Encrypt,
  ecbDecrypt: sm4Decrypt,
  gcm: (key: Uint8Array) => new Sm4Gcm(key),
});

export const SUITE_INTL: Suite = Object.freeze({
  name: "intl",
  ...SUITE_ALGORITHM_BYTES.intl,
  description: "INTL (0x20 AES-128, 0x03 ECDH on P-256, HMAC-SHA-256, X9.63-SHA-256 KDF)",
  hash: sha256,
  hmac: hmacSha256,
  kdf: x963KdfSha256,
  keygen: p256Keygen,
  publicFromPrivate: p256PublicFromPrivate,
  ecdh: p256Ecdh,
  isOnCurve: p256IsOnCurve,
  checkPublicKey: p256CheckPublicKey,
  ecbEncrypt: aesEncrypt,
  ecbDecrypt: aesDecrypt,
  gcm: (key: Uint8Array) => new AesGcm(key),
});

const SUITES: Readonly<Record<SuiteName, Suite>> = { sm: SUITE_SM, intl: SUITE_INTL };

/** The suite called `name` (default "sm"); TypeError for anything but a SuiteName. */
export function suiteOf(name: SuiteName = "sm"): Suite {
  if (!(SUITE_NAMES as readonly unknown[]).includes(name)) {
    throw new TypeError(`suite must be one of ${SUITE_NAMES.map((n) => JSON.stringify(n)).join(", ")}, got ${String(name)}`);
  }
  return SUITES[name];
}

/** Business data with the token in `suite`: raw ECB encryption (a positive multiple of 16 bytes). */
export function symEncrypt(token: Uint8Array, data: Uint8Array, suite: SuiteName = "sm"): Uint8Array {
  return suiteOf(suite).ecbEncrypt(token, data);
}

/** Business data with the token in `suite`: raw ECB decryption (a positive multiple of 16 bytes). */
export function symDecrypt(token: Uint8Array, data: Uint8Array, suite: SuiteName = "sm"): Uint8Array {
  return suiteOf(suite).ecbDecrypt(token, data);
}
