// `tid server`: run the reference TID auth server (server/app/auth-server.ts) in the foreground
// until SIGINT/SIGTERM — the counterpart that `tid provision` and `tid auth --server URL` talk to.
// The options are those of cli/commands/server-main.ts (docs/server.md "Running it").
import { UsageError, type CliCommand, type CliIo } from "../main.js";

const USAGE = `usage: tid server --db PATH (--master-key-file PATH [--create-master-key] | $TID_SERVER_MASTER_KEY)
                  [--host 127.0.0.1] [--port 0] [--tls-key PEM --tls-cert PEM] [--window 300]
                  [--max-body 16384] [--log]

Run the reference TID auth server until Ctrl-C. It binds to loopback unless --host says
otherwise; --port 0 picks a free port. Prints one JSON line {"listening": URL, "port": N} once it
listens. The registry (devices, user servers, replay caches) is the SQLite file --db; device PSKs
in it are sealed under the master key. Admin calls need $TID_SERVER_ADMIN_TOKEN when it is set,
and come from loopback only when it is not. See docs/server.md.

Exit codes: 0 stopped cleanly, 1 failed, 2 usage error.`;

async function run(argv: string[], io: CliIo): Promise<number> {
  // Loaded here, not at start-up: the server's SQLite registry is an optional dependency that
  // the device-side commands do not need.
  const { runAuthServerCli } = await import("./server-main.js");
  let server;
  try {
    server = await runAuthServerCli(argv, io.env as NodeJS.ProcessEnv);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // parseArgs errors and missing required options are usage errors; the rest (a busy port,
    // an unreadable database or key file) are failures.
    if (e instanceof TypeError || /required|give --|go together|must be/.test(message)) throw new UsageError(message);
    throw e;
  }
  io.out(JSON.stringify({ listening: server.url, port: server.port }));
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  return 0;
}

export const server: CliCommand = {
  name: "server",
  summary: "run the reference TID auth server (loopback by default) until Ctrl-C",
  usage: USAGE,
  run,
};
