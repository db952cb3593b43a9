// Constant-time memory access, proved by recording it: build/release.wasm (and portable.wasm) is
// instrumented with binaryen's --instrument-memory (plus memory.copy/fill lowered to plain byte
// loops and --log-execution for function entries and loop heads; see test/support/memory-trace.ts
// for what is and is not seen), and every call that handles a secret is traced under several
// secrets of the same size. The traces — every load and store address and size, every function
// entry and loop iteration, in order — must be identical: then no cache line, page or branch the
// module takes depends on the secret.
//   - SM4: the key schedule, ECB and CBC (both ways), CTR (32- and 128-bit counters), GCM seal and
//     open (good tags, and bad tags wrong in the first or the last byte), and CMAC; keys and data
//     change together, lengths 16 … 1024 bytes;
//   - GHASH through GCM: different keys (so different H) with the same data, and the same key with
//     different AAD and data;
//   - SM3 where it is keyed: HMAC-SM3 under different keys, the KDF over different secrets Z;
//   - AES-128 (bitsliced in both builds): the key expansion, ECB and CBC (both ways), CTR (32- and
//     128-bit counters), GCM seal and open (good tags, and bad tags wrong in the first or the last
//     byte), the GCM stream, and PKCS#7 unpadding (per padding length); keys and data change
//     together, lengths 16 … 1029 bytes;
//   - SHA-256 where it is keyed: HMAC-SHA-256 under different keys, the X9.63 KDF over different Z;
//   - TID-TLS in both suites (SM: HKDF-SM3, SM4-GCM; INTL: HKDF-SHA-256, AES-128-GCM with the key
//     expanded per record): HKDF extract / expand / expand-label under different secrets, a context's whole
//     key schedule (open, binder, handshake secrets, Finished, application secrets, KeyUpdate) under
//     different PSKs, keying from a session slot (the token recovered from the SM4 schedule), binder
//     and Finished checks wrong in the first or last byte, record seal and open (good tags, and
//     tags broken in the header, body or tag) under different keys and content;
//   - SM2: key generation (d from the `random` import), public key from private, ECDH (different d
//     for one peer, and different peers for one d), signing (different d, nonce k, digest, message),
//     encryption's nonce and decryption's key; edge scalars included (1, 2, n − 2, n − 1 for k,
//     2^255 ± 1, a scalar of all-maximal Booth digits) since they take the rare paths of the
//     recoding. Verification handles public data only and is variable-time by design: not here.
// Each call first runs once unrecorded (the SM2 fixed-base table is built on first use), then each
// secret's run is recorded from the same module state. A self-test shows the harness does catch a
// secret-indexed table lookup, a v128 load at a secret address, a secret-length memory.copy and a
// secret branch, and that instrumentation refuses a module with a memory access it cannot see.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  assertSameTraces,
  compareTraces,
  functionNamesFromWat,
  instrument,
  instrumentText,
  LOAD,
  STORE,
  TracedInstance,
  type Instrumented,
  type Trace,
  type WasmFn,
} from "../support/memory-trace.js";

// The proof runs on build/release.wasm and on build/portable.wasm (no SIMD: its own bitsliced
// scalar SM4, scalar SM3 byte swaps and SM2 table scans). TID_CT_WASM=path/to/other.wasm runs it
// on that build only (e.g. an older one, to see how it fails); function names come from the .wat
// beside the binary when there is one.
const CT_BUILDS = (
  process.env.TID_CT_WASM
    ? [process.env.TID_CT_WASM]
    : ["release", "portable"].map((b) => fileURLToPath(new URL(`../../build/${b}.wasm`, import.meta.url)))
).map((file) => ({ file, name: basename(file) }));

/** The status table, read from its one source. */
const STATUS_TS = readFileSync(new URL("../../assembly/status.ts", import.meta.url), "utf8");
const status = (name: string): number => Number(new RegExp(`export const ${name}: i32 = (-?\\d+);`).exec(STATUS_TS)![1]);
const OK = status("OK");
const ERR_VERIFY_FAILED = status("ERR_VERIFY_FAILED");
const ERR_SE_NOT_CONFIGURED = status("ERR_SE_NOT_CONFIGURED");

/** Deterministic bytes for a label (SHA-256 in counter mode). */
function det(label: string, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0, ctr = 0; i < len; ctr++) {
    const block = createHash("sha256").update(`${label}/${ctr}`).digest();
    out.set(block.subarray(0, Math.min(32, len - i)), i);
    i += 32;
  }
  return out;
}

const n = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const be32 = (v: bigint): Uint8Array => Uint8Array.from(Buffer.from(v.toString(16).padStart(64, "0"), "hex"));
const bigOf = (b: Uint8Array): bigint => BigInt("0x" + Buffer.from(b).toString("hex"));
/** A scalar in [1, n − 2] from a label. */
const randomScalar = (label: string): bigint => (bigOf(det(label, 32)) % (n - 2n)) + 1n;
/** Private keys: edge cases of the Booth recoding and of the n − k flip, and ordinary ones. */
const PRIVATE_KEYS: [string, bigint][] = [
  ["d = 1", 1n],
  ["d = 2", 2n],
  ["d = n − 2", n - 2n],
  ["d = 2^255 − 1", (1n << 255n) - 1n],
  ["d = 2^255 + 1", (1n << 255n) + 1n],
  ["d = 0x8888…8", BigInt("0x" + "8".repeat(64)) % n],
  ["d random 1", randomScalar("d1")],
  ["d random 2", randomScalar("d2")],
];
/** P-256's group order (SEC 2 §2.4.2) and its private keys, edge cases as above. */
const n256 = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const scalar256 = (label: string): bigint => (bigOf(det(label, 32)) % (n256 - 1n)) + 1n;
const P256_KEYS: [string, bigint][] = [
  ["d = 1", 1n],
  ["d = n − 1", n256 - 1n],
  ["d = 2^255 − 1", (1n << 255n) - 1n],
  ["d = 2^255 + 1", (1n << 255n) + 1n],
  ["d random 1", scalar256("p256 d1")],
  ["d random 2", scalar256("p256 d2")],
];
/** Signature nonces: k ∈ [1, n − 1]. */
const NONCES: [string, bigint][] = [
  ["k = 1", 1n],
  ["k = n − 1", n - 1n],
  ["k = 2^255", 1n << 255n],
  ["k random 1", randomScalar("k1")],
  ["k random 2", randomScalar("k2")],
];

