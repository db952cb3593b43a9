// `npm run fakedev -- [options] COMMAND [ARGS…]`: run COMMAND against the simulated kernel path
// (docs/hal.md "The simulated kernel path"). It builds the LD_PRELOAD shim that answers the Linux
// i2c-dev / spidev ioctl ABI (hal/sim/fakedev/shim.c) with the system C compiler into a temporary
// directory, starts the fakedev server (hal/sim/fakedev/server.ts, from dist/) with a simulated FM
// SE behind /dev/i2c-1 @ 0x71 and one behind /dev/spidev0.0, and — when the native TA build's
// tools are there (wasm2c 1.0.32, wasm-rt.h, make) — also builds libfaketee.so, the fake
// /dev/tee0 that runs the TID trusted application behind the Linux TEE client ioctls
// (tee/host-stub/fake_tee.c; docs/tee.md "The fake /dev/tee0"). It runs COMMAND with both
// libraries in LD_PRELOAD and TID_FAKEDEV_SOCKET / TID_FAKETEE_STORAGE set, forwards its stdio,
// signals and exit code, then stops the server.
//
//   npm run fakedev -- node bin/tid.js probe --board rpi4-i2c
//   npm run fakedev -- --state /tmp/se.json node bin/tid.js provision --board rpi4-spi --server URL --link-key /tmp/se-link.json
//   npm run fakedev -- --state /tmp/se.json node bin/tid.js auth --board rpi4-spi --server URL --link-key /tmp/se-link.json …
//
// Options (before COMMAND; `--` ends them):
//   --state FILE   load the SEs' NVM (TID, PSK, lock, link key) from FILE, a `tid … --sim-state` file, when it
//                  exists, and save it there (mode 0600) when COMMAND ends; the TA behind /dev/tee0
//                  keeps its persistent objects in the directory FILE.tee/ (created mode 0700).
//                  Otherwise the SEs and the TA's storage live only as long as this command
//   --trace        one line per device request on stderr (TID_FAKETEE_TRACE=1 for /dev/tee0 too)
//   --no-bus-time  answer at once instead of holding answers back by their simulated bus time
// Without the TA build's tools it says "fakedev: /dev/tee0 is not faked: …" and goes on with the
// buses only.
// Exit code: COMMAND's (128 + signal number when a signal ended it); 127 without a C compiler.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { constants } from "node:os";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE =
  "usage: npm run fakedev -- [--state FILE] [--trace] [--no-bus-time] [--] COMMAND [ARGS…]\n" +
  "  COMMAND sees /dev/i2c-1 and /dev/spidev0.0 (simulated SEs) and /dev/tee0 (the TID TA; with --state FILE its storage is FILE.tee/)";

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

/**
 * libfaketee.so and the TA's storage directory, or null (after one line on stderr) when the fake
 * /dev/tee0 cannot be built here.
 * @param {any} teeBuild the compiled hal/sim/fakedev/tee-build.ts
 * @param {string} storage the directory for the TA's persistent objects
 * @returns {{ lib: string, storage: string } | null}
 */
function fakeTee(teeBuild, storage) {
  const missing = teeBuild.teeToolsMissing();
  if (missing) {
    process.stderr.write(`fakedev: /dev/tee0 is not faked: ${missing}\n`);
    return null;
  }
  let lib;
  try {
    lib = teeBuild.buildTeeHost().fakeTee;
  } catch (e) {
    process.stderr.write(`fakedev: /dev/tee0 is not faked: ${e instanceof Error ? e.message : String(e)}\n`);
    return null;
  }
  if (!existsSync(storage)) mkdirSync(storage, { mode: 0o700 });
  else if (!statSync(storage).isDirectory()) throw new Error(`${storage} exists and is not a directory (the TA's storage)`);
  return { lib, storage };
}

/**
 * The child's environment: the bus shim's, plus the fake /dev/tee0 when there is one.
 * @param {Record<string, string>} shimVars build.shimEnv(…)
 * @param {{ lib: string, storage: string } | null} tee
 * @param {any} teeBuild the compiled hal/sim/fakedev/tee-build.ts
 * @param {boolean} trace
 */
function childEnv(shimVars, tee, teeBuild, trace) {
  if (!tee) return { ...process.env, ...shimVars };
  return {
    ...process.env,
    ...shimVars,
    ...teeBuild.fakeTeeEnv(tee.lib, { storage: tee.storage, inherited: shimVars.LD_PRELOAD }),
    ...(trace ? { TID_FAKETEE_TRACE: "1" } : {}),
  };
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
  const teeBuild = await fromDist("hal/sim/fakedev/tee-build.js");
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
    let tee;
    try {
      tee = fakeTee(teeBuild, opts.state ? `${opts.state}.tee` : join(dir, "tee"));
    } catch (e) {
      process.stderr.write(`fakedev: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
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
      env: childEnv(build.shimEnv(shim, socketPath, process.env.LD_PRELOAD), tee, teeBuild, opts.trace),
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
