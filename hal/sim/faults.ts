// Fault plans for the simulated SE (docs/se-profile.md "Faults"): which bus transaction
// goes wrong, and how. A plan is consulted once per bus transaction (an I2C write or read, an SPI
// message) and answers with nothing or one fault. Two sources, combinable:
//   script  — entries matched in order against the transactions: "the 2nd read gets corrupted",
//             "NACK the next 3 writes"; for deterministic tests of each fault kind.
//   random  — with probability `rate` per transaction, a kind drawn uniformly from `kinds`, its
//             parameters drawn from the same seeded PRNG; for campaigns. Same seed, same faults.
//
// Kinds, and what the simulated chip/bus does (i2c.ts / spi.ts apply them):
//   nack      the SE does not answer this transaction (I2C: address NACK; SPI: status says busy,
//             a RECEIVE clocks 0xFF, a SEND is not taken: the previous response is dropped)
//   busy      the SE stays busy `busyMs` longer (then this transaction sees it busy)
//   corrupt   one bit flipped in the bytes of this transaction (either direction)
//   truncate  the transfer stops early: a read's tail is 0xFF (bus pulled high); a write
//             delivers only a prefix to the SE
//   garbage   the frame bytes are random (SPI: after the command byte)
//   drop      the SE loses its response: the one ready now, or the next one it produces
//   wtx       a WTX storm: `wtx` wait-time extensions before the next response (SPI, which has
//             no WTX: the SE stays busy `wtx` × 10 ms)
//   io        the transaction fails with an I/O error (BusError EIO or TIMEOUT); a failed write
//             may or may not have reached the SE (`delivered`)
//   reset     the SE resets now (power glitch, reset pin): RAM state lost, booting, NACKs
export type FaultKind = "nack" | "busy" | "corrupt" | "truncate" | "garbage" | "drop" | "wtx" | "io" | "reset";

export const FAULT_KINDS: readonly FaultKind[] = ["nack", "busy", "corrupt", "truncate", "garbage", "drop", "wtx", "io", "reset"];

/** An SPI message, by its command byte (spi.ts): SEND, STATUS, RECEIVE or any other byte. */
export type SpiOp = "send" | "status" | "receive" | "other";

/** What kind of transaction is asking: I2C write/read, or an SPI message by command byte. */
export type TransactionOp = "write" | "read" | SpiOp;

export interface Fault {
  kind: FaultKind;
  /** busy: extra milliseconds of busy time */
  busyMs?: number;
  /** wtx: number of wait-time extensions */
  wtx?: number;
  /** io: which bus error */
  error?: "EIO" | "TIMEOUT";
  /** io on a write/send: whether the bytes still reached the SE */
  delivered?: boolean;
  /** corrupt: which byte (taken modulo the length) and bit 0..7 */
  byte?: number;
  bit?: number;
  /** truncate: bytes kept (taken modulo the length) */
  keep?: number;
}

export interface ScriptedFault extends Fault {
  /** which transactions it matches (default: any) */
  op?: TransactionOp | "any";
  /** matching transactions to let pass first (default 0) */
  skip?: number;
  /** how many matching transactions it hits (default 1) */
  count?: number;
}

export interface FaultPlanOptions {
  /** probability of a random fault per bus transaction, 0..1 (default 0) */
  rate?: number;
  /** kinds drawn by the random source (default: all) */
  kinds?: readonly FaultKind[];
  /** PRNG seed (default 1) */
  seed?: number;
  /** deterministic faults, matched before the random source */
  script?: readonly ScriptedFault[];
}

