// AEAD messages between the device and the user server (docs/protocol.md "Business data with the
// token"), the server-side match of the device's tid_seal / tid_open (assembly/tid/aead.ts):
//   cipher  the suite's GCM keyed with the 16-byte session token, 16-byte tag: SM4-GCM (RFC 8998)
//           in suite SM (the default), AES-128-GCM (NIST SP 800-38D) in suite INTL
//           (docs/protocol.md "Algorithm suites")
//   nonce   4-byte direction prefix ‖ 64-bit big-endian counter (12 bytes)
//           uplink (device → server) 0x00000001, downlink (server → device) 0x00000002
//   message counter (8, big-endian) ‖ ciphertext (same length as the plaintext) ‖ tag (16)
//   AAD     optional, not transmitted (both sides must supply the same bytes)
// A sender counts 0, 1, 2, … per key; a receiver accepts only a counter above every counter it
// accepted before (the first message may carry any counter), so replayed and reordered messages
// fail with REPLAY; a message whose tag fails (VERIFY_FAILED) changes nothing.
import { AesGcm } from "./aes-gcm.js";
import { AEAD_COUNTER_SIZE, AEAD_OVERHEAD, AEAD_TAG_SIZE, type SuiteName } from "./constants.js";
import { Sm4Gcm } from "./sm4-gcm.js";
import { suiteOf, type SuiteGcm } from "./suite.js";

export const PREFIX_UPLINK = 0x00000001;
export const PREFIX_DOWNLINK = 0x00000002;
export { AEAD_COUNTER_SIZE, AEAD_TAG_SIZE, AEAD_OVERHEAD };
export const MAX_COUNTER = 0xffff_ffff_ffff_ffffn;

export type Direction = "uplink" | "downlink";

export type AeadErrorCode = "BAD_FORMAT" | "VERIFY_FAILED" | "REPLAY" | "COUNTER_EXHAUSTED";

export class AeadError extends Error {
  readonly code: AeadErrorCode;
  constructor(code: AeadErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "AeadError";
    this.code = code;
  }
}

const EMPTY = new Uint8Array(0);

/** The 12-byte nonce for `direction` and `counter`. */
export function aeadNonce(direction: Direction, counter: bigint): Uint8Array {
  if (typeof counter !== "bigint" || counter < 0n || counter > MAX_COUNTER) {
    throw new RangeError(`counter must be a bigint in [0, 2^64), got ${String(counter)}`);
  }
  const nonce = new Uint8Array(12);
  const dv = new DataView(nonce.buffer);
  dv.setUint32(0, direction === "uplink" ? PREFIX_UPLINK : PREFIX_DOWNLINK);
  dv.setBigUint64(4, counter);
  return nonce;
}

/** A keyed GCM instance as passed in, or a new one of `suite` for a raw token. */
function gcmOf(key: Uint8Array | SuiteGcm, suite: SuiteName): SuiteGcm {
  if (key instanceof Sm4Gcm || key instanceof AesGcm) return key;
  if (!(key instanceof Uint8Array)) throw new TypeError("token must be a Uint8Array");
  if (key.length !== 16) throw new RangeError(`token must be 16 bytes, got ${key.length}`);
  return suiteOf(suite).gcm(key);
}

/** Seal one message with an explicit counter; `suite` picks the cipher for a raw token. */
export function seal(
  token: Uint8Array | SuiteGcm,
  direction: Direction,
  counter: bigint,
  plaintext: Uint8Array,
  aad: Uint8Array = EMPTY,
  suite: SuiteName = "sm",
): Uint8Array {
  const gcm = gcmOf(token, suite);
  const { ciphertext, tag } = gcm.encrypt(aeadNonce(direction, counter), plaintext, aad);
  if (gcm !== token) gcm.destroy();
  const out = new Uint8Array(AEAD_OVERHEAD + ciphertext.length);
  new DataView(out.buffer).setBigUint64(0, counter);
  out.set(ciphertext, AEAD_COUNTER_SIZE);
  out.set(tag, AEAD_COUNTER_SIZE + ciphertext.length);
  return out;
}

/** Open one message without replay tracking: returns its counter and plaintext. */
export function open(
  token: Uint8Array | SuiteGcm,
  direction: Direction,
  message: Uint8Array,
  aad: Uint8Array = EMPTY,
  suite: SuiteName = "sm",
): { counter: bigint; plaintext: Uint8Array } {
  if (!(message instanceof Uint8Array)) throw new TypeError("message must be a Uint8Array");
  if (message.length < AEAD_OVERHEAD) {
    throw new AeadError("BAD_FORMAT", `message is ${message.length} bytes, shorter than the ${AEAD_OVERHEAD}-byte overhead`);
  }
  const counter = new DataView(message.buffer, message.byteOffset, 8).getBigUint64(0);
  const ct = message.subarray(AEAD_COUNTER_SIZE, message.length - AEAD_TAG_SIZE);
  const tag = message.subarray(message.length - AEAD_TAG_SIZE);
  const gcm = gcmOf(token, suite);
  const plaintext = gcm.decrypt(aeadNonce(direction, counter), ct, tag, aad);
  if (gcm !== token) gcm.destroy();
  if (!plaintext) throw new AeadError("VERIFY_FAILED", "tag does not verify");
  return { counter, plaintext };
}

/**
 * Both directions of one session key. Role "server" (default) seals downlink and opens uplink;
 * role "device" the opposite (for tests and device simulators). `suite` (default "sm") picks
 * SM4-GCM or AES-128-GCM.
 */
export class AeadSession {
  private readonly gcm: SuiteGcm;
  private readonly sendDir: Direction;
  private readonly recvDir: Direction;
  private sendCounter = 0n;
  private highest: bigint | null = null;

  constructor(token: Uint8Array, role: "server" | "device" = "server", suite: SuiteName = "sm") {
    this.gcm = gcmOf(token, suite);
    this.sendDir = role === "server" ? "downlink" : "uplink";
    this.recvDir = role === "server" ? "uplink" : "downlink";
  }

  /** Seal with the next send counter. */
  seal(plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
    if (this.sendCounter > MAX_COUNTER) throw new AeadError("COUNTER_EXHAUSTED", "2^64 messages sent with this key");
    const out = seal(this.gcm, this.sendDir, this.sendCounter, plaintext, aad);
    this.sendCounter++;
    return out;
  }

  /** Open a message from the peer; REPLAY unless its counter is above every one accepted before. */
  open(message: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
    if (!(message instanceof Uint8Array)) throw new TypeError("message must be a Uint8Array");
    if (message.length < AEAD_OVERHEAD) {
      throw new AeadError("BAD_FORMAT", `message is ${message.length} bytes, shorter than the ${AEAD_OVERHEAD}-byte overhead`);
    }
    const counter = new DataView(message.buffer, message.byteOffset, 8).getBigUint64(0);
    if (this.highest !== null && counter <= this.highest) {
      throw new AeadError("REPLAY", `counter ${counter} is not above ${this.highest}`);
    }
    const { plaintext } = open(this.gcm, this.recvDir, message, aad);
    this.highest = counter;
    return plaintext;
  }

  /** Next counter seal will use. */
  get nextSendCounter(): bigint {
    return this.sendCounter;
  }

  /** Highest counter opened so far, or null. */
  get highestReceived(): bigint | null {
    return this.highest;
  }

  /** Zero the key material. */
  destroy(): void {
    this.gcm.destroy();
  }
}
