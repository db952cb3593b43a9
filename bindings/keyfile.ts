/**
 * @module keyfile — the soft backend's key file (docs/keyfile.md): one device identity (TID 8 ‖
 * PSK 16, and its algorithm suite, docs/protocol.md "Algorithm suites") sealed with AES-256-GCM
 * under a key derived with scrypt (RFC 7914) from a passphrase or, weaker, from a machine-bound
 * secret (/etc/machine-id). The PSK is never stored in clear.
 *
 * Layout (integers are single bytes). Version 1, 80 bytes, is a suite SM identity; version 2,
 * 81 bytes, adds the suite byte to the header (so the GCM tag authenticates it) and moves
 * everything after it by one. Suite SM identities are still written as version 1, so readers that
 * know only version 1 keep reading them; suite INTL ones are version 2.
 *
 *   v1  v2  size field
 *    0   0    6  magic "TIDKEY"
 *    6   6    1  format version = 1 or 2
 *    7   7    1  key source: 1 = passphrase, 2 = machine-bound
 *    8   8    1  cipher: 1 = AES-256-GCM
 *    9   9    1  scrypt log2(N), 10..20 (and 128·N·r ≤ 256 MiB)
 *   10  10    1  scrypt r, 1..16
 *   11  11    1  scrypt p, 1..4
 *    –  12    1  suite: 0 = sm, 1 = intl (the suite byte of tid_soft_load_identity)
 *   12  13   16  salt (random)
 *   28  29   12  GCM nonce (random)
 *   40  41   24  ciphertext of TID ‖ PSK
 *   64  65   16  GCM tag; the AAD is the header, bytes [0, 40) / [0, 41): every header byte is
 *                authenticated
 *
 * Files are written 0600 (atomically: a 0600 temporary file, fsync, then link — or rename when
 * overwriting; stageKeyFile splits the two so a caller can do its own step in between). Reading
 * checks, in this order: a regular file (opened non-blocking and checked on the open descriptor,
 * so a FIFO or a device cannot hang the reader) of exactly 80 or 81 bytes, then the format (the
 * size must be the version's), then the mode — a file that the group or others can read, write or
 * execute is refused (like ssh with private keys) — and only then the secret.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, readFile, type FileHandle } from "node:fs/promises";
import { SUITE_NAMES, type SuiteName } from "../reference/constants.js";
import { requireBytes } from "./errors.js";
import { stagePrivateFile } from "./private-file.js";

/** The size of a version 1 key file (a suite SM identity). */
export const KEYFILE_SIZE = 80;
/** The size of a version 2 key file (the suite in the header). */
export const KEYFILE_V2_SIZE = 81;
/** The newest format version this library reads and writes. */
export const KEYFILE_VERSION = 2;
const MAGIC = Uint8Array.from([0x54, 0x49, 0x44, 0x4b, 0x45, 0x59]); // "TIDKEY"
const SOURCE = { passphrase: 1, machineBound: 2 } as const;
const CIPHER_AES_256_GCM = 1;
/** The suite byte of a version 2 header: the same encoding as tid_soft_load_identity's. */
const SUITE_BYTE: Readonly<Record<SuiteName, number>> = { sm: 0, intl: 1 };

/** Where the fields of each format version are; `header` is the AAD's length and the ciphertext's offset. */
interface Layout {
  version: 1 | 2;
  size: number;
  header: number;
  /** offset of the suite byte (version 2 only) */
  suite?: number;
  salt: number;
  nonce: number;
  tag: number;
}
const LAYOUTS: Readonly<Record<1 | 2, Layout>> = {
  1: { version: 1, size: KEYFILE_SIZE, header: 40, salt: 12, nonce: 28, tag: 64 },
  2: { version: 2, size: KEYFILE_V2_SIZE, header: 41, suite: 12, salt: 13, nonce: 29, tag: 65 },
};
const SIZES = `${KEYFILE_SIZE} (version 1) or ${KEYFILE_V2_SIZE} (version 2) bytes`;
const MACHINE_LABEL = "tid-wasm/keyfile/machine-bound/v1\0";

