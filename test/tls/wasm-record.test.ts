// WasmTlsCipher (bindings/tls/wasm-cipher.ts) against ReferenceTlsCipher (reference/tls-cipher.ts,
// node:crypto): the two ends of one connection on different implementations must agree on every
// binder, verify_data and record byte for byte (RFC 8446 §5.2–§5.3, §4.4.4, §7.2; RFC 8998).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { WasmTlsCipher } from "../../bindings/tls/wasm-cipher.js";
import { ContentType, TLS_MAX_RECORD, type TlsCipher, type TlsSide } from "../../bindings/tls/cipher.js";
import { ReferenceTlsCipher } from "../../reference/tls-cipher.js";
import { Sm4Gcm } from "../../reference/sm4-gcm.js";
import { tlsKeySchedule, trafficKeys } from "../../reference/tls-key-schedule.js";
import { TidClient } from "../../bindings/client.js";
import { Status } from "../../bindings/status.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { expectStatus } from "../support/assertions.js";
import { randomIdentity, softClient } from "../support/tid.js";
import { handshake, randomTranscript, expectSameRecords } from "../support/tls-cipher.js";

/** RFC 8998 Appendix A.1 (SM4-GCM), from test/vectors/sm4.json (provenance: test/vectors/SOURCES.md). */
const A1 = (
  JSON.parse(readFileSync(new URL("../vectors/sm4.json", import.meta.url), "utf8")) as {
    gcm: { source: string; key: string; iv: string; aad: string; plaintext: string; ciphertext: string; tag: string }[];
  }
).gcm.find((v) => v.source.startsWith("RFC 8998"))!;

const SIZES = [0, 1, 15, 16, 17, 1000, 16384];

/** A connected pair: `wasmSide` on the wasm, the other side on the reference. */
function pair(wasmSide: TlsSide): { wasm: WasmTlsCipher; ref: ReferenceTlsCipher; client: TlsCipher; server: TlsCipher } {
  const psk = new Uint8Array(randomBytes(16));
  const wasm = WasmTlsCipher.fromPsk(wasmSide, psk);
  const ref = new ReferenceTlsCipher(wasmSide === "client" ? "server" : "client", psk);
  const [client, server] = wasmSide === "client" ? [wasm, ref] : [ref, wasm];
  return { wasm, ref, client, server };
}

/** Seal on `from`, open on `to`; the content and type must come back. */
function roundTrip(from: TlsCipher, to: TlsCipher, content: Uint8Array, type: number = ContentType.applicationData): Uint8Array {
  const rec = new Uint8Array(TLS_MAX_RECORD);
  const n = from.seal(type, content, rec);
  expect(n).toBe(5 + content.length + 17);
  const record = rec.subarray(0, n);
  const out = new Uint8Array(n);
  const r = to.open(record, out);
  expect(r).not.toBeTypeOf("string");
  if (typeof r === "string") throw new Error(r);
  expect(r.type).toBe(type);
  expect(toHex(r.content)).toBe(toHex(content));
  return record.slice();
}

describe.each(["client", "server"] as const)("WasmTlsCipher as the %s, the reference as its peer", (wasmSide) => {
  it("the handshake's binder and Finished agree, records cross both ways for every size", () => {
    const { wasm, ref } = pair(wasmSide);
    handshake(wasmSide === "client" ? wasm : ref, wasmSide === "client" ? ref : wasm);
    for (const size of SIZES) {
      const content = new Uint8Array(randomBytes(size));
      roundTrip(wasm, ref, content);
      roundTrip(ref, wasm, content, ContentType.handshake);
    }
    wasm.destroy();
    ref.destroy();
  });

  it("seals byte for byte what the reference seals, on handshake keys, application keys and after KeyUpdate", () => {
    const psk = new Uint8Array(randomBytes(16));
    const t = randomTranscript();
    const w = WasmTlsCipher.fromPsk(wasmSide, psk);
    const r = new ReferenceTlsCipher(wasmSide, psk);
    // Same side on both implementations: the same write keys, so the same records.
    const wp = new ReferenceTlsCipher(wasmSide === "client" ? "server" : "client", psk);
    const rp = new ReferenceTlsCipher(wasmSide === "client" ? "server" : "client", psk);
    expect(toHex(w.binder(t.truncatedHelloHash))).toBe(toHex(r.binder(t.truncatedHelloHash)));
    for (const c of [wp, rp]) c.deriveHandshakeSecrets(t.helloHash);
    expectSameRecords(w, r, t, SIZES);
    for (const c of [w, r, wp, rp]) c.destroy();
  });
});

