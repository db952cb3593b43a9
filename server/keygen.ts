// Key pair of a user server (the original's generate_rsa_key_pair.py KEY_PAIR_DIR): RSA,
// 2048 bits by default, written as DIR/public_key.pem (SPKI, 0644) and DIR/private_key.pem
// (PKCS#8, 0600). `npx tid keygen DIR` calls this. Existing files are never overwritten unless
// `force` is given.
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { MIN_RSA_BITS } from "./signing.js";

export interface KeygenResult {
  publicKeyPath: string;
  privateKeyPath: string;
  publicKeyPem: string;
}

function writeFile(path: string, text: string, mode: number, force: boolean): void {
  const fd = openSync(path, force ? "w" : "wx", mode);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, mode);
}

export function keygen(dir: string, options: { bits?: number; force?: boolean } = {}): KeygenResult {
  const bits = options.bits ?? 2048;
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > 8192) throw new RangeError(`bits must be an integer in [${MIN_RSA_BITS}, 8192], got ${bits}`);
  const force = options.force ?? false;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const publicKeyPath = join(dir, "public_key.pem");
  const privateKeyPath = join(dir, "private_key.pem");
  if (!force) {
    for (const p of [publicKeyPath, privateKeyPath]) if (existsSync(p)) throw new Error(`${p} exists; refusing to overwrite it (use force)`);
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
