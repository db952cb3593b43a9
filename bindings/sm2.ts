/**
 * @module bindings/sm2
 * Typed SM2 over the wasm module (docs/abi.md § SM2): key pairs and ECDH (GB/T 32918.1/.3-2016),
 * signatures with Z_A over the signer's ID (GB/T 32918.2-2016), public-key encodings, on the
 * curve sm2p256v1 of GB/T 32918.5-2017. Bytes in, bytes out; every argument is checked and a bad
 * one throws a TypeError or RangeError naming it; a failed wasm status throws a TidError.
 *
 * - Private keys: 32 bytes, big-endian, in [1, n − 2].
 * - Public keys: accepted as 64 bytes x ‖ y (the TID wire form), 65 bytes 04 ‖ x ‖ y or 33 bytes
 *   02/03 ‖ x (compressed); returned as 64 bytes x ‖ y. Every received key is checked to be a
 *   point of the curve (TidError ERR_BAD_POINT otherwise).
 * - Signatures: r ‖ s (64 bytes) by default, or DER (`{ der: true }`, strict parsing).
 *   The per-signature k comes from the module's `random` import (host entropy).
 * - IDs: a Uint8Array, or a string (UTF-8); default "1234567812345678"; at most 8191 bytes.
 * - Encryption (GB/T 32918.4): C1 ‖ C3 ‖ C2 with C1 = 04 ‖ x1 ‖ y1, messages of 1 to
 *   `maxEncryptLength` bytes (≈ 28 KiB, half of what is left of the I/O region).
 *
 * Inputs are copied into the module's I/O region and the private key is zeroed there after each
 * call. Messages longer than the region are hashed in pieces (Z_A, then SM3 streaming).
 *
 * @example
 * const sm2 = sm2Api(TidWasm.create());
 * const alice = sm2.generateKeyPair(), bob = sm2.generateKeyPair();
 * sm2.ecdh(alice.privateKey, bob.publicKey);              // = sm2.ecdh(bob.privateKey, alice.publicKey)
 * const sig = sm2.sign(alice.privateKey, msg, { publicKey: alice.publicKey });
 * sm2.verify(alice.publicKey, msg, sig);                  // true
 */
import { TidError, check, requireBytes } from "./errors.js";
import { Status } from "./status.js";
import { sm3Api } from "./sm3.js";
import type { TidWasm } from "./wasm.js";
import { ecSignatureFromDer, ecSignatureToDer } from "./ec-der.js";
import {
  EcKeys,
  IO_D as D,
  IO_E as E,
  IO_ID as ID,
  IO_MSG as MSG,
  IO_PUB as PUB,
  IO_SIG as SIG,
  type EcKeyPair,
  type EcKeysApi,
  type EcPublicKeyFormat,
} from "./ec-keys.js";

/** DER encoding of a raw signature r ‖ s (64 bytes): SEQUENCE { r INTEGER, s INTEGER }. */
export const sm2SignatureToDer = ecSignatureToDer;
/** r ‖ s (64 bytes) of a strict-DER signature, or null (bindings/ec-der). */
export const sm2SignatureFromDer = ecSignatureFromDer;

export const SM2_PRIVATE_KEY_SIZE = 32;
export const SM2_PUBLIC_KEY_SIZE = 64;
export const SM2_SIGNATURE_SIZE = 64;
export const SM2_SHARED_SECRET_SIZE = 32;
export const SM2_MAX_ID_LENGTH = 8191;
/** C1 (65 bytes, 04 ‖ x1 ‖ y1) + C3 (32 bytes) of an SM2 ciphertext. */
export const SM2_CIPHER_OVERHEAD = 97;
/** The default signer ID of GM/T 0009-2012 (also what GB/T 32918.5's worked example uses). */
export const SM2_DEFAULT_ID = "1234567812345678";

export type Sm2PublicKeyFormat = EcPublicKeyFormat;
export type Sm2KeyPair = EcKeyPair;

export interface Sm2IdOptions {
  /** The signer's distinguishing ID (Uint8Array or UTF-8 string). Default "1234567812345678". */
  id?: Uint8Array | string;
}

export interface Sm2SignOptions extends Sm2IdOptions {
  /** DER-encode the signature (SEQUENCE { r INTEGER, s INTEGER }) instead of r ‖ s. */
  der?: boolean;
  /** The signer's public key (any encoding), hashed into Z_A; derived from the key when absent. */
  publicKey?: Uint8Array;
}

export interface Sm2VerifyOptions extends Sm2IdOptions {
  /** The signature is DER instead of r ‖ s. */
  der?: boolean;
}

