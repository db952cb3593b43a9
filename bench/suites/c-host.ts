// The C host (examples/c-host): build/portable.wasm translated to C by wasm2c and compiled with
// the system C compiler, against Node running the same portable.wasm and release.wasm (the SIMD
// build) through the public bindings, on the same inputs: SM4-CTR over 1 MiB (MB/s; the key set
// once, the data copied into the module's I/O region and back in 64 KiB pieces in both hosts)
// and SM2 key generation, ECDH and signing of a 32-byte message (µs; the sm2 suite's ops, ID
// 1234567812345678). The C program times itself (`tid-c-host bench`: a warm-up, then the median
// of the samples, wall clock and process CPU time) in its own process, so its rows are not
// sampled in turns with the Node rows. Outputs are cross-checked first: the ciphertext's SM3, the
// shared secret, the C host's signature and key pair checked by Node. Skipped, with what to
// install, when wasm2c, a C compiler or make is missing.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCHost, cHostToolsMissing } from "../c-host-build.js";
import { deterministicBytes as bytes, measureInTurns, round, type BenchOptions, type Case, type Row, type Suite } from "../harness.js";
import { sm2Api } from "../../bindings/sm2.js";
import { sm3Api } from "../../bindings/sm3.js";
import { Sm4Key } from "../../bindings/sm4.js";
import { TidWasm, type WasmBuild } from "../../bindings/wasm.js";
import { toHex } from "../../reference/bytes.js";

const MiB = 1048576;

interface CRow {
  op: string;
  size: number;
  us: number;
  cpuUs: number;
  outputSm3?: string;
  publicKey?: string;
  signature?: string;
  sharedX?: string;
  privateKey?: string;
}

const NODE_BUILDS: [WasmBuild, Row["impl"]][] = [
  ["portable", "tid-wasm-portable"],
  ["release", "tid-wasm"],
];

export const suite: Suite = {
  name: "C host (examples/c-host): portable.wasm through wasm2c vs Node on portable.wasm and release.wasm (SM4-CTR 1 MiB, SM2)",
  run(opt: BenchOptions, log: (line: string) => void): Row[] {
    const missing = cHostToolsMissing();
    if (missing) {
      log(`  skipped: ${missing}`);
      return [];
    }
    const dir = mkdtempSync(join(tmpdir(), "tid-c-host-bench-"));
    try {
      const t0 = Date.now();
      const exe = buildCHost(dir);
      log(`  built examples/c-host in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const r = spawnSync(
        exe,
        ["bench", "--ms", String(opt.sampleMs), "--samples", String(Math.max(opt.samples, 7)), "--warmup-ms", String(opt.warmupMs)],
        { encoding: "utf8", env: { ...process.env, TID_C_HOST_TEST_RANDOM: "", TID_C_HOST_TEST_NOW: "" } },
      );
      if (r.error || r.status !== 0) throw new Error(`tid-c-host bench failed (exit ${r.status}): ${r.stderr || r.error?.message}`);
      const c = (JSON.parse(r.stdout) as { rows: CRow[] }).rows;
      const cRow = (op: string): CRow => {
        const row = c.find((x) => x.op === op);
        if (!row) throw new Error(`tid-c-host bench printed no ${op} row`);
        return row;
      };

      // Node on both builds, the same inputs as the C program (bench/harness.ts deterministicBytes)
      const key = bytes(16, 1),
        iv = bytes(16, 2),
        data = bytes(MiB, MiB);
      const signer = bytes(32, 101),
        peerPriv = bytes(32, 102);
      const msg = new Uint8Array(32).map((_, i) => (i * 29 + 7) & 255);
      const cases: Case[] = [];
      const cleanup: (() => void)[] = [];
      for (const [build, impl] of NODE_BUILDS) {
        const wasm = TidWasm.create({ build });
        const k = new Sm4Key(wasm, key);
        cleanup.push(() => k.destroy());
        const sm2 = sm2Api(wasm);
        const pub = sm2.publicKeyFromPrivate(signer);
        const peer = sm2.publicKeyFromPrivate(peerPriv);
        // cross-checks: C and this build agree
        if (toHex(sm3Api(wasm).sm3(k.ctr(iv, data))) !== cRow("sm4-ctr").outputSm3) throw new Error(`SM4-CTR: C and ${build} disagree`);
        if (toHex(sm2.ecdh(signer, peer)) !== cRow("sm2-ecdh").sharedX) throw new Error(`SM2 ECDH: C and ${build} disagree`);
        const sign = cRow("sm2-sign");
        if (sign.publicKey !== toHex(pub) || !sm2.verify(pub, msg, Buffer.from(sign.signature!, "hex")))
          throw new Error(`SM2: ${build} rejects the C host's signature`);
        const kg = cRow("sm2-keygen");
        if (toHex(sm2.publicKeyFromPrivate(Buffer.from(kg.privateKey!, "hex"))) !== kg.publicKey)
          throw new Error(`SM2: the C host's key pair is not one for ${build}`);
        cases.push(
          { op: "sm4-ctr", impl, size: MiB, run: () => k.ctr(iv, data) },
          { op: "sm2-keygen", impl, size: 32, run: () => sm2.generateKeyPair() },
          { op: "sm2-ecdh", impl, size: 32, run: () => sm2.ecdh(signer, peer) },
          { op: "sm2-sign", impl, size: 32, run: () => sm2.sign(signer, msg, { publicKey: pub }) },
        );
      }
      log("  outputs agree (SM4-CTR ciphertext, ECDH secret, the C host's signature and key pair)");
      const node = measureInTurns(cases, opt);
      cleanup.forEach((f) => f());
      const rows: Row[] = [];
      for (const op of ["sm4-ctr", "sm2-keygen", "sm2-ecdh", "sm2-sign"]) {
        const x = cRow(op);
        rows.push({
          op,
          impl: "tid-wasm-c-portable",
          size: x.size,
          us: round(x.us),
          mbps: round(x.size / x.us),
          extra: { cpuUs: round(x.cpuUs), cpuMbps: round(x.size / x.cpuUs) },
        });
        rows.push(...node.filter((n) => n.op === op));
      }
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
