// One run of `tid demo` (cli/commands/demo.ts): a temporary directory, the twelve steps of
// cli/demo/steps.ts in order (with --tls: the set-up steps, then cli/demo/tls-steps.ts), and the clean-up — the client closed (its keys zeroed), the board
// closed, the auth server stopped and the directory removed — whether the steps held or not, and
// on Ctrl-C too.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { AeadSession } from "../../reference/aead.js";
import { destroyAgents } from "../../server/sdk/http-client.js";
import { TidError } from "../../bindings/errors.js";
import { SUITE_DESCRIPTION } from "../options.js";
import { addTotals, DEMO_STEPS, StepFailed, StepRunner, type DemoReport } from "./report.js";
import { TLS_DEMO_STEPS, tlsSteps } from "./tls-steps.js";
import {
  compareTokens,
  downlink,
  getAuthcode,
  loadClient,
  makeUserServer,
  provisionDevice,
  relayToAuthServer,
  startServer,
  symCryptoDown,
  symCryptoUp,
  uplink,
  validateOnDevice,
  type DemoContext,
  type DemoOptions,
} from "./steps.js";

/** The twelve steps (or the TID-TLS ones), in order; a step that fails throws StepFailed and ends the run. */
async function runSteps(ctx: DemoContext): Promise<void> {
  // the counterpart: auth server, user server
  const server = await startServer(ctx);
  const user = await makeUserServer(ctx, server);
  // the device
  const device = await provisionDevice(ctx, server, user);
  const client = await loadClient(ctx, device);
  if (ctx.options.tls) return tlsSteps(ctx, client, server, user);
  // one authentication
  const authcode = await getAuthcode(ctx, client);
  const [serverData, serverToken] = await relayToAuthServer(ctx, server, user, authcode);
  const deviceToken = await validateOnDevice(ctx, client, serverData);
  const token = await compareTokens(ctx, deviceToken, serverToken);
  // business data
  const session = new AeadSession(token, "server", ctx.options.suite);
  try {
    await uplink(ctx, client, session, device.tid);
    await downlink(ctx, client, session);
  } finally {
    session.destroy();
  }
  await symCryptoUp(ctx, client, token);
  await symCryptoDown(ctx, client, token);
}

/** Close what the steps opened, stop the server, remove the temporary directory. */
async function cleanUp(ctx: DemoContext): Promise<void> {
  try {
    ctx.client?.close();
  } catch {
    // closing erases the slots; a dead simulated SE must not hide the real error
  }
  ctx.opened?.close();
  const tls = ctx.tlsServer;
  if (tls) await new Promise<void>((resolve) => tls.close(() => resolve()));
  destroyAgents();
  if (ctx.server) await ctx.server.close();
  rmSync(ctx.tmp, { recursive: true, force: true });
}

/** Run the demo, printing each step with `say` (text mode); resolves with the report. */
export async function runDemo(options: DemoOptions, say: (line: string) => void): Promise<DemoReport> {
  const report: DemoReport = {
    ok: false,
    backend: options.backend,
    suite: options.suite,
    shielded: options.backend === "se" && !options.unshielded,
    build: options.build,
    steps: [],
    totals: { ms: 0 },
  };
  const boardName = `sim-${options.bus}`;
  if (options.backend === "se") report.board = boardName;
  const ctx: DemoContext = {
    options,
    tmp: mkdtempSync(join(tmpdir(), "tid-demo-")),
    report,
    runner: new StepRunner(report, say, options.tls ? TLS_DEMO_STEPS : DEMO_STEPS),
    say,
  };

  // Interrupted (Ctrl-C): stop the server and remove the temporary files before exiting.
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`tid demo: ${signal}, stopping the server\n`);
    void (ctx.server?.close() ?? Promise.resolve()).finally(() => {
      rmSync(ctx.tmp, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const t0 = performance.now();
  say(
    options.backend === "se"
      ? `tid-wasm demo — TID protocol v1, SE backend: the wasm client drives a simulated Fudan Micro SE on ${boardName} (${options.bus === "i2c" ? "I2C 400 kHz at 0x71" : "SPI mode 3, 2 MHz"}, virtual clock)`
      : "tid-wasm demo — TID protocol v1, soft backend: TID and PSK in the wasm, loaded from a sealed key file",
  );
  say(`algorithm suite ${SUITE_DESCRIPTION[options.suite]}`);
  if (options.tls) say("then TID-TLS (docs/tls.md): the device authenticates in-band to an echo user server, then resumes with its token");
  say("");
  try {
    await runSteps(ctx);
    report.ok = true;
  } catch (e) {
    report.error =
      e instanceof StepFailed
        ? e.message
        : `${e instanceof TidError ? "" : "unexpected error: "}${e instanceof Error ? e.message : String(e)}`;
  } finally {
    await cleanUp(ctx);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  addTotals(report, performance.now() - t0);
  return report;
}
