// The fake /dev/tee0 (tee/host-stub/fake_tee.c, libfaketee.so; docs/tee.md "The fake /dev/tee0")
// held to the Linux TEE client ABI (<linux/tee.h>) as drivers/tee/tee_core.c and the OP-TEE driver
// answer it: a raw ioctl client (tee/host-stub/fake_tee_check.c, compiled here with the system C
// compiler) runs under LD_PRELOAD and prints what it observes; every expectation is here.
// Checked: VERSION; SHM_ALLOC's flags and size rules, page rounding and an mmap round trip through
// the TA; OPEN_SESSION / INVOKE of TRANSMIT and INFO; SHORT_BUFFER with the size written back;
// every malformed request and its errno (buffer length, > TEE_MAX_ARG_SIZE, unreadable and
// read-only memory, attribute bits and types, META, unknown / foreign / out-of-range shm, unknown
// and foreign sessions, closing twice); login methods; an unknown UUID; the second session;
// TID_FAKETEE_SUPPLICANT=0; both fault injections and the panic recovery; bad environment values;
// storage across processes; other paths untouched; libfakedev.so in the same LD_PRELOAD list,
// and `npm run fakedev` (scripts/fakedev.mjs, from dist/) with the TA's storage beside its state
// file; concurrent callers. Skipped, saying what to install, without wasm2c 1.0.32 / wasm-rt.h / cc /
// make.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildShim, findCompiler } from "../../hal/sim/fakedev/build.js";
import { startFakedevServer } from "../../hal/sim/fakedev/server.js";
import { buildTeeHost, fakeTeeEnv, teeToolsMissing } from "../../hal/sim/fakedev/tee-build.js";
import { builtTid, ROOT } from "../support/server-child.js";

const missing = teeToolsMissing();
if (missing) console.warn(`test/tee/fake-tee-kernel.test.ts skipped: ${missing}`);
const suite = missing ? describe.skip : describe;

const CHECK_SOURCE = fileURLToPath(new URL("../../tee/host-stub/fake_tee_check.c", import.meta.url));
const SELECT = "00a4040009f05449444150507631";
const SELECT_ANSWER = "6f0f8409f05449444150507631850201009000";
const PROVISION = "80d8000018671007e10029b0a200112233445566778899aabbccddeeff";
const GET_TID = "80ca000100";
// INFO: ret/origin/[0].a/[0].b/[0].c/[1].a/[1].b — version 1.0, flags insecure platform | no
// shielded link, c written back as 0 (VALUE_OUTPUT), lifecycle blank, 8 slots
const INFO_OK = "0x00000000/4/100/3/0/0/8";
const TARGET_DEAD = "0xffff3024/3";

let dir = "";
let lib = "";
let check = "";

interface Run {
  code: number | null;
  out: Record<string, string>;
  stdout: string;
  stderr: string;
}

