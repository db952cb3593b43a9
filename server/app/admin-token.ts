// The admin token (docs/server.md "Security model"): every admin call and every /metrics scrape
// carries `Authorization: Bearer <token>`, whoever the peer is — loopback included, since any local
// process or a DNS-rebinding web page can reach loopback. The token is 32 random bytes, base64url
// (43 characters). `tid server` keeps it in a file next to the registry (REGISTRY.admin-token,
// mode 0600; a file others may access is refused), made on the first start and printed once.
// AdminAuth compares a presented token with SHA-256 digests in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readFileSync, writeSync } from "node:fs";

/** What a token looks like: base64url, 32..256 characters (what this file makes: 43). */
export const ADMIN_TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,256}$/;
/** A token file is one token and a newline. */
const MAX_TOKEN_FILE_BYTES = 1024;

/** A new random admin token: 32 bytes, base64url. */
export function generateAdminToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Where `tid server` keeps the admin token of the registry at `dbPath`. */
export function adminTokenFileFor(dbPath: string): string {
  return `${dbPath}.admin-token`;
}

/** Check a token given by the operator (environment, option). @throws RangeError naming `where` */
export function checkAdminToken(token: string, where: string): string {
  if (!ADMIN_TOKEN_PATTERN.test(token)) throw new RangeError(`${where}: an admin token is 32..256 characters of [A-Za-z0-9_-]`);
  return token;
}

/**
 * Read the admin token file at `path`, or make it (a new random token, mode 0600, O_EXCL) when it
 * does not exist. A file that is not a regular file, not a token, or that group or others may
 * access is refused.
 * @returns the token, and whether this call created the file
 */
export function loadOrCreateAdminToken(path: string): { token: string; created: boolean } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    const token = generateAdminToken();
    const out = openSync(path, "wx", 0o600);
    try {
      writeSync(out, token + "\n");
    } finally {
      closeSync(out);
    }
    return { token, created: true };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${path}: the admin token file is not a regular file`);
    if (st.size > MAX_TOKEN_FILE_BYTES) throw new Error(`${path}: ${st.size} bytes is not an admin token file`);
    const token = readFileSync(fd, "utf8").trim();
    if (!ADMIN_TOKEN_PATTERN.test(token)) throw new Error(`${path}: not an admin token file (32..256 characters of [A-Za-z0-9_-])`);
    if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(3, "0");
      throw new Error(`${path}: mode ${mode} lets others read the admin token; run \`chmod 600 ${path}\``);
    }
    return { token, created: false };
  } finally {
    closeSync(fd);
  }
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Checks `Authorization: Bearer …` against the accepted tokens (digests only are kept). */
export class AdminAuth {
  private readonly digests: Buffer[];
  constructor(tokens: string[]) {
    if (tokens.length === 0) throw new RangeError("AdminAuth needs at least one token");
    this.digests = tokens.map(digest);
  }

  /** Does the Authorization header carry one of the tokens? Constant time in the token. */
  accepts(authorization: string | undefined): boolean {
    const m = /^Bearer ([^\s]+)$/.exec(authorization ?? "");
    const given = digest(m?.[1] ?? "");
    let ok = false;
    for (const d of this.digests) ok = timingSafeEqual(given, d) || ok;
    return m !== null && ok;
  }
}
