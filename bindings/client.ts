/**
 * @module TidClient — the typed device API over the wasm's TID client (docs/abi.md "TID client",
 * docs/protocol.md). One TidClient = one wasm instance with its own keys and state.
 *
 * Backends (chosen at create):
 * - `soft`: TID and PSK are loaded into the wasm (from a key file, bindings/keyfile.ts, or given
 *   directly); SM2, HMAC-SM3, the KDF and SM4 all run in the wasm.
 * - `se`: the wasm sends the TID applet v1 APDUs (docs/se-profile.md) through a synchronous
 *   APDU link (hal/ Link, or anything with `transceiveSync`); TID, PSK and the pending request stay
 *   in the secure element. The wire bytes are the same either way.
 *
 * Errors: a failed wasm status throws TidError (code, status name, layer, and the SE status word
 * when one is known); a bad argument throws TypeError / RangeError naming the argument.
 *
 * @example
 *   const client = await TidClient.create({ backend: "soft", identity: { tid, psk } });
 *   client.init();
 *   const authcode = client.getAuthcode();
 *   // … authcode → user server → TID auth server → serverData …
 *   const token = client.validate(serverData);          // Uint8Array(16) or null
 *   const msg = client.seal(0, new TextEncoder().encode("hello"));
 *   client.close();
 */
import { TidWasm, type HostImports, type WasmBuild } from "./wasm.js";
import { TidError, requireBytes, requireInt } from "./errors.js";
import { Status } from "./status.js";
import { AEAD_OVERHEAD, MAX_EXTRA, PSK_SIZE, SUITE_NAMES, TID_SIZE, TOKEN_SIZE, type SuiteName } from "../reference/constants.js";
import { readKeyFile, type KeyFileSecret } from "./keyfile.js";
import { linkTransceiver, type ApduLink, type LinkTransceiver } from "./se-backend.js";

export { TID_SIZE, PSK_SIZE, TOKEN_SIZE, MAX_EXTRA, AEAD_OVERHEAD };

const BACKEND = { soft: 1, se: 2 } as const;

/** TID and PSK of a soft identity, and its algorithm suite. */
export interface SoftIdentity {
  tid: Uint8Array;
  psk: Uint8Array;
  /**
   * The suite the device was provisioned in (docs/protocol.md "Algorithm suites"): "sm" (SM2,
   * SM3, SM4; the default) or "intl" (P-256, SHA-256, AES-128).
   */
  suite?: SuiteName;
}

interface CommonOptions {
  /** Which build of the module (default "release"). */
  build?: WasmBuild;
  /** Slot that validate installs a new token into (default 0). */
  activeSlot?: number;
  /**
   * Unix time source in whole seconds (default: the system clock). A clock that throws or returns
   * anything but an integer 0 .. 2^32 − 1 makes getAuthcode fail with TidError ERR_CLOCK_FAILED.
   */
  now?: () => number;
}

export interface SoftOptions extends CommonOptions {
  backend: "soft";
  /** The identity itself … */
  identity?: SoftIdentity;
  /** … or a key file (docs/keyfile.md) with the secret that unseals it; the identity's suite is the file's. */
  keyFile?: string;
  secret?: KeyFileSecret;
  /** Entropy source (default node:crypto). Tests only. */
  random?: (out: Uint8Array) => number;
}

export interface SeOptions extends CommonOptions {
  backend: "se";
  /** A synchronous APDU link to the SE (a hal/ Link, or anything with `transceiveSync`). */
  link: ApduLink;
  /**
   * AUTH FINISH returns the new token to the host (default true), so `validate` can return it and
   * `seal`/`open` can run in the wasm. It then crosses the bus in clear (docs/se-profile.md "Known
   * limits"); with false it stays in the SE: `validate` returns null and only `symCrypto` (which
   * runs in the SE) can use it.
   */
  returnToken?: boolean;
  /**
   * PK.SE, the SE's public link key (64 bytes x ‖ y), pinned when the SE was paired (`tid
   * provision` records it). Every command then goes through the shielded link (docs/se-profile.md
   * "The shielded link"): the wasm opens a secure session, checks the SE's receipt against this
   * key (another key: TidError ERR_SE_NOT_AUTHENTIC, and nothing is sent in clear) and protects
   * every APDU; the session keys never leave the wasm's memory.
   */
  linkKey?: Uint8Array;
  /**
   * Talk to the SE without the shielded link: every APDU, the token returned by AUTH FINISH and
   * the keys of LOAD SESSION KEY cross the bus in clear. Must be said explicitly (true) when no
   * linkKey is given.
   */
  unshielded?: boolean;
  /** Entropy source for the link's ephemeral keys (default node:crypto). Tests only. */
  random?: (out: Uint8Array) => number;
}

