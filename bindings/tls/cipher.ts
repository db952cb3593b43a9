/**
 * The cryptography of one TID-TLS connection (docs/tls.md): the key schedule of RFC 8446 §7.1 in
 * psk_ke mode, Finished of §4.4.4, KeyUpdate of §4.6.3 / §7.2, and the record protection of
 * §5.2–§5.3, in one of two cipher suites, one per TID algorithm suite: TLS_SM4_GCM_SM3 (0x00C6,
 * RFC 8998: HKDF over SM3, SM4-GCM) for suite "sm", TLS_AES_128_GCM_SHA256 (0x1301, RFC 8446
 * §B.4: HKDF over SHA-256, AES-128-GCM) for suite "intl".
 *
 * The record and handshake engine (the rest of bindings/tls/) drives a `TlsCipher` and sees only
 * public values: transcript hashes, binders, Finished verify_data and protected records. Every
 * secret (PSK, early / handshake / master secrets, traffic secrets, keys and IVs) stays inside the
 * implementation. Two implementations have this shape:
 *
 * - `WasmTlsCipher` (bindings/tls/wasm-cipher.ts): the key schedule and the record AEAD in the wasm
 *   module, keyed from a session slot (the device) or from a PSK the host hands in (a user
 *   server); traffic keys never leave linear memory.
 * - `ReferenceTlsCipher` (reference/tls-cipher.ts): node:crypto (`hkdfSync("sm3" / "sha256", …)`,
 *   HMAC, SM4 from OpenSSL with GHASH in TypeScript, AES-128-GCM from OpenSSL): the independent
 *   check the tests hold the wasm to.
 *
 * A cipher belongs to one side (client or server) of one connection: "write" is the direction it
 * sends in (client_* secrets on the client side, server_* on the server side), "read" the other.
 */

import { SUITE_NAMES, type SuiteName } from "../../reference/constants.js";

/** TLS_SM4_GCM_SM3 (RFC 8998 §2): TID suite "sm". */
export const TLS_SM4_GCM_SM3 = 0x00c6;
/** TLS_AES_128_GCM_SHA256 (RFC 8446 §B.4): TID suite "intl". */
export const TLS_AES_128_GCM_SHA256 = 0x1301;

/** The cipher suite of each TID algorithm suite. */
export const TLS_CIPHER_SUITES: Readonly<Record<SuiteName, { code: number; name: string }>> = {
  sm: { code: TLS_SM4_GCM_SM3, name: "TLS_SM4_GCM_SM3" },
  intl: { code: TLS_AES_128_GCM_SHA256, name: "TLS_AES_128_GCM_SHA256" },
};

/** The TID suite of a cipher suite code, or null for a code TID-TLS does not know. */
export function suiteOfCipherSuite(code: number): SuiteName | null {
  return SUITE_NAMES.find((s) => TLS_CIPHER_SUITES[s].code === code) ?? null;
}

/** A suite option: "sm" or "intl" (TypeError naming `name` otherwise). */
export function requireSuite(name: string, value: unknown): SuiteName {
  if (!(SUITE_NAMES as readonly unknown[]).includes(value)) {
    throw new TypeError(`${name} must be one of ${SUITE_NAMES.map((n) => JSON.stringify(n)).join(", ")}, got ${String(value)}`);
  }
  return value as SuiteName;
}

export type { SuiteName };

/** Hash.length of SM3 and of SHA-256. */
export const TLS_HASH_SIZE = 32;
/** RFC 8446 §5.1: TLSPlaintext.length ≤ 2^14. */
export const TLS_MAX_PLAINTEXT = 16384;
/** RFC 8446 §5.2: TLSCiphertext.length ≤ 2^14 + 256. */
export const TLS_MAX_CIPHERTEXT = 16384 + 256;
/** type(1) ‖ legacy_record_version(2) ‖ length(2). */
export const TLS_RECORD_HEADER_SIZE = 5;
/** SM4-GCM and AES-128-GCM tag. */
export const TLS_AEAD_TAG_SIZE = 16;
/** The largest record a peer may send: header ‖ 2^14 + 256. */
export const TLS_MAX_RECORD = TLS_RECORD_HEADER_SIZE + TLS_MAX_CIPHERTEXT;

/** RFC 8446 §5.1 ContentType values. */
export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
} as const;

