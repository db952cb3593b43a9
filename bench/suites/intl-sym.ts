// The international suite's symmetric primitives: SHA-256 (FIPS 180-4) and AES-128-GCM
// (FIPS 197, NIST SP 800-38D) on 1 MiB, MB/s. tid-wasm is the release build through its raw
// exports (there is no TypeScript binding yet): each call copies the input into grown memory,
// runs sha256_digest / aes_gcm_seal (key set once in a handle) and copies the result out, as a
// binding would; tid-wasm-portable is the same on build/portable.wasm (no SIMD). Peers:
// node:crypto (OpenSSL 3, createHash / createCipheriv per call, as a user would) and noble
// (@noble/hashes sha256, @noble/ciphers gcm: portable JavaScript, the peers a browser or an
// embedded JS runtime has). Every output is compared with node:crypto's before anything is timed;
// the ratios printed are against noble, the suite's targets.
import { createCipheriv, createHash } from "node:crypto";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { gcm as nobleGcm } from "@noble/ciphers/aes.js";
import { deterministicBytes as bytes, measureInTurns, type BenchOptions, type Row, type Suite } from "../harness.js";
import { TidWasm, type WasmBuild } from "../../bindings/wasm.js";
import { toHex } from "../../reference/bytes.js";

const MiB = 1048576;

/** An instance with the AES key in handle 0 and room for 1 MiB in, 1 MiB out (grown pages). */
function wasmPeer(build: WasmBuild, key: Uint8Array, iv: Uint8Array) {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const base = wasm.memory.grow((2 * MiB) / 65536 + 2) * 65536;
  const KEY = base,
    IV = base + 16,
    OUT = base + 64,
    IN = base + 64 + MiB + 16;
  wasm.bytes().set(key, KEY);
  if (x.aes_key_set!(0, KEY) !== 0) throw new Error("aes_key_set failed");
  wasm.bytes().fill(0, KEY, KEY + 16);
  return {
    sha256(data: Uint8Array): Uint8Array {
      wasm.bytes().set(data, IN);
      if (x.sha256_digest!(IN, data.length, OUT) !== 0) throw new Error("sha256_digest failed");
      return wasm.bytes().slice(OUT, OUT + 32);
    },
    /** ciphertext ‖ tag, as noble returns it: the tag cell is placed right after the ciphertext */
    gcmSeal(data: Uint8Array): Uint8Array {
      const heap = wasm.bytes();
      heap.set(data, IN);
      heap.set(iv, IV);
      const tag = OUT + data.length;
      if (x.aes_gcm_seal!(0, IV, 12, IV, 0, IN, OUT, data.length, tag) !== 0) throw new Error("aes_gcm_seal failed");
      return heap.slice(OUT, tag + 16);
    },
  };
}

export const suite: Suite = {
  name: "International symmetric (SHA-256, AES-128-GCM): 1 MiB throughput against node:crypto and noble",
  targets: [
    { op: "sha256", size: MiB, metric: "mbps", peer: "noble", atLeast: 1.5 },
    { op: "aes-128-gcm", size: MiB, metric: "mbps", peer: "noble", atLeast: 2.0 },
  ],
  run(opt: BenchOptions, log: (line: string) => void): Row[] {
    const data = bytes(MiB, 41),
      key = bytes(16, 42),
      iv = bytes(12, 43);
    const release = wasmPeer("release", key, iv);
    const portable = wasmPeer("portable", key, iv);
    const nodeGcm = (d: Uint8Array) => {
      const c = createCipheriv("aes-128-gcm", key, iv);
      const a = c.update(d);
      c.final();
      return Buffer.concat([a, c.getAuthTag()]);
    };
    const cases: { op: string; impl: Row["impl"]; size: number; run: () => Uint8Array }[] = [
      { op: "sha256", impl: "tid-wasm", size: MiB, run: () => release.sha256(data) },
      { op: "sha256", impl: "tid-wasm-portable", size: MiB, run: () => portable.sha256(data) },
      { op: "sha256", impl: "node:crypto", size: MiB, run: () => createHash("sha256").update(data).digest() },
      { op: "sha256", impl: "noble", size: MiB, run: () => nobleSha256(data) },
      { op: "aes-128-gcm", impl: "tid-wasm", size: MiB, run: () => release.gcmSeal(data) },
      { op: "aes-128-gcm", impl: "tid-wasm-portable", size: MiB, run: () => portable.gcmSeal(data) },
      { op: "aes-128-gcm", impl: "node:crypto", size: MiB, run: () => nodeGcm(data) },
      { op: "aes-128-gcm", impl: "noble", size: MiB, run: () => nobleGcm(key, iv).encrypt(data) },
    ];

    // Everyone must agree with node:crypto before anything is timed.
    const want = new Map(cases.filter((c) => c.impl === "node:crypto").map((c) => [c.op, toHex(c.run())]));
    for (const c of cases) if (toHex(c.run()) !== want.get(c.op)) throw new Error(`${c.op}: ${c.impl} disagrees with node:crypto`);
    log(`  outputs agree (${cases.length} cases)`);

    const rows = measureInTurns(cases, opt);
    for (const op of ["sha256", "aes-128-gcm"]) {
      const fig = (impl: string) => rows.find((r) => r.op === op && r.impl === impl)!;
      const mine = fig("tid-wasm"),
        noble = fig("noble"),
        node = fig("node:crypto"),
        port = fig("tid-wasm-portable");
      log(
        `  ${op} 1 MiB: tid-wasm ${(mine.mbps / noble.mbps).toFixed(2)}x noble (${mine.mbps.toFixed(1)} vs ${noble.mbps.toFixed(1)} MB/s), ` +
          `${(mine.mbps / node.mbps).toFixed(2)}x node:crypto (${node.mbps.toFixed(1)} MB/s); portable ${(port.mbps / noble.mbps).toFixed(2)}x noble; ` +
          `by process CPU time ${(Number(mine.extra!.cpuMbps) / Number(noble.extra!.cpuMbps)).toFixed(2)}x noble`,
      );
    }
    return rows;
  },
};
