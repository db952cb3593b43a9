/**
 * One TID-TLS connection without I/O (docs/tls.md "Records", "Alerts", "KeyUpdate"): bytes from
 * the peer go in, records for the peer and events come out. This class holds what both sides
 * share — record protection through the TlsCipher (RFC 8446 §5.2), alerts and closure (§6),
 * application data, KeyUpdate (§4.6.3) — and hands handshake messages to the side's handshake
 * (client-handshake.ts, server-handshake.ts).
 *
 * Any fault is fatal, as in TLS 1.3: the connection queues the alert for the peer (protected when
 * this side writes protected records), emits one `error` event with a TidTlsError and ignores
 * everything after. No byte of a record that failed is ever emitted as data.
 */
import { alertName, AlertDescription, encodeAlert, localAlert, TidTlsError } from "./alerts.js";
import {
  ContentType,
  TLS_AEAD_TAG_SIZE,
  TLS_MAX_CIPHERTEXT,
  TLS_MAX_PLAINTEXT,
  TLS_RECORD_HEADER_SIZE,
  type SuiteName,
  type TlsCipher,
} from "./cipher.js";
import { decodeHandshake, decodeKeyUpdate, encodeKeyUpdate, HandshakeType, type ClientHello, type HandshakeMessage } from "./messages.js";
import { encodePlaintextRecord, RecordReader, RECORD_VERSION, recordVersion } from "./records.js";

export type ConnectionEvent =
  /** Application data from the peer (a fresh buffer the receiver may keep). */
  | { type: "data"; data: Uint8Array }
  /** The handshake finished: both Finished messages verified (on this side's view). */
  | { type: "secure" }
  /** The peer sent close_notify: no more data will come. */
  | { type: "end" }
  /** The connection failed; any alert for the peer is already in `send`. */
  | { type: "error"; error: TidTlsError }
  /** Server side: a ClientHello arrived; answer with accept() or reject(). */
  | { type: "hello"; hello: ClientHello };

/** What a call produced: records to write to the peer, in order, and events. */
export interface Step {
  send: Uint8Array[];
  events: ConnectionEvent[];
}

/** Bytes of one protected record carrying `n` content bytes. */
export function protectedRecordSize(n: number): number {
  return TLS_RECORD_HEADER_SIZE + n + 1 + TLS_AEAD_TAG_SIZE;
}

export abstract class TlsConnection {
  protected cipher: TlsCipher | null = null;
  /** The TID suite of the connection's cipher suite, once known (the client: from the start; the server: from ClientHello'). */
  protected suite_: SuiteName | null = null;
  /** Records from the peer are protected (after ServerHello). */
  protected readProtected = false;
  /** Records to the peer are protected. */
  protected writeProtected = false;
  /** Holds incoming records while the handshake waits for something outside (the server's key). */
  protected waiting = false;
  private readonly reader = new RecordReader();
  private step: Step = { send: [], events: [] };
  private secure_ = false;
  private failed_ = false;
  private readEnded = false;
  private writeEnded = false;

  /** The TID suite of the cipher suite ("sm": TLS_SM4_GCM_SM3, "intl": TLS_AES_128_GCM_SHA256), null until known. */
  get suite(): SuiteName | null {
    return this.suite_;
  }

  /** The handshake finished on this side. */
  get secure(): boolean {
    return this.secure_;
  }
  /** The connection failed (an alert was sent or received). */
  get failed(): boolean {
    return this.failed_;
  }
  /** close_notify was received. */
  get readClosed(): boolean {
    return this.readEnded;
  }
  /** close_notify was sent. */
  get writeClosed(): boolean {
    return this.writeEnded;
  }

  /** Handles one handshake message during the handshake (the side's state machine). */
  protected abstract onHandshake(message: HandshakeMessage): void;
  /** Whether an unprotected alert may arrive although records are protected (docs/tls.md "Alerts"). */
  protected plaintextAlertAllowed(): boolean {
    return false;
  }