export type TlsSide = "client" | "server";
export type TlsDirection = "read" | "write";

/** Why `open` refused a record; the engine maps both to alerts (docs/tls.md "Alerts"). */
export type TlsOpenFailure =
  /** The tag did not verify (or the record is too short to hold one): alert bad_record_mac. */
  | "bad_record_mac"
  /** The tag verified but TLSInnerPlaintext is all zeros (no content type): alert unexpected_message. */
  | "no_content_type";

/** A record `open` accepted: `content` is a view into the caller's `out` buffer. */
export interface TlsOpened {
  type: number;
  content: Uint8Array;
}

export interface TlsCipher {
  /** `TLS_SM4_GCM_SM3` (0x00C6) or `TLS_AES_128_GCM_SHA256` (0x1301). */
  readonly cipherSuite: number;
  readonly side: TlsSide;

  /** Transcript-Hash of RFC 8446 §4.4.1: SM3 or SHA-256 over the concatenated handshake messages. Public. */
  transcriptHash(messages: readonly Uint8Array[]): Uint8Array;

  /**
   * The PSK binder (§4.2.11): HMAC(finished_key, transcriptHash) with
   * binder_key = Derive-Secret(Early Secret, "res binder", "") and
   * finished_key = HKDF-Expand-Label(binder_key, "finished", "", 32).
   * `transcriptHash` covers the ClientHello up to (not including) the binder.
   */
  binder(transcriptHash: Uint8Array): Uint8Array;
  /** Compares a received binder in constant time. */
  verifyBinder(transcriptHash: Uint8Array, binder: Uint8Array): boolean;

  /**
   * Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), 0^32) (no (EC)DHE),
   * then client/server_handshake_traffic_secret from Transcript-Hash(ClientHello..ServerHello).
   * Both directions switch to the handshake traffic keys, sequence numbers 0.
   */
  deriveHandshakeSecrets(transcriptHash: Uint8Array): void;

  /** Finished.verify_data (§4.4.4) of `side`'s handshake traffic secret over `transcriptHash`. */
  finished(side: TlsSide, transcriptHash: Uint8Array): Uint8Array;
  /** Compares a received verify_data of `side` in constant time. */
  verifyFinished(side: TlsSide, transcriptHash: Uint8Array, verifyData: Uint8Array): boolean;

  /**
   * Master Secret, then client/server_application_traffic_secret_0 from
   * Transcript-Hash(ClientHello..server Finished). Nothing switches yet; the handshake secrets
   * are kept until both directions have switched (`useApplicationKeys`), then wiped.
   */
  deriveApplicationSecrets(transcriptHash: Uint8Array): void;
  /** Switches one direction to its application traffic keys (sequence number 0). */
  useApplicationKeys(direction: TlsDirection): void;

  /**
   * KeyUpdate for one direction: application_traffic_secret_N+1 =
   * HKDF-Expand-Label(secret_N, "traffic upd", "", 32), new key and IV, sequence number 0; the old
   * secret is wiped.
   */
  keyUpdate(direction: TlsDirection): void;

  /**
   * Protects one record in the write direction: writes the 5-byte header
   * (ContentType.applicationData, 0x0303, length) and the ciphertext of TLSInnerPlaintext
   * (content ‖ type, no padding) plus the tag at `out[offset..]` and returns the number of bytes
   * written (5 + content.length + 1 + 16). AAD = the header; nonce = write_iv XOR the 64-bit
   * sequence number (§5.3), which then increments. `content` ≤ 2^14 bytes (RangeError otherwise);
   * `out` must have room (RangeError). Throws when the sequence number would wrap (§5.5).
   */
  seal(type: number, content: Uint8Array, out: Uint8Array, offset?: number): number;

  /**
   * Unprotects one record in the read direction. `record` is the header and the ciphertext
   * (header length already checked by the caller: ≤ 2^14 + 256). On success writes the inner
   * content into `out` (≥ record.length − 5 bytes) and returns its real type and a view of it,
   * zero padding removed; the read sequence number increments. On failure returns the reason,
   * writes nothing the caller may read (out is wiped), and the sequence number does not move.
   */
  open(record: Uint8Array, out: Uint8Array): TlsOpened | TlsOpenFailure;

  /** Wipes every secret; later calls throw. Idempotent. */
  destroy(): void;
}
