// The repository stands alone (docs/design.md "How it is tested"). Over every text file of the
// repo (git ls-files: tracked and new, not ignored):
//   - no citation of a file outside the repo (the design brief, the research notes, the shared
//     folder beside the checkout) and no issue number: say what the code or test is about instead;
//   - every repo path named in a comment or in a document's prose exists;
//   - every `docs/<name>.md "Section"` citation names a section that the document has;
//   - every relative Markdown link resolves to a file inside the repo and, for an #anchor into one
//     of our .md files, to a heading of it (GitHub's anchor rule).
// Each failure is reported as file:line and what is wrong there.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Folders never searched when the tree is walked without git (generated or installed). */
const SKIPPED_DIRS = new Set([".git", "node_modules", "dist", "build", "coverage"]);

function walk(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) walk(join(dir, entry.name), out);
    } else if (entry.isFile()) {
      out.push(relative(ROOT, join(dir, entry.name)).split(sep).join("/"));
    }
  }
  return out;
}

/** Repo-relative paths of the repo's files: git's list (tracked + new), or a walk of the tree. */
function repoFiles(): string[] {
  let names: string[];
  try {
    const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    names = listed.split("\0").filter((name) => name !== "");
  } catch {
    names = walk(ROOT, []); // not a git checkout (an unpacked tarball, say)
  }
  return [...new Set(names)].filter((name) => existsSync(join(ROOT, name)) && statSync(join(ROOT, name)).isFile()).sort();
}

interface TextFile {
  path: string;
  lines: string[];
}

/** Every repo file that is text (no NUL byte), split into lines. */
function textFiles(): TextFile[] {
  const files: TextFile[] = [];
  for (const path of repoFiles()) {
    const bytes = readFileSync(join(ROOT, path));
    if (bytes.includes(0)) continue;
    files.push({ path, lines: bytes.toString("utf8").split("\n") });
  }
  return files;
}

const FILES = textFiles();
const byPath = new Map(FILES.map((f) => [f.path, f]));
const isMarkdown = (path: string) => path.endsWith(".md");
const SOURCE_EXTENSIONS = /\.(ts|mts|js|mjs|cjs|h|c)$/;

/** A line with the part that is prose: a Markdown line outside code, or a source comment. */
interface ProseLine {
  line: number;
  text: string;
}