/** mulberry32: small, fast, deterministic; good enough to pick faults. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultPlan {
  readonly rate: number;
  readonly kinds: readonly FaultKind[];
  /** the plan's PRNG (also used for the random bytes of garbage) */
  readonly random: () => number;
  /** transactions seen */
  transactions = 0;
  /** faults injected, by kind */
  readonly counts: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  private readonly script: { entry: ScriptedFault; skip: number; left: number }[];
  private enabled = true;

  constructor(options: FaultPlanOptions = {}) {
    const rate = options.rate ?? 0;
    if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) throw new RangeError(`faults.rate must be in 0..1, got ${String(rate)}`);
    this.rate = rate;
    this.kinds = options.kinds ?? FAULT_KINDS;
    for (const k of this.kinds) {
      if (!FAULT_KINDS.includes(k)) throw new TypeError(`faults.kinds: unknown kind "${String(k)}"; valid: ${FAULT_KINDS.join(", ")}`);
    }
    if (rate > 0 && this.kinds.length === 0) throw new RangeError("faults.kinds is empty but rate > 0");
    this.random = prng(options.seed ?? 1);
    this.script = (options.script ?? []).map((entry) => {
      if (!FAULT_KINDS.includes(entry.kind))
        throw new TypeError(`faults.script: unknown kind "${String(entry.kind)}"; valid: ${FAULT_KINDS.join(", ")}`);
      return { entry, skip: entry.skip ?? 0, left: entry.count ?? 1 };
    });
  }

  /** Turn the random source off or on (scripted entries still apply). */
  setEnabled(on: boolean): void {
    this.enabled = on;
  }

  /** Drop every scripted entry not used up yet (e.g. to check recovery after a scripted fault). */
  clearScript(): void {
    for (const s of this.script) s.left = 0;
  }

  /** Consulted once per bus transaction. */
  next(op: TransactionOp): Fault | null {
    this.transactions++;
    for (const s of this.script) {
      if (s.left <= 0) continue;
      const want = s.entry.op ?? "any";
      if (want !== "any" && want !== op) continue;
      if (s.skip > 0) {
        s.skip--;
        continue;
      }
      s.left--;
      this.counts[s.entry.kind]++;
      return this.fill({ ...s.entry });
    }
    if (!this.enabled || this.rate === 0 || this.random() >= this.rate) return null;
    const kind = this.kinds[Math.floor(this.random() * this.kinds.length)]!;
    this.counts[kind]++;
    return this.fill({ kind });
  }

  /** Random bytes from the plan's PRNG. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.random() * 256);
    return b;
  }

  /** Draw the parameters a fault leaves unspecified. */
  private fill(f: Fault): Fault {
    const r = this.random;
    switch (f.kind) {
      case "busy":
        f.busyMs ??= 5 + Math.floor(r() * 400);
        break;
      case "wtx":
        // Mostly storms the link rides out; some beyond its default limit of 100.
        f.wtx ??= 1 + Math.floor(r() * 150);
        break;
      case "io":
        f.error ??= r() < 0.5 ? "EIO" : "TIMEOUT";
        f.delivered ??= r() < 0.5;
        break;
      case "corrupt":
        f.byte ??= Math.floor(r() * 4096);
        f.bit ??= Math.floor(r() * 8);
        break;
      case "truncate":
        f.keep ??= Math.floor(r() * 4096);
        break;
    }
    return f;
  }
}

/** Flip one bit (fault.byte modulo the length, fault.bit). Returns a copy. */
export function corrupt(bytes: Uint8Array, f: Fault, from = 0): Uint8Array {
  const out = bytes.slice();
  const span = out.length - from;
  if (span <= 0) return out;
  const i = from + ((f.byte ?? 0) % span);
  out[i] = out[i]! ^ (1 << ((f.bit ?? 0) & 7));
  return out;
}

/** Keep a strict prefix (fault.keep modulo the length) and fill the rest with 0xFF. */
export function truncateRead(bytes: Uint8Array, f: Fault, from = 0): Uint8Array {
  const out = bytes.slice();
  const span = out.length - from;
  if (span <= 0) return out;
  out.fill(0xff, from + ((f.keep ?? 0) % span));
  return out;
}

/** A strict prefix of a write (at least one byte less). */
export function truncateWrite(bytes: Uint8Array, f: Fault): Uint8Array {
  if (bytes.length === 0) return bytes;
  return bytes.slice(0, (f.keep ?? 0) % bytes.length);
}
