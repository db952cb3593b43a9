/**
 * TidTlsSocket: a TID-TLS connection over a TCP socket, as a stream.Duplex that behaves like
 * node's tls.TLSSocket (docs/tls.md "API"): 'secureConnect' (client) / 'secure' (server) when the
 * handshake finishes; writes wait for it and are cut into records of ≤ 2^14 bytes (RFC 8446
 * §5.1); backpressure both ways (the TCP socket's write buffer, the reader's highWaterMark);
 * `end()` sends close_notify (§6.1) and the peer's close_notify ends the readable side; a TCP
 * close without close_notify is an error (truncation), never a clean end. A fatal error sends its
 * alert, then half-closes the TCP connection and waits briefly for the peer to close too, so the
 * alert is not lost to a reset.
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import { localAlert, TidTlsError } from "./alerts.js";
import { TLS_CIPHER_SUITES } from "./cipher.js";
import type { ClientHandshake } from "./client-handshake.js";
import type { ConnectionEvent, Step, TlsConnection } from "./connection.js";
import type { ClientHello, TlsMode } from "./messages.js";
import type { ServerHandshake, ServerKey } from "./server-handshake.js";

/** Default handshake timeout, ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 5000;
/** How long a failed connection waits for the peer to close after its alert and FIN, ms. */
const LINGER_MS = 2000;

export type TidTlsSide =
  | { side: "client"; handshake: ClientHandshake; tid: Uint8Array }
  | {
      side: "server";
      handshake: ServerHandshake;
      /** finds the key for a ClientHello' (reject with a TidTlsError to choose the alert) */
      keyFor(hello: ClientHello, tid: Uint8Array): Promise<ServerKey>;
    };

export interface TidTlsSocketOptions {
  /** ms until an unfinished handshake is dropped (default 5000; 0 = none) */
  handshakeTimeout?: number;
}

interface PendingWrite {
  chunk: Uint8Array;
  callback: (error?: Error | null) => void;
}

export class TidTlsSocket extends Duplex {
  /**
   * The connection's cipher suite: "TLS_SM4_GCM_SM3" (RFC 8998, TID suite "sm") or
   * "TLS_AES_128_GCM_SHA256" (RFC 8446, TID suite "intl"); "" on a server until ClientHello' arrived.
   */
  get cipherSuite(): string {
    const suite = this.conn.suite;
    return suite === null ? "" : TLS_CIPHER_SUITES[suite].name;
  }
  readonly encrypted = true;
  /** The TCP socket underneath. */
  readonly socket: Socket;
  private readonly conn: TlsConnection;
  private readonly setup: TidTlsSide;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private pending: PendingWrite[] = [];
  private pendingFinal: ((error?: Error | null) => void) | null = null;
  private lingering = false;
  private pausedByUs = false;
  private tid_: Uint8Array | null;

