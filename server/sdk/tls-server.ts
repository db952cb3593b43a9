// The user server's side of TID-TLS (docs/tls.md "API"): createTlsServer() → a net.Server whose
// connections run the server half of the handshake (bindings/tls/server-handshake.ts, the same
// engine the device runs) and emit 'secureConnection' with a TidTlsSocket that knows the peer's
// TID. Mode auth: the ClientHello' carries the device's authcode, which authenticate() takes to the
// TID auth server (default: authDevice with the user server's identity) for the server data and
// the token; mode resume: resume(tid) gives the token kept from an earlier authentication (default:
// an in-memory map filled by this server's successful authentications). The cipher suite is the
// device's: in mode auth that of the authcode and the server data (TLS_SM4_GCM_SM3 for suite
// "sm", TLS_AES_128_GCM_SHA256 for "intl"; ClientHello' must name it), in mode resume that of
// the kept token, which must be the one ClientHello' names (else handshake_failure). A handshake that fails
// sends its alert, closes the TCP connection and emits 'tlsClientError' (error, socket), the
// error's `cause` saying why (a TidServerError of the auth server, say); one that does not finish
// within handshakeTimeout is dropped.
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import type { KeyLike, KeyObject } from "node:crypto";
import { localAlert, TidTlsError } from "../../bindings/tls/alerts.js";
import { requireSuite, TLS_CIPHER_SUITES, type SuiteName, type TlsCipher } from "../../bindings/tls/cipher.js";
import { suiteOfTidMessage, type ClientHello } from "../../bindings/tls/messages.js";
import { ServerHandshake, type ServerKey } from "../../bindings/tls/server-handshake.js";
import { TidTlsSocket } from "../../bindings/tls/socket.js";
import { WasmTlsCipher } from "../../bindings/tls/wasm-cipher.js";
import { toHex } from "../../reference/bytes.js";
import { authDevice } from "./auth-device.js";

/**
 * What mode auth needs of an authentication: authDevice's result, or its first two elements (the
 * suite is read from the server data either way).
 */
export type TlsAuthResult = [serverData: Uint8Array, sessionToken: Uint8Array | null, suite?: SuiteName];

/** A token kept for mode resume with its suite (a bare Uint8Array is a token of suite "sm"). */
export type ResumeToken = Uint8Array | { token: Uint8Array; suite: SuiteName };

export interface TlsServerOptions {
  /** Mode auth: the device's authcode → [serverData, token]; default authDevice with `authServer`. */
  authenticate?: (authcode: Uint8Array) => Promise<TlsAuthResult> | TlsAuthResult;
  /**
   * Mode resume: the token kept for a TID (with its suite), or null; default the tokens (and
   * suites) of this server's successful authentications.
   */
  resume?: (tid: Uint8Array) => Promise<ResumeToken | null> | ResumeToken | null;
  /** The TID auth server and this user server's identity there, for the default `authenticate`. */
  authServer?: { url: string; userUin: string; privateKey: KeyLike | KeyObject };
  /** ms until an unfinished handshake is dropped (default 5000) */
  handshakeTimeout?: number;
  /** net.Server#maxConnections */
  maxConnections?: number;
  /** The connection's cipher keyed by the token in `suite` (default: the server side of the wasm cipher). */
  cipher?: (token: Uint8Array, suite: SuiteName) => TlsCipher;
}

function defaultCipher(token: Uint8Array, suite: SuiteName): TlsCipher {
  return WasmTlsCipher.fromPsk("server", token, { suite });
}

/** A resume answer as token and suite; TypeError for anything else. */
function resumeToken(kept: ResumeToken): { token: Uint8Array; suite: SuiteName } {
  if (kept instanceof Uint8Array) return { token: kept, suite: "sm" };
  if (typeof kept !== "object" || kept === null || !(kept.token instanceof Uint8Array)) {
    throw new TypeError("resume must answer a Uint8Array, { token, suite } or null");
  }
  return { token: kept.token, suite: requireSuite("resume(...).suite", kept.suite) };
}

