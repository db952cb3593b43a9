// Key pair of a user server (the original's generate_rsa_key_pair.py KEY_PAIR_DIR): RSA,
// 2048 bits by default, written as DIR/public_key.pem (SPKI, 0644) and DIR/private_key.pem
// (PKCS#8, 0600). `npx tid keygen DIR` calls this. Existing files are never overwritten unless
// `force` is given.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { MIN_RSA_BITS } from "./signing.js";

export interface KeygenResult {
  publicKeyPath: string;
  privateKeyPath: string;
  publicKeyPem: string;
}

/**
 * Write `text` to a new file created with `mode` (O_EXCL, so never through a symlink or into an
 * existing file that may be readable by others). With `force`, the new file is a temporary one
 * renamed over `path`, which replaces whatever `path` was (file or symlink) instead of writing
 * into it.
 */
function writeFile(path: string, text: string, mode: number, force: boolean): void {
  const target = force ? join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`) : path;
  const fd = openSync(target, "wx", mode);
  try {
    fchmodSync(fd, mode);
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(target, { force: true });
    throw e;
  }
  closeSync(fd);
  if (force) {
    try {
      renameSync(target, path);
    } catch (e) {
      rmSync(target, { force: true });
      throw e;
    }
  }
}

export function keygen(dir: string, options: { bits?: number; force?: boolean } = {}): KeygenResult {
  const bits = options.bits ?? 2048;
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > 8192)
    throw new RangeError(`bits must be an integer in [${MIN_RSA_BITS}, 8192], got ${bits}`);
  const force = options.force ?? false;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const publicKeyPath = join(dir, "public_key.pem");
  const privateKeyPath = join(dir, "private_key.pem");
  if (!force) {
    for (const p of [publicKeyPath, privateKeyPath])
      if (existsSync(p)) throw new Error(`${p} exists; refusing to overwrite it (use force)`);
  }
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: bits,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  writeFile(privateKeyPath, privateKey, 0o600, force);
  writeFile(publicKeyPath, publicKey, 0o644, force);
  return { publicKeyPath, privateKeyPath, publicKeyPem: publicKey };
}
