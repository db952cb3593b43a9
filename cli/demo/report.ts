// The demo's report and its step runner (`tid demo`, cli/commands/demo.ts): each step is timed —
// wall clock and, on a simulated board, simulated bus time, simulated time and wire bytes —
// printed as it ends (text mode) and recorded in the report (--json). A step that throws ends the
// demo with StepFailed naming it.
import { performance } from "node:perf_hooks";
import type { OpenedBoard } from "../../hal/open-board.js";
import type { WasmBuild } from "../../bindings/wasm.js";
import type { SuiteName } from "../../reference/constants.js";
import { toHex } from "../../reference/bytes.js";

/** How many steps a whole run has (the `[ n/12]` of the text output); `--tls` has its own count. */
export const DEMO_STEPS = 12;

export interface DemoStep {
  name: string;
  ok: boolean;
  /** wall-clock time of the step, ms */
  ms: number;
  /** SE backend: simulated bus time (bus busy) of the step, µs */
  busUs?: number;
  /** SE backend: simulated time of the step (bus, SE processing, polling), ms */
  simMs?: number;
  /** SE backend: bytes that crossed the simulated bus (frames, polls, status bytes) */
  wireBytes?: number;
  /** size of the step's main output, bytes */
  bytes?: number;
  detail: string[];
  error?: string;
}

/** One bus transaction as a probe on the simulated wires saw it: "out" = host → SE, "in" = SE → host. */
export interface BusFrame {
  dir: "out" | "in";
  hex: string;
}

export interface DemoReport {
  ok: boolean;
  backend: "se" | "soft";
  /** the device's algorithm suite (docs/protocol.md "Algorithm suites") */
  suite: SuiteName;
  /** SE backend: every APDU after SELECT went through the shielded link (false: --unshielded, or the soft backend) */
  shielded: boolean;
  /** SE backend: every frame on the simulated bus, both directions, in order (check it for secrets yourself) */
  busCapture?: BusFrame[];
  board?: string;
  build: WasmBuild;
  server?: string;
  tid?: string;
  authcode?: string;
  serverData?: string;
  deviceToken?: string | null;
  serverToken?: string | null;
  uplink?: { plaintext: string; message: string };
  downlink?: { plaintext: string; message: string };
  symCrypto?: { plaintext: string; deviceCiphertext: string; serverCiphertext: string };
  /** --tls: the TID-TLS connections */
  tls?: TlsReport;
  steps: DemoStep[];
  totals: { ms: number; busUs?: number; simMs?: number; wireBytes?: number };
  error?: string;
}

export interface TlsConnectionReport {
  mode: "auth" | "resume";
  tid: string;
  cipherSuite: string;
  handshakeMs: number;
  bytesEchoed: number;
}

export interface TlsReport {
  /** the first connection's mode ("auth"); `connections` has each */
  mode: "auth" | "resume";
  cipherSuite: string;
  /** bytes sent and echoed back over all connections */
  bytesEchoed: number;
  connections: TlsConnectionReport[];
}

/** A step failed; the demo stops there. */
export class StepFailed extends Error {}

/** Hex, abbreviated to the first 16 and last 8 bytes when longer than 32 bytes. */
export function shortHex(b: Uint8Array): string {
  if (b.length <= 32) return toHex(b);
  return `${toHex(b.subarray(0, 16))}…${toHex(b.subarray(b.length - 8))}`;
}

export const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

/** Runs the steps one after the other, recording each in the report. */
export class StepRunner {
  /** the simulated board, once opened: its statistics go into each step */
  board: OpenedBoard | undefined;

  constructor(
    private readonly report: DemoReport,
    private readonly say: (line: string) => void,
    /** how many steps the run has (the n/total of the text output) */
    private readonly total: number = DEMO_STEPS,
  ) {}

  /** Run one step: time it (and the simulated bus), print it, record it; a throw fails the demo. */
  async step<T>(name: string, fn: () => Promise<T> | T, describe: (r: T) => { detail: string[]; bytes?: number }): Promise<T> {
    const n = this.report.steps.length + 1;
    const opened = this.board;
    const bus0 = opened?.se?.stats.busTimeMs ?? 0;
    const clk0 = opened?.clock.now() ?? 0;
    const wire0 = opened ? opened.link.stats.wireBytesOut + opened.link.stats.wireBytesIn : 0;
    const t0 = performance.now();
    const rec: DemoStep = { name, ok: false, ms: 0, detail: [] };
    this.report.steps.push(rec);
    let result: T;
    try {
      result = await fn();
      const d = describe(result);
      rec.detail = d.detail;
      if (d.bytes !== undefined) rec.bytes = d.bytes;
      rec.ok = true;
    } catch (e) {
      rec.error = e instanceof Error ? e.message : String(e);
    }
    rec.ms = round(performance.now() - t0);
    const after = this.board; // a board opened during the step counts from zero
    if (after?.se) {
      rec.busUs = round((after.se.stats.busTimeMs - bus0) * 1000, 1);
      rec.simMs = round(after.clock.now() - clk0);
      rec.wireBytes = after.link.stats.wireBytesOut + after.link.stats.wireBytesIn - wire0;
    }
    let timing = `${rec.ms.toFixed(1).padStart(6)} ms`;
    if (rec.busUs !== undefined && rec.wireBytes) {
      timing += `   simulated: bus ${(rec.busUs / 1000).toFixed(2)} ms, ${rec.simMs!.toFixed(1)} ms with SE work, ${rec.wireBytes} wire B`;
    }
    this.say(`[${String(n).padStart(2)}/${this.total}] ${name.padEnd(50, " ")} ${rec.ok ? "ok  " : "FAIL"} ${timing}`);
    for (const line of rec.detail) this.say(`        ${line}`);
    if (!rec.ok) {
      this.say(`        error: ${rec.error}`);
      throw new StepFailed(`step ${n} "${name}" failed: ${rec.error}`);
    }
    return result!;
  }
}

/** Add up the steps' times into report.totals (SE backend: simulated bus time and wire bytes too). */
export function addTotals(report: DemoReport, wallMs: number): void {
  report.totals.ms = round(wallMs);
  if (report.backend === "se") {
    const steps = report.steps;
    report.totals.busUs = round(
      steps.reduce((s, x) => s + (x.busUs ?? 0), 0),
      1,
    );
    report.totals.simMs = round(steps.reduce((s, x) => s + (x.simMs ?? 0), 0));
    report.totals.wireBytes = steps.reduce((s, x) => s + (x.wireBytes ?? 0), 0);
  }
}
