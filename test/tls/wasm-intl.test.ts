// TID-TLS suite INTL (TLS_AES_128_GCM_SHA256: RFC 8446 §7.1 key schedule over HKDF-SHA-256,
// §5.2–§5.3 records with AES-128-GCM) in the wasm held to node:crypto: every secret a context
// derives (read through the test build's hook) equals reference/tls-key-schedule.ts's with
// hkdfSync("sha256"); binders, verify_data and records equal ReferenceTlsCipher's (AES-128-GCM of
// OpenSSL) byte for byte, on handshake keys, application keys and after KeyUpdate, in the release
// and the portable build; a record built by hand with node's aes-128-gcm under the §7.3 key and
// nonce opens; the suites do not mix; the bindings' suite arguments are checked.
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { WasmTlsCipher } from "../../bindings/tls/wasm-cipher.js";
import { ContentType, TLS_AES_128_GCM_SHA256, TLS_MAX_RECORD, TLS_SM4_GCM_SM3, type TlsCipher } from "../../bindings/tls/cipher.js";
import { TidWasm } from "../../bindings/wasm.js";
import { Status } from "../../bindings/status.js";
import { ReferenceTlsCipher } from "../../reference/tls-cipher.js";
import { finishedVerifyData, tlsKeySchedule, trafficKeys, transcriptHash } from "../../reference/tls-key-schedule.js";
import { toHex } from "../../reference/bytes.js";
import { SECRET_ORDER, handshake, randomTranscript, expectSameRecords } from "../support/tls-cipher.js";

const SIZES = [0, 1, 15, 16, 17, 1000, 16384];
const ZERO32 = "00".repeat(32);

/** A record built by hand (RFC 8446 §5.2–§5.3) with node's aes-128-gcm under the §7.3 key and nonce. */
function recordByHand(secret: Uint8Array, seq: bigint, inner: Uint8Array): Uint8Array {
  const { key, iv } = trafficKeys(secret, "intl");
  const nonce = iv.slice();
  for (let i = 0; i < 8; i++) nonce[11 - i]! ^= Number((seq >> BigInt(8 * i)) & 0xffn);
  const len = inner.length + 16;
  const header = new Uint8Array([23, 3, 3, len >> 8, len & 0xff]);
  const c = createCipheriv("aes-128-gcm", key, nonce).setAAD(header);
  const body = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
  return new Uint8Array([...header, ...body]);
}

