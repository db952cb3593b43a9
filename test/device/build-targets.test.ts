// The build targets of docs/abi.md "Build targets": build/release.wasm (what products embed) and
// build/debug.wasm export no TEST HOOK; build/test.wasm exports exactly the release ABI plus the two
// hooks. The TypeScript host knows which build has hooks, and TidClient.testHooks refuses clearly
// on a build without them instead of failing on a missing export.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TidWasm, WASM_BUILDS, wasmModule, wasmPath } from "../../bindings/wasm.js";
import { TidClient } from "../../bindings/client.js";
import { EXAMPLE, EXAMPLE_IDENTITY } from "../support/tid.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const exportsOf = (build: "release" | "debug" | "test") =>
  WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(wasmPath(build)))).map((e) => e.name);

describe("build targets", () => {
  it("release and debug export no tid_test_* hook; test exports the release ABI plus exactly the two hooks", () => {
    const release = exportsOf("release"),
      debug = exportsOf("debug"),
      test = exportsOf("test");
    expect(release.filter((n) => n.startsWith("tid_test_"))).toEqual([]);
    expect(debug.filter((n) => n.startsWith("tid_test_"))).toEqual([]);
    expect(release.length).toBeGreaterThan(60);
    expect(test.filter((n) => !release.includes(n)).sort()).toEqual(["tid_test_inject", "tid_test_set_pending"]);
    expect(release.filter((n) => !test.includes(n))).toEqual([]);
  });

  it("TidWasm: hasTestHooks only on the test build; the build name is checked", () => {
    expect(WASM_BUILDS).toEqual(["release", "debug", "test"]);
    expect(TidWasm.create().hasTestHooks).toBe(false);
    expect(TidWasm.create({ build: "debug" }).hasTestHooks).toBe(false);
    expect(TidWasm.create({ build: "test" }).hasTestHooks).toBe(true);
    expect(() => TidWasm.create({ build: "tests" as never })).toThrow(
      /options\.build must be one of "release", "debug", "test", got "tests"/,
    );
    expect(() => wasmPath("x" as never)).toThrow(TypeError);
    expect(() => wasmModule(1 as never)).toThrow(TypeError);
  });

  it("TidClient.testHooks throws a TypeError naming options.build on release and debug, and works on test", async () => {
    for (const build of ["release", "debug"] as const) {
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
});