/** The SE link as the wasm sees it (tid_se_link_state). */
export type SeLinkState = "unshielded" | "shielded" | "session-open";
const LINK_STATES: readonly SeLinkState[] = ["unshielded", "shielded", "session-open"];
const LINK_KEY_SIZE = 64;

export type TidClientOptions = SoftOptions | SeOptions;

export interface AuthcodeOptions {
  /** Ask the server to issue no new token and keep the current session (flags bit 0). */
  keepSession?: boolean;
}

/** Layout of the I/O region per call: a length cell, then the data. */
const CELL = 0;
const DATA = 16;

export class TidClient {
  /** The wasm instance (its memory holds this client's keys). */
  readonly wasm: TidWasm;
  readonly backend: "soft" | "se";
  private readonly x: TidWasm["exports"];
  private closed = false;
  private initialised = false;
  private view: DataView | undefined;
  /** SE backend: the transceive import (it keeps the last link error, the cause of SE statuses). */
  private transceiver: LinkTransceiver | undefined;

  private constructor(wasm: TidWasm, backend: "soft" | "se") {
    this.wasm = wasm;
    this.backend = backend;
    this.x = wasm.exports;
  }

  /**
   * Create a client on a fresh wasm instance and set up its backend (no I/O yet: call init()).
   * @throws TypeError / RangeError for bad options; TidError if the wasm rejects the set-up;
   *   KeyFileError when the key file cannot be read or unsealed.
   */
  static async create(options: TidClientOptions): Promise<TidClient> {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    let identity: SoftIdentity | undefined;
    if (options.backend === "soft") {
      if (options.identity !== undefined && options.keyFile !== undefined) {
        throw new TypeError("options: give either identity or keyFile, not both");
      }
      if (options.keyFile !== undefined) {
        if (typeof options.keyFile !== "string") throw new TypeError("options.keyFile must be a path string");
        if (options.secret === undefined) throw new TypeError("options.secret is required with options.keyFile");
        identity = await readKeyFile(options.keyFile, options.secret);
      } else if (options.identity !== undefined) {
        identity = options.identity;
      } else {
        throw new TypeError("options: the soft backend needs identity or keyFile");
      }
      requireBytes("identity.tid", identity.tid, { length: TID_SIZE });
      requireBytes("identity.psk", identity.psk, { length: PSK_SIZE });
      if (identity.suite !== undefined && !SUITE_NAMES.includes(identity.suite)) {
        throw new RangeError(`identity.suite must be "sm" or "intl", got ${JSON.stringify(identity.suite)}`);
      }
    } else if (options.backend === "se") {
      const link = options.link as unknown;
      if (typeof link !== "object" || link === null || typeof (link as ApduLink).transceiveSync !== "function") {
        throw new TypeError("options.link must have a transceiveSync(apdu) method");
      }
      if (options.linkKey !== undefined) {
        requireBytes("options.linkKey", options.linkKey, { length: LINK_KEY_SIZE });
        if (options.unshielded !== undefined && options.unshielded !== false) {
          throw new TypeError("options: give either linkKey (shielded) or unshielded: true, not both");
        }
      } else if (options.unshielded !== true) {
        throw new TypeError(
          "options.linkKey (the SE's pinned public link key, 64 bytes) is required; pass unshielded: true to talk to the SE in clear",
        );
      }
    } else {
      throw new TypeError(`options.backend must be "soft" or "se", got ${String((options as { backend?: unknown }).backend)}`);
    }

    // TidWasm guards every import: a throw or a bad value becomes a status, never an exception
    // through the wasm (bindings/host-imports.ts).
    const imports: HostImports = {};
    if (options.now !== undefined) {
      if (typeof options.now !== "function") throw new TypeError("options.now must be a function returning Unix seconds");
      imports.now = options.now;
    }
    if (options.random !== undefined) {
      if (typeof options.random !== "function")
        throw new TypeError("options.random must be a function filling its argument and returning 0");
      imports.random = options.random;
    }
    const transceiver = options.backend === "se" ? linkTransceiver(options.link) : undefined;
    if (transceiver) imports.transceive = transceiver;
    const wasm = TidWasm.create({ build: options.build ?? "release", imports });
    const client = new TidClient(wasm, options.backend);
    client.transceiver = transceiver;
    client.call(client.x.tid_set_backend!(BACKEND[options.backend]), "set backend");
    if (identity) client.loadIdentity(identity);
    if (options.backend === "se" && options.returnToken !== undefined) {
      if (typeof options.returnToken !== "boolean") throw new TypeError("options.returnToken must be a boolean");
      client.call(client.x.tid_se_return_token!(options.returnToken ? 1 : 0), "set returnToken");
    }
    if (options.backend === "se" && options.linkKey !== undefined) {
      const io = client.wasm.ioPtr;
      client.mem().set(options.linkKey, io);
      const st = client.x.tid_se_pin_link_key!(io, LINK_KEY_SIZE);
      client.mem().fill(0, io, io + LINK_KEY_SIZE);
      if (st === Status.ERR_BAD_POINT) throw new RangeError("options.linkKey is not a point of the SM2 curve");
      client.call(st, "pin link key");
    }
    if (options.activeSlot !== undefined) client.activeSlot = options.activeSlot;
    return client;
  }