/** scrypt cost: N = 2^logN, r, p (RFC 7914). Default logN 15, r 8, p 1 (32 MiB, ~0.1 s). */
export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
}
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ logN: 15, r: 8, p: 1 });
const LIMITS = { logN: [10, 20], r: [1, 16], p: [1, 4] } as const;
/**
 * scrypt needs 128·N·r bytes. Each bound alone still allows 128 · 2^20 · 16 = 2 GiB, so the
 * product is capped too: a crafted file (its parameters are read before anything is verified)
 * cannot make the reader allocate more than this.
 */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

/** What unseals a key file: a passphrase, or the machine-bound secret. */
export type KeyFileSecret =
  | { passphrase: string | Uint8Array }
  | { machineBound: true; /** default /etc/machine-id, then /var/lib/dbus/machine-id */ machineIdPath?: string };

export interface KeyFileIdentity {
  tid: Uint8Array;
  psk: Uint8Array;
  /**
   * The identity's algorithm suite (docs/protocol.md "Algorithm suites"): "sm" (default when
   * writing; what every version 1 file holds) or "intl". Always set on what a reader returns.
   */
  suite?: SuiteName;
}

export type KeyFileErrorCode =
  | "NOT_FOUND" // no file at that path
  | "BAD_FORMAT" // wrong size, magic, cipher, suite byte, or scrypt parameters out of range
  | "UNSUPPORTED_VERSION"
  | "WRONG_SECRET_KIND" // a passphrase for a machine-bound file, or the other way round
  | "BAD_SECRET" // the tag did not verify: wrong passphrase / other machine, or the file was altered
  | "INSECURE_PERMISSIONS" // readable or writable by group or others
  | "NOT_A_FILE"
  | "EXISTS"
  | "NO_MACHINE_ID";

export class KeyFileError extends Error {
  readonly code: KeyFileErrorCode;
  readonly path: string | undefined;
  constructor(code: KeyFileErrorCode, message: string, path?: string, options?: { cause?: unknown }) {
    super(path ? `${path}: ${message}` : message, options);
    this.name = "KeyFileError";
    this.code = code;
    this.path = path;
  }
}

function scrypt(secret: Uint8Array, salt: Uint8Array, p: ScryptParams): Promise<Buffer> {
  const N = 2 ** p.logN;
  const options: ScryptOptions = { N, r: p.r, p: p.p, maxmem: 256 * N * p.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(secret, salt, 32, options, (err, key) => (err ? reject(err) : resolve(key))));
}

function checkParams(p: ScryptParams, name: string): void {
  for (const k of ["logN", "r", "p"] as const) {
    const v = p[k];
    const [lo, hi] = LIMITS[k];
    if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`${name}.${k} must be an integer, got ${typeof v}`);
    if (v < lo || v > hi) throw new RangeError(`${name}.${k} must be in ${lo}..${hi}, got ${v}`);
  }
  const memory = 128 * 2 ** p.logN * p.r;
  if (memory > MAX_SCRYPT_MEMORY) {
    throw new RangeError(
      `${name} needs 128·N·r = ${memory / 2 ** 20} MiB of memory, more than the ${MAX_SCRYPT_MEMORY / 2 ** 20} MiB limit`,
    );
  }
}

async function machineId(path?: string): Promise<Uint8Array> {
  const candidates = path ? [path] : ["/etc/machine-id", "/var/lib/dbus/machine-id"];
  for (const p of candidates) {
    try {
      const id = (await readFile(p, "utf8")).trim();
      if (id.length > 0) return new TextEncoder().encode(id);
    } catch {
      // try the next one
    }
  }
  throw new KeyFileError("NO_MACHINE_ID", `no machine id found (tried ${candidates.join(", ")})`);
}