describe("the wasm key schedule in suite INTL equals tlsKeySchedule(…, 'intl'), secret by secret (test build)", () => {
  const wasm = TidWasm.create({ build: "test" });
  const x = wasm.exports;
  const io = wasm.ioPtr;
  const mem = () => wasm.bytes();
  const secret = (ctx: number, name: (typeof SECRET_ORDER)[number]): string => {
    expect(x.tid_test_tls_secret!(ctx, SECRET_ORDER.indexOf(name), io + 512)).toBe(Status.OK);
    return toHex(mem().slice(io + 512, io + 544));
  };
  const call = (f: (hash: number, out: number) => number, hash: Uint8Array): string => {
    mem().set(hash, io);
    expect(f(io, io + 64)).toBe(Status.OK);
    return toHex(mem().slice(io + 64, io + 96));
  };

  it.each([0, 1, 2, 3, 4, 5])("PSK and transcript #%i", (i) => {
    const psk = i === 0 ? new Uint8Array(16) : i === 1 ? new Uint8Array(16).fill(0xff) : new Uint8Array(randomBytes(16));
    const t = randomTranscript();
    const expected = tlsKeySchedule(psk, t.helloHash, t.serverFinishedHash, "intl");
    const sm = tlsKeySchedule(psk, t.helloHash, t.serverFinishedHash);
    const ctx = i % 16;
    mem().set(psk, io);
    expect(x.tid_tls_open_psk_suite!(ctx, i % 2, io, 16, 1)).toBe(Status.OK);
    expect(x.tid_tls_suite!(ctx)).toBe(1);
    expect(secret(ctx, "earlySecret")).toBe(toHex(expected.earlySecret));
    expect(secret(ctx, "earlySecret")).not.toBe(toHex(sm.earlySecret));
    expect(secret(ctx, "binderKey")).toBe(toHex(expected.binderKey));
    const binder = call((h, o) => x.tid_tls_binder!(ctx, h, o), t.truncatedHelloHash);
    expect(binder).toBe(toHex(finishedVerifyData(expected.binderKey, t.truncatedHelloHash, "intl")));
    mem().set(t.helloHash, io);
    expect(x.tid_tls_derive_handshake!(ctx, io)).toBe(Status.OK);
    expect(secret(ctx, "earlySecret")).toBe(ZERO32);
    for (const name of ["handshakeSecret", "clientHandshakeTrafficSecret", "serverHandshakeTrafficSecret"] as const) {
      expect(secret(ctx, name), name).toBe(toHex(expected[name]));
    }
    for (const [side, name] of [
      [0, "clientHandshakeTrafficSecret"],
      [1, "serverHandshakeTrafficSecret"],
    ] as const) {
      const v = call((h, o) => x.tid_tls_finished!(ctx, side, h, o), t.serverFinishedHash);
      expect(v).toBe(toHex(finishedVerifyData(expected[name], t.serverFinishedHash, "intl")));
    }
    mem().set(t.serverFinishedHash, io);
    expect(x.tid_tls_derive_application!(ctx, io)).toBe(Status.OK);
    for (const name of ["masterSecret", "clientApplicationTrafficSecret", "serverApplicationTrafficSecret"] as const) {
      expect(secret(ctx, name), name).toBe(toHex(expected[name]));
    }
    for (const dir of [0, 1]) expect(x.tid_tls_use_application!(ctx, dir)).toBe(Status.OK);
    for (const name of SECRET_ORDER.slice(0, 6)) expect(secret(ctx, name), `${name} wiped`).toBe(ZERO32);
    expect(x.tid_tls_close!(ctx)).toBe(Status.OK);
    for (const name of SECRET_ORDER) expect(secret(ctx, name)).toBe(ZERO32);
  });
});

/** A connected pair in suite intl: `wasmSide` on the wasm, the other side on the reference. */
function pair(wasmSide: "client" | "server"): { wasm: WasmTlsCipher; ref: ReferenceTlsCipher; client: TlsCipher; server: TlsCipher } {
  const psk = new Uint8Array(randomBytes(16));
  const wasm = WasmTlsCipher.fromPsk(wasmSide, psk, { suite: "intl" });
  const ref = new ReferenceTlsCipher(wasmSide === "client" ? "server" : "client", psk, "intl");
  const [client, server] = wasmSide === "client" ? [wasm, ref] : [ref, wasm];
  return { wasm, ref, client, server };
}

function roundTrip(from: TlsCipher, to: TlsCipher, content: Uint8Array, type: number = ContentType.applicationData): void {
  const rec = new Uint8Array(TLS_MAX_RECORD);
  const n = from.seal(type, content, rec);
  expect(n).toBe(5 + content.length + 17);
  const r = to.open(rec.subarray(0, n), new Uint8Array(n));
  if (typeof r === "string") throw new Error(r);
  expect(r.type).toBe(type);
  expect(toHex(r.content)).toBe(toHex(content));
}