  // ------------------------------------------------------------------------------------------
  // the five calls

  /**
   * tid_client_init: soft — check the identity is loaded; SE — SELECT the applet, read the TID.
   * @throws TidError (ERR_SLOT_EMPTY: no soft identity; SE/link statuses)
   */
  init(): void {
    this.open_();
    this.call(this.x.tid_client_init!(), "init");
    this.initialised = true;
  }

  /**
   * The identity's algorithm suite: "sm" or "intl" (soft backend: the identity's; SE backend:
   * the applet's identity's, read by init() with the TID — "sm" before init(), and for an applet
   * older than suites; docs/se-profile.md "Algorithm suites").
   */
  get suite(): SuiteName {
    this.open_();
    return this.x.tid_suite!() === 1 ? "intl" : "sm";
  }

  /** The device TID (8 bytes). Needs init(). */
  get tid(): Uint8Array {
    this.open_();
    const io = this.wasm.ioPtr;
    this.call(this.x.tid_get_tid!(io), "get TID");
    return this.mem().slice(io, io + TID_SIZE);
  }

  /**
   * tid_client_get_authcode: a fresh authcode (132 + extra.length bytes) that becomes the one
   * pending request (replacing any earlier one).
   * @param extra opaque data (0..512 bytes) carried and authenticated in the authcode
   * @param options keepSession: ask for no new token
   */
  getAuthcode(extra: Uint8Array = new Uint8Array(0), options: AuthcodeOptions = {}): Uint8Array {
    this.open_();
    requireBytes("extra", extra, { max: MAX_EXTRA });
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const flags = options.keepSession ? 1 : 0;
    const io = this.wasm.ioPtr;
    const mem = this.mem();
    mem.set(extra, io + DATA);
    this.call(this.x.tid_set_authcode_options!(flags, io + DATA, extra.length), "set authcode options");
    this.setCell(io + CELL, this.wasm.ioCap - DATA);
    const st = this.x.tid_client_get_authcode!(io + DATA, io + CELL);
    this.call(st, "get authcode");
    const n = this.getCell(io + CELL);
    const out = this.mem().slice(io + DATA, io + DATA + n);
    this.mem().fill(0, io, io + DATA + n);
    return out;
  }