let inst: Instrumented;
let mod: TracedInstance;
let x: Record<string, WasmFn>;
/** Byte strings the `random` import hands out in turn; when empty it hands out deterministic bytes. */
const randomQueue: Uint8Array[] = [];
let randomCounter = 0;

// Host-region layout (the module never touches that region on its own: docs/abi.md "Memory map").
let HOST = 0;
const at = (off: number) => HOST + off;
const KEY = 0,
  IV = 32,
  CTR = 64,
  TAG = 96,
  X_CELL = 128,
  LEN_CELL = 160,
  AAD = 256,
  D = 512,
  PUB = 576,
  PEER = 640,
  E = 704,
  SIG = 768,
  ID = 832,
  INP = 1024,
  OUT = 4096,
  MSG = 8192;

const put = (off: number, bytes: Uint8Array) => mod.bytes().set(bytes, at(off));
const get = (off: number, len: number) => mod.bytes().slice(at(off), at(off) + len);

interface Run {
  label: string;
  /** Put this run's inputs in memory (not recorded). */
  setup: () => void;
  /** The recorded call(s); returns the status. */
  call: () => number;
}

interface Traced {
  label: string;
  trace: Trace;
  status: number;
}

/** Warm up once with the first run, then record every run; every call must return `expected`. */
function traceRuns(runs: Run[], expected = OK): Traced[] {
  runs[0]!.setup();
  expect(runs[0]!.call(), `${runs[0]!.label} (warm-up)`).toBe(expected);
  return runs.map((r) => {
    r.setup();
    let st = NaN;
    const trace = mod.record(() => {
      st = r.call();
    });
    expect(st, r.label).toBe(expected);
    return { label: r.label, trace, status: st };
  });
}

/** The traces must all be identical, non-trivial, and (when given) read the secret from where it was put. */
function expectConstantTime(traced: Traced[], secretAt?: { off: number; len: number }): void {
  for (const t of traced) {
    expect(t.trace.length, `${t.label}: trace length`).toBeGreaterThan(100);
    if (secretAt) expect(t.trace.touches(at(secretAt.off), secretAt.len, LOAD), `${t.label} reads its secret`).toBe(true);
  }
  assertSameTraces(traced, inst);
}

