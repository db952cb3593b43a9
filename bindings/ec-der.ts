/**
 * @module bindings/ec-der
 * DER form of an elliptic-curve signature r ‖ s: SEQUENCE { r INTEGER, s INTEGER } — the same
 * structure for SM2 (SM2Signature, GB/T 35276-2017 §7.3, GM/T 0009) and ECDSA (Ecdsa-Sig-Value,
 * RFC 3279 §2.2.3 / SEC 1 §C.5). Strict DER both ways (X.690 §10).
 */
import { requireBytes } from "./errors.js";

function derInteger(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const body = v.subarray(i);
  const pad = body[0]! & 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + body.length);
  out[0] = 0x02;
  out[1] = pad + body.length;
  out.set(body, 2 + pad);
  return out;
}

/** DER encoding of a raw signature r ‖ s (64 bytes). */
export function ecSignatureToDer(raw: Uint8Array): Uint8Array {
  requireBytes("signature", raw, { length: 64 });
  const r = derInteger(raw.subarray(0, 32)),
    s = derInteger(raw.subarray(32, 64));
  const out = new Uint8Array(2 + r.length + s.length);
  out[0] = 0x30;
  out[1] = r.length + s.length;
  out.set(r, 2);
  out.set(s, 2 + r.length);
  return out;
}

/**
 * r ‖ s (64 bytes) of a DER signature, or null when it is not strict DER: one SEQUENCE of two
 * INTEGERs with short-form lengths, minimal and non-negative, at most 32 value bytes, nothing
 * trailing. (Range checks of r and s are the verifier's.)
 */
export function ecSignatureFromDer(der: Uint8Array): Uint8Array | null {
  requireBytes("signature", der);
  if (der.length < 8 || der[0] !== 0x30 || der[1]! >= 0x80 || der[1] !== der.length - 2) return null;
  const raw = new Uint8Array(64);
  let pos = 2;
  for (let k = 0; k < 2; k++) {
    if (pos + 2 > der.length || der[pos] !== 0x02) return null;
    const len = der[pos + 1]!;
    pos += 2;
    if (len === 0 || len >= 0x80 || pos + len > der.length) return null;
    const body = der.subarray(pos, pos + len);
    if (body[0]! & 0x80) return null; // negative
    if (len > 1 && body[0] === 0 && !(body[1]! & 0x80)) return null; // not minimal
    const value = body[0] === 0 && len > 1 ? body.subarray(1) : body;
    if (value.length > 32) return null;
    raw.set(value, k * 32 + 32 - value.length);
    pos += len;
  }
  return pos === der.length ? raw : null;
}
