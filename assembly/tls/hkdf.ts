// HKDF (RFC 5869 §2.2–§2.3) over HMAC-SM3 (Hash.length 32, as RFC 8998 uses it for TLS 1.3) or
// HMAC-SHA-256 (RFC 8446's TLS_AES_128_GCM_SHA256), and HKDF-Expand-Label of RFC 8446 §7.1
// (HkdfLabel with the "tls13 " prefix). The first parameter, HASH_SM3 or HASH_SHA256 of
// hash/md.ts, picks the hash; the HMAC is hash/hmac.ts's. Every intermediate block and label
// lives in the TID-TLS scratch (scratch.ts), wiped after each call. The caller checks ranges and
// lengths.
import { wipe } from "../mem";
import { HMAC_CTX_SIZE, hmac, hmacFinal, hmacInit } from "../hash/hmac";
import { hashUpdate } from "../hash/md";
import { HKDF_SCRATCH_SIZE, TLS_SCRATCH, TLS_SCRATCH_SIZE } from "./scratch";

export const HKDF_HASH_SIZE: usize = 32;
/** RFC 5869 §2.3: L ≤ 255 · HashLen. */
export const HKDF_MAX_OUTPUT: usize = 255 * 32;
/** RFC 8446 §7.1: opaque label<7..255> including "tls13 ", so 1..249 bytes of label. */
export const HKDF_LABEL_MAX: usize = 255 - 6;
/** RFC 8446 §7.1: opaque context<0..255>. */
export const HKDF_CONTEXT_MAX: usize = 255;

// The HMAC context; T(i) ‖ the counter byte (one HKDF-Expand block); HkdfLabel: uint16 length ‖
// u8 ‖ "tls13 " ‖ label ‖ u8 ‖ context.
const ctx: usize = TLS_SCRATCH;
const T: usize = TLS_SCRATCH + HMAC_CTX_SIZE;
const INFO: usize = T + 48;
const PREFIX: usize = memory.data<u8>([0x74, 0x6c, 0x73, 0x31, 0x33, 0x20]); // "tls13 "

/** HKDF-Extract(salt, IKM) = HMAC(salt, IKM) into the 32 bytes at `out`; an empty salt is 32 zeros. */
export function hkdfExtract(h: u32, salt: usize, saltLen: usize, ikm: usize, ikmLen: usize, out: usize): void {
  // HMAC pads its key with zeros to 64 bytes: an empty salt and 32 zero bytes are the same key.
  hmac(h, salt, saltLen, ikm, ikmLen, out);
}

/**
 * HKDF-Expand(PRK, info, L): T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), the first L bytes of
 * T(1) ‖ T(2) ‖ … into `out`. L ≤ HKDF_MAX_OUTPUT; `out` must not overlap `prk` or `info`
 * (they are read again for every block).
 */
export function hkdfExpand(h: u32, prk: usize, prkLen: usize, info: usize, infoLen: usize, out: usize, outLen: usize): void {
  if (HKDF_SCRATCH_SIZE > TLS_SCRATCH_SIZE) ERROR("HKDF's scratch does not fit in TLS_SCRATCH");
  let done: usize = 0;
  for (let i: u32 = 1; done < outLen; i++) {
    hmacInit(h, ctx, prk, prkLen);
    if (i > 1) hashUpdate(h, ctx, T, HKDF_HASH_SIZE);
    hashUpdate(h, ctx, info, infoLen);
    store<u8>(T + HKDF_HASH_SIZE, <u8>i);
    hashUpdate(h, ctx, T + HKDF_HASH_SIZE, 1);
    hmacFinal(h, ctx, T);
    const n = min<usize>(HKDF_HASH_SIZE, outLen - done);
    memory.copy(out + done, T, n);
    done += n;
  }
  wipe(T, 32 + 16);
}

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) of RFC 8446 §7.1: HKDF-Expand with
 * HkdfLabel = uint16 Length ‖ opaque "tls13 " ‖ Label ‖ opaque Context as info. `label` is
 * without the prefix (1..HKDF_LABEL_MAX bytes), the context ≤ HKDF_CONTEXT_MAX bytes. Secret,
 * label and context are copied or absorbed before `out` is written, except the secret: `out`
 * must not overlap it.
 */
export function hkdfExpandLabel(
  h: u32, secret: usize, secretLen: usize, label: usize, labelLen: usize, context: usize, contextLen: usize,
  out: usize, outLen: usize,
): void {
  store<u8>(INFO, <u8>(outLen >> 8));
  store<u8>(INFO + 1, <u8>outLen);
  store<u8>(INFO + 2, <u8>(6 + labelLen));
  memory.copy(INFO + 3, PREFIX, 6);
  memory.copy(INFO + 9, label, labelLen);
  store<u8>(INFO + 9 + labelLen, <u8>contextLen);
  memory.copy(INFO + 10 + labelLen, context, contextLen);
  const infoLen: usize = 10 + labelLen + contextLen;
  hkdfExpand(h, secret, secretLen, INFO, infoLen, out, outLen);
  wipe(INFO, infoLen);
}
