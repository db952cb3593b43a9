// The layer rule check (.dependency-cruiser.cjs, run as `npm run check:layers` before the tests)
// fails when the rule is broken: dependency-cruiser itself, with the repo's config and the exact
// command line of the check:layers script, runs on a scratch tree shaped like the repo. A tree
// whose imports all follow the rule passes; the same tree plus one module per broken rule (hal
// importing the server, an import cycle, a device module loading better-sqlite3, …) fails with
// exactly those violations reported.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CONFIG = join(ROOT, ".dependency-cruiser.cjs");

/** The check:layers script's arguments after `depcruise`, with the config made absolute. */
function checkLayersArgs(): string[] {
  const script: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts["check:layers"];
  const words = script.split(/\s+/);
  if (words[0] !== "depcruise") throw new Error(`check:layers should run depcruise, it runs: ${script}`);
  return words.slice(1).map((w) => (w === ".dependency-cruiser.cjs" ? CONFIG : w));
}

/** The folders and files the script cruises (its arguments that are not options). */
function cruisedPaths(args: string[]): string[] {
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i]!.startsWith("-")) i++;
    else paths.push(args[i]!);
  }
  return paths;
}

/** Modules whose imports follow the rule. */
const GOOD: Record<string, string> = {
  "reference/bytes.ts": 'import { createHash } from "node:crypto";\nexport const h = createHash;\n',
  "reference/constants.ts": "export const TID_SIZE = 8;\n",
  "reference/index.ts": 'export * from "./bytes.js";\nexport * from "./constants.js";\n',
  "hal/link/link.ts":
    'import { h } from "../../reference/bytes.js";\nimport { TID_SIZE } from "../../reference/constants.js";\nexport const l = [h, TID_SIZE];\n',
  "hal/sim/applet.ts":
    'import * as ref from "../../reference/index.js";\nimport { l } from "../link/link.js";\nexport const a = [ref, l];\n',
  "bindings/client.ts":
    'import { TID_SIZE } from "../reference/constants.js";\nimport loader from "@assemblyscript/loader";\nexport const c = [TID_SIZE, loader];\n',
  "bindings/sm2.ts": 'import { c } from "./client.js";\nexport const sm2 = c;\n',
  "server/sdk/index.ts": 'import * as ref from "../../reference/index.js";\nexport const s = ref;\n',
  "server/app/server-data.ts": 'import { sm2 } from "../../bindings/sm2.js";\nexport const d = sm2;\n',
  "server/app/index.ts":
    'import { s } from "../sdk/index.js";\nimport Database from "better-sqlite3";\nexport const app = [s, Database];\n',
  "cli/main.ts":
    'import { c } from "../bindings/client.js";\nimport { a } from "../hal/sim/applet.js";\nimport { app } from "../server/app/index.js";\nexport const m = [c, a, app];\n',
  "bench/run.ts": 'import { m } from "../cli/main.js";\nimport { a } from "../hal/sim/applet.js";\nexport const b = [m, a];\n',
  "test/support/t.ts": 'import { a } from "../../hal/sim/applet.js";\nexport const t = a;\n',
  "test/x.test.ts":
    'import { t } from "./support/t.js";\nimport { b } from "../bench/run.js";\nimport { describe } from "vitest";\nexport const x = [t, b, describe];\n',
  "assembly/index.ts": 'import { f } from "./f";\nexport const y = f;\n',
  "assembly/f.ts": "export const f = 1;\n",
  "scripts/tool.mjs": 'import { readFileSync } from "node:fs";\nexport const r = readFileSync;\n',
  "bin/tid.js": 'import { m } from "../cli/main.js";\nexport const z = m;\n',
  "vitest.config.ts": "export default {};\n",
};

