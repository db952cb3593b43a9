// Server half of TID protocol v1 (docs/protocol.md) on node:crypto: verify an authcode and
// answer with server data and (optionally) a session token. Both algorithm suites (docs/protocol.md
// "Algorithm suites"): an authcode's suite is read from its bytes 1–2 and must be the device's
// registered suite (default "sm"); the server data is built in that suite.
import { AUTH_FLAG_KEEP_SESSION, DEFAULT_WINDOW_SECONDS, NONCE_SIZE, PSK_SIZE, TAG_SIZE, TID_SIZE, type SuiteName } from "./constants.js";
import { encodeServerDataBody, parseAuthcode, requireBytes, requireSuite, requireU32, type AuthcodeFields } from "./codec.js";
import { computeTagD, computeTagS, deriveK, tokenOf } from "./derive.js";
import { ProtocolError } from "./errors.js";
import { ctEqual, random, sm2Ecdh, sm2Keygen, sm2PublicFromPrivate } from "./primitives.js";
import { suiteOf } from "./suite.js";

/**
 * What a registry lookup yields: the PSK, or the PSK with whether the device is active and the
 * suite it was provisioned in (absent: "sm").
 */
export type PskLookup = Uint8Array | { psk: Uint8Array; active?: boolean; suite?: SuiteName } | null | undefined;

export interface VerifyOptions {
  /** PSK of a TID (8 bytes), or null/undefined when unknown. */
  lookupPsk(tid: Uint8Array): PskLookup;
  /** server time, Unix seconds */
  now: number;
  /** accepted |device time − now|, seconds (default 300) */
  windowSeconds?: number;
  /**
   * Replay cache: remember (TID, Nd) until `expiresAt` (Unix seconds) and return true, or return
   * false when the pair is already remembered. Called last, only for an otherwise valid authcode.
   */
  remember?(tid: Uint8Array, nd: Uint8Array, expiresAt: number): boolean;
}

export interface VerifiedAuthcode extends AuthcodeFields {
  /** the device's PSK, as looked up */
  psk: Uint8Array;
  /** true when the device asked for a new token (flags bit 0 clear) */
  wantsToken: boolean;
}

/**
 * Verify an authcode (docs/protocol.md "Rules"). Check order, each a ProtocolError:
 *   parse (codec.ts) → UNKNOWN_TID → VERIFY_FAILED/TAG_D → UNSUPPORTED_ALGORITHM/SUITE →
 *   INACTIVE_TID → STALE_TIME (TOO_OLD, TOO_NEW) → BAD_POINT (Qd) → REPLAY.
 * tag_d is computed with the HMAC of the suite the authcode names, so the tag is checked before
 * anything else — the registered suite included — is revealed about a known TID; the replay cache
 * is only written for an authcode that passed every other check.
 */
export function verifyAuthcode(authcode: Uint8Array, options: VerifyOptions): VerifiedAuthcode {
  const now = requireU32("now", options.now);
  const window = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  if (!Number.isInteger(window) || window < 0) throw new RangeError(`windowSeconds must be a non-negative integer, got ${window}`);
  const fields = parseAuthcode(authcode);
  const found = options.lookupPsk(fields.tid);
  if (found == null) throw new ProtocolError("UNKNOWN_TID", "NOT_REGISTERED", "TID is not registered");
  const psk = found instanceof Uint8Array ? found : found.psk;
  const active = found instanceof Uint8Array ? true : found.active !== false;
  const registered = requireSuite("suite from lookupPsk", found instanceof Uint8Array ? "sm" : (found.suite ?? "sm"));
  requireBytes("PSK from lookupPsk", psk, PSK_SIZE);
  const body = authcode.subarray(0, authcode.length - TAG_SIZE);
  if (!ctEqual(computeTagD(psk, body, fields.suite), fields.tagD))
    throw new ProtocolError("VERIFY_FAILED", "TAG_D", "tag_d does not verify");
  if (fields.suite !== registered) {
    throw new ProtocolError(
      "UNSUPPORTED_ALGORITHM",
      "SUITE",
      `authcode is in suite ${fields.suite}, the device is registered in ${registered}`,
    );
  }
  if (!active) throw new ProtocolError("INACTIVE_TID", "DEACTIVATED", "TID is deactivated");
  if (fields.time < now - window)
    throw new ProtocolError("STALE_TIME", "TOO_OLD", `device time ${fields.time} is more than ${window} s before ${now}`);
  if (fields.time > now + window)
    throw new ProtocolError("STALE_TIME", "TOO_NEW", `device time ${fields.time} is more than ${window} s after ${now}`);
  suiteOf(fields.suite).checkPublicKey(fields.Qd);
  if (options.remember && !options.remember(fields.tid, fields.nd, fields.time + window + 1)) {
    throw new ProtocolError("REPLAY", "SEEN", "(TID, Nd) already seen inside the window");
  }
  return { ...fields, psk, wantsToken: (fields.flags & AUTH_FLAG_KEEP_SESSION) === 0 };
}

