// The TID-TLS key schedule (RFC 8446 §7.1 in psk_ke mode, no (EC)DHE) on a fixed pool of
// TLS_CONTEXTS contexts in static memory, with the hash of the context's suite: SM3 as RFC 8998
// names it for TLS_SM4_GCM_SM3 (SUITE_SM), SHA-256 for TLS_AES_128_GCM_SHA256 (SUITE_INTL). A
// context holds its side, its suite, its phase, the secrets of the schedule that are still
// needed, and two record directions (record.ts): read and write.
//
//   Early Secret        = HKDF-Extract(0, PSK)                       (PSK = the 16-byte session token)
//   binder_key          = Derive-Secret(Early Secret, "res binder", "")
//   Handshake Secret    = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), 0)
//   c/s hs traffic      = Derive-Secret(Handshake Secret, "c/s hs traffic", ClientHello..ServerHello)
//   Master Secret       = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0)
//   c/s ap traffic_0    = Derive-Secret(Master Secret, "c/s ap traffic", ClientHello..server Finished)
//   traffic_N+1         = HKDF-Expand-Label(traffic_N, "traffic upd", "", 32)            (§7.2)
//   binder / verify_data = HMAC(HKDF-Expand-Label(base key, "finished", "", 32), hash)  (§4.2.11, §4.4.4)
//
// Secrets are wiped as soon as nothing can need them: the early secret when the handshake secrets
// are derived; the binder key, handshake secrets and master secret once both directions run on
// application keys; a traffic secret when KeyUpdate replaces it; everything when the context is
// closed. Traffic secrets, keys and IVs never leave the context. The ABI layer (assembly/abi/tls.ts)
// checks indexes, ranges and the order of calls before it calls in here.
import { wipe } from "../mem";
import { hash } from "../hash/md";
import { hmac } from "../hash/hmac";
import { hkdfExtract, hkdfExpandLabel } from "./hkdf";
import { RECORD_STATE_SIZE, recordInstall, suiteHash } from "./record";

/** Number of TLS contexts (0 .. TLS_CONTEXTS − 1): connections one module instance can hold at once. */
export const TLS_CONTEXTS: u32 = 16;

export const SIDE_CLIENT: u32 = 0;
export const SIDE_SERVER: u32 = 1;
export const DIR_READ: u32 = 0;
export const DIR_WRITE: u32 = 1;

// Phases: what the context holds.
export const PHASE_FREE: u32 = 0;
export const PHASE_EARLY: u32 = 1; // early secret and binder key
export const PHASE_HANDSHAKE: u32 = 2; // handshake secrets; both directions on handshake keys
export const PHASE_APPLICATION: u32 = 3; // application secrets derived (directions switch one by one)
export const PHASE_DONE: u32 = 4; // both directions on application keys; handshake secrets wiped

// Context layout. The eight secrets are 32 bytes each, in the order the test hooks number them.
const C_PHASE: usize = 0;
const C_SIDE: usize = 4;
const C_SWITCHED: usize = 8; // bit DIR_READ / DIR_WRITE: the direction runs on application keys
const C_SUITE: usize = 12; // SUITE_SM / SUITE_INTL (record.ts)
export const SECRET_EARLY: u32 = 0;
export const SECRET_BINDER_KEY: u32 = 1;
export const SECRET_HANDSHAKE: u32 = 2;
export const SECRET_CLIENT_HS: u32 = 3; // + SIDE_SERVER for the server's
export const SECRET_MASTER: u32 = 5;
export const SECRET_CLIENT_AP: u32 = 6; // + SIDE_SERVER for the server's
export const SECRET_COUNT: u32 = 8;
const C_SECRETS: usize = 16;
const C_DIRS: usize = C_SECRETS + 32 * <usize>SECRET_COUNT;
const CONTEXT_SIZE: usize = C_DIRS + 2 * RECORD_STATE_SIZE;

const pool: usize = memory.data(<i32>(CONTEXT_SIZE * <usize>TLS_CONTEXTS), 16);

// Scratch: Hash(""), a Derive-Secret("derived") result, a finished_key.
const EMPTY_HASH: usize = memory.data(32, 16);
const DERIVED: usize = memory.data(32, 16);
const FINISHED_KEY: usize = memory.data(32, 16);
const ZEROS: usize = memory.data(32, 16);

