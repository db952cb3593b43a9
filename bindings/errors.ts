// Errors at the TypeScript boundary (docs/design.md "Errors and statuses"): a failed wasm status
// becomes a TidError with code, name and layer; a bad argument becomes a TypeError or RangeError
// naming the argument.
import { statusLayer, statusName, type StatusLayer } from "./status.js";

export class TidError extends Error {
  readonly code: number;
  readonly status: string;
  readonly layer: StatusLayer;
  /** ISO 7816 status word when the error came from the secure element. */
  readonly sw?: number;

  constructor(code: number, message?: string, options?: { sw?: number; cause?: unknown }) {
    const name = statusName(code);
    super(message ? `${name} (${code}): ${message}` : `${name} (${code})`, { cause: options?.cause });
    this.name = "TidError";
    this.code = code;
    this.status = name;
    this.layer = statusLayer(code);
    if (options?.sw !== undefined) this.sw = options.sw;
  }
}

/** Throw a TidError for any non-zero status. */
export function check(status: number, what?: string): void {
  if (status !== 0) throw new TidError(status, what);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an Array of length ${value.length}`;
  if (value instanceof Uint8Array) return `a ${value.constructor.name} of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === "string") return `a string of length ${value.length}`;
  return typeof value === "object" ? `an object (${Object.prototype.toString.call(value)})` : `${typeof value} ${String(value)}`;
}

export interface BytesRule {
  /** exact length */
  length?: number;
  /** allowed lengths */
  lengths?: readonly number[];
  min?: number;
  max?: number;
  /** length must be a multiple of this */
  multipleOf?: number;
}

/** Accept a Uint8Array (Buffer included) that satisfies the rule, or throw naming `name`. */
export function requireBytes(name: string, value: unknown, rule: BytesRule = {}): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array, got ${describe(value)}`);
  }
  const n = value.length;
  if (rule.length !== undefined && n !== rule.length) {
    throw new RangeError(`${name} must be ${rule.length} bytes, got ${n}`);
  }
  if (rule.lengths !== undefined && !rule.lengths.includes(n)) {
    throw new RangeError(`${name} must be ${rule.lengths.join(", ")} bytes long, got ${n}`);
  }
  if (rule.min !== undefined && n < rule.min) throw new RangeError(`${name} must be at least ${rule.min} bytes, got ${n}`);
  if (rule.max !== undefined && n > rule.max) throw new RangeError(`${name} must be at most ${rule.max} bytes, got ${n}`);
  if (rule.multipleOf !== undefined && n % rule.multipleOf !== 0) {
    throw new RangeError(`${name} length must be a multiple of ${rule.multipleOf}, got ${n}`);
  }
  return value;
}

/** Accept an integer in [min, max], or throw naming `name`. */
export function requireInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${name} must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) throw new RangeError(`${name} must be in ${min}..${max}, got ${value}`);
  return value;
}
