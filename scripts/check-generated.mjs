// Checks that generated code is what its generator writes today: every `<name>.gen.mjs` in the
// repo prints the whole file it generates on stdout, and that file sits beside it as `<name>`,
// or `<name>.ts` when `<name>` has no extension of its own (assembly/sm3/compress.gen.mjs writes
// assembly/sm3/compress.ts; a `tid.h.gen.mjs` would write `tid.h`). Each generator runs with the
// repo root as its working directory, its output goes to a temporary folder (kept, and named in
// the report, when something differs), and the check fails when it differs from the file in the
// tree, or when that file is missing.
//
//   node scripts/check-generated.mjs [root]     (root: the repo by default; tests pass a copy)
//
// Exit 0 when every generated file is current, 1 otherwise (each difference is reported).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SKIP = new Set(["node_modules", "dist", "build", ".git", "coverage"]);
const SUFFIX = ".gen.mjs";

/**
 * Every generator under `dir`, depth first, in a stable order.
 * @param {string} dir
 * @returns {string[]}
 */
function findGenerators(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => {
      if (e.isDirectory()) return SKIP.has(e.name) ? [] : findGenerators(join(dir, e.name));
      return e.isFile() && e.name.endsWith(SUFFIX) ? [join(dir, e.name)] : [];
    });
}

/**
 * The file a generator writes: `x.gen.mjs` → `x.ts`, `x.h.gen.mjs` → `x.h`.
 * @param {string} generator
 */
export function outputOf(generator) {
  const name = basename(generator).slice(0, -SUFFIX.length);
  return join(dirname(generator), extname(name) ? name : `${name}.ts`);
}

/**
 * The first line where two texts differ, for the report.
 * @param {string} want
 * @param {string} got
 */
function firstDifference(want, got) {
  const a = want.split("\n");
  const b = got.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}: the generator writes ${JSON.stringify(a[i] ?? "<end of file>")}, the tree has ${JSON.stringify(b[i] ?? "<end of file>")}`;
  }
  return "the texts differ";
}

/**
 * Run every generator under `root`; returns one message per stale or missing output.
 * @param {string} root
 * @returns {{ checked: string[], problems: string[], scratch: string | null }}
 */
export function checkGenerated(root) {
  const generators = findGenerators(root);
  const scratch = mkdtempSync(join(tmpdir(), "tid-generated-"));
  const problems = [];
  try {
    for (const generator of generators) {
      const rel = relative(root, generator);
      const target = outputOf(generator);
      const relTarget = relative(root, target);
      const run = spawnSync(process.execPath, [generator], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
      if (run.status !== 0) {
        problems.push(`${rel} failed (exit ${run.status ?? run.signal}): ${run.stderr.trim()}`);
        continue;
      }
      const fresh = join(scratch, relTarget);
      mkdirSync(dirname(fresh), { recursive: true });
      writeFileSync(fresh, run.stdout);
      if (!existsSync(target)) {
        problems.push(`${relTarget} is missing: create it with \`node ${rel} > ${relTarget}\``);
        continue;
      }
      const committed = readFileSync(target, "utf8");
      if (committed !== run.stdout) {
        problems.push(
          `${relTarget} is not what ${rel} writes (${firstDifference(run.stdout, committed)}); regenerate it with \`node ${rel} > ${relTarget}\` and commit both`,
        );
      }
    }
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    throw e;
  }
  if (problems.length === 0) rmSync(scratch, { recursive: true, force: true });
  return { checked: generators.map((g) => relative(root, g)), problems, scratch: problems.length === 0 ? null : scratch };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  const { checked, problems, scratch } = checkGenerated(root);
  if (checked.length === 0) {
    console.error(`check-generated: no *${SUFFIX} generator under ${root}`);
    process.exit(1);
  }
  for (const p of problems) console.error(`check-generated: ${p}`);
  if (problems.length > 0) {
    console.error(`check-generated: what the generators write today is in ${scratch}`);
    process.exit(1);
  }
  console.log(
    `check-generated: the output of ${checked.length} generator${checked.length === 1 ? "" : "s"} is current (${checked.join(", ")})`,
  );
}
