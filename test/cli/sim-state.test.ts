// The simulated SE's state file (cli/sim-state.ts) carries the identity's algorithm suite
// (docs/se-profile.md "Algorithm suites"): written and read back, a file from before suites reads
// as suite SM, anything else in "suite" is a usage error.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSimState, writeSimState } from "../../cli/sim-state.js";
import { UsageError } from "../../cli/command.js";

const dir = mkdtempSync(join(tmpdir(), "tid-sim-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TID = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const PSK = new Uint8Array(16).fill(0x5a);

describe("sim-state suite", () => {
  it("writes and reads back suite intl and sm", async () => {
    for (const suite of ["intl", "sm"] as const) {
      const path = join(dir, `${suite}.json`);
      await writeSimState(path, { tid: TID, psk: PSK, suite, locked: true });
      expect(JSON.parse(readFileSync(path, "utf8")).suite).toBe(suite);
      expect(readSimState(path)).toMatchObject({ tid: TID, psk: PSK, suite, locked: true });
    }
  });

  it("a file without suite (written before suites) reads as sm; no suite given writes sm", async () => {
    const path = join(dir, "old.json");
    await writeSimState(path, { tid: TID, psk: PSK, locked: false });
    const j = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    expect(j.suite).toBe("sm");
    delete j.suite;
    writeFileSync(path, JSON.stringify(j), { mode: 0o600 });
    expect(readSimState(path).suite).toBe("sm");
  });

  it('any other "suite" is a usage error naming the field', async () => {
    const path = join(dir, "bad.json");
    await writeSimState(path, { tid: TID, psk: PSK, locked: false });
    const j = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    for (const bad of ["INTL", "aes", 1, null]) {
      writeFileSync(path, JSON.stringify({ ...j, suite: bad }), { mode: 0o600 });
      expect(() => readSimState(path)).toThrow(UsageError);
      expect(() => readSimState(path)).toThrow(/"suite" must be "sm" or "intl"/);
    }
  });
});