export interface BuildServerDataInput {
  /** the suite of the verified authcode (default "sm") */
  suite?: SuiteName;
  tid: Uint8Array;
  psk: Uint8Array;
  /** from the verified authcode */
  nd: Uint8Array;
  tagD: Uint8Array;
  /** the device's ephemeral public key X ‖ Y (needed when issueToken) */
  Qd?: Uint8Array;
  /** server time, Unix seconds */
  time: number;
  /** test hook: server nonce (default: 16 fresh random bytes) */
  ns?: Uint8Array;
  /** test hook: the server's ephemeral private key qs (default: fresh key pair) */
  ephemeralPrivate?: Uint8Array;
  issueToken: boolean;
  extra?: Uint8Array;
}

export interface BuiltServerData {
  serverData: Uint8Array;
  /** session token K[0..16), or null when none was issued */
  token: Uint8Array | null;
  /** K (32 bytes) when a token was issued */
  k: Uint8Array | null;
  /** ECDH x-coordinate Z when a token was issued (secret; for tests and diagnostics) */
  z: Uint8Array | null;
  ns: Uint8Array;
  Qs: Uint8Array | null;
  tagS: Uint8Array;
}

/**
 * The SM2 operations buildServerData needs in suite SM: node:crypto's by default, or another
 * implementation's. Suite INTL always uses node:crypto's P-256.
 */
export interface ServerSm2 {
  keygen(): { privateKey: Uint8Array; publicKey: Uint8Array };
  publicFromPrivate(d: Uint8Array): Uint8Array;
  /** x-coordinate of [d]Q */
  ecdh(d: Uint8Array, peerPublic: Uint8Array): Uint8Array;
}

const NODE_SM2: ServerSm2 = { keygen: sm2Keygen, publicFromPrivate: sm2PublicFromPrivate, ecdh: sm2Ecdh };

/**
 * Build server data and the session token (docs/protocol.md "Tags and the session token") in
 * `input.suite`, with `sm2` for the server's key pair and ECDH in suite SM (default node:crypto; the
 * auth server passes the wasm's).
 */
export function buildServerData(input: BuildServerDataInput, sm2: ServerSm2 = NODE_SM2): BuiltServerData {
  const suiteName = requireSuite("suite", input.suite ?? "sm");
  const ec: ServerSm2 = suiteName === "sm" ? sm2 : suiteOf(suiteName);
  const tid = requireBytes("tid", input.tid, TID_SIZE);
  const psk = requireBytes("psk", input.psk, PSK_SIZE);
  const nd = requireBytes("nd", input.nd, NONCE_SIZE);
  const tagD = requireBytes("tagD", input.tagD, TAG_SIZE);
  const ns = input.ns === undefined ? random(NONCE_SIZE) : requireBytes("ns", input.ns, NONCE_SIZE).slice();
  requireU32("time", input.time);
  let Qs: Uint8Array | null = null;
  let z: Uint8Array | null = null;
  let k: Uint8Array | null = null;
  if (input.issueToken) {
    const Qd = requireBytes("Qd", input.Qd, 64);
    let qs: Uint8Array;
    if (input.ephemeralPrivate === undefined) ({ privateKey: qs, publicKey: Qs } = ec.keygen());
    else {
      qs = input.ephemeralPrivate;
      Qs = ec.publicFromPrivate(qs);
    }
    try {
      z = ec.ecdh(qs, Qd);
    } finally {
      if (input.ephemeralPrivate === undefined) qs.fill(0);
    }
    k = deriveK(z, tid, nd, ns, suiteName);
  }
  const body = encodeServerDataBody({ suite: suiteName, time: input.time, tid, ns, extra: input.extra, Qs });
  const tagS = computeTagS(psk, body, nd, tagD, suiteName);
  const serverData = new Uint8Array(body.length + TAG_SIZE);
  serverData.set(body);
  serverData.set(tagS, body.length);
  return { serverData, token: k ? tokenOf(k) : null, k, z, ns, Qs, tagS };
}

/** A simple in-memory (TID, Nd) replay cache for VerifyOptions.remember. */
export class MemoryReplayCache {
  private readonly seen = new Map<string, number>();

  /**
   * Remember (tid, nd) until expiresAt; false if already remembered. An entry whose authcode has
   * gone stale can stay until prune(): verifyAuthcode rejects such an authcode on time first.
   */
  remember(tid: Uint8Array, nd: Uint8Array, expiresAt: number): boolean {
    const key = Buffer.from(tid).toString("hex") + Buffer.from(nd).toString("hex");
    if (this.seen.has(key)) return false;
    this.seen.set(key, expiresAt);
    return true;
  }

  /** Drop entries that expired before `now`. */
  prune(now = Math.floor(Date.now() / 1000)): void {
    for (const [k, until] of this.seen) if (until < now) this.seen.delete(k);
  }

  get size(): number {
    return this.seen.size;
  }
}
