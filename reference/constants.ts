// TID protocol v1 constants (docs/protocol.md): field sizes, algorithm identifiers, flag bits.
// Every implementation in this repo (wasm, simulated SE, reference server) uses these numbers.

/** Protocol version byte (offset 0 of the authcode and of the server data). */
export const VERSION = 0x01;
/** Symmetric algorithm byte (offset 1): SM4-128. */
export const SYM_ALG_SM4 = 0x10;
/** Key-agreement byte (offset 2): ephemeral SM2 ECDH. */
export const KEY_AGREEMENT_SM2_ECDH = 0x02;
/** Symmetric algorithm byte (offset 1) of suite INTL: AES-128. */
export const SYM_ALG_AES = 0x20;
/** Key-agreement byte (offset 2) of suite INTL: ephemeral ECDH on P-256 (secp256r1). */
export const KEY_AGREEMENT_P256_ECDH = 0x03;

/**
 * The algorithm suites of TID v1 (docs/protocol.md "Algorithm suites"): "sm" (SM4, SM2 ECDH,
 * HMAC-SM3, SM3 KDF; the default everywhere) and "intl" (AES-128, P-256 ECDH, HMAC-SHA-256,
 * X9.63 KDF with SHA-256). A device's suite is fixed at provisioning.
 */
export type SuiteName = "sm" | "intl";
export const SUITE_NAMES: readonly SuiteName[] = ["sm", "intl"];
/** Bytes 1 and 2 of every message, per suite. */
export const SUITE_ALGORITHM_BYTES: Readonly<Record<SuiteName, { readonly symAlg: number; readonly keyAgreement: number }>> = {
  sm: { symAlg: SYM_ALG_SM4, keyAgreement: KEY_AGREEMENT_SM2_ECDH },
  intl: { symAlg: SYM_ALG_AES, keyAgreement: KEY_AGREEMENT_P256_ECDH },
};

/** Nonce-length byte (offset 3): 16. */
export const NONCE_LENGTH = 0x10;

export const TID_SIZE = 8;
export const PSK_SIZE = 16;
export const NONCE_SIZE = 16;
/** SM2 public key on the wire: X ‖ Y, no 0x04 prefix. */
export const PUBLIC_KEY_SIZE = 64;
/** SM2 private scalar, big-endian. */
export const PRIVATE_KEY_SIZE = 32;
export const TAG_SIZE = 32;
/** Session token = K[0..16), an SM4 key. */
export const TOKEN_SIZE = 16;
/** K = KDF(Z ‖ TID ‖ Nd ‖ Ns, 32). */
export const KDF_OUTPUT_SIZE = 32;
/** Upper bound of L (authcode extra) and L' (server extra). */
export const MAX_EXTRA = 512;

/** Offsets shared by both messages. */
export const OFFSET = {
  version: 0,
  symAlg: 1,
  keyAgreement: 2,
  nonceLength: 3,
  flags: 4,
  time: 6,
  tid: 10,
  nonce: 18,
  extraLength: 34,
  extra: 36,
} as const;

/** Fixed header size (everything before the extra data). */
export const HEADER_SIZE = 36;

/** Authcode = header + L + Qd + tag_d. */
export const AUTHCODE_MIN_SIZE = HEADER_SIZE + PUBLIC_KEY_SIZE + TAG_SIZE; // 132
export const AUTHCODE_MAX_SIZE = AUTHCODE_MIN_SIZE + MAX_EXTRA; // 644
/** Server data = header + L' + (Qs when a token is issued) + tag_s. */
export const SERVER_DATA_MIN_SIZE = HEADER_SIZE + TAG_SIZE; // 68
export const SERVER_DATA_MAX_SIZE = HEADER_SIZE + MAX_EXTRA + PUBLIC_KEY_SIZE + TAG_SIZE; // 644

/** Authcode flags bit 0: keep the current session, issue no new token. */
export const AUTH_FLAG_KEEP_SESSION = 0x0001;
/** Server-data flags bit 0: a new session token is issued (Qs present). */
export const SERVER_FLAG_TOKEN_ISSUED = 0x0001;
/** Bits that must be zero in either flags field. */
export const RESERVED_FLAGS_MASK = 0xfffe;

/** Domain-separation prefix of tag_s. */
export const TAG_S_LABEL = new Uint8Array([0x54, 0x49, 0x44, 0x53]); // "TIDS"

/** AEAD messages (SM4-GCM): counter (8, big-endian) ‖ ciphertext ‖ tag (16). */
export const AEAD_COUNTER_SIZE = 8;
export const AEAD_TAG_SIZE = 16;
export const AEAD_OVERHEAD = AEAD_COUNTER_SIZE + AEAD_TAG_SIZE; // 24

/** Default accepted skew between device and server time, seconds (docs/protocol.md "Rules"). */
export const DEFAULT_WINDOW_SECONDS = 300;
