// Group commit (server/app/registry/group-commit.ts): writes submitted in one turn of the event
// loop share one batch; writes submitted while a batch commits wait for the next one; nothing
// resolves before its batch's commit returned; a failing job fails alone; a batch that does not
// commit fails all of its jobs; drain() waits for everything submitted.
import { describe, expect, it } from "vitest";
import { GroupCommit, type Job, type Outcome } from "../../server/app/registry/group-commit.js";

/** A fake backend: records each batch; commits when `release` is called. */
function backend(fail = false) {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const commit = async (jobs: Job<number[]>[]): Promise<Outcome[]> => {
    const tx: number[] = [];
    const outcomes = jobs.map((j): Outcome => {
      try {
        return { ok: true, value: j.run(tx) };
      } catch (error) {
        return { ok: false, error };
      }
    });
    batches.push(tx);
    await new Promise<void>((resolve) => releases.push(resolve));
    if (fail) throw new Error("commit failed");
    return outcomes;
  };
  return { batches, releases, gc: new GroupCommit<number[]>(commit) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("GroupCommit", () => {
  it("one batch per turn; later writes wait for the next; results only after the commit", async () => {
    const { batches, releases, gc } = backend();
    const settled: number[] = [];
    const first = [1, 2, 3].map((n) => gc.submit((tx) => (tx.push(n), n * 10)).then((v) => settled.push(v)));
    await tick();
    expect(batches).toEqual([[1, 2, 3]]);
    const later = [4, 5].map((n) => gc.submit((tx) => (tx.push(n), n * 10)).then((v) => settled.push(v)));
    await tick();
    expect(batches).toHaveLength(1); // the first batch is still committing
    expect(settled).toEqual([]); // and nothing is answered before its commit
    releases[0]!();
    await Promise.all(first);
    expect(settled).toEqual([10, 20, 30]);
    await tick();
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    releases[1]!();
    await Promise.all(later);
    expect(settled).toEqual([10, 20, 30, 40, 50]);
    await gc.drain();
  });

  it("a failing job fails alone; a batch that does not commit fails every job in it", async () => {
    const ok = backend();
    const a = ok.gc.submit(() => 1);
    const b = ok.gc.submit(() => {
      throw new RangeError("bad");
    });
    await tick();
    ok.releases[0]!();
    await expect(a).resolves.toBe(1);
    await expect(b).rejects.toThrow(RangeError);

    const broken = backend(true);
    const c = broken.gc.submit(() => 1);
    const d = broken.gc.submit(() => 2);
    await tick();
    broken.releases[0]!();
    await expect(c).rejects.toThrow(/commit failed/);
    await expect(d).rejects.toThrow(/commit failed/);
  });

  it("drain() waits for every write submitted so far", async () => {
    const { releases, gc } = backend();
    let done = false;
    void gc.submit(() => 1).then(() => (done = true));
    const drained = gc.drain().then(() => done);
    await tick();
    releases[0]!();
    expect(await drained).toBe(true);
    await gc.drain(); // idle: resolves at once
  });
});
