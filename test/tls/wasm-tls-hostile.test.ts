// Hostile input for the TID-TLS exports (docs/abi.md "TID-TLS") and WasmTlsCipher, on every build:
// raw calls with out-of-bounds pointers, wrapping and huge lengths, bad context indexes, sides,
// directions and content types, overlapping buffers, and every call out of order; wrong argument
// types and lengths at the TypeScript boundary; use after destroy; a full context pool. Every case
// ends in a distinct status or a TypeError/RangeError naming the argument, never a trap, never
// partial output, and the instance keeps working.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TidWasm } from "../../bindings/wasm.js";
import { Status } from "../../bindings/status.js";
import { WasmTlsCipher } from "../../bindings/tls/wasm-cipher.js";
import { ReferenceTlsCipher } from "../../reference/tls-cipher.js";
import { tlsHash } from "../../reference/tls-key-schedule.js";
import { statusOf } from "../support/assertions.js";
import { randomIdentity, softClient } from "../support/tid.js";
import { handshake } from "../support/tls-cipher.js";

const S = Status;

describe.each(["debug", "release", "portable"] as const)("TID-TLS raw exports, hostile input (%s build)", (build) => {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const io = wasm.ioPtr;
  const memBytes = wasm.memory.buffer.byteLength;
  const END = memBytes; // first byte outside linear memory
  const N = x.tid_tls_contexts!();
  const psk = io + 100,
    hash = io + 200,
    out = io + 300;
  wasm.bytes().set(randomBytes(16), psk);
  wasm.bytes().set(tlsHash(randomBytes(9)), hash);

  /** This instance still derives the reference's binder and seals a record the reference opens. */
  function stillWorks(): void {
    const key = new Uint8Array(randomBytes(16));
    const h = tlsHash(randomBytes(5));
    const peer = new ReferenceTlsCipher("server", key);
    const m = () => wasm.bytes();
    m().set(key, io);
    m().set(h, io + 16);
    expect(x.tid_tls_open_psk!(9, 0, io, 16)).toBe(S.OK);
    expect(x.tid_tls_binder!(9, io + 16, io + 48)).toBe(S.OK);
    expect(peer.verifyBinder(h, m().slice(io + 48, io + 80))).toBe(true);
    expect(x.tid_tls_derive_handshake!(9, io + 16)).toBe(S.OK);
    peer.deriveHandshakeSecrets(h);
    m().set([1, 2, 3], io + 1005);
    expect(x.tid_tls_seal!(9, 22, io + 1005, 3, io + 1000)).toBe(S.OK);
    expect(peer.open(m().slice(io + 1000, io + 1025), new Uint8Array(20))).toEqual({ type: 22, content: new Uint8Array([1, 2, 3]) });
    expect(x.tid_tls_close!(9)).toBe(S.OK);
    peer.destroy();
    expect(wasm.memory.buffer.byteLength).toBe(memBytes);
  }

  it("16 contexts; bad indexes, sides, PSK lengths and pointers when opening", () => {
    expect(N).toBe(16);
    expect(x.tid_tls_open_psk!(N, 0, psk, 16)).toBe(S.ERR_BAD_KEY_INDEX);
    expect(x.tid_tls_open_psk!(-1, 0, psk, 16)).toBe(S.ERR_BAD_KEY_INDEX);
    expect(x.tid_tls_open_psk!(0, 2, psk, 16)).toBe(S.ERR_BAD_PARAM);
    expect(x.tid_tls_open_psk!(0, -1, psk, 16)).toBe(S.ERR_BAD_PARAM);
    for (const len of [0, 15, 17, 32, -1]) expect(x.tid_tls_open_psk!(0, 0, psk, len)).toBe(S.ERR_BAD_LENGTH);
    for (const p of [END - 15, END, -1, -16]) expect(x.tid_tls_open_psk!(0, 0, p, 16)).toBe(S.ERR_OUT_OF_BOUNDS);
    expect(x.tid_tls_open_slot!(N, 0, 0)).toBe(S.ERR_BAD_KEY_INDEX);
    expect(x.tid_tls_open_slot!(0, 7, 0)).toBe(S.ERR_BAD_PARAM);
    for (const k of [8, -2, 0x7fffffff]) expect(x.tid_tls_open_slot!(0, 0, k)).toBe(S.ERR_BAD_KEY_INDEX);
    expect(x.tid_tls_open_slot!(0, 0, -1)).toBe(S.ERR_SLOT_EMPTY); // no backend, no token
    expect(x.tid_tls_open_psk!(0, 0, psk, 16)).toBe(S.OK);
    expect(x.tid_tls_open_psk!(0, 1, psk, 16)).toBe(S.ERR_WRONG_STATE); // open already
    expect(x.tid_tls_close!(0)).toBe(S.OK);
    expect(x.tid_tls_close!(0)).toBe(S.OK); // idempotent
    expect(x.tid_tls_close!(N)).toBe(S.ERR_BAD_KEY_INDEX);
    stillWorks();
  });

  it("every call on a free context → ERR_NOT_INITIALISED, on a bad index → ERR_BAD_KEY_INDEX", () => {
    const calls = (c: number) => [
      x.tid_tls_binder!(c, hash, out),
      x.tid_tls_verify_binder!(c, hash, out),
      x.tid_tls_derive_handshake!(c, hash),
      x.tid_tls_finished!(c, 0, hash, out),
      x.tid_tls_verify_finished!(c, 0, hash, out),
      x.tid_tls_derive_application!(c, hash),
      x.tid_tls_use_application!(c, 0),
      x.tid_tls_key_update!(c, 1),
      x.tid_tls_seal!(c, 23, io, 1, out),
      x.tid_tls_open!(c, io, 30, out, io + 1000),
    ];
    expect(new Set(calls(3))).toEqual(new Set([S.ERR_NOT_INITIALISED]));
    expect(new Set(calls(N))).toEqual(new Set([S.ERR_BAD_KEY_INDEX]));
    expect(new Set(calls(0xffffffff))).toEqual(new Set([S.ERR_BAD_KEY_INDEX]));
  });

  it("calls out of order → ERR_WRONG_STATE and change nothing", () => {
    const c = 5;
    expect(x.tid_tls_open_psk!(c, 0, psk, 16)).toBe(S.OK);
    // early phase: no handshake secrets, no keys
    expect(x.tid_tls_finished!(c, 0, hash, out)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_verify_finished!(c, 1, hash, out)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_derive_application!(c, hash)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_use_application!(c, 1)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_key_update!(c, 1)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_seal!(c, 23, io, 1, out)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_open!(c, io, 30, out, io + 1000)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_derive_handshake!(c, hash)).toBe(S.OK);
    expect(x.tid_tls_derive_handshake!(c, hash)).toBe(S.ERR_WRONG_STATE); // once
    expect(x.tid_tls_use_application!(c, 0)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_key_update!(c, 0)).toBe(S.ERR_WRONG_STATE); // handshake keys: no KeyUpdate
    expect(x.tid_tls_derive_application!(c, hash)).toBe(S.OK);
    expect(x.tid_tls_derive_application!(c, hash)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_key_update!(c, 1)).toBe(S.ERR_WRONG_STATE); // not switched yet
    expect(x.tid_tls_use_application!(c, 1)).toBe(S.OK);
    expect(x.tid_tls_use_application!(c, 1)).toBe(S.ERR_WRONG_STATE); // no second switch: no nonce reuse
    expect(x.tid_tls_use_application!(c, 0)).toBe(S.OK);
    // both switched: the binder key and handshake secrets are gone
    expect(x.tid_tls_binder!(c, hash, out)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_finished!(c, 1, hash, out)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_key_update!(c, 0)).toBe(S.OK);
    expect(x.tid_tls_close!(c)).toBe(S.OK);
    stillWorks();
  });

  it("bad sides, directions, types, lengths, pointers and overlaps on an open context", () => {
    const c = 6;
    expect(x.tid_tls_open_psk!(c, 1, psk, 16)).toBe(S.OK);
    for (const p of [END - 31, END, -1]) {
      expect(x.tid_tls_binder!(c, p, out)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_tls_binder!(c, hash, p)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_tls_verify_binder!(c, hash, p)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_tls_derive_handshake!(c, p)).toBe(S.ERR_OUT_OF_BOUNDS);
    }
    expect(x.tid_tls_verify_binder!(c, hash, out)).toBe(S.ERR_VERIFY_FAILED);
    expect(x.tid_tls_derive_handshake!(c, hash)).toBe(S.OK);
    for (const side of [2, -1]) {
      expect(x.tid_tls_finished!(c, side, hash, out)).toBe(S.ERR_BAD_PARAM);
      expect(x.tid_tls_verify_finished!(c, side, hash, out)).toBe(S.ERR_BAD_PARAM);
    }
    expect(x.tid_tls_finished!(c, 0, hash, END - 1)).toBe(S.ERR_OUT_OF_BOUNDS);
    expect(x.tid_tls_verify_finished!(c, 0, hash, out)).toBe(S.ERR_VERIFY_FAILED);
    expect(x.tid_tls_derive_application!(c, END)).toBe(S.ERR_OUT_OF_BOUNDS);
    for (const d of [2, -1]) {
      expect(x.tid_tls_use_application!(c, d)).toBe(S.ERR_BAD_PARAM);
      expect(x.tid_tls_key_update!(c, d)).toBe(S.ERR_BAD_PARAM);
    }
    // seal
    const rec = io + 20000;
    for (const t of [0, 256, -1]) expect(x.tid_tls_seal!(c, t, io, 1, rec)).toBe(S.ERR_BAD_PARAM);
    for (const n of [16385, 0xffffffff]) expect(x.tid_tls_seal!(c, 23, io, n, rec)).toBe(S.ERR_BAD_LENGTH);
    expect(x.tid_tls_seal!(c, 23, END - 5, 10, rec)).toBe(S.ERR_OUT_OF_BOUNDS);
    expect(x.tid_tls_seal!(c, 23, io, 10, END - 31)).toBe(S.ERR_OUT_OF_BOUNDS);
    expect(x.tid_tls_seal!(c, 23, rec + 4, 10, rec)).toBe(S.ERR_BAD_PARAM); // partial overlap
    expect(x.tid_tls_seal!(c, 23, rec + 10, 10, rec)).toBe(S.ERR_BAD_PARAM);
    // open
    const info = io + 40000;
    for (const n of [5 + 16640 + 1, 0xffffffff]) expect(x.tid_tls_open!(c, rec, n, io, info)).toBe(S.ERR_BAD_LENGTH);
    expect(x.tid_tls_open!(c, END - 10, 30, io, info)).toBe(S.ERR_OUT_OF_BOUNDS);
    expect(x.tid_tls_open!(c, rec, 30, END - 8, info)).toBe(S.ERR_OUT_OF_BOUNDS);
    expect(x.tid_tls_open!(c, rec, 30, io, END - 7)).toBe(S.ERR_OUT_OF_BOUNDS);
    expect(x.tid_tls_open!(c, rec, 30, rec + 1, info)).toBe(S.ERR_BAD_PARAM);
    expect(x.tid_tls_open!(c, rec, 30, io, rec + 20)).toBe(S.ERR_BAD_PARAM);
    expect(x.tid_tls_open!(c, rec, 30, io, io + 5)).toBe(S.ERR_BAD_PARAM);
    for (const n of [0, 4, 21]) expect(x.tid_tls_open!(c, rec, n, io, info)).toBe(S.ERR_VERIFY_FAILED);
    wasm.bytes().fill(0xaa, io, io + 64);
    expect(x.tid_tls_open!(c, rec, 80, io, info)).toBe(S.ERR_VERIFY_FAILED); // garbage: bad tag
    expect(
      wasm
        .bytes()
        .subarray(io, io + 64)
        .every((b) => b === 0xaa),
    ).toBe(true); // nothing written
    expect(x.tid_tls_close!(c)).toBe(S.OK);
    stillWorks();
  });

  it("suite arguments: HKDF and open_psk_suite take 0 or 1, anything else → ERR_BAD_PARAM with nothing written or opened", () => {
    const p = io + 8192;
    const untouched = () =>
      wasm
        .bytes()
        .subarray(p, p + 512)
        .every((b) => b === 0xaa);
    const l = io + 64; // "key"
    wasm.bytes().set([0x6b, 0x65, 0x79], l);
    for (const suite of [2, 3, 255, 0x100, -1, 0x7fffffff]) {
      wasm.bytes().fill(0xaa, p, p + 512);
      expect(x.tid_hkdf_extract_suite!(psk, 16, hash, 32, p, suite)).toBe(S.ERR_BAD_PARAM);
      expect(x.tid_hkdf_expand_suite!(hash, 32, psk, 16, p, 64, suite)).toBe(S.ERR_BAD_PARAM);
      expect(x.tid_hkdf_expand_label_suite!(hash, 32, l, 3, psk, 0, p, 16, suite)).toBe(S.ERR_BAD_PARAM);
      // a bad suite is reported before the lengths and ranges
      expect(x.tid_hkdf_expand_suite!(hash, 32, psk, 16, END, 0xffffffff, suite)).toBe(S.ERR_BAD_PARAM);
      expect(x.tid_hkdf_extract_suite!(END, 16, hash, 32, p, suite)).toBe(S.ERR_BAD_PARAM);
      expect(untouched()).toBe(true);
      expect(x.tid_tls_open_psk_suite!(4, 0, psk, 16, suite)).toBe(S.ERR_BAD_PARAM);
      expect(x.tid_tls_suite!(4)).toBe(S.ERR_NOT_INITIALISED); // still free
    }
    for (const suite of [0, 1]) {
      // the suite variants check lengths, ranges and overlaps as the SM exports do
      expect(x.tid_hkdf_expand_suite!(hash, 32, psk, 16, p, 255 * 32 + 1, suite)).toBe(S.ERR_BAD_LENGTH);
      expect(x.tid_hkdf_expand_suite!(hash, 32, psk, 16, END - 10, 32, suite)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_hkdf_expand_suite!(hash, 32, psk, 16, hash + 8, 32, suite)).toBe(S.ERR_BAD_PARAM);
      expect(x.tid_hkdf_expand_label_suite!(hash, 32, l, 0, psk, 0, p, 16, suite)).toBe(S.ERR_BAD_LENGTH);
      expect(x.tid_hkdf_expand_label_suite!(hash, 32, l, 3, psk, 256, p, 16, suite)).toBe(S.ERR_BAD_LENGTH);
      expect(x.tid_hkdf_expand_label_suite!(hash, 32, l, 3, psk, 0, hash + 1, 16, suite)).toBe(S.ERR_BAD_PARAM);
      expect(x.tid_hkdf_extract_suite!(psk, 16, hash, 32, END - 31, suite)).toBe(S.ERR_OUT_OF_BOUNDS);
      // opening: index, then state, then side and suite, then length and range
      expect(x.tid_tls_open_psk_suite!(N, 0, psk, 16, suite)).toBe(S.ERR_BAD_KEY_INDEX);
      expect(x.tid_tls_open_psk_suite!(4, 2, psk, 16, suite)).toBe(S.ERR_BAD_PARAM);
      expect(x.tid_tls_open_psk_suite!(4, 0, psk, 15, suite)).toBe(S.ERR_BAD_LENGTH);
      expect(x.tid_tls_open_psk_suite!(4, 0, END - 8, 16, suite)).toBe(S.ERR_OUT_OF_BOUNDS);
      expect(x.tid_tls_suite!(4)).toBe(S.ERR_NOT_INITIALISED);
      expect(x.tid_tls_open_psk_suite!(4, 0, psk, 16, suite)).toBe(S.OK);
      expect(x.tid_tls_suite!(4)).toBe(suite);
      expect(x.tid_tls_open_psk_suite!(4, 0, psk, 16, 1 - suite)).toBe(S.ERR_WRONG_STATE);
      expect(x.tid_tls_open_psk_suite!(4, 0, psk, 16, 9)).toBe(S.ERR_WRONG_STATE); // state before the suite
      expect(x.tid_tls_suite!(4)).toBe(suite); // unchanged
      expect(x.tid_tls_close!(4)).toBe(S.OK);
    }
    expect(x.tid_tls_suite!(N)).toBe(S.ERR_BAD_KEY_INDEX);
    expect(x.tid_tls_suite!(0xffffffff)).toBe(S.ERR_BAD_KEY_INDEX);
    expect(x.tid_tls_open_psk!(4, 0, psk, 16)).toBe(S.OK);
    expect(x.tid_tls_suite!(4)).toBe(0); // the exports without a suite are SM's
    expect(x.tid_tls_close!(4)).toBe(S.OK);
    expect(x.tid_tls_suite!(4)).toBe(S.ERR_NOT_INITIALISED);
    stillWorks();
  });

  it("an INTL context: out-of-order calls, a bad tag and a full record behave as in SM; a record leaves nothing in static data but its sequence number", () => {
    const c = 7;
    const m = () => wasm.bytes();
    expect(x.tid_tls_open_psk_suite!(c, 0, psk, 16, 1)).toBe(S.OK);
    expect(x.tid_tls_seal!(c, 23, io, 1, out)).toBe(S.ERR_WRONG_STATE);
    expect(x.tid_tls_derive_handshake!(c, hash)).toBe(S.OK);
    const rec = io + 20000;
    m().fill(0x33, rec + 5, rec + 5 + 16384);
    expect(x.tid_tls_seal!(c, 23, rec + 5, 16384, rec)).toBe(S.OK);
    expect(x.tid_tls_seal!(c, 23, rec + 4, 10, rec)).toBe(S.ERR_BAD_PARAM);
    m().fill(0xaa, io, io + 64);
    expect(x.tid_tls_open!(c, rec, 80, io, io + 40000)).toBe(S.ERR_VERIFY_FAILED);
    expect(
      m()
        .subarray(io, io + 64)
        .every((b) => b === 0xaa),
    ).toBe(true);
    expect(x.tid_tls_close!(c)).toBe(S.OK);
    // a record call leaves nothing behind in the module's static data but the sequence number
    // it moved on: the AES round keys and GHASH key it expanded are wiped (so is SM4's nonce)
    const staticData = () => m().slice(io + wasm.ioCap, x.tid_host_ptr!());
    for (const suite of [1, 0]) {
      expect(x.tid_tls_open_psk_suite!(c, 1, psk, 16, suite)).toBe(S.OK);
      expect(x.tid_tls_derive_handshake!(c, hash)).toBe(S.OK);
      const before = staticData();
      m().fill(0x44, rec + 5, rec + 5 + 100);
      expect(x.tid_tls_seal!(c, 23, rec + 5, 100, rec)).toBe(S.OK);
      const after = staticData();
      const changed = before.reduce((n, b, i) => n + (b === after[i] ? 0 : 1), 0);
      expect(changed, `suite ${suite}: bytes of static data changed by one seal`).toBe(1);
      expect(x.tid_tls_close!(c)).toBe(S.OK);
    }
    stillWorks();
  });
});

