// The options several `tid` commands share, one table and one reader each: which auth server
// (URL and the plain-http rule, admin token, CA certificate) and which device (the SE on a board,
// or a soft key file and the secret that unseals it), and how the text output names a suite.
import { BoardError, loadBoard, type Board } from "../hal/boards.js";
import type { KeyFileSecret } from "../bindings/keyfile.js";
import type { AdminOptions } from "../server/sdk/admin-client.js";
import type { SuiteName } from "../reference/constants.js";
import { UsageError } from "./command.js";
import { readOptionFile, tooOpen, utf8Text } from "./option-file.js";

/** The options of the commands that call the auth server's admin API (keygen, provision). */
export const ADMIN_OPTIONS = {
  server: { type: "string" },
  "admin-token-env": { type: "string" },
  "admin-token-file": { type: "string" },
  ca: { type: "string" },
} as const;

/** The usage lines of the two admin token options (keygen, provision). */
export const ADMIN_TOKEN_USAGE = `  --admin-token-env VAR   the server's admin token from $VAR (default: $TID_SERVER_ADMIN_TOKEN) …
  --admin-token-file FILE … or from FILE (mode 0600): \`tid server\` keeps it in REGISTRY.admin-token`;

/**
 * The options provision and auth share: which server, which device (an SE on a board, or a soft
 * key file and how to unseal it), the CA to trust, JSON output.
 */
export const DEVICE_OPTIONS = {
  server: { type: "string" },
  board: { type: "string" },
  "sim-state": { type: "string" },
  "key-file": { type: "string" },
  "passphrase-env": { type: "string" },
  "passphrase-file": { type: "string" },
  "machine-bound": { type: "boolean" },
  "link-key": { type: "string" },
  unshielded: { type: "boolean" },
  ca: { type: "string" },
  json: { type: "boolean" },
} as const;

/** How the text output of the commands names an algorithm suite (docs/protocol.md "Algorithm suites"). */
export const SUITE_DESCRIPTION: Readonly<Record<SuiteName, string>> = {
  sm: "sm (SM2, SM3, SM4)",
  intl: "intl (P-256, SHA-256, AES-128)",
};

/** The largest passphrase file read: a passphrase is its first line. */
export const MAX_PASSPHRASE_FILE_BYTES = 4096;
/** The largest --ca file read: a CA bundle, PEM. */
export const MAX_CA_FILE_BYTES = 1 << 20;

/** Is this host name or address the local machine's loopback? */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Check a --server URL. Plain http is accepted only to a loopback host: these commands send the
 * admin token and (provision) the PSK, which must not cross a network in clear. Set
 * TID_INSECURE_HTTP=1 to allow plain http elsewhere anyway (a lab network, at your own risk).
 */
export function serverUrl(v: string | undefined, what = "--server URL", env: Record<string, string | undefined> = {}): string {
  if (!v) throw new UsageError(`${what} is required (the TID auth server, e.g. http://127.0.0.1:8080)`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`${what}: not a URL: ${v}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError(`${what}: must be http(s), got ${u.protocol}`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (u.protocol === "http:" && !isLoopbackHost(host) && env.TID_INSECURE_HTTP !== "1") {
    throw new UsageError(
      `${what}: plain http to ${host} would send the admin token and keys in clear; use https (or set TID_INSECURE_HTTP=1 to allow it)`,
    );
  }
  return v;
}

/** An admin token file holds one token (43 characters from `tid server`) and a newline. */
const MAX_ADMIN_TOKEN_FILE_BYTES = 1024;

/**
 * The admin token for the server's admin API (every admin call needs it): from FILE
 * (--admin-token-file, a file only its owner may read: the one `tid server` writes next to its
 * registry) or $VAR (--admin-token-env VAR, default TID_SERVER_ADMIN_TOKEN).
 * @throws UsageError when there is none, or the file is not a token file
 */
export function adminToken(
  values: { "admin-token-env"?: string | undefined; "admin-token-file"?: string | undefined },
  env: Record<string, string | undefined>,
): string {
  const file = values["admin-token-file"];
  if (file !== undefined) {
    if (values["admin-token-env"] !== undefined) throw new UsageError("give --admin-token-env or --admin-token-file, not both");
    const { bytes, mode } = readOptionFile("--admin-token-file", file, { maxBytes: MAX_ADMIN_TOKEN_FILE_BYTES, what: "admin token file" });
    const token = utf8Text("--admin-token-file", file, bytes).trim();
    if (!/^[A-Za-z0-9_-]{16,256}$/.test(token)) throw new UsageError(`--admin-token-file ${file}: not an admin token file`);
    if (tooOpen(mode))
      throw new UsageError(
        `--admin-token-file ${file}: mode ${mode.toString(8).padStart(3, "0")} lets others read the admin token; run \`chmod 600 ${file}\``,
      );
    return token;
  }
  const name = values["admin-token-env"] ?? "TID_SERVER_ADMIN_TOKEN";
  const token = env[name];
  if (!token) {
    throw new UsageError(
      `the auth server's admin token is needed: set $${name}${values["admin-token-env"] ? "" : " or give --admin-token-file FILE"} (\`tid server\` keeps it in REGISTRY.admin-token)`,
    );
  }
  return token;
}

