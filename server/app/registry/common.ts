// What both registry implementations share: argument checks, the normalised PEM and fingerprint
// of a user server's key, and the row → DeviceInfo mapping.
import { createHash, createPublicKey } from "node:crypto";
import { SUITE_NAMES } from "../../../reference/constants.js";
import { rsaPublicKey } from "../../sdk/signing.js";
import { RegistryError, type DeviceInfo, type SuiteName } from "./types.js";

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function tidHex(tid: Uint8Array): string {
  return Buffer.from(tid).toString("hex");
}

export function requireTid(tid: Uint8Array): Buffer {
  if (!(tid instanceof Uint8Array) || tid.length !== 8) throw new RangeError("tid must be 8 bytes");
  return Buffer.from(tid);
}

export function requirePsk(psk: Uint8Array): void {
  if (!(psk instanceof Uint8Array) || psk.length !== 16) throw new RangeError("psk must be 16 bytes");
}

/**
 * A device's algorithm suite (docs/protocol.md "Algorithm suites"): undefined is "sm"; TypeError
 * for a non-string, RangeError for a name that is no suite.
 */
export function requireSuite(suite: unknown): SuiteName {
  if (suite === undefined) return "sm";
  const names = SUITE_NAMES.map((n) => JSON.stringify(n)).join(" or ");
  if (typeof suite !== "string") throw new TypeError(`suite must be ${names}, got ${typeof suite}`);
  if (!(SUITE_NAMES as readonly string[]).includes(suite)) throw new RangeError(`suite must be ${names}, got ${JSON.stringify(suite)}`);
  return suite as SuiteName;
}

/** The suite a device row holds (the column's CHECK allows only suite names). */
export function rowSuite(suite: string): SuiteName {
  if (!(SUITE_NAMES as readonly string[]).includes(suite)) throw new Error(`the registry holds an unknown suite ${JSON.stringify(suite)}`);
  return suite as SuiteName;
}

/** The key as SPKI PEM, or BAD_PUBLIC_KEY (not RSA, under 2048 bits, not a key). */
export function normalisePem(publicKeyPem: string): string {
  try {
    return rsaPublicKey(publicKeyPem).export({ type: "spki", format: "pem" }) as string;
  } catch (e) {
    throw new RegistryError("BAD_PUBLIC_KEY", `publicKeyPem: ${(e as Error).message}`);
  }
}

/** SHA-256 of the DER SubjectPublicKeyInfo, hex. */
export function fingerprint(pem: string): string {
  const der = createPublicKey(pem).export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex");
}

/** A device row as both databases return it (bigints may come as strings from PostgreSQL). */
export interface DeviceRow {
  tid: Buffer;
  active: number | boolean;
  owner_uin: string | null;
  suite: string;
  label: string | null;
  created_at: number | string;
  updated_at: number | string;
  last_auth_at: number | string | null;
  auth_count: number | string;
}

export function deviceInfo(row: DeviceRow): DeviceInfo {
  return {
    tid: row.tid.toString("hex"),
    active: row.active === 1 || row.active === true,
    owner: row.owner_uin,
    suite: rowSuite(row.suite),
    label: row.label,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastAuthAt: row.last_auth_at === null ? null : Number(row.last_auth_at),
    authCount: Number(row.auth_count),
  };
}
