// Device half of TID protocol v1 (docs/protocol.md) on node:crypto: build the authcode
// and keep the pending request; check the server data and derive the session token.
// Used by the simulated SE (AUTH BEGIN / AUTH FINISH) and by tests as the wasm's reference.
// The caller keeps `pending` and must drop it after one finishDevice call, good or bad
// (docs/protocol.md "Rules").
import { NONCE_SIZE, PSK_SIZE, SERVER_FLAG_TOKEN_ISSUED, TAG_SIZE, TID_SIZE } from "./constants.js";
import { encodeAuthcodeBody, parseServerData, requireBytes, type ServerDataFields } from "./codec.js";
import { computeTagD, computeTagS, deriveK, tokenOf } from "./derive.js";
import { ProtocolError } from "./errors.js";
import { ctEqual, random, sm2Ecdh, sm2Keygen, sm2PublicFromPrivate } from "./primitives.js";

export interface BuildAuthcodeInput {
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
}

export interface BuiltAuthcode {
  authcode: Uint8Array;
  pending: PendingRequest;
}

export function buildAuthcode(input: BuildAuthcodeInput): BuiltAuthcode {
  const tid = requireBytes("tid", input.tid, TID_SIZE);
  const psk = requireBytes("psk", input.psk, PSK_SIZE);
  const nd = input.nd === undefined ? random(NONCE_SIZE) : requireBytes("nd", input.nd, NONCE_SIZE).slice();
  let qd: Uint8Array;
  let Qd: Uint8Array;
  if (input.ephemeralPrivate === undefined) {
    ({ privateKey: qd, publicKey: Qd } = sm2Keygen());
  } else {
    qd = input.ephemeralPrivate.slice();
    Qd = sm2PublicFromPrivate(qd);
  }
  const body = encodeAuthcodeBody({ flags: input.flags ?? 0, time: input.time, tid, nd, extra: input.extra, Qd });
  const tagD = computeTagD(psk, body);
  const authcode = new Uint8Array(body.length + TAG_SIZE);
  authcode.set(body);
  authcode.set(tagD, body.length);
  return { authcode, pending: { qd, nd, tagD } };
}

export interface FinishDeviceInput {
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
 * parse errors (codec.ts order), then TID_MISMATCH/TID, VERIFY_FAILED/TAG_S, BAD_POINT (Qs).
 */
export function finishDevice(input: FinishDeviceInput): FinishedDevice {
  const tid = requireBytes("tid", input.tid, TID_SIZE);
  const psk = requireBytes("psk", input.psk, PSK_SIZE);
  const { qd, nd, tagD } = input.pending;
  requireBytes("pending.nd", nd, NONCE_SIZE);
  requireBytes("pending.tagD", tagD, TAG_SIZE);
  const serverData = requireBytes("serverData", input.serverData);
  const fields = parseServerData(serverData);
  if (!ctEqual(fields.tid, tid)) throw new ProtocolError("TID_MISMATCH", "TID", "server data is for another TID");
  const body = serverData.subarray(0, serverData.length - TAG_SIZE);
  if (!ctEqual(computeTagS(psk, body, nd, tagD), fields.tagS)) {
    throw new ProtocolError("VERIFY_FAILED", "TAG_S", "tag_s does not verify");
  }
  if (!(fields.flags & SERVER_FLAG_TOKEN_ISSUED)) return { token: null, k: null, fields };
  const z = sm2Ecdh(qd, fields.Qs!);
  const k = deriveK(z, tid, nd, fields.ns);
  z.fill(0);
  return { token: tokenOf(k), k, fields };
}