  /**
   * tid_client_validate_authcode: check the server's answer to the pending request. Any call,
   * good or bad, consumes the pending request. On success the new session token is installed
   * into the active slot and returned; null when the server issued no token (the slot keeps its
   * key) — or, with the SE backend and returnToken false, when the token stays in the SE.
   * @throws TidError: ERR_NO_PENDING_REQUEST, ERR_BAD_LENGTH, ERR_BAD_FORMAT,
   *   ERR_UNSUPPORTED_VERSION, ERR_UNSUPPORTED_ALGORITHM, ERR_TID_MISMATCH, ERR_VERIFY_FAILED,
   *   ERR_BAD_POINT, SE/link statuses
   */
  validate(serverData: Uint8Array): Uint8Array | null {
    this.open_();
    requireBytes("serverData", serverData);
    const io = this.wasm.ioPtr;
    const tokenAt = io + DATA;
    const dataAt = io + DATA + TOKEN_SIZE;
    const room = this.wasm.ioCap - DATA - TOKEN_SIZE;
    this.setCell(io + CELL, TOKEN_SIZE);
    if (serverData.length > room) {
      // Still a validate attempt: let the wasm consume the pending request, then refuse.
      this.x.tid_client_validate_authcode!(dataAt, 0, tokenAt, io + CELL);
      throw new RangeError(`serverData must be at most ${room} bytes, got ${serverData.length}`);
    }
    this.mem().set(serverData, dataAt);
    const st = this.x.tid_client_validate_authcode!(dataAt, serverData.length, tokenAt, io + CELL);
    const n = st === Status.OK ? this.getCell(io + CELL) : 0;
    const token = n === TOKEN_SIZE ? this.mem().slice(tokenAt, tokenAt + TOKEN_SIZE) : null;
    this.mem().fill(0, io, dataAt + serverData.length);
    this.call(st, "validate");
    return token;
  }

  /**
   * tid_client_import_sesskey: load a 16-byte SM4 session key into `slot` (0..7), replacing and
   * zeroing the old key; its AEAD counters restart at 0. SE backend: LOAD SESSION KEY (the key
   * crosses the bus in clear) and the wasm keeps a copy for seal/open.
   */
  importSessionKey(slot: number, key: Uint8Array): void {
    this.open_();
    requireInt("slot", slot, 0, this.slotCount - 1);
    requireBytes("key", key, { length: TOKEN_SIZE });
    const io = this.wasm.ioPtr;
    this.mem().set(key, io + DATA);
    const st = this.x.tid_client_import_sesskey!(io + DATA, TOKEN_SIZE, slot);
    this.mem().fill(0, io + DATA, io + DATA + TOKEN_SIZE);
    this.call(st, "import session key");
  }

