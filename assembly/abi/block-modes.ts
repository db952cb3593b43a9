// The calls of a block-cipher key handle, for both of the module's 128-bit block ciphers (the
// cipher selector of gcm/gcm.ts: GCM_SM4 or GCM_AES): ECB and CBC (NIST SP 800-38A), each with
// PKCS#7 padding (RFC 5652 §6.3), CTR, and GCM one-shot and streaming (NIST SP 800-38D). abi/sm4.ts
// and abi/aes.ts keep their handle tables and call these after checking the handle, so both ABIs
// check arguments in the same order and obey the same rules (docs/abi.md § SM4):
// - every range is checked against linear memory first (ERR_OUT_OF_BOUNDS); nothing traps;
// - `out` may be exactly `in` (in place) or disjoint from it; a partial overlap is ERR_BAD_PARAM,
//   and so is `out` overlapping an IV/counter/tag/length cell the call reads or writes;
// - on any error nothing is written (outputs, IV/counter cells, key state are unchanged).
// `ctx` is the handle's key: SM4's expanded GCM context, or AES's raw key, which each call expands
// into the module's one AES call context (aes/call-key.ts) and wipes before it returns.
import { OK, ERR_BAD_PARAM, ERR_BAD_LENGTH, ERR_OUT_OF_BOUNDS, ERR_BAD_PADDING } from "../status";
import { inBounds, wipe, overlaps, badAlias } from "../mem";
import { SM4_DEC, sm4Ecb } from "../sm4/sm4";
import { sm4CbcEncrypt, sm4CbcDecrypt, sm4Ctr, pkcs7Pad, pkcs7Check } from "../sm4/modes";
import { aesEcb } from "../aes/aes";
import { aesCbcEncrypt, aesCbcDecrypt, aesCtr } from "../aes/modes";
import { aesCallKey, aesCallGcmKey, aesCallKeyWipe } from "../aes/call-key";
import {
  isAes, gcmSeal, gcmOpen, gcmStreamStart, gcmStreamAad, gcmStreamEncrypt, gcmStreamFinish,
  gcmStreamAbsorb, gcmStreamVerify, gcmStreamDecrypt,
} from "../gcm/gcm";

// Scratch for the PKCS#7 last block (and the saved chaining value).
const LAST: usize = memory.data(32, 16);

/** The key schedule of this call: SM4's context, or AES's raw key expanded (with H for GCM). */
// @ts-ignore: decorator
@inline
function keyOf(c: u32, ctx: usize, gcm: bool): usize {
  if (!isAes(c)) return ctx;
  return gcm ? aesCallGcmKey(ctx) : aesCallKey(ctx);
}

/** End a call that took keyOf: wipe an expanded AES key; returns `st`. */
function done(c: u32, st: i32): i32 {
  if (isAes(c)) aesCallKeyWipe();
  return st;
}

function ecbRun(c: u32, key: usize, src: usize, dst: usize, len: usize, dec: bool): void {
  if (isAes(c)) aesEcb(key, src, dst, len, dec);
  else sm4Ecb(dec ? key + SM4_DEC : key, src, dst, len);
}

function cbcRun(c: u32, key: usize, iv: usize, src: usize, dst: usize, len: usize, dec: bool): void {
  if (isAes(c)) {
    if (dec) aesCbcDecrypt(key, iv, src, dst, len);
    else aesCbcEncrypt(key, iv, src, dst, len);
  } else if (dec) sm4CbcDecrypt(key, iv, src, dst, len);
  else sm4CbcEncrypt(key, iv, src, dst, len);
}

// ---------------------------------------------------------------- ECB, CBC

/** ECB over len bytes (a multiple of 16), no padding. */
export function modeEcb(c: u32, ctx: usize, inp: usize, out: usize, len: usize, dec: bool): i32 {
  if (!inBounds(inp, len) || !inBounds(out, len)) return ERR_OUT_OF_BOUNDS;
  if ((len & 15) != 0) return ERR_BAD_LENGTH;
  if (badAlias(inp, len, out, len)) return ERR_BAD_PARAM;
  ecbRun(c, keyOf(c, ctx, false), inp, out, len, dec);
  return done(c, OK);
}

/** CBC over len bytes (a multiple of 16), no padding; the iv cell ends as the last ciphertext block. */
export function modeCbc(c: u32, ctx: usize, iv: usize, inp: usize, out: usize, len: usize, dec: bool): i32 {
  if (!inBounds(iv, 16) || !inBounds(inp, len) || !inBounds(out, len)) return ERR_OUT_OF_BOUNDS;
  if ((len & 15) != 0) return ERR_BAD_LENGTH;
  if (badAlias(inp, len, out, len) || overlaps(iv, 16, out, len)) return ERR_BAD_PARAM;
  cbcRun(c, keyOf(c, ctx, false), iv, inp, out, len, dec);
  return done(c, OK);
}

