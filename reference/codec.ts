// Wire codecs of TID protocol v1: the device authcode and the server data (docs/protocol.md "The
// authcode", "The server data"). Parsing is strict and checks in a fixed order, each failure with
// its own reason:
//   1. length < 36 (header)                        BAD_FORMAT / TOO_SHORT
//   2. byte 0 ≠ 0x01                                UNSUPPORTED_VERSION / VERSION
//   3. byte 1 neither 0x10 (SM) nor 0x20 (INTL)     UNSUPPORTED_ALGORITHM / SYM_ALG
//   4. byte 2 ≠ that suite's (0x02 SM, 0x03 INTL)   UNSUPPORTED_ALGORITHM / KEY_AGREEMENT
//   5. byte 3 ≠ 0x10                                BAD_FORMAT / NONCE_LENGTH
//   6. flags & 0xfffe ≠ 0                           BAD_FORMAT / RESERVED_FLAGS
//   7. L > 512                                      BAD_FORMAT / EXTRA_TOO_LONG
//   8. length < expected / length > expected        BAD_FORMAT / TOO_SHORT / TOO_LONG
// where expected = 132 + L (authcode) or 68 + L' (+ 64 when the token flag is set) (server data).
// Parsing checks no tag and no curve point: that is the verifier's job (device-half.ts,
// server-half.ts). The algorithm suite of a message (docs/protocol.md "Algorithm suites") is read
// from bytes 1–2 and returned as `suite`; encoders write the bytes of `suite` (default "sm").
// Returned fields are copies, never views into the input.
import {
  HEADER_SIZE,
  MAX_EXTRA,
  NONCE_LENGTH,
  NONCE_SIZE,
  OFFSET,
  PUBLIC_KEY_SIZE,
  RESERVED_FLAGS_MASK,
  SERVER_FLAG_TOKEN_ISSUED,
  SUITE_ALGORITHM_BYTES,
  SUITE_NAMES,
  TAG_SIZE,
  TID_SIZE,
  VERSION,
  type SuiteName,
} from "./constants.js";
import { ProtocolError } from "./errors.js";

/** Fields of a device authcode. Qd is the device's ephemeral public key X ‖ Y. */
export interface AuthcodeFields {
  version: number;
  symAlg: number;
  keyAgreement: number;
  nonceLength: number;
  /** the algorithm suite bytes 1–2 name */
  suite: SuiteName;
  /** bit 0: keep the current session, issue no new token */
  flags: number;
  /** device time, Unix seconds (u32) */
  time: number;
  tid: Uint8Array;
  nd: Uint8Array;
  extra: Uint8Array;
  Qd: Uint8Array;
  tagD: Uint8Array;
}

/** Fields of server data. Qs is null when no token is issued (flags bit 0 clear). */
export interface ServerDataFields {
  version: number;
  symAlg: number;
  keyAgreement: number;
  nonceLength: number;
  /** the algorithm suite bytes 1–2 name */
  suite: SuiteName;
  /** bit 0: a new session token is issued (Qs present) */
  flags: number;
  /** server time, Unix seconds (u32) */
  time: number;
  tid: Uint8Array;
  ns: Uint8Array;
  extra: Uint8Array;
  Qs: Uint8Array | null;
  tagS: Uint8Array;
}

/** Inputs of the authcode body (everything but tag_d); the constant bytes are always v1's. */
export interface AuthcodeBodyInput {
  /** algorithm suite whose bytes go to offsets 1–2 (default "sm") */
  suite?: SuiteName;
  flags?: number;
  time: number;
  tid: Uint8Array;
  nd: Uint8Array;
  extra?: Uint8Array;
  Qd: Uint8Array;
}

/** Inputs of the server-data body (everything but tag_s). Qs given ⇔ token flag set. */
export interface ServerDataBodyInput {
  /** algorithm suite whose bytes go to offsets 1–2 (default "sm") */
  suite?: SuiteName;
  time: number;
  tid: Uint8Array;
  ns: Uint8Array;
  extra?: Uint8Array;
  Qs?: Uint8Array | null;
}

// ---------------------------------------------------------------------------------------------
// argument checks for the encoders (programming errors → TypeError / RangeError)

export function requireBytes(name: string, v: unknown, length?: number, max?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array, got ${v === null ? "null" : typeof v}`);
  }
  if (length !== undefined && v.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${v.length}`);
  }
  if (max !== undefined && v.length > max) throw new RangeError(`${name} must be at most ${max} bytes, got ${v.length}`);
  return v;
}

export function requireU32(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw new RangeError(`${name} must be an integer in [0, 2^32), got ${String(v)}`);
  }
  return v;
}

function requireFlags(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff) {
    throw new RangeError(`${name} must be an integer in [0, 65535], got ${String(v)}`);
  }
  if (v & RESERVED_FLAGS_MASK) throw new RangeError(`${name} has reserved bits set: 0x${v.toString(16)}`);
  return v;
}

