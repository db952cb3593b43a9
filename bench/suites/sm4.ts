// SM4 benchmark (GB/T 32907-2016): tid-wasm (release build, public Sm4Key API, key set once)
// against node:crypto (OpenSSL 3, a new cipher per call as a user would), sm-crypto-v2 and
// sm-crypto (their one-shot APIs). Bulk rows: ECB/CBC/CTR/GCM encryption and CBC decryption on
// 1 MiB, no padding (MB/s). Small rows: one ECB message of 16, 64 and 256 bytes, no padding (µs
// per call). Every implementation's output is compared with tid-wasm's before anything is timed.
// tid-wasm-portable rows: the same API on build/portable.wasm (no SIMD: the bitsliced scalar
// kernels), to show what a host without wasm SIMD pays.
import { createCipheriv, createDecipheriv } from "node:crypto";
import { createRequire } from "node:module";
import { sm4 as smv2 } from "sm-crypto-v2";
import { deterministicBytes as bytes, measureInTurns, type BenchOptions, type Row, type Suite } from "../harness.js";
import { Sm4Key } from "../../bindings/sm4.js";
import { TidWasm } from "../../bindings/wasm.js";
import { toHex } from "../../reference/bytes.js";

interface SmCryptoSm4 {
  encrypt(
    data: Uint8Array | number[],
    key: Uint8Array | number[],
    options: { mode?: "ecb" | "cbc"; iv?: Uint8Array | number[]; padding?: "none" | "pkcs#7"; output: "array" },
  ): number[];
}
const smCrypto = (createRequire(import.meta.url)("sm-crypto") as { sm4: SmCryptoSm4 }).sm4;

const MiB = 1048576;

function nodeOnce(mode: "ecb" | "cbc" | "ctr", key: Uint8Array, iv: Uint8Array | null, data: Uint8Array, decrypt = false): Buffer {
  const c = (decrypt ? createDecipheriv : createCipheriv)(`sm4-${mode}`, key, iv);
  c.setAutoPadding(false);
  const a = c.update(data);
  const b = c.final();
  return b.length ? Buffer.concat([a, b]) : a;
}

/**
 * A release instance with one key in handle 0 and 1 MiB of pages grown for the data. Each
 * `pass(f)` is a case: its first call copies the input in, runs f once and returns that output
 * (for the cross-check); later calls run only f, in place, on what is already there.
 */
function inMemory(key: Uint8Array) {
  const wasm = TidWasm.create({ build: "release" });
  const x = wasm.exports;
  const heap = () => new Uint8Array(wasm.memory.buffer);
  const base = wasm.memory.grow(MiB / 65536 + 1) * 65536;
  heap().set(key, base);
  if (x.sm4_key_set!(0, base) !== 0) throw new Error("sm4_key_set failed");
  const ivCell = base + 16,
    data = base + 64;
  const call = (f: (h: number, p: number, n: number) => number, n: number) => {
    if (f(0, data, n) !== 0) throw new Error("in-memory SM4 call failed");
  };
  return {
    x,
    iv(iv: Uint8Array): number {
      heap().set(iv, ivCell);
      return ivCell;
    },
    pass(f: (h: number, p: number, n: number) => number): (d: Uint8Array) => Uint8Array {
      let first = true;
      return (d) => {
        if (first) {
          first = false;
          heap().set(d, data);
          call(f, d.length);
          return heap().slice(data, data + d.length);
        }
        call(f, d.length);
        return heap().subarray(data, data + d.length);
      };
    },
  };
}

type Op = "sm4-ecb" | "sm4-cbc" | "sm4-cbc-decrypt" | "sm4-ctr" | "sm4-gcm";
type Impl = Row["impl"];

