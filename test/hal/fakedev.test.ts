// The simulated kernel path (docs/hal.md "The simulated kernel path"): the real `i2c-bus` and
// `spi-device` native addons and the HAL's bus ports, in a child process whose libc calls on
// /dev/i2c-1 and /dev/spidev0.0 the LD_PRELOAD shim (hal/sim/fakedev/shim.c, the Linux i2c-dev /
// spidev ioctl ABI) hands to the fakedev server (hal/sim/fakedev/server.ts) running here, with
// the simulated FM SE behind it. Checked: `tid probe`, and `tid provision` + `tid auth` against a
// real auth server, on both buses; APDU exchanges through hal/se, sync (the main thread's read(2))
// and async (libuv's thread pool); i2c-bus's own SMBus scan and spi-device's mode ioctls; the
// simulator's faults (NACK, I/O error, timeout) and the kernel-level ones (any errno, short
// counts) arriving as the typed BusErrors of hal/bus/errors.ts, errno by errno.
// The shim is compiled with the system C compiler; without one the suite is skipped and says how
// to get one.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildShim, findCompiler, NO_COMPILER_HINT, shimEnv } from "../../hal/sim/fakedev/build.js";
import {
  ERRNO,
  SIM_ERRNO,
  startFakedevServer,
  type ErrnoName,
  type FakedevOptions,
  type FakedevServer,
} from "../../hal/sim/fakedev/server.js";
import { BusError, toBusError, type BusErrorCode } from "../../hal/bus/errors.js";
import { builtTid, ROOT } from "../support/server-child.js";
import { startFixture, type Fixture } from "../support/e2e.js";

const cc = findCompiler();
const suite = cc ? describe : describe.skip;
if (!cc) console.warn(`test/hal/fakedev.test.ts skipped: ${NO_COMPILER_HINT}`);
const DIST_HAL = pathToFileURL(join(ROOT, "dist", "hal", "index.js")).href;
const DIST_I2C_BUS = JSON.stringify(join(ROOT, "node_modules", "i2c-bus"));
const DIST_SPI_DEVICE = JSON.stringify(join(ROOT, "node_modules", "spi-device"));

let dir = "";
let shim = "";
let tid = "";
let serial = 0;
const servers: FakedevServer[] = [];

beforeAll(() => {
  if (!cc) return;
  tid = builtTid(); // dist/ is current: the children run the compiled HAL
  dir = mkdtempSync(join(tmpdir(), "tid-fakedev-test-"));
  shim = buildShim(dir, { cc });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function serve(options: Omit<FakedevOptions, "socketPath"> = {}): Promise<FakedevServer> {
  const s = await startFakedevServer({ socketPath: join(dir, `s${++serial}.sock`), ...options });
  servers.push(s);
  return s;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as one JSON document (`tid … --json`), or its last line as JSON */
  json: () => any;
}

/** Run a process under the shim, talking to `server`. */
function underShim(server: FakedevServer, argv: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, TID_BOARD: "", ...env, ...shimEnv(shim, server.socketPath) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        stdout,
        stderr,
        json: () => {
          const lines = stdout.trim().split("\n");
          try {
            return JSON.parse(lines.length > 1 && lines[0] === "{" ? stdout : lines[lines.length - 1]!);
          } catch {
            throw new Error(`no JSON from the child (exit ${code}):\n${stdout}\n${stderr}`);
          }
        },
      }),
    );
  });
}

/** An ES module body run under the shim with `hal` (dist/hal), `I2cBus`, `SpiDevice` and `err(e)` in scope; print JSON with `out(v)`. */
function script(server: FakedevServer, body: string, env: Record<string, string> = {}): Promise<Run> {
  const prelude = `
    import { createRequire } from "node:module";
    const hal = await import(${JSON.stringify(DIST_HAL)});
    const require = createRequire(import.meta.url);
    const I2cBus = require(${DIST_I2C_BUS});
    const SpiDevice = require(${DIST_SPI_DEVICE});
    const err = (e) => ({ name: e?.name, code: e?.code, errno: e?.errno, message: String(e?.message) });
    const out = (v) => console.log(JSON.stringify(v));
    const hex = (b) => Buffer.from(b).toString("hex");
  `;
  return underShim(server, [process.execPath, "--input-type=module", "-e", prelude + body], env);
}

