// P-256 (secp256r1, SEC 2 §2.4.2): the internal API used by the TID protocol's suite INTL and the
// ABI. 32-byte big-endian scalars; public keys x ‖ y (64 bytes).
export { p256Keygen, p256PublicFromPrivate, p256Ecdh, p256CheckPublic, p256DecodePoint } from "./keys";
export { ecdsaP256Sign, ecdsaP256Verify, ecdsaP256SignDigest, ecdsaP256VerifyDigest } from "./ecdsa";
