// `tid demo` (what `npm run demo` runs) — the whole TID flow on one machine, no hardware
// (docs/protocol.md "Running it"): a reference TID auth server on loopback (temporary registry), a
// user server key pair registered with it, a device identity provisioned into a simulated Fudan
// Micro SE on a simulated I2C bus (or SPI, or a soft key file) and registered, then one
// authentication —
//   get authcode (device) → user server → TID auth server → validate (device) → same token on
//   both sides → an uplink and a downlink AEAD message → the legacy sym_crypto both ways —
// printing each step with sizes, hex, wall time and (SE backend) simulated bus time and wire bytes.
// With --tls the device then talks TID-TLS (docs/tls.md) to an echo user server, mode auth and
// then mode resume (cli/demo/tls-steps.ts).
// --suite intl runs it all in suite INTL (P-256, SHA-256, AES-128; docs/protocol.md "Algorithm
// suites"), on either backend: the SE is provisioned with an INTL identity (docs/se-profile.md
// "Algorithm suites"; its shielded link stays SM2/SM3/SM4); with --tls, TID-TLS runs in the
// device's suite (TLS_AES_128_GCM_SHA256 for INTL).
// The steps are in cli/demo/steps.ts, the run and its clean-up in cli/demo/run.ts.
// Exit 0 only if every step held; 1 with the failed step named otherwise; 2 for a usage error.
import { EXIT_FAILED, EXIT_OK, UsageError, parseCommandArgs, type CliCommand, type CliIo } from "../command.js";
import { round, type DemoReport } from "../demo/report.js";
import { runDemo } from "../demo/run.js";
import type { DemoOptions } from "../demo/steps.js";

export type { DemoReport, DemoStep } from "../demo/report.js";

const USAGE = `usage: tid demo [--backend se|soft] [--suite sm|intl] [--bus i2c|spi] [--unshielded] [--json] [--build release|debug]
                [--tamper] [--tls]
       (npm run demo -- [options] from a clone of the repository)

Run the whole TID flow locally: a reference TID auth server on loopback, a user server, and a
device — the wasm client with a simulated Fudan Micro SE on a simulated bus (default), or with the
soft backend and a sealed key file (--backend soft). Shows every step; exits 0 only if all held.
The auth server comes from @tid-wasm/server (in a clone of the repository it is there).

  --backend se|soft   where the device keys live (default se)
  --suite sm|intl     the device's algorithm suite (default sm): sm = SM2/SM3/SM4, intl =
                      P-256/SHA-256/AES-128 (in the SE: an INTL identity behind the SM2/SM3/SM4 link)
  --bus i2c|spi       the simulated bus for the SE backend: board sim-i2c or sim-spi (default i2c)
  --unshielded        SE backend: do not pair the SE, so every APDU (the PSK and the token too)
                      crosses the simulated bus in clear — to compare with the shielded default
  --json              print one JSON document (suite, authcode, serverData, deviceToken, serverToken,
                      shielded, busCapture: every frame on the simulated bus, steps)
  --build NAME        which wasm build to run (default release)
  --tamper            flip one bit of the server data on its way to the device, to watch the device
                      refuse it (the demo then fails at validate and exits 1)
  --tls               after loading the device, talk TID-TLS (docs/tls.md) to an echo user server:
                      authenticate in-band (mode auth), exchange messages, KeyUpdate, close; then
                      reconnect with the token (mode resume) and do it again (--json: "tls");
                      in the device's suite: TLS_SM4_GCM_SM3, or TLS_AES_128_GCM_SHA256 (intl)

Exit codes: 0 every step held, 1 a step failed, 2 usage error.`;

function optionsFromArgs(argv: string[]): { options: DemoOptions; json: boolean } {
  const { values } = parseCommandArgs(
    argv,
    {
      backend: { type: "string" },
      suite: { type: "string" },
      bus: { type: "string" },
      json: { type: "boolean" },
      build: { type: "string" },
      tamper: { type: "boolean" },
      unshielded: { type: "boolean" },
      tls: { type: "boolean" },
    },
    { positionals: false },
  );
  const suite = values.suite ?? "sm";
  if (suite !== "sm" && suite !== "intl") throw new UsageError(`--suite must be sm or intl, got ${JSON.stringify(suite)}`);
  const backend = values.backend ?? "se";
  const bus = values.bus ?? "i2c";
  const build = values.build ?? "release";
  if (backend !== "se" && backend !== "soft") throw new UsageError(`--backend must be se or soft, got ${JSON.stringify(backend)}`);
  if (bus !== "i2c" && bus !== "spi") throw new UsageError(`--bus must be i2c or spi, got ${JSON.stringify(bus)}`);
  if (values.bus !== undefined && backend === "soft") throw new UsageError("--bus goes with the SE backend (the soft backend has no bus)");
  if (values.unshielded && backend === "soft") throw new UsageError("--unshielded goes with the SE backend (the soft backend has no bus)");
  if (build !== "release" && build !== "debug") throw new UsageError(`--build must be release or debug, got ${JSON.stringify(build)}`);
  if (values.tls && values.tamper) throw new UsageError("--tamper goes with the plain flow, not --tls");
  return {
    options: {
      backend,
      suite,
      bus,
      build,
      tamper: values.tamper === true,
      unshielded: values.unshielded === true,
      tls: values.tls === true,
    },
    json: values.json === true,
  };
}

/** The closing lines of the text output. */
function summary(report: DemoReport): string[] {
  if (!report.ok) return [""];
  const sim =
    report.totals.busUs !== undefined
      ? `; simulated bus time ${round(report.totals.busUs / 1000)} ms (${report.totals.simMs} ms simulated with SE processing and polling), ${report.totals.wireBytes} wire bytes`
      : "";
  const link =
    report.backend !== "se"
      ? []
      : report.shielded
        ? [
            `link: shielded — after SELECT and OPEN SECURE SESSION every APDU was protected; ${report.busCapture?.length ?? 0} bus frames captured (--json shows them).`,
          ]
        : [`link: UNSHIELDED (--unshielded) — the PSK, the token and SM4 CIPHER data crossed the simulated bus in clear.`];
  const tls = report.tls;
  if (tls) {
    return [
      "",
      `all ${report.steps.length} steps held: TID ${report.tid} over TID-TLS (${tls.cipherSuite}), ${tls.connections.map((c) => `mode ${c.mode}`).join(" then ")}, ${tls.bytesEchoed} bytes echoed.`,
      ...link,
      `wall time ${round(report.totals.ms, 1)} ms; servers stopped, temporary files removed.`,
    ];
  }
  return [
    "",
    `all ${report.steps.length} steps held: TID ${report.tid} authenticated in suite ${report.suite}, token ${report.deviceToken} on both sides, messages both ways.`,
    ...link,
    `wall time ${round(report.totals.ms, 1)} ms${sim}; server stopped, temporary files removed.`,
  ];
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { options, json } = optionsFromArgs(argv);
  const report = await runDemo(options, json ? () => {} : (line) => io.out(line));
  if (json) {
    const { steps, totals, ...head } = report;
    io.out(JSON.stringify({ ...head, totals, steps }, null, 2));
  } else {
    for (const line of summary(report)) io.out(line);
  }
  if (!report.ok) {
    io.err(`tid demo: ${report.error}`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

export const demo: CliCommand = {
  name: "demo",
  summary: "run the whole flow locally: auth server, user server, simulated SE (or soft key file), one authentication",
  usage: USAGE,
  run,
};
