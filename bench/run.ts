// `npm run bench [-- --json] [-- --quick] [-- --only sm4,sm2]`: every suite in bench/suites/, one
// process, the same inputs for every implementation; prints each row with its ratio to node:crypto.
import { readdirSync, statSync } from "node:fs";
import { cpus, totalmem, release } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { wasmPath } from "../bindings/wasm.js";
import { defaultOptions, quickOptions, round, type Row, type Suite, type Target } from "./harness.js";

const ORDER = ["sm4", "sm3", "sm2", "intl-sym", "hal", "handshake"];

async function loadSuites(only: string[] | null): Promise<Suite[]> {
  const dir = fileURLToPath(new URL("./suites/", import.meta.url));
  const names = readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith(".d.ts") && !f.endsWith(".map"))
    .map((f) => f.replace(/\.(js|ts)$/, ""))
    .filter((n, i, a) => a.indexOf(n) === i)
    .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
  const suites: Suite[] = [];
  for (const name of names) {
    if (only && !only.includes(name)) continue;
    const file = readdirSync(dir).find((f) => f === `${name}.js`) ?? `${name}.ts`;
    const mod = (await import(pathToFileURL(dir + file).href)) as { suite: Suite };
    suites.push(mod.suite);
  }
  return suites;
}

function ratioOf(rows: Row[], row: Row, metric: "mbps" | "us", peer = "node:crypto", peerOp = row.op): number | undefined {
  const ref = rows.find((r) => r.op === peerOp && r.size === row.size && r.impl === peer);
  if (!ref || ref === row || !ref[metric]) return undefined;
  return row[metric] / ref[metric];
}

function checkTarget(rows: Row[], t: Target): { label: string; ratio: number | undefined; ok: boolean } {
  const peer = t.peer ?? "node:crypto";
  const mine = rows.find((r) => r.op === t.op && r.size === t.size && r.impl === (t.impl ?? "tid-wasm"));
  const ratio = mine ? ratioOf(rows, mine, t.metric, peer, t.peerOp ?? t.op) : undefined;
  const bound = t.atLeast !== undefined ? `>= ${t.atLeast}x` : `<= ${t.atMost}x`;
  const label = `${t.impl ? `${t.impl} ` : ""}${t.op} ${t.size} B ${t.metric === "mbps" ? "throughput" : "time"} vs ${peer}${t.peerOp ? ` ${t.peerOp}` : ""} ${bound}`;
  const ok = ratio !== undefined && (t.atLeast === undefined || ratio >= t.atLeast) && (t.atMost === undefined || ratio <= t.atMost);
  return { label, ratio, ok };
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const quick = argv.includes("--quick");
  const onlyIdx = argv.indexOf("--only");
  const only = onlyIdx >= 0 ? (argv[onlyIdx + 1] ?? "").split(",") : null;
  const opt = quick ? quickOptions : defaultOptions;
  const log = json ? (line: string) => process.stderr.write(line + "\n") : (line: string) => console.log(line);
  const machine = {
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memGiB: round(totalmem() / 2 ** 30, 1),
    kernel: release(),
    date: new Date().toISOString(),
  };
  const wasm = {
    releaseBytes: statSync(wasmPath("release")).size,
    debugBytes: statSync(wasmPath("debug")).size,
    portableBytes: statSync(wasmPath("portable")).size,
  };
  log(`tid-wasm benchmark — node ${machine.node}, OpenSSL ${machine.openssl}, ${machine.cpu} x${machine.cores}`);
  log(
    `build/release.wasm ${wasm.releaseBytes} bytes (${(wasm.releaseBytes / 1024).toFixed(1)} KiB); build/debug.wasm ${wasm.debugBytes} bytes; build/portable.wasm ${wasm.portableBytes} bytes`,
  );
  log(`each figure: median of ${opt.samples} samples of >= ${opt.sampleMs} ms after a ${opt.warmupMs} ms warm-up`);
  const rows: Row[] = [];
  const targets: Target[] = [];
  for (const suite of await loadSuites(only)) {
    log(`\n== ${suite.name}`);
    const got = await suite.run(opt, log);
    for (const r of got) {
      const bulk =
        r.op.startsWith("sm4") || r.op === "sm3" || r.op.startsWith("tls-record") || r.op === "sha256" || r.op.startsWith("aes-");
      const metric = bulk ? (r.size >= 4096 ? "mbps" : "us") : "us";
      const ratio = ratioOf(got, r, metric);
      const fig = metric === "mbps" ? `${r.mbps.toFixed(1).padStart(9)} MB/s` : `${r.us.toFixed(2).padStart(9)} µs `;
      const rs = ratio === undefined ? "" : `  ${ratio.toFixed(2)}x node:crypto${metric === "us" ? " time" : ""}`;
      // the portable build (no SIMD) against the release build on the same row
      // (and the C host's portable build, examples/c-host, against both)
      const portable = r.impl === "tid-wasm-portable" || r.impl === "tid-wasm-c-portable";
      const vs = portable ? ratioOf(got, r, metric, "tid-wasm") : undefined;
      const vsNode = r.impl === "tid-wasm-c-portable" ? ratioOf(got, r, metric, "tid-wasm-portable") : undefined;
      const rp =
        (vs === undefined ? "" : `  ${vs.toFixed(2)}x release${metric === "us" ? " time" : ""}`) +
        (vsNode === undefined ? "" : `  ${vsNode.toFixed(2)}x Node portable${metric === "us" ? " time" : ""}`);
      log(`  ${r.op.padEnd(22)} ${String(r.size).padStart(8)} B  ${r.impl.padEnd(19)} ${fig}${rs}${rp}`);
    }
    rows.push(...got);
    targets.push(...(suite.targets ?? []));
  }
  const results = targets.map((t) => checkTarget(rows, t));
  if (results.length) {
    log("\n== targets (ratios within this run)");
    for (const r of results) log(`  ${r.ok ? "met " : "MISS"}  ${r.label}: ${r.ratio === undefined ? "n/a" : r.ratio.toFixed(2) + "x"}`);
  }
  if (json) {
    process.stdout.write(
      JSON.stringify(
        {
          machine,
          wasm,
          rows,
          targets: results.map((r) => ({ target: r.label, ratio: r.ratio === undefined ? null : round(r.ratio), met: r.ok })),
        },
        null,
        1,
      ) + "\n",
    );
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
