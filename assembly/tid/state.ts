// The TID client's state (docs/protocol.md "Rules"): chosen backend, soft identity and its suite, the one pending
// request, authcode options, the slot validate installs into, the last SE status word, and the
// test-only injection of the next nonce, time and ephemeral key. Everything is static memory;
// `resetState` zeroes it all (close, or a change of backend).
import { wipe } from "../mem";
import { TID_SIZE, NONCE_SIZE, SCALAR_SIZE, TAG_SIZE, MAX_EXTRA } from "./wire";
import { SUITE_SM } from "./suite";

export const BACKEND_NONE: i32 = 0;
export const BACKEND_SOFT: i32 = 1;
export const BACKEND_SE: i32 = 2;

/** Which backend is in use (set-up: tid_set_backend). */
export let backend: i32 = BACKEND_NONE;
/** tid_client_init succeeded since the last set-up. */
export let initialised: bool = false;

/** TID (8 bytes) ‖ PSK (16 bytes). Soft: loaded by the host. SE: the TID read at init, no PSK. */
export const identity: usize = memory.data(32, 16);
export const IDENTITY_TID: usize = 0;
export const IDENTITY_PSK: usize = TID_SIZE;
export let hasIdentity: bool = false;
/** The identity's algorithm suite (suite.ts): SUITE_SM unless the soft identity names INTL. */
export let suite: u32 = SUITE_SM;

/**
 * The one pending request: qd (32) ‖ Nd (16) ‖ tag_d (32).
 * Soft backend: all four. SE backend: the SE keeps qd; the wasm keeps only "a request is pending".
 */
export const pending: usize = memory.data(80, 16);
export const PENDING_QD: usize = 0;
export const PENDING_ND: usize = SCALAR_SIZE;
export const PENDING_TAG_D: usize = SCALAR_SIZE + NONCE_SIZE;
export const PENDING_SIZE: usize = SCALAR_SIZE + NONCE_SIZE + TAG_SIZE;
export let hasPending: bool = false;

/** Authcode options (tid_set_authcode_options): flags and extra data, sent with the next authcode. */
export let authFlags: u32 = 0;
export let extraLen: u32 = 0;
export const extraData: usize = memory.data(<i32>MAX_EXTRA, 16);

/** Slot that validate installs a new session token into (tid_set_active_slot; default 0). */
export let activeSlot: i32 = 0;

/** Last ISO 7816 status word the SE returned (0 before any exchange). */
export let lastSw: u32 = 0;

/** TEST HOOK state: one-shot injection of Nd, time and the ephemeral private key. */
export let injectArmed: bool = false;
export let injectTime: u32 = 0;
export const injectNd: usize = memory.data(16, 16);
export const injectPriv: usize = memory.data(32, 16);

export function setBackend(kind: i32): void { backend = kind; }
export function setInitialised(v: bool): void { initialised = v; }
export function setHasIdentity(v: bool): void { hasIdentity = v; }
export function setSuite(s: u32): void { suite = s; }
export function setHasPending(v: bool): void { hasPending = v; }
export function setActiveSlot(i: i32): void { activeSlot = i; }
export function setLastSw(sw: u32): void { lastSw = sw; }

export function setAuthOptions(flags: u32, src: usize, len: u32): void {
  wipe(extraData, MAX_EXTRA);
  if (len > 0) memory.copy(extraData, src, len);
  authFlags = flags;
  extraLen = len;
}

/** Zero the pending request (any validate attempt, a new authcode, close). */
export function erasePending(): void {
  wipe(pending, PENDING_SIZE);
  hasPending = false;
}

export function armInjection(nd: usize, time: u32, priv: usize): void {
  memory.copy(injectNd, nd, NONCE_SIZE);
  memory.copy(injectPriv, priv, SCALAR_SIZE);
  injectTime = time;
  injectArmed = true;
}

export function disarmInjection(): void {
  wipe(injectNd, NONCE_SIZE);
  wipe(injectPriv, SCALAR_SIZE);
  injectTime = 0;
  injectArmed = false;
}

/** Zero the identity, pending request, options and injection; back to "no backend". */
export function resetState(): void {
  wipe(identity, 32);
  hasIdentity = false;
  suite = SUITE_SM;
  erasePending();
  setAuthOptions(0, 0, 0);
  disarmInjection();
  activeSlot = 0;
  lastSw = 0;
  initialised = false;
  backend = BACKEND_NONE;
}
