// The server master key and PSK sealing at rest (docs/server.md "Registry").
// The master key is 32 random bytes, given as 64 hex characters in the environment variable
// TID_SERVER_MASTER_KEY or in a file (created 0600 by createMasterKeyFile). Each device PSK is
// stored as  0x01 ‖ IV (12) ‖ AES-256-GCM(PSK) (16) ‖ tag (16)  with AAD "TID-PSK-V1" ‖ TID, so a
// sealed PSK cannot be moved to another device's row. The database keeps a key-check value (an
// HMAC of a fixed label) to refuse a wrong master key at open, before any PSK is touched.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { chmodSync, constants, fstatSync, openSync, readFileSync, writeSync, closeSync } from "node:fs";

export const MASTER_KEY_SIZE = 32;
export const MASTER_KEY_ENV = "TID_SERVER_MASTER_KEY";
const SEAL_VERSION = 0x01;
const AAD_LABEL = Buffer.from("TID-PSK-V1", "utf8");
export const SEALED_PSK_SIZE = 1 + 12 + 16 + 16;

/** The master key written as `text` (64 hex characters, surrounding whitespace ignored); `where` names the source in errors. */
export function parseMasterKey(text: string, where: string): Uint8Array {
  const t = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(t)) throw new Error(`${where}: the master key must be 64 hex characters (32 bytes)`);
  return new Uint8Array(Buffer.from(t, "hex"));
}

/** A master key file is 64 hex characters and a newline; a larger file is something else. */
export const MAX_MASTER_KEY_FILE_BYTES = 1024;

/**
 * Read the master key from a file (64 hex characters, surrounding whitespace ignored). In this
 * order: a regular file (opened non-blocking, so a FIFO cannot hang the server) of at most 1 KiB,
 * then the format, then the mode — like ssh with private keys, a file that group or others may
 * access is refused: whoever reads it unseals every PSK in the database. Mode and contents come
 * from the same open file (no check/use race).
 */
export function readMasterKeyFile(path: string): Uint8Array {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${path}: the master key file is not a regular file`);
    if (st.size > MAX_MASTER_KEY_FILE_BYTES) throw new Error(`${path}: ${st.size} bytes is not a master key file (64 hex characters)`);
    const key = parseMasterKey(readFileSync(fd, "utf8"), path);
    if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
      key.fill(0);
      const mode = (st.mode & 0o777).toString(8).padStart(3, "0");
      throw new Error(`${path}: mode ${mode} lets others read the master key; run \`chmod 600 ${path}\``);
    }
    return key;
  } finally {
    closeSync(fd);
  }
}

/** The master key from `TID_SERVER_MASTER_KEY`, or undefined when it is not set. */
export function masterKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Uint8Array | undefined {
  const v = env[MASTER_KEY_ENV];
  return v === undefined || v === "" ? undefined : parseMasterKey(v, MASTER_KEY_ENV);
}

/** Create a new random master key file (mode 0600; fails if the file exists). */
export function createMasterKeyFile(path: string): Uint8Array {
  const key = new Uint8Array(randomBytes(MASTER_KEY_SIZE));
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, Buffer.from(key).toString("hex") + "\n");
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
  return key;
}

function checkKey(masterKey: Uint8Array): void {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== MASTER_KEY_SIZE) {
    throw new RangeError(`master key must be ${MASTER_KEY_SIZE} bytes`);
  }
}

/** Key-check value stored in the database: HMAC-SHA256(masterKey, label), hex. */
export function masterKeyCheck(masterKey: Uint8Array): string {
  checkKey(masterKey);
  return createHmac("sha256", masterKey).update("TID server master key check v1").digest("hex");
}

export function sealPsk(masterKey: Uint8Array, tid: Uint8Array, psk: Uint8Array): Uint8Array {
  checkKey(masterKey);
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", masterKey, iv);
  c.setAAD(Buffer.concat([AAD_LABEL, tid]));
  const ct = Buffer.concat([c.update(psk), c.final()]);
  return new Uint8Array(Buffer.concat([Buffer.from([SEAL_VERSION]), iv, ct, c.getAuthTag()]));
}

export function unsealPsk(masterKey: Uint8Array, tid: Uint8Array, sealed: Uint8Array): Uint8Array {
  checkKey(masterKey);
  if (sealed.length !== SEALED_PSK_SIZE || sealed[0] !== SEAL_VERSION) throw new Error("sealed PSK has an unknown format");
  const d = createDecipheriv("aes-256-gcm", masterKey, sealed.subarray(1, 13));
  d.setAAD(Buffer.concat([AAD_LABEL, tid]));
  d.setAuthTag(sealed.subarray(29, 45));
  try {
    const psk = Buffer.concat([d.update(sealed.subarray(13, 29)), d.final()]);
    return new Uint8Array(psk);
  } catch {
    throw new Error("sealed PSK does not open under this master key");
  }
}
