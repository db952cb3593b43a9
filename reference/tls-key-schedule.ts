// The TID-TLS key schedule on node:crypto (docs/tls.md "Key schedule"): RFC 8446 §7.1 in psk_ke
// mode with HKDF (RFC 5869) over the hash of the suite — SM3 as RFC 8998 names it for
// TLS_SM4_GCM_SM3 (suite "sm", the default of every function here), SHA-256 for
// TLS_AES_128_GCM_SHA256 (suite "intl") — HKDF-Expand-Label with the "tls13 " prefix (§7.1),
// traffic keys of §7.3 (key 16, iv 12), Finished of §4.4.4, the binder of §4.2.11 and KeyUpdate
// of §7.2. This is the independent check of the wasm's schedule (assembly/tls/): tests compare
// every secret. Derive-Secret of an extracted secret goes through node's `hkdfSync("sm3" or
// "sha256", …)` (extract and expand in one call); expanding a secret that is not itself an
// extract (traffic keys, Finished keys, KeyUpdate) uses the suite's HMAC directly.
import { hkdfSync } from "node:crypto";
import { suiteOf, type SuiteName } from "./suite.js";

export const TLS_HASH_SIZE = 32;
export const TLS_KEY_SIZE = 16;
export const TLS_IV_SIZE = 12;

const ZEROS = new Uint8Array(TLS_HASH_SIZE);
const enc = new TextEncoder();

/** node:crypto's name of the suite's hash (TLS 1.3's "Hash" of the cipher suite). */
export function tlsHashName(suite: SuiteName = "sm"): "sm3" | "sha256" {
  return suiteOf(suite).name === "intl" ? "sha256" : "sm3";
}

/** SM3 of the concatenation: Transcript-Hash (§4.4.1), and Hash("") for Derive-Secret with no messages (suite "sm"). */
export function tlsHash(...parts: Uint8Array[]): Uint8Array {
  return suiteOf("sm").hash(...parts);
}

/** Transcript-Hash (§4.4.1) in `suite`: SM3 or SHA-256 of the concatenated messages. */
export function transcriptHash(suite: SuiteName, messages: readonly Uint8Array[]): Uint8Array {
  return suiteOf(suite).hash(...messages);
}

/** HKDF-Extract(salt, IKM) = HMAC(salt, IKM) (RFC 5869 §2.2; an empty salt is 32 zeros). */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array, suite: SuiteName = "sm"): Uint8Array {
  return suiteOf(suite).hmac(salt.length === 0 ? ZEROS : salt, ikm);
}

/** HKDF-Expand(PRK, info, L) (RFC 5869 §2.3), L ≤ 255 × 32. */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number, suite: SuiteName = "sm"): Uint8Array {
  const hmac = suiteOf(suite).hmac;
  if (!Number.isInteger(length) || length < 0 || length > 255 * TLS_HASH_SIZE) {
    throw new RangeError(`length must be an integer 0..${255 * TLS_HASH_SIZE}, got ${length}`);
  }
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, done = 0; done < length; i++) {
    t = hmac(prk, t, info, new Uint8Array([i]));
    out.set(t.subarray(0, Math.min(t.length, length - done)), done);
    done += t.length;
  }
  t.fill(0);
  return out;
}

/** HkdfLabel of RFC 8446 §7.1: uint16 length ‖ opaque label<7..255> ("tls13 " ‖ label) ‖ opaque context<0..255>. */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const l = enc.encode("tls13 " + label);
  if (l.length > 255) throw new RangeError(`label too long: ${label}`);
  if (context.length > 255) throw new RangeError(`context must be ≤ 255 bytes, got ${context.length}`);
  const out = new Uint8Array(2 + 1 + l.length + 1 + context.length);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out[2] = l.length;
  out.set(l, 3);
  out[3 + l.length] = context.length;
  out.set(context, 4 + l.length);
  return out;
}

/** HKDF-Expand-Label(Secret, Label, Context, Length). */
export function hkdfExpandLabel(
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
  suite: SuiteName = "sm",
): Uint8Array {
  return hkdfExpand(secret, hkdfLabel(label, context, length), length, suite);
}

/**
 * Derive-Secret(HKDF-Extract(salt, ikm), label, hash) in one `hkdfSync("sm3" / "sha256", …)` call:
 * node's HKDF extracts and then expands with the HkdfLabel as info.
 */