/** The keys of a TID-TLS server: `authenticate` and `resume` as configured, with the default token map. */
function keySource(options: TlsServerOptions): (hello: ClientHello, tid: Uint8Array) => Promise<ServerKey> {
  const tokens = new Map<string, { token: Uint8Array; suite: SuiteName }>();
  const { authServer } = options;
  const authenticate =
    options.authenticate ??
    (authServer === undefined
      ? undefined
      : (authcode: Uint8Array) => authDevice(authServer.userUin, authServer.privateKey, authcode, { url: authServer.url }));
  const resume =
    options.resume ??
    ((tid: Uint8Array) => {
      const kept = tokens.get(toHex(tid));
      return kept === undefined ? null : { token: kept.token.slice(), suite: kept.suite };
    });
  const cipher = options.cipher ?? defaultCipher;
  const offered = (suite: SuiteName) => TLS_CIPHER_SUITES[suite].name;
  return async (hello, tid) => {
    if (hello.mode === "resume") {
      const kept = await resume(tid);
      if (kept === null) throw localAlert("handshake_failure", `no session token for TID ${toHex(tid)}`);
      const { token, suite } = resumeToken(kept);
      try {
        if (suite !== hello.suite) {
          throw localAlert(
            "handshake_failure",
            `the token kept for TID ${toHex(tid)} is for ${offered(suite)}, the device offered ${offered(hello.suite)}`,
          );
        }
        return { cipher: cipher(token, suite) };
      } finally {
        token.fill(0);
      }
    }
    if (authenticate === undefined)
      throw localAlert("handshake_failure", "this server takes no mode auth (no authenticate, no authServer)");
    let result: TlsAuthResult;
    try {
      result = await authenticate(hello.authcode);
    } catch (e) {
      throw localAlert("handshake_failure", `the auth server refused the authcode${e instanceof Error ? `: ${e.message}` : ""}`, e);
    }
    const [serverData, token] = result;
    if (token === null) throw localAlert("handshake_failure", "the auth server issued no session token");
    try {
      // the suite of the authenticated device: its server data's algorithm bytes, which the
      // authcode's (checked against ClientHello' when it was decoded) must match
      const suite = suiteOfTidMessage(serverData);
      if (suite !== hello.suite) {
        throw localAlert(
          "handshake_failure",
          `the server data is in suite ${suite ?? "unknown"}, the device offered ${offered(hello.suite)}`,
        );
      }
      if (options.resume === undefined) tokens.set(toHex(tid), { token: token.slice(), suite });
      return { cipher: cipher(token, suite), serverData };
    } finally {
      token.fill(0);
    }
  };
}

function checkOptions(options: TlsServerOptions): void {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  for (const name of ["authenticate", "resume", "cipher"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") throw new TypeError(`options.${name} must be a function`);
  }
  const a = options.authServer;
  if (a !== undefined && (typeof a !== "object" || a === null || typeof a.url !== "string" || typeof a.userUin !== "string")) {
    throw new TypeError("options.authServer must be { url, userUin, privateKey }");
  }
  if (options.authenticate === undefined && a === undefined && options.resume === undefined) {
    throw new TypeError("options: give authServer or authenticate (mode auth), and/or resume");
  }
  const t = options.handshakeTimeout;
  if (t !== undefined && (typeof t !== "number" || !Number.isFinite(t) || t < 0)) {
    throw new RangeError(`options.handshakeTimeout must be a number of ms ≥ 0, got ${String(t)}`);
  }
  const m = options.maxConnections;
  if (m !== undefined && (!Number.isInteger(m) || m < 1))
    throw new RangeError(`options.maxConnections must be an integer ≥ 1, got ${String(m)}`);
}

/**
 * A TCP server speaking TID-TLS. Listen on it as on any net.Server. Events besides net.Server's:
 * 'secureConnection' (socket: TidTlsSocket) once a handshake finished; 'tlsClientError'
 * (error: TidTlsError | Error, socket: TidTlsSocket) when one failed.
 */
export function createTlsServer(options: TlsServerOptions, secureConnectionListener?: (socket: TidTlsSocket) => void): Server {
  checkOptions(options);
  const keyFor = keySource(options);
  const handshakeTimeout = options.handshakeTimeout;
  const server = createTcpServer({ allowHalfOpen: true, pauseOnConnect: false }, (tcp: Socket) => {
    const socket = new TidTlsSocket(
      tcp,
      { side: "server", handshake: new ServerHandshake(), keyFor },
      handshakeTimeout === undefined ? {} : { handshakeTimeout },
    );
    const onError = (error: Error): void => {
      server.emit("tlsClientError", error, socket);
    };
    socket.on("error", onError);
    socket.once("secure", () => {
      socket.off("error", onError);
      server.emit("secureConnection", socket);
    });
  });
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  if (secureConnectionListener) server.on("secureConnection", secureConnectionListener);
  return server;
}

export { TidTlsSocket, TidTlsError };
