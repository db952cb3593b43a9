/**
 * @module bindings/ec-keys
 * What the SM2 and P-256 bindings share over the wasm module's curve exports (docs/abi.md § SM2,
 * § P-256): the I/O-region layout, private keys in and wiped, public keys in any encoding
 * (64 bytes x ‖ y, 65 bytes 04 ‖ x ‖ y, 33 bytes 02/03 ‖ x; SEC 1 §2.3.3–2.3.4) decoded and
 * checked, key pairs, ECDH and the encodings. A curve's binding extends EcKeys with its own calls.
 */
import { TidError, check, requireBytes } from "./errors.js";
import { Status } from "./status.js";
import type { TidWasm, RawExports } from "./wasm.js";
import { ecSignatureFromDer } from "./ec-der.js";

export type EcPublicKeyFormat = "raw" | "uncompressed" | "compressed";

export interface EcKeyPair {
  /** 32 bytes, big-endian. */
  privateKey: Uint8Array;
  /** 64 bytes, x ‖ y. */
  publicKey: Uint8Array;
}

/** The calls every curve binding has. */
export interface EcKeysApi {
  /** A new key pair from the host's entropy. */
  generateKeyPair(): EcKeyPair;
  /** The public key x ‖ y of a private key. */
  publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array;
  /** ECDH: the x-coordinate (32 bytes) of [d]Q for the peer's public key Q. */
  ecdh(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array;
  /** Decode and check a public key in any encoding → x ‖ y (64 bytes). */
  decodePublicKey(publicKey: Uint8Array): Uint8Array;
  /** Encode a public key (any encoding, checked): "raw" (x ‖ y), "uncompressed" (04 ‖ x ‖ y), "compressed" (02/03 ‖ x). */
  encodePublicKey(publicKey: Uint8Array, format: EcPublicKeyFormat): Uint8Array;
}

/** One curve's exports: `${prefix}_keygen`, `_public_from_private`, `_ecdh`, `_point_decode`. */
export interface EcCurve {
  /** export prefix: "sm2" or "p256" */
  prefix: string;
  /** for messages: "SM2" or "P-256" */
  name: string;
  /** for messages: "[1, n − 2]" (SM2) or "[1, n − 1]" (P-256) */
  privateRange: string;
}

// I/O region layout used by the curve bindings (tid_io_cap() = 66,560 bytes).
export const IO_D = 0; // 32: private key, zeroed after each call
export const IO_PUB = 32; // 64: own / peer public key x ‖ y
export const IO_SIG = 96; // 64: r ‖ s
export const IO_OUT = 160; // 64: result
export const IO_E = 224; // 32: digest / Z_A
export const IO_KEYIN = 256; // 65: a public key to decode
export const IO_ID = 1024; // 8,191: signer ID (SM2)
export const IO_MSG = IO_ID + 8192; // message, up to the end of the region

type CurveCall = (...args: number[]) => number;

export abstract class EcKeys implements EcKeysApi {
  protected readonly wasm: TidWasm;
  protected readonly x: RawExports;
  protected readonly io: number;
  /** room for a message at IO_MSG */
  protected readonly msgCap: number;
  protected readonly curve: EcCurve;

  constructor(wasm: TidWasm, curve: EcCurve) {
    this.wasm = wasm;
    this.x = wasm.exports;
    this.curve = curve;
    if (typeof this.x[`${curve.prefix}_keygen`] !== "function") throw new Error(`this wasm build has no ${curve.name} exports`);
    this.io = wasm.ioPtr;
    this.msgCap = wasm.ioCap - IO_MSG;
    if (this.msgCap < 1024) throw new Error(`I/O region too small for ${curve.name}: ${wasm.ioCap} bytes`);
  }

  /** The curve's export `${prefix}_${name}`. */
  protected call(name: string): CurveCall {
    return this.x[`${this.curve.prefix}_${name}`] as CurveCall;
  }

  protected put(bytes: Uint8Array, at: number): void {
    this.wasm.bytes().set(bytes, this.io + at);
  }

  protected take(at: number, n: number): Uint8Array {
    return this.wasm.bytes().slice(this.io + at, this.io + at + n);
  }

  protected putPrivate(d: unknown, name = "privateKey"): void {
    this.put(requireBytes(name, d, { length: 32 }), IO_D);
  }

  protected wipePrivate(): void {
    this.wasm.bytes().fill(0, this.io + IO_D, this.io + IO_D + 32);
  }