  /** Runs `fn` and returns what it queued; a TidTlsError (or any throw) fails the connection. */
  protected run(fn: () => void): Step {
    if (!this.failed_) {
      try {
        fn();
      } catch (e) {
        this.fail(e);
      }
    }
    const out = this.step;
    this.step = { send: [], events: [] };
    return out;
  }

  /** Bytes from the peer. */
  receive(bytes: Uint8Array): Step {
    return this.run(() => {
      if (this.readEnded) return; // data after close_notify is ignored (RFC 8446 §6.1)
      this.reader.push(bytes);
      this.drain();
    });
  }

  /** Processes the whole records received so far, unless the handshake waits. */
  protected drain(): void {
    while (!this.failed_ && !this.waiting && !this.readEnded) {
      const record = this.reader.next(this.readProtected ? TLS_MAX_CIPHERTEXT : TLS_MAX_PLAINTEXT);
      if (record === null) return;
      this.onRecord(record);
    }
  }

  /** The peer's TCP stream ended: after close_notify that is the normal end, else truncation. */
  peerClosed(): Step {
    return this.run(() => {
      if (this.readEnded) return;
      throw new TidTlsError(
        "ERR_TLS_TRUNCATED",
        null,
        this.secure_ ? "the connection closed without close_notify" : "the connection closed during the handshake",
      );
    });
  }

  private onRecord(record: Uint8Array): void {
    let type: number;
    let content: Uint8Array;
    const plaintextAlert = record[0] === ContentType.alert && record.length === TLS_RECORD_HEADER_SIZE + 2;
    if (this.readProtected && !(plaintextAlert && this.plaintextAlertAllowed())) {
      const out = new Uint8Array(Math.max(0, record.length - TLS_RECORD_HEADER_SIZE));
      const opened = this.cipher!.open(record, out);
      if (opened === "bad_record_mac") throw localAlert("bad_record_mac", "a record failed authentication");
      if (opened === "no_content_type") throw localAlert("unexpected_message", "a protected record without a content type");
      if (opened.content.length > TLS_MAX_PLAINTEXT) throw localAlert("record_overflow", `${opened.content.length} bytes of content`);
      type = opened.type;
      content = opened.content;
    } else {
      if (recordVersion(record) !== RECORD_VERSION)
        throw localAlert("decode_error", `record version 0x${recordVersion(record).toString(16)}`);
      type = record[0]!;
      if (type !== ContentType.handshake && type !== ContentType.alert) {
        throw localAlert("unexpected_message", `an unprotected record of type ${type}`);
      }
      content = record.subarray(TLS_RECORD_HEADER_SIZE);
    }
    if (type === ContentType.alert) return this.onAlert(content);
    if (type === ContentType.handshake) {
      const message = decodeHandshake(content);
      if (this.secure_) return this.onPostHandshake(message);
      return this.onHandshake(message);
    }
    if (type === ContentType.applicationData) {
      if (!this.secure_) throw localAlert("unexpected_message", "application data before the handshake finished");
      if (content.length > 0) this.emit({ type: "data", data: content });
      return;
    }
    throw localAlert("unexpected_message", `a record of content type ${type}`);
  }

  private onAlert(content: Uint8Array): void {
    if (content.length !== 2) throw localAlert("decode_error", `an alert of ${content.length} bytes`);
    const description = content[1]!;
    if (description === AlertDescription.close_notify && this.secure_) {
      this.readEnded = true;
      this.reader.clear();
      this.emit({ type: "end" });
      return;
    }
    if (description === AlertDescription.user_canceled) return; // a close_notify follows (§6.1)
    const error = new TidTlsError("ERR_TLS_ALERT_RECEIVED", alertName(description), "the peer sent a fatal alert");
    this.failed_ = true;
    this.teardown();
    this.emit({ type: "error", error });
  }

