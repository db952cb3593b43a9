// docs/abi.md is the contract for other wasm hosts: it must name every export and import of the
// module, name nothing the module lacks, and both builds must have the same ABI.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { wasmModule } from "../../bindings/wasm.js";

const doc = readFileSync(new URL("../../docs/abi.md", import.meta.url), "utf8");
const names = (list: { name: string }[]) => list.map((e) => e.name).sort();

describe("docs/abi.md", () => {
  const release = wasmModule("release"), debug = wasmModule("debug");

  it("documents every export, and no export the module lacks", () => {
    const exported = names(WebAssembly.Module.exports(release));
    expect(exported.filter((n) => !doc.includes("`" + n + "`"))).toEqual([]);
    const documented = new Set([...doc.matchAll(/`((?:tid|sm2|sm3|sm4|hmac_sm3)_[a-z0-9_]+)`/g)].map((m) => m[1]!));
    expect([...documented].filter((n) => !exported.includes(n))).toEqual([]);
  });

  it("documents every import (module env)", () => {
    for (const i of WebAssembly.Module.imports(release)) {
      expect(i.module).toBe("env");
      expect(doc).toContain("`" + i.name + "`");
    }
  });

  it("the debug and release builds have the same exports and imports", () => {
    expect(names(WebAssembly.Module.exports(debug))).toEqual(names(WebAssembly.Module.exports(release)));
    expect(names(WebAssembly.Module.imports(debug))).toEqual(names(WebAssembly.Module.imports(release)));
  });
});
