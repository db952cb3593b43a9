// TID protocol v1 reference implementation on node:crypto (docs/protocol.md) — both halves.
// Used by the reference auth server (server/), the simulated SE (hal/sim) and tests; it
// reproduces test/vectors/tid-v1-example.json byte for byte. Bytes are Uint8Array (Buffer ok);
// integers big-endian on the wire; times are Unix seconds (u32). Names follow docs/protocol.md:
// capital Qd / Qs = ephemeral SM2 public keys (64 bytes X ‖ Y), lowercase qd / qs = their
// 32-byte private scalars.
//
// Errors: data errors throw ProtocolError {code, reason, status} (errors.ts): code is one of
//   BAD_FORMAT, UNSUPPORTED_VERSION, UNSUPPORTED_ALGORITHM, TID_MISMATCH, VERIFY_FAILED,
//   BAD_POINT, BAD_SCALAR, STALE_TIME, REPLAY, UNKNOWN_TID, INACTIVE_TID; reason is the exact
//   check (TOO_SHORT, TOO_LONG, EXTRA_TOO_LONG, NONCE_LENGTH, RESERVED_FLAGS, VERSION, SYM_ALG,
//   KEY_AGREEMENT, TID, TAG_D, TAG_S, NOT_ON_CURVE, SCALAR_RANGE, TOO_OLD, TOO_NEW, SEEN,
//   NOT_REGISTERED, DEACTIVATED); status is the matching bindings/status.ts name (ERR_…) when
//   one exists. Bad arguments (wrong type or size of a caller-supplied key) throw TypeError /
//   RangeError naming the argument.
//
// Codecs (codec.ts; strict, fixed check order documented there):
//   parseAuthcode(buf) → AuthcodeFields {version, symAlg, keyAgreement, nonceLength, flags, time,
//     tid, nd, extra, Qd, tagD};  encodeAuthcode({flags?, time, tid, nd, extra?, Qd, tagD});
//     encodeAuthcodeBody(same without tagD) = the bytes tag_d covers.
//   parseServerData(buf) → ServerDataFields {…, flags, time, tid, ns, extra, Qs | null, tagS};
//     encodeServerData({time, tid, ns, extra?, Qs?, tagS}) — the token flag is set iff Qs given;
//     encodeServerDataBody(same without tagS).
// Primitives (primitives.ts): sm3(...parts), hmacSm3(key, ...parts), sm3Kdf(z, len) — over
//   digest / hmac / counterKdf(hash, …), which suite INTL's SHA-256 side (p256.ts) shares,
//   sm2Keygen() → {privateKey, publicKey}, sm2PublicFromPrivate(d), sm2Ecdh(d, peerPublic) → x,
//   isOnCurve(pub), checkPublicKey / checkPrivateKey, ctEqual(a, b), random(n).
// Keyed values (derive.ts): computeTagD(psk, body), computeTagS(psk, body, nd, tagD),
//   deriveK(z, tid, nd, ns) → K (32), tokenOf(K) → K[0..16).
// Device half (device-half.ts):
//   buildAuthcode({tid, psk, time, nd?, ephemeralPrivate?, extra?, flags?})
//     → {authcode, pending: {qd, nd, tagD}}
//   finishDevice({tid, psk, pending, serverData}) → {token | null, k | null, fields}
//     checks: parse → TID_MISMATCH → VERIFY_FAILED (tag_s) → BAD_POINT (Qs). The caller drops
//     `pending` after one call, good or bad (docs/protocol.md "Rules").
// Server half (server-half.ts):
//   verifyAuthcode(authcode, {lookupPsk(tid), now, windowSeconds? = 300, remember?(tid, nd,
//     expiresAt)}) → fields + {psk, wantsToken}
//     checks: parse → UNKNOWN_TID → VERIFY_FAILED (tag_d) → UNSUPPORTED_ALGORITHM/SUITE →
//     INACTIVE_TID → STALE_TIME → BAD_POINT (Qd) → REPLAY (remember returned false). lookupPsk
//     returns the PSK, {psk, active?, suite?}, or null.
//   buildServerData({suite?, tid, psk, nd, tagD, Qd?, time, ns?, ephemeralPrivate?, issueToken, extra?}, sm2?)
//     → {serverData, token | null, k, z, ns, Qs, tagS}
//   MemoryReplayCache — an in-memory `remember` (the auth server persists its own in SQLite).
// Algorithm suites (suite.ts, p256.ts; docs/protocol.md "Algorithm suites"): SuiteName "sm"
//   (default) | "intl"; suiteOf(name) → Suite {symAlg, keyAgreement, hash, hmac, kdf, keygen,
//   publicFromPrivate, ecdh, isOnCurve, checkPublicKey, ecbEncrypt/Decrypt, gcm}; symEncrypt /
//   symDecrypt(token, data, suite?). Every encoder, buildAuthcode, finishDevice and
//   buildServerData takes `suite?`; parsed fields carry `suite`; lookupPsk may return {psk,
//   suite}, and an authcode in another suite than the registered one fails UNSUPPORTED_ALGORITHM/
//   SUITE (after its tag verifies). P-256 (INTL): sha256, hmacSha256, x963KdfSha256, p256Keygen,
//   p256PublicFromPrivate, p256Ecdh, p256IsOnCurve, p256CheckPublicKey / p256CheckPrivateKey.
// Shielded SE link (secure-link.ts, secure-messaging.ts, sm4-cmac.ts; docs/se-profile.md "The
// shielded link"): hostOpen(pinnedPk, {ephemeralPrivate?, challenge?}) → {commandData,
//   finish(answer) → SecureSession}; seOpen(skSe, commandData, {ephemeralPrivate?}) → {answer,
//   session}; deriveLinkKeys; SecureSession.wrapCommand / unwrapResponse (host), unwrapCommand /
//   wrapResponse (SE), keys(), wipe(); failures throw SecureLinkError {code, reason}; sm4Cmac.
export * from "./constants.js";
export * from "./errors.js";
export * from "./primitives.js";
export * from "./codec.js";
export * from "./derive.js";
export * from "./device-half.js";
export * from "./server-half.js";
export * from "./p256.js";
export * from "./suite.js";
export * from "./secure-link.js";