const L_DERIVED: usize = memory.data<u8>([0x64, 0x65, 0x72, 0x69, 0x76, 0x65, 0x64]);
const L_RES_BINDER: usize = memory.data<u8>([0x72, 0x65, 0x73, 0x20, 0x62, 0x69, 0x6e, 0x64, 0x65, 0x72]);
const L_C_HS: usize = memory.data<u8>([0x63, 0x20, 0x68, 0x73, 0x20, 0x74, 0x72, 0x61, 0x66, 0x66, 0x69, 0x63]);
const L_S_HS: usize = memory.data<u8>([0x73, 0x20, 0x68, 0x73, 0x20, 0x74, 0x72, 0x61, 0x66, 0x66, 0x69, 0x63]);
const L_C_AP: usize = memory.data<u8>([0x63, 0x20, 0x61, 0x70, 0x20, 0x74, 0x72, 0x61, 0x66, 0x66, 0x69, 0x63]);
const L_S_AP: usize = memory.data<u8>([0x73, 0x20, 0x61, 0x70, 0x20, 0x74, 0x72, 0x61, 0x66, 0x66, 0x69, 0x63]);
const L_FINISHED: usize = memory.data<u8>([0x66, 0x69, 0x6e, 0x69, 0x73, 0x68, 0x65, 0x64]);
const L_TRAFFIC_UPD: usize = memory.data<u8>([0x74, 0x72, 0x61, 0x66, 0x66, 0x69, 0x63, 0x20, 0x75, 0x70, 0x64]);

/** Context `i` (i < TLS_CONTEXTS, checked by the caller). */
// @ts-ignore: decorator
@inline
export function tlsContext(i: u32): usize {
  return pool + <usize>i * CONTEXT_SIZE;
}

export function tlsPhase(c: usize): u32 {
  return load<u32>(c + C_PHASE);
}

export function tlsSide(c: usize): u32 {
  return load<u32>(c + C_SIDE);
}

export function tlsSuite(c: usize): u32 {
  return load<u32>(c + C_SUITE);
}

/** The hash (hash/md.ts) of context `c`'s suite. */
// @ts-ignore: decorator
@inline
function hashOf(c: usize): u32 {
  return suiteHash(tlsSuite(c));
}

/** Secret number `which` (SECRET_*) of context `c`: 32 bytes. */
// @ts-ignore: decorator
@inline
export function tlsSecret(c: usize, which: u32): usize {
  return c + C_SECRETS + (<usize>which << 5);
}

/** Record direction `dir` (DIR_READ / DIR_WRITE) of context `c`. */
// @ts-ignore: decorator
@inline
export function tlsDirection(c: usize, dir: u32): usize {
  return c + C_DIRS + <usize>dir * RECORD_STATE_SIZE;
}

/** True when direction `dir` runs on application keys. */
export function tlsSwitched(c: usize, dir: u32): bool {
  return (load<u32>(c + C_SWITCHED) & (1 << dir)) != 0;
}

/** The side whose secrets protect direction `dir`: the own side writes, the peer's side is read. */
// @ts-ignore: decorator
@inline
function owner(c: usize, dir: u32): u32 {
  return (tlsSide(c) & 1) ^ dir ^ 1;
}

/** Derive-Secret(secret, label, hash) (§7.1) into `out`: HKDF-Expand-Label(secret, label, hash, 32). */
// @ts-ignore: decorator
@inline
function deriveSecret(h: u32, secret: usize, label: usize, labelLen: usize, transcript: usize, out: usize): void {
  hkdfExpandLabel(h, secret, 32, label, labelLen, transcript, 32, out, 32);
}

/** Derive-Secret(secret, "derived", "") into DERIVED. */
function deriveEmpty(c: usize, secret: usize): void {
  const h = hashOf(c);
  hash(h, 0, 0, EMPTY_HASH);
  deriveSecret(h, secret, L_DERIVED, 7, EMPTY_HASH, DERIVED);
}

/** Zero context `c` (it becomes free). */
export function tlsClose(c: usize): void {
  wipe(c, CONTEXT_SIZE);
}

/** Zero every context (the TID client's close and change of backend: no key may outlive them). */
export function tlsCloseAll(): void {
  wipe(pool, CONTEXT_SIZE * <usize>TLS_CONTEXTS);
}

/**
 * Open the free context `c` for `side` and `suite` (SUITE_SM / SUITE_INTL, checked by the caller)
 * with the 16-byte PSK at `psk`: early secret and binder key.
 */
export function tlsOpen(c: usize, side: u32, psk: usize, suite: u32): void {
  wipe(c, CONTEXT_SIZE);
  store<u32>(c + C_SUITE, suite);
  const h = hashOf(c);
  hkdfExtract(h, ZEROS, 32, psk, 16, tlsSecret(c, SECRET_EARLY));
  hash(h, 0, 0, EMPTY_HASH);
  deriveSecret(h, tlsSecret(c, SECRET_EARLY), L_RES_BINDER, 10, EMPTY_HASH, tlsSecret(c, SECRET_BINDER_KEY));
  store<u32>(c + C_SIDE, side);
  store<u32>(c + C_PHASE, PHASE_EARLY);
}

