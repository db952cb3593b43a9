// include/tid_wasm.h, the C view of the ABI (docs/abi.md "C header"): it is exactly what its
// generator (include/tid_wasm.h.gen.mjs) writes from today's sources, its prototypes match the
// function types of build/release.wasm export by export, and it compiles as C99 and C++ with
// every warning an error, its status macros having the values of assembly/status.ts.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const path = (rel: string) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const committed = readFileSync(path("include/tid_wasm.h"), "utf8");
const statusTable = Object.fromEntries(
  [...readFileSync(path("assembly/status.ts"), "utf8").matchAll(/export const (\w+): i32 = (-?\d+);/g)].map((m) => [
    `TID_${m[1]}`,
    Number(m[2]),
  ]),
);

/** Function exports of a wasm binary with their value types, read from its type, import, function and export sections. */
function exportSignatures(bytes: Uint8Array): Map<string, { params: string[]; results: string[] }> {
  let p = 8;
  const u32 = () => {
    let v = 0,
      shift = 0,
      b: number;
    do {
      b = bytes[p++]!;
      v |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return v >>> 0;
  };
  const name = () => {
    const n = u32();
    const s = Buffer.from(bytes.subarray(p, p + n)).toString("utf8");
    p += n;
    return s;
  };
  const VAL: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128" };
  const types: { params: string[]; results: string[] }[] = [];
  const funcTypes: number[] = [];
  const exports = new Map<string, { params: string[]; results: string[] }>();
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = u32();
    const end = p + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        expect(bytes[p++]).toBe(0x60);
        const params = Array.from({ length: u32() }, () => VAL[bytes[p++]!]!);
        const results = Array.from({ length: u32() }, () => VAL[bytes[p++]!]!);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        name();
        name();
        const kind = bytes[p++]!;
        expect(kind, "only function imports").toBe(0);
        funcTypes.push(u32());
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) funcTypes.push(u32());
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const exportName = name();
        const kind = bytes[p++]!;
        const index = u32();
        if (kind === 0) exports.set(exportName, types[funcTypes[index]!]!);
      }
    }
    p = end;
  }
  return exports;
}

/** Prototypes of the header: name → C parameter types and result type. */
function prototypes(header: string): Map<string, { params: string[]; result: string }> {
  const out = new Map<string, { params: string[]; result: string }>();
  for (const m of header.matchAll(/^(\w+) (\w+)\(([^)]*)\);$/gm)) {
    const params = m[3] === "void" ? [] : m[3]!.split(", ").map((p) => p.slice(0, p.lastIndexOf(" ")));
    out.set(m[2]!, { params, result: m[1]! });
  }
  return out;
}

const WASM_TYPE: Record<string, string> = { int32_t: "i32", uint32_t: "i32", tid_ptr_t: "i32", int64_t: "i64", uint64_t: "i64" };

describe("include/tid_wasm.h", () => {
  it("is what include/tid_wasm.h.gen.mjs writes from today's sources", () => {
    const fresh = execFileSync(process.execPath, [path("include/tid_wasm.h.gen.mjs")], { encoding: "utf8" });
    expect(fresh.split("\n")).toEqual(committed.split("\n"));
  });

  it("declares every function export of build/release.wasm, with its wasm type, and nothing else", () => {
    const wasm = exportSignatures(readFileSync(path("build/release.wasm")));
    const protos = prototypes(committed);
    expect(wasm.size).toBeGreaterThan(60);
    expect([...protos.keys()].sort()).toEqual([...wasm.keys()].sort());
    for (const [name, sig] of wasm) {
      const c = protos.get(name)!;
      expect([name, c.params.map((t) => WASM_TYPE[t])]).toEqual([name, sig.params]);
      expect([name, c.result === "void" ? [] : [WASM_TYPE[c.result]]]).toEqual([name, sig.results]);
    }
    // The test build adds exactly the test hooks, which the header leaves out.
    const test = exportSignatures(readFileSync(path("build/test.wasm")));
    expect([...test.keys()].filter((n) => !wasm.has(n)).sort()).toEqual([
      "tid_test_inject",
      "tid_test_set_pending",
      "tid_test_tls_install",
      "tid_test_tls_secret",
      "tid_test_tls_set_seq",
    ]);
  });

  it("defines every status of assembly/status.ts with its value", () => {
    const defined = Object.fromEntries(
      [...committed.matchAll(/^#define (TID_(?:OK|ERR_\w+)) +\(?(-?\d+)\)?/gm)].map((m) => [m[1]!, Number(m[2])]),
    );
    expect(defined).toEqual(statusTable);
  });

  const compilers = [
    { cc: "gcc", args: ["-x", "c", "-std=c99"] },
    { cc: "g++", args: ["-x", "c++", "-std=c++11"] },
  ];
  const scratch = mkdtempSync(join(tmpdir(), "tid-wasm-h-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  for (const { cc, args } of compilers) {
    const available = spawnSync(cc, ["--version"]).status === 0;
    if (!available) console.warn(`c-header: ${cc} not found, skipping the ${cc} compile check of include/tid_wasm.h`);
    it.skipIf(!available)(
      `compiles with ${cc} (${args.at(-1)}, -Wall -Wextra -Wpedantic -Werror); the macros print the status table`,
      () => {
        const exe = join(scratch, `tid_wasm_h_${cc.replace(/\W/g, "x")}`);
        execFileSync(
          cc,
          [...args, "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I", path("include"), path("test/device/c/tid_wasm_h.c"), "-o", exe],
          { stdio: "pipe" },
        );
        const run = spawnSync(exe, { encoding: "utf8" });
        expect(run.status).toBe(0);
        const lines = run.stdout.trim().split("\n");
        const printed = Object.fromEntries(
          lines
            .filter((l) => l.startsWith("TID_"))
            .map((l) => l.split(" "))
            .map(([n, v]) => [n!, Number(v)]),
        );
        expect(printed).toEqual(statusTable);
        expect(lines).toContain("abi 1 pages 4");
        expect(lines).toContain(`imports 0 -1 ${statusTable.TID_ERR_SE_NOT_CONFIGURED}`);
      },
    );
  }
});