/** The secret bytes scrypt takes, and the key-source byte. */
async function secretBytes(secret: KeyFileSecret): Promise<{ bytes: Uint8Array; source: number }> {
  if (typeof secret !== "object" || secret === null) throw new TypeError("secret must be {passphrase} or {machineBound: true}");
  if ("passphrase" in secret) {
    const pw = secret.passphrase;
    let bytes: Uint8Array;
    if (typeof pw === "string") bytes = new TextEncoder().encode(pw.normalize("NFC"));
    else bytes = Uint8Array.from(requireBytes("secret.passphrase", pw));
    if (bytes.length === 0) throw new RangeError("secret.passphrase must not be empty");
    return { bytes, source: SOURCE.passphrase };
  }
  if ((secret as { machineBound?: unknown }).machineBound === true) {
    const id = await machineId((secret as { machineIdPath?: string }).machineIdPath);
    const label = new TextEncoder().encode(MACHINE_LABEL);
    const bytes = new Uint8Array(label.length + id.length);
    bytes.set(label);
    bytes.set(id, label.length);
    return { bytes, source: SOURCE.machineBound };
  }
  throw new TypeError("secret must be {passphrase} or {machineBound: true}");
}

/** The identity's suite, checked: "sm" when not given. */
function identitySuite(identity: KeyFileIdentity): SuiteName {
  const suite = identity.suite;
  if (suite === undefined) return "sm";
  if (typeof suite !== "string") throw new TypeError(`identity.suite must be a string, "sm" or "intl", got ${typeof suite}`);
  if (!SUITE_NAMES.includes(suite)) throw new RangeError(`identity.suite must be "sm" or "intl", got ${JSON.stringify(suite)}`);
  return suite;
}

/**
 * Seal an identity into the bytes of a key file: 80 bytes (version 1) for a suite SM identity,
 * 81 (version 2, the suite in the header) for suite INTL.
 */
export async function encodeKeyFile(
  identity: KeyFileIdentity,
  secret: KeyFileSecret,
  options: { scrypt?: ScryptParams } = {},
): Promise<Uint8Array> {
  requireBytes("identity.tid", identity?.tid, { length: 8 });
  requireBytes("identity.psk", identity?.psk, { length: 16 });
  const suite = identitySuite(identity);
  const params = options.scrypt ?? DEFAULT_SCRYPT;
  checkParams(params, "options.scrypt");
  const { bytes, source } = await secretBytes(secret);
  const layout = LAYOUTS[suite === "sm" ? 1 : 2];
  const out = new Uint8Array(layout.size);
  out.set(MAGIC, 0);
  out[6] = layout.version;
  out[7] = source;
  out[8] = CIPHER_AES_256_GCM;
  out[9] = params.logN;
  out[10] = params.r;
  out[11] = params.p;
  if (layout.suite !== undefined) out[layout.suite] = SUITE_BYTE[suite];
  out.set(randomBytes(16), layout.salt);
  out.set(randomBytes(12), layout.nonce);
  const key = await scrypt(bytes, out.subarray(layout.salt, layout.salt + 16), params);
  bytes.fill(0);
  const plain = new Uint8Array(24);
  plain.set(identity.tid, 0);
  plain.set(identity.psk, 8);
  try {
    const c = createCipheriv("aes-256-gcm", key, out.subarray(layout.nonce, layout.nonce + 12));
    c.setAAD(out.subarray(0, layout.header));
    const ct = c.update(plain);
    c.final();
    out.set(ct, layout.header);
    out.set(c.getAuthTag(), layout.tag);
  } finally {
    plain.fill(0);
    key.fill(0);
  }
  return out;
}

/** What the header of a key file says (nothing secret). */
export interface KeyFileHeader {
  /** the format version: 1 (a suite SM identity) or 2 (the suite in the header) */
  version: 1 | 2;
  /** the identity's algorithm suite (authenticated: a changed byte fails to unseal) */
  suite: SuiteName;
  /** what seals it */
  source: "passphrase" | "machine-bound";
  scrypt: ScryptParams;
}

/** Is `size` the size of a key file of some version? */
const isKeyFileSize = (size: number): boolean => size === KEYFILE_SIZE || size === KEYFILE_V2_SIZE;

/**
 * Check the format of a key file's bytes: size, magic, version (and the size it has), cipher,
 * scrypt cost, key source, suite. @throws KeyFileError
 */
