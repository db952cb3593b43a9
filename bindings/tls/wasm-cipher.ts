/**
 * @module bindings/tls/wasm-cipher — the `TlsCipher` of TID-TLS (bindings/tls/cipher.ts) on the
 * wasm module's TLS contexts (docs/abi.md "TID-TLS"): the key schedule of RFC 8446 §7.1 in
 * psk_ke mode, Finished, KeyUpdate and record protection (RFC 8446 §5) all run inside the module,
 * in the context's suite — TLS_SM4_GCM_SM3 (HKDF-SM3, SM4-GCM, RFC 8998) or
 * TLS_AES_128_GCM_SHA256 (HKDF-SHA-256, AES-128-GCM); traffic secrets, keys and IVs never leave
 * its memory.
 *
 * - `WasmTlsCipher.fromClient(client)`: the device side, keyed from a session slot of the
 *   `TidClient`'s own module instance (the token never crosses into JavaScript), in the suite of
 *   that slot's token.
 * - `WasmTlsCipher.fromPsk(side, psk, { suite })`: either side, keyed from a PSK the host holds (a
 *   user server), suite "sm" by default. Contexts come from a process-wide set of module
 *   instances that grows by one instance whenever every context of the existing ones is in use.
 *
 * Each cipher holds one of its instance's contexts until `destroy()` (or garbage collection) gives
 * it back, zeroed. A record is copied into the instance's I/O region, sealed or opened there in
 * place, and copied out into the caller's buffer: nothing is allocated per record beyond the
 * object `open` returns.
 */
import { TidError, requireBytes, requireInt } from "../errors.js";
import { Status } from "../status.js";
import { TidWasm } from "../wasm.js";
import { HandlePool } from "../handle-pool.js";
import { sm3Api } from "../sm3.js";
import { sha256Api } from "../sha256.js";
import type { TidClient } from "../client.js";
import {
  TLS_CIPHER_SUITES,
  TLS_HASH_SIZE,
  requireSuite,
  type SuiteName,
  TLS_MAX_PLAINTEXT,
  TLS_MAX_RECORD,
  TLS_RECORD_HEADER_SIZE,
  TLS_AEAD_TAG_SIZE,
  type TlsCipher,
  type TlsDirection,
  type TlsOpened,
  type TlsOpenFailure,
  type TlsSide,
} from "./cipher.js";

const SIDES: Record<TlsSide, number> = { client: 0, server: 1 };
const DIRECTIONS: Record<TlsDirection, number> = { read: 0, write: 1 };
/** The wasm's suite numbers (docs/abi.md "TID-TLS"). */
const SUITES: Record<SuiteName, number> = { sm: 0, intl: 1 };
const SUITE_OF_NUMBER: readonly SuiteName[] = ["sm", "intl"];
const PSK_SIZE = 16;

// I/O region layout: the record at 0 (header at 0, content sealed/opened in place at 5), the
// open call's length/type cells after the largest record, hashes and MACs after those.
const REC = 0;
const INFO = (TLS_MAX_RECORD + 15) & ~15;
const HASH = INFO + 16;
const MAC = HASH + TLS_HASH_SIZE;

/** The contexts of one module instance, lent out lowest first. */
const pools = new WeakMap<TidWasm, HandlePool>();

function contextPool(wasm: TidWasm): HandlePool {
  let pool = pools.get(wasm);
  if (!pool) {
    const n = wasm.exports.tid_tls_contexts!();
    pool = new HandlePool({
      handles: Array.from({ length: n }, (_, i) => i),
      clear: (h) => wasm.exports.tid_tls_close!(h),
      exhausted: `every one of the ${n} TLS contexts of this module instance is in use`,
    });
    pools.set(wasm, pool);
  }
  return pool;
}

/** The instances fromPsk draws contexts from. */
const pskInstances: TidWasm[] = [];