describe.each(CT_BUILDS)("$name", ({ file }) => {
  beforeAll(() => {
    const wat = file.replace(/\.wasm$/, ".wat");
    const names = existsSync(wat) ? functionNamesFromWat(readFileSync(wat, "utf8")) : undefined;
    inst = instrument(readFileSync(file), names);
    mod = new TracedInstance(inst, {
      random: (ptr, len) => {
        const next = randomQueue.shift() ?? det(`random/${randomCounter++}`, len);
        if (next.length !== len) throw new Error(`random: asked for ${len} bytes, the test queued ${next.length}`);
        mod.bytes().set(next, ptr);
        return 0;
      },
      now: () => 1_700_000_000n,
      transceive: () => ERR_SE_NOT_CONFIGURED,
    });
    x = mod.exports;
    HOST = x.tid_host_ptr!();
    expect(x.tid_host_cap!()).toBeGreaterThan(MSG + 2048);
  });

  describe("the instrumentation", () => {
    it("sees every load and store of the module and answers every import it adds", () => {
      // instrument() throws when some access is not wrapped by a hook; these are sanity figures
      expect(inst.memSiteCount).toBeGreaterThan(1000);
      const names = WebAssembly.Module.imports(inst.module).map((i) => i.name);
      expect(names).toEqual(expect.arrayContaining(["load_ptr", "store_ptr", "log_execution", "random", "now", "transceive"]));
    });

    const SELF_TEST = `(module
    (memory (export "memory") 1)
    (func $leaf (result i32) (i32.const 7))
    ;; a byte table read at a secret index: the classic leak
    (func (export "lookup") (param $s i32) (result i32)
      (i32.load8_u offset=256 (i32.and (local.get $s) (i32.const 255))))
    ;; the same lookup in constant time: every entry read, one kept by mask
    (func (export "scan") (param $s i32) (result i32) (local $j i32) (local $acc i32)
      (loop $l
        (local.set $acc (i32.or (local.get $acc)
          (i32.and (i32.load8_u offset=256 (local.get $j))
                   (i32.sub (i32.const 0) (i32.eq (local.get $j) (i32.and (local.get $s) (i32.const 255)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $j) (i32.const 256))))
      (local.get $acc))
    ;; a v128 load, and a 32-bit splat load, at a secret address
    (func (export "lookup_v128") (param $s i32) (result i32)
      (i32x4.extract_lane 0 (v128.load offset=256 (i32.shl (i32.and (local.get $s) (i32.const 15)) (i32.const 4)))))
    (func (export "lookup_splat") (param $s i32) (result i32)
      (i32x4.extract_lane 1 (v128.load32_splat offset=256 (i32.shl (i32.and (local.get $s) (i32.const 15)) (i32.const 2)))))
    ;; a bulk copy of secret length
    (func (export "copy") (param $s i32) (result i32)
      (memory.copy (i32.const 1024) (i32.const 256) (i32.and (local.get $s) (i32.const 63)))
      (i32.const 0))
    ;; a branch on a secret bit that touches no memory but calls a function
    (func (export "branch") (param $s i32) (result i32)
      (if (result i32) (i32.and (local.get $s) (i32.const 1)) (then (call $leaf)) (else (i32.const 7)))))`;

    it("catches secret-dependent accesses (self-test on a small module)", () => {
      const self = instrumentText(SELF_TEST);
      const m = new TracedInstance(self);
      const ex = m.exports;
      m.bytes().set(det("table", 256), 256);
      const traceOf = (name: string, s: number) => m.record(() => void ex[name]!(s));
      for (const leaky of ["lookup", "lookup_v128", "lookup_splat", "copy", "branch"]) {
        const a = traceOf(leaky, 3);
        const b = traceOf(leaky, 4);
        const diff = compareTraces(`${leaky}(3)`, a, `${leaky}(4)`, b, self);
        expect(diff, leaky).not.toBeNull();
        expect(diff).toMatch(/first at event \d+/);
      }
      // the constant-time scan: 256 loads, the same whatever the index
      const scans = [0, 3, 200, 255].map((s) => ({ label: `scan(${s})`, trace: traceOf("scan", s) }));
      expect(scans[0]!.trace.count(LOAD)).toBe(256);
      assertSameTraces(scans, self);
      // the report names the access and both addresses
      const msg = compareTraces("lookup(3)", traceOf("lookup", 3), "lookup(4)", traceOf("lookup", 4), self)!;
      expect(msg).toContain("load #");
      expect(msg).toContain("i32.load8_u");
      expect(msg).toContain("at 0x103");
      expect(msg).toContain("at 0x104");
      expect(traceOf("copy", 5).count(STORE)).toBe(5); // memory.copy seen byte by byte
    });

    it("refuses a module with a memory access the trace would not see", () => {
      const lane = `(module (memory 1)
      (func (export "f") (param i32) (result i32)
        (i32x4.extract_lane 0 (v128.load32_lane 0 (local.get 0) (v128.const i32x4 0 0 0 0)))))`;
      expect(() => instrumentText(lane)).toThrow(/v128\.load32_lane/);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // SM4

  const SM4_KEYS: [string, Uint8Array][] = [
    ["key A", det("sm4 key A", 16)],
    ["key B", det("sm4 key B", 16)],
    ["key 00…00", new Uint8Array(16)],
    ["key ff…ff", new Uint8Array(16).fill(0xff)],
  ];

  /** One run per key, each with its own data (`len` bytes at INP) and AAD / IV as the mode needs. */
  function sm4Runs(len: number, call: () => number, extra?: (i: number) => void): Run[] {
    return SM4_KEYS.map(([label, key], i) => ({
      label: `${label}, data ${i}`,
      setup: () => {
        put(KEY, key);
        expect(x.sm4_key_set!(0, at(KEY))).toBe(OK);
        put(INP, det(`data ${i}`, len));
        extra?.(i);
      },
      call,
    }));
  }

  describe("SM4: the same memory-access trace for every key and every data of one length", () => {
    it("sm4_key_set (the key schedule, and the GCM hash key H = E_K(0))", () => {
      const runs = SM4_KEYS.map(([label, key]) => ({
        label,
        setup: () => put(KEY, key),
        call: () => x.sm4_key_set!(0, at(KEY)),
      }));
      expectConstantTime(traceRuns(runs), { off: KEY, len: 16 });
    });

    for (const len of [16, 64, 1024]) {
      it(`ECB encrypt and decrypt, ${len} bytes`, () => {
        expectConstantTime(traceRuns(sm4Runs(len, () => x.sm4_ecb_encrypt!(0, at(INP), at(OUT), len))), { off: INP, len });
        expectConstantTime(traceRuns(sm4Runs(len, () => x.sm4_ecb_decrypt!(0, at(INP), at(OUT), len))), { off: INP, len });
      });

      it(`CBC encrypt and decrypt, ${len} bytes`, () => {
        const iv = (i: number) => put(IV, det(`iv ${i}`, 16));
        expectConstantTime(traceRuns(sm4Runs(len, () => x.sm4_cbc_encrypt!(0, at(IV), at(INP), at(OUT), len), iv)), { off: INP, len });
        expectConstantTime(traceRuns(sm4Runs(len, () => x.sm4_cbc_decrypt!(0, at(IV), at(INP), at(OUT), len), iv)), { off: INP, len });
      });
    }

    for (const len of [16, 64, 100, 1024]) {
      it(`CTR, ${len} bytes, 32- and 128-bit counters`, () => {
        // the counter block is public (a nonce); only key and data change
        const ctr = () => put(CTR, Uint8Array.from(Buffer.from("00112233445566778899aabbfffffff0", "hex")));
        for (const bits of [32, 128]) {
          const runs = sm4Runs(len, () => x.sm4_ctr!(0, at(CTR), at(INP), at(OUT), len, bits), ctr);
          expectConstantTime(traceRuns(runs), { off: INP, len });
        }
      });
    }

    const GCM_SIZES: [number, number][] = [
      [0, 16],
      [13, 64],
      [20, 100],
      [16, 1024],
    ];
    const GCM_IV = det("gcm iv", 12); // public, fixed per case

    /** Seal `len` bytes of data i under key i with `aadLen` bytes of AAD i: ciphertext at OUT, tag at TAG. */
    const seal = (aadLen: number, len: number) => x.sm4_gcm_seal!(0, at(IV), 12, at(AAD), aadLen, at(INP), at(OUT), len, at(TAG));

    for (const [aadLen, len] of GCM_SIZES) {
      it(`GCM seal, ${aadLen} bytes of AAD, ${len} bytes of data`, () => {
        const setup = (i: number) => {
          put(IV, GCM_IV);
          put(AAD, det(`aad ${i}`, aadLen));
        };
        expectConstantTime(traceRuns(sm4Runs(len, () => seal(aadLen, len), setup)), { off: INP, len });
      });

      it(`GCM open with the right tag, ${aadLen} bytes of AAD, ${len} bytes of data`, () => {
        // each run opens what its own key sealed (sealed in setup, unrecorded), so every tag verifies
        const setup = (i: number) => {
          put(IV, GCM_IV);
          put(AAD, det(`aad ${i}`, aadLen));
          expect(seal(aadLen, len)).toBe(OK);
          put(INP, get(OUT, len));
        };
        const open = () => x.sm4_gcm_open!(0, at(IV), 12, at(AAD), aadLen, at(INP), at(OUT), len, at(TAG), 16);
        expectConstantTime(traceRuns(sm4Runs(len, open, setup)), { off: INP, len });
      });
    }

    it("GCM open with a wrong tag: the same trace whichever byte of the tag is wrong", () => {
      const len = 64;
      const open = () => x.sm4_gcm_open!(0, at(IV), 12, at(AAD), 16, at(INP), at(OUT), len, at(TAG), 16);
      const runs = [0, 7, 15].flatMap((wrong) =>
        sm4Runs(len, open, (i) => {
          put(IV, GCM_IV);
          put(AAD, det(`aad ${i}`, 16));
          expect(seal(16, len)).toBe(OK);
          put(INP, get(OUT, len));
          const tag = get(TAG, 16);
          tag[wrong]! ^= 0x01;
          put(TAG, tag);
        }).map((r) => ({ ...r, label: `${r.label}, tag byte ${wrong} wrong` })),
      );
      expectConstantTime(traceRuns(runs, ERR_VERIFY_FAILED), { off: INP, len });
    });

    it("GCM streaming: start, aad, encrypt, finish", () => {
      const len = 100;
      const call = () => {
        let st = x.sm4_gcm_start!(0, at(IV), 12);
        if (st === OK) st = x.sm4_gcm_aad!(0, at(AAD), 20);
        if (st === OK) st = x.sm4_gcm_encrypt!(0, at(INP), at(OUT), 64);
        if (st === OK) st = x.sm4_gcm_encrypt!(0, at(INP + 64), at(OUT + 64), len - 64);
        return st === OK ? x.sm4_gcm_finish!(0, at(TAG)) : st;
      };
      const setup = (i: number) => {
        put(IV, GCM_IV);
        put(AAD, det(`aad ${i}`, 20));
      };
      expectConstantTime(traceRuns(sm4Runs(len, call, setup)), { off: INP, len });
    });

    for (const len of [16, 64, 100]) {
      it(`CMAC over ${len} bytes (update + final), and verify against wrong MACs`, () => {
        const whole = len > 16 ? (len - 1) & ~15 : 0; // the last piece keeps 1..16 bytes
        const mac = () => {
          const st = whole > 0 ? x.sm4_cmac_update!(0, at(X_CELL), at(INP), whole) : OK;
          return st === OK ? x.sm4_cmac_final!(0, at(X_CELL), at(INP + whole), len - whole, at(TAG)) : st;
        };
        const zeroCell = () => put(X_CELL, new Uint8Array(16));
        expectConstantTime(traceRuns(sm4Runs(len, mac, zeroCell)), { off: INP, len });

        const verify = () => {
          const st = whole > 0 ? x.sm4_cmac_update!(0, at(X_CELL), at(INP), whole) : OK;
          return st === OK ? x.sm4_cmac_verify!(0, at(X_CELL), at(INP + whole), len - whole, at(TAG), 16) : st;
        };
        const wrongMac = [0, 15].flatMap((wrong) =>
          sm4Runs(len, verify, () => {
            zeroCell();
            expect(mac()).toBe(OK); // the right MAC (unrecorded), then one byte of it wrong
            const tag = get(TAG, 16);
            tag[wrong]! ^= 0x80;
            put(TAG, tag);
            zeroCell();
          }).map((r) => ({ ...r, label: `${r.label}, MAC byte ${wrong} wrong` })),
        );
        expectConstantTime(traceRuns(wrongMac, ERR_VERIFY_FAILED), { off: INP, len });
      });
    }
  });

  describe("GHASH (through GCM): the same trace for every hash key H and every data", () => {
    it("different keys, so different H, over the same AAD and data", () => {
      const len = 256;
      const runs = SM4_KEYS.map(([label, key]) => ({
        label,
        setup: () => {
          put(KEY, key);
          expect(x.sm4_key_set!(0, at(KEY))).toBe(OK);
          put(IV, det("gcm iv", 12));
          put(AAD, det("aad", 32));
          put(INP, det("data", len));
        },
        call: () => x.sm4_gcm_seal!(0, at(IV), 12, at(AAD), 32, at(INP), at(OUT), len, at(TAG)),
      }));
      expectConstantTime(traceRuns(runs), { off: AAD, len: 32 });
    });

    it("one key, different AAD and data of the same lengths (GHASH input only)", () => {
      const len = 256;
      const data: [string, Uint8Array, Uint8Array][] = [
        ["zeros", new Uint8Array(48), new Uint8Array(len)],
        ["ones", new Uint8Array(48).fill(0xff), new Uint8Array(len).fill(0xff)],
        ["random 1", det("aad 1", 48), det("data 1", len)],
        ["random 2", det("aad 2", 48), det("data 2", len)],
      ];
      const runs = data.map(([label, aad, pt]) => ({
        label,
        setup: () => {
          put(KEY, SM4_KEYS[0]![1]);
          expect(x.sm4_key_set!(0, at(KEY))).toBe(OK);
          put(IV, det("gcm iv", 12));
          put(AAD, aad);
          put(INP, pt);
        },
        call: () => x.sm4_gcm_seal!(0, at(IV), 12, at(AAD), 48, at(INP), at(OUT), len, at(TAG)),
      }));
      expectConstantTime(traceRuns(runs), { off: AAD, len: 48 });
    });
  });

  // ---------------------------------------------------------------------------------------------
  // SM3 (keyed uses: HMAC-SM3 with the PSK, the KDF over a shared secret)

  describe("SM3 keyed: the same trace for every key", () => {
    it("hmac_sm3 with different 16-byte keys and 100-byte messages, and sm3_kdf with different Z", () => {
      const hmacRuns = SM4_KEYS.map(([label, key], i) => ({
        label,
        setup: () => {
          put(KEY, key);
          put(MSG, det(`hmac message ${i}`, 100));
        },
        call: () => x.hmac_sm3!(at(KEY), 16, at(MSG), 100, at(OUT)),
      }));
      expectConstantTime(traceRuns(hmacRuns), { off: KEY, len: 16 });
      const kdfRuns = ["Z 1", "Z 2", "Z 3"].map((label) => ({
        label,
        setup: () => put(MSG, det(label, 64)),
        call: () => x.sm3_kdf!(at(MSG), 64, at(OUT), 100),
      }));
      expectConstantTime(traceRuns(kdfRuns), { off: MSG, len: 64 });
    });
  });

  // ---------------------------------------------------------------------------------------------
  // AES-128 (the international suite's block cipher: bitsliced in both builds)

  /** One run per key, each with its own data (`len` bytes at INP) and IV / counter as the mode needs. */
  function aesRuns(len: number, call: () => number, extra?: (i: number) => void): Run[] {
    return SM4_KEYS.map(([label, key], i) => ({
      label: `${label}, data ${i}`,
      setup: () => {
        put(KEY, key);
        expect(x.aes_key_set!(0, at(KEY))).toBe(OK);
        put(INP, det(`aes data ${i}`, len));
        extra?.(i);
      },
      call,
    }));
  }

  describe("AES-128: the same memory-access trace for every key and every data of one length", () => {
    it("the key expansion (run by every call) and one block, under keys of all zeros, all ones and random", () => {
      const runs = SM4_KEYS.map(([label, key]) => ({
        label,
        setup: () => {
          put(KEY, key);
          expect(x.aes_key_set!(0, at(KEY))).toBe(OK);
          put(INP, det("aes one block", 16));
        },
        call: () => x.aes_ecb_encrypt!(0, at(INP), at(OUT), 16),
      }));
      expectConstantTime(traceRuns(runs), { off: INP, len: 16 });
    });

    for (const len of [16, 64, 1024]) {
      it(`ECB and CBC, encrypt and decrypt, ${len} bytes`, () => {
        expectConstantTime(traceRuns(aesRuns(len, () => x.aes_ecb_encrypt!(0, at(INP), at(OUT), len))), { off: INP, len });
        expectConstantTime(traceRuns(aesRuns(len, () => x.aes_ecb_decrypt!(0, at(INP), at(OUT), len))), { off: INP, len });
        const iv = (i: number) => put(IV, det(`aes iv ${i}`, 16));
        expectConstantTime(traceRuns(aesRuns(len, () => x.aes_cbc_encrypt!(0, at(IV), at(INP), at(OUT), len), iv)), { off: INP, len });
        expectConstantTime(traceRuns(aesRuns(len, () => x.aes_cbc_decrypt!(0, at(IV), at(INP), at(OUT), len), iv)), { off: INP, len });
      });

      it(`CTR with 32- and 128-bit counters, ${len + 5} bytes`, () => {
        for (const bits of [32, 128]) {
          const ctr = (i: number) => put(CTR, det(`aes ctr ${i}`, 16));
          expectConstantTime(traceRuns(aesRuns(len + 5, () => x.aes_ctr!(0, at(CTR), at(INP), at(OUT), len + 5, bits), ctr)), {
            off: INP,
            len: len + 5,
          });
        }
      });

      it(`GCM seal and open (good tags, and tags wrong in the first or last byte), ${len} bytes`, () => {
        const setup = (i: number) => {
          put(IV, det(`aes gcm iv ${i}`, 12));
          put(AAD, det(`aes aad ${i}`, 20));
        };
        const seal = () => x.aes_gcm_seal!(0, at(IV), 12, at(AAD), 20, at(INP), at(OUT), len, at(TAG));
        expectConstantTime(traceRuns(aesRuns(len, seal, setup)), { off: INP, len });
        // open what each run's seal produced: seal into INP in place first (not recorded)
        const sealed = (i: number, wrong?: number) => {
          setup(i);
          expect(x.aes_gcm_seal!(0, at(IV), 12, at(AAD), 20, at(INP), at(INP), len, at(TAG))).toBe(OK);
          if (wrong !== undefined) {
            const tag = get(TAG, 16);
            tag[wrong]! ^= 1;
            put(TAG, tag);
          }
        };
        const open = () => x.aes_gcm_open!(0, at(IV), 12, at(AAD), 20, at(INP), at(OUT), len, at(TAG), 16);
        expectConstantTime(traceRuns(aesRuns(len, open, (i) => sealed(i))), { off: INP, len });
        for (const wrong of [0, 15]) {
          expectConstantTime(
            traceRuns(
              aesRuns(len, open, (i) => sealed(i, wrong)),
              ERR_VERIFY_FAILED,
            ),
            { off: INP, len },
          );
        }
      });
    }

    it("the GCM stream (start, AAD, two pieces, finish), 256 bytes", () => {
      const len = 256;
      const setup = (i: number) => {
        put(IV, det(`aes stream iv ${i}`, 12));
        put(AAD, det(`aes stream aad ${i}`, 20));
      };
      const call = () => {
        let st = x.aes_gcm_start!(0, at(IV), 12);
        if (st === OK) st = x.aes_gcm_aad!(0, at(AAD), 20);
        if (st === OK) st = x.aes_gcm_encrypt!(0, at(INP), at(OUT), 64);
        if (st === OK) st = x.aes_gcm_encrypt!(0, at(INP + 64), at(OUT + 64), len - 64);
        return st === OK ? x.aes_gcm_finish!(0, at(TAG)) : st;
      };
      expectConstantTime(traceRuns(aesRuns(len, call, setup)), { off: INP, len });
    });

    it("PKCS#7: CBC decryption under different keys and data, one padding length (the check reads all 16 bytes)", () => {
      // The plaintext length is the result (so the copy of the last block's kept bytes has its
      // length); for one padding length nothing else may differ.
      for (const pad of [1, 16]) {
        const runs = SM4_KEYS.map(([label, key], i) => ({
          label: `${label}, pad ${pad}`,
          setup: () => {
            put(KEY, key);
            expect(x.aes_key_set!(0, at(KEY))).toBe(OK);
            put(IV, det("aes pkcs7 iv", 16));
            put(INP, det(`aes pkcs7 ${i}`, 48 - pad));
            expect(x.aes_cbc_encrypt_pkcs7!(0, at(IV), at(INP), at(INP), 48 - pad)).toBe(OK);
            put(IV, det("aes pkcs7 iv", 16));
          },
          call: () => x.aes_cbc_decrypt_pkcs7!(0, at(IV), at(INP), at(OUT), 48, at(LEN_CELL)),
        }));
        expectConstantTime(traceRuns(runs), { off: INP, len: 48 });
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  // SHA-256 keyed uses: HMAC-SHA-256 and the X9.63 KDF

  describe("SHA-256 keyed: the same trace for every key and secret", () => {
    it("hmac_sha256 with different 16-byte keys and 100-byte messages, and x963_kdf_sha256 with different Z", () => {
      const hmacRuns = SM4_KEYS.map(([label, key], i) => ({
        label,
        setup: () => {
          put(KEY, key);
          put(MSG, det(`hmac-sha256 message ${i}`, 100));
        },
        call: () => x.hmac_sha256!(at(KEY), 16, at(MSG), 100, at(OUT)),
      }));
      expectConstantTime(traceRuns(hmacRuns), { off: KEY, len: 16 });
      const kdfRuns = ["Z 1", "Z 2", "Z 3"].map((label) => ({
        label,
        setup: () => {
          put(MSG, det(label, 32));
          put(AAD, det("shared info", 20));
        },
        call: () => x.x963_kdf_sha256!(at(MSG), 32, at(AAD), 20, at(OUT), 100),
      }));
      expectConstantTime(traceRuns(kdfRuns), { off: MSG, len: 32 });
    });
  });

  // ---------------------------------------------------------------------------------------------
  // TID-TLS in both suites (HKDF over SM3 / SHA-256, the key schedule of a context, record seal and
  // open with SM4-GCM / AES-128-GCM)

  describe.each([
    [0, "SM: HKDF-SM3, SM4-GCM"],
    [1, "INTL: HKDF-SHA-256, AES-128-GCM"],
  ] as const)("TID-TLS suite %i (%s): the same trace for every PSK, secret and record of one length", (suite, _name) => {
    const TLS_KEYS = SM4_KEYS; // four 16-byte PSKs: two random, all zeros, all ones
    const HASH = MSG + 1024,
      MAC = MSG + 1056,
      INFO = MSG + 1088,
      REC = INP,
      LEN = 100;

    it("tid_hkdf_extract_suite, tid_hkdf_expand_suite and tid_hkdf_expand_label_suite under different secrets", () => {
      const extract = TLS_KEYS.map(([label, key]) => ({
        label,
        setup: () => put(KEY, key),
        call: () => x.tid_hkdf_extract_suite!(at(MSG), 32, at(KEY), 16, at(OUT), suite),
      }));
      expectConstantTime(traceRuns(extract), { off: KEY, len: 16 });
      const prks = ["PRK 1", "PRK 2", "PRK 3"];
      const expand = prks.map((label) => ({
        label,
        setup: () => (put(KEY, det(label, 32)), put(AAD, det("info", 20))),
        call: () => x.tid_hkdf_expand_suite!(at(KEY), 32, at(AAD), 20, at(OUT), 100, suite),
      }));
      expectConstantTime(traceRuns(expand), { off: KEY, len: 32 });
      const label = new TextEncoder().encode("c hs traffic");
      const expandLabel = prks.map((l) => ({
        label: l,
        setup: () => (put(KEY, det(l, 32)), put(AAD, label), put(HASH, det("transcript", 32))),
        call: () => x.tid_hkdf_expand_label_suite!(at(KEY), 32, at(AAD), label.length, at(HASH), 32, at(OUT), 32, suite),
      }));
      expectConstantTime(traceRuns(expandLabel), { off: KEY, len: 32 });
    });

    /** Contexts 0 (client) and 1 (server) opened afresh with `key` (unrecorded). */
    const openPair = (key: Uint8Array) => {
      put(KEY, key);
      put(HASH, det("transcript", 32));
      for (const c of [0, 1]) {
        expect(x.tid_tls_close!(c)).toBe(OK);
        expect(x.tid_tls_open_psk_suite!(c, c, at(KEY), 16, suite)).toBe(OK);
      }
    };
    /** Both contexts through the handshake to application keys (unrecorded). */
    const toApplication = () => {
      for (const c of [0, 1]) {
        expect(x.tid_tls_derive_handshake!(c, at(HASH))).toBe(OK);
        expect(x.tid_tls_derive_application!(c, at(HASH))).toBe(OK);
        expect(x.tid_tls_use_application!(c, 0)).toBe(OK);
        expect(x.tid_tls_use_application!(c, 1)).toBe(OK);
      }
    };

    it("the whole key schedule: open, binder, handshake secrets, both Finished, application secrets, switch, KeyUpdate", () => {
      const runs = TLS_KEYS.map(([label, key]) => ({
        label,
        setup: () => {
          put(KEY, key);
          put(HASH, det("transcript", 32));
          expect(x.tid_tls_close!(0)).toBe(OK);
        },
        call: () => {
          const steps = [
            () => x.tid_tls_open_psk_suite!(0, 0, at(KEY), 16, suite),
            () => x.tid_tls_binder!(0, at(HASH), at(MAC)),
            () => x.tid_tls_derive_handshake!(0, at(HASH)),
            () => x.tid_tls_finished!(0, 0, at(HASH), at(MAC)),
            () => x.tid_tls_finished!(0, 1, at(HASH), at(MAC)),
            () => x.tid_tls_derive_application!(0, at(HASH)),
            () => x.tid_tls_use_application!(0, 1),
            () => x.tid_tls_use_application!(0, 0),
            () => x.tid_tls_key_update!(0, 1),
            () => x.tid_tls_close!(0),
          ];
          for (const step of steps) {
            const st = step();
            if (st !== OK) return st;
          }
          return OK;
        },
      }));
      expectConstantTime(traceRuns(runs), { off: KEY, len: 16 });
    });

    // session slots hold SM tokens only (the slot's suite is SM for every token installed today)
    if (suite === 0) {
      it("tid_tls_open_slot: the token recovered from different session slots' key schedules", () => {
        const runs = TLS_KEYS.map(([label, key]) => ({
          label,
          setup: () => {
            expect(x.tid_set_backend!(1)).toBe(OK);
            put(ID, det("tid and psk", 24));
            expect(x.tid_soft_load_identity!(at(ID), 24)).toBe(OK);
            expect(x.tid_client_init!()).toBe(OK);
            put(KEY, key);
            expect(x.tid_client_import_sesskey!(at(KEY), 16, 2)).toBe(OK);
            put(KEY, new Uint8Array(16));
            expect(x.tid_tls_close!(0)).toBe(OK);
          },
          call: () => x.tid_tls_open_slot!(0, 0, 2),
        }));
        expectConstantTime(traceRuns(runs));
        expect(x.tid_close!()).toBe(OK);
      });
    }

    it("tid_tls_verify_binder and tid_tls_verify_finished: the same trace whichever byte is wrong", () => {
      const runs = [0, 31].flatMap((wrong) =>
        TLS_KEYS.slice(0, 2).map(([label, key]) => ({
          label: `${label}, byte ${wrong} wrong`,
          setup: () => {
            openPair(key);
            expect(x.tid_tls_binder!(0, at(HASH), at(MAC))).toBe(OK);
            const m = get(MAC, 32);
            m[wrong]! ^= 1;
            put(MAC, m);
          },
          call: () => x.tid_tls_verify_binder!(1, at(HASH), at(MAC)),
        })),
      );
      expectConstantTime(traceRuns(runs, ERR_VERIFY_FAILED));
      const fin = [0, 31].flatMap((wrong) =>
        TLS_KEYS.slice(0, 2).map(([label, key]) => ({
          label: `${label}, byte ${wrong} wrong`,
          setup: () => {
            openPair(key);
            for (const c of [0, 1]) expect(x.tid_tls_derive_handshake!(c, at(HASH))).toBe(OK);
            expect(x.tid_tls_finished!(1, 1, at(HASH), at(MAC))).toBe(OK);
            const m = get(MAC, 32);
            m[wrong]! ^= 1;
            put(MAC, m);
          },
          call: () => x.tid_tls_verify_finished!(0, 1, at(HASH), at(MAC)),
        })),
      );
      expectConstantTime(traceRuns(fin, ERR_VERIFY_FAILED));
    });

    it(`tid_tls_seal and tid_tls_open (good tag), ${LEN}-byte records, different keys and content`, () => {
      const seal = () => x.tid_tls_seal!(0, 23, at(MSG), LEN, at(REC));
      const sealRuns = TLS_KEYS.map(([label, key], i) => ({
        label,
        setup: () => {
          openPair(key);
          toApplication();
          put(MSG, det(`content ${i}`, LEN));
        },
        call: seal,
      }));
      expectConstantTime(traceRuns(sealRuns), { off: MSG, len: LEN });
      const openRuns = TLS_KEYS.map(([label, key], i) => ({
        label,
        setup: () => {
          openPair(key);
          toApplication();
          put(MSG, det(`content ${i}`, LEN));
          expect(seal()).toBe(OK);
        },
        call: () => x.tid_tls_open!(1, at(REC), LEN + 22, at(OUT), at(INFO)),
      }));
      expectConstantTime(traceRuns(openRuns), { off: REC + 5, len: LEN });
    });

    it("tid_tls_open with a wrong tag: the same trace whichever byte of the record is wrong", () => {
      const runs = [0, 5, LEN + 6, LEN + 21].flatMap((wrong) =>
        TLS_KEYS.slice(0, 2).map(([label, key], i) => ({
          label: `${label}, record byte ${wrong} wrong`,
          setup: () => {
            openPair(key);
            toApplication();
            put(MSG, det(`content ${i}`, LEN));
            expect(x.tid_tls_seal!(0, 23, at(MSG), LEN, at(REC))).toBe(OK);
            const r = get(REC, LEN + 22);
            r[wrong]! ^= 0x40;
            put(REC, r);
          },
          call: () => x.tid_tls_open!(1, at(REC), LEN + 22, at(OUT), at(INFO)),
        })),
      );
      expectConstantTime(traceRuns(runs, ERR_VERIFY_FAILED), { off: REC + 5, len: LEN });
    });
  });

  // ---------------------------------------------------------------------------------------------
  // SM2

  /** The public key x ‖ y of d (computed unrecorded). */
  function publicOf(d: bigint): Uint8Array {
    put(D, be32(d));
    expect(x.sm2_public_from_private!(at(D), at(PUB))).toBe(OK);
    return get(PUB, 64);
  }

  describe("SM2: the same memory-access trace for every secret scalar", () => {
    it("sm2_keygen: d drawn from the random import", () => {
      const runs = PRIVATE_KEYS.map(([label, d]) => ({
        label,
        setup: () => void randomQueue.splice(0, randomQueue.length, be32(d)),
        call: () => x.sm2_keygen!(at(D), at(PUB)),
      }));
      const traced = traceRuns(runs);
      expect(randomQueue).toHaveLength(0);
      expectConstantTime(traced);
    });

    it("sm2_public_from_private", () => {
      const runs = PRIVATE_KEYS.map(([label, d]) => ({
        label,
        setup: () => put(D, be32(d)),
        call: () => x.sm2_public_from_private!(at(D), at(PUB)),
      }));
      expectConstantTime(traceRuns(runs), { off: D, len: 32 });
    });

    it("sm2_ecdh: different private keys, one peer", () => {
      const peer = publicOf(randomScalar("peer"));
      const runs = PRIVATE_KEYS.map(([label, d]) => ({
        label,
        setup: () => {
          put(D, be32(d));
          put(PEER, peer);
        },
        call: () => x.sm2_ecdh!(at(D), at(PEER), at(OUT)),
      }));
      expectConstantTime(traceRuns(runs), { off: D, len: 32 });
    });

    it("sm2_ecdh: one private key, different peers", () => {
      const peers = ["peer 1", "peer 2", "peer 3"].map((l) => [l, publicOf(randomScalar(l))] as const);
      const peers2 = [["peer = G", publicOf(1n)] as const, ...peers];
      const d = randomScalar("ecdh d");
      const runs = peers2.map(([label, peer]) => ({
        label,
        setup: () => {
          put(D, be32(d));
          put(PEER, peer);
        },
        call: () => x.sm2_ecdh!(at(D), at(PEER), at(OUT)),
      }));
      expectConstantTime(traceRuns(runs), { off: D, len: 32 });
    });

    it("sm2_sign_digest: different private keys, nonces and digests", () => {
      const runs: Run[] = [];
      const e0 = det("digest", 32);
      for (const [label, d] of PRIVATE_KEYS) runs.push(signDigestRun(label, d, NONCES[3]![1], e0));
      for (const [label, k] of NONCES) runs.push(signDigestRun(label, PRIVATE_KEYS[6]![1], k, e0));
      for (const i of [1, 2]) runs.push(signDigestRun(`digest ${i}`, PRIVATE_KEYS[6]![1], NONCES[3]![1], det(`digest ${i}`, 32)));
      const traced = traceRuns(runs);
      expect(randomQueue).toHaveLength(0);
      expectConstantTime(traced, { off: D, len: 32 });
    });

    it("sm2_sign: different key pairs, nonces and messages of one length", () => {
      const runs: Run[] = [];
      const msg0 = det("message", 100);
      for (const [label, d] of PRIVATE_KEYS.slice(0, 5)) runs.push(signRun(label, d, NONCES[3]![1], msg0));
      for (const [label, k] of NONCES.slice(0, 3)) runs.push(signRun(label, PRIVATE_KEYS[6]![1], k, msg0));
      runs.push(signRun("message 2", PRIVATE_KEYS[6]![1], NONCES[3]![1], det("message 2", 100)));
      const traced = traceRuns(runs);
      expect(randomQueue).toHaveLength(0);
      expectConstantTime(traced, { off: D, len: 32 });
    });

    it("sm2_encrypt: different nonces k, to one public key", () => {
      const pub = publicOf(randomScalar("enc recipient"));
      const runs = NONCES.map(([label, k]) => ({
        label,
        setup: () => {
          put(PUB, pub);
          put(MSG, det("plaintext", 64));
          randomQueue.splice(0, randomQueue.length, be32(k));
        },
        call: () => x.sm2_encrypt!(at(PUB), at(MSG), 64, at(OUT)),
      }));
      expectConstantTime(traceRuns(runs));
    });

    it("sm2_decrypt: different private keys (each with a ciphertext to it)", () => {
      const runs = PRIVATE_KEYS.map(([label, d], i) => ({
        label,
        setup: () => {
          put(PUB, publicOf(d));
          put(MSG, det(`plaintext ${i}`, 64));
          randomQueue.splice(0, randomQueue.length, be32(randomScalar(`enc k ${i}`)));
          expect(x.sm2_encrypt!(at(PUB), at(MSG), 64, at(INP))).toBe(OK);
          put(D, be32(d));
        },
        call: () => x.sm2_decrypt!(at(D), at(INP), 97 + 64, at(OUT)),
      }));
      expectConstantTime(traceRuns(runs), { off: D, len: 32 });
    });
  });

  function signDigestRun(label: string, d: bigint, k: bigint, e: Uint8Array): Run {
    return {
      label,
      setup: () => {
        put(D, be32(d));
        put(E, e);
        randomQueue.splice(0, randomQueue.length, be32(k));
      },
      call: () => x.sm2_sign_digest!(at(D), at(E), at(SIG)),
    };
  }

  function signRun(label: string, d: bigint, k: bigint, msg: Uint8Array): Run {
    return {
      label,
      setup: () => {
        put(PUB, publicOf(d));
        put(D, be32(d));
        put(ID, det("signer id", 16));
        put(MSG, msg);
        randomQueue.splice(0, randomQueue.length, be32(k));
      },
      call: () => x.sm2_sign!(at(D), at(PUB), at(ID), 16, at(MSG), msg.length, at(SIG)),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // P-256 (the same ec/ code as SM2, the other parameter set)

  /** The P-256 public key x ‖ y of d (computed unrecorded). */
  function publicOf256(d: bigint): Uint8Array {
    put(D, be32(d));
    expect(x.p256_public_from_private!(at(D), at(PUB))).toBe(OK);
    return get(PUB, 64);
  }

  describe("P-256: the same memory-access trace for every secret scalar", () => {
    it("p256_keygen: d drawn from the random import", () => {
      const runs = P256_KEYS.map(([label, d]) => ({
        label,
        setup: () => void randomQueue.splice(0, randomQueue.length, be32(d)),
        call: () => x.p256_keygen!(at(D), at(PUB)),
      }));
      const traced = traceRuns(runs);
      expect(randomQueue).toHaveLength(0);
      expectConstantTime(traced);
    });

    it("p256_ecdh: different private keys, one peer; one private key, different peers", () => {
      const peer = publicOf256(scalar256("p256 peer"));
      const runs: Run[] = P256_KEYS.map(([label, d]) => ({
        label,
        setup: () => {
          put(D, be32(d));
          put(PEER, peer);
        },
        call: () => x.p256_ecdh!(at(D), at(PEER), at(OUT)),
      }));
      expectConstantTime(traceRuns(runs), { off: D, len: 32 });
      const d = scalar256("p256 ecdh d");
      const peers = [["peer = G", publicOf256(1n)] as const, ...["p1", "p2"].map((l) => [l, publicOf256(scalar256(l))] as const)];
      const runs2: Run[] = peers.map(([label, q]) => ({
        label,
        setup: () => {
          put(D, be32(d));
          put(PEER, q);
        },
        call: () => x.p256_ecdh!(at(D), at(PEER), at(OUT)),
      }));
      expectConstantTime(traceRuns(runs2), { off: D, len: 32 });
    });

    it("ecdsa_p256_sign_digest: different private keys, nonces and digests", () => {
      const run = (label: string, d: bigint, k: bigint, e: Uint8Array): Run => ({
        label,
        setup: () => {
          put(D, be32(d));
          put(E, e);
          randomQueue.splice(0, randomQueue.length, be32(k));
        },
        call: () => x.ecdsa_p256_sign_digest!(at(D), at(E), at(SIG)),
      });
      const e0 = det("p256 digest", 32);
      const runs: Run[] = P256_KEYS.map(([label, d]) => run(label, d, scalar256("p256 k"), e0));
      for (const [label, k] of [
        ["k = 1", 1n],
        ["k = n − 1", n256 - 1n],
        ["k = 2^255", 1n << 255n],
      ] as const) {
        runs.push(run(label, P256_KEYS[4]![1], k, e0));
      }
      runs.push(run("digest 2", P256_KEYS[4]![1], scalar256("p256 k"), det("p256 digest 2", 32)));
      const traced = traceRuns(runs);
      expect(randomQueue).toHaveLength(0);
      expectConstantTime(traced, { off: D, len: 32 });
    });
  });
});