describe.each(["client", "server"] as const)("WasmTlsCipher in suite intl as the %s, the reference as its peer", (wasmSide) => {
  it("cipher suite 0x1301, SHA-256 transcript hash; binder, Finished and records agree for every size", () => {
    const { wasm, ref, client, server } = pair(wasmSide);
    expect(wasm.cipherSuite).toBe(TLS_AES_128_GCM_SHA256);
    expect(ref.cipherSuite).toBe(TLS_AES_128_GCM_SHA256);
    expect(wasm.suite).toBe("intl");
    const msgs = [new Uint8Array(randomBytes(300)), new Uint8Array(randomBytes(70))];
    const sha = toHex(new Uint8Array(createHash("sha256").update(msgs[0]!).update(msgs[1]!).digest()));
    expect(toHex(wasm.transcriptHash(msgs))).toBe(sha);
    expect(toHex(transcriptHash("intl", msgs))).toBe(sha);
    handshake(client, server);
    for (const size of SIZES) {
      const content = new Uint8Array(randomBytes(size));
      roundTrip(wasm, ref, content);
      roundTrip(ref, wasm, content, ContentType.handshake);
    }
    for (let i = 0; i < 3; i++) {
      for (const [a, b] of [
        [wasm, ref],
        [ref, wasm],
      ] as const) {
        a.keyUpdate("write");
        b.keyUpdate("read");
        roundTrip(a, b, new Uint8Array(randomBytes(100)));
      }
    }
    wasm.destroy();
    ref.destroy();
  });

  it("seals byte for byte what the reference seals, on handshake keys, application keys and after KeyUpdate", () => {
    const psk = new Uint8Array(randomBytes(16));
    const t = randomTranscript();
    const w = WasmTlsCipher.fromPsk(wasmSide, psk, { suite: "intl" });
    const r = new ReferenceTlsCipher(wasmSide, psk, "intl");
    expect(toHex(w.binder(t.truncatedHelloHash))).toBe(toHex(r.binder(t.truncatedHelloHash)));
    expectSameRecords(w, r, t, SIZES);
    w.destroy();
    r.destroy();
  });
});

describe("records in suite intl", () => {
  it("a wasm record is AES-128-GCM under the §7.3 traffic key and nonce (node's aes-128-gcm), and opens one built so", () => {
    const psk = new Uint8Array(randomBytes(16));
    const t = randomTranscript();
    const s = tlsKeySchedule(psk, t.helloHash, t.serverFinishedHash, "intl");
    const w = WasmTlsCipher.fromPsk("client", psk, { suite: "intl" });
    w.deriveHandshakeSecrets(t.helloHash);
    const content = new Uint8Array(randomBytes(33));
    const rec = new Uint8Array(100);
    for (let seq = 0n; seq < 3n; seq++) {
      const n = w.seal(22, content, rec);
      expect(toHex(rec.subarray(0, n))).toBe(toHex(recordByHand(s.clientHandshakeTrafficSecret, seq, new Uint8Array([...content, 22]))));
    }
    // padded records of the peer: padding stripped
    const inner = new Uint8Array([7, 0, 0, 23, 0, 0, 0, 0]);
    const record = recordByHand(s.serverHandshakeTrafficSecret, 0n, inner);
    expect(w.open(record, new Uint8Array(record.length))).toEqual({ type: 23, content: new Uint8Array([7, 0, 0]) });
    const zeros = recordByHand(s.serverHandshakeTrafficSecret, 1n, new Uint8Array(20));
    expect(w.open(zeros, new Uint8Array(zeros.length))).toBe("no_content_type");
    w.destroy();
  });

  it("every byte of a record flipped → bad_record_mac, out wiped, the sequence number stays", () => {
    const { wasm, ref, client, server } = pair("client");
    handshake(client, server);
    const rec = new Uint8Array(64);
    const n = ref.seal(23, new Uint8Array(randomBytes(20)), rec);
    const record = rec.subarray(0, n);
    for (let i = 0; i < n; i++) {
      const bad = record.slice();
      bad[i]! ^= 1 << (i % 8);
      const out = new Uint8Array(n).fill(0xaa);
      expect(wasm.open(bad, out), `byte ${i}`).toBe("bad_record_mac");
      expect(out.every((b) => b === 0)).toBe(true);
    }
    expect(wasm.open(record, new Uint8Array(n))).toMatchObject({ type: 23 });
    wasm.destroy();
    ref.destroy();
  });

  it("the suites do not mix: an SM peer of the same PSK fails the binder, the Finished and every record", () => {
    const psk = new Uint8Array(randomBytes(16));
    const t = randomTranscript();
    const w = WasmTlsCipher.fromPsk("client", psk, { suite: "intl" });
    const sm = WasmTlsCipher.fromPsk("server", psk);
    expect(sm.cipherSuite).toBe(TLS_SM4_GCM_SM3);
    expect(sm.verifyBinder(t.truncatedHelloHash, w.binder(t.truncatedHelloHash))).toBe(false);
    for (const c of [w, sm]) c.deriveHandshakeSecrets(t.helloHash);
    expect(sm.verifyFinished("client", t.serverFinishedHash, w.finished("client", t.serverFinishedHash))).toBe(false);
    const rec = new Uint8Array(64);
    const n = w.seal(23, new Uint8Array([1, 2, 3]), rec);
    expect(sm.open(rec.subarray(0, n), new Uint8Array(n))).toBe("bad_record_mac");
    w.destroy();
    sm.destroy();
  });
});

