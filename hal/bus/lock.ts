// One bus, one operation at a time (docs/hal.md "One operation per bus": interleaved operations
// would corrupt frames). A BusLock serialises the operations that use one bus:
//   run(fn)      async: queues behind every earlier operation, FIFO
//   runSync(fn)  sync: runs at once if the bus is idle; if an async operation is running or
//                queued, throws BusError "EBUSY" (a sync call cannot wait for a Promise).
// The link layer holds the lock for a whole APDU exchange (write, polls, reads); the real port
// adapters hold their own lock per bus transaction, so a port used directly is safe too.
// busLock(name) returns the one lock shared by every user of that bus name in this process.
import { BusError } from "./errors.js";

export class BusLock {
  readonly bus: string;
  private running = false;
  private queued = 0;
  private tail: Promise<void> = Promise.resolve();

  constructor(bus: string) {
    this.bus = bus;
  }

  /** True while an operation runs or waits for the bus. */
  get busy(): boolean {
    return this.running || this.queued > 0;
  }

  /**
   * Run `fn` now, holding the bus.
   * @throws BusError EBUSY when another operation holds or waits for the bus
   */
  runSync<T>(what: string, fn: () => T): T {
    if (this.busy) {
      throw new BusError("EBUSY", this.bus, "another operation is using this bus (an async call is in flight; await it first)", {
        op: what,
      });
    }
    this.running = true;
    try {
      return fn();
    } finally {
      this.running = false;
    }
  }

  /** Run `fn` after every operation queued before it, holding the bus. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    this.queued++;
    try {
      await before;
    } finally {
      this.queued--;
    }
    this.running = true;
    try {
      return await fn();
    } finally {
      this.running = false;
      release();
    }
  }
}

const locks = new Map<string, BusLock>();

/** The process-wide lock of a bus (e.g. "/dev/i2c-1"). */
export function busLock(bus: string): BusLock {
  let l = locks.get(bus);
  if (l === undefined) {
    l = new BusLock(bus);
    locks.set(bus, l);
  }
  return l;
}
