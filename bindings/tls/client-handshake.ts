/**
 * The client (device) side of the TID-TLS handshake without I/O (docs/tls.md "Flow"): send
 * ClientHello'; on ServerHello' check the server data (mode auth) and derive the handshake
 * secrets (RFC 8446 §7.1); verify the server's Finished (§4.4.4); send Finished and switch both
 * directions to the application traffic keys. In mode resume the ClientHello' carries the PSK
 * binder of §4.2.11. The cipher suite offered is the one of the device's suite: that of the
 * authcode (its algorithm bytes) in mode auth, that of the cipher (the token's) in mode resume;
 * a ServerHello' naming another → illegal_parameter (RFC 8446 §4.1.3).
 */
import { localAlert } from "./alerts.js";
import { ContentType, TLS_CIPHER_SUITES, suiteOfCipherSuite, type TlsCipher } from "./cipher.js";
import { TlsConnection, type Step } from "./connection.js";
import {
  decodeFinished,
  decodeServerHello,
  encodeClientHello,
  encodeFinished,
  HandshakeType,
  RANDOM_SIZE,
  suiteOfTidMessage,
  truncatedClientHello,
  type HandshakeMessage,
  type TlsMode,
} from "./messages.js";

/** What the client brings to a handshake, per mode. */
export type ClientCredentials =
  | {
      mode: "auth";
      /** the device's fresh TID authcode */
      authcode: Uint8Array;
      /**
       * Checks the server data of ServerHello' and returns the cipher keyed by the token it
       * installed; throws when the server data does not verify.
       */
      validate(serverData: Uint8Array): TlsCipher;
    }
  | {
      mode: "resume";
      tid: Uint8Array;
      /** keyed by the token the device keeps (the PSK) */
      cipher: TlsCipher;
    };

type State = "start" | "wait_server_hello" | "wait_finished" | "done";

export class ClientHandshake extends TlsConnection {
  readonly mode: TlsMode;
  private state: State = "start";
  private readonly transcript: Uint8Array[] = [];
  private readonly credentials: ClientCredentials;
  private readonly random: Uint8Array;

  /** `random` is the client_random (32 bytes, fresh for every connection). */
  constructor(credentials: ClientCredentials, random: Uint8Array) {
    super();
    if (!(random instanceof Uint8Array) || random.length !== RANDOM_SIZE) throw new RangeError(`random must be ${RANDOM_SIZE} bytes`);
    this.credentials = credentials;
    this.mode = credentials.mode;
    this.random = random.slice();
  }

  /** The ClientHello' record. */
  start(): Step {
    return this.run(() => {
      if (this.state !== "start") throw new Error("start() was already called");
      const c = this.credentials;
      let hello: Uint8Array;
      if (c.mode === "auth") {
        const suite = suiteOfTidMessage(c.authcode);
        if (suite === null) throw new RangeError(`the authcode's algorithm bytes ${c.authcode[1]} ${c.authcode[2]} name no suite`);
        this.suite_ = suite;
        hello = encodeClientHello({ mode: "auth", random: this.random, suite, authcode: c.authcode });
      } else {
        this.cipher = c.cipher;
        const suite = suiteOfCipherSuite(c.cipher.cipherSuite);
        if (suite === null) throw new RangeError(`the cipher's suite 0x${c.cipher.cipherSuite.toString(16)} is not one TID-TLS knows`);
        this.suite_ = suite;
        hello = encodeClientHello({ mode: "resume", random: this.random, suite, tid: c.tid, binder: new Uint8Array(32) });
        const binder = c.cipher.binder(c.cipher.transcriptHash([truncatedClientHello(hello)]));
        hello.set(binder, hello.length - binder.length);
      }
      this.transcript.push(hello);
      this.sendRecord(ContentType.handshake, hello);
      this.state = "wait_server_hello";
    });
  }

  protected onHandshake(m: HandshakeMessage): void {
    if (this.state === "wait_server_hello" && m.type === HandshakeType.serverHello) return this.onServerHello(m);
    if (this.state === "wait_finished" && m.type === HandshakeType.finished) return this.onFinished(m);
    throw localAlert("unexpected_message", `handshake message ${m.type} in state ${this.state}`);
  }

  private onServerHello(m: HandshakeMessage): void {
    const hello = decodeServerHello(m.body, this.mode, this.suite_!);
    if (hello.mode === "auth" && this.credentials.mode === "auth") {
      try {
        this.cipher = this.credentials.validate(hello.serverData);
      } catch (e) {
        throw localAlert("handshake_failure", "the server data does not verify", e);
      }
      if (this.cipher.cipherSuite !== TLS_CIPHER_SUITES[hello.suite].code) {
        throw localAlert(
          "handshake_failure",
          `the token keys ${this.cipher.cipherSuite}, not the suite offered (${TLS_CIPHER_SUITES[hello.suite].name})`,
        );
      }
    }
    this.transcript.push(m.raw.slice());
    const cipher = this.cipher!;
    cipher.deriveHandshakeSecrets(cipher.transcriptHash(this.transcript));
    this.readProtected = true;
    this.writeProtected = true;
    this.state = "wait_finished";
  }

  private onFinished(m: HandshakeMessage): void {
    const cipher = this.cipher!;
    const verifyData = decodeFinished(m.body);
    if (!cipher.verifyFinished("server", cipher.transcriptHash(this.transcript), verifyData)) {
      throw localAlert("decrypt_error", "the server's Finished does not verify");
    }
    this.transcript.push(m.raw.slice());
    const serverFinishedHash = cipher.transcriptHash(this.transcript);
    cipher.deriveApplicationSecrets(serverFinishedHash);
    const finished = encodeFinished(cipher.finished("client", serverFinishedHash));
    this.sendRecord(ContentType.handshake, finished);
    this.transcript.push(finished);
    cipher.useApplicationKeys("write");
    cipher.useApplicationKeys("read");
    this.state = "done";
    this.complete();
  }
}