function requireSide(name: string, side: unknown): TlsSide {
  if (side !== "client" && side !== "server") throw new TypeError(`${name} must be "client" or "server", got ${String(side)}`);
  return side;
}

function requireDirection(direction: unknown): TlsDirection {
  if (direction !== "read" && direction !== "write") throw new TypeError(`direction must be "read" or "write", got ${String(direction)}`);
  return direction;
}

function requireHash(name: string, value: unknown): Uint8Array {
  return requireBytes(name, value, { length: TLS_HASH_SIZE });
}

function isTidClient(value: unknown): value is TidClient {
  return typeof value === "object" && value !== null && (value as { wasm?: unknown }).wasm instanceof TidWasm && "slotCount" in value;
}

export class WasmTlsCipher implements TlsCipher {
  /** 0x00C6 (suite "sm") or 0x1301 (suite "intl"). */
  readonly cipherSuite: number;
  /** The TID algorithm suite of the key: "sm" or "intl". */
  readonly suite: SuiteName;
  readonly side: TlsSide;
  /** @internal The module instance that holds this cipher's context (tests read its secrets there). */
  readonly wasm: TidWasm;
  /** @internal The context index in that instance. */
  readonly context: number;
  private readonly pool: HandlePool;
  private readonly x: TidWasm["exports"];
  private destroyed = false;

  private constructor(wasm: TidWasm, pool: HandlePool, context: number, side: TlsSide) {
    this.wasm = wasm;
    this.pool = pool;
    this.context = context;
    this.side = side;
    this.x = wasm.exports;
    const s = this.x.tid_tls_suite!(context);
    const suite = SUITE_OF_NUMBER[s];
    if (suite === undefined) {
      pool.release(context);
      throw new TidError(s < 0 ? s : Status.ERR_BAD_PARAM, `TLS context ${context} has no known suite (${s})`);
    }
    this.suite = suite;
    this.cipherSuite = TLS_CIPHER_SUITES[suite].code;
    pool.track(this, context);
  }

  /**
   * Device side ("client"): keyed from the TidClient's session slot (default its active slot), in
   * the suite of that slot's token. Throws TidError with the status when the slot is empty or the
   * token is kept in the SE.
   * @throws TypeError / RangeError for a bad client or keyIndex; TidError ERR_SLOT_EMPTY,
   *   ERR_TOKEN_IN_SE, or ERR_BAD_KEY_INDEX when every TLS context of the client's module is in use
   */
  static fromClient(client: TidClient, options: { keyIndex?: number } = {}): WasmTlsCipher {
    if (!isTidClient(client)) throw new TypeError("client must be a TidClient");
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const keyIndex = options.keyIndex === undefined ? -1 : requireInt("options.keyIndex", options.keyIndex, 0, client.slotCount - 1);
    const wasm = client.wasm;
    const pool = contextPool(wasm);
    const ctx = pool.acquire();
    const st = wasm.exports.tid_tls_open_slot!(ctx, SIDES.client, keyIndex);
    if (st !== Status.OK) {
      pool.release(ctx);
      const slot = keyIndex === -1 ? "the active slot" : `slot ${keyIndex}`;
      throw new TidError(
        st,
        st === Status.ERR_TOKEN_IN_SE
          ? `${slot}: the SE backend keeps the session token inside the SE (returnToken: false), so the wasm cannot key TLS with it`
          : `TLS keyed from ${slot}`,
      );
    }
    return new WasmTlsCipher(wasm, pool, ctx, "client");
  }

