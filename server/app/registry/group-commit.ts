// Group commit: writes submitted while a transaction is being committed wait, and then go
// together into the next transaction, so one durable commit (one fsync) serves many requests. A
// write's promise settles only after the commit that holds it returned — so an HTTP answer that
// waits for it is never sent for a write a crash could lose. The backend (sqlite.ts, postgres.ts)
// runs a batch: one transaction, each job in order, and tells each job's outcome.

/** One queued write: `run` does it inside the batch's transaction. */
export interface Job<C> {
  run(ctx: C): unknown;
}

/** A job's outcome within a committed batch. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Runs a batch in one transaction and returns each job's outcome, in order; a job that throws
 * fails alone (its own changes undone). Rejects only when the batch as a whole did not commit.
 */
export type CommitBatch<C> = (jobs: Job<C>[]) => Promise<Outcome[]>;

interface Queued<C> extends Job<C> {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class GroupCommit<C> {
  private queue: Queued<C>[] = [];
  private busy = false;
  private scheduled = false;
  private idle: (() => void)[] = [];

  /** `maxBatch`: most jobs in one transaction. */
  constructor(
    private readonly commitBatch: CommitBatch<C>,
    private readonly maxBatch = 512,
  ) {}

  /** Queue a write; resolves with its result once its transaction committed. */
  submit<T>(run: (ctx: C) => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Resolves once every write submitted so far has committed (or failed). */
  drain(): Promise<void> {
    if (!this.busy && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Flush on the next turn of the event loop: what arrives in this turn joins the batch. */
  private schedule(): void {
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return this.settleIdle();
    this.busy = true;
    try {
      const outcomes = await this.commitBatch(batch);
      batch.forEach((job, i) => {
        const o = outcomes[i]!;
        if (o.ok) job.resolve(o.value);
        else job.reject(o.error);
      });
    } catch (e) {
      for (const job of batch) job.reject(e);
    } finally {
      this.busy = false;
    }
    if (this.queue.length > 0) this.schedule();
    else this.settleIdle();
  }

  private settleIdle(): void {
    if (this.busy || this.scheduled || this.queue.length > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
