// The ANSI X9.63 KDF with SHA-256 (SEC 1 v2.0 §3.6.1) written out independently on node:crypto,
// the reference for the module's x963_kdf_sha256 (raw ABI and typed binding tests).
import { createHash } from "node:crypto";

/** SHA-256(Z ‖ ct ‖ SharedInfo) for ct = 1, 2, … (32-bit BE), truncated to `length` bytes, as hex. */
export function referenceX963(z: Uint8Array, info: Uint8Array, length: number): string {
  const parts: Buffer[] = [];
  for (let ct = 1, have = 0; have < length; ct++, have += 32) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(ct);
    parts.push(createHash("sha256").update(z).update(c).update(info).digest());
  }
  return Buffer.concat(parts).subarray(0, length).toString("hex");
}
