/**
 * connect(): the device's side of TID-TLS (docs/tls.md "API"). Mode "auth" carries a fresh TID
 * authcode in the ClientHello' and checks the server data of the ServerHello' with the client
 * (which installs the new session token in its active slot); mode "resume" keys the connection
 * with the token the client already holds, proven by the PSK binder. The key schedule and the
 * record AEAD run in the client's wasm module (WasmTlsCipher), keyed from the slot, in the suite
 * of the slot's token (TLS_SM4_GCM_SM3 for suite "sm", TLS_AES_128_GCM_SHA256 for "intl").
 */
import { randomBytes } from "node:crypto";
import { connect as tcpConnect, type Socket } from "node:net";
import type { TidClient } from "../client.js";
import { requireBytes, requireInt } from "../errors.js";
import type { SuiteName, TlsCipher } from "./cipher.js";
import { ClientHandshake, type ClientCredentials } from "./client-handshake.js";
import { suiteOfTidMessage, type TlsMode } from "./messages.js";
import { TidTlsSocket } from "./socket.js";
import { WasmTlsCipher } from "./wasm-cipher.js";

/** Where to connect: a host and port, or a connected (or connecting) TCP socket. */
export type ConnectTarget = { host?: string; port: number } | { socket: Socket };

/**
 * What a cipher factory is given: the client, the slot option, the token validate returned (mode
 * auth), and the suite of the server data it validated (mode auth; null in mode resume, where the
 * slot's token decides).
 */
export interface DeviceCipherInput {
  client: TidClient;
  keyIndex: number | undefined;
  token: Uint8Array | null;
  suite: SuiteName | null;
}

export interface ConnectOptions {
  client: TidClient;
  mode: TlsMode;
  /** the session slot of the client that keys the connection (default: its active slot) */
  keyIndex?: number;
  /** mode auth: extra data carried in the authcode (0..512 bytes) */
  extra?: Uint8Array;
  /** ms until an unfinished handshake is dropped (default 5000) */
  handshakeTimeout?: number;
  /**
   * The connection's cipher; default WasmTlsCipher.fromClient(client, { keyIndex }). Tests set it
   * to run another implementation on the device side.
   */
  cipher?: (input: DeviceCipherInput) => TlsCipher;
}

function wasmCipher({ client, keyIndex }: DeviceCipherInput): TlsCipher {
  return WasmTlsCipher.fromClient(client, keyIndex === undefined ? {} : { keyIndex });
}

/**
 * Opens a TID-TLS connection. Resolves nothing: returns the socket at once, which emits
 * 'secureConnect' when the handshake finishes and 'error' (a TidTlsError) when it fails.
 * @throws TypeError / RangeError for bad options; TidError when the client cannot key a
 *   connection (mode resume with an empty slot; an SE backend that keeps its token inside the SE)
 */
export function connect(target: ConnectTarget, options: ConnectOptions): TidTlsSocket {
  if (typeof target !== "object" || target === null) throw new TypeError("target must be { host, port } or { socket }");
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const { client, mode } = options;
  if (typeof client !== "object" || client === null || typeof client.getAuthcode !== "function") {
    throw new TypeError("options.client must be a TidClient");
  }
  if (mode !== "auth" && mode !== "resume") throw new TypeError(`options.mode must be "auth" or "resume", got ${String(mode)}`);
  if (options.keyIndex !== undefined) requireInt("options.keyIndex", options.keyIndex, 0, client.slotCount - 1);
  if (options.extra !== undefined) requireBytes("options.extra", options.extra, { max: 512 });
  if (mode === "resume" && options.extra !== undefined) throw new TypeError("options.extra is for mode auth only");
  if (options.cipher !== undefined && typeof options.cipher !== "function") throw new TypeError("options.cipher must be a function");
  const makeCipher = options.cipher ?? wasmCipher;
  const keyIndex = options.keyIndex;

  let credentials: ClientCredentials;
  if (mode === "resume") {
    credentials = { mode, tid: client.tid, cipher: makeCipher({ client, keyIndex, token: null, suite: null }) };
  } else {
    if (keyIndex !== undefined) client.activeSlot = keyIndex;
    credentials = {
      mode,
      authcode: client.getAuthcode(options.extra ?? new Uint8Array(0)),
      validate: (serverData) => {
        const token = client.validate(serverData);
        try {
          return makeCipher({ client, keyIndex, token, suite: suiteOfTidMessage(serverData) });
        } finally {
          token?.fill(0);
        }
      },
    };
  }
  let socket: Socket;
  if ("socket" in target) {
    socket = target.socket;
  } else {
    if (typeof target.port !== "number") throw new TypeError("target.port must be a number");
    socket = tcpConnect({ host: target.host ?? "127.0.0.1", port: target.port, allowHalfOpen: true });
  }
  const handshake = new ClientHandshake(credentials, new Uint8Array(randomBytes(32)));
  return new TidTlsSocket(
    socket,
    { side: "client", handshake, tid: client.tid },
    options.handshakeTimeout === undefined ? {} : { handshakeTimeout: options.handshakeTimeout },
  );
}
