// The link driver loop, written once (docs/hal.md "Every call in two forms"). A link's exchange is
// a generator that yields I/O and sleep requests (Step) and receives their results; it never
// touches a port or a clock's sleep itself. Two runners execute it:
//   runSync   on *Sync port calls and clock.sleepSync — behind the wasm's synchronous import
//   runAsync  on Promise port calls and clock.sleep   — for the TypeScript API
// so the sync and async paths cannot drift apart. A failed step is thrown back into the generator
// at its yield (gen.throw), where the exchange decides: NACK → poll again, bad frame → NAK, …
// A Tap sees every step and its outcome (stats, transcripts, debug hex dump).
import type { Clock } from "../clock.js";
import type { I2cPort, Port, SpiPort, SpiSegment } from "../bus/port.js";

export type Step =
  | { op: "write"; data: Uint8Array }
  | { op: "read"; length: number }
  | { op: "transfer"; segments: SpiSegment[] }
  | { op: "sleep"; ms: number };

export type Exchange<T> = Generator<Step, T, unknown>;

/** Sees each step after it ran: `result` on success, `error` when the port threw. */
export type Tap = (step: Step, result: unknown, error: unknown) => void;

export function* write(data: Uint8Array): Exchange<void> {
  yield { op: "write", data };
}

export function* read(length: number): Exchange<Uint8Array> {
  return (yield { op: "read", length }) as Uint8Array;
}

export function* transfer(segments: SpiSegment[]): Exchange<Uint8Array[]> {
  return (yield { op: "transfer", segments }) as Uint8Array[];
}

export function* sleep(ms: number): Exchange<void> {
  if (ms > 0) yield { op: "sleep", ms };
}

function wrongPort(step: Step, port: Port): Error {
  return new TypeError(`link step "${step.op}" cannot run on a ${port.kind} port (${port.name})`);
}

function performSync(step: Step, port: Port, clock: Clock): unknown {
  switch (step.op) {
    case "sleep":
      return clock.sleepSync(step.ms);
    case "write":
      if (port.kind !== "i2c") throw wrongPort(step, port);
      return (port as I2cPort).writeSync(step.data);
    case "read":
      if (port.kind !== "i2c") throw wrongPort(step, port);
      return (port as I2cPort).readSync(step.length);
    case "transfer":
      if (port.kind !== "spi") throw wrongPort(step, port);
      return (port as SpiPort).transferSync(step.segments);
  }
}

async function performAsync(step: Step, port: Port, clock: Clock): Promise<unknown> {
  switch (step.op) {
    case "sleep":
      return clock.sleep(step.ms);
    case "write":
      if (port.kind !== "i2c") throw wrongPort(step, port);
      return (port as I2cPort).write(step.data);
    case "read":
      if (port.kind !== "i2c") throw wrongPort(step, port);
      return (port as I2cPort).read(step.length);
    case "transfer":
      if (port.kind !== "spi") throw wrongPort(step, port);
      return (port as SpiPort).transfer(step.segments);
  }
}

/** Run an exchange to completion with blocking I/O. */
export function runSync<T>(ex: Exchange<T>, port: Port, clock: Clock, tap?: Tap): T {
  let r = ex.next();
  while (!r.done) {
    const step = r.value;
    let result: unknown;
    let failed = false;
    let error: unknown;
    try {
      result = performSync(step, port, clock);
    } catch (e) {
      failed = true;
      error = e;
    }
    tap?.(step, result, error);
    r = failed ? ex.throw(error) : ex.next(result);
  }
  return r.value;
}

/** Run an exchange to completion with Promise I/O. */
export async function runAsync<T>(ex: Exchange<T>, port: Port, clock: Clock, tap?: Tap): Promise<T> {
  let r = ex.next();
  while (!r.done) {
    const step = r.value;
    let result: unknown;
    let failed = false;
    let error: unknown;
    try {
      result = await performAsync(step, port, clock);
    } catch (e) {
      failed = true;
      error = e;
    }
    tap?.(step, result, error);
    r = failed ? ex.throw(error) : ex.next(result);
  }
  return r.value;
}
