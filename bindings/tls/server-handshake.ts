/**
 * The server (user server) side of the TID-TLS handshake without I/O (docs/tls.md "Flow"): take
 * ClientHello' and hand it out (a `hello` event), since finding the key is the caller's — an
 * authentication at the TID auth server (mode auth) or a token kept per TID (mode resume); then
 * `accept` with the cipher keyed by that token: check the PSK binder (RFC 8446 §4.2.11), send
 * ServerHello' and a protected Finished (§4.4.4), switch writing to the application keys, and
 * finish once the client's Finished verifies. `reject` ends the handshake with an alert. The
 * cipher suite is the client's (ClientHello' names it; in mode auth its authcode must be in that
 * suite): a key of another suite, or server data of another suite → handshake_failure.
 */
import { localAlert, type TidTlsError } from "./alerts.js";
import { ContentType, TLS_CIPHER_SUITES, type TlsCipher } from "./cipher.js";
import { TlsConnection, type Step } from "./connection.js";
import { OFFSET, TID_SIZE } from "../../reference/constants.js";
import {
  decodeClientHello,
  decodeFinished,
  encodeFinished,
  encodeServerHello,
  HandshakeType,
  RANDOM_SIZE,
  suiteOfTidMessage,
  truncatedClientHello,
  type ClientHello,
  type HandshakeMessage,
  type TlsMode,
} from "./messages.js";

/** The server's answer to a ClientHello': the cipher keyed by the token, and the server data in mode auth. */
export interface ServerKey {
  cipher: TlsCipher;
  serverData?: Uint8Array;
}

type State = "wait_client_hello" | "wait_key" | "wait_finished" | "done";

export class ServerHandshake extends TlsConnection {
  private state: State = "wait_client_hello";
  private readonly transcript: Uint8Array[] = [];
  private hello: ClientHello | null = null;

  /** The client's mode, once its ClientHello' arrived. */
  get mode(): TlsMode | null {
    return this.hello?.mode ?? null;
  }

  /** The client's TID (from the authcode or the resume hello), once its ClientHello' arrived. */
  get tid(): Uint8Array | null {
    const h = this.hello;
    if (h === null) return null;
    return h.mode === "resume" ? h.tid : h.authcode.slice(OFFSET.tid, OFFSET.tid + TID_SIZE);
  }

  protected onHandshake(m: HandshakeMessage): void {
    if (this.state === "wait_client_hello" && m.type === HandshakeType.clientHello) {
      this.hello = decodeClientHello(m.body);
      this.suite_ = this.hello.suite;
      this.transcript.push(m.raw.slice());
      this.state = "wait_key";
      this.waiting = true;
      this.emit({ type: "hello", hello: this.hello });
      return;
    }
    if (this.state === "wait_finished" && m.type === HandshakeType.finished) return this.onFinished(m);
    throw localAlert("unexpected_message", `handshake message ${m.type} in state ${this.state}`);
  }

  /** The client may lack keys when it aborts on ServerHello' (mode auth: its server data did not verify). */
  protected override plaintextAlertAllowed(): boolean {
    return this.state === "wait_finished";
  }

  /**
   * Continue the handshake with the key found for the ClientHello'. `random` is the
   * server_random (32 bytes, fresh for every connection). The cipher belongs to the connection
   * from here on (destroyed with it).
   */
  accept(key: ServerKey, random: Uint8Array): Step {
    if (this.state !== "wait_key") throw new Error(`accept() in state ${this.state}`);
    if (!(random instanceof Uint8Array) || random.length !== RANDOM_SIZE) throw new RangeError(`random must be ${RANDOM_SIZE} bytes`);
    return this.run(() => {
      const hello = this.hello!;
      const cipher = key.cipher;
      this.cipher = cipher;
      const suite = TLS_CIPHER_SUITES[hello.suite];
      if (cipher.cipherSuite !== suite.code) {
        throw localAlert(
          "handshake_failure",
          `the client offered ${suite.name}, the key is for cipher suite 0x${cipher.cipherSuite.toString(16)}`,
        );
      }
      if (hello.mode === "resume") {
        const truncated = truncatedClientHello(this.transcript[0]!);
        if (!cipher.verifyBinder(cipher.transcriptHash([truncated]), hello.binder)) {
          throw localAlert("handshake_failure", "the PSK binder does not verify");
        }
      }
      let serverHello: Uint8Array;
      if (hello.mode === "auth") {
        if (key.serverData === undefined) throw new TypeError("key.serverData is required in mode auth");
        if (suiteOfTidMessage(key.serverData) !== hello.suite) {
          throw localAlert("handshake_failure", `the server data is not in the suite of ${suite.name}`);
        }
        serverHello = encodeServerHello({ mode: "auth", random, suite: hello.suite, serverData: key.serverData });
      } else {
        serverHello = encodeServerHello({ mode: "resume", random, suite: hello.suite });
      }
      this.sendRecord(ContentType.handshake, serverHello);
      this.transcript.push(serverHello);
      const helloHash = cipher.transcriptHash(this.transcript);
      cipher.deriveHandshakeSecrets(helloHash);
      this.readProtected = true;
      this.writeProtected = true;
      const finished = encodeFinished(cipher.finished("server", helloHash));
      this.sendRecord(ContentType.handshake, finished);
      this.transcript.push(finished);
      cipher.deriveApplicationSecrets(cipher.transcriptHash(this.transcript));
      cipher.useApplicationKeys("write");
      this.state = "wait_finished";
      this.waiting = false;
      this.drain();
    });
  }

  /** Ends the handshake: `error` names the alert to send (handshake_failure for a refused key). */
  reject(error: TidTlsError): Step {
    return this.run(() => {
      throw error;
    });
  }

  private onFinished(m: HandshakeMessage): void {
    const cipher = this.cipher!;
    const verifyData = decodeFinished(m.body);
    if (!cipher.verifyFinished("client", cipher.transcriptHash(this.transcript), verifyData)) {
      throw localAlert("decrypt_error", "the client's Finished does not verify");
    }
    this.transcript.push(m.raw.slice());
    cipher.useApplicationKeys("read");
    this.state = "done";
    this.complete();
  }
}