/** Run the check client (asynchronously: a fakedev server may have to answer from this process). */
function run(args: string[], env: Record<string, string> = {}, preload = true): Promise<Run> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith("TID_FAKETEE_") || k === "LD_PRELOAD") delete base[k];
  const child = spawn(check, args, {
    env: { ...base, ...(preload ? fakeTeeEnv(lib) : {}), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on("close", (code) => {
      const out: Record<string, string> = {};
      for (const line of stdout.split("\n")) {
        const i = line.indexOf("=");
        if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
      }
      resolve({ code, out, stdout, stderr });
    }),
  );
}

suite("the fake /dev/tee0 (libfaketee.so) against the Linux TEE client ABI", () => {
  beforeAll(() => {
    lib = buildTeeHost().fakeTee;
    dir = mkdtempSync(join(tmpdir(), "tid-faketee-test-"));
    check = join(dir, "fake_tee_check");
    const cc = findCompiler() ?? "cc";
    const r = spawnSync(cc, ["-O1", "-Wall", "-Wextra", "-Werror", "-o", check, CHECK_SOURCE, "-lpthread"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`fake_tee_check.c: ${r.stderr}`);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("exports only the interposed libc functions", () => {
    const r = spawnSync("nm", ["-D", "--defined-only", lib], { encoding: "utf8" });
    if (r.error) return; // binutils absent: nothing to look with
    const names = r.stdout
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[2])
      .filter(Boolean)
      .sort();
    expect(names).toEqual(
      ["__open64_2", "__open_2", "__openat64_2", "__openat_2", "close", "ioctl", "open", "open64", "openat", "openat64", "syscall"].sort(),
    );
  });

  it("VERSION: OP-TEE with TrustZone, GP and NULL memrefs, no REG_MEM; unknown requests EINVAL", async () => {
    const { out, code } = await run(["version"]);
    expect(code).toBe(0);
    expect(out.version).toBe("ok");
    expect(out.impl).toBe("1/1/9"); // impl_id OPTEE / impl_caps TZ / gen_caps GP | MEMREF_NULL
    expect(out["version-null"]).toBe("EFAULT");
    expect(out.fstat).toBe("ok"); // a real fd
    expect(out.register).toBe("EINVAL"); // no dynamic shared memory
    expect(out["register-flags"]).toBe("EINVAL");
    expect(out["unknown-ioctl"]).toBe("EINVAL"); // tee_ioctl's default
    expect(out["suppl-recv"]).toBe("EINVAL"); // not the supplicant's device
    expect(out.close).toBe("ok");
  });

  it("SHM_ALLOC + mmap: the TA reads the C-APDU and writes the R-APDU through the client's mapping", async () => {
    const { out } = await run(["shm"]);
    expect(out["alloc-flags"]).toBe("EINVAL");
    expect(out["alloc-zero"]).toBe("ENOMEM");
    expect(out["alloc-huge"]).toBe("ENOMEM");
    expect(out["alloc-null"]).toBe("EFAULT");
    expect(out.alloc).toBe("1/4096/1"); // id from 1 / whole pages / O_CLOEXEC
    // ret/origin/size/R-APDU read back from the client's own mapping, after its shm fd was closed
    expect(out.select).toBe(`0x00000000/4/19/${SELECT_ANSWER}`);
    expect(out.short).toBe("0xffff0010/4/258/"); // SHORT_BUFFER from the TA, the size it needs
    expect(out.info).toBe(INFO_OK);
    expect(out["close-session"]).toBe("ok");
  });

  it("refuses every malformed request with the kernel's errno", async () => {
    const { out } = await run(["malformed"]);
    expect(out).toMatchObject({
      "arg-null": "EFAULT",
      "buf-null": "EFAULT",
      "buf-unmapped": "EFAULT",
      "buflen-short": "EINVAL",
      "buflen-mismatch": "EINVAL",
      params31: "ok", // 24 + 31 × 32 bytes fits TEE_MAX_ARG_SIZE…
      "params31-ret": "0xffff0006/3", // …but OP-TEE takes at most 4: BAD_PARAMETERS from the TEE
      "buflen-over": "EINVAL", // 32 parameters: over 1024 bytes
      "buf-readonly": "EFAULT", // read, run, then ret cannot be written back
      "attr-unused-bits": "EINVAL",
      "attr-type-4": "EINVAL",
      "attr-type-8": "EINVAL",
      "attr-meta": "EINVAL",
      "shm-unknown": "EINVAL",
      "shm-foreign": "EINVAL",
      "shm-beyond": "EINVAL",
      "shm-overflow": "EINVAL",
      "shm-whole": "0xffff0006/4", // valid for the kernel; the TA refuses one memref for TRANSMIT
      "memref-null": "0xffff0006/4", // TEE_MEMREF_NULL accepted (MEMREF_NULL cap)
      "session-unknown": "EINVAL",
      cancel: "ok",
      "cancel-unknown": "EINVAL",
      "close-session": "ok",
      "close-session-again": "EINVAL",
      "invoke-closed": "EINVAL",
      "invoke-foreign-session": "EINVAL",
      "close-foreign-session": "EINVAL",
      "foreign-owner-info": INFO_OK, // still its owner's
      "close-null": "EFAULT",
      reopen: "ok", // closing the other context closed its session in the TA
    });
  });

  it("login methods as tee_core.c: PUBLIC, USER, GROUP of the caller; REE_KERNEL EPERM; others EINVAL", async () => {
    const { out } = await run(["login"]);
    expect(out).toEqual({
      public: "0x00000000/4",
      user: "0x00000000/4",
      "group-own": "0x00000000/4",
      "group-other": "EPERM",
      "group-invalid": "EPERM",
      application: "EINVAL",
      "user-application": "EINVAL",
      "group-application": "EINVAL",
      "method-3": "EINVAL",
      "ree-kernel": "EPERM",
      "ree-kernel-max": "EPERM",
      "above-ree-kernel": "EINVAL",
    });
  });

  it("only the TID TA exists; one session at a time (single instance, not multi-session)", async () => {
    const { out } = await run(["sessions"]);
    expect(out["unknown-uuid"]).toBe("ok/0xffff0008/3"); // ITEM_NOT_FOUND from the TEE
    expect(out["open-with-param"]).toBe("ok/0xffff0006/4"); // the TA takes no open parameters
    expect(out["open-buflen-short"]).toBe("EINVAL");
    expect(out["open-meta"]).toBe("EINVAL");
    expect(out.first).toBe("ok");
    expect(out.second).toBe("ok/0xffff000d/3"); // BUSY: OP-TEE refuses it before the TA
    expect(out["close-first"]).toBe("ok");
    expect(out["after-close"]).toBe("ok/0x00000000/4");
  });

  it("TID_FAKETEE_SUPPLICANT=0: the TA cannot be loaded (COMMUNICATION from COMMS)", async () => {
    const { out } = await run(["invokes", "1"], { TID_FAKETEE_SUPPLICANT: "0" });
    expect(out.open).toBe("ok/0xffff000e/2");
    expect((await run(["invokes", "1"], { TID_FAKETEE_SUPPLICANT: "1" })).out.invoke1).toBe(INFO_OK);
  });

  it("TID_FAKETEE_FAULT=invoke:N:RESULT answers the Nth INVOKE without the TA", async () => {
    const { out } = await run(["invokes", "3"], { TID_FAKETEE_FAULT: "invoke:2:ffff0000" });
    expect(out.invoke1).toBe(INFO_OK);
    expect(out.invoke2).toBe("0xffff0000/3/0/0/0/0/0"); // origin TEE, outputs untouched
    expect(out.invoke3).toBe(INFO_OK); // the session lives on
  });

  it("TID_FAKETEE_FAULT=panic:N: the instance dies, the process does not; a new session is a fresh instance", async () => {
    const r = await run(["invokes", "3"], { TID_FAKETEE_FAULT: "panic:2" });
    expect(r.code).toBe(0);
    expect(r.out.invoke1).toBe(INFO_OK);
    expect(r.out.invoke2).toBe(`${TARGET_DEAD}/0/0/0/0/0`); // a dead TA's outputs do not come back
    expect(r.out.invoke3).toBe(`${TARGET_DEAD}/0/0/0/0/0`); // and its session stays dead
    expect(r.out["close-session"]).toBe("ok");
    expect(r.out.reopen).toBe("ok/0x00000000/4");
    expect(r.out.after).toBe(INFO_OK);
    expect(r.stderr).toContain("TA panic");
    // a panic inside TRANSMIT (at the TA's first GP call): RAM state is gone with the instance
    const t = await run(["apdu", SELECT, SELECT, GET_TID], { TID_FAKETEE_FAULT: "panic:2,invoke:3:ffff000c" });
    expect(t.out.apdu1).toBe(`0x00000000/4/19/${SELECT_ANSWER}`);
    expect(t.out.apdu2).toBe(`${TARGET_DEAD}/3072/`);
    expect(t.out.apdu3).toBe(`${TARGET_DEAD}/3072/`); // dead before the fault of #3 matters
  });

  it("refuses bad environment values at open (EINVAL and a message), never ignoring them", async () => {
    const bad: Record<string, string>[] = [
      { TID_FAKETEE_FAULT: "panic:0" },
      { TID_FAKETEE_FAULT: "invoke:1" },
      { TID_FAKETEE_FAULT: "invoke:1:123456789" },
      { TID_FAKETEE_FAULT: "invoke:x:1" },
      { TID_FAKETEE_FAULT: "panic:1,,panic:2" },
      { TID_FAKETEE_FAULT: "crash:1" },
      { TID_FAKETEE_TRACE: "yes" },
      { TID_FAKETEE_SUPPLICANT: "no" },
      { TID_FAKETEE_STORAGE: join(dir, "does-not-exist") },
    ];
    for (const env of bad) {
      const r = await run(["version"], env);
      expect(r.out.fatal, JSON.stringify(env)).toBe("open:EINVAL");
      expect(r.stderr, JSON.stringify(env)).toMatch(new RegExp(`faketee: ${Object.keys(env)[0]}`));
    }
  });

  it("TID_FAKETEE_TRACE=1: one line per request on stderr", async () => {
    const r = await run(["invokes", "1"], { TID_FAKETEE_TRACE: "1" });
    expect(r.stderr).toMatch(/OPEN_SESSION login=0 params=0 -> 0 ret=0x00000000 origin=4 session=1/);
    expect(r.stderr).toMatch(/INVOKE #1 session=1 func=1 params=2 -> 0 ret=0x00000000 origin=4/);
    expect(r.stderr).toMatch(/CLOSE_SESSION session=1 -> 0/);
    expect((await run(["invokes", "1"])).stderr).toBe("");
  });

  it("TID_FAKETEE_STORAGE keeps the TA's identity across processes; without it, RAM only", async () => {
    const storage = mkdtempSync(join(dir, "storage-"));
    const first = await run(["apdu", PROVISION, GET_TID], { TID_FAKETEE_STORAGE: storage });
    expect(first.out.apdu1).toBe("0x00000000/4/2/9000");
    expect(first.out.apdu2).toBe("0x00000000/4/10/671007e10029b0a29000");
    expect(readdirSync(storage).length).toBe(1);
    const second = await run(["apdu", GET_TID], { TID_FAKETEE_STORAGE: storage });
    expect(second.out.apdu1).toBe("0x00000000/4/10/671007e10029b0a29000");
    expect((await run(["apdu", GET_TID])).out.apdu1).toBe("0x00000000/4/2/6a88"); // blank
  });

  it("passes every other path and fd through untouched", async () => {
    const file = join(dir, "plain");
    const faked = await run(["passthrough", file]);
    const real = await run(["passthrough", file], {}, false);
    for (const k of ["file-open", "file-write", "file-read", "file-fionread", "file-tee-ioctl", "file-close", "teepriv0"])
      expect(faked.out[k], k).toBe(real.out[k]);
    expect(faked.out["file-read"]).toBe("3");
    expect(faked.out["file-tee-ioctl"]).toBe("ENOTTY"); // the real kernel's answer for a file
    expect(faked.out["tee0-openat"]).toBe("ok");
    expect(faked.out["tee0-version"]).toBe("ok");
    expect(faked.out["reused-fd-version"]).toBe("ENOTTY"); // the closed context's number is a file again
  });

  it("shares one LD_PRELOAD list with libfakedev.so", async () => {
    const shim = buildShim(dir);
    const server = await startFakedevServer({ socketPath: join(dir, "fakedev.sock"), busTime: "none" });
    try {
      for (const order of [
        [shim, lib],
        [lib, shim],
      ]) {
        const r = await run(["i2c"], { LD_PRELOAD: order.join(" "), TID_FAKEDEV_SOCKET: server.socketPath });
        expect(r.out, order.join(" ")).toMatchObject({ "i2c-open": "ok", "i2c-funcs": "ok", "i2c-funcs-nonzero": "1", info: INFO_OK });
      }
      expect(fakeTeeEnv(lib, { inherited: shim }).LD_PRELOAD).toBe(`${lib} ${shim}`);
      expect(fakeTeeEnv(lib, { inherited: `${shim} ${lib}` }).LD_PRELOAD).toBe(`${shim} ${lib}`);
      expect(fakeTeeEnv(lib, { storage: "/x" })).toEqual({ LD_PRELOAD: lib, UV_USE_IO_URING: "0", TID_FAKETEE_STORAGE: "/x" });
    } finally {
      await server.close();
    }
  });

  it("`npm run fakedev` preloads it beside libfakedev.so, the TA's storage in FILE.tee/ with --state FILE", async () => {
    builtTid(); // scripts/fakedev.mjs runs dist/: it must be current
    const state = join(mkdtempSync(join(dir, "state-")), "se.json");
    const fakedev = (args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, "scripts", "fakedev.mjs"), "--no-bus-time", "--state", state, check, ...args], {
        encoding: "utf8",
        env: { ...process.env, LD_PRELOAD: "" },
      });
    const first = fakedev(["apdu", PROVISION, GET_TID]);
    expect(first.stderr).toBe("");
    expect(first.stdout).toContain("apdu2=0x00000000/4/10/671007e10029b0a29000");
    expect(statSync(`${state}.tee`).mode & 0o777).toBe(0o700);
    const second = fakedev(["i2c"]);
    expect(second.stdout).toContain(`info=0x00000000/4/100/3/0/1/8`); // personalised, from FILE.tee/
    expect(second.stdout).toContain("i2c-funcs-nonzero=1");
  });

  it("serialises callers on several threads", async () => {
    expect((await run(["threads"])).out["threads-ok"]).toBe("200");
  });
});
