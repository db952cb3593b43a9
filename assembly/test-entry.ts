// Entry of the test build (asconfig target "test" → build/test.wasm, docs/abi.md "Build targets"):
// the whole module of assembly/index.ts plus the TEST HOOKS, optimised like the release build.
// For tests and the benchmark only; never embed it in a product.
export * from "./index";
export * from "./abi/test-hooks";