function parseHeader(file: Uint8Array, path: string | undefined): KeyFileHeader & { layout: Layout } {
  if (!isKeyFileSize(file.length)) throw new KeyFileError("BAD_FORMAT", `a key file is ${SIZES}, this one ${file.length}`, path);
  if (!MAGIC.every((b, i) => file[i] === b)) throw new KeyFileError("BAD_FORMAT", "not a tid-wasm key file (bad magic)", path);
  const version = file[6]!;
  if (version !== 1 && version !== 2)
    throw new KeyFileError("UNSUPPORTED_VERSION", `key file version ${version}, this library reads 1 and 2`, path);
  const layout = LAYOUTS[version];
  if (file.length !== layout.size)
    throw new KeyFileError("BAD_FORMAT", `a version ${version} key file is ${layout.size} bytes, this one ${file.length}`, path);
  if (file[8] !== CIPHER_AES_256_GCM) throw new KeyFileError("BAD_FORMAT", `unknown cipher ${file[8]}`, path);
  const scrypt: ScryptParams = { logN: file[9]!, r: file[10]!, p: file[11]! };
  try {
    checkParams(scrypt, "scrypt");
  } catch (e) {
    throw new KeyFileError("BAD_FORMAT", `scrypt parameters out of range: ${(e as Error).message}`, path);
  }
  const source = file[7];
  if (source !== SOURCE.passphrase && source !== SOURCE.machineBound)
    throw new KeyFileError("BAD_FORMAT", `unknown key source ${source}`, path);
  let suite: SuiteName = "sm";
  if (layout.suite !== undefined) {
    const byte = file[layout.suite]!;
    const name = SUITE_NAMES.find((n) => SUITE_BYTE[n] === byte);
    if (name === undefined) throw new KeyFileError("BAD_FORMAT", `unknown suite byte ${byte} (0 sm, 1 intl)`, path);
    suite = name;
  }
  return { version: layout.version, suite, source: source === SOURCE.passphrase ? "passphrase" : "machine-bound", scrypt, layout };
}

/** Unseal the bytes of a key file (version 1 or 2); the identity comes with its suite. @throws KeyFileError */
export async function decodeKeyFile(
  file: Uint8Array,
  secret: KeyFileSecret,
  path?: string,
): Promise<KeyFileIdentity & { suite: SuiteName }> {
  requireBytes("file", file);
  const header = parseHeader(file, path);
  const { layout } = header;
  const source = header.source === "passphrase" ? SOURCE.passphrase : SOURCE.machineBound;
  const { bytes, source: given } = await secretBytes(secret);
  if (given !== source) {
    bytes.fill(0);
    const want = source === SOURCE.passphrase ? "a passphrase" : "the machine-bound secret";
    throw new KeyFileError("WRONG_SECRET_KIND", `this key file is sealed with ${want}`, path);
  }
  const key = await scrypt(bytes, file.subarray(layout.salt, layout.salt + 16), header.scrypt);
  bytes.fill(0);
  let plain: Buffer;
  try {
    const d = createDecipheriv("aes-256-gcm", key, file.subarray(layout.nonce, layout.nonce + 12));
    d.setAAD(file.subarray(0, layout.header));
    d.setAuthTag(file.subarray(layout.tag, layout.tag + 16));
    plain = Buffer.concat([d.update(file.subarray(layout.header, layout.tag)), d.final()]);
  } catch (e) {
    const why = source === SOURCE.passphrase ? "wrong passphrase, or the file was altered" : "another machine, or the file was altered";
    throw new KeyFileError("BAD_SECRET", `cannot unseal: ${why}`, path, { cause: e });
  } finally {
    key.fill(0);
  }
  const identity = { tid: Uint8Array.from(plain.subarray(0, 8)), psk: Uint8Array.from(plain.subarray(8, 24)), suite: header.suite };
  plain.fill(0);
  return identity;
}

/** A key file written to a temporary file next to its path, not yet in place. */
export interface StagedKeyFile {
  readonly path: string;
  /** Put the file in place (link, or rename with `overwrite`). @throws KeyFileError EXISTS */
  commit(): Promise<void>;
  /** Remove the temporary file (after commit: nothing to do). */
  discard(): Promise<void>;
}

/**
 * Seal the identity and write it, 0600 and fsynced, to a temporary file in the key file's
 * directory, without putting it in place yet: everything that can fail — the secret, scrypt, the
 * directory, the disk — fails here, and commit() is one link (or rename). A caller that must do
 * something between (register the identity with a server) stages first, then commits.
 * Refuses an existing `path` unless `overwrite` is set, and a `path` that is not a file.
 */