/** One module per broken rule, and the violations each must cause: [rule, from, to]. */
const BAD: Record<string, { source: string; violations: [string, string, string][] }> = {
  "reference/uses-hal.ts": {
    source: 'import { l } from "../hal/link/link.js";\nexport const r = l;\n',
    violations: [["reference-stands-alone", "reference/uses-hal.ts", "hal/link/link.ts"]],
  },
  "hal/link/uses-server.ts": {
    source: 'import { s } from "../../server/sdk/index.js";\nexport const u = s;\n',
    violations: [["hal-imports-hal-and-reference", "hal/link/uses-server.ts", "server/sdk/index.ts"]],
  },
  "hal/se/uses-protocol.ts": {
    source: 'import * as ref from "../../reference/index.js";\nexport const p = ref;\n',
    violations: [["hal-outside-sim-needs-only-bytes-and-constants", "hal/se/uses-protocol.ts", "reference/index.ts"]],
  },
  "bindings/uses-hal.ts": {
    source: 'import { l } from "../hal/link/link.js";\nimport * as ref from "../reference/index.js";\nexport const u = [l, ref];\n',
    violations: [
      ["bindings-import-only-bytes-and-constants", "bindings/uses-hal.ts", "hal/link/link.ts"],
      ["bindings-import-only-bytes-and-constants", "bindings/uses-hal.ts", "reference/index.ts"],
    ],
  },
  "bindings/uses-dev-package.ts": {
    source: 'import { describe } from "vitest";\nexport const d = describe;\n',
    violations: [
      ["bindings-import-only-bytes-and-constants", "bindings/uses-dev-package.ts", "npm:vitest"],
      ["shipped-code-declares-its-packages", "bindings/uses-dev-package.ts", "npm:vitest"],
    ],
  },
  "server/sdk/uses-app.ts": {
    source: 'import { app } from "../app/index.js";\nexport const u = app;\n',
    violations: [["server-sdk-imports-sdk-and-reference", "server/sdk/uses-app.ts", "server/app/index.ts"]],
  },
  "server/app/uses-cli.ts": {
    source: 'import { m } from "../../cli/main.js";\nexport const u = m;\n',
    violations: [["server-app-imports-app-sdk-and-reference", "server/app/uses-cli.ts", "cli/main.ts"]],
  },
  "server/app/uses-wasm.ts": {
    source: 'import { sm2 } from "../../bindings/sm2.js";\nexport const u = sm2;\n',
    violations: [["server-app-imports-app-sdk-and-reference", "server/app/uses-wasm.ts", "bindings/sm2.ts"]],
  },
  "cli/uses-test.ts": {
    source: 'import { t } from "../test/support/t.js";\nexport const u = t;\n',
    violations: [
      ["cli-not-to-test-or-bench", "cli/uses-test.ts", "test/support/t.ts"],
      ["only-tests-import-tests", "cli/uses-test.ts", "test/support/t.ts"],
    ],
  },
  "cli/uses-sqlite.ts": {
    source: 'import Database from "better-sqlite3";\nexport const u = Database;\n',
    violations: [
      ["only-server-app-loads-sqlite", "cli/uses-sqlite.ts", "npm:better-sqlite3"],
      ["shipped-code-declares-its-packages", "cli/uses-sqlite.ts", "npm:better-sqlite3"],
    ],
  },
  // A cycle is reported once, at the module where the cruise meets it; this one closes through a
  // type-only import, which counts too.
  "hal/apdu/a.ts": {
    source: 'import { b } from "./b.js";\nexport const a = () => b;\n',
    violations: [["no-circular", "hal/apdu/a.ts", "hal/apdu/b.ts"]],
  },
  "hal/apdu/b.ts": {
    source: 'import type { a } from "./a.js";\nexport const b = 1;\nexport type A = typeof a;\n',
    violations: [],
  },
  "assembly/uses-reference.ts": {
    source: 'import { TID_SIZE } from "../reference/constants";\nexport const s = TID_SIZE;\n',
    violations: [["assembly-stands-alone", "assembly/uses-reference.ts", "reference/constants.ts"]],
  },
};

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  /** the specifier as written, e.g. the package name */
  unresolvedTo?: string;
}

/** "rule | from | to", with a package named as npm:NAME wherever its files happen to resolve. */
function describeViolation(v: Violation): string {
  const to = /(^|\/)node_modules\//.test(v.to) ? `npm:${v.unresolvedTo}` : v.to;
  return [v.rule.name, v.from, to].join(" | ");
}

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

/** A scratch tree with the repo's manifests (as they matter to the rules) and these modules. */
function tree(modules: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "tid-layers-"));
  scratch.push(dir);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const rootManifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const serverManifest = JSON.parse(readFileSync(join(ROOT, "server", "package.json"), "utf8"));
  write("package.json", JSON.stringify(rootManifest, null, 2));
  write("server/package.json", JSON.stringify(serverManifest, null, 2));
  write(
    "tsconfig.json",
    JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, allowJs: true } }),
  );
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  for (const [path, source] of Object.entries(modules)) write(path, source);
  return dir;
}

/** Run depcruise in `dir` as check:layers runs it, or with JSON output to read the violations. */
function cruise(dir: string, output: "as-scripted" | "json"): { status: number | null; stdout: string; stderr: string } {
  const args = checkLayersArgs();
  const type = args.indexOf("--output-type");
  if (output === "json") args.splice(type, 2, "--output-type", "json");
  const r = spawnSync(process.execPath, [join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs"), ...args], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function violations(dir: string): Violation[] {
  const r = cruise(dir, "json");
  try {
    return JSON.parse(r.stdout).summary.violations;
  } catch {
    throw new Error(`dependency-cruiser printed no JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

describe("the layer rule check (dependency-cruiser, .dependency-cruiser.cjs)", () => {
  it("cruises every source folder of the repo", () => {
    expect(cruisedPaths(checkLayersArgs()).sort()).toEqual(
      ["assembly", "bench", "bin", "bindings", "cli", "hal", "reference", "scripts", "server", "test", "vitest.config.ts"].sort(),
    );
    expect(checkLayersArgs()).toContain(CONFIG);
  });

  it("passes a tree whose imports follow the rule", { timeout: 60_000 }, () => {
    const dir = tree(GOOD);
    const r = cruise(dir, "as-scripted");
    expect(r.status, `check:layers on a good tree:\n${r.stdout}${r.stderr}`).toBe(0);
    expect(violations(dir).map(describeViolation)).toEqual([]);
  });

  it("fails, naming each rule and import, when modules break it", { timeout: 60_000 }, () => {
    const modules = { ...GOOD, ...Object.fromEntries(Object.entries(BAD).map(([p, b]) => [p, b.source])) };
    const dir = tree(modules);
    const want = Object.values(BAD).flatMap((b) => b.violations);
    expect(violations(dir).map(describeViolation).sort()).toEqual(want.map((v) => v.join(" | ")).sort());
    // The check as npm test runs it: a failing exit status (depcruise exits with the number of
    // errors) and a report naming each rule and the importing module.
    const r = cruise(dir, "as-scripted");
    expect(r.status).toBe(want.length);
    for (const [rule, from] of want) expect(r.stdout).toContain(`error ${rule}: ${from} →`);
  });
});
