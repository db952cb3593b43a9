// TID-TLS record protection (RFC 8446 §5.2–§5.3) in both suites: one 16 KiB record (the largest
// plaintext a record carries) sealed and opened on application keys. tid-wasm is WasmTlsCipher
// (bindings/tls/wasm-cipher.ts: content copied into the module's I/O region, sealed or opened
// there in place, copied out) in suite SM (TLS_SM4_GCM_SM3, RFC 8998), reference is
// ReferenceTlsCipher (reference/tls-cipher.ts: SM4 from OpenSSL, GHASH in TypeScript);
// tid-wasm-intl and reference-intl are the same in suite INTL (TLS_AES_128_GCM_SHA256: the wasm
// expands the AES key per record; the reference is OpenSSL's AES-128-GCM). Records are checked
// across the two implementations of a suite before anything is timed. The sm4-gcm and
// aes-128-gcm rows of the same size are the raw GCM of the same module through its public API
// (Sm4Key / AesKey.sealGcm: a copy in, a copy out), what a record costs without the TLS framing.
//
// A record opens only at its own sequence number, so the open rows replay a prepared run of
// RECORDS records (sequence numbers 0..RECORDS−1) and switch to a freshly keyed opener after the
// last one; the key schedule of that opener (a few dozen HMACs) costs under 1% of the run.
import { deterministicBytes as bytes, measureInTurns, type BenchOptions, type Row, type Suite } from "../harness.js";
import { WasmTlsCipher } from "../../bindings/tls/wasm-cipher.js";
import { Sm4Key } from "../../bindings/sm4.js";
import { AesKey } from "../../bindings/aes.js";
import { TidWasm } from "../../bindings/wasm.js";
import { TLS_MAX_RECORD, type TlsCipher, type TlsSide } from "../../bindings/tls/cipher.js";
import { ReferenceTlsCipher } from "../../reference/tls-cipher.js";
import { tlsHash } from "../../reference/tls-key-schedule.js";
import { toHex } from "../../reference/bytes.js";

const SIZE = 16384;
const RECORDS = 64;
const PSK = bytes(16, 3);
const HELLO = tlsHash(bytes(300, 1)),
  FINISHED = tlsHash(bytes(400, 2));

type Make = (side: TlsSide) => TlsCipher;
/** Per suite: the wasm, then the reference. */
const suites: [Row["impl"], Make][][] = [
  [
    ["tid-wasm", (side) => WasmTlsCipher.fromPsk(side, PSK)],
    ["reference", (side) => new ReferenceTlsCipher(side, PSK)],
  ],
  [
    ["tid-wasm-intl", (side) => WasmTlsCipher.fromPsk(side, PSK, { suite: "intl" })],
    ["reference-intl", (side) => new ReferenceTlsCipher(side, PSK, "intl")],
  ],
];

/** A cipher of `side` on application keys (the handshake's key schedule without the messages). */
function connected(make: Make, side: TlsSide): TlsCipher {
  const c = make(side);
  c.deriveHandshakeSecrets(HELLO);
  c.deriveApplicationSecrets(FINISHED);
  c.useApplicationKeys("write");
  c.useApplicationKeys("read");
  return c;
}

/** The timed cases of one suite: seal on a connected client, open the prepared records on a server. */
function timed(makers: [Row["impl"], Make][], records: Uint8Array[], content: Uint8Array) {
  return makers.flatMap(([impl, make]) => {
    const sealer = connected(make, "client");
    const out = new Uint8Array(TLS_MAX_RECORD);
    let opener = connected(make, "server"),
      next = 0;
    const open = () => {
      if (next === RECORDS) {
        opener.destroy();
        opener = connected(make, "server");
        next = 0;
      }
      return opener.open(records[next++]!, out);
    };
    return [
      { op: "tls-record-seal", impl, size: SIZE, run: () => sealer.seal(23, content, out) },
      { op: "tls-record-open", impl, size: SIZE, run: open },
    ];
  });
}

export const suite: Suite = {
  name: "TID-TLS records (RFC 8446 §5; SM4-GCM, and AES-128-GCM in suite INTL): seal and open of one 16 KiB record on application keys",
  run(opt: BenchOptions, log: (line: string) => void): Row[] {
    const content = bytes(SIZE, 4);
    const scratch = new Uint8Array(TLS_MAX_RECORD);
    // The prepared records of each suite: client → server, sequence numbers 0..RECORDS−1, sealed
    // by both implementations (they must be the same bytes) and opened by both.
    const cases = suites.flatMap((makers) => {
      const sealed = makers.map(([, make]) => {
        const client = connected(make, "client");
        const recs = Array.from({ length: RECORDS }, () => scratch.slice(0, client.seal(23, content, scratch)));
        client.destroy();
        return recs;
      });
      const names = makers.map(([impl]) => impl).join(" and ");
      if (sealed[0]!.some((r, i) => toHex(r) !== toHex(sealed[1]![i]!))) throw new Error(`${names} seal different records`);
      const records = sealed[0]!;
      for (const [impl, make] of makers) {
        const server = connected(make, "server");
        for (const r of records) {
          const o = server.open(r, scratch);
          if (typeof o === "string" || toHex(o.content) !== toHex(content)) throw new Error(`${impl} did not open a record: ${String(o)}`);
        }
        server.destroy();
      }
      log(`  records agree: ${RECORDS} records sealed byte for byte alike and opened by ${names}`);
      return timed(makers, records, content);
    });
    const wasm = TidWasm.create({ build: "release" });
    const gcm = new Sm4Key(wasm, bytes(16, 5));
    const aes = new AesKey(wasm, bytes(16, 5));
    const nonce = bytes(12, 6);
    const rows = measureInTurns(
      [
        { op: "sm4-gcm", impl: "tid-wasm" as const, size: SIZE, run: () => gcm.sealGcm(nonce, content) },
        { op: "aes-128-gcm", impl: "tid-wasm" as const, size: SIZE, run: () => aes.sealGcm(nonce, content) },
        ...cases,
      ],
      opt,
    );
    gcm.destroy();
    aes.destroy();
    return rows;
  },
};
