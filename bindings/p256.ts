/**
 * @module bindings/p256
 * Typed P-256 over the wasm module (docs/abi.md § P-256): key pairs and ECDH (SEC 1 §3.2–3.3 on
 * secp256r1, SEC 2 §2.4.2) and ECDSA with SHA-256 (FIPS 186-5 §6.4). Bytes in, bytes out; every
 * argument is checked and a bad one throws a TypeError or RangeError naming it; a failed wasm
 * status throws a TidError.
 *
 * - Private keys: 32 bytes, big-endian, in [1, n − 1].
 * - Public keys: accepted as 64 bytes x ‖ y (the TID wire form), 65 bytes 04 ‖ x ‖ y or 33 bytes
 *   02/03 ‖ x (compressed); returned as 64 bytes x ‖ y. Every received key is checked to be a
 *   point of the curve (TidError ERR_BAD_POINT otherwise).
 * - Signatures: r ‖ s (64 bytes, IEEE P1363 / WebCrypto form) by default, or DER
 *   (`{ der: true }`: Ecdsa-Sig-Value, strict parsing). The per-signature k comes from the
 *   module's `random` import (host entropy); s is not normalised to the lower half.
 *
 * Inputs are copied into the module's I/O region and the private key is zeroed there after each
 * call. Messages longer than the region are hashed with the module's streaming SHA-256.
 *
 * @example
 * const p256 = p256Api(TidWasm.create());
 * const alice = p256.generateKeyPair(), bob = p256.generateKeyPair();
 * p256.ecdh(alice.privateKey, bob.publicKey);            // = p256.ecdh(bob.privateKey, alice.publicKey)
 * const sig = p256.sign(alice.privateKey, msg);
 * p256.verify(alice.publicKey, msg, sig);                // true
 */
import { check, requireBytes } from "./errors.js";
import { Status } from "./status.js";
import { sha256Api } from "./sha256.js";
import type { TidWasm } from "./wasm.js";
import { perInstance, requireWasm } from "./per-instance.js";
import { ecSignatureToDer } from "./ec-der.js";
import { EcKeys, IO_D as D, IO_E as E, IO_MSG as MSG, IO_PUB as PUB, IO_SIG as SIG, type EcKeysApi } from "./ec-keys.js";

export const P256_PRIVATE_KEY_SIZE = 32;
export const P256_PUBLIC_KEY_SIZE = 64;
export const P256_SIGNATURE_SIZE = 64;
export const P256_SHARED_SECRET_SIZE = 32;

export interface EcdsaOptions {
  /** The signature is (or is to be) DER — SEQUENCE { r INTEGER, s INTEGER } — instead of r ‖ s. */
  der?: boolean;
}

/** P-256 bound to one module instance. */
export interface P256Api extends EcKeysApi {
  /** ECDSA over SHA-256(message): r ‖ s, or DER with `{ der: true }`. */
  sign(privateKey: Uint8Array, message: Uint8Array, options?: EcdsaOptions): Uint8Array;
  /**
   * Verify: true for a valid signature, false for any invalid one (wrong signature, r or s out
   * of range, malformed DER). Throws for a public key that is not a point of the curve.
   */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options?: EcdsaOptions): boolean;
  /**
   * Verify and return the module's status: 0 (OK), ERR_VERIFY_FAILED, ERR_BAD_SCALAR (r or s
   * not in [1, n − 1]), ERR_BAD_FORMAT (malformed DER), ERR_BAD_POINT (bad public key).
   */
  verifyStatus(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options?: EcdsaOptions): number;
  /** ECDSA over a 32-byte digest computed elsewhere. */
  signDigest(privateKey: Uint8Array, digest: Uint8Array, options?: EcdsaOptions): Uint8Array;
  /** Verify over a 32-byte digest; as verify(). */
  verifyDigest(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array, options?: EcdsaOptions): boolean;
}

class P256Runtime extends EcKeys implements P256Api {
  constructor(wasm: TidWasm) {
    super(wasm, { prefix: "p256", name: "P-256", privateRange: "[1, n − 1]" });
  }

  private signed(st: number, der: boolean | undefined): Uint8Array {
    check(st, st === Status.ERR_BAD_SCALAR ? this.badPrivate() : "ecdsa_p256_sign");
    const raw = this.take(SIG, 64);
    return der ? ecSignatureToDer(raw) : raw;
  }

  sign(privateKey: Uint8Array, message: Uint8Array, options: EcdsaOptions = {}): Uint8Array {
    requireBytes("privateKey", privateKey, { length: P256_PRIVATE_KEY_SIZE });
    requireBytes("message", message);
    if (message.length > this.msgCap) return this.signDigest(privateKey, sha256Api(this.wasm).sha256(message), options);
    this.put(message, MSG);
    this.putPrivate(privateKey);
    let st: number;
    try {
      st = this.x.ecdsa_p256_sign!(this.io + D, this.io + MSG, message.length, this.io + SIG);
    } finally {
      this.wipePrivate();
    }
    return this.signed(st, options.der);
  }

  signDigest(privateKey: Uint8Array, digest: Uint8Array, options: EcdsaOptions = {}): Uint8Array {
    requireBytes("digest", digest, { length: 32 });
    this.putPrivate(privateKey);
    this.put(digest, E);
    let st: number;
    try {
      st = this.x.ecdsa_p256_sign_digest!(this.io + D, this.io + E, this.io + SIG);
    } finally {
      this.wipePrivate();
    }
    return this.signed(st, options.der);
  }

  verifyStatus(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options: EcdsaOptions = {}): number {
    requireBytes("message", message);
    requireBytes("signature", signature);
    const pst = this.placePublic(publicKey, "publicKey");
    if (pst !== Status.OK) return pst;
    const st = this.putSignature(signature, options.der);
    if (st !== Status.OK) return st;
    if (message.length > this.msgCap) {
      this.put(sha256Api(this.wasm).sha256(message), E);
      return this.x.ecdsa_p256_verify_digest!(this.io + PUB, this.io + E, this.io + SIG);
    }
    this.put(message, MSG);
    return this.x.ecdsa_p256_verify!(this.io + PUB, this.io + MSG, message.length, this.io + SIG);
  }

  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options: EcdsaOptions = {}): boolean {
    return this.verdict(this.verifyStatus(publicKey, message, signature, options), "ecdsa_p256_verify");
  }

  verifyDigest(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array, options: EcdsaOptions = {}): boolean {
    requireBytes("digest", digest, { length: 32 });
    requireBytes("signature", signature);
    this.putPublic(publicKey, "publicKey");
    const st = this.putSignature(signature, options.der);
    if (st !== Status.OK) return false;
    this.put(digest, E);
    return this.verdict(this.x.ecdsa_p256_verify_digest!(this.io + PUB, this.io + E, this.io + SIG), "ecdsa_p256_verify_digest");
  }
}

/** The P-256 API of a module instance (created once per instance). */
export function p256Api(wasm: TidWasm): P256Api {
  const w = requireWasm(wasm);
  return perInstance(w, "p256", () => new P256Runtime(w));
}
