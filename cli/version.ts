// `tid --version`: the version of the installed tid-wasm package, read from its package.json —
// found by walking up from this module, which sits at cli/ in the sources and at dist/cli/ once
// compiled.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE_NAME = "tid-wasm";

/** The tid-wasm package's version ("0.1.0"). @throws Error when its package.json is not found */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === "string") return pkg.version;
    } catch {
      // no package.json here, or not ours: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`the ${PACKAGE_NAME} package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
