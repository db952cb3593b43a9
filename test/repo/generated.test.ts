// The generated-code check (scripts/check-generated.mjs, run as `npm run check:generated` before
// the tests): the repo's generated files are what their generators write today, and the check
// fails, naming the file and the command that regenerates it, when one is edited by hand or
// missing. The failing cases run the script itself on a scratch copy of one generator.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkGenerated, outputOf } from "../../scripts/check-generated.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SCRIPT = join(ROOT, "scripts", "check-generated.mjs");
const GENERATOR = "assembly/sm3/compress.gen.mjs";
const OUTPUT = "assembly/sm3/compress.ts";

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

/** A scratch tree holding the SM3 generator and, unless left out, its committed output. */
function copyTree(output: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), "tid-generated-test-"));
  scratch.push(dir);
  mkdirSync(join(dir, dirname(GENERATOR)), { recursive: true });
  copyFileSync(join(ROOT, GENERATOR), join(dir, GENERATOR));
  if (output !== null) writeFileSync(join(dir, OUTPUT), output);
  return dir;
}

function runCheck(root: string) {
  const r = spawnSync(process.execPath, [SCRIPT, root], { encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`;
  // On failure the script keeps the fresh output for a diff and names the folder: clean it up.
  const kept = /write today is in (\S+)/.exec(out);
  if (kept) scratch.push(kept[1]!);
  return { status: r.status, out };
}

describe("generated code (scripts/check-generated.mjs)", () => {
  it("names each generator's output after what it writes", () => {
    expect(outputOf("assembly/ec/curves.gen.mjs")).toBe(join("assembly", "ec", "curves.ts"));
    expect(outputOf("assembly/sm3/compress.gen.mjs")).toBe(join("assembly", "sm3", "compress.ts"));
    expect(outputOf("include/tid.h.gen.mjs")).toBe(join("include", "tid.h"));
  });

  it("finds the repo's generated files current", { timeout: 60_000 }, () => {
    const { checked, problems, scratch: kept } = checkGenerated(ROOT);
    expect(problems).toEqual([]);
    expect(kept).toBeNull();
    expect(checked).toEqual(expect.arrayContaining(["assembly/ec/curves.gen.mjs", "assembly/sm3/compress.gen.mjs"]));
  });

  it("passes an unchanged copy", { timeout: 60_000 }, () => {
    const r = runCheck(copyTree(readFileSync(join(ROOT, OUTPUT), "utf8")));
    expect(r.out).toContain("the output of 1 generator is current");
    expect(r.status).toBe(0);
  });

  it("fails when the generated file was edited by hand, naming the line and the command", { timeout: 60_000 }, () => {
    const lines = readFileSync(join(ROOT, OUTPUT), "utf8").split("\n");
    const i = lines.findIndex((l) => l.includes("0x"));
    lines[i] = lines[i]!.replace("0x", "0X");
    const r = runCheck(copyTree(lines.join("\n")));
    expect(r.status).toBe(1);
    expect(r.out).toContain(`${OUTPUT} is not what ${GENERATOR} writes (line ${i + 1}:`);
    expect(r.out).toContain(`node ${GENERATOR} > ${OUTPUT}`);
  });

  it("fails when the generated file is missing", { timeout: 60_000 }, () => {
    const r = runCheck(copyTree(null));
    expect(r.status).toBe(1);
    expect(r.out).toContain(`${OUTPUT} is missing`);
  });
});