export const suite: Suite = {
  name: "SM4 (GB/T 32907-2016): 1 MiB throughput, and one ECB message of 16/64/256 B (key already set)",
  targets: [
    { op: "sm4-ctr", size: MiB, metric: "mbps", peer: "node:crypto", atLeast: 3.0 },
    { op: "sm4-ecb", size: MiB, metric: "mbps", peer: "node:crypto", atLeast: 2.5 },
    { op: "sm4-gcm", size: MiB, metric: "mbps", peer: "node:crypto", peerOp: "sm4-ctr", atLeast: 1.5 },
    { op: "sm4-ecb", size: 64, metric: "us", peer: "node:crypto", atMost: 0.25 },
  ],
  run(opt: BenchOptions, log: (line: string) => void): Row[] {
    const wasm = TidWasm.create({ build: "release" });
    const key = bytes(16, 1),
      iv = bytes(16, 2),
      nonce = iv.subarray(0, 12);
    const k = new Sm4Key(wasm, key);
    const kp = new Sm4Key(TidWasm.create({ build: "portable" }), key);
    const rows: Row[] = [];

    // [op, impl, size, run]: run() returns the output (ciphertext, or ciphertext ‖ tag for GCM)
    const cases: [Op, Impl, number, (d: Uint8Array) => Uint8Array | number[]][] = [];
    const bulk = (op: Op, impl: Impl, f: (d: Uint8Array) => Uint8Array | number[]) => cases.push([op, impl, MiB, f]);
    bulk("sm4-ecb", "tid-wasm", (d) => k.encryptEcb(d, { padding: "none" }));
    bulk("sm4-ecb", "node:crypto", (d) => nodeOnce("ecb", key, null, d));
    bulk("sm4-ecb", "sm-crypto-v2", (d) => smv2.encrypt(d, key, { padding: "none", output: "array" }));
    bulk("sm4-ecb", "sm-crypto", (d) => smCrypto.encrypt(d, key, { padding: "none", output: "array" }));
    bulk("sm4-cbc", "tid-wasm", (d) => k.encryptCbc(iv, d, { padding: "none" }));
    bulk("sm4-cbc", "node:crypto", (d) => nodeOnce("cbc", key, iv, d));
    bulk("sm4-cbc", "sm-crypto-v2", (d) => smv2.encrypt(d, key, { mode: "cbc", iv, padding: "none", output: "array" }));
    bulk("sm4-cbc", "sm-crypto", (d) => smCrypto.encrypt(d, key, { mode: "cbc", iv, padding: "none", output: "array" }));
    // CBC encryption is one block after another; decryption runs blocks side by side
    bulk("sm4-cbc-decrypt", "tid-wasm", (d) => k.decryptCbc(iv, d, { padding: "none" }));
    bulk("sm4-cbc-decrypt", "node:crypto", (d) => nodeOnce("cbc", key, iv, d, true));
    bulk("sm4-ctr", "tid-wasm", (d) => k.ctr(iv, d));
    bulk("sm4-ctr", "node:crypto", (d) => nodeOnce("ctr", key, iv, d));
    // the same core without the public API's copies: the raw exports on data already in linear
    // memory (a page range the host grew for itself), in place, as a C or embedded host uses it
    const raw = inMemory(key);
    bulk(
      "sm4-ecb",
      "tid-wasm-in-memory",
      raw.pass((h, p, n) => raw.x.sm4_ecb_encrypt!(h, p, p, n)),
    );
    bulk(
      "sm4-ctr",
      "tid-wasm-in-memory",
      raw.pass((h, p, n) => raw.x.sm4_ctr!(h, raw.iv(iv), p, p, n, 128)),
    );
    // OpenSSL 3.0 has no SM4-GCM: no node:crypto row for it
    bulk("sm4-gcm", "tid-wasm", (d) => k.sealGcm(nonce, d));
    bulk("sm4-gcm", "sm-crypto-v2", (d) => {
      const r = smv2.encrypt(d, key, { mode: "gcm", iv: nonce, output: "array", outputTag: true });
      const out = new Uint8Array(r.output.length + 16);
      out.set(r.output);
      out.set(r.tag!, r.output.length);
      return out;
    });
    bulk("sm4-ecb", "tid-wasm-portable", (d) => kp.encryptEcb(d, { padding: "none" }));
    bulk("sm4-cbc", "tid-wasm-portable", (d) => kp.encryptCbc(iv, d, { padding: "none" }));
    bulk("sm4-cbc-decrypt", "tid-wasm-portable", (d) => kp.decryptCbc(iv, d, { padding: "none" }));
    bulk("sm4-ctr", "tid-wasm-portable", (d) => kp.ctr(iv, d));
    bulk("sm4-gcm", "tid-wasm-portable", (d) => kp.sealGcm(nonce, d));
    for (const size of [16, 64, 256]) {
      cases.push(["sm4-ecb", "tid-wasm", size, (d) => k.encryptEcb(d, { padding: "none" })]);
      cases.push(["sm4-ecb", "tid-wasm-portable", size, (d) => kp.encryptEcb(d, { padding: "none" })]);
      cases.push(["sm4-ecb", "node:crypto", size, (d) => nodeOnce("ecb", key, null, d)]);
      cases.push(["sm4-ecb", "sm-crypto-v2", size, (d) => smv2.encrypt(d, key, { padding: "none", output: "array" })]);
      cases.push(["sm4-ecb", "sm-crypto", size, (d) => smCrypto.encrypt(d, key, { padding: "none", output: "array" })]);
    }

    // every output must equal tid-wasm's (and tid-wasm's CTR/ECB/CBC equal OpenSSL's) first
    const inputs = new Map<number, Uint8Array>();
    const input = (n: number) => inputs.get(n) ?? (inputs.set(n, bytes(n, n)), inputs.get(n)!);
    const reference = new Map<string, string>();
    for (const [op, impl, size, run] of cases) {
      const got = toHex(run(input(size)));
      const id = `${op}/${size}`;
      const ref = reference.get(id);
      if (ref === undefined) reference.set(id, got);
      else if (ref !== got) throw new Error(`${impl} ${op} on ${size} B disagrees with tid-wasm`);
    }
    log(`  outputs agree: ${cases.length} cases (ECB/CBC/CTR vs OpenSSL, GCM vs sm-crypto-v2)`);

    rows.push(
      ...measureInTurns(
        cases.map(([op, impl, size, run]) => {
          const d = input(size);
          return { op, impl, size, run: () => run(d) };
        }),
        opt,
      ),
    );
    k.destroy();
    kp.destroy();
    return rows;
  },
};
