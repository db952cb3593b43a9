// One side of a TID-TLS connection's cryptography on node:crypto (docs/tls.md): the key schedule
// of tls-key-schedule.ts and record protection of RFC 8446 §5.2–§5.3 in one of the two cipher
// suites — TLS_SM4_GCM_SM3 (RFC 8998: SM4-GCM, SM3; suite "sm", the default) or
// TLS_AES_128_GCM_SHA256 (RFC 8446 §B.4: AES-128-GCM, SHA-256; suite "intl"). It has the shape of
// the engine's TlsCipher (bindings/tls/cipher.ts) without importing it — the reference stands
// alone — so tests can run either side of a connection on it and hold the wasm's WasmTlsCipher
// to the same bytes.
import { ctEqual } from "./primitives.js";
import { suiteOf, type SuiteGcm, type SuiteName } from "./suite.js";
import {
  TLS_HASH_SIZE,
  earlySecrets,
  finishedVerifyData,
  hkdfExtract,
  hkdfExpandLabel,
  nextTrafficSecret,
  transcriptHash,
  trafficKeys,
} from "./tls-key-schedule.js";

/** The TLS cipher suite code of each TID suite: TLS_SM4_GCM_SM3 (RFC 8998 §2), TLS_AES_128_GCM_SHA256 (RFC 8446 §B.4). */
export const TLS_CIPHER_SUITE_CODES: Readonly<Record<SuiteName, number>> = { sm: 0x00c6, intl: 0x1301 };
const HEADER = 5;
const TAG = 16;
const MAX_PLAINTEXT = 16384;
const MAX_CIPHERTEXT = 16384 + 256;
const APPLICATION_DATA = 23;

type Side = "client" | "server";
type Direction = "read" | "write";

/** One direction's record protection: SM4-GCM or AES-128-GCM key, write/read IV, 64-bit sequence number. */
class RecordKeys {
  private readonly gcm: SuiteGcm;
  private readonly iv: Uint8Array;
  private seq = 0n;

  constructor(secret: Uint8Array, suite: SuiteName) {
    const { key, iv } = trafficKeys(secret, suite);
    this.gcm = suiteOf(suite).gcm(key);
    key.fill(0);
    this.iv = iv;
  }

  /** write_iv XOR the sequence number, left-padded to 12 bytes (§5.3). */
  nonce(): Uint8Array {
    const n = this.iv.slice();
    let s = this.seq;
    for (let i = 11; i >= 4; i--) {
      n[i]! ^= Number(s & 0xffn);
      s >>= 8n;
    }
    return n;
  }

  advance(): void {
    if (this.seq === 0xffff_ffff_ffff_ffffn) throw new RangeError("record sequence number exhausted: a KeyUpdate is needed");
    this.seq++;
  }

  get gcmCipher(): SuiteGcm {
    return this.gcm;
  }

  destroy(): void {
    this.gcm.destroy();
    this.iv.fill(0);
  }
}

function requireHash(name: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (v.length !== TLS_HASH_SIZE) throw new RangeError(`${name} must be ${TLS_HASH_SIZE} bytes, got ${v.length}`);
  return v;
}

export class ReferenceTlsCipher {
  /** 0x00C6 (suite "sm") or 0x1301 (suite "intl"). */
  readonly cipherSuite: number;
  readonly suite: SuiteName;
  /** Early Secret = HKDF-Extract(0, PSK), until the handshake secrets are derived from it */
  private earlySecret: Uint8Array | null;
  private binderKey: Uint8Array;
  private handshakeSecret: Uint8Array | null = null;
  private hs: Record<Side, Uint8Array> | null = null;
  private ap: Record<Side, Uint8Array> | null = null;
  private readonly keys: Partial<Record<Direction, RecordKeys>> = {};
  private switched: Record<Direction, boolean> = { read: false, write: false };
  private destroyed = false;

