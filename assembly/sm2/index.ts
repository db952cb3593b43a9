// SM2 (GB/T 32918-2016, curve sm2p256v1 of GB/T 32918.5-2017): the internal API used by the
// TID protocol and the ABI. 32-byte big-endian scalars; public keys x ‖ y (64 bytes).
export { sm2Keygen, sm2PublicFromPrivate, sm2Ecdh, sm2CheckPublic, sm2DecodePoint } from "./keys";
export { sm2Sign, sm2Verify, sm2SignDigest, sm2VerifyDigest, sm2Za, SM2_MAX_ID_LEN } from "./sign";
export { sm2Encrypt, sm2Decrypt, SM2_CIPHER_OVERHEAD } from "./encrypt";