  constructor(socket: Socket, setup: TidTlsSide, options: TidTlsSocketOptions = {}) {
    super({ allowHalfOpen: false });
    const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0) {
      throw new RangeError(`handshakeTimeout must be a number of ms ≥ 0, got ${String(timeout)}`);
    }
    this.socket = socket;
    // records are written whole: Nagle's algorithm would only hold a small record back for an ACK
    socket.setNoDelay(true);
    this.setup = setup;
    this.conn = setup.handshake;
    this.tid_ = setup.side === "client" ? setup.tid.slice() : null;
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(timeout), timeout);
      this.handshakeTimer.unref();
    }
    socket.on("data", (chunk: Buffer) => this.process(this.conn.receive(chunk)));
    socket.on("end", () => this.process(this.conn.peerClosed()));
    socket.on("error", (e) => {
      if (!this.destroyed) this.destroy(e);
    });
    socket.on("close", () => {
      // after close_notify the stream ends by itself once read and finished (autoDestroy)
      if (!this.destroyed && !this.conn.readClosed) this.process(this.conn.peerClosed());
    });
    socket.on("timeout", () => this.emit("timeout"));
    if (setup.side === "client") queueMicrotask(() => this.process(setup.handshake.start()));
  }

  /** The TID the connection is keyed by (the device's own on the client, the peer's on the server). */
  get tid(): Uint8Array | null {
    return this.tid_?.slice() ?? null;
  }

  /** "auth" or "resume" (on the server once the ClientHello' arrived). */
  get mode(): TlsMode | null {
    return this.setup.side === "client" ? this.setup.handshake.mode : this.setup.handshake.mode;
  }

  /** The handshake finished. */
  get secure(): boolean {
    return this.conn.secure;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  /** Like net.Socket#setTimeout: 'timeout' after `ms` of inactivity on the TCP socket. */
  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms);
    if (callback) this.once("timeout", callback);
    return this;
  }

  setNoDelay(noDelay = true): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  /** KeyUpdate (RFC 8446 §4.6.3): new write keys now; with `requestPeer`, the peer renews its write keys too. */
  keyUpdate(requestPeer = false): void {
    if (this.destroyed) throw new TidTlsError("ERR_TLS_CLOSED", null, "keyUpdate on a destroyed socket");
    this.process(this.conn.keyUpdate(requestPeer));
  }

  private onHandshakeTimeout(ms: number): void {
    if (this.conn.secure || this.destroyed) return;
    this.conn.destroy();
    this.socket.destroy();
    this.destroy(new TidTlsError("ERR_TLS_HANDSHAKE_TIMEOUT", null, `the handshake did not finish within ${ms} ms`));
  }

  /** Writes a step's records and acts on its events. */
  private process(step: Step): void {
    // one write per step: a handshake flight (ServerHello' and Finished) goes out in one segment
    if (step.send.length > 0 && !this.socket.destroyed) {
      this.socket.write(step.send.length === 1 ? step.send[0]! : Buffer.concat(step.send));
    }
    for (const event of step.events) this.onEvent(event);
  }

  private onEvent(event: ConnectionEvent): void {
    switch (event.type) {
      case "data":
        if (!this.push(event.data) && !this.pausedByUs) {
          this.pausedByUs = true;
          this.socket.pause();
        }
        return;
      case "secure":
        clearTimeout(this.handshakeTimer);
        this.emit(this.setup.side === "client" ? "secureConnect" : "secure");
        this.flushPending();
        return;
      case "end":
        this.push(null);
        return;
      case "error":
        this.failWith(event.error);
        return;
      case "hello":
        this.onHello(event.hello);
        return;
    }
  }

  private onHello(hello: ClientHello): void {
    if (this.setup.side !== "server") return;
    const handshake = this.setup.handshake;
    this.tid_ = handshake.tid;
    this.setup.keyFor(hello, this.tid_!).then(
      (key) => {
        if (this.destroyed || handshake.failed) return key.cipher.destroy();
        this.process(handshake.accept(key, new Uint8Array(randomBytes(32))));
      },
      (e: unknown) => {
        if (this.destroyed) return;
        const error = e instanceof TidTlsError ? e : localAlert("handshake_failure", e instanceof Error ? e.message : String(e), e);
        this.process(handshake.reject(error));
      },
    );
  }

  /** A fatal error: the alert is already written; half-close, let the peer close, then destroy. */
  private failWith(error: TidTlsError): void {
    clearTimeout(this.handshakeTimer);
    for (const p of this.pending.splice(0)) p.callback(error);
    this.pendingFinal?.(error);
    this.pendingFinal = null;
    if (!this.socket.destroyed) {
      this.lingering = true;
      this.socket.resume();
      this.socket.end();
      setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
    }
    this.destroy(error);
  }

  private flushPending(): void {
    for (const p of this.pending.splice(0)) this._write(p.chunk, "binary", p.callback);
    const final = this.pendingFinal;
    this.pendingFinal = null;
    if (final) this._final(final);
  }

  override _write(chunk: Buffer | Uint8Array, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.conn.secure && !this.conn.failed) {
      this.pending.push({ chunk, callback });
      return;
    }
    let records: Uint8Array;
    try {
      records = this.conn.seal(chunk);
    } catch (e) {
      callback(e as Error);
      return;
    }
    if (this.socket.write(records)) callback();
    else this.socket.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.conn.secure && !this.conn.failed) {
      this.pendingFinal = callback;
      return;
    }
    this.process(this.conn.close());
    if (!this.socket.destroyed) this.socket.end();
    callback();
  }

  override _read(): void {
    if (this.pausedByUs) {
      this.pausedByUs = false;
      this.socket.resume();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.handshakeTimer);
    this.conn.destroy();
    for (const p of this.pending.splice(0)) p.callback(error ?? new TidTlsError("ERR_TLS_CLOSED", null, "the socket was destroyed"));
    if (!this.lingering) this.socket.destroy();
    callback(error);
  }
}
