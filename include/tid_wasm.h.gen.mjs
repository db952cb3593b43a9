// Generates tid_wasm.h — the C view of the wasm ABI (docs/abi.md): the status codes of
// assembly/status.ts, the ABI version and memory size, the types of the three `env` imports a host
// provides, and a prototype for every function export of the module's entry (assembly/index.ts →
// assembly/abi/*.ts), with the parameter names and doc comments of the AssemblyScript source.
//   node include/tid_wasm.h.gen.mjs > include/tid_wasm.h
// scripts/check-generated.mjs (and test/device/c-header.test.ts) regenerate it and fail when the
// committed header differs. Reads only the sources, so it runs without a build.
import { readFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
/** @param {string} rel */
const read = (rel) => readFileSync(new URL(rel, root), "utf8");

// ---------------------------------------------------------------- statuses

/** @typedef {{ kind: "group", text: string } | { kind: "status", name: string, value: number, note: string }} StatusLine */

/** @returns {StatusLine[]} */
function statuses() {
  /** @type {StatusLine[]} */
  const out = [];
  for (const line of read("assembly/status.ts").split("\n")) {
    const group = /^\/\/ (-\dxx .*)$/.exec(line);
    if (group) out.push({ kind: "group", text: group[1] ?? "" });
    const m = /^export const (\w+): i32 = (-?\d+);\s*(?:\/\/\s*(.*))?$/.exec(line);
    if (m) out.push({ kind: "status", name: m[1] ?? "", value: Number(m[2]), note: (m[3] ?? "").trim() });
  }
  if (out.filter((s) => s.kind === "status").length < 20)
    throw new Error("assembly/status.ts: fewer than 20 statuses found; has its format changed?");
  return out;
}

// ---------------------------------------------------------------- exports

/** @typedef {{ name: string, params: { name: string, type: string }[], result: string, doc: string[] }} Export */

/** The abi/ modules assembly/index.ts re-exports, in order. */
function entryModules() {
  const mods = [...read("assembly/index.ts").matchAll(/^export \* from "\.\/(abi\/[\w-]+)";$/gm)].map((m) => `assembly/${m[1]}.ts`);
  if (mods.length === 0) throw new Error('assembly/index.ts: no `export * from "./abi/…"` lines found');
  return mods;
}

/** @param {string} name camelCase or snake_case → snake_case */
const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The C type of an AssemblyScript parameter or result. Pointers into linear memory are usize
 * values whose names end in `ptr`; other usize values are lengths.
 * @param {string} asType @param {string} name
 */
function cType(asType, name) {
  if (asType === "usize") return /ptr$/i.test(name) ? "tid_ptr_t" : "uint32_t";
  const t = { i32: "int32_t", u32: "uint32_t", i64: "int64_t", u64: "uint64_t", void: "void" }[asType];
  if (!t) throw new Error(`no C type for the AssemblyScript type ${asType} (${name})`);
  return t;
}

/** The doc comment right above position `at` of `src`, as lines of text. @param {string} src @param {number} at */
function docAbove(src, at) {
  const before = src.slice(0, at).trimEnd();
  if (!before.endsWith("*/")) return [];
  const start = before.lastIndexOf("/**");
  if (start < 0) return [];
  return before
    .slice(start + 3, -2)
    .split("\n")
    .map((l) => l.replace(/^\s*(\*\s?)?/, "").trimEnd())
    .filter((l, i, all) => l !== "" || (i > 0 && i < all.length - 1));
}

/** @returns {{ module: string, exports: Export[] }[]} */
function exportsByModule() {
  return entryModules().map((module) => {
    const src = read(module);
    /** @type {Export[]} */
    const exports = [];
    for (const m of src.matchAll(/^export function (\w+)\(([^)]*)\): (\w+) \{/gm)) {
      const params = (m[2] ?? "")
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "")
        .map((p) => {
          const [name, type] = p.split(":").map((s) => s.trim());
          if (!name || !type) throw new Error(`${module}: cannot read the parameter "${p}" of ${m[1]}`);
          return { name: snake(name), type };
        });
      exports.push({ name: m[1] ?? "", params, result: m[3] ?? "", doc: docAbove(src, m.index ?? 0) });
    }
    return { module, exports };
  });
}

// ---------------------------------------------------------------- the header