  /**
   * `psk` is the 16-byte TID session token; only the secrets derived from it are kept. `suite`:
   * "sm" (default) or "intl" (TypeError otherwise).
   */
  constructor(
    readonly side: Side,
    psk: Uint8Array,
    suite: SuiteName = "sm",
  ) {
    if (side !== "client" && side !== "server") throw new TypeError(`side must be "client" or "server", got ${String(side)}`);
    if (!(psk instanceof Uint8Array)) throw new TypeError("psk must be a Uint8Array");
    if (psk.length !== 16) throw new RangeError(`psk must be 16 bytes, got ${psk.length}`);
    this.suite = suiteOf(suite).name;
    this.cipherSuite = TLS_CIPHER_SUITE_CODES[this.suite];
    const e = earlySecrets(psk, this.suite);
    this.earlySecret = e.earlySecret;
    this.binderKey = e.binderKey;
  }

  private alive(): void {
    if (this.destroyed) throw new Error("TlsCipher used after destroy()");
  }

  private owner(direction: Direction): Side {
    return (direction === "write") === (this.side === "client") ? "client" : "server";
  }

  transcriptHash(messages: readonly Uint8Array[]): Uint8Array {
    return transcriptHash(this.suite, messages);
  }

  binder(transcriptHash: Uint8Array): Uint8Array {
    this.alive();
    return finishedVerifyData(this.binderKey, requireHash("transcriptHash", transcriptHash), this.suite);
  }

  verifyBinder(transcriptHash: Uint8Array, binder: Uint8Array): boolean {
    return ctEqual(this.binder(transcriptHash), binder);
  }

  deriveHandshakeSecrets(transcriptHash: Uint8Array): void {
    this.alive();
    requireHash("transcriptHash", transcriptHash);
    if (this.earlySecret === null) throw new Error("handshake secrets already derived");
    const derived = hkdfExpandLabel(this.earlySecret, "derived", this.transcriptHash([]), TLS_HASH_SIZE, this.suite);
    this.handshakeSecret = hkdfExtract(derived, new Uint8Array(TLS_HASH_SIZE), this.suite);
    derived.fill(0);
    this.earlySecret.fill(0);
    this.earlySecret = null;
    this.hs = {
      client: hkdfExpandLabel(this.handshakeSecret, "c hs traffic", transcriptHash, TLS_HASH_SIZE, this.suite),
      server: hkdfExpandLabel(this.handshakeSecret, "s hs traffic", transcriptHash, TLS_HASH_SIZE, this.suite),
    };
    for (const d of ["read", "write"] as const) this.install(d, this.hs[this.owner(d)]);
  }

  private install(direction: Direction, secret: Uint8Array): void {
    this.keys[direction]?.destroy();
    this.keys[direction] = new RecordKeys(secret, this.suite);
  }

  finished(side: Side, transcriptHash: Uint8Array): Uint8Array {
    this.alive();
    if (this.hs === null) throw new Error("no handshake secrets yet");
    return finishedVerifyData(this.hs[side], requireHash("transcriptHash", transcriptHash), this.suite);
  }

  verifyFinished(side: Side, transcriptHash: Uint8Array, verifyData: Uint8Array): boolean {
    return ctEqual(this.finished(side, transcriptHash), verifyData);
  }

  deriveApplicationSecrets(transcriptHash: Uint8Array): void {
    this.alive();
    requireHash("transcriptHash", transcriptHash);
    if (this.handshakeSecret === null) throw new Error("no handshake secret yet");
    const derived = hkdfExpandLabel(this.handshakeSecret, "derived", this.transcriptHash([]), TLS_HASH_SIZE, this.suite);
    const master = hkdfExtract(derived, new Uint8Array(TLS_HASH_SIZE), this.suite);
    derived.fill(0);
    this.ap = {
      client: hkdfExpandLabel(master, "c ap traffic", transcriptHash, TLS_HASH_SIZE, this.suite),
      server: hkdfExpandLabel(master, "s ap traffic", transcriptHash, TLS_HASH_SIZE, this.suite),
    };
    master.fill(0);
  }

