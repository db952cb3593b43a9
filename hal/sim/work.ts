// The work one command does inside the simulated SE (docs/se-profile.md "Simulator timing model"):
// the applet (applet.ts) and the shielded link (secure-session.ts) count it, the timing model
// (timing.ts) turns it into processing time.

/** Work a command did, for the timing model. */
export interface AppletWork {
  /** SM2 key-pair generations (one scalar multiplication each) */
  sm2Keygen: number;
  /** SM2 ECDH computations (point check + scalar multiplication) */
  sm2Ecdh: number;
  /** bytes through HMAC-SM3 / SM3 (KDF included) */
  sm3Bytes: number;
  /** SM4 blocks */
  sm4Blocks: number;
  /** NVM writes */
  nvmWrites: number;
  /** TRNG bytes drawn */
  randomBytes: number;
}
