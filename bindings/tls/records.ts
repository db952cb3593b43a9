/**
 * TID-TLS record framing (RFC 8446 §5.1–§5.2; docs/tls.md "Records"): the 5-byte header
 * type(1) ‖ legacy_record_version 0x0303 (2) ‖ length(2), TLSPlaintext for the unprotected hello
 * records and alerts, and the reassembly of whole records from a TCP byte stream. A header that
 * announces more than the limit (2^14 for TLSPlaintext, 2^14 + 256 for TLSCiphertext) is refused
 * with record_overflow as soon as its 5 bytes arrive, before the body is waited for or buffered.
 */
import { localAlert } from "./alerts.js";
import { TLS_MAX_PLAINTEXT, TLS_RECORD_HEADER_SIZE } from "./cipher.js";

/** legacy_record_version of every TID-TLS record. */
export const RECORD_VERSION = 0x0303;

/** TLSPlaintext: the header and `fragment` (≤ 2^14 bytes). */
export function encodePlaintextRecord(type: number, fragment: Uint8Array): Uint8Array {
  if (fragment.length > TLS_MAX_PLAINTEXT) throw new RangeError(`fragment must be ≤ ${TLS_MAX_PLAINTEXT} bytes, got ${fragment.length}`);
  const out = new Uint8Array(TLS_RECORD_HEADER_SIZE + fragment.length);
  out[0] = type;
  out[1] = RECORD_VERSION >>> 8;
  out[2] = RECORD_VERSION & 0xff;
  out[3] = fragment.length >>> 8;
  out[4] = fragment.length & 0xff;
  out.set(fragment, TLS_RECORD_HEADER_SIZE);
  return out;
}

/** The record's legacy_record_version. */
export function recordVersion(record: Uint8Array): number {
  return (record[1]! << 8) | record[2]!;
}

/**
 * Whole records out of a byte stream. `push` the bytes as they arrive, then call `next` until it
 * returns null. A record that lies inside one received chunk is returned as a view of it (no copy).
 */
export class RecordReader {
  private chunks: Uint8Array[] = [];
  /** read position in chunks[0] */
  private offset = 0;
  private total = 0;

  /** Bytes received and not yet returned as records. */
  get buffered(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    // a plain Uint8Array view of it (a Buffer's slice() would not copy)
    this.chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    this.total += chunk.length;
  }

  private byteAt(i: number): number {
    let at = this.offset + i;
    for (const c of this.chunks) {
      if (at < c.length) return c[at]!;
      at -= c.length;
    }
    throw new RangeError("byteAt past the buffered bytes");
  }

  /**
   * The next whole record (header ‖ fragment), or null when more bytes are needed.
   * @param maxFragment the largest length the header may announce in the current state
   * @throws TidTlsError record_overflow when the header announces more than `maxFragment`
   */
  next(maxFragment: number): Uint8Array | null {
    if (this.total < TLS_RECORD_HEADER_SIZE) return null;
    const length = (this.byteAt(3) << 8) | this.byteAt(4);
    if (length > maxFragment) throw localAlert("record_overflow", `a record of ${length} bytes, the limit is ${maxFragment}`);
    const size = TLS_RECORD_HEADER_SIZE + length;
    if (this.total < size) return null;
    const first = this.chunks[0]!;
    let record: Uint8Array;
    if (first.length - this.offset >= size) {
      record = first.subarray(this.offset, this.offset + size);
      this.offset += size;
      if (this.offset === first.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    } else {
      record = new Uint8Array(size);
      let filled = 0;
      while (filled < size) {
        const c = this.chunks[0]!;
        const take = Math.min(c.length - this.offset, size - filled);
        record.set(c.subarray(this.offset, this.offset + take), filled);
        filled += take;
        this.offset += take;
        if (this.offset === c.length) {
          this.chunks.shift();
          this.offset = 0;
        }
      }
    }
    this.total -= size;
    return record;
  }

  /** Drops every buffered byte. */
  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.total = 0;
  }
}