describe("suite INTL in the portable build (no SIMD), raw exports against the reference", () => {
  it("binder, Finished and records of a portable client equal the reference's; it opens the reference server's records", () => {
    const wasm = TidWasm.create({ build: "portable" });
    const x = wasm.exports;
    const io = wasm.ioPtr;
    const mem = () => wasm.bytes();
    const psk = new Uint8Array(randomBytes(16));
    const t = randomTranscript();
    const ref = new ReferenceTlsCipher("client", psk, "intl");
    const peer = new ReferenceTlsCipher("server", psk, "intl");
    mem().set(psk, io);
    expect(x.tid_tls_open_psk_suite!(0, 0, io, 16, 1)).toBe(Status.OK);
    mem().set(t.truncatedHelloHash, io);
    expect(x.tid_tls_binder!(0, io, io + 32)).toBe(Status.OK);
    expect(toHex(mem().slice(io + 32, io + 64))).toBe(toHex(ref.binder(t.truncatedHelloHash)));
    mem().set(t.helloHash, io);
    expect(x.tid_tls_derive_handshake!(0, io)).toBe(Status.OK);
    for (const c of [ref, peer]) c.deriveHandshakeSecrets(t.helloHash);
    mem().set(t.serverFinishedHash, io);
    expect(x.tid_tls_finished!(0, 0, io, io + 32)).toBe(Status.OK);
    expect(toHex(mem().slice(io + 32, io + 64))).toBe(toHex(ref.finished("client", t.serverFinishedHash)));
    for (const size of SIZES) {
      const content = new Uint8Array(randomBytes(size));
      mem().set(content, io + 5);
      expect(x.tid_tls_seal!(0, 23, io + 5, size, io)).toBe(Status.OK);
      const expected = new Uint8Array(TLS_MAX_RECORD);
      const n = ref.seal(23, content, expected);
      expect(toHex(mem().slice(io, io + n))).toBe(toHex(expected.subarray(0, n)));
      const fromPeer = new Uint8Array(TLS_MAX_RECORD);
      const m = peer.seal(22, content, fromPeer);
      mem().set(fromPeer.subarray(0, m), io);
      expect(x.tid_tls_open!(0, io, m, io + 5, io + 20_000)).toBe(Status.OK);
      expect(toHex(mem().slice(io + 5, io + 5 + size))).toBe(toHex(content));
    }
    expect(x.tid_tls_close!(0)).toBe(Status.OK);
    for (const c of [ref, peer]) c.destroy();
  });
});

describe("the bindings' suite arguments", () => {
  it("fromPsk: suite 'sm' (default) or 'intl'; anything else → TypeError naming options.suite", () => {
    const psk = new Uint8Array(16);
    const d = WasmTlsCipher.fromPsk("client", psk);
    expect([d.suite, d.cipherSuite]).toEqual(["sm", TLS_SM4_GCM_SM3]);
    d.destroy();
    for (const bad of ["SM", "INTL", "aes", 1, null, {}]) {
      expect(() => WasmTlsCipher.fromPsk("client", psk, { suite: bad as never }), String(bad)).toThrow(TypeError);
      expect(() => WasmTlsCipher.fromPsk("client", psk, { suite: bad as never })).toThrow(/options\.suite/);
    }
    expect(() => WasmTlsCipher.fromPsk("client", psk, null as never)).toThrow(TypeError);
    expect(() => new ReferenceTlsCipher("client", psk, "tls13" as never)).toThrow(TypeError);
  });
});