/**
 * A record built by hand (RFC 8446 §5.2–§5.3) with the reference's SM4-GCM, which first reproduces
 * RFC 8998 A.1: header 23 0303 length, inner = the given bytes, nonce = iv XOR seq.
 */
function recordByHand(secret: Uint8Array, seq: bigint, inner: Uint8Array): Uint8Array {
  const a1 = new Sm4Gcm(fromHex(A1.key)).encrypt(fromHex(A1.iv), fromHex(A1.plaintext), fromHex(A1.aad));
  expect(toHex(a1.ciphertext) + toHex(a1.tag)).toBe(A1.ciphertext + A1.tag);
  const { key, iv } = trafficKeys(secret);
  const nonce = iv.slice();
  for (let i = 0; i < 8; i++) nonce[11 - i]! ^= Number((seq >> BigInt(8 * i)) & 0xffn);
  const len = inner.length + 16;
  const header = new Uint8Array([23, 3, 3, len >> 8, len & 0xff]);
  const { ciphertext, tag } = new Sm4Gcm(key).encrypt(nonce, inner, header);
  return new Uint8Array([...header, ...ciphertext, ...tag]);
}

/** A wasm client on handshake keys and the secrets of its connection. */
function onHandshakeKeys(): { w: WasmTlsCipher; ref: ReferenceTlsCipher; serverWrite: Uint8Array; clientWrite: Uint8Array } {
  const psk = new Uint8Array(randomBytes(16));
  const t = randomTranscript();
  const s = tlsKeySchedule(psk, t.helloHash, t.serverFinishedHash);
  const w = WasmTlsCipher.fromPsk("client", psk);
  const ref = new ReferenceTlsCipher("server", psk);
  w.deriveHandshakeSecrets(t.helloHash);
  ref.deriveHandshakeSecrets(t.helloHash);
  return { w, ref, serverWrite: s.serverHandshakeTrafficSecret, clientWrite: s.clientHandshakeTrafficSecret };
}