suite(
  cc ? "the simulated kernel path (LD_PRELOAD shim + fakedev server)" : `the simulated kernel path: skipped, ${NO_COMPILER_HINT}`,
  () => {
    describe("tid probe through the real addons", () => {
      for (const board of ["rpi4-i2c", "rpi4-spi"] as const) {
        it(`probe --board ${board}`, async () => {
          const srv = await serve();
          const r = await underShim(srv, [process.execPath, tid, "probe", "--board", board, "--json"]);
          expect(r.code, r.stderr).toBe(0);
          const report = r.json();
          expect(report.simulated).toBe(false);
          expect(report.port).toBe(board === "rpi4-i2c" ? "/dev/i2c-1@0x71" : "/dev/spidev0.0");
          expect(report.applet).toMatchObject({ version: "1.0" });
          expect(report.lifecycle).toBe("blank");
          if (board === "rpi4-i2c") {
            expect(report.atr).toMatch(/^3B/i);
            expect(srv.counts.ops).toMatchObject({ OPEN: 2, I2C_ADDR: 2 }); // funcs probe at 0x00, then 0x71
            expect(srv.counts.ops.I2C_READ).toBeGreaterThan(0);
          } else {
            expect(srv.counts.ops.SPI_XFER).toBeGreaterThan(0);
            expect(srv.spiState).toMatchObject({ mode: 3, bitsPerWord: 8, speedHz: 2_000_000 }); // set by the adapter at open
          }
        });
      }
    });

    describe("provision + auth against a real auth server", () => {
      let fx: Fixture;
      let keyDir = "";
      beforeAll(async () => {
        fx = await startFixture();
        keyDir = fx.userKeyDir();
      });
      afterAll(async () => fx?.close());

      for (const board of ["rpi4-i2c", "rpi4-spi"] as const) {
        it(`tid provision, then tid auth, on ${board}`, async () => {
          const srv = await serve();
          const pin = join(dir, `${board}-link.json`);
          const prov = await underShim(
            srv,
            [process.execPath, tid, "provision", "--board", board, "--server", fx.url, "--owner", fx.userUin, "--link-key", pin, "--json"],
            fx.adminEnv,
          );
          expect(prov.code, prov.stdout + prov.stderr).toBe(0);
          expect(prov.json()).toMatchObject({ ok: true, shielded: true, linkKeyFile: pin });
          const se = (board === "rpi4-i2c" ? srv.i2c : srv.spi)!;
          const state = se.applet.inspect();
          expect(state).toMatchObject({ provisioned: true, locked: true, shielded: true });
          // the pin file holds the SE's public link key, nothing secret
          expect(JSON.parse(readFileSync(pin, "utf8")).linkKey).toBe(Buffer.from(se.applet.linkPublicKey()!).toString("hex"));
          const auth = await underShim(srv, [
            process.execPath,
            tid,
            "auth",
            "--board",
            board,
            "--server",
            fx.url,
            "--user",
            fx.userUin,
            "--user-key",
            keyDir,
            "--link-key",
            pin,
            "--json",
          ]);
          expect(auth.code, auth.stdout + auth.stderr).toBe(0);
          const report = auth.json();
          expect(report).toMatchObject({
            ok: true,
            shielded: true,
            tokenIssued: true,
            tokensMatch: true,
            aead: { uplink: true, downlink: true },
          });
          expect(report.tid).toBe(Buffer.from(state.tid!).toString("hex"));
          if (board === "rpi4-i2c") expect(srv.counts.errors.EREMOTEIO ?? 0).toBeGreaterThan(0); // polls NACKed while the SE computed
        });
      }
    });

    describe("APDU exchanges through hal/se on the real ports", () => {
      it("I2C: sync (main thread read/write) and async (libuv thread pool), and i2c-bus's own SMBus scan", async () => {
        const srv = await serve({ identity: { tid: Buffer.from("671007e10029b0a2", "hex"), psk: new Uint8Array(16), locked: true } });
        const r = await script(
          srv,
          `
        const b = hal.openBoard("rpi4-i2c");
        const se = new hal.SeClient(b.channel);
        const sync = { select: se.selectSync().version, tid: hex(se.getTidSync()), rnd: se.getChallengeSync(16).length };
        const tidAsync = hex(await se.getTid());
        const rndAsync = (await se.getChallenge(32)).length;
        const stats = { ...b.link.stats };
        b.close();
        const bus = I2cBus.openSync(1);
        const scan = bus.scanSync();
        const funcs = bus.i2cFuncsSync();
        bus.closeSync();
        out({ sync, tidAsync, rndAsync, stats, scan, funcs: { i2c: funcs.i2c, smbusQuick: funcs.smbusQuick, tenBit: funcs.tenBitAddr } });
      `,
        );
        expect(r.code, r.stderr).toBe(0);
        const v = r.json();
        expect(v.sync).toEqual({ select: { major: 1, minor: 0 }, tid: "671007e10029b0a2", rnd: 16 });
        expect(v.tidAsync).toBe("671007e10029b0a2");
        expect(v.rndAsync).toBe(32);
        expect(v.scan).toEqual([0x71]); // SMBus quick / receive byte (I2C_SMBUS), ACKed by the SE alone
        expect(v.funcs).toEqual({ i2c: true, smbusQuick: true, tenBit: false });
        expect(srv.counts.ops.I2C_XFER).toBeGreaterThan(100); // the scan
      });

      it("SPI: sync and async exchanges; spidev's mode ioctls as the Pi's controller takes them", async () => {
        const srv = await serve();
        const r = await script(
          srv,
          `
        const b = hal.openBoard("rpi4-spi");
        const se = new hal.SeClient(b.channel);
        const sync = se.getChallengeSync(8).length;
        const info = await se.getInfo();
        b.close();
        const dev = SpiDevice.openSync(0, 0); // spi-device's open sets mode 0 and 8-bit words; the speed stays spidev's
        const before = dev.getOptionsSync();
        let lsb = null, bits = null;
        try { dev.setOptionsSync({ lsbFirst: true }); } catch (e) { lsb = err(e); }
        try { dev.setOptionsSync({ bitsPerWord: 9 }); } catch (e) { bits = err(e); }
        dev.setOptionsSync({ mode: 0, maxSpeedHz: 1000000 });
        const after = dev.getOptionsSync();
        // mode 0: the SE (mode 3) sees no frame, MISO stays high
        const msg = [{ sendBuffer: Buffer.from([0x05, 0xff]), receiveBuffer: Buffer.alloc(2), byteLength: 2 }];
        dev.transferSync(msg);
        dev.closeSync();
        out({ sync, lifecycle: info.lifecycle, before, lsb, bits, after, miso: hex(msg[0].receiveBuffer) });
      `,
        );
        expect(r.code, r.stderr).toBe(0);
        const v = r.json();
        expect(v.sync).toBe(8);
        // spidev keeps a device's settings across opens: the adapter's 2 MHz is still there
        expect(v.before).toMatchObject({ mode: 0, bitsPerWord: 8, maxSpeedHz: 2_000_000, lsbFirst: false });
        expect(v.lsb).toMatchObject({ code: "EINVAL" });
        expect(v.bits).toMatchObject({ code: "EINVAL" });
        expect(v.after).toMatchObject({ mode: 0, maxSpeedHz: 1_000_000 });
        expect(v.miso).toBe("ffff");
      });
    });

    describe("faults arrive as the kernel's errno and leave the port as typed BusErrors", () => {
      it("the simulator's NACK, EIO and timeout on I2C, with either NACK errno; the link rides them out", async () => {
        const faults = {
          i2c: {
            script: [
              { kind: "nack" as const, op: "read" as const },
              { kind: "io" as const, op: "read" as const, error: "EIO" as const },
              { kind: "io" as const, op: "read" as const, error: "TIMEOUT" as const },
            ],
          },
        };
        const body = `
        const port = hal.openI2cPort({ bus: 1, address: 0x71 });
        port.writeSync(Uint8Array.from([0x03, 0x00, 0x00, 0x30, 0x33])); // GET ATR: the SE has an answer to read
        await new Promise((r) => setTimeout(r, 20));
        const errs = [];
        for (let i = 0; i < 3; i++) try { port.readSync(2); errs.push(null); } catch (e) { errs.push(err(e)); }
        port.close();
        const b = hal.openBoard("rpi4-i2c");
        const se = new hal.SeClient(b.channel);
        const rnd = (await se.getChallenge(8)).length;
        b.close();
        out({ errs, rnd });
      `;
        for (const nackErrno of ["EREMOTEIO", "ENXIO"] as const) {
          const srv = await serve({ i2c: { nackErrno }, faults });
          const r = await script(srv, body);
          expect(r.code, r.stderr).toBe(0);
          const v = r.json();
          expect(v.errs.map((e: { message: string }) => ({ ...e, message: undefined }))).toEqual([
            { name: "BusError", code: "NACK", errno: nackErrno, message: undefined },
            { name: "BusError", code: "EIO", errno: "EIO", message: undefined },
            { name: "BusError", code: "TIMEOUT", errno: "ETIMEDOUT", message: undefined },
          ]);
          expect(v.errs[0].message).toContain("/dev/i2c-1 address 0x71");
          expect(v.rnd).toBe(8);
        }
      });

      it("async reads through the thread pool fail the same way", async () => {
        const srv = await serve({ faults: { i2c: { script: [{ kind: "nack", op: "read" }] } } });
        const r = await script(
          srv,
          `
        const port = hal.openI2cPort({ bus: 1, address: 0x71 });
        let e1 = null; try { await port.read(2); } catch (e) { e1 = err(e); }
        await port.write(Uint8Array.from([0x03, 0x00, 0x00, 0x30, 0x33]));  // GET ATR
        await new Promise((r) => setTimeout(r, 20));
        const len = hex(await port.read(2));
        port.close();
        out({ e1, len });
      `,
        );
        expect(r.code, r.stderr).toBe(0);
        expect(r.json().e1).toMatchObject({ name: "BusError", code: "NACK", errno: "EREMOTEIO" });
        expect(r.json().len).toMatch(/^[0-9a-f]{2}00$/);
      });

      it("short transfers: a short I2C read is BusError EIO, a short write is completed by libuv, a short spidev message is EINVAL (spi-device's check)", async () => {
        const srv = await serve({
          wire: [
            { device: "i2c", op: "read", transferred: 1 },
            { device: "i2c", op: "write", skip: 1, transferred: 3 },
            { device: "spi", op: "transfer", transferred: 1 },
          ],
        });
        const r = await script(
          srv,
          `
        const port = hal.openI2cPort({ bus: 1, address: 0x71 });
        let read = null, write = null, spi = null;
        port.writeSync(Uint8Array.from([0x03, 0x00, 0x00, 0x30, 0x33])); // GET ATR, so that a read has an answer
        await new Promise((r) => setTimeout(r, 20));
        try { port.readSync(2); } catch (e) { read = err(e); }
        try { port.writeSync(Uint8Array.from([0x03, 0x00, 0x00, 0x30, 0x33])); } catch (e) { write = err(e); }
        port.close();
        const sp = hal.openSpiPort({ bus: 0, chipSelect: 0, mode: 3, speedHz: 2000000 });
        try { sp.transferSync([{ send: Uint8Array.of(5), length: 1 }, { length: 1 }]); } catch (e) { spi = err(e); }
        sp.close();
        out({ read, write, spi });
      `,
        );
        expect(r.code, r.stderr).toBe(0);
        const v = r.json();
        expect(v.read).toMatchObject({ code: "EIO" });
        expect(v.read.message).toContain("short read: 1 of 2 bytes");
        // libuv finishes a short write(2) itself, with a second write of the rest: on the bus that is
        // a second transaction (a new START), which the SE takes for another, damaged frame.
        expect(v.write).toBeNull();
        expect(srv.counts.ops.I2C_WRITE).toBe(3);
        expect(v.spi).toMatchObject({ code: "EINVAL", errno: "EINVAL" });
        expect(srv.i2c!.stats.badFrames).toBe(2);
      });

      it("SPI: the simulator's I/O errors and timeouts", async () => {
        const srv = await serve({
          faults: {
            spi: {
              script: [
                { kind: "io", op: "status", error: "EIO" },
                { kind: "io", op: "status", error: "TIMEOUT" },
              ],
            },
          },
        });
        const r = await script(
          srv,
          `
        const sp = hal.openSpiPort({ bus: 0, chipSelect: 0, mode: 3, speedHz: 2000000 });
        const errs = [];
        for (let i = 0; i < 2; i++) try { sp.transferSync([{ send: Uint8Array.of(5), length: 1, delayUs: 16 }, { length: 1 }]); } catch (e) { errs.push(err(e)); }
        sp.close();
        out(errs);
      `,
        );
        expect(r.code, r.stderr).toBe(0);
        expect(r.json()).toMatchObject([
          { name: "BusError", code: "EIO", errno: "EIO" },
          { name: "BusError", code: "TIMEOUT", errno: "ETIMEDOUT" },
        ]);
      });

      it("opening: no such bus (ENOENT), no permission (EACCES), an address a driver holds (EBUSY), an SMBus-only adapter", async () => {
        const srv = await serve({ deny: ["/dev/spidev0.0"], i2c: { claimed: [0x68] } });
        const body = `
        const res = {};
        for (const [name, env] of Object.entries({ bus3: ["TID_I2C_BUS", "3"], spi01: ["TID_SPI_DEVICE", "0.1"], claimed: ["TID_I2C_ADDRESS", "0x68"] })) {
          process.env[env[0]] = env[1];
          try { const b = hal.openBoard(name.startsWith("spi") ? "rpi4-spi" : "rpi4-i2c"); if (name === "claimed") b.port.readSync(2); b.close(); res[name] = null; } catch (e) { res[name] = err(e); }
          delete process.env[env[0]];
        }
        try { hal.openBoard("rpi4-spi"); res.denied = null; } catch (e) { res.denied = err(e); }
        // nobody at 0x72: the address NACKs
        try { const p = hal.openI2cPort({ bus: 1, address: 0x72 }); p.writeSync(Uint8Array.of(0)); res.absent = null; } catch (e) { res.absent = err(e); }
        out(res);
      `;
        const r = await script(srv, body);
        expect(r.code, r.stderr).toBe(0);
        const v = r.json();
        expect(v.bus3).toMatchObject({ code: "ENOENT", errno: "ENOENT" });
        expect(v.spi01).toMatchObject({ code: "ENOENT", errno: "ENOENT" });
        expect(v.claimed).toMatchObject({ code: "EBUSY", errno: "EBUSY" });
        expect(v.denied).toMatchObject({ code: "EACCES", errno: "EACCES" });
        expect(v.denied.message).toContain("spi group");
        expect(v.absent).toMatchObject({ code: "NACK", errno: "EREMOTEIO" });

        const smbusOnly = await serve({ i2c: { funcs: 0x0eff0008 } });
        const r2 = await script(smbusOnly, `try { hal.openI2cPort({ bus: 1, address: 0x71 }); out(null); } catch (e) { out(err(e)); }`);
        expect(r2.json()).toMatchObject({ code: "EIO" });
        expect(r2.json().message).toContain("I2C_FUNC_I2C missing");
      });

      // errno → BusError code, as hal/bus/errors.ts documents it, for errors that came through the
      // kernel ABI, libuv (i2c-bus reads are fs.readSync) and Node's error naming.
      const MAPPING: [ErrnoName, BusErrorCode][] = [
        ["EREMOTEIO", "NACK"],
        ["ENXIO", "NACK"],
        ["EIO", "EIO"],
        ["ETIMEDOUT", "TIMEOUT"],
        ["EBUSY", "EBUSY"],
        ["EINVAL", "EINVAL"],
        ["ENOENT", "ENOENT"],
        ["ENODEV", "ENOENT"],
        ["EACCES", "EACCES"],
        ["EPERM", "EACCES"],
        ["EPROTO", "EIO"],
        ["EAGAIN", "EIO"],
      ];

      it("the errno mapping table, errno by errno, on I2C reads and SPI transfers", async () => {
        const srv = await serve({
          wire: [
            ...MAPPING.map(([errno]) => ({ device: "i2c" as const, op: "read" as const, errno })),
            ...MAPPING.map(([errno]) => ({ device: "spi" as const, op: "transfer" as const, errno })),
          ],
        });
        const r = await script(
          srv,
          `
        const n = ${MAPPING.length};
        const port = hal.openI2cPort({ bus: 1, address: 0x71 });
        const i2c = [];
        for (let i = 0; i < n; i++) try { port.readSync(2); i2c.push(null); } catch (e) { i2c.push({ code: e.code, errno: e.errno }); }
        port.close();
        const sp = hal.openSpiPort({ bus: 0, chipSelect: 0, mode: 3, speedHz: 2000000 });
        const spi = [];
        for (let i = 0; i < n; i++) try { sp.transferSync([{ send: Uint8Array.of(5), length: 1 }]); spi.push(null); } catch (e) { spi.push({ code: e.code, errno: e.errno }); }
        sp.close();
        out({ i2c, spi });
      `,
        );
        expect(r.code, r.stderr).toBe(0);
        const want = MAPPING.map(([errno, code]) => ({ code, errno }));
        expect(r.json().i2c).toEqual(want);
        expect(r.json().spi).toEqual(want);
        expect(srv.counts.wireFaults).toBe(2 * MAPPING.length);
      });

      it("the simulator's bus errors → errno (SIM_ERRNO) → BusError is the identity", () => {
        for (const [code, errno] of Object.entries(SIM_ERRNO)) {
          for (const nack of ["EREMOTEIO", "ENXIO"] as const) {
            const name = errno === "nack" ? nack : errno!;
            const sys = Object.assign(new Error(name), { code: name, errno: -ERRNO[name] });
            expect(toBusError(sys, { bus: "/dev/i2c-1", op: "read" }).code).toBe(code);
            // and by number only, as a native addon may report it
            const numeric = Object.assign(new Error("x"), { errno: -ERRNO[name] });
            expect(toBusError(numeric, { bus: "/dev/i2c-1", op: "read" })).toBeInstanceOf(BusError);
            expect(toBusError(numeric, { bus: "/dev/i2c-1", op: "read" }).code).toBe(code);
          }
        }
      });
    });
  },
);