  private onPostHandshake(message: HandshakeMessage): void {
    if (message.type !== HandshakeType.keyUpdate)
      throw localAlert("unexpected_message", `handshake message ${message.type} after the handshake`);
    const requested = decodeKeyUpdate(message.body);
    this.cipher!.keyUpdate("read");
    if (requested && !this.writeEnded) this.sendKeyUpdate(false);
  }

  private sendKeyUpdate(requestPeer: boolean): void {
    this.sendRecord(ContentType.handshake, encodeKeyUpdate(requestPeer));
    this.cipher!.keyUpdate("write");
  }

  /** Queues one record of `type`: sealed when this side writes protected records. */
  protected sendRecord(type: number, content: Uint8Array): void {
    if (!this.writeProtected) {
      this.step.send.push(encodePlaintextRecord(type, content));
      return;
    }
    const out = new Uint8Array(protectedRecordSize(content.length));
    this.cipher!.seal(type, content, out, 0);
    this.step.send.push(out);
  }

  protected emit(event: ConnectionEvent): void {
    this.step.events.push(event);
  }

  /** Marks the handshake finished. */
  protected complete(): void {
    this.secure_ = true;
    this.emit({ type: "secure" });
  }

  /** Fails the connection: sends the alert of a local fault, emits the error, wipes the keys. */
  protected fail(e: unknown): void {
    if (this.failed_) return;
    this.failed_ = true;
    const error = e instanceof TidTlsError ? e : localAlert("internal_error", e instanceof Error ? e.message : String(e), e);
    if (error.code === "ERR_TLS_ALERT_SENT" && error.alert !== null && error.alert in AlertDescription && !this.writeEnded) {
      try {
        this.sendRecord(ContentType.alert, encodeAlert(error.alert as keyof typeof AlertDescription));
      } catch {
        // the alert is best effort: the connection closes either way
      }
    }
    this.teardown();
    this.emit({ type: "error", error });
  }

  private teardown(): void {
    this.reader.clear();
    this.cipher?.destroy();
  }

  /**
   * Application data → protected records (≤ 2^14 bytes of content each), concatenated into one
   * buffer ready for the socket. Needs a finished handshake and an open write side.
   */
  seal(data: Uint8Array): Uint8Array {
    if (!this.secure_ || this.failed_) throw new TidTlsError("ERR_TLS_CLOSED", null, "the connection is not open for writing");
    if (this.writeEnded) throw new TidTlsError("ERR_TLS_CLOSED", null, "write after end (close_notify was sent)");
    const n = data.length;
    const full = Math.floor(n / TLS_MAX_PLAINTEXT);
    const rest = n - full * TLS_MAX_PLAINTEXT;
    const size = full * protectedRecordSize(TLS_MAX_PLAINTEXT) + (rest > 0 ? protectedRecordSize(rest) : 0);
    const out = Buffer.allocUnsafe(size); // every byte is written below
    let at = 0;
    for (let i = 0; i < n; i += TLS_MAX_PLAINTEXT) {
      at += this.cipher!.seal(ContentType.applicationData, data.subarray(i, Math.min(n, i + TLS_MAX_PLAINTEXT)), out, at);
    }
    return out;
  }

  /** close_notify (§6.1): this side sends no more data. */
  close(): Step {
    return this.run(() => {
      if (this.writeEnded) return;
      this.sendRecord(ContentType.alert, encodeAlert("close_notify"));
      this.writeEnded = true;
    });
  }

  /** KeyUpdate (§4.6.3): new write keys, and new keys from the peer too when `requestPeer`. */
  keyUpdate(requestPeer = false): Step {
    if (!this.secure_ || this.failed_ || this.writeEnded)
      throw new TidTlsError("ERR_TLS_CLOSED", null, "KeyUpdate needs an open connection");
    return this.run(() => this.sendKeyUpdate(requestPeer));
  }

  /** Ends the connection locally without an alert (the socket is gone) and wipes the keys. */
  destroy(): void {
    if (!this.failed_) this.failed_ = true;
    this.teardown();
  }
}
