// The expanded AES-128 key of the call in progress (FIPS 197 key expansion; for GCM also the GHASH
// key, NIST SP 800-38D): everything that keeps an AES key — the key handles of abi/aes.ts, the TID
// client's session slots in suite INTL — keeps the raw 16 bytes and expands them here for one call,
// then wipes this context before the call returns. One context for the whole module (it is
// single-threaded) keeps the static data within its four pages: an expanded key is 720 bytes.
import { wipe } from "../mem";
import { aesExpandKey } from "./aes";
import { AES_GCM_CTX_SIZE, aesGcmInit } from "./gcm";

const KEY: usize = memory.data(<i32>AES_GCM_CTX_SIZE, 16);

/** Expand the raw key at `raw` into the call context: round-key planes only. Returns the context. */
export function aesCallKey(raw: usize): usize {
  aesExpandKey(KEY, raw);
  return KEY;
}

/** Expand the raw key at `raw` into the call context: round-key planes and the GHASH key. */
export function aesCallGcmKey(raw: usize): usize {
  aesGcmInit(KEY, raw);
  return KEY;
}

/** Zero the call context (every call that expanded a key ends with it). */
export function aesCallKeyWipe(): void {
  wipe(KEY, AES_GCM_CTX_SIZE);
}
