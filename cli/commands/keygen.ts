// `tid keygen DIR`: the user server's RSA key pair (the original SDK's generate_rsa_key_pair.py),
// written by server/sdk/keygen.ts as DIR/public_key.pem (SPKI, 0644) and DIR/private_key.pem (PKCS#8,
// 0600). The user server signs each authentication request with the private key; the auth server
// encrypts the session token to the public key (docs/server.md). With --server URL --user UIN the
// public key is also registered with a TID auth server (admin API) as that user server.
//
// Order, so that a failure leaves nothing half done: check DIR and ask the server whether UIN is
// free (an existing registration needs --force), then write the key pair, then register it; if
// registering fails, a key pair written by this run is removed again.
import { createHash, createPublicKey } from "node:crypto";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { keygen as writeKeyPair } from "../../server/sdk/keygen.js";
import { getUserServer, registerUserServer, type AdminOptions } from "../../server/sdk/admin-client.js";
import { destroyAgents, TidServerError } from "../../server/sdk/http-client.js";
import { UsageError, parseCommandArgs, type CliCommand, type CliIo } from "../command.js";
import { ADMIN_OPTIONS, ADMIN_TOKEN_USAGE, adminOptions, serverUrl } from "../options.js";

const USAGE = `usage: tid keygen DIR [--bits N] [--force] [--server URL --user UIN] [--json]

Make the user server's RSA key pair: DIR/public_key.pem (0644) and DIR/private_key.pem (0600).
DIR is created (0700) if needed; existing keys are never replaced without --force.

  --bits N                RSA modulus size (default 2048)
  --force                 replace an existing key pair in DIR (and, with --server, the key
                          registered for UIN)
  --server URL            also register the public key with this TID auth server (admin API) …
  --user UIN              … as this user server (1..64 characters of [0-9A-Za-z_.-]); \`tid auth
                          --user UIN\` and \`tid provision --owner UIN\` then name it
${ADMIN_TOKEN_USAGE}
  --ca FILE               trust this CA certificate (PEM) for an https server
  --json                  print one JSON document

Exit codes: 0 done, 1 failed, 2 usage error.`;

export interface KeygenReport {
  ok: boolean;
  dir: string;
  publicKey: string;
  privateKey: string;
  bits: number;
  /** SHA-256 of the public key's DER (SPKI), hex */
  fingerprint?: string;
  registered?: { server: string; userUin: string };
  error?: string;
}

const USER_UIN = /^[0-9A-Za-z_.-]{1,64}$/;

/** Before any key is made: is UIN free on the server (or may it be replaced)? */
async function checkUserServerFree(admin: AdminOptions, user: string, force: boolean): Promise<void> {
  try {
    await getUserServer(admin, user);
  } catch (e) {
    if (e instanceof TidServerError && e.code === "UNKNOWN_USER") return;
    throw e;
  }
  if (!force) throw new Error(`user server ${user} is already registered with ${admin.url} (use --force to replace its key)`);
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    ...ADMIN_OPTIONS,
    bits: { type: "string" },
    force: { type: "boolean" },
    user: { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length === 0) throw new UsageError("DIR is required");
  if (positionals.length > 1) throw new UsageError(`one DIR only, got ${positionals.length} arguments`);
  const dir = positionals[0]!;
  let bits = 2048;
  if (values.bits !== undefined) {
    bits = Number(values.bits);
    if (!Number.isInteger(bits) || bits < 2048 || bits > 8192)
      throw new UsageError(`--bits must be an integer in 2048..8192, got ${values.bits}`);
  }
  const server = values.server;
  const user = values.user;
  if ((server === undefined) !== (user === undefined)) throw new UsageError("--server and --user go together");
  if (user !== undefined && !USER_UIN.test(user))
    throw new UsageError(`--user must be 1..64 characters of [0-9A-Za-z_.-], got ${JSON.stringify(user)}`);
  const admin = server !== undefined ? adminOptions(serverUrl(server, undefined, io.env), values, io.env) : undefined;
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`DIR ${dir} is not a directory`);
  const force = values.force === true;

  const report: KeygenReport = { ok: false, dir, publicKey: join(dir, "public_key.pem"), privateKey: join(dir, "private_key.pem"), bits };
  let written = false;
  try {
    if (!force) {
      for (const p of [report.publicKey, report.privateKey])
        if (existsSync(p)) throw new Error(`${p} exists (use --force to replace the key pair)`);
    }
    if (admin && user !== undefined) await checkUserServerFree(admin, user, force);
    const made = writeKeyPair(dir, { bits, force });
    written = true;
    const der = createPublicKey(made.publicKeyPem).export({ type: "spki", format: "der" });
    report.fingerprint = createHash("sha256").update(der).digest("hex");
    if (admin && user !== undefined) {
      await registerUserServer(admin, user, made.publicKeyPem, force ? true : undefined);
      report.registered = { server: admin.url, userUin: user };
    }
    report.ok = true;
  } catch (e) {
    report.error = e instanceof Error ? e.message : String(e);
    if (written && !force) {
      // registering failed: take back the key pair this run made, so the next run starts clean
      for (const p of [report.publicKey, report.privateKey]) rmSync(p, { force: true });
      report.error += `; the new key pair was removed from ${dir}`;
      delete report.fingerprint;
    } else if (written) {
      report.error += `; the new key pair in ${dir} is not registered (run again with --force)`;
    }
  } finally {
    destroyAgents();
  }
  if (values.json) io.out(JSON.stringify(report, null, 2));
  else if (report.ok) {
    const lines = [
      `RSA-${bits} key pair in ${dir}`,
      `  public   ${report.publicKey}  (SHA-256 ${report.fingerprint})`,
      `  private  ${report.privateKey}  (mode 0600: keep it on the user server)`,
    ];
    if (report.registered) lines.push(`  registered with ${report.registered.server} as user server ${report.registered.userUin}`);
    io.out(lines.join("\n"));
  }
  if (!report.ok) {
    if (!values.json) io.err(`tid keygen: ${report.error}`);
    return 1;
  }
  return 0;
}

export const keygen: CliCommand = {
  name: "keygen",
  summary: "make the user server's RSA key pair (DIR/public_key.pem, DIR/private_key.pem 0600), optionally registered",
  usage: USAGE,
  run,
};
