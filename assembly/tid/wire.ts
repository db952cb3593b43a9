// TID protocol v1 wire constants (docs/protocol.md, "The authcode" to "Tags and the session
// token"): field sizes, offsets and algorithm codes shared by the authcode encoder, the server-data
// parser and both backends.

export const TID_VERSION: u8 = 0x01;
// bytes 1–2, the algorithms: per suite, suite.ts
export const TID_NONCE_LEN_CODE: u8 = 0x10; // nonce length byte

export const TID_SIZE: u32 = 8;
export const PSK_SIZE: u32 = 16;
export const NONCE_SIZE: u32 = 16;
export const POINT_SIZE: u32 = 64;          // public key X ‖ Y (SM2 or P-256)
export const SCALAR_SIZE: u32 = 32;
export const TAG_SIZE: u32 = 32;            // HMAC-SM3 or HMAC-SHA-256
export const TOKEN_SIZE: u32 = 16;          // session token = K[0..16), an SM4 or AES-128 key
export const KDF_OUT_SIZE: u32 = 32;        // K
export const MAX_EXTRA: u32 = 512;          // L and L' are 0..512

// Offsets common to the authcode and the server data.
export const OFF_VERSION: u32 = 0;
export const OFF_ALG_SYM: u32 = 1;
export const OFF_ALG_KA: u32 = 2;
export const OFF_NONCE_LEN: u32 = 3;
export const OFF_FLAGS: u32 = 4;
export const OFF_TIME: u32 = 6;
export const OFF_TID: u32 = 10;
export const OFF_NONCE: u32 = 18;
export const OFF_EXTRA_LEN: u32 = 34;
export const HEADER_SIZE: u32 = 36;         // offset of the extra data

/** Authcode flags bit 0: keep the current session, issue no new token. */
export const AUTH_FLAG_KEEP_SESSION: u16 = 0x0001;
/** Server-data flags bit 0: a new session token is issued (Qs present). */
export const SERVER_FLAG_TOKEN: u16 = 0x0001;

/** Authcode length for L bytes of extra data: 132 + L. */
// @ts-ignore: decorator
@inline
export function authcodeSize(extraLen: u32): u32 {
  return HEADER_SIZE + extraLen + POINT_SIZE + TAG_SIZE;
}

export const AUTHCODE_MAX: u32 = HEADER_SIZE + MAX_EXTRA + POINT_SIZE + TAG_SIZE;     // 644
export const SERVER_DATA_MIN: u32 = HEADER_SIZE + TAG_SIZE;                           // 68: no extra, no Qs
export const SERVER_DATA_MAX: u32 = HEADER_SIZE + MAX_EXTRA + POINT_SIZE + TAG_SIZE;  // 644

/** Domain-separation prefix of tag_s: ASCII "TIDS". */
export const TAG_S_LABEL: usize = memory.data<u8>([0x54, 0x49, 0x44, 0x53]);
export const TAG_S_LABEL_SIZE: u32 = 4;

// Big-endian integer access.
// @ts-ignore: decorator
@inline
export function loadBe16(p: usize): u32 {
  return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1);
}
// @ts-ignore: decorator
@inline
export function storeBe16(p: usize, v: u32): void {
  store<u8>(p, <u8>(v >> 8));
  store<u8>(p + 1, <u8>v);
}
// @ts-ignore: decorator
@inline
export function storeBe32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}
// @ts-ignore: decorator
@inline
export function storeBe64(p: usize, v: u64): void {
  store<u64>(p, bswap<u64>(v));
}
// @ts-ignore: decorator
@inline
export function loadBe64(p: usize): u64 {
  return bswap<u64>(load<u64>(p));
}
