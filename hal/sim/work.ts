// The work one command does inside the simulated SE (docs/se-profile.md "Simulator timing model"):
// the applet (applet.ts) and the shielded link (secure-session.ts) count it, the timing model
// (timing.ts) turns it into processing time. The counters are named after suite SM's algorithms;
// in suite INTL the same counters take the P-256, SHA-256 and AES-128 work (the model charges them
// the SM2 / SM3 / SM4 costs), and the shielded link is SM2/SM3/SM4 in both suites.

/** Work a command did, for the timing model. */
export interface AppletWork {
  /** SM2 (suite INTL: P-256) key-pair generations (one scalar multiplication each) */
  sm2Keygen: number;
  /** SM2 (suite INTL: P-256) ECDH computations (point check + scalar multiplication) */
  sm2Ecdh: number;
  /** bytes through HMAC-SM3 / SM3 (suite INTL: HMAC-SHA-256 / SHA-256), KDF included */
  sm3Bytes: number;
  /** SM4 (suite INTL's CIPHER: AES-128) blocks */
  sm4Blocks: number;
  /** NVM writes */
  nvmWrites: number;
  /** TRNG bytes drawn */
  randomBytes: number;
}
