// The layer rule of this repo (docs/design.md), checked by dependency-cruiser in `npm test`
// (`npm run check:layers`). Dependencies go one way:
//
//   reference/      the TID protocol on node:crypto            → nothing of the repo
//   hal/sim/        the simulated secure element                → hal/, reference/
//   hal/ (the rest) buses, links, APDUs, the SE client          → hal/, reference/{bytes,constants,secure-link}.ts
//   bindings/       the device SDK around the wasm              → reference/{bytes,constants}.ts
//   server/sdk/     what a user server uses                     → reference/, bindings/tls/ (the
//                   TID-TLS engine and its wasm cipher, shared with the device: docs/tls.md)
//   server/app/     the reference auth server                   → server/sdk/, reference/
//                   (and one file, server/app/server-data.ts, → bindings/{wasm,sm2}.ts: the
//                   server's SM2 runs on the wasm for speed, checked against reference/ in
//                   test/server/server-data.test.ts; docs/server.md "Server SM2 on the wasm")
//   cli/            the `tid` command                           → anything but test/ and bench/
//   bench/, test/   measure and check everything                → anything
//   assembly/       the AssemblyScript sources of the wasm      → nothing outside assembly/
//
// and no import cycles anywhere, type-only imports included. The code that ships in the root
// package (what a device installs) must not use a package it does not declare: better-sqlite3
// belongs to @tid-wasm/server (server/package.json) and only server/app/ may load it.
// test/repo/layers.test.ts runs this file on a scratch tree that breaks each rule.

/** A `to` that matches a dependency outside the given folders (node built-ins are always fine). */
const outside = (pattern) => ({ pathNot: pattern, dependencyTypesNot: ["core"] });

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle: move the piece both modules need into a module of its own.",
      from: {},
      to: { circular: true },
    },
    {
      name: "reference-stands-alone",
      severity: "error",
      comment: "reference/ is the independent check on the wasm and the HAL: it imports only itself and node's built-ins.",
      from: { path: "^reference/" },
      to: outside("^reference/"),
    },
    {
      name: "hal-imports-hal-and-reference",
      severity: "error",
      comment: "hal/ may import only hal/ and reference/ (and the native bus packages): never bindings/, server/ or cli/.",
      from: { path: "^hal/" },
      to: { ...outside("^(hal|reference)/"), dependencyTypesNot: ["core", "npm", "npm-optional"] },
    },
    {
      name: "hal-outside-sim-needs-only-bytes-and-constants",
      severity: "error",
      comment:
        "Outside hal/sim/, the HAL takes only the hex helper, the protocol sizes and the shielded SE link's host half from reference/; the protocol itself is the simulator's.",
      from: { path: "^hal/", pathNot: "^hal/sim/" },
      to: { path: "^reference/", pathNot: "^reference/(bytes|constants|secure-link)[.]ts$" },
    },
    {
      name: "bindings-import-only-bytes-and-constants",
      severity: "error",
      comment: "bindings/ is the device SDK around the wasm: besides itself it imports only reference/bytes.ts and reference/constants.ts.",
      from: { path: "^bindings/" },
      to: { ...outside("^(bindings/|reference/(bytes|constants)[.]ts$)"), dependencyTypesNot: ["core", "npm"] },
    },
    {
      name: "server-sdk-imports-sdk-and-reference",
      severity: "error",
      comment:
        "server/sdk/ (what a user server uses) builds on reference/, and on bindings/tls/ for TID-TLS (the record and handshake engine the device uses too).",
      from: { path: "^server/sdk/" },
      to: outside("^(server/sdk|reference|bindings/tls)/"),
    },
    {
      name: "server-app-imports-app-sdk-and-reference",
      severity: "error",
      comment:
        "server/app/ (the auth server) builds on server/sdk/ and reference/ (and its own npm dependencies); only server/app/server-data.ts may take the wasm's SM2 (bindings/wasm.ts, bindings/sm2.ts).",
      from: { path: "^server/app/", pathNot: "^server/app/server-data[.]ts$" },
      to: { ...outside("^(server/app|server/sdk|reference)/"), dependencyTypesNot: ["core", "npm"] },
    },
    {
      name: "server-wasm-sm2-only",
      severity: "error",
      comment: "server/app/server-data.ts takes from bindings/ the module loader and SM2, nothing else of the device SDK.",
      from: { path: "^server/app/server-data[.]ts$" },
      to: { ...outside("^(server/app|server/sdk|reference|bindings/(wasm|sm2)[.]ts$)"), dependencyTypesNot: ["core", "npm"] },
    },
    {
      name: "cli-not-to-test-or-bench",
      severity: "error",
      comment: "cli/ may use every layer, but not the tests or the benchmarks.",
      from: { path: "^cli/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "only-tests-import-tests",
      severity: "error",
      comment: "test/ (and its support code) is imported by tests only.",
      from: { pathNot: "^test/" },
      to: { path: "^test/" },
    },
    {
      name: "assembly-stands-alone",
      severity: "error",
      comment: "assembly/ is the AssemblyScript source of the wasm: it imports only itself.",
      from: { path: "^assembly/" },
      to: { pathNot: "^assembly/" },
    },
    {
      name: "shipped-code-declares-its-packages",
      severity: "error",
      comment:
        "Shipped code may use only the npm packages its package.json declares as dependencies (root: the device's; server/package.json: the server's): not devDependencies, not undeclared ones.",
      from: { path: "^(reference|bindings|hal|cli|server)/" },
      to: { dependencyTypes: ["npm-dev", "npm-no-pkg", "npm-unknown"] },
    },
    {
      name: "only-server-app-loads-sqlite",
      severity: "error",
      comment: "better-sqlite3 belongs to @tid-wasm/server: a device install must not need it.",
      from: { pathNot: "^(server/app|test|bench)/" },
      to: { path: "(^|/)node_modules/(@types/)?better-sqlite3/" },
    },
  ],
  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    exclude: { path: "^(dist|build|server/dist|coverage)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