/** SM2 bound to one module instance. */
export interface Sm2Api extends EcKeysApi {
  /** Sign (GB/T 32918.2): r ‖ s, or DER with `{ der: true }`. */
  sign(privateKey: Uint8Array, message: Uint8Array, options?: Sm2SignOptions): Uint8Array;
  /**
   * Verify: true for a valid signature, false for any invalid one (wrong signature, r or s out
   * of range, malformed DER). Throws for a public key that is not a point of the curve.
   */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options?: Sm2VerifyOptions): boolean;
  /**
   * Verify and return the module's status: 0 (OK), ERR_VERIFY_FAILED, ERR_BAD_SCALAR (r or s
   * not in [1, n − 1]), ERR_BAD_FORMAT (malformed DER), ERR_BAD_POINT (bad public key).
   */
  verifyStatus(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options?: Sm2VerifyOptions): number;
  /** Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A), 32 bytes. */
  za(publicKey: Uint8Array, options?: Sm2IdOptions): Uint8Array;
  /** Sign a digest e = SM3(Z_A ‖ M) computed elsewhere. */
  signDigest(privateKey: Uint8Array, digest: Uint8Array, options?: { der?: boolean }): Uint8Array;
  /** Verify over a digest e = SM3(Z_A ‖ M); as verify(). */
  verifyDigest(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array, options?: { der?: boolean }): boolean;
  /** Encrypt (GB/T 32918.4) to a public key: C1 ‖ C3 ‖ C2, 97 + message.length bytes. */
  encrypt(publicKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** Decrypt C1 ‖ C3 ‖ C2; TidError ERR_VERIFY_FAILED when C3 does not match, ERR_BAD_POINT for a bad C1. */
  decrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  /** Longest message encrypt() takes on this instance. */
  readonly maxEncryptLength: number;
}

const encoder = new TextEncoder();

/** A signer ID as bytes (checked). */
function idBytes(id: Uint8Array | string | undefined): Uint8Array {
  if (id === undefined) return encoder.encode(SM2_DEFAULT_ID);
  const b = typeof id === "string" ? encoder.encode(id) : requireBytes("options.id", id);
  if (b.length > SM2_MAX_ID_LENGTH) throw new RangeError(`options.id must be at most ${SM2_MAX_ID_LENGTH} bytes, got ${b.length}`);
  return b;
}

// ---------------------------------------------------------------------------------------------

class Sm2Runtime extends EcKeys implements Sm2Api {
  readonly maxEncryptLength: number;

  constructor(wasm: TidWasm) {
    super(wasm, { prefix: "sm2", name: "SM2", privateRange: "[1, n − 2]" });
    this.maxEncryptLength = Math.floor((this.msgCap - SM2_CIPHER_OVERHEAD) / 2);
  }

  za(publicKey: Uint8Array, options: Sm2IdOptions = {}): Uint8Array {
    this.putPublic(publicKey, "publicKey");
    const id = idBytes(options.id);
    this.put(id, ID);
    check(this.x.sm2_za!(this.io + PUB, this.io + ID, id.length, this.io + E), "sm2_za");
    return this.take(E, 32);
  }

  /** e = SM3(Z_A ‖ M) for a message too large for the I/O region; leaves e at io+E. */
  private digestLarge(publicKey: Uint8Array, message: Uint8Array, id: Uint8Array | string | undefined): void {
    const z = this.za(publicKey, { id });
    const e = sm3Api(this.wasm).createSm3().update(z).update(message).digest();
    this.put(e, E);
  }

  sign(privateKey: Uint8Array, message: Uint8Array, options: Sm2SignOptions = {}): Uint8Array {
    requireBytes("privateKey", privateKey, { length: SM2_PRIVATE_KEY_SIZE });
    requireBytes("message", message);
    const id = idBytes(options.id);
    const publicKey =
      options.publicKey === undefined
        ? this.publicKeyFromPrivate(privateKey)
        : requireBytes("options.publicKey", options.publicKey, { lengths: [64, 65, 33] });
    let st: number;
    if (message.length <= this.msgCap) {
      this.putPublic(publicKey, "options.publicKey");
      this.put(id, ID);
      this.put(message, MSG);
      this.putPrivate(privateKey);
      try {
        st = this.x.sm2_sign!(this.io + D, this.io + PUB, this.io + ID, id.length, this.io + MSG, message.length, this.io + SIG);
      } finally {
        this.wipePrivate();
      }
    } else {
      this.digestLarge(publicKey, message, options.id);
      this.putPrivate(privateKey);
      try {
        st = this.x.sm2_sign_digest!(this.io + D, this.io + E, this.io + SIG);
      } finally {
        this.wipePrivate();
      }
    }
    if (st === Status.ERR_BAD_POINT) throw new TidError(st, this.notOnCurve("options.publicKey"));
    check(st, st === Status.ERR_BAD_SCALAR ? this.badPrivate() : "sm2_sign");
    const raw = this.take(SIG, 64);
    return options.der ? ecSignatureToDer(raw) : raw;
  }