/** Markdown outside fenced code blocks; in source files, whole-line comments and trailing `// …`. */
function proseLines(file: TextFile): ProseLine[] {
  const out: ProseLine[] = [];
  if (isMarkdown(file.path)) {
    let fenced = false;
    file.lines.forEach((text, i) => {
      if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
      else if (!fenced) out.push({ line: i + 1, text });
    });
  } else if (SOURCE_EXTENSIONS.test(file.path) || file.path.startsWith(".ci/")) {
    file.lines.forEach((text, i) => {
      const trimmed = text.trim();
      if (/^(\/\/|\/\*|\*|#)/.test(trimmed)) out.push({ line: i + 1, text });
      else if (text.includes(" // ")) out.push({ line: i + 1, text: text.slice(text.indexOf(" // ")) });
    });
  }
  return out;
}

// ---- references that leave the repo ------------------------------------------------------------

// Built from pieces so that this file does not match its own patterns.
const OUTSIDE: { what: string; pattern: RegExp }[] = [
  { what: "cites the design brief, which is not in the repo", pattern: new RegExp(["DESIGN", "md"].join("\\.")) },
  { what: "cites research notes that are not in the repo", pattern: new RegExp(["se", "transport"].join("-")) },
  { what: "points into a folder beside the repo", pattern: new RegExp(["\\.\\.", "shared", ""].join("/")) },
  { what: "cites an issue number (say what it is about instead)", pattern: new RegExp("\\b[Ii]ssues? #?\\d+") },
];

describe("no reference leaves the repo", () => {
  it("has text files to check (the list is not empty by accident)", () => {
    expect(FILES.map((f) => f.path)).toEqual(expect.arrayContaining(["README.md", "docs/design.md", "package.json"]));
  });

  it("no file cites the design brief, the research notes, the shared folder or an issue number", () => {
    const found: string[] = [];
    for (const file of FILES) {
      file.lines.forEach((text, i) => {
        for (const { what, pattern } of OUTSIDE) {
          const m = pattern.exec(text);
          if (m) found.push(`${file.path}:${i + 1}: "${m[0]}" ${what}`);
        }
      });
    }
    expect(found).toEqual([]);
  });
});

// ---- paths named in comments and documents ---------------------------------------------------------

const TOP_FOLDERS = ["assembly", "bindings", "hal", "reference", "server", "cli", "bench", "test", "boards", "docs", "bin", "include"];
/** A repo path with a file extension, starting at a token boundary (not inside dist/… or a URL). */
const REPO_PATH = new RegExp(`(?<![\\w./@-])((?:${TOP_FOLDERS.join("|")})/[\\w./-]*?\\.(?:ts|mts|js|mjs|cjs|md|json|h))(?![\\w.-])`, "g");

describe("paths named in comments and documents exist", () => {
  it("every repo path in a comment or in a document's prose exists", () => {
    const missing: string[] = [];
    for (const file of FILES) {
      for (const { line, text } of proseLines(file)) {
        for (const m of text.matchAll(REPO_PATH)) {
          if (!existsSync(join(ROOT, m[1]!))) missing.push(`${file.path}:${line}: ${m[1]} does not exist`);
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });
});

// ---- headings, anchors, section citations ------------------------------------------------------------

interface Heading {
  text: string;
  slug: string;
}

/** GitHub's anchor of a heading: lower case, punctuation and symbols dropped, spaces → "-". */
function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The rendered text of a heading line: links reduced to their text, code marks dropped. */
function headingText(raw: string): string {
  return raw
    .replace(/^#{1,6}\s+/, "")
    .replace(/\s+#+\s*$/, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`/g, "")
    .trim();
}

const headingCache = new Map<string, Heading[]>();

/** The headings of a Markdown file of the repo (outside code blocks), with their anchors. */
function headingsOf(path: string): Heading[] {
  const cached = headingCache.get(path);
  if (cached) return cached;
  const file = byPath.get(path);
  const headings: Heading[] = [];
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of file?.lines ?? []) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced || !/^#{1,6}\s/.test(line)) continue;
    const text = headingText(line);
    const base = slugOf(text);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    headings.push({ text, slug: n === 0 ? base : `${base}-${n}` });
  }
  for (const line of file?.lines ?? []) {
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) headings.push({ text: m[1]!, slug: m[1]! });
  }
  headingCache.set(path, headings);
  return headings;
}

const normalise = (s: string) => s.replace(/`/g, "").replace(/\s+/g, " ").trim().toLowerCase();

/** A document (docs/<name>.md or README.md), then one or more quoted section names: `"A"`,
 * `, "A", "B"`, `"A" to "B"`. Captures the document and the quoted names. */
const SECTION_CITATION = /(?<![\w./-])(docs\/[\w-]+\.md|README\.md),?\s+("[^"\n]+"(?:(?:,\s*|\s+(?:and|to|or)\s+)"[^"\n]+")*)/g;

describe("section citations name sections that exist", () => {
  it('every docs/<name>.md "Section" citation matches a heading of that document', () => {
    const wrong: string[] = [];
    for (const file of FILES) {
      file.lines.forEach((text, i) => {
        for (const m of text.matchAll(SECTION_CITATION)) {
          const doc = m[1]!;
          if (!byPath.has(doc)) {
            wrong.push(`${file.path}:${i + 1}: ${doc} does not exist`);
            continue;
          }
          const headings = headingsOf(doc).map((h) => normalise(h.text));
          for (const quoted of m[2]!.matchAll(/"([^"\n]+)"/g)) {
            const name = normalise(quoted[1]!);
            if (!headings.some((h) => h.includes(name))) wrong.push(`${file.path}:${i + 1}: ${doc} has no section "${quoted[1]}"`);
          }
        }
      });
    }
    expect(wrong).toEqual([]);
  });
});

// ---- Markdown links ------------------------------------------------------------------------------------

/** Inline links [text](target "title") and reference definitions [id]: target, outside code. */
function linksOf(file: TextFile): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  for (const { line, text } of proseLines(file)) {
    const prose = text.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line, target: m[1]! });
    const def = /^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose);
    if (def) links.push({ line, target: def[1]! });
  }
  return links;
}

describe("Markdown links between the documents resolve", () => {
  const markdown = FILES.filter((f) => isMarkdown(f.path));

  it("checks the README and the docs", () => {
    expect(markdown.map((f) => f.path)).toEqual(expect.arrayContaining(["README.md", "docs/design.md", "docs/protocol.md"]));
    expect(linksOf(byPath.get("README.md")!).length).toBeGreaterThan(0);
  });

  it("every relative link points to a file in the repo, and every #anchor to a heading", () => {
    const broken: string[] = [];
    for (const file of markdown) {
      for (const { line, target } of linksOf(file)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue; // https:, mailto:, …
        const hash = target.indexOf("#");
        const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
        const anchor = hash < 0 ? "" : decodeURIComponent(target.slice(hash + 1));
        const absolute = pathPart === "" ? join(ROOT, file.path) : resolve(ROOT, dirname(file.path), pathPart);
        const inRepo = relative(ROOT, absolute).split(sep).join("/");
        const where = `${file.path}:${line}: (${target})`;
        if (inRepo.startsWith("..")) {
          broken.push(`${where} leads outside the repo`);
        } else if (!existsSync(absolute)) {
          broken.push(`${where} ${inRepo} does not exist`);
        } else if (anchor !== "" && isMarkdown(inRepo)) {
          if (!headingsOf(inRepo).some((h) => h.slug === anchor)) broken.push(`${where} ${inRepo} has no heading with anchor #${anchor}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("computes anchors as GitHub does", () => {
    expect(slugOf(headingText("## Fault campaign (`test/sim/fault-campaign.test.ts`)"))).toBe("fault-campaign-testsimfault-campaigntestts");
    expect(slugOf(headingText("## The authcode (device → user server → auth server), 132 + L bytes"))).toBe(
      "the-authcode-device--user-server--auth-server-132--l-bytes",
    );
    expect(slugOf(headingText("### Enable SPI (rpi4-spi)"))).toBe("enable-spi-rpi4-spi");
  });
});
