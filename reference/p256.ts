// The primitives of TID suite INTL on node:crypto (docs/protocol.md "Algorithm suites"): SHA-256
// (FIPS 180-4), HMAC-SHA-256 (RFC 2104), the ANSI X9.63 KDF with SHA-256 (SEC 1 v2 §3.6.1: Hash(Z ‖
// counter) for counter = 1, 2, … as a 32-bit big-endian integer, empty SharedInfo), and ephemeral
// ECDH on P-256 / secp256r1 (SEC 2 v2 §2.4.2, FIPS 186-4 D.1.2.3): key generation,
// public-from-private, the shared x-coordinate and the public-key check of SEC 1 §3.2.2.1 (each
// coordinate below p, on the curve; the cofactor is 1). Public keys are 64 bytes X ‖ Y.
import { createECDH, randomBytes } from "node:crypto";
import { PRIVATE_KEY_SIZE, PUBLIC_KEY_SIZE } from "./constants.js";
import { ProtocolError } from "./errors.js";
import { bytes, counterKdf, digest, hmac, toBigInt } from "./primitives.js";

/** P-256 curve parameters (SEC 2 v2 §2.4.2). */
export const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
export const P256_A = P256_P - 3n;
export const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** SHA-256 digest (32 bytes) of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  return digest("sha256", ...parts);
}

/** HMAC-SHA-256(key, parts[0] ‖ parts[1] ‖ …), 32 bytes. */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return hmac("sha256", key, ...parts);
}

/** ANSI X9.63 KDF with SHA-256 and empty SharedInfo: SHA-256(Z ‖ ct), ct = 1, 2, … (u32 BE). */
export function x963KdfSha256(z: Uint8Array, length: number): Uint8Array {
  return counterKdf("sha256", z, length);
}

/** True when `pub` (64 bytes X ‖ Y) is a point of P-256: both coordinates below p, on the curve. */
export function p256IsOnCurve(pub: Uint8Array): boolean {
  if (!(pub instanceof Uint8Array) || pub.length !== PUBLIC_KEY_SIZE) return false;
  const x = toBigInt(pub.subarray(0, 32));
  const y = toBigInt(pub.subarray(32, 64));
  if (x >= P256_P || y >= P256_P) return false;
  const p = P256_P;
  return (y * y - (((x * x) % p) * x + P256_A * x + P256_B)) % p === 0n;
}

/** Throw BAD_SCALAR unless d is 32 bytes in [1, n-1]. */
export function p256CheckPrivateKey(d: Uint8Array): void {
  if (!(d instanceof Uint8Array) || d.length !== PRIVATE_KEY_SIZE) {
    throw new ProtocolError("BAD_SCALAR", "SCALAR_RANGE", `P-256 private key must be ${PRIVATE_KEY_SIZE} bytes`);
  }
  const v = toBigInt(d);
  if (v < 1n || v > P256_N - 1n) throw new ProtocolError("BAD_SCALAR", "SCALAR_RANGE", "P-256 private key outside [1, n-1]");
}

/** Throw BAD_POINT unless pub is 64 bytes X ‖ Y on P-256 (the point at infinity has no such form). */
export function p256CheckPublicKey(pub: Uint8Array): void {
  if (!p256IsOnCurve(pub)) throw new ProtocolError("BAD_POINT", "NOT_ON_CURVE", "P-256 public key is not a curve point");
}

/** Public key X ‖ Y (64 bytes) of the P-256 scalar d. */
export function p256PublicFromPrivate(d: Uint8Array): Uint8Array {
  p256CheckPrivateKey(d);
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(d);
  return bytes(ecdh.getPublicKey()).slice(1);
}

/** Fresh P-256 key pair from OpenSSL's RNG. */
export function p256Keygen(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  for (;;) {
    const d = bytes(randomBytes(PRIVATE_KEY_SIZE));
    const v = toBigInt(d);
    if (v < 1n || v > P256_N - 1n) continue;
    return { privateKey: d, publicKey: p256PublicFromPrivate(d) };
  }
}

/** x-coordinate (32 bytes) of [d]·Q on P-256. Throws BAD_POINT for an invalid Q, BAD_SCALAR for a bad d. */
export function p256Ecdh(d: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  p256CheckPrivateKey(d);
  p256CheckPublicKey(peerPublic);
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(d);
  const point = new Uint8Array(1 + PUBLIC_KEY_SIZE);
  point[0] = 0x04;
  point.set(peerPublic, 1);
  try {
    return bytes(ecdh.computeSecret(point));
  } catch (e) {
    throw new ProtocolError("BAD_POINT", "NOT_ON_CURVE", `ECDH failed: ${(e as Error).message}`);
  }
}