export function requireSuite(name: string, v: unknown): SuiteName {
  if (!(SUITE_NAMES as readonly unknown[]).includes(v)) {
    throw new TypeError(`${name} must be one of ${SUITE_NAMES.map((n) => JSON.stringify(n)).join(", ")}, got ${String(v)}`);
  }
  return v as SuiteName;
}

function writeHeader(
  out: Uint8Array,
  suite: SuiteName,
  flags: number,
  time: number,
  tid: Uint8Array,
  nonce: Uint8Array,
  extra: Uint8Array,
): void {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[OFFSET.version] = VERSION;
  out[OFFSET.symAlg] = SUITE_ALGORITHM_BYTES[suite].symAlg;
  out[OFFSET.keyAgreement] = SUITE_ALGORITHM_BYTES[suite].keyAgreement;
  out[OFFSET.nonceLength] = NONCE_LENGTH;
  dv.setUint16(OFFSET.flags, flags);
  dv.setUint32(OFFSET.time, time);
  out.set(tid, OFFSET.tid);
  out.set(nonce, OFFSET.nonce);
  dv.setUint16(OFFSET.extraLength, extra.length);
  out.set(extra, OFFSET.extra);
}

/** The authcode bytes covered by tag_d: [0, 100 + L). */
export function encodeAuthcodeBody(f: AuthcodeBodyInput): Uint8Array {
  const suite = requireSuite("suite", f.suite ?? "sm");
  const flags = requireFlags("flags", f.flags ?? 0);
  const time = requireU32("time", f.time);
  const tid = requireBytes("tid", f.tid, TID_SIZE);
  const nd = requireBytes("nd", f.nd, NONCE_SIZE);
  const extra = requireBytes("extra", f.extra ?? new Uint8Array(0), undefined, MAX_EXTRA);
  const Qd = requireBytes("Qd", f.Qd, PUBLIC_KEY_SIZE);
  const out = new Uint8Array(HEADER_SIZE + extra.length + PUBLIC_KEY_SIZE);
  writeHeader(out, suite, flags, time, tid, nd, extra);
  out.set(Qd, HEADER_SIZE + extra.length);
  return out;
}

/** A complete authcode: body ‖ tag_d. */
export function encodeAuthcode(f: AuthcodeBodyInput & { tagD: Uint8Array }): Uint8Array {
  return withTag(encodeAuthcodeBody(f), requireBytes("tagD", f.tagD, TAG_SIZE));
}

/** body ‖ tag, as both messages end. */
function withTag(body: Uint8Array, tag: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + TAG_SIZE);
  out.set(body);
  out.set(tag, body.length);
  return out;
}

/** The server-data bytes before tag_s: [0, end − 32). */
export function encodeServerDataBody(f: ServerDataBodyInput): Uint8Array {
  const suite = requireSuite("suite", f.suite ?? "sm");
  const time = requireU32("time", f.time);
  const tid = requireBytes("tid", f.tid, TID_SIZE);
  const ns = requireBytes("ns", f.ns, NONCE_SIZE);
  const extra = requireBytes("extra", f.extra ?? new Uint8Array(0), undefined, MAX_EXTRA);
  const Qs = f.Qs == null ? null : requireBytes("Qs", f.Qs, PUBLIC_KEY_SIZE);
  const out = new Uint8Array(HEADER_SIZE + extra.length + (Qs ? PUBLIC_KEY_SIZE : 0));
  writeHeader(out, suite, Qs ? SERVER_FLAG_TOKEN_ISSUED : 0, time, tid, ns, extra);
  if (Qs) out.set(Qs, HEADER_SIZE + extra.length);
  return out;
}

/** Complete server data: body ‖ tag_s. */
export function encodeServerData(f: ServerDataBodyInput & { tagS: Uint8Array }): Uint8Array {
  return withTag(encodeServerDataBody(f), requireBytes("tagS", f.tagS, TAG_SIZE));
}

// ---------------------------------------------------------------------------------------------
// parsing (data errors → ProtocolError)

interface Header {
  version: number;
  symAlg: number;
  keyAgreement: number;
  nonceLength: number;
  suite: SuiteName;
  flags: number;
  time: number;
  tid: Uint8Array;
  nonce: Uint8Array;
  extra: Uint8Array;
}

