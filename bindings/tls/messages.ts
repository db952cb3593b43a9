/**
 * TID-TLS handshake messages (docs/tls.md "Handshake messages"): every message in the Handshake
 * header of RFC 8446 §4 (msg_type(1) ‖ uint24 length ‖ body), with TID-TLS's own hello bodies,
 * Finished of §4.4.4 and KeyUpdate of §4.6.3. Decoders are strict: a wrong length, a trailing
 * byte or an out-of-range field is a TidTlsError carrying the alert to send, never a partial
 * result.
 */
import {
  AUTHCODE_MAX_SIZE,
  AUTHCODE_MIN_SIZE,
  SERVER_DATA_MAX_SIZE,
  SERVER_DATA_MIN_SIZE,
  SUITE_ALGORITHM_BYTES,
  SUITE_NAMES,
  TID_SIZE,
} from "../../reference/constants.js";
import { localAlert } from "./alerts.js";
import { TLS_CIPHER_SUITES, TLS_HASH_SIZE, suiteOfCipherSuite, type SuiteName } from "./cipher.js";

/** RFC 8446 §4 HandshakeType values TID-TLS uses. */
export const HandshakeType = { clientHello: 1, serverHello: 2, finished: 20, keyUpdate: 24 } as const;

/** TID-TLS protocol version byte. */
export const TID_TLS_VERSION = 0x01;
export const RANDOM_SIZE = 32;
export const HANDSHAKE_HEADER_SIZE = 4;

/** The hello's mode byte. */
export const Mode = { auth: 1, resume: 2 } as const;
export type TlsMode = keyof typeof Mode;

/** KeyUpdate.request_update (§4.6.3). */
export const KeyUpdateRequest = { notRequested: 0, requested: 1 } as const;

/** `suite`: the TID algorithm suite whose cipher suite the hello names (cipher_suite 0x00C6 "sm", 0x1301 "intl"). */
export type ClientHello =
  | { mode: "auth"; random: Uint8Array; suite: SuiteName; authcode: Uint8Array }
  | { mode: "resume"; random: Uint8Array; suite: SuiteName; tid: Uint8Array; binder: Uint8Array };

export type ServerHello =
  { mode: "auth"; random: Uint8Array; suite: SuiteName; serverData: Uint8Array } | { mode: "resume"; random: Uint8Array; suite: SuiteName };

/**
 * The TID suite an authcode or server data is in: its algorithm bytes 1–2 (docs/protocol.md
 * "Algorithm suites": 0x10 0x02 SM, 0x20 0x03 INTL), or null for other bytes.
 */
export function suiteOfTidMessage(message: Uint8Array): SuiteName | null {
  return (
    SUITE_NAMES.find((s) => SUITE_ALGORITHM_BYTES[s].symAlg === message[1] && SUITE_ALGORITHM_BYTES[s].keyAgreement === message[2]) ?? null
  );
}

/** One handshake message as received: its type, body, and the whole message (the transcript's bytes). */
export interface HandshakeMessage {
  type: number;
  body: Uint8Array;
  raw: Uint8Array;
}

/** version(1) ‖ random(32) ‖ cipher_suite(2) ‖ mode(1): the start of both hellos. */
const HELLO_FIXED = 1 + RANDOM_SIZE + 2 + 1;
/** Offset of the binder in a resume ClientHello, from the message start. */
const RESUME_HELLO_SIZE = HANDSHAKE_HEADER_SIZE + HELLO_FIXED + TID_SIZE + TLS_HASH_SIZE;

/** Wraps `body` in the Handshake header. */
export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_HEADER_SIZE + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, HANDSHAKE_HEADER_SIZE);
  return out;
}

/**
 * One handshake message that fills `fragment` exactly (TID-TLS carries one message per record:
 * docs/tls.md "Records"). A header announcing more or fewer bytes than the record holds → decode_error.
 */
export function decodeHandshake(fragment: Uint8Array): HandshakeMessage {
  if (fragment.length < HANDSHAKE_HEADER_SIZE) throw localAlert("decode_error", `handshake record of ${fragment.length} bytes`);
  const length = (fragment[1]! << 16) | (fragment[2]! << 8) | fragment[3]!;
  if (length !== fragment.length - HANDSHAKE_HEADER_SIZE) {
    throw localAlert(
      "decode_error",
      `handshake message announces ${length} bytes, the record holds ${fragment.length - HANDSHAKE_HEADER_SIZE}`,
    );
  }
  return { type: fragment[0]!, body: fragment.subarray(HANDSHAKE_HEADER_SIZE), raw: fragment };
}