/** Size of the PKCS#7-padded form of len bytes: the next multiple of 16 above len. */
// @ts-ignore: decorator
@inline
function paddedLen(len: usize): usize {
  return (len & ~15) + 16;
}

/** PKCS#7 encryption, ECB or CBC (iv used only for CBC): (len & ~15) + 16 bytes at out. */
export function modeEncryptPadded(c: u32, ctx: usize, cbc: bool, iv: usize, inp: usize, out: usize, len: usize): i32 {
  if ((cbc && !inBounds(iv, 16)) || !inBounds(inp, len) || len > <usize>0xffffffef || !inBounds(out, paddedLen(len))) return ERR_OUT_OF_BOUNDS;
  const outLen = paddedLen(len);
  if (badAlias(inp, len, out, outLen) || (cbc && overlaps(iv, 16, out, outLen))) return ERR_BAD_PARAM;
  const full = len & ~15;
  const key = keyOf(c, ctx, false);
  pkcs7Pad(inp + full, len - full, LAST);
  if (cbc) {
    cbcRun(c, key, iv, inp, out, full, false);
    cbcRun(c, key, iv, LAST, out + full, 16, false);
  } else {
    ecbRun(c, key, inp, out, full, false);
    ecbRun(c, key, LAST, out + full, 16, false);
  }
  wipe(LAST, 16);
  return done(c, OK);
}

/**
 * PKCS#7 decryption, ECB or CBC: the last block is decrypted and its padding checked first, so
 * bad padding writes nothing (ERR_BAD_PADDING). The plaintext length goes to the u32 cell at
 * outLenPtr; CBC's iv cell is updated only on success.
 */
export function modeDecryptPadded(c: u32, ctx: usize, cbc: bool, iv: usize, inp: usize, out: usize, len: usize, outLenPtr: usize): i32 {
  if ((cbc && !inBounds(iv, 16)) || !inBounds(inp, len) || !inBounds(out, len) || !inBounds(outLenPtr, 4)) return ERR_OUT_OF_BOUNDS;
  if (len == 0 || (len & 15) != 0) return ERR_BAD_LENGTH;
  if (badAlias(inp, len, out, len) || overlaps(outLenPtr, 4, out, len)
      || (cbc && (overlaps(iv, 16, out, len) || overlaps(outLenPtr, 4, iv, 16)))) return ERR_BAD_PARAM;
  const last = len - 16;
  const key = keyOf(c, ctx, false);
  ecbRun(c, key, inp + last, LAST, 16, true);
  if (cbc) {
    const prev = last != 0 ? inp + last - 16 : iv;
    if (ASC_FEATURE_SIMD) {
      v128.store(LAST, v128.xor(v128.load(LAST), v128.load(prev)));
    } else {
      store<u64>(LAST, load<u64>(LAST) ^ load<u64>(prev));
      store<u64>(LAST, load<u64>(LAST, 8) ^ load<u64>(prev, 8), 8);
    }
  }
  const pad = pkcs7Check(LAST);
  if (pad == 0) {
    wipe(LAST, 16);
    return done(c, ERR_BAD_PADDING);
  }
  if (cbc) {
    // next chaining value, saved before in-place writes
    if (ASC_FEATURE_SIMD) v128.store(LAST, v128.load(inp + last), 16);
    else memory.copy(LAST + 16, inp + last, 16);
    cbcRun(c, key, iv, inp, out, last, true);
    if (ASC_FEATURE_SIMD) v128.store(iv, v128.load(LAST, 16));
    else memory.copy(iv, LAST + 16, 16);
  } else {
    ecbRun(c, key, inp, out, last, true);
  }
  const keep: usize = 16 - <usize>pad;
  memory.copy(out + last, LAST, keep);
  store<u32>(outLenPtr, <u32>(last + keep));
  wipe(LAST, 32);
  return done(c, OK);
}

// ---------------------------------------------------------------- CTR

/** CTR over len bytes with the 16-byte counter block at ctr; counterBits 32 or 128. */
export function modeCtr(c: u32, ctx: usize, ctr: usize, inp: usize, out: usize, len: usize, counterBits: u32): i32 {
  if (!inBounds(ctr, 16) || !inBounds(inp, len) || !inBounds(out, len)) return ERR_OUT_OF_BOUNDS;
  if (counterBits != 32 && counterBits != 128) return ERR_BAD_PARAM;
  if (badAlias(inp, len, out, len) || overlaps(ctr, 16, out, len)) return ERR_BAD_PARAM;
  const key = keyOf(c, ctx, false);
  if (isAes(c)) aesCtr(key, ctr, inp, out, len, counterBits == 128);
  else sm4Ctr(key, ctr, inp, out, len, counterBits == 128);
  return done(c, OK);
}

