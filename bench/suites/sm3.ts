// SM3 benchmark (GB/T 32905-2016) and HMAC-SM3 (RFC 2104): tid-wasm (release build, the public
// bindings/sm3 API: input copied into the module, 32-byte result copied out) against node:crypto
// (OpenSSL 3: createHash("sm3") / createHmac("sm3") per call, as a user would), sm-crypto-v2
// (sm3(Uint8Array) → hex) and sm-crypto (sm3(number[]) → hex; its best input form: it converts
// anything else to a plain array first). Rows: SM3 on 1 MiB (MB/s), SM3 and HMAC-SM3 on one
// 64-byte message (µs per call). Every implementation's output is compared before timing, and the
// implementations of one row group are sampled in turns (see below). Rows carry the harness's
// wall-clock figures; `extra.cpuUs` / `extra.cpuMbps` give the same samples by process CPU time.
// tid-wasm-portable rows: the same API on build/portable.wasm (no SIMD).
import { createHash, createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { sm3 as smv2 } from "sm-crypto-v2";
import { deterministicBytes as bytes, measure, measureInTurns, quickOptions, type BenchOptions, type Row, type Suite } from "../harness.js";
import { sm3Api } from "../../bindings/sm3.js";
import { TidWasm } from "../../bindings/wasm.js";
import { toHex } from "../../reference/bytes.js";

type SmCryptoSm3 = (input: number[] | string, options?: { key: number[] | string }) => string;
const smCrypto = (createRequire(import.meta.url)("sm-crypto") as { sm3: SmCryptoSm3 }).sm3;

const MiB = 1048576;

type Impl = Row["impl"];
type Case = [op: "sm3" | "hmac-sm3", impl: Impl, size: number, run: () => Uint8Array | string];

export const suite: Suite = {
  name: "SM3 (GB/T 32905-2016): 1 MiB throughput; SM3 and HMAC-SM3 on one 64-byte message",
  targets: [{ op: "sm3", size: MiB, metric: "mbps", peer: "node:crypto", atLeast: 1.0 }],
  run(opt: BenchOptions, log: (line: string) => void): Row[] {
    const wasm = TidWasm.create({ build: "release" });
    const { sm3, hmacSm3 } = sm3Api(wasm);
    const portable = sm3Api(TidWasm.create({ build: "portable" }));
    const big = bytes(MiB, 7),
      small = bytes(64, 8),
      key = bytes(32, 9);
    const bigArr = Array.from(big),
      smallArr = Array.from(small),
      keyArr = Array.from(key);
    const cases: Case[] = [
      ["sm3", "tid-wasm", MiB, () => sm3(big)],
      ["sm3", "tid-wasm-portable", MiB, () => portable.sm3(big)],
      ["sm3", "node:crypto", MiB, () => createHash("sm3").update(big).digest()],
      ["sm3", "sm-crypto-v2", MiB, () => smv2(big)],
      ["sm3", "sm-crypto", MiB, () => smCrypto(bigArr)],
      ["sm3", "tid-wasm", 64, () => sm3(small)],
      ["sm3", "tid-wasm-portable", 64, () => portable.sm3(small)],
      ["sm3", "node:crypto", 64, () => createHash("sm3").update(small).digest()],
      ["sm3", "sm-crypto-v2", 64, () => smv2(small)],
      ["sm3", "sm-crypto", 64, () => smCrypto(smallArr)],
      ["hmac-sm3", "tid-wasm", 64, () => hmacSm3(key, small)],
      ["hmac-sm3", "tid-wasm-portable", 64, () => portable.hmacSm3(key, small)],
      ["hmac-sm3", "node:crypto", 64, () => createHmac("sm3", key).update(small).digest()],
      ["hmac-sm3", "sm-crypto-v2", 64, () => smv2(small, { key, mode: "hmac" })],
      ["hmac-sm3", "sm-crypto", 64, () => smCrypto(smallArr, { key: keyArr })],
    ];

    // Everyone must agree (with node:crypto) before anything is timed.
    const want = new Map<string, string>();
    for (const [op, impl, size, run] of cases) {
      const r = run();
      const got = typeof r === "string" ? r : toHex(r);
      const id = `${op}/${size}`;
      if (impl === "node:crypto") want.set(id, got);
    }
    for (const [op, impl, size, run] of cases) {
      const r = run();
      const got = typeof r === "string" ? r : toHex(r);
      if (got !== want.get(`${op}/${size}`)) throw new Error(`${op} ${size} B: ${impl} disagrees with node:crypto`);
    }
    log(`  outputs agree (${cases.length} cases)`);

    // Peers of one (op, size) are sampled in turns (bench/harness.ts measureInTurns).
    const timed = cases.filter((c) => !(c[1] === "sm-crypto" && c[2] === MiB)); // ~1 s per MiB: measured on its own below
    const rows: Row[] = measureInTurns(
      timed.map(([op, impl, size, run]) => ({ op, impl, size, run })),
      opt,
    );
    const mine = rows.find((r) => r.op === "sm3" && r.size === MiB && r.impl === "tid-wasm");
    const ref = rows.find((r) => r.op === "sm3" && r.size === MiB && r.impl === "node:crypto");
    if (mine?.extra && ref?.extra) {
      const ratio = Number(mine.extra.cpuMbps) / Number(ref.extra.cpuMbps);
      log(
        `  sm3 1 MiB by process CPU time (less sensitive to other load): tid-wasm ${Number(mine.extra.cpuMbps).toFixed(1)} MB/s, node:crypto ${Number(ref.extra.cpuMbps).toFixed(1)} MB/s, ${ratio.toFixed(2)}x`,
      );
    }
    const slow = cases.find((c) => c[1] === "sm-crypto" && c[2] === MiB)!;
    rows.push(measure(slow[0], slow[1], slow[2], slow[3], { ...quickOptions, samples: 3 }));
    rows.sort(
      (a, b) =>
        cases.findIndex((c) => c[0] === a.op && c[1] === a.impl && c[2] === a.size) -
        cases.findIndex((c) => c[0] === b.op && c[1] === b.impl && c[2] === b.size),
    );
    return rows;
  },
};