describe("WasmTlsCipher at the TypeScript boundary", () => {
  it("constructors name the bad argument", () => {
    for (const bad of ["", "Client", null, 0])
      expect(() => WasmTlsCipher.fromPsk(bad as never, new Uint8Array(16))).toThrow(/side must be/);
    for (const bad of ["psk", [1], null, new Uint16Array(8)])
      expect(() => WasmTlsCipher.fromPsk("client", bad as never)).toThrow(TypeError);
    for (const n of [0, 15, 17, 32]) expect(() => WasmTlsCipher.fromPsk("client", new Uint8Array(n))).toThrow(/psk must be 16 bytes/);
    for (const bad of [null, undefined, {}, { wasm: 1 }])
      expect(() => WasmTlsCipher.fromClient(bad as never)).toThrow(/client must be a TidClient/);
  });

  it("methods check their arguments; wrong-length binders and verify_data verify false; use after destroy throws", () => {
    const psk = new Uint8Array(randomBytes(16));
    const w = WasmTlsCipher.fromPsk("client", psk);
    const h = tlsHash(new Uint8Array([1]));
    expect(() => w.binder(new Uint8Array(31))).toThrow(/transcriptHash must be 32 bytes/);
    expect(() => w.binder("h" as never)).toThrow(TypeError);
    expect(() => w.transcriptHash("x" as never)).toThrow(/messages must be an array/);
    expect(() => w.transcriptHash([new Uint8Array(1), "x" as never])).toThrow(/messages\[1\]/);
    expect(w.verifyBinder(h, w.binder(h).subarray(0, 31))).toBe(false);
    expect(w.verifyBinder(h, new Uint8Array(33))).toBe(false);
    expect(() => w.verifyBinder(h, "b" as never)).toThrow(/binder must be a Uint8Array/);
    expect(statusOf(() => w.finished("client", h))).toBe("ERR_WRONG_STATE");
    expect(statusOf(() => w.seal(23, new Uint8Array(1), new Uint8Array(64)))).toBe("ERR_WRONG_STATE");
    w.deriveHandshakeSecrets(h);
    expect(() => w.finished("both" as never, h)).toThrow(/side must be/);
    expect(() => w.verifyFinished("client", h, null as never)).toThrow(/verifyData must be a Uint8Array/);
    expect(w.verifyFinished("client", h, new Uint8Array(12))).toBe(false);
    expect(() => w.useApplicationKeys("up" as never)).toThrow(/direction must be/);
    expect(() => w.keyUpdate(1 as never)).toThrow(/direction must be/);
    for (const t of [0, 256, -1, 1.5, "23"]) expect(() => w.seal(t as never, new Uint8Array(1), new Uint8Array(64))).toThrow(/type/);
    expect(() => w.seal(23, "c" as never, new Uint8Array(64))).toThrow(/content must be a Uint8Array/);
    expect(() => w.seal(23, new Uint8Array(1), [] as never)).toThrow(/out must be a Uint8Array/);
    for (const off of [-1, 1.5, 60, "0"]) expect(() => w.seal(23, new Uint8Array(1), new Uint8Array(64), off as never)).toThrow(RangeError);
    expect(() => w.open("r" as never, new Uint8Array(64))).toThrow(/record must be a Uint8Array/);
    expect(w.seal(23, new Uint8Array(1), new Uint8Array(64), 41)).toBe(23);
    w.destroy();
    w.destroy(); // idempotent
    expect(() => w.binder(h)).toThrow(/after destroy/);
    expect(() => w.seal(23, new Uint8Array(1), new Uint8Array(64))).toThrow(/after destroy/);
    expect(() => w.open(new Uint8Array(30), new Uint8Array(64))).toThrow(/after destroy/);
  });

  it("fromPsk grows its set of instances past 16 connections; fromClient's pool of one instance runs out with ERR_BAD_KEY_INDEX", async () => {
    const psk = new Uint8Array(randomBytes(16));
    const many = Array.from({ length: 40 }, () => WasmTlsCipher.fromPsk("server", psk));
    expect(new Set(many.map((c) => c.wasm)).size).toBeGreaterThanOrEqual(3);
    const ref = new ReferenceTlsCipher("client", psk);
    handshake(ref, many[39]!);
    for (const c of many) c.destroy();
    const client = await softClient("release", randomIdentity());
    client.importSessionKey(0, psk);
    const held = Array.from({ length: 16 }, () => WasmTlsCipher.fromClient(client));
    expect(statusOf(() => WasmTlsCipher.fromClient(client))).toBe("ERR_BAD_KEY_INDEX");
    held.pop()!.destroy();
    const again = WasmTlsCipher.fromClient(client);
    for (const c of [...held, again]) c.destroy();
    client.close();
  });
});