function abiVersion() {
  const m = /export function tid_abi_version\(\): u32 \{\s*return (\d+);/.exec(read("assembly/abi/common.ts"));
  if (!m) throw new Error("assembly/abi/common.ts: tid_abi_version() { return N; } not found");
  return Number(m[1]);
}

function initialPages() {
  const pages = JSON.parse(read("asconfig.json")).options?.initialMemory;
  if (!Number.isInteger(pages)) throw new Error("asconfig.json: options.initialMemory is not set");
  return /** @type {number} */ (pages);
}

/** @param {string[]} lines @param {string} indent */
const comment = (lines, indent = "") =>
  lines.length === 0
    ? ""
    : lines.length === 1
      ? `${indent}/* ${lines[0]} */\n`
      : `${indent}/*\n${lines.map((l) => `${indent} *${l ? ` ${l}` : ""}`).join("\n")}\n${indent} */\n`;

function header() {
  const st = statuses();
  const named = /** @type {Extract<StatusLine, { kind: "status" }>[]} */ (st.filter((s) => s.kind === "status"));
  const width = Math.max(...named.map((s) => s.name.length)) + 4;
  let h = `/*
 * tid_wasm.h — the C view of the tid-wasm module's ABI (docs/abi.md): status codes, the imports a
 * host provides and a prototype for every export of build/release.wasm and build/debug.wasm.
 *
 * GENERATED by include/tid_wasm.h.gen.mjs from assembly/status.ts and the exports of
 * assembly/index.ts — do not edit; regenerate with
 *   node include/tid_wasm.h.gen.mjs > include/tid_wasm.h
 *
 * The prototypes describe wasm functions: a host calls them through its runtime (wasmtime, WAMR,
 * wasm3, …) or links them from a wasm-to-C translation. Every pointer (tid_ptr_t) is a byte offset
 * into the module's exported linear memory, every length a u32. build/test.wasm also exports the
 * TEST HOOKS tid_test_inject and tid_test_set_pending (docs/abi.md "Test hooks"); they are not
 * declared here because no product may call them.
 */
#ifndef TID_WASM_H
#define TID_WASM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version (tid_abi_version()) and linear memory: ${initialPages()} pages, never grown by the module. */
#define TID_WASM_ABI_VERSION ${abiVersion()}
#define TID_WASM_PAGE_SIZE 65536
#define TID_WASM_INITIAL_PAGES ${initialPages()}

/* A byte offset into the module's linear memory (wasm32). */
typedef uint32_t tid_ptr_t;

/* ---------------------------------------------------------------- statuses (assembly/status.ts) */
`;
  for (const s of st) {
    if (s.kind === "group") h += `\n/* ${s.text} */\n`;
    else {
      const def = `#define TID_${s.name}`.padEnd(width + 12);
      const value = s.value < 0 ? `(${s.value})` : `${s.value}`;
      h += s.note ? `${def}${value.padEnd(7)}/* ${s.note} */\n` : `${def}${value}\n`;
    }
  }
  h += `
/* Every status as X(name, value), e.g. to build a table of names. */
#define TID_WASM_STATUS_LIST(X) \\
${named.map((s) => `  X(TID_${s.name}, ${s.value < 0 ? `(${s.value})` : s.value})`).join(" \\\n")}

/* ---------------------------------------------------------------- imports (module "env") */

/* random: fill [ptr, ptr + len) with entropy; return 0, or any other value when the RNG failed. */
typedef int32_t (*tid_env_random_fn)(tid_ptr_t ptr, uint32_t len);
/* now: Unix time in seconds, 0 .. 2^32 - 1; any other value (e.g. -1: no clock) fails the call with TID_ERR_CLOCK_FAILED. */
typedef int64_t (*tid_env_now_fn)(void);
/*
 * transceive: one APDU exchange with the secure element. Write the response (data ‖ SW1 SW2,
 * 2 .. rsp_cap bytes) at rsp_ptr and its length as a little-endian u32 at rsp_len_ptr, and return 0;
 * or return a negative status: TID_ERR_SE_* (-5xx) pass through, anything else becomes
 * TID_ERR_SE_IO. A host without a secure element returns TID_ERR_SE_NOT_CONFIGURED.
 */
typedef int32_t (*tid_env_transceive_fn)(tid_ptr_t cmd_ptr, uint32_t cmd_len, tid_ptr_t rsp_ptr, uint32_t rsp_cap, tid_ptr_t rsp_len_ptr);
`;
  for (const { module, exports } of exportsByModule()) {
    h += `\n/* ---------------------------------------------------------------- exports of ${module} */\n`;
    for (const e of exports) {
      const params = e.params.length === 0 ? "void" : e.params.map((p) => `${cType(p.type, p.name)} ${p.name}`).join(", ");
      h += `\n${comment(e.doc)}${cType(e.result, e.name)} ${e.name}(${params});\n`;
    }
  }
  h += `
#ifdef __cplusplus
}
#endif

#endif /* TID_WASM_H */
`;
  return h;
}

process.stdout.write(header());