function helloStart(random: Uint8Array, suite: SuiteName, mode: TlsMode, rest: number): { out: Uint8Array; at: number } {
  if (!(random instanceof Uint8Array) || random.length !== RANDOM_SIZE) throw new RangeError(`random must be ${RANDOM_SIZE} bytes`);
  const code = TLS_CIPHER_SUITES[suite]?.code;
  if (code === undefined) throw new TypeError(`suite must be "sm" or "intl", got ${String(suite)}`);
  const body = new Uint8Array(HELLO_FIXED + rest);
  body[0] = TID_TLS_VERSION;
  body.set(random, 1);
  body[1 + RANDOM_SIZE] = code >>> 8;
  body[2 + RANDOM_SIZE] = code & 0xff;
  body[3 + RANDOM_SIZE] = Mode[mode];
  return { out: body, at: HELLO_FIXED };
}

function putVector16(out: Uint8Array, at: number, v: Uint8Array): void {
  out[at] = v.length >>> 8;
  out[at + 1] = v.length & 0xff;
  out.set(v, at + 2);
}

/**
 * The whole ClientHello' message. For mode resume the binder is the one given, or 32 zero bytes
 * to be replaced once computed over `truncatedClientHello` (RFC 8446 §4.2.11.2).
 */
export function encodeClientHello(hello: ClientHello): Uint8Array {
  if (hello.mode === "auth") {
    const a = hello.authcode;
    if (!(a instanceof Uint8Array) || a.length < AUTHCODE_MIN_SIZE || a.length > AUTHCODE_MAX_SIZE) {
      throw new RangeError(`authcode must be ${AUTHCODE_MIN_SIZE}..${AUTHCODE_MAX_SIZE} bytes`);
    }
    const { out, at } = helloStart(hello.random, hello.suite, "auth", 2 + a.length);
    putVector16(out, at, a);
    return encodeHandshake(HandshakeType.clientHello, out);
  }
  if (!(hello.tid instanceof Uint8Array) || hello.tid.length !== TID_SIZE) throw new RangeError(`tid must be ${TID_SIZE} bytes`);
  if (!(hello.binder instanceof Uint8Array) || hello.binder.length !== TLS_HASH_SIZE) {
    throw new RangeError(`binder must be ${TLS_HASH_SIZE} bytes`);
  }
  const { out, at } = helloStart(hello.random, hello.suite, "resume", TID_SIZE + TLS_HASH_SIZE);
  out.set(hello.tid, at);
  out.set(hello.binder, at + TID_SIZE);
  return encodeHandshake(HandshakeType.clientHello, out);
}

/** The part of a resume ClientHello' the binder covers: the whole message up to the binder. */
export function truncatedClientHello(message: Uint8Array): Uint8Array {
  if (message.length !== RESUME_HELLO_SIZE) throw new RangeError(`a resume ClientHello is ${RESUME_HELLO_SIZE} bytes`);
  return message.subarray(0, RESUME_HELLO_SIZE - TLS_HASH_SIZE);
}

export function encodeServerHello(hello: ServerHello): Uint8Array {
  if (hello.mode === "resume") return encodeHandshake(HandshakeType.serverHello, helloStart(hello.random, hello.suite, "resume", 0).out);
  const d = hello.serverData;
  if (!(d instanceof Uint8Array) || d.length < SERVER_DATA_MIN_SIZE || d.length > SERVER_DATA_MAX_SIZE) {
    throw new RangeError(`serverData must be ${SERVER_DATA_MIN_SIZE}..${SERVER_DATA_MAX_SIZE} bytes`);
  }
  const { out, at } = helloStart(hello.random, hello.suite, "auth", 2 + d.length);
  putVector16(out, at, d);
  return encodeHandshake(HandshakeType.serverHello, out);
}

/** Checks version and cipher suite of a hello body and returns its suite and mode. */
function readHelloStart(body: Uint8Array, what: string): { random: Uint8Array; suite: SuiteName; mode: TlsMode } {
  if (body.length < HELLO_FIXED) throw localAlert("decode_error", `${what} of ${body.length} bytes`);
  if (body[0] !== TID_TLS_VERSION) throw localAlert("protocol_version", `${what} version ${body[0]}, expected ${TID_TLS_VERSION}`);
  const code = (body[1 + RANDOM_SIZE]! << 8) | body[2 + RANDOM_SIZE]!;
  const suite = suiteOfCipherSuite(code);
  if (suite === null) {
    throw localAlert(
      "handshake_failure",
      `${what} cipher suite 0x${code.toString(16).padStart(4, "0")}, only TLS_SM4_GCM_SM3 (0x00c6) and TLS_AES_128_GCM_SHA256 (0x1301)`,
    );
  }
  const m = body[3 + RANDOM_SIZE];
  const mode = m === Mode.auth ? "auth" : m === Mode.resume ? "resume" : null;
  if (mode === null) throw localAlert("illegal_parameter", `${what} mode ${m}`);
  return { random: body.slice(1, 1 + RANDOM_SIZE), suite, mode };
}