function deriveFromExtract(salt: Uint8Array, ikm: Uint8Array, label: string, hash: Uint8Array, suite: SuiteName): Uint8Array {
  return new Uint8Array(hkdfSync(tlsHashName(suite), ikm, salt, hkdfLabel(label, hash, TLS_HASH_SIZE), TLS_HASH_SIZE));
}

/** Every secret of one TID-TLS handshake, for tests and the worked example of docs/tls.md. */
export interface TlsSecrets {
  earlySecret: Uint8Array;
  binderKey: Uint8Array;
  handshakeSecret: Uint8Array;
  clientHandshakeTrafficSecret: Uint8Array;
  serverHandshakeTrafficSecret: Uint8Array;
  masterSecret: Uint8Array;
  clientApplicationTrafficSecret: Uint8Array;
  serverApplicationTrafficSecret: Uint8Array;
}

/** The early secret and the resumption binder key (§7.1): Early Secret = HKDF-Extract(0, PSK). */
export function earlySecrets(psk: Uint8Array, suite: SuiteName = "sm"): Pick<TlsSecrets, "earlySecret" | "binderKey"> {
  const emptyHash = transcriptHash(suite, []);
  return {
    earlySecret: hkdfExtract(ZEROS, psk, suite),
    binderKey: deriveFromExtract(ZEROS, psk, "res binder", emptyHash, suite),
  };
}

/**
 * The whole schedule for a PSK-only handshake: `helloHash` = Transcript-Hash(ClientHello ‖
 * ServerHello), `serverFinishedHash` = Transcript-Hash(ClientHello .. server Finished).
 */
export function tlsKeySchedule(
  psk: Uint8Array,
  helloHash: Uint8Array,
  serverFinishedHash: Uint8Array,
  suite: SuiteName = "sm",
): TlsSecrets {
  const emptyHash = transcriptHash(suite, []);
  const { earlySecret, binderKey } = earlySecrets(psk, suite);
  const derivedEarly = deriveFromExtract(ZEROS, psk, "derived", emptyHash, suite);
  const handshakeSecret = hkdfExtract(derivedEarly, ZEROS, suite);
  const clientHandshakeTrafficSecret = deriveFromExtract(derivedEarly, ZEROS, "c hs traffic", helloHash, suite);
  const serverHandshakeTrafficSecret = deriveFromExtract(derivedEarly, ZEROS, "s hs traffic", helloHash, suite);
  const derivedHandshake = deriveFromExtract(derivedEarly, ZEROS, "derived", emptyHash, suite);
  const masterSecret = hkdfExtract(derivedHandshake, ZEROS, suite);
  return {
    earlySecret,
    binderKey,
    handshakeSecret,
    clientHandshakeTrafficSecret,
    serverHandshakeTrafficSecret,
    masterSecret,
    clientApplicationTrafficSecret: deriveFromExtract(derivedHandshake, ZEROS, "c ap traffic", serverFinishedHash, suite),
    serverApplicationTrafficSecret: deriveFromExtract(derivedHandshake, ZEROS, "s ap traffic", serverFinishedHash, suite),
  };
}

/** finished_key = HKDF-Expand-Label(BaseKey, "finished", "", 32); verify_data = HMAC(finished_key, hash). */
export function finishedVerifyData(baseKey: Uint8Array, hash: Uint8Array, suite: SuiteName = "sm"): Uint8Array {
  const finishedKey = hkdfExpandLabel(baseKey, "finished", new Uint8Array(0), TLS_HASH_SIZE, suite);
  const v = suiteOf(suite).hmac(finishedKey, hash);
  finishedKey.fill(0);
  return v;
}

/** The record key and IV of a traffic secret (§7.3). */
export function trafficKeys(secret: Uint8Array, suite: SuiteName = "sm"): { key: Uint8Array; iv: Uint8Array } {
  return {
    key: hkdfExpandLabel(secret, "key", new Uint8Array(0), TLS_KEY_SIZE, suite),
    iv: hkdfExpandLabel(secret, "iv", new Uint8Array(0), TLS_IV_SIZE, suite),
  };
}

/** application_traffic_secret_N+1 (§7.2). */
export function nextTrafficSecret(secret: Uint8Array, suite: SuiteName = "sm"): Uint8Array {
  return hkdfExpandLabel(secret, "traffic upd", new Uint8Array(0), TLS_HASH_SIZE, suite);
}
