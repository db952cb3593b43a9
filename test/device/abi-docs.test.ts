// docs/abi.md is the contract for other wasm hosts: it must name every export and import of each
// build, name nothing the builds lack, keep the test hooks in their own section (the test build's
// only extra exports), and print the memory map of build/release.wasm as it is.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const doc = readFileSync(new URL("../../docs/abi.md", import.meta.url), "utf8");
const moduleOf = (build: string) => new WebAssembly.Module(readFileSync(new URL(`../../build/${build}.wasm`, import.meta.url)));
const names = (list: { name: string }[]) => list.map((e) => e.name).sort();

const HOOKS_START = "### Test hooks (build/test.wasm only)";
const HOOKS_END = "<!-- end of test hooks -->";
const hooksAt = doc.indexOf(HOOKS_START),
  hooksEnd = doc.indexOf(HOOKS_END);
const hooksSection = doc.slice(hooksAt, hooksEnd);
const mainText = doc.slice(0, hooksAt) + doc.slice(hooksEnd);

/** Export-like names written in backticks. */
const documented = (text: string) =>
  [...new Set([...text.matchAll(/`((?:tid|sm2|sm3|sm4|hmac|sha256|x963|aes|p256|ecdsa_p256)_[a-z0-9_]+)`/g)].map((m) => m[1]!))].sort();

describe("docs/abi.md", () => {
  const release = moduleOf("release"),
    debug = moduleOf("debug"),
    test = moduleOf("test");

  it("has a test hooks section", () => {
    expect(hooksAt).toBeGreaterThan(0);
    expect(hooksEnd).toBeGreaterThan(hooksAt);
  });

  it("outside the test hooks section: exactly the exports of the release build", () => {
    const exported = names(WebAssembly.Module.exports(release));
    expect(exported.filter((n) => !mainText.includes("`" + n + "`"))).toEqual([]);
    expect(documented(mainText)).toEqual(exported.filter((n) => n !== "memory"));
  });

  it("the test hooks section: exactly what the test build adds to the release exports", () => {
    const releaseNames = new Set(names(WebAssembly.Module.exports(release)));
    const added = names(WebAssembly.Module.exports(test)).filter((n) => !releaseNames.has(n));
    expect(added).toEqual([
      "tid_test_inject",
      "tid_test_set_pending",
      "tid_test_tls_install",
      "tid_test_tls_secret",
      "tid_test_tls_set_seq",
    ]);
    expect(documented(hooksSection).filter((n) => !releaseNames.has(n))).toEqual(added);
  });

  it("documents every import (module env), the same three in every build", () => {
    for (const i of WebAssembly.Module.imports(release)) {
      expect(i.module).toBe("env");
      expect(doc).toContain("`" + i.name + "`");
    }
    for (const m of [debug, test]) expect(names(WebAssembly.Module.imports(m))).toEqual(names(WebAssembly.Module.imports(release)));
  });

  it("the debug build has the same exports as the release build", () => {
    expect(names(WebAssembly.Module.exports(debug))).toEqual(names(WebAssembly.Module.exports(release)));
  });

  it("the memory map prints the offsets of build/release.wasm and build/test.wasm", () => {
    const num = (re: RegExp) => Number(re.exec(doc)?.[1]?.replace(/,/g, ""));
    const io = num(/`tid_io_ptr\(\)` = ([\d,]+)/),
      ioCap = num(/`tid_io_cap\(\)` = ([\d,]+) bytes/);
    const staticStart = num(/\| static data \| ([\d,]+) \.\./);
    const host = num(/`tid_host_ptr\(\)` = ([\d,]+)/),
      hostCap = num(/`tid_host_cap\(\)` = ([\d,]+) bytes/);
    expect(doc).toContain("**4 pages (256 KiB)**");
    for (const m of [release, test]) {
      const x = new WebAssembly.Instance(m, { env: { random: () => 0, now: () => 0n, transceive: () => -505 } }).exports as Record<
        string,
        () => number
      >;
      expect({
        io: x.tid_io_ptr!(),
        ioCap: x.tid_io_cap!(),
        staticStart: x.tid_io_ptr!() + x.tid_io_cap!(),
        host: x.tid_host_ptr!(),
        hostCap: x.tid_host_cap!(),
      }).toEqual({ io, ioCap, staticStart, host, hostCap });
      expect((x.memory as unknown as WebAssembly.Memory).buffer.byteLength).toBe(4 * 65536);
    }
  });
});
