// The one static scratch region of TID-TLS, shared by the two users that never run at the same
// time: HKDF (hkdf.ts: the HMAC context, an HKDF-Expand block, the HkdfLabel of RFC 8446 §7.1)
// and an AES-128-GCM record call (record.ts: the round-key planes and GHASH key of NIST SP
// 800-38D expanded from the direction's raw key, since a context has no room to keep them). A
// record call runs no HKDF and an HKDF call seals or opens no record; each user wipes what it
// wrote before it returns. Sharing keeps the module's static data within its four pages.
import { AES_GCM_CTX_SIZE } from "../gcm/gcm";
import { HMAC_CTX_SIZE } from "../hash/hmac";

/** HKDF's part: HMAC context, then T(i) ‖ counter (48), then HkdfLabel (2 + 1 + 255 + 1 + 255). */
export const HKDF_SCRATCH_SIZE: usize = HMAC_CTX_SIZE + 48 + 514;

/** The larger of the two (AES_GCM_CTX_SIZE = 800 > 738; hkdf.ts checks the HKDF part fits at compile time). */
export const TLS_SCRATCH_SIZE: usize = AES_GCM_CTX_SIZE;
export const TLS_SCRATCH: usize = memory.data(<i32>TLS_SCRATCH_SIZE, 16);