  /**
   * Either side, keyed from a PSK the host holds (a user server), in `options.suite` ("sm", the
   * default: TLS_SM4_GCM_SM3; "intl": TLS_AES_128_GCM_SHA256). Uses a process-wide pool of wasm
   * instances that grows when every context of the existing ones is in use.
   * @throws TypeError / RangeError for a bad side, PSK (16 bytes) or suite
   */
  static fromPsk(side: TlsSide, psk: Uint8Array, options: { suite?: SuiteName } = {}): WasmTlsCipher {
    requireSide("side", side);
    requireBytes("psk", psk, { length: PSK_SIZE });
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const suite = options.suite === undefined ? "sm" : requireSuite("options.suite", options.suite);
    let wasm = pskInstances.find((w) => contextPool(w).available > 0);
    if (wasm === undefined) {
      wasm = TidWasm.create();
      pskInstances.push(wasm);
    }
    const pool = contextPool(wasm);
    const ctx = pool.acquire();
    const mem = wasm.bytes();
    const io = wasm.ioPtr;
    mem.set(psk, io);
    const st = wasm.exports.tid_tls_open_psk_suite!(ctx, SIDES[side], io, PSK_SIZE, SUITES[suite]);
    mem.fill(0, io, io + PSK_SIZE);
    if (st !== Status.OK) {
      pool.release(ctx);
      throw new TidError(st, "TLS keyed from a PSK");
    }
    return new WasmTlsCipher(wasm, pool, ctx, side);
  }

  transcriptHash(messages: readonly Uint8Array[]): Uint8Array {
    if (!Array.isArray(messages)) throw new TypeError("messages must be an array of Uint8Array");
    messages.forEach((m, i) => requireBytes(`messages[${i}]`, m));
    const h = this.suite === "intl" ? sha256Api(this.wasm).createSha256() : sm3Api(this.wasm).createSm3();
    for (const m of messages) h.update(m);
    return h.digest();
  }

  binder(transcriptHash: Uint8Array): Uint8Array {
    return this.hashCall("binder", transcriptHash, (c, hash, out) => this.x.tid_tls_binder!(c, hash, out));
  }

  verifyBinder(transcriptHash: Uint8Array, binder: Uint8Array): boolean {
    requireBytes("binder", binder);
    return this.verifyCall("verify binder", transcriptHash, binder, (c, hash, mac) => this.x.tid_tls_verify_binder!(c, hash, mac));
  }

  deriveHandshakeSecrets(transcriptHash: Uint8Array): void {
    this.hashCall("derive handshake secrets", transcriptHash, (c, hash) => this.x.tid_tls_derive_handshake!(c, hash));
  }

  finished(side: TlsSide, transcriptHash: Uint8Array): Uint8Array {
    const s = SIDES[requireSide("side", side)];
    return this.hashCall("finished", transcriptHash, (c, hash, out) => this.x.tid_tls_finished!(c, s, hash, out));
  }

  verifyFinished(side: TlsSide, transcriptHash: Uint8Array, verifyData: Uint8Array): boolean {
    const s = SIDES[requireSide("side", side)];
    requireBytes("verifyData", verifyData);
    return this.verifyCall("verify finished", transcriptHash, verifyData, (c, hash, mac) =>
      this.x.tid_tls_verify_finished!(c, s, hash, mac),
    );
  }

  deriveApplicationSecrets(transcriptHash: Uint8Array): void {
    this.hashCall("derive application secrets", transcriptHash, (c, hash) => this.x.tid_tls_derive_application!(c, hash));
  }

  useApplicationKeys(direction: TlsDirection): void {
    const d = DIRECTIONS[requireDirection(direction)];
    this.check(this.x.tid_tls_use_application!(this.live(), d), `use application keys (${direction})`);
  }

  keyUpdate(direction: TlsDirection): void {
    const d = DIRECTIONS[requireDirection(direction)];
    this.check(this.x.tid_tls_key_update!(this.live(), d), `key update (${direction})`);
  }