/** Read a --ca FILE: a regular file of at most 1 MiB holding PEM certificates. */
export function caFile(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  const { bytes } = readOptionFile("--ca", path, { maxBytes: MAX_CA_FILE_BYTES, what: "CA certificate file (PEM)" });
  if (!bytes.includes("-----BEGIN CERTIFICATE-----"))
    throw new UsageError(`--ca ${path}: not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`);
  return bytes;
}

/** How to reach the admin API: --server URL, the admin token, the --ca file. */
export function adminOptions(
  url: string,
  values: { "admin-token-env"?: string | undefined; "admin-token-file"?: string | undefined; ca?: string | undefined },
  env: Record<string, string | undefined>,
): AdminOptions {
  const token = adminToken(values, env);
  const ca = caFile(values.ca);
  return { url, adminToken: token, ...(ca ? { ca } : {}) };
}

/** Load a board description by name (boards/, env overrides); a bad name is a usage error. */
export function loadBoardOrUsage(name: string, env: Record<string, string | undefined>): Board {
  try {
    return loadBoard(name, { env });
  } catch (e) {
    if (e instanceof BoardError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * The secret that seals a soft key file, from the options shared by provision and auth:
 * --machine-bound, or a passphrase from $VAR (--passphrase-env VAR, default TID_KEY_PASSPHRASE)
 * or from a file (--passphrase-file FILE, its first line; a regular file of at most 4 KiB).
 * Never from argv itself.
 */
export function keyFileSecret(
  values: { "machine-bound"?: boolean | undefined; "passphrase-env"?: string | undefined; "passphrase-file"?: string | undefined },
  env: Record<string, string | undefined>,
): KeyFileSecret {
  const given = [values["machine-bound"], values["passphrase-env"], values["passphrase-file"]].filter(
    (v) => v !== undefined && v !== false,
  );
  if (given.length > 1) throw new UsageError("give only one of --machine-bound, --passphrase-env, --passphrase-file");
  if (values["machine-bound"]) return { machineBound: true };
  const file = values["passphrase-file"];
  if (file !== undefined) {
    const { bytes } = readOptionFile("--passphrase-file", file, { maxBytes: MAX_PASSPHRASE_FILE_BYTES, what: "passphrase file" });
    const text = utf8Text("--passphrase-file", file, bytes);
    bytes.fill(0);
    const line = text.split(/\r?\n/)[0] ?? "";
    if (line.length === 0) throw new UsageError(`--passphrase-file ${file}: the first line is empty; put the passphrase there`);
    return { passphrase: line };
  }
  const name = values["passphrase-env"] ?? "TID_KEY_PASSPHRASE";
  const pw = env[name];
  if (!pw) {
    throw new UsageError(
      `the key file's passphrase: set $${name}${values["passphrase-env"] ? "" : " (or --passphrase-env VAR, --passphrase-file FILE, --machine-bound)"}`,
    );
  }
  return { passphrase: pw };
}
