// `npm run fakedev -- [options] COMMAND [ARGS…]`: run COMMAND against the simulated kernel path
// (docs/hal.md "The simulated kernel path"). It builds the LD_PRELOAD shim that answers the Linux
// i2c-dev / spidev ioctl ABI (hal/sim/fakedev/shim.c) with the system C compiler into a temporary
// directory, starts the fakedev server (hal/sim/fakedev/server.ts, from dist/) with a simulated FM
// SE behind /dev/i2c-1 @ 0x71 and one behind /dev/spidev0.0, runs COMMAND with LD_PRELOAD and
// TID_FAKEDEV_SOCKET set, forwards its stdio, signals and exit code, then stops the server.
//
//   npm run fakedev -- node bin/tid.js probe --board rpi4-i2c
//   npm run fakedev -- --state /tmp/se.json node bin/tid.js provision --board rpi4-spi --server URL --link-key /tmp/se-link.json
//   npm run fakedev -- --state /tmp/se.json node bin/tid.js auth --board rpi4-spi --server URL --link-key /tmp/se-link.json …
//
// Options (before COMMAND; `--` ends them):
//   --state FILE   load the SEs' NVM (TID, PSK, lock, link key) from FILE, a `tid … --sim-state` file, when it
//                  exists, and save it there (mode 0600) when COMMAND ends; otherwise the SEs live
//                  only as long as this command
//   --trace        one line per device request on stderr
//   --no-bus-time  answer at once instead of holding answers back by their simulated bus time
// Exit code: COMMAND's (128 + signal number when a signal ended it); 127 without a C compiler.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { constants } from "node:os";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = "usage: npm run fakedev -- [--state FILE] [--trace] [--no-bus-time] [--] COMMAND [ARGS…]";

/**
 * A module of the build, imported by computed path so that type checking does not need dist/.
 * @param {string} rel path under dist/
 * @returns {Promise<any>}
 */
async function fromDist(rel) {
  const file = join(ROOT, "dist", rel);
  if (!existsSync(file)) {
    process.stderr.write(`fakedev: ${rel} is not built: run \`npm run build\` first\n`);
    process.exit(1);
  }
  return import(pathToFileURL(file).href);
}

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {{ state?: string, trace: boolean, busTime: "real" | "none", command: string[] }} */
  const o = { trace: false, busTime: "real", command: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      i++;
      break;
    }
    if (a === "--trace") o.trace = true;
    else if (a === "--no-bus-time") o.busTime = "none";
    else if (a === "--state") {
      const v = argv[++i];
      if (!v) throw new Error("--state needs a FILE");
      o.state = v;
    } else if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    } else if (a !== undefined && a.startsWith("--")) throw new Error(`unknown option ${a}`);
    else break;
  }
  o.command = argv.slice(i);
  if (o.command.length === 0) throw new Error("no COMMAND given");
  return o;
}

/**
 * The NVM to save: that of the SE whose NVM changed (I2C first), else the I2C one's.
 * @param {any} server the running fakedev server
 * @param {string} before hex of the NVM it started with
 */
function changedNvm(server, before) {
  const ses = [server.i2c, server.spi].filter(Boolean);
  const nvms = ses.map((se) => ({ ...se.applet.exportNvm(), linkPublic: se.applet.linkPublicKey() }));
  return nvms.find((n) => nvmHex(n) !== before) ?? nvms[0];
}

/** The NVM (TID, PSK, lock, link key) as one string, to see whether a run changed it. */
function nvmHex(/** @type {any} */ n) {
  const h = (/** @type {Uint8Array | null | undefined} */ b) => (b ? Buffer.from(b).toString("hex") : null);
  return JSON.stringify([h(n.tid), h(n.psk), n.locked, h(n.linkKey)]);
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`fakedev: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  const build = await fromDist("hal/sim/fakedev/build.js");
  const { startFakedevServer } = await fromDist("hal/sim/fakedev/server.js");
  const simState = await fromDist("cli/sim-state.js");
  const cc = build.findCompiler();
  if (!cc) {
    process.stderr.write(`fakedev: ${build.NO_COMPILER_HINT}\n`);
    return 127;
  }
  const dir = mkdtempSync(join(tmpdir(), "tid-fakedev-"));
  try {
    const shim = build.buildShim(dir, { cc });
    const socketPath = join(dir, "fakedev.sock");
    /** @type {{ tid: Uint8Array, psk: Uint8Array, locked: boolean, linkPrivate?: Uint8Array } | undefined} */
    let identity;
    if (opts.state && existsSync(opts.state)) identity = simState.readSimState(opts.state, "--state");
    const server = await startFakedevServer({
      socketPath,
      busTime: opts.busTime,
      ...(identity ? { identity: { tid: identity.tid, psk: identity.psk, locked: identity.locked } } : {}),
      ...(identity?.linkPrivate ? { linkKey: identity.linkPrivate } : {}),
      ...(opts.trace ? { trace: (/** @type {string} */ l) => process.stderr.write(`[fakedev] ${l}\n`) } : {}),
    });
    const before = nvmHex(identity ? { ...identity, linkKey: identity.linkPrivate } : { tid: null, psk: null, locked: false });
    const [cmd, ...args] = opts.command;
    const child = spawn(/** @type {string} */ (cmd), args, {
      stdio: "inherit",
      env: { ...process.env, ...build.shimEnv(shim, socketPath, process.env.LD_PRELOAD) },
    });
    /** @type {NodeJS.Signals[]} */
    const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const s of forwarded) process.on(s, () => child.kill(s));
    /** @type {number} */
    const code = await new Promise((resolve) => {
      child.on("error", (e) => {
        process.stderr.write(`fakedev: cannot run ${cmd}: ${e.message}\n`);
        resolve(127);
      });
      child.on("exit", (c, sig) => resolve(c ?? 128 + (sig ? constants.signals[sig] : 0)));
    });
    if (opts.state) {
      const nvm = changedNvm(server, before);
      // the chip's NVM; with a link key also its public half (the pin itself is the host's:
      // `tid provision --link-key FILE` writes it)
      if (nvm.tid && nvm.psk)
        await simState.writeSimState(
          opts.state,
          {
            tid: nvm.tid,
            psk: nvm.psk,
            locked: nvm.locked,
            ...(nvm.linkKey && nvm.linkPublic ? { linkPrivate: nvm.linkKey, linkKey: nvm.linkPublic } : {}),
          },
          { overwrite: true },
        );
    }
    await server.close();
    return code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