  /**
   * tid_client_sym_crypto: raw SM4-ECB, length preserving, over whole 16-byte blocks, with the key
   * in `slot` (SE backend: inside the SE). Kept for compatibility with the original SDK: ECB shows
   * equal blocks as equal and has no integrity — use seal/open for messages.
   */
  symCrypto(slot: number, data: Uint8Array, encrypt: boolean): Uint8Array {
    this.open_();
    requireInt("slot", slot, 0, this.slotCount - 1);
    requireBytes("data", data, { min: 16, multipleOf: 16 });
    if (typeof encrypt !== "boolean") throw new TypeError(`encrypt must be a boolean, got ${typeof encrypt}`);
    const io = this.wasm.ioPtr;
    const chunk = Math.floor(this.wasm.ioCap / 16) * 16;
    const out = new Uint8Array(data.length);
    for (let off = 0; off < data.length; off += chunk) {
      const n = Math.min(chunk, data.length - off);
      this.mem().set(data.subarray(off, off + n), io);
      const st = this.x.tid_client_sym_crypto!(io, io, n, slot, encrypt ? 1 : 0);
      if (st === Status.OK) out.set(this.mem().subarray(io, io + n), off);
      this.mem().fill(0, io, io + n);
      this.call(st, "sym crypto");
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // AEAD messages

  /** Largest plaintext seal accepts with `aadLength` bytes of AAD (bounded by the I/O region). */
  maxSealLength(aadLength = 0): number {
    return this.wasm.ioCap - DATA - pad16(aadLength) - AEAD_OVERHEAD;
  }

  /**
   * Seal `plaintext` for the server with the key in `slot`: SM4-GCM, nonce = uplink prefix ‖
   * counter; returns counter (8) ‖ ciphertext ‖ tag (16). The slot's send counter advances.
   */
  seal(slot: number, plaintext: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
    this.open_();
    requireInt("slot", slot, 0, this.slotCount - 1);
    requireBytes("aad", aad, { max: this.wasm.ioCap - DATA - AEAD_OVERHEAD });
    requireBytes("plaintext", plaintext, { max: this.maxSealLength(aad.length) });
    const io = this.wasm.ioPtr;
    const aadAt = io + DATA;
    const outAt = aadAt + pad16(aad.length);
    const mem = this.mem();
    mem.set(aad, aadAt);
    mem.set(plaintext, outAt + 8); // sealed in place: ciphertext replaces plaintext
    const total = plaintext.length + AEAD_OVERHEAD;
    this.setCell(io + CELL, total);
    const st = this.x.tid_seal!(slot, outAt + 8, plaintext.length, aadAt, aad.length, outAt, io + CELL);
    const out = st === Status.OK ? this.mem().slice(outAt, outAt + total) : null;
    this.mem().fill(0, io, outAt + total);
    this.call(st, "seal");
    return out!;
  }

  /**
   * Open a message from the server with the key in `slot`. Its counter must be above every
   * counter opened on this slot before (ERR_REPLAY otherwise); a bad tag is ERR_VERIFY_FAILED
   * and releases nothing.
   */
  open(slot: number, message: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
    this.open_();
    requireInt("slot", slot, 0, this.slotCount - 1);
    requireBytes("aad", aad, { max: this.wasm.ioCap - DATA - AEAD_OVERHEAD });
    requireBytes("message", message, { min: AEAD_OVERHEAD, max: this.wasm.ioCap - DATA - pad16(aad.length) });
    const io = this.wasm.ioPtr;
    const aadAt = io + DATA;
    const msgAt = aadAt + pad16(aad.length);
    const mem = this.mem();
    mem.set(aad, aadAt);
    mem.set(message, msgAt);
    const n = message.length - AEAD_OVERHEAD;
    this.setCell(io + CELL, n);
    const st = this.x.tid_open!(slot, msgAt, message.length, aadAt, aad.length, msgAt + 8, io + CELL);
    const out = st === Status.OK ? this.mem().slice(msgAt + 8, msgAt + 8 + n) : null;
    this.mem().fill(0, io, msgAt + message.length);
    this.call(st, "open");
    return out!;
  }

  // ------------------------------------------------------------------------------------------
  // slots, status, close

  /** Number of session slots (8). */
  get slotCount(): number {
    return this.x.tid_slot_count!();
  }

  /** The slot validate installs new tokens into. */
  set activeSlot(slot: number) {
    this.open_();
    requireInt("activeSlot", slot, 0, this.slotCount - 1);
    this.call(this.x.tid_set_active_slot!(slot), "set active slot");
  }

  /** Erase (zero) a session slot; SE backend: ERASE SLOT in the SE too. */
  eraseSlot(slot: number): void {
    this.open_();
    requireInt("slot", slot, 0, this.slotCount - 1);
    this.call(this.x.tid_erase_slot!(slot), "erase slot");
  }

  /**
   * SE backend: whether the link is shielded and a secure session is open ("unshielded" for the
   * soft backend and for an SE client created with unshielded: true).
   */
  get linkState(): SeLinkState {
    return LINK_STATES[this.x.tid_se_link_state!()] ?? "unshielded";
  }

  /** True when every APDU to the SE goes through the shielded link. */
  get shielded(): boolean {
    return this.linkState !== "unshielded";
  }

  /** The last ISO 7816 status word from the SE (0 when the last call sent no APDU). */
  get lastSw(): number {
    return this.x.tid_last_sw!() & 0xffff;
  }

  get isInitialised(): boolean {
    return this.initialised && !this.closed;
  }

  /**
   * Zero every key and all state in the wasm (SE backend: ERASE SLOT FF in the SE, best effort).
   * The client cannot be used afterwards. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const st = this.x.tid_close!();
    this.mem().fill(0, this.wasm.ioPtr, this.wasm.ioPtr + this.wasm.ioCap);
    this.call(st, "close");
  }

  /**
   * TEST HOOKS — for known-answer tests, fuzzing and the benchmark only (soft backend), on a client
   * created with `build: "test"` (release and debug builds have no hooks). `inject` fixes the next
   * authcode's Nd, time and ephemeral private key; `setPending` re-arms a pending request.
   * @throws TypeError when this client's build has no test hooks
   */
  get testHooks(): {
    inject(nd: Uint8Array, time: number, ephemeralPrivate: Uint8Array): void;
    setPending(qd: Uint8Array, nd: Uint8Array, tagD: Uint8Array): void;
  } {
    if (!this.wasm.hasTestHooks) {
      throw new TypeError(
        `testHooks need the test build: create the client with options.build "test" (this client runs the ${this.wasm.build} build, which has no test hooks)`,
      );
    }
    return {
      inject: (nd, time, ephemeralPrivate) => {
        requireBytes("nd", nd, { length: 16 });
        requireInt("time", time, 0, 0xffffffff);
        requireBytes("ephemeralPrivate", ephemeralPrivate, { length: 32 });
        const io = this.wasm.ioPtr;
        this.mem().set(nd, io);
        this.mem().set(ephemeralPrivate, io + 16);
        const st = this.x.tid_test_inject!(io, time, io + 16);
        this.mem().fill(0, io, io + 48);
        this.call(st, "test inject");
      },
      setPending: (qd, nd, tagD) => {
        requireBytes("qd", qd, { length: 32 });
        requireBytes("nd", nd, { length: 16 });
        requireBytes("tagD", tagD, { length: 32 });
        const io = this.wasm.ioPtr;
        this.mem().set(qd, io);
        this.mem().set(nd, io + 32);
        this.mem().set(tagD, io + 48);
        const st = this.x.tid_test_set_pending!(io);
        this.mem().fill(0, io, io + 80);
        this.call(st, "test set pending");
      },
    };
  }

  // ------------------------------------------------------------------------------------------

  private loadIdentity(identity: SoftIdentity): void {
    const io = this.wasm.ioPtr;
    const mem = this.mem();
    mem.set(identity.tid, io);
    mem.set(identity.psk, io + TID_SIZE);
    mem[io + TID_SIZE + PSK_SIZE] = identity.suite === "intl" ? 1 : 0;
    const st = this.x.tid_soft_load_identity!(io, TID_SIZE + PSK_SIZE + 1);
    mem.fill(0, io, io + TID_SIZE + PSK_SIZE + 1);
    this.call(st, "load identity");
  }

  private open_(): void {
    if (this.closed) throw new TidError(Status.ERR_NOT_INITIALISED, "this TidClient is closed");
  }

  private mem(): Uint8Array {
    return this.wasm.bytes();
  }

  private dv(): DataView {
    const buf = this.mem().buffer;
    if (this.view?.buffer !== buf) this.view = new DataView(buf);
    return this.view;
  }

  private setCell(ptr: number, v: number): void {
    this.dv().setUint32(ptr, v, true);
  }

  private getCell(ptr: number): number {
    return this.dv().getUint32(ptr, true);
  }

  /** Throw TidError for a failed status, with the SE status word when there is one. */
  private call(status: number, what: string): void {
    if (status === Status.OK) return;
    const sw = this.backend === "se" ? this.x.tid_last_sw!() & 0xffff : 0;
    const hasSw = sw !== 0 && sw !== 0x9000;
    const linkError = status <= -500 && status > -600 ? this.transceiver?.lastError : undefined;
    const detail = hasSw
      ? `${what} (SW ${sw.toString(16).padStart(4, "0")})`
      : linkError instanceof Error
        ? `${what}: ${linkError.message}`
        : what;
    throw new TidError(status, detail, { ...(hasSw ? { sw } : {}), ...(linkError !== undefined ? { cause: linkError } : {}) });
  }
}

function pad16(n: number): number {
  return (n + 15) & ~15;
}