  useApplicationKeys(direction: Direction): void {
    this.alive();
    if (this.ap === null) throw new Error("no application secrets yet");
    this.install(direction, this.ap[this.owner(direction)]);
    this.switched[direction] = true;
    if (this.switched.read && this.switched.write && this.hs !== null) {
      this.hs.client.fill(0);
      this.hs.server.fill(0);
      this.hs = null;
      this.handshakeSecret?.fill(0);
      this.handshakeSecret = null;
    }
  }

  keyUpdate(direction: Direction): void {
    this.alive();
    if (this.ap === null || !this.switched[direction]) throw new Error(`the ${direction} direction is not on application keys`);
    const owner = this.owner(direction);
    const next = nextTrafficSecret(this.ap[owner], this.suite);
    this.ap[owner].fill(0);
    this.ap[owner] = next;
    this.install(direction, next);
  }

  seal(type: number, content: Uint8Array, out: Uint8Array, offset = 0): number {
    this.alive();
    const k = this.keys.write;
    if (k === undefined) throw new Error("no write keys yet");
    if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError(`type must be a byte, got ${type}`);
    if (content.length > MAX_PLAINTEXT) throw new RangeError(`content must be ≤ ${MAX_PLAINTEXT} bytes, got ${content.length}`);
    const length = content.length + 1 + TAG;
    if (!Number.isInteger(offset) || offset < 0 || offset + HEADER + length > out.length) {
      throw new RangeError(`out has no room for a ${HEADER + length}-byte record at offset ${offset}`);
    }
    const header = new Uint8Array([APPLICATION_DATA, 0x03, 0x03, length >>> 8, length & 0xff]);
    const inner = new Uint8Array(content.length + 1);
    inner.set(content);
    inner[content.length] = type;
    const { ciphertext, tag } = k.gcmCipher.encrypt(k.nonce(), inner, header);
    inner.fill(0);
    k.advance();
    out.set(header, offset);
    out.set(ciphertext, offset + HEADER);
    out.set(tag, offset + HEADER + ciphertext.length);
    return HEADER + length;
  }

  open(record: Uint8Array, out: Uint8Array): { type: number; content: Uint8Array } | "bad_record_mac" | "no_content_type" {
    this.alive();
    const k = this.keys.read;
    if (k === undefined) throw new Error("no read keys yet");
    if (record.length > HEADER + MAX_CIPHERTEXT) throw new RangeError(`record must be ≤ ${HEADER + MAX_CIPHERTEXT} bytes`);
    if (out.length < record.length - HEADER) throw new RangeError(`out must hold ${record.length - HEADER} bytes`);
    // On failure: out wiped, the sequence number stays (TlsCipher.open).
    if (record.length < HEADER + TAG + 1) return (out.fill(0), "bad_record_mac");
    const body = record.subarray(HEADER, record.length - TAG);
    const plain = k.gcmCipher.decrypt(k.nonce(), body, record.subarray(record.length - TAG), record.subarray(0, HEADER));
    if (plain === null) return (out.fill(0), "bad_record_mac");
    let end = plain.length;
    while (end > 0 && plain[end - 1] === 0) end--;
    if (end === 0) {
      plain.fill(0);
      out.fill(0);
      return "no_content_type";
    }
    k.advance();
    const type = plain[end - 1]!;
    out.set(plain.subarray(0, end - 1));
    plain.fill(0);
    return { type, content: out.subarray(0, end - 1) };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.earlySecret?.fill(0);
    this.binderKey.fill(0);
    this.handshakeSecret?.fill(0);
    for (const s of [this.hs, this.ap]) if (s !== null) (s.client.fill(0), s.server.fill(0));
    this.keys.read?.destroy();
    this.keys.write?.destroy();
  }
}