/** A uint16-length vector that must end the body exactly, with a length in [min, max]. */
function readVector16(body: Uint8Array, at: number, min: number, max: number, what: string): Uint8Array {
  if (body.length < at + 2) throw localAlert("decode_error", `${what}: length missing`);
  const n = (body[at]! << 8) | body[at + 1]!;
  if (body.length !== at + 2 + n) throw localAlert("decode_error", `${what}: ${n} bytes announced, ${body.length - at - 2} present`);
  if (n < min || n > max) throw localAlert("decode_error", `${what}: ${n} bytes, expected ${min}..${max}`);
  return body.slice(at + 2);
}

/** A ClientHello'; in mode auth the authcode must be in the suite of the cipher suite (else illegal_parameter). */
export function decodeClientHello(body: Uint8Array): ClientHello {
  const { random, suite, mode } = readHelloStart(body, "ClientHello");
  if (mode === "auth") {
    const authcode = readVector16(body, HELLO_FIXED, AUTHCODE_MIN_SIZE, AUTHCODE_MAX_SIZE, "ClientHello authcode");
    const authSuite = suiteOfTidMessage(authcode);
    if (authSuite !== suite) {
      throw localAlert(
        "illegal_parameter",
        `ClientHello cipher suite ${TLS_CIPHER_SUITES[suite].name}, but its authcode is in suite ${authSuite ?? `bytes ${authcode[1]} ${authcode[2]}`}`,
      );
    }
    return { mode, random, suite, authcode };
  }
  if (body.length !== HELLO_FIXED + TID_SIZE + TLS_HASH_SIZE)
    throw localAlert("decode_error", `resume ClientHello of ${body.length} bytes`);
  return {
    mode,
    random,
    suite,
    tid: body.slice(HELLO_FIXED, HELLO_FIXED + TID_SIZE),
    binder: body.slice(HELLO_FIXED + TID_SIZE),
  };
}

/**
 * A ServerHello' answering a ClientHello' of `expected` mode and cipher suite (another mode, or a
 * known cipher suite the client did not offer → illegal_parameter, RFC 8446 §4.1.3; `expectedSuite`
 * default "sm").
 */
export function decodeServerHello(body: Uint8Array, expected: TlsMode, expectedSuite: SuiteName = "sm"): ServerHello {
  const { random, suite, mode } = readHelloStart(body, "ServerHello");
  if (mode !== expected) throw localAlert("illegal_parameter", `ServerHello mode ${mode}, the client asked for ${expected}`);
  if (suite !== expectedSuite) {
    throw localAlert(
      "illegal_parameter",
      `ServerHello cipher suite ${TLS_CIPHER_SUITES[suite].name}, the client offered ${TLS_CIPHER_SUITES[expectedSuite].name}`,
    );
  }
  if (mode === "resume") {
    if (body.length !== HELLO_FIXED) throw localAlert("decode_error", `resume ServerHello of ${body.length} bytes`);
    return { mode, random, suite };
  }
  return {
    mode,
    random,
    suite,
    serverData: readVector16(body, HELLO_FIXED, SERVER_DATA_MIN_SIZE, SERVER_DATA_MAX_SIZE, "ServerHello server data"),
  };
}

export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return encodeHandshake(HandshakeType.finished, verifyData);
}

export function decodeFinished(body: Uint8Array): Uint8Array {
  if (body.length !== TLS_HASH_SIZE) throw localAlert("decode_error", `Finished of ${body.length} bytes, expected ${TLS_HASH_SIZE}`);
  return body;
}

export function encodeKeyUpdate(requestUpdate: boolean): Uint8Array {
  return encodeHandshake(
    HandshakeType.keyUpdate,
    new Uint8Array([requestUpdate ? KeyUpdateRequest.requested : KeyUpdateRequest.notRequested]),
  );
}

/** KeyUpdate's request_update; any value but 0 or 1 → illegal_parameter (§4.6.3). */
export function decodeKeyUpdate(body: Uint8Array): boolean {
  if (body.length !== 1) throw localAlert("decode_error", `KeyUpdate of ${body.length} bytes`);
  if (body[0]! > KeyUpdateRequest.requested) throw localAlert("illegal_parameter", `KeyUpdate request_update ${body[0]}`);
  return body[0] === KeyUpdateRequest.requested;
}