  signDigest(privateKey: Uint8Array, digest: Uint8Array, options: { der?: boolean } = {}): Uint8Array {
    requireBytes("digest", digest, { length: 32 });
    this.putPrivate(privateKey);
    this.put(digest, E);
    try {
      check(this.x.sm2_sign_digest!(this.io + D, this.io + E, this.io + SIG), "sm2_sign_digest");
    } finally {
      this.wipePrivate();
    }
    const raw = this.take(SIG, 64);
    return options.der ? ecSignatureToDer(raw) : raw;
  }

  verifyStatus(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options: Sm2VerifyOptions = {}): number {
    requireBytes("message", message);
    const id = idBytes(options.id);
    requireBytes("signature", signature);
    const pst = this.placePublic(publicKey, "publicKey");
    if (pst !== Status.OK) return pst;
    if (message.length > this.msgCap) {
      this.digestLarge(publicKey, message, options.id);
      const st = this.putSignature(signature, options.der);
      return st !== Status.OK ? st : this.x.sm2_verify_digest!(this.io + PUB, this.io + E, this.io + SIG);
    }
    const st = this.putSignature(signature, options.der);
    if (st !== Status.OK) return st;
    this.put(id, ID);
    this.put(message, MSG);
    return this.x.sm2_verify!(this.io + PUB, this.io + ID, id.length, this.io + MSG, message.length, this.io + SIG);
  }

  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options: Sm2VerifyOptions = {}): boolean {
    return this.verdict(this.verifyStatus(publicKey, message, signature, options), "sm2_verify");
  }

  verifyDigest(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array, options: { der?: boolean } = {}): boolean {
    requireBytes("digest", digest, { length: 32 });
    this.putPublic(publicKey, "publicKey");
    const st = this.putSignature(signature, options.der);
    if (st !== Status.OK) return false;
    this.put(digest, E);
    return this.verdict(this.x.sm2_verify_digest!(this.io + PUB, this.io + E, this.io + SIG), "sm2_verify_digest");
  }

  encrypt(publicKey: Uint8Array, message: Uint8Array): Uint8Array {
    requireBytes("message", message, { min: 1, max: this.maxEncryptLength });
    this.putPublic(publicKey, "publicKey");
    this.put(message, MSG);
    const out = MSG + message.length;
    const st = this.x.sm2_encrypt!(this.io + PUB, this.io + MSG, message.length, this.io + out);
    if (st === Status.ERR_BAD_POINT) throw new TidError(st, this.notOnCurve("publicKey"));
    check(st, "sm2_encrypt");
    return this.take(out, SM2_CIPHER_OVERHEAD + message.length);
  }

  decrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    requireBytes("privateKey", privateKey, { length: SM2_PRIVATE_KEY_SIZE });
    const c = requireBytes("ciphertext", ciphertext, { min: SM2_CIPHER_OVERHEAD + 1, max: SM2_CIPHER_OVERHEAD + this.maxEncryptLength });
    const out = MSG + c.length,
      len = c.length - SM2_CIPHER_OVERHEAD;
    this.put(c, MSG);
    this.putPrivate(privateKey);
    try {
      const st = this.x.sm2_decrypt!(this.io + D, this.io + MSG, c.length, this.io + out);
      if (st === Status.ERR_BAD_POINT) throw new TidError(st, "ciphertext C1 is not 04 ‖ a point of the SM2 curve");
      if (st === Status.ERR_VERIFY_FAILED) throw new TidError(st, "ciphertext C3 does not match: wrong key or altered ciphertext");
      check(st, this.badPrivate());
      return this.take(out, len);
    } finally {
      this.wipePrivate();
      this.wasm.bytes().fill(0, this.io + out, this.io + out + len);
    }
  }
}

const apis = new WeakMap<TidWasm, Sm2Api>();

/** The SM2 API of a module instance (created once per instance). */
export function sm2Api(wasm: TidWasm): Sm2Api {
  let api = apis.get(wasm);
  if (!api) {
    api = new Sm2Runtime(wasm);
    apis.set(wasm, api);
  }
  return api;
}