// ---------------------------------------------------------------- GCM one-shot

/** GCM seal: len bytes at inp into out, the 16-byte tag at tag; ivLen ≥ 1; aad may overlap anything. */
export function modeGcmSeal(c: u32, ctx: usize, iv: usize, ivLen: usize, aad: usize, aadLen: usize,
                            inp: usize, out: usize, len: usize, tag: usize): i32 {
  if (!inBounds(iv, ivLen) || !inBounds(aad, aadLen) || !inBounds(inp, len)
      || !inBounds(out, len) || !inBounds(tag, 16)) return ERR_OUT_OF_BOUNDS;
  if (ivLen == 0) return ERR_BAD_LENGTH;
  if (badAlias(inp, len, out, len) || overlaps(tag, 16, out, len) || overlaps(iv, ivLen, out, len)
      || overlaps(tag, 16, inp, len)) return ERR_BAD_PARAM;
  gcmSeal(c, keyOf(c, ctx, true), iv, ivLen, aad, aadLen, inp, len, out, tag);
  return done(c, OK);
}

/** GCM open: check the tagLen-byte tag (12..16), and only then decrypt. ERR_VERIFY_FAILED: nothing written. */
export function modeGcmOpen(c: u32, ctx: usize, iv: usize, ivLen: usize, aad: usize, aadLen: usize,
                            inp: usize, out: usize, len: usize, tag: usize, tagLen: usize): i32 {
  if (!inBounds(iv, ivLen) || !inBounds(aad, aadLen) || !inBounds(inp, len)
      || !inBounds(out, len) || !inBounds(tag, tagLen)) return ERR_OUT_OF_BOUNDS;
  if (ivLen == 0 || tagLen < 12 || tagLen > 16) return ERR_BAD_LENGTH;
  if (badAlias(inp, len, out, len) || overlaps(tag, tagLen, out, len) || overlaps(iv, ivLen, out, len)) return ERR_BAD_PARAM;
  return done(c, gcmOpen(c, keyOf(c, ctx, true), iv, ivLen, aad, aadLen, inp, len, tag, tagLen, out));
}

// ---------------------------------------------------------------- GCM stream (state at `s`)

export function modeGcmStart(c: u32, ctx: usize, s: usize, iv: usize, ivLen: usize): i32 {
  if (!inBounds(iv, ivLen)) return ERR_OUT_OF_BOUNDS;
  if (ivLen == 0) return ERR_BAD_LENGTH;
  gcmStreamStart(c, keyOf(c, ctx, true), s, iv, ivLen);
  return done(c, OK);
}

export function modeGcmAad(c: u32, ctx: usize, s: usize, aad: usize, len: usize): i32 {
  if (!inBounds(aad, len)) return ERR_OUT_OF_BOUNDS;
  return done(c, gcmStreamAad(c, keyOf(c, ctx, true), s, aad, len));
}

export function modeGcmEncrypt(c: u32, ctx: usize, s: usize, inp: usize, out: usize, len: usize): i32 {
  if (!inBounds(inp, len) || !inBounds(out, len)) return ERR_OUT_OF_BOUNDS;
  if (badAlias(inp, len, out, len)) return ERR_BAD_PARAM;
  return done(c, gcmStreamEncrypt(c, keyOf(c, ctx, true), s, inp, out, len));
}

export function modeGcmFinish(c: u32, ctx: usize, s: usize, tag: usize): i32 {
  if (!inBounds(tag, 16)) return ERR_OUT_OF_BOUNDS;
  return done(c, gcmStreamFinish(c, keyOf(c, ctx, true), s, tag));
}

export function modeGcmAbsorb(c: u32, ctx: usize, s: usize, inp: usize, len: usize): i32 {
  if (!inBounds(inp, len)) return ERR_OUT_OF_BOUNDS;
  return done(c, gcmStreamAbsorb(c, keyOf(c, ctx, true), s, inp, len));
}

export function modeGcmVerify(c: u32, ctx: usize, s: usize, tag: usize, tagLen: usize): i32 {
  if (!inBounds(tag, tagLen)) return ERR_OUT_OF_BOUNDS;
  return done(c, gcmStreamVerify(c, keyOf(c, ctx, true), s, tag, tagLen));
}

export function modeGcmDecrypt(c: u32, ctx: usize, s: usize, inp: usize, out: usize, len: usize): i32 {
  if (!inBounds(inp, len) || !inBounds(out, len)) return ERR_OUT_OF_BOUNDS;
  if (badAlias(inp, len, out, len)) return ERR_BAD_PARAM;
  return done(c, gcmStreamDecrypt(c, keyOf(c, ctx, true), s, inp, out, len));
}