export async function stageKeyFile(
  path: string,
  identity: KeyFileIdentity,
  secret: KeyFileSecret,
  options: { scrypt?: ScryptParams; overwrite?: boolean } = {},
): Promise<StagedKeyFile> {
  if (typeof path !== "string" || path.length === 0) throw new TypeError("path must be a non-empty string");
  const existing = await lstat(path).catch(() => undefined);
  if (existing && !options.overwrite) throw new KeyFileError("EXISTS", "file exists (pass overwrite: true to replace it)", path);
  if (existing?.isDirectory()) throw new KeyFileError("NOT_A_FILE", "a directory", path);
  const bytes = await encodeKeyFile(identity, secret, options);
  const staged = await stagePrivateFile(path, bytes, options);
  return {
    path,
    async commit() {
      try {
        await staged.commit();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") {
          throw new KeyFileError("EXISTS", "file exists (pass overwrite: true to replace it)", path);
        }
        throw e;
      }
    },
    discard: () => staged.discard(),
  };
}

/**
 * Write a new key file with mode 0600, atomically. Refuses to replace an existing file unless
 * `overwrite` is set.
 */
export async function writeKeyFile(
  path: string,
  identity: KeyFileIdentity,
  secret: KeyFileSecret,
  options: { scrypt?: ScryptParams; overwrite?: boolean } = {},
): Promise<void> {
  const staged = await stageKeyFile(path, identity, secret, options);
  try {
    await staged.commit();
  } finally {
    await staged.discard();
  }
}

/**
 * The bytes and the mode of the key file at `path`: opened non-blocking (a FIFO cannot hang the
 * reader) and checked on the open descriptor — a regular file of exactly 80 or 81 bytes.
 */
async function readKeyFileBytes(path: string): Promise<{ bytes: Buffer; mode: number }> {
  if (typeof path !== "string" || path.length === 0) throw new TypeError("path must be a non-empty string");
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new KeyFileError("NOT_FOUND", "no such file", path, { cause: e });
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new KeyFileError("NOT_A_FILE", "not a regular file", path);
    if (!isKeyFileSize(st.size)) throw new KeyFileError("BAD_FORMAT", `a key file is ${SIZES}, this one ${st.size}`, path);
    const bytes = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(bytes, 0, st.size, 0);
    if (bytesRead !== st.size) throw new KeyFileError("BAD_FORMAT", `a key file is ${st.size} bytes as stat says, read ${bytesRead}`, path);
    return { bytes, mode: st.mode & 0o777 };
  } finally {
    await fh.close();
  }
}

/**
 * What the key file at `path` is sealed with, without unsealing it: checks that it is a regular
 * file of the right size and format (not its mode: readKeyFile does).
 * @throws KeyFileError NOT_FOUND, NOT_A_FILE, BAD_FORMAT, UNSUPPORTED_VERSION
 */
export async function inspectKeyFile(path: string): Promise<KeyFileHeader & { mode: number }> {
  const { bytes, mode } = await readKeyFileBytes(path);
  const { layout: _layout, ...header } = parseHeader(bytes, path);
  return { ...header, mode };
}

/**
 * Read and unseal a key file: a regular file of 80 or 81 bytes, in the key file format (version 1
 * or 2), that only its owner may access (chmod 600 it), unsealed with `secret`. The identity
 * comes with its suite ("sm" for a version 1 file).
 * @throws KeyFileError
 */
export async function readKeyFile(path: string, secret: KeyFileSecret): Promise<KeyFileIdentity & { suite: SuiteName }> {
  const { bytes, mode } = await readKeyFileBytes(path);
  try {
    parseHeader(bytes, path);
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      const octal = mode.toString(8).padStart(3, "0");
      throw new KeyFileError("INSECURE_PERMISSIONS", `mode ${octal} lets others access the key file; run \`chmod 600 ${path}\``, path);
    }
    return await decodeKeyFile(bytes, secret, path);
  } finally {
    bytes.fill(0);
  }
}
