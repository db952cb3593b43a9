// Parsed user-server keys, cached by their PEM text: parsing an RSA public key costs more than
// verifying a signature with it, and every /v1/auth request needs one. The registry is still read
// on every request (the active flag and the key may change on another instance); only the parse
// is reused, and a re-keyed user server has a new PEM, hence a new entry.
import type { KeyObject } from "node:crypto";
import { rsaPublicKey } from "../sdk/signing.js";

/** Entries kept before the cache starts over (far more user servers than one deployment has). */
export const KEY_CACHE_LIMIT = 1024;

const cache = new Map<string, KeyObject>();

/** The RSA public key object of a registered user server's PEM (checked: RSA, ≥ 2048 bits). */
export function publicKeyOf(pem: string): KeyObject {
  let key = cache.get(pem);
  if (!key) {
    key = rsaPublicKey(pem);
    if (cache.size >= KEY_CACHE_LIMIT) cache.clear();
    cache.set(pem, key);
  }
  return key;
}
