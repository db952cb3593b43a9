// Command-line entry of the reference TID auth server (docs/server.md "Running it"):
//   node dist/cli/commands/server-main.js --db tid.db --master-key-file master.key
//        [--create-master-key] [--host 127.0.0.1] [--port 0]
//        [--tls-key key.pem --tls-cert cert.pem] [--window 300] [--max-body 16384] [--log]
// The master key may come from TID_SERVER_MASTER_KEY instead of a file; an admin token (optional)
// only from TID_SERVER_ADMIN_TOKEN, never from argv. Prints one JSON line
// {"listening": url, "port": n} on stdout once it listens; SIGINT / SIGTERM close it cleanly.
import { existsSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { startAuthServer, type AuthServer } from "../../server/app/auth-server.js";
import { createMasterKeyFile, masterKeyFromEnv, readMasterKeyFile } from "../../server/app/master-key.js";

export async function runAuthServerCli(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<AuthServer> {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: "string" },
      "master-key-file": { type: "string" },
      "create-master-key": { type: "boolean", default: false },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
      "tls-key": { type: "string" },
      "tls-cert": { type: "string" },
      window: { type: "string" },
      "max-body": { type: "string" },
      log: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (!values.db) throw new Error("--db PATH is required");
  let masterKey = masterKeyFromEnv(env);
  const keyFile = values["master-key-file"];
  if (!masterKey) {
    if (!keyFile) throw new Error("give --master-key-file PATH or set TID_SERVER_MASTER_KEY");
    if (!existsSync(keyFile) && values["create-master-key"]) masterKey = createMasterKeyFile(keyFile);
    else masterKey = readMasterKeyFile(keyFile);
  }
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
    return n;
  };
  if (Boolean(values["tls-key"]) !== Boolean(values["tls-cert"])) throw new Error("--tls-key and --tls-cert go together");
  const server = await startAuthServer({
    dbPath: values.db,
    masterKey,
    host: values.host,
    port: num("port", values.port),
    tls: values["tls-key"] ? { key: readFileSync(values["tls-key"]), cert: readFileSync(values["tls-cert"]!) } : undefined,
    windowSeconds: num("window", values.window),
    maxBodyBytes: num("max-body", values["max-body"]),
    adminToken: env.TID_SERVER_ADMIN_TOKEN || undefined,
    log: values.log ? (r) => process.stderr.write(JSON.stringify({ t: new Date().toISOString(), ...r }) + "\n") : undefined,
  });
  masterKey.fill(0);
  return server;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAuthServerCli().then(
    (server) => {
      process.stdout.write(JSON.stringify({ listening: server.url, port: server.port }) + "\n");
      const stop = () => {
        server.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    },
    (e: Error) => {
      process.stderr.write(`tid auth server: ${e.message}\n`);
      process.exit(2);
    },
  );
}
