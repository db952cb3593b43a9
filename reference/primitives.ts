// Cryptographic primitives of TID protocol v1 on node:crypto (OpenSSL 3):
//   SM3 (GB/T 32905), HMAC-SM3 (RFC 2104 over SM3), the SM3 KDF of GB/T 32918.4 (counter from 1,
//   32-bit big-endian), SM2 key generation, public-from-private and ECDH x-coordinate on the
//   curve of GB/T 32918.5, constant-time comparison. Public keys are 64 bytes X ‖ Y.
import { createECDH, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { PRIVATE_KEY_SIZE, PUBLIC_KEY_SIZE } from "./constants.js";
import { ProtocolError } from "./errors.js";

/** SM2 curve parameters (GB/T 32918.5). */
export const SM2_P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
export const SM2_A = SM2_P - 3n;
export const SM2_B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
export const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

/** A Buffer's bytes as a plain Uint8Array view. */
export function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** The hashes of the two suites, by node:crypto name. */
export type HashName = "sm3" | "sha256";

/** Hash (32 bytes) of the concatenation of `parts`. */
export function digest(hash: HashName, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(hash);
  for (const p of parts) h.update(p);
  return bytes(h.digest());
}

/** HMAC(key, parts[0] ‖ parts[1] ‖ …) over `hash`, 32 bytes. */
export function hmac(hash: HashName, key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac(hash, key);
  for (const p of parts) h.update(p);
  return bytes(h.digest());
}

/**
 * The counter KDF both suites use (GB/T 32918.4 with SM3; ANSI X9.63 with SHA-256 and empty
 * SharedInfo): Hash(Z ‖ ct) for ct = 1, 2, … (u32 BE), truncated to `length`.
 */
export function counterKdf(hash: HashName, z: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 0xffff_ffff * 32) {
    throw new RangeError(`length must be a non-negative integer, got ${length}`);
  }
  const out = new Uint8Array(length);
  const ct = new Uint8Array(4);
  for (let off = 0, i = 1; off < length; off += 32, i++) {
    new DataView(ct.buffer).setUint32(0, i);
    out.set(digest(hash, z, ct).subarray(0, Math.min(32, length - off)), off);
  }
  return out;
}

export function toBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt("0x" + Buffer.from(b).toString("hex"));
}

/** SM3 digest (32 bytes) of the concatenation of `parts`. */
export function sm3(...parts: Uint8Array[]): Uint8Array {
  return digest("sm3", ...parts);
}

/** HMAC-SM3(key, parts[0] ‖ parts[1] ‖ …), 32 bytes. */
export function hmacSm3(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return hmac("sm3", key, ...parts);
}

/** KDF(Z, klen) of GB/T 32918.4: SM3(Z ‖ ct) for ct = 1, 2, … (u32 BE), truncated to `length`. */
export function sm3Kdf(z: Uint8Array, length: number): Uint8Array {
  return counterKdf("sm3", z, length);
}

/** Constant-time equality of two byte strings (false when lengths differ). */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** True when `pub` (64 bytes X ‖ Y) is a point of the SM2 curve (cofactor 1, so in the group). */
export function isOnCurve(pub: Uint8Array): boolean {
  if (pub.length !== PUBLIC_KEY_SIZE) return false;
  const x = toBigInt(pub.subarray(0, 32));
  const y = toBigInt(pub.subarray(32, 64));
  if (x >= SM2_P || y >= SM2_P) return false;
  const p = SM2_P;
  return (y * y - (((x * x) % p) * x + SM2_A * x + SM2_B)) % p === 0n;
}

/** Throw BAD_SCALAR unless d is 32 bytes in [1, n-2] (the SM2 private-key range). */
export function checkPrivateKey(d: Uint8Array): void {
  if (!(d instanceof Uint8Array) || d.length !== PRIVATE_KEY_SIZE) {
    throw new ProtocolError("BAD_SCALAR", "SCALAR_RANGE", `SM2 private key must be ${PRIVATE_KEY_SIZE} bytes`);
  }
  const v = toBigInt(d);
  if (v < 1n || v > SM2_N - 2n) {
    throw new ProtocolError("BAD_SCALAR", "SCALAR_RANGE", "SM2 private key outside [1, n-2]");
  }
}

/** Throw BAD_POINT unless pub is 64 bytes X ‖ Y on the SM2 curve. */
export function checkPublicKey(pub: Uint8Array): void {
  if (!isOnCurve(pub)) throw new ProtocolError("BAD_POINT", "NOT_ON_CURVE", "SM2 public key is not a curve point");
}

/** Public key X ‖ Y (64 bytes) of the private scalar d. */
export function sm2PublicFromPrivate(d: Uint8Array): Uint8Array {
  checkPrivateKey(d);
  const ecdh = createECDH("SM2");
  ecdh.setPrivateKey(d);
  return bytes(ecdh.getPublicKey()).slice(1);
}

export interface Sm2KeyPair {
  /** 32-byte big-endian scalar in [1, n-2]. */
  privateKey: Uint8Array;
  /** 64 bytes X ‖ Y. */
  publicKey: Uint8Array;
}

/** Fresh SM2 key pair from OpenSSL's RNG. */
export function sm2Keygen(): Sm2KeyPair {
  for (;;) {
    const d = randomBytes(PRIVATE_KEY_SIZE);
    const v = toBigInt(d);
    if (v < 1n || v > SM2_N - 2n) continue;
    const privateKey = bytes(d);
    return { privateKey, publicKey: sm2PublicFromPrivate(privateKey) };
  }
}

/** x-coordinate (32 bytes) of [d]·Q. Throws BAD_POINT for an invalid Q, BAD_SCALAR for a bad d. */
export function sm2Ecdh(d: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  checkPrivateKey(d);
  checkPublicKey(peerPublic);
  const ecdh = createECDH("SM2");
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

/** Random bytes from OpenSSL's RNG. */
export function random(n: number): Uint8Array {
  return bytes(randomBytes(n));
}