  seal(type: number, content: Uint8Array, out: Uint8Array, offset = 0): number {
    const ctx = this.live();
    requireInt("type", type, 1, 255);
    requireBytes("content", content, { max: TLS_MAX_PLAINTEXT });
    requireBytes("out", out);
    const n = TLS_RECORD_HEADER_SIZE + content.length + 1 + TLS_AEAD_TAG_SIZE;
    if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || offset + n > out.length) {
      throw new RangeError(`out has no room for a ${n}-byte record at offset ${String(offset)} (out is ${out.length} bytes)`);
    }
    const mem = this.wasm.bytes();
    const rec = this.wasm.ioPtr + REC;
    const body = rec + TLS_RECORD_HEADER_SIZE;
    mem.set(content, body);
    const st = this.x.tid_tls_seal!(ctx, type, body, content.length, rec);
    if (st !== Status.OK) {
      mem.fill(0, body, body + content.length);
      this.check(st, st === Status.ERR_REPLAY ? "seal: record sequence number exhausted, a KeyUpdate is needed" : "seal");
    }
    // Sealed in place: the region now holds only the record, which is public.
    out.set(mem.subarray(rec, rec + n), offset);
    return n;
  }

  open(record: Uint8Array, out: Uint8Array): TlsOpened | TlsOpenFailure {
    const ctx = this.live();
    requireBytes("record", record, { max: TLS_MAX_RECORD });
    requireBytes("out", out, { min: Math.max(0, record.length - TLS_RECORD_HEADER_SIZE) });
    const mem = this.wasm.bytes();
    const io = this.wasm.ioPtr;
    const rec = io + REC;
    const body = rec + TLS_RECORD_HEADER_SIZE;
    mem.set(record, rec);
    const st = this.x.tid_tls_open!(ctx, rec, record.length, body, io + INFO);
    if (st === Status.OK) {
      const dv = new DataView(mem.buffer, io + INFO, 8);
      const length = dv.getUint32(0, true);
      const type = dv.getUint32(4, true);
      out.set(mem.subarray(body, body + length));
      mem.fill(0, body, body + length);
      return { type, content: out.subarray(0, length) };
    }
    out.fill(0);
    if (st === Status.ERR_VERIFY_FAILED) return "bad_record_mac";
    if (st === Status.ERR_BAD_FORMAT) return "no_content_type";
    this.check(st, st === Status.ERR_REPLAY ? "open: record sequence number exhausted" : "open");
    throw new TidError(st, "open");
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.untrack(this);
    this.pool.release(this.context);
  }

  // ------------------------------------------------------------------------------------------

  private live(): number {
    if (this.destroyed) throw new Error("TlsCipher used after destroy()");
    return this.context;
  }

  private check(status: number, what: string): void {
    if (status !== Status.OK) throw new TidError(status, what);
  }

  /** A call on a 32-byte transcript hash with an optional 32-byte output. */
  private hashCall(what: string, transcriptHash: Uint8Array, call: (ctx: number, hash: number, out: number) => number): Uint8Array {
    const ctx = this.live();
    requireHash("transcriptHash", transcriptHash);
    const mem = this.wasm.bytes();
    const io = this.wasm.ioPtr;
    mem.set(transcriptHash, io + HASH);
    const st = call(ctx, io + HASH, io + MAC);
    const out = mem.slice(io + MAC, io + MAC + TLS_HASH_SIZE);
    mem.fill(0, io + HASH, io + MAC + TLS_HASH_SIZE);
    this.check(st, what);
    return out;
  }

  /** A constant-time comparison in the module: false for a wrong length or a wrong value. */
  private verifyCall(
    what: string,
    transcriptHash: Uint8Array,
    received: Uint8Array,
    call: (ctx: number, hash: number, mac: number) => number,
  ): boolean {
    const ctx = this.live();
    requireHash("transcriptHash", transcriptHash);
    if (received.length !== TLS_HASH_SIZE) return false;
    const mem = this.wasm.bytes();
    const io = this.wasm.ioPtr;
    mem.set(transcriptHash, io + HASH);
    mem.set(received, io + MAC);
    const st = call(ctx, io + HASH, io + MAC);
    mem.fill(0, io + HASH, io + MAC + TLS_HASH_SIZE);
    if (st === Status.ERR_VERIFY_FAILED) return false;
    this.check(st, what);
    return true;
  }
}