function parseHeader(buf: Uint8Array, what: string, fixedTail: (flags: number) => number): Header {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  if (buf.length < HEADER_SIZE) {
    throw new ProtocolError("BAD_FORMAT", "TOO_SHORT", `${what} is ${buf.length} bytes, shorter than the ${HEADER_SIZE}-byte header`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = buf[OFFSET.version]!;
  if (version !== VERSION) throw new ProtocolError("UNSUPPORTED_VERSION", "VERSION", `${what} version 0x${hex8(version)}, expected 0x01`);
  const symAlg = buf[OFFSET.symAlg]!;
  const suite = SUITE_NAMES.find((n) => SUITE_ALGORITHM_BYTES[n].symAlg === symAlg);
  if (suite === undefined) {
    throw new ProtocolError(
      "UNSUPPORTED_ALGORITHM",
      "SYM_ALG",
      `${what} symmetric algorithm 0x${hex8(symAlg)}, expected 0x10 (SM4, suite SM) or 0x20 (AES-128, suite INTL)`,
    );
  }
  const keyAgreement = buf[OFFSET.keyAgreement]!;
  const expectedKeyAgreement = SUITE_ALGORITHM_BYTES[suite].keyAgreement;
  if (keyAgreement !== expectedKeyAgreement) {
    throw new ProtocolError(
      "UNSUPPORTED_ALGORITHM",
      "KEY_AGREEMENT",
      `${what} key agreement 0x${hex8(keyAgreement)}, expected 0x${hex8(expectedKeyAgreement)} with symmetric algorithm 0x${hex8(symAlg)}`,
    );
  }
  const nonceLength = buf[OFFSET.nonceLength]!;
  if (nonceLength !== NONCE_LENGTH)
    throw new ProtocolError("BAD_FORMAT", "NONCE_LENGTH", `${what} nonce length ${nonceLength}, expected 16`);
  const flags = dv.getUint16(OFFSET.flags);
  if (flags & RESERVED_FLAGS_MASK)
    throw new ProtocolError("BAD_FORMAT", "RESERVED_FLAGS", `${what} flags 0x${flags.toString(16)} has reserved bits set`);
  const extraLength = dv.getUint16(OFFSET.extraLength);
  if (extraLength > MAX_EXTRA)
    throw new ProtocolError("BAD_FORMAT", "EXTRA_TOO_LONG", `${what} extra length ${extraLength} > ${MAX_EXTRA}`);
  const expected = HEADER_SIZE + extraLength + fixedTail(flags);
  if (buf.length < expected) throw new ProtocolError("BAD_FORMAT", "TOO_SHORT", `${what} is ${buf.length} bytes, expected ${expected}`);
  if (buf.length > expected) throw new ProtocolError("BAD_FORMAT", "TOO_LONG", `${what} is ${buf.length} bytes, expected ${expected}`);
  return {
    version,
    symAlg,
    keyAgreement,
    nonceLength,
    suite,
    flags,
    time: dv.getUint32(OFFSET.time),
    tid: buf.slice(OFFSET.tid, OFFSET.tid + TID_SIZE),
    nonce: buf.slice(OFFSET.nonce, OFFSET.nonce + NONCE_SIZE),
    extra: buf.slice(HEADER_SIZE, HEADER_SIZE + extraLength),
  };
}

function hex8(v: number): string {
  return v.toString(16).padStart(2, "0");
}

/** Parse an authcode. Throws ProtocolError (see the check order above). */
export function parseAuthcode(buf: Uint8Array): AuthcodeFields {
  const h = parseHeader(buf, "authcode", () => PUBLIC_KEY_SIZE + TAG_SIZE);
  const q = HEADER_SIZE + h.extra.length;
  return {
    version: h.version,
    symAlg: h.symAlg,
    keyAgreement: h.keyAgreement,
    nonceLength: h.nonceLength,
    suite: h.suite,
    flags: h.flags,
    time: h.time,
    tid: h.tid,
    nd: h.nonce,
    extra: h.extra,
    Qd: buf.slice(q, q + PUBLIC_KEY_SIZE),
    tagD: buf.slice(q + PUBLIC_KEY_SIZE, q + PUBLIC_KEY_SIZE + TAG_SIZE),
  };
}

/** Parse server data. Throws ProtocolError (see the check order above). */
export function parseServerData(buf: Uint8Array): ServerDataFields {
  const h = parseHeader(buf, "server data", (flags) => (flags & SERVER_FLAG_TOKEN_ISSUED ? PUBLIC_KEY_SIZE : 0) + TAG_SIZE);
  const q = HEADER_SIZE + h.extra.length;
  const hasQs = (h.flags & SERVER_FLAG_TOKEN_ISSUED) !== 0;
  return {
    version: h.version,
    symAlg: h.symAlg,
    keyAgreement: h.keyAgreement,
    nonceLength: h.nonceLength,
    suite: h.suite,
    flags: h.flags,
    time: h.time,
    tid: h.tid,
    ns: h.nonce,
    extra: h.extra,
    Qs: hasQs ? buf.slice(q, q + PUBLIC_KEY_SIZE) : null,
    tagS: buf.slice(buf.length - TAG_SIZE),
  };
}
