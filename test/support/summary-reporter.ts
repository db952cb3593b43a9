// A vitest reporter that ends the run with one plain line, "N passed, N failed, N skipped", so a
// CI log reader that knows no vitest output still sees how many tests ran.
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0,
      failed = 0,
      skipped = 0;
    for (const m of testModules) {
      // a file that failed to load has no tests to count: count the file itself as one failure
      if (m.state() === "failed" && [...m.children.allTests()].every((t) => t.result().state !== "failed")) failed++;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