describe("WasmTlsCipher records: sequence numbers, padding, tampering, limits", () => {
  it("many records each way: the sequence numbers advance in step with the reference", () => {
    const { wasm, ref } = pair("client");
    handshake(wasm, ref);
    for (let i = 0; i < 300; i++) {
      const content = new Uint8Array(randomBytes(i % 40));
      roundTrip(wasm, ref, content);
      if (i % 3 === 0) roundTrip(ref, wasm, content);
    }
    wasm.destroy();
    ref.destroy();
  });

  it("a wasm record is SM4-GCM under the §7.3 traffic key and nonce (checked with the A.1-verified reference GCM)", () => {
    const { w, ref, clientWrite } = onHandshakeKeys();
    const content = new Uint8Array(randomBytes(33));
    const rec = new Uint8Array(100);
    for (let seq = 0n; seq < 3n; seq++) {
      const n = w.seal(22, content, rec);
      expect(toHex(rec.subarray(0, n))).toBe(toHex(recordByHand(clientWrite, seq, new Uint8Array([...content, 22]))));
    }
    w.destroy();
    ref.destroy();
  });

  it("accepts the reference peer's padded records (padding stripped, zeros inside the content kept)", () => {
    const { w, ref, serverWrite } = onHandshakeKeys();
    const cases: [number[], number, number][] = [
      [[1, 2, 3], 23, 0],
      [[1, 2, 3], 23, 1],
      [[], 21, 10],
      [[7, 0, 0], 22, 5], // trailing zeros of the content are content
      [[0], 23, 300],
      [Array.from(randomBytes(16384)), 23, 239], // the largest inner plaintext: 2^14 + 256 − 16 bytes
    ];
    let seq = 0n;
    for (const [content, type, pad] of cases) {
      const inner = new Uint8Array([...content, type, ...new Uint8Array(pad)]);
      const record = recordByHand(serverWrite, seq++, inner);
      const out = new Uint8Array(record.length).fill(0xaa);
      const r = w.open(record, out);
      expect(r).toEqual({ type, content: new Uint8Array(content) });
      expect(out.subarray(content.length).every((b) => b === 0xaa)).toBe(true);
    }
    w.destroy();
    ref.destroy();
  });

  it("every byte of a record flipped → bad_record_mac, out wiped, the sequence number stays", () => {
    const { w, ref } = onHandshakeKeys();
    const rec = new Uint8Array(64);
    const n = ref.seal(23, new Uint8Array(randomBytes(20)), rec);
    const record = rec.subarray(0, n);
    for (let i = 0; i < n; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = record.slice();
        bad[i]! ^= bit;
        const out = new Uint8Array(n).fill(0xaa);
        expect(w.open(bad, out), `byte ${i}`).toBe("bad_record_mac");
        expect(out.every((b) => b === 0)).toBe(true);
      }
    }
    for (const len of [0, 1, 5, 21]) expect(w.open(record.subarray(0, len), new Uint8Array(n))).toBe("bad_record_mac");
    expect(w.open(record, new Uint8Array(n))).toMatchObject({ type: 23 }); // still sequence number 0
    w.destroy();
    ref.destroy();
  });

  it("an all-zero inner plaintext → no_content_type, out wiped, the sequence number stays", () => {
    const { w, ref, serverWrite } = onHandshakeKeys();
    for (const len of [1, 17, 300]) {
      const out = new Uint8Array(len + 16).fill(0xaa);
      expect(w.open(recordByHand(serverWrite, 0n, new Uint8Array(len)), out)).toBe("no_content_type");
      expect(out.every((b) => b === 0)).toBe(true);
    }
    const ok = recordByHand(serverWrite, 0n, new Uint8Array([5, 23]));
    expect(w.open(ok, new Uint8Array(ok.length))).toEqual({ type: 23, content: new Uint8Array([5]) });
    w.destroy();
    ref.destroy();
  });

  it("oversize content, records and short buffers are refused with RangeError", () => {
    const { w, ref } = onHandshakeKeys();
    const big = new Uint8Array(TLS_MAX_RECORD + 100);
    expect(() => w.seal(23, new Uint8Array(16385), big)).toThrow(RangeError);
    expect(() => w.seal(23, new Uint8Array(10), new Uint8Array(31))).toThrow(/no room for a 32-byte record/);
    expect(() => w.seal(23, new Uint8Array(10), new Uint8Array(40), 9)).toThrow(RangeError);
    expect(() => w.open(new Uint8Array(TLS_MAX_RECORD + 1), big)).toThrow(/record must be at most/);
    expect(() => w.open(new Uint8Array(100), new Uint8Array(94))).toThrow(/out must be at least 95 bytes/);
    // A record of the largest size the reference can seal opens.
    const rec = new Uint8Array(TLS_MAX_RECORD);
    const n = ref.seal(23, new Uint8Array(16384), rec);
    expect(w.open(rec.subarray(0, n), new Uint8Array(n))).toMatchObject({ type: 23 });
    w.destroy();
    ref.destroy();
  });

  it("the end of the sequence space: the nonce XORs all 64 bits, 2^64 − 1 is never used (test build)", async () => {
    const psk = new Uint8Array(randomBytes(16));
    const client: TidClient = await softClient("test", randomIdentity());
    client.importSessionKey(0, psk);
    const t = randomTranscript();
    const w = WasmTlsCipher.fromClient(client);
    w.deriveHandshakeSecrets(t.helloHash);
    const clientWrite = tlsKeySchedule(psk, t.helloHash, t.serverFinishedHash).clientHandshakeTrafficSecret;
    const x = w.wasm.exports as unknown as Record<string, (...a: (number | bigint)[]) => number>;
    expect(x.tid_test_tls_set_seq!(w.context, 1, 0xffff_ffff_ffff_fffen)).toBe(0);
    const rec = new Uint8Array(64);
    const n = w.seal(23, new Uint8Array([1]), rec);
    expect(toHex(rec.subarray(0, n))).toBe(toHex(recordByHand(clientWrite, 0xffff_ffff_ffff_fffen, new Uint8Array([1, 23]))));
    expectStatus(() => w.seal(23, new Uint8Array([1]), rec), Status.ERR_REPLAY);
    expect(x.tid_test_tls_set_seq!(w.context, 0, 0xffff_ffff_ffff_ffffn)).toBe(0);
    expectStatus(() => w.open(rec.subarray(0, n), new Uint8Array(64)), Status.ERR_REPLAY);
    w.destroy();
    client.close();
  });
});
