// The build targets of docs/abi.md "Build targets": build/release.wasm (what products embed) and
// build/debug.wasm export no TEST HOOK; build/test.wasm exports exactly the release ABI plus the two
// hooks; build/portable.wasm exports exactly the release ABI and uses no SIMD at all (no v128
// type, no SIMD opcode: it validates with the SIMD feature off). The TypeScript host knows which
// build has hooks, and TidClient.testHooks refuses clearly on a build without them instead of
// failing on a missing export.
import { readFileSync } from "node:fs";
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { TidWasm, WASM_BUILDS, wasmModule, wasmPath, type WasmBuild } from "../../bindings/wasm.js";
import { TidClient } from "../../bindings/client.js";
import { EXAMPLE, EXAMPLE_IDENTITY, INTL_EXAMPLE, INTL_EXAMPLE_IDENTITY } from "../support/tid.js";
import { Status } from "../../bindings/status.js";
import { TidError } from "../../bindings/errors.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const exportsOf = (build: WasmBuild) =>
  WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(wasmPath(build)))).map((e) => e.name);

describe("build targets", () => {
  it("release and debug export no tid_test_* hook; test exports the release ABI plus exactly the two hooks", () => {
    const release = exportsOf("release"),
      debug = exportsOf("debug"),
      test = exportsOf("test");
    expect(release.filter((n) => n.startsWith("tid_test_"))).toEqual([]);
    expect(debug.filter((n) => n.startsWith("tid_test_"))).toEqual([]);
    expect(exportsOf("portable").filter((n) => n.startsWith("tid_test_"))).toEqual([]);
    expect(release.length).toBeGreaterThan(60);
    expect(test.filter((n) => !release.includes(n)).sort()).toEqual([
      "tid_test_inject",
      "tid_test_set_pending",
      "tid_test_tls_install",
      "tid_test_tls_secret",
      "tid_test_tls_set_seq",
    ]);
    expect(release.filter((n) => !test.includes(n))).toEqual([]);
  });

  it("portable exports exactly what release exports, with the same signatures", () => {
    const sigs = (build: "release" | "portable") => {
      const m = new WebAssembly.Module(readFileSync(wasmPath(build)));
      return {
        exports: WebAssembly.Module.exports(m),
        imports: WebAssembly.Module.imports(m),
      };
    };
    expect(sigs("portable")).toEqual(sigs("release"));
    expect(exportsOf("portable")).toEqual(exportsOf("release"));
  });

  it("portable uses no SIMD: no v128 anywhere, and it validates with every feature but SIMD off", () => {
    const bytes = readFileSync(wasmPath("portable"));
    expect(WebAssembly.validate(bytes)).toBe(true);
    const text = (features: number) => {
      const m = binaryen.readBinary(bytes);
      try {
        m.setFeatures(features);
        return { valid: m.validate() === 1, wat: m.emitText() };
      } finally {
        m.dispose();
      }
    };
    const F = binaryen.Features;
    // what docs/abi.md lets a host lack SIMD for: the MVP plus bulk memory (and the features every
    // such host has had for years: mutable globals, sign extension, saturating conversions)
    const portable = text(F.MVP | F.BulkMemory | F.BulkMemoryOpt | F.MutableGlobals | F.SignExt | F.NontrappingFPToInt);
    expect(portable.valid, "portable.wasm validates without SIMD").toBe(true);
    expect(portable.wat.match(/\b(v128|[if](8x16|16x8|32x4|64x2)\.)\S*/g) ?? [], "SIMD types or opcodes in portable.wasm").toEqual([]);
    // the check itself sees SIMD: release.wasm fails it
    const release = binaryen.readBinary(readFileSync(wasmPath("release")));
    release.setFeatures(F.MVP | F.BulkMemory | F.BulkMemoryOpt | F.MutableGlobals | F.SignExt | F.NontrappingFPToInt);
    const releaseValid = release.validate() === 1;
    expect(/\bv128\b/.test(release.emitText())).toBe(true);
    release.dispose();
    expect(releaseValid, "release.wasm must fail validation without SIMD").toBe(false);
  });

  it("TidWasm: hasTestHooks only on the test build; the build name is checked", () => {
    expect(WASM_BUILDS).toEqual(["release", "debug", "portable", "test", "release-sm", "release-intl"]);
    expect(TidWasm.create().hasTestHooks).toBe(false);
    expect(TidWasm.create({ build: "debug" }).hasTestHooks).toBe(false);
    expect(TidWasm.create({ build: "portable" }).hasTestHooks).toBe(false);
    expect(TidWasm.create({ build: "test" }).hasTestHooks).toBe(true);
    expect(() => TidWasm.create({ build: "tests" as never })).toThrow(
      /options\.build must be one of "release", "debug", "portable", "test", "release-sm", "release-intl", got "tests"/,
    );
    expect(() => wasmPath("x" as never)).toThrow(TypeError);
    expect(() => wasmModule(1 as never)).toThrow(TypeError);
  });

  it("TidClient.testHooks throws a TypeError naming options.build on release, debug and portable, and works on test", async () => {
    for (const build of ["release", "debug", "portable"] as const) {
      const client = await TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY, build });
      client.init();
      expect(() => client.testHooks).toThrow(TypeError);
      expect(() => client.testHooks).toThrow(new RegExp(`options\\.build "test" \\(this client runs the ${build} build`));
      client.close();
    }
    const client = await TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY, build: "test" });
    client.init();
    client.testHooks.inject(fromHex(EXAMPLE.Nd), EXAMPLE.deviceTime, fromHex(EXAMPLE.deviceEphemeralPrivate));
    expect(toHex(client.getAuthcode())).toBe(EXAMPLE.authcode);
    client.close();
  });

  describe("one-suite builds: release-sm and release-intl", () => {
    const release = exportsOf("release");
    const family = (n: string) => n.split("_")[0]!;
    const INTL_ONLY = ["aes", "sha256", "x963", "p256", "ecdsa"];
    const SM_ONLY = ["sm2", "sm3", "sm4"];

    it("export the release ABI without the other suite's algorithms", () => {
      const sm = exportsOf("release-sm"),
        intl = exportsOf("release-intl");
      expect(sm.filter((n) => !release.includes(n))).toEqual([]);
      expect(intl.filter((n) => !release.includes(n))).toEqual([]);
      expect(sm.filter((n) => INTL_ONLY.includes(family(n)) || n.startsWith("hmac_sha256"))).toEqual([]);
      expect(intl.filter((n) => SM_ONLY.includes(family(n)) || n.startsWith("hmac_sm3"))).toEqual([]);
      for (const n of release.filter((n) => n.startsWith("tid_"))) {
        expect(sm, n).toContain(n);
        expect(intl, n).toContain(n);
      }
      // the INTL build has no SE backend, so it does not import transceive
      const imports = (b: WasmBuild) => WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmPath(b)))).map((i) => i.name);
      expect(imports("release-sm")).toEqual(imports("release"));
      expect(imports("release-intl")).toEqual(imports("release").filter((n) => n !== "transceive"));
      // and each is smaller than the two-suite build
      for (const b of ["release-sm", "release-intl"] as const) {
        expect(readFileSync(wasmPath(b)).length).toBeLessThan(readFileSync(wasmPath("release")).length * 0.75);
      }
    });

    it("each authenticates in its own suite (the worked examples) and refuses the other", async () => {
      const sm = await TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY, build: "release-sm" });
      sm.init();
      expect(sm.suite).toBe("sm");
      await expect(TidClient.create({ backend: "soft", identity: INTL_EXAMPLE_IDENTITY, build: "release-sm" })).rejects.toThrow(TidError);
      const intl = await TidClient.create({ backend: "soft", identity: INTL_EXAMPLE_IDENTITY, build: "release-intl" });
      intl.init();
      expect(intl.suite).toBe("intl");
      expect(intl.getAuthcode().subarray(0, 3)).toEqual(fromHex("012003"));
      try {
        await TidClient.create({ backend: "soft", identity: EXAMPLE_IDENTITY, build: "release-intl" });
        expect.unreachable();
      } catch (e) {
        expect((e as TidError).code).toBe(Status.ERR_UNSUPPORTED_ALGORITHM);
      }
      // TID-TLS in each build: its own suite opens, the other is ERR_UNSUPPORTED_ALGORITHM
      for (const [b, own, other] of [
        ["release-sm", 0, 1],
        ["release-intl", 1, 0],
      ] as const) {
        const x = TidWasm.create({ build: b }).exports;
        const io = TidWasm.create({ build: b }).ioPtr;
        expect(x.tid_tls_open_psk_suite!(0, 0, io, 16, other), b).toBe(Status.ERR_UNSUPPORTED_ALGORITHM);
        expect(x.tid_tls_open_psk_suite!(0, 0, io, 16, own), b).toBe(Status.OK);
        expect(x.tid_tls_close!(0)).toBe(Status.OK);
        expect(x.tid_tls_open_psk!(0, 0, io, 16), b).toBe(own === 0 ? Status.OK : Status.ERR_UNSUPPORTED_ALGORITHM);
      }
      // the SE backend needs suite SM (the applet's)
      const w = TidWasm.create({ build: "release-intl" });
      expect(w.exports.tid_set_backend!(2)).toBe(Status.ERR_UNSUPPORTED_ALGORITHM);
      expect(w.exports.tid_set_backend!(1)).toBe(Status.OK);
      sm.close();
      intl.close();
      expect(INTL_EXAMPLE.authcode.slice(0, 6)).toBe("012003");
    });
  });
});