/** HMAC(HKDF-Expand-Label(base, "finished", "", 32), transcript) into `out` (32): binder and verify_data. */
function finishedMac(c: usize, base: usize, transcript: usize, out: usize): void {
  const h = hashOf(c);
  hkdfExpandLabel(h, base, 32, L_FINISHED, 8, 0, 0, FINISHED_KEY, 32);
  hmac(h, FINISHED_KEY, 32, transcript, 32, out);
  wipe(FINISHED_KEY, 32);
}

/** The PSK binder over the 32-byte transcript hash at `transcript` into `out` (phase EARLY .. APPLICATION). */
export function tlsBinder(c: usize, transcript: usize, out: usize): void {
  finishedMac(c, tlsSecret(c, SECRET_BINDER_KEY), transcript, out);
}

/** Handshake secrets from Transcript-Hash(ClientHello..ServerHello); both directions switch to them. */
export function tlsDeriveHandshake(c: usize, transcript: usize): void {
  const h = hashOf(c);
  deriveEmpty(c, tlsSecret(c, SECRET_EARLY));
  hkdfExtract(h, DERIVED, 32, ZEROS, 32, tlsSecret(c, SECRET_HANDSHAKE));
  wipe(DERIVED, 32);
  wipe(tlsSecret(c, SECRET_EARLY), 32);
  deriveSecret(h, tlsSecret(c, SECRET_HANDSHAKE), L_C_HS, 12, transcript, tlsSecret(c, SECRET_CLIENT_HS));
  deriveSecret(h, tlsSecret(c, SECRET_HANDSHAKE), L_S_HS, 12, transcript, tlsSecret(c, SECRET_CLIENT_HS + SIDE_SERVER));
  for (let dir: u32 = 0; dir < 2; dir++) {
    recordInstall(tlsDirection(c, dir), tlsSecret(c, SECRET_CLIENT_HS + owner(c, dir)), tlsSuite(c));
  }
  store<u32>(c + C_PHASE, PHASE_HANDSHAKE);
}

/** Finished.verify_data of `side`'s handshake traffic secret over `transcript` into `out` (32). */
export function tlsFinished(c: usize, side: u32, transcript: usize, out: usize): void {
  finishedMac(c, tlsSecret(c, SECRET_CLIENT_HS + side), transcript, out);
}

/** Master secret and the application traffic secrets from Transcript-Hash(ClientHello..server Finished). */
export function tlsDeriveApplication(c: usize, transcript: usize): void {
  const h = hashOf(c);
  deriveEmpty(c, tlsSecret(c, SECRET_HANDSHAKE));
  hkdfExtract(h, DERIVED, 32, ZEROS, 32, tlsSecret(c, SECRET_MASTER));
  wipe(DERIVED, 32);
  deriveSecret(h, tlsSecret(c, SECRET_MASTER), L_C_AP, 12, transcript, tlsSecret(c, SECRET_CLIENT_AP));
  deriveSecret(h, tlsSecret(c, SECRET_MASTER), L_S_AP, 12, transcript, tlsSecret(c, SECRET_CLIENT_AP + SIDE_SERVER));
  store<u32>(c + C_PHASE, PHASE_APPLICATION);
}

/**
 * Switch direction `dir` to its application traffic keys (sequence number 0). When both have
 * switched, the binder key, handshake secrets and master secret are wiped.
 */
export function tlsUseApplication(c: usize, dir: u32): void {
  recordInstall(tlsDirection(c, dir), tlsSecret(c, SECRET_CLIENT_AP + owner(c, dir)), tlsSuite(c));
  const switched = load<u32>(c + C_SWITCHED) | (1 << dir);
  store<u32>(c + C_SWITCHED, switched);
  if (switched == 3) {
    wipe(tlsSecret(c, SECRET_EARLY), 32 * <usize>SECRET_CLIENT_AP);
    store<u32>(c + C_PHASE, PHASE_DONE);
  }
}

/** KeyUpdate of direction `dir` (§7.2): the next application traffic secret, new key and IV, sequence 0. */
export function tlsKeyUpdate(c: usize, dir: u32): void {
  const secret = tlsSecret(c, SECRET_CLIENT_AP + owner(c, dir));
  hkdfExpandLabel(hashOf(c), secret, 32, L_TRAFFIC_UPD, 11, 0, 0, DERIVED, 32);
  memory.copy(secret, DERIVED, 32);
  wipe(DERIVED, 32);
  recordInstall(tlsDirection(c, dir), secret, tlsSuite(c));
}
