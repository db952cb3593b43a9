// Device half of TID protocol v1 (docs/protocol.md) on node:crypto: build the authcode
// and keep the pending request; check the server data and derive the session token.
// Used by the simulated SE (AUTH BEGIN / AUTH FINISH) and by tests as the wasm's reference.
// Both algorithm suites (docs/protocol.md "Algorithm suites"): the device's suite is fixed at
// provisioning and passed as `suite` (default "sm"); server data in another suite is refused with
// UNSUPPORTED_ALGORITHM/SUITE.
// The caller keeps `pending` and must drop it after one finishDevice call, good or bad
// (docs/protocol.md "Rules").
import { NONCE_SIZE, PSK_SIZE, SERVER_FLAG_TOKEN_ISSUED, TAG_SIZE, TID_SIZE, type SuiteName } from "./constants.js";
import { encodeAuthcodeBody, parseServerData, requireBytes, requireSuite, type ServerDataFields } from "./codec.js";
import { computeTagD, computeTagS, deriveK, tokenOf } from "./derive.js";
import { ProtocolError } from "./errors.js";
import { ctEqual, random } from "./primitives.js";
import { suiteOf } from "./suite.js";

export interface BuildAuthcodeInput {
  /** the device's algorithm suite (default "sm") */
  suite?: SuiteName;
  tid: Uint8Array;
  psk: Uint8Array;
  /** device time, Unix seconds */
  time: number;
  /** test hook: the device nonce (default: 16 fresh random bytes) */
  nd?: Uint8Array;
  /** test hook: the ephemeral private key qd (default: fresh key pair) */
  ephemeralPrivate?: Uint8Array;
  extra?: Uint8Array;
  /** bit 0 = keep the current session (ask for no new token) */
  flags?: number;
}

/** What the device keeps between get_authcode and validate. qd is secret. */
export interface PendingRequest {
  qd: Uint8Array;
  nd: Uint8Array;
  tagD: Uint8Array;
  /** the suite the authcode was built in (absent: "sm") */
  suite?: SuiteName;
}

export interface BuiltAuthcode {
  authcode: Uint8Array;
  pending: PendingRequest;
}

export function buildAuthcode(input: BuildAuthcodeInput): BuiltAuthcode {
  const tid = requireBytes("tid", input.tid, TID_SIZE);
  const psk = requireBytes("psk", input.psk, PSK_SIZE);
  const suiteName = requireSuite("suite", input.suite ?? "sm");
  const suite = suiteOf(suiteName);
  const nd = input.nd === undefined ? random(NONCE_SIZE) : requireBytes("nd", input.nd, NONCE_SIZE).slice();
  let qd: Uint8Array;
  let Qd: Uint8Array;
  if (input.ephemeralPrivate === undefined) {
    ({ privateKey: qd, publicKey: Qd } = suite.keygen());
  } else {
    qd = input.ephemeralPrivate.slice();
    Qd = suite.publicFromPrivate(qd);
  }
  const body = encodeAuthcodeBody({ suite: suiteName, flags: input.flags ?? 0, time: input.time, tid, nd, extra: input.extra, Qd });
  const tagD = computeTagD(psk, body, suiteName);
  const authcode = new Uint8Array(body.length + TAG_SIZE);
  authcode.set(body);
  authcode.set(tagD, body.length);
  return { authcode, pending: { qd, nd, tagD, suite: suiteName } };
}

export interface FinishDeviceInput {
  /** the device's algorithm suite (default: pending.suite, else "sm") */
  suite?: SuiteName;
  tid: Uint8Array;
  psk: Uint8Array;
  pending: PendingRequest;
  serverData: Uint8Array;
}

export interface FinishedDevice {
  /** the new session token, or null when the server issued none (keep the current key) */
  token: Uint8Array | null;
  /** K (32 bytes) when a token was issued; K[16..32) is reserved */
  k: Uint8Array | null;
  fields: ServerDataFields;
}

/**
 * Check server data against the pending request and derive the token. Throws ProtocolError:
 * parse errors (codec.ts order), then UNSUPPORTED_ALGORITHM/SUITE (server data in another suite
 * than the device's), TID_MISMATCH/TID, VERIFY_FAILED/TAG_S, BAD_POINT (Qs).
 */
export function finishDevice(input: FinishDeviceInput): FinishedDevice {
  const tid = requireBytes("tid", input.tid, TID_SIZE);
  const psk = requireBytes("psk", input.psk, PSK_SIZE);
  const { qd, nd, tagD } = input.pending;
  const suiteName = requireSuite("suite", input.suite ?? input.pending.suite ?? "sm");
  requireBytes("pending.nd", nd, NONCE_SIZE);
  requireBytes("pending.tagD", tagD, TAG_SIZE);
  const serverData = requireBytes("serverData", input.serverData);
  const fields = parseServerData(serverData);
  if (fields.suite !== suiteName) {
    throw new ProtocolError("UNSUPPORTED_ALGORITHM", "SUITE", `server data is in suite ${fields.suite}, the device's is ${suiteName}`);
  }
  if (!ctEqual(fields.tid, tid)) throw new ProtocolError("TID_MISMATCH", "TID", "server data is for another TID");
  const body = serverData.subarray(0, serverData.length - TAG_SIZE);
  if (!ctEqual(computeTagS(psk, body, nd, tagD, suiteName), fields.tagS)) {
    throw new ProtocolError("VERIFY_FAILED", "TAG_S", "tag_s does not verify");
  }
  if (!(fields.flags & SERVER_FLAG_TOKEN_ISSUED)) return { token: null, k: null, fields };
  const z = suiteOf(suiteName).ecdh(qd, fields.Qs!);
  const k = deriveK(z, tid, nd, fields.ns, suiteName);
  z.fill(0);
  return { token: tokenOf(k), k, fields };
}
