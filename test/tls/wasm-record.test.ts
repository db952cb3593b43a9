// WasmTlsCipher (bindings/tls/wasm-cipher.ts) against ReferenceTlsCipher (reference/tls-cipher.ts,
// node:crypto): the two ends of one connection on different implementations must agree on every
// binder, verify_data and record byte for byte (RFC 8446 §5.2–§5.3, §4.4.4, §7.2; RFC 8998).
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { WasmTlsCipher } from "../../bindings/tls/wasm-cipher.js";
import { ContentType, TLS_MAX_RECORD, type TlsCipher, type TlsSide } from "../../bindings/tls/cipher.js";
import { ReferenceTlsCipher } from "../../reference/tls-cipher.js";
import { toHex } from "../../reference/bytes.js";
import { handshake, randomTranscript } from "../support/tls-cipher.js";

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
    for (const c of [w, r, wp, rp]) c.deriveHandshakeSecrets(t.helloHash);
    const sealBoth = (size: number) => {
      const content = new Uint8Array(randomBytes(size));
      const a = new Uint8Array(TLS_MAX_RECORD),
        b = new Uint8Array(TLS_MAX_RECORD);
      const n = w.seal(ContentType.handshake, content, a, 0);
      expect(r.seal(ContentType.handshake, content, b, 0)).toBe(n);
      expect(toHex(a.subarray(0, n))).toBe(toHex(b.subarray(0, n)));
    };
    for (const size of SIZES) sealBoth(size);
    for (const side of ["client", "server"] as const) {
      expect(toHex(w.finished(side, t.serverFinishedHash))).toBe(toHex(r.finished(side, t.serverFinishedHash)));
    }
    for (const c of [w, r]) {
      c.deriveApplicationSecrets(t.serverFinishedHash);
      c.useApplicationKeys("write");
      c.useApplicationKeys("read");
    }
    for (const size of SIZES) sealBoth(size);
    for (let i = 0; i < 3; i++) {
      w.keyUpdate("write");
      r.keyUpdate("write");
      for (const size of [0, 17, 16384]) sealBoth(size);
    }
    for (const c of [w, r, wp, rp]) c.destroy();
  });
});
