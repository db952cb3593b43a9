// Test doubles for the HAL's bus layer (not a test file itself): scripted I2C and SPI ports that
// check every call against a script and keep a transcript (hex of every write and read).
import { BusError, type BusErrorCode } from "../../hal/bus/errors.js";
import type { I2cPort, SpiPort, SpiSegment } from "../../hal/bus/port.js";
import { fromHex, toHex } from "../../reference/bytes.js";

/** One expected I2C call: a write of exactly these bytes, a read answered with these bytes, or a failure. */
export type I2cStep = { w: string } | { r: string } | { nack: "w" | "r" } | { fail: "w" | "r"; code: BusErrorCode };

export class ScriptedI2cPort implements I2cPort {
  readonly kind = "i2c" as const;
  readonly name: string;
  readonly transcript: string[] = [];
  closed = false;
  private i = 0;

  constructor(
    private readonly script: I2cStep[],
    name = "fake-i2c@0x71",
  ) {
    this.name = name;
  }

  get remaining(): number {
    return this.script.length - this.i;
  }

  private next(op: "w" | "r", detail: string): I2cStep {
    const s = this.script[this.i++];
    if (s === undefined) throw new Error(`script exhausted at ${op} ${detail}; transcript:\n${this.transcript.join("\n")}`);
    return s;
  }

  writeSync(data: Uint8Array): void {
    const s = this.next("w", toHex(data, " "));
    if ("nack" in s && s.nack === "w") {
      this.transcript.push("W NACK");
      throw new BusError("NACK", this.name, "no ACK", { op: "write", errno: "EREMOTEIO" });
    }
    if ("fail" in s && s.fail === "w") {
      this.transcript.push(`W ${s.code}`);
      throw new BusError(s.code, this.name, "scripted failure", { op: "write" });
    }
    if (!("w" in s)) throw new Error(`expected ${JSON.stringify(s)}, got write ${toHex(data, " ")}`);
    if (toHex(data, " ") !== toHex(fromHex(s.w), " "))
      throw new Error(`expected write ${toHex(fromHex(s.w), " ")}, got ${toHex(data, " ")}`);
    this.transcript.push(`W ${toHex(data, " ")}`);
  }

  readSync(length: number): Uint8Array {
    const s = this.next("r", String(length));
    if ("nack" in s && s.nack === "r") {
      this.transcript.push(`R${length} NACK`);
      throw new BusError("NACK", this.name, "no ACK", { op: "read", errno: "EREMOTEIO" });
    }
    if ("fail" in s && s.fail === "r") {
      this.transcript.push(`R${length} ${s.code}`);
      throw new BusError(s.code, this.name, "scripted failure", { op: "read" });
    }
    if (!("r" in s)) throw new Error(`expected ${JSON.stringify(s)}, got read ${length}`);
    // Like the FM SE, a read of n bytes returns the first n bytes of the current frame.
    const full = fromHex(s.r);
    const out = new Uint8Array(length).fill(0xff);
    out.set(full.subarray(0, length));
    this.transcript.push(`R ${toHex(out, " ")}`);
    return out;
  }

  async write(data: Uint8Array): Promise<void> {
    await Promise.resolve();
    this.writeSync(data);
  }

  async read(length: number): Promise<Uint8Array> {
    await Promise.resolve();
    return this.readSync(length);
  }

  close(): void {
    this.closed = true;
  }
}

/** One expected SPI message: the bytes sent (hex, segments joined by "|") and the answer to each read. */
export type SpiStep = { tx: string; rx?: string[] } | { fail: BusErrorCode };

export class ScriptedSpiPort implements SpiPort {
  readonly kind = "spi" as const;
  readonly name: string;
  readonly transcript: string[] = [];
  closed = false;
  private i = 0;

  constructor(
    private readonly script: SpiStep[],
    name = "fake-spidev0.0",
  ) {
    this.name = name;
  }

  get remaining(): number {
    return this.script.length - this.i;
  }

  transferSync(segments: SpiSegment[]): Uint8Array[] {
    const sent = segments.map((g) => (g.send ? toHex(g.send, " ") : `?${g.length}`)).join(" | ");
    const s = this.script[this.i++];
    if (s === undefined) throw new Error(`script exhausted at ${sent}; transcript:\n${this.transcript.join("\n")}`);
    if ("fail" in s) {
      this.transcript.push(`${sent} → ${s.fail}`);
      throw new BusError(s.fail, this.name, "scripted failure", { op: "transfer" });
    }
    const want = s.tx
      .split("|")
      .map((x) => x.trim())
      .map((x) => (x.startsWith("?") ? x : toHex(fromHex(x), " ")))
      .join(" | ");
    if (sent !== want) throw new Error(`expected message ${want}, got ${sent}`);
    let k = 0;
    const out = segments.map((g) => {
      if (g.send) return new Uint8Array(g.length);
      const r = fromHex(s.rx?.[k++] ?? "");
      const o = new Uint8Array(g.length).fill(0xff);
      o.set(r.subarray(0, g.length));
      return o;
    });
    this.transcript.push(
      `${sent} → ${out
        .filter((_, j) => !segments[j]!.send)
        .map((b) => toHex(b, " "))
        .join(" | ")}`,
    );
    return out;
  }

  async transfer(segments: SpiSegment[]): Promise<Uint8Array[]> {
    await Promise.resolve();
    return this.transferSync(segments);
  }

  close(): void {
    this.closed = true;
  }
}