  /** "… is not a point of the <curve> curve" */
  protected notOnCurve(what: string): string {
    return `${what} is not a point of the ${this.curve.name} curve`;
  }

  /** "privateKey must be in [1, n − …]" */
  protected badPrivate(): string {
    return `privateKey must be in ${this.curve.privateRange}`;
  }

  /**
   * Put a public key (any encoding) at io+IO_PUB as x ‖ y. A 33/65-byte key is decoded and
   * checked here (its status is returned); a 64-byte key is checked by the call that uses it.
   */
  protected placePublic(pub: unknown, name: string): number {
    const key = requireBytes(name, pub, { lengths: [64, 65, 33] });
    if (key.length === 64) {
      this.put(key, IO_PUB);
      return Status.OK;
    }
    this.put(key, IO_KEYIN);
    return this.call("point_decode")(this.io + IO_KEYIN, key.length, this.io + IO_PUB);
  }

  /** Place r ‖ s (64 bytes, or DER when `der`) at io+IO_SIG; ERR_BAD_FORMAT for a malformed signature. */
  protected putSignature(signature: Uint8Array, der: boolean | undefined): number {
    if (der) {
      const raw = ecSignatureFromDer(requireBytes("signature", signature));
      if (!raw) return Status.ERR_BAD_FORMAT;
      this.put(raw, IO_SIG);
    } else {
      this.put(requireBytes("signature", signature, { length: 64 }), IO_SIG);
    }
    return Status.OK;
  }

  protected putPublic(pub: unknown, name: string): void {
    check(this.placePublic(pub, name), this.notOnCurve(name));
  }

  /** verify()'s boolean: OK → true; an invalid signature → false; a bad public key → throws. */
  protected verdict(st: number, op: string): boolean {
    if (st === Status.OK) return true;
    if (st === Status.ERR_VERIFY_FAILED || st === Status.ERR_BAD_SCALAR || st === Status.ERR_BAD_FORMAT) return false;
    throw new TidError(st, st === Status.ERR_BAD_POINT ? this.notOnCurve("publicKey") : op);
  }

  generateKeyPair(): EcKeyPair {
    try {
      check(this.call("keygen")(this.io + IO_D, this.io + IO_OUT), `${this.curve.prefix}_keygen`);
      return { privateKey: this.take(IO_D, 32), publicKey: this.take(IO_OUT, 64) };
    } finally {
      this.wipePrivate();
    }
  }

  publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
    this.putPrivate(privateKey);
    try {
      check(this.call("public_from_private")(this.io + IO_D, this.io + IO_OUT), this.badPrivate());
      return this.take(IO_OUT, 64);
    } finally {
      this.wipePrivate();
    }
  }

  ecdh(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
    requireBytes("privateKey", privateKey, { length: 32 });
    this.putPublic(peerPublicKey, "peerPublicKey");
    this.putPrivate(privateKey);
    try {
      const st = this.call("ecdh")(this.io + IO_D, this.io + IO_PUB, this.io + IO_OUT);
      if (st === Status.ERR_BAD_POINT) throw new TidError(st, this.notOnCurve("peerPublicKey"));
      check(st, this.badPrivate());
      return this.take(IO_OUT, 32);
    } finally {
      this.wipePrivate();
      this.wasm.bytes().fill(0, this.io + IO_OUT, this.io + IO_OUT + 32);
    }
  }

  decodePublicKey(publicKey: Uint8Array): Uint8Array {
    const key = requireBytes("publicKey", publicKey, { lengths: [64, 65, 33] });
    this.put(key, IO_KEYIN);
    check(this.call("point_decode")(this.io + IO_KEYIN, key.length, this.io + IO_OUT), this.notOnCurve("publicKey"));
    return this.take(IO_OUT, 64);
  }

  encodePublicKey(publicKey: Uint8Array, format: EcPublicKeyFormat): Uint8Array {
    const xy = this.decodePublicKey(publicKey);
    switch (format) {
      case "raw":
        return xy;
      case "uncompressed": {
        const out = new Uint8Array(65);
        out[0] = 0x04;
        out.set(xy, 1);
        return out;
      }
      case "compressed": {
        const out = new Uint8Array(33);
        out[0] = 0x02 | (xy[63]! & 1);
        out.set(xy.subarray(0, 32), 1);
        return out;
      }
      default:
        throw new RangeError(`format must be "raw", "uncompressed" or "compressed", got ${String(format)}`);
    }
  }
}
