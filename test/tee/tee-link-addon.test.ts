// The @tid-wasm/tee-client addon itself (tee/client/src/tee_client.c, over the ioctls of
// <linux/tee.h>): its argument checks (TypeError / RangeError naming the argument), errno errors
// (code, errno, syscall), TEE results returned rather than thrown, memref packing into the shared
// memory and copy-back rules (SHORT_BUFFER leaves the caller's buffer alone), the async form, and
// closed contexts — in this process for what needs no device, in child processes under the fake
// /dev/tee0 (libfaketee.so) for the rest. Skipped, saying what to install, like tee-link.test.ts.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTeeHost, fakeTeeEnv, teeToolsMissing } from "../../hal/sim/fakedev/tee-build.js";
import { ROOT } from "../support/server-child.js";

type Addon = typeof import("../../tee/client/index.js");

let addon: Addon | null = null;
let loadError = "";
try {
  addon = createRequire(import.meta.url)("@tid-wasm/tee-client") as Addon;
} catch (e) {
  loadError = e instanceof Error ? e.message.split("\n")[0]! : String(e);
}
const missing =
  addon === null ? `the addon @tid-wasm/tee-client is not built (${loadError}): \`npm rebuild @tid-wasm/tee-client\`` : teeToolsMissing();
const suite = missing === null ? describe : describe.skip;
if (missing !== null) console.warn(`test/tee/tee-link-addon.test.ts skipped: ${missing}`);

let fakeTee = "";
beforeAll(() => {
  if (missing === null) fakeTee = buildTeeHost().fakeTee;
}, 120_000);
afterAll(() => {});

/** Runs `body` (CommonJS, with `tee` = the addon, `uuid`, `hex`, `bytes`, `err`, `out`) under the fake /dev/tee0; returns what out() collected. */
function child(body: string): Promise<{ code: number | null; out: any[]; stderr: string }> {
  const prelude = `
    const tee = require("@tid-wasm/tee-client");
    const uuid = Buffer.from("ee459cd1d81d464e892d2767e98150dc", "hex");
    const hex = (b) => Buffer.from(b).toString("hex");
    const bytes = (h) => new Uint8Array(Buffer.from(h, "hex"));
    const err = (e) => ({ name: e?.name, code: e?.code, errno: e?.errno, syscall: e?.syscall, message: String(e?.message) });
    const results = [];
    const out = (v) => results.push(v === undefined ? null : JSON.parse(JSON.stringify(v)));
    (async () => {
  `;
  const epilogue = `
    })().catch((e) => out({ crashed: String(e?.stack) })).finally(() => console.log(JSON.stringify(results)));
  `;
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  delete env.LD_PRELOAD;
  Object.assign(env, fakeTeeEnv(fakeTee, {}));
  const c = spawn(process.execPath, ["-e", prelude + body + epilogue], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  c.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  c.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    c.on("error", reject);
    c.on("close", (code) => {
      try {
        resolve({ code, out: JSON.parse(stdout.trim().split("\n").at(-1) ?? ""), stderr });
      } catch {
        reject(new Error(`no JSON from the child (exit ${code}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

const SELECT = "00a4040009f05449444150507631";

suite(missing === null ? "the @tid-wasm/tee-client addon" : `the @tid-wasm/tee-client addon: skipped, ${missing}`, () => {
  it("checks open()'s arguments and reports errno errors as Node does", () => {
    const tee = addon!;
    expect(catchErr(() => tee.open(5 as never, 4096))).toMatchObject({
      name: "TypeError",
      code: "ERR_INVALID_ARG_TYPE",
      message: 'device must be a string (a path such as "/dev/tee0")',
    });
    expect(() => tee.open("", 4096)).toThrow(RangeError);
    expect(() => tee.open("/dev/tee0\0x", 4096)).toThrow(/device must be a non-empty path without NUL/);
    expect(catchErr(() => tee.open("/dev/tee0", "1" as never))).toMatchObject({ name: "TypeError", message: "shmSize must be a number" });
    for (const n of [0, -1, 1.5, 2 ** 20 + 1, NaN]) {
      expect(
        catchErr(() => tee.open("/dev/tee0", n)),
        String(n),
      ).toMatchObject({ name: "RangeError", code: "ERR_OUT_OF_RANGE" });
    }
    const e = catchErr(() => tee.open("/nonexistent/tee0", 4096));
    expect(e).toMatchObject({ code: "ENOENT", errno: -2, syscall: "open" });
    expect((e as Error).message).toBe("ENOENT: No such file or directory, open '/nonexistent/tee0'");
    expect(catchErr(() => tee.open("/dev/null", 4096))).toMatchObject({ code: "ENOTTY", errno: -25, syscall: "ioctl" });
    expect(() => tee.version({} as never)).toThrow(/ctx must be a context returned by open\(\)/);
    expect(() => tee.close(null as never)).toThrow(TypeError);
  });

  it("opens sessions with each login, checks the session arguments, and returns TEE results as numbers", async () => {
    const r = await child(`
      const ctx = tee.open("/dev/tee0", 1000);
      out(tee.version(ctx));
      for (const [u, l, g] of [[uuid.subarray(0, 15), 0], ["x", 0], [uuid, 3], [uuid, 4], [uuid, 2], [uuid, 2, -1], [uuid, 0, 5], [new Uint16Array(8), 0]]) {
        try { tee.openSession(ctx, u, l, g); out("opened"); } catch (e) { out(err(e)); }
      }
      out(tee.openSession(ctx, bytes("00112233445566778899aabbccddeeff"), 0));
      const s = tee.openSession(ctx, uuid, 1);
      out(s.result);
      out(tee.openSession(ctx, uuid, 0));
      try { tee.closeSession(ctx, s.session + 100); } catch (e) { out(err(e)); }
      tee.closeSession(ctx, s.session);
      try { tee.closeSession(ctx, s.session); } catch (e) { out(err(e)); }
      const g = tee.openSession(ctx, uuid, 2, process.getgid());
      out(g.result);
      tee.cancel(ctx, g.session, 1);
      try { tee.cancel(ctx, g.session, -1); } catch (e) { out(err(e)); }
      try { tee.cancel(ctx, g.session + 50, 0); out("cancelled"); } catch (e) { out(err(e)); }
      tee.close(ctx);
      tee.close(ctx);
      try { tee.openSession(ctx, uuid, 0); } catch (e) { out(err(e)); }
      try { tee.version(ctx); } catch (e) { out(err(e)); }
    `);
    expect(r.code, r.stderr).toBe(0);
    const [version, ...rest] = r.out;
    expect(version).toEqual({ implId: 1, implCaps: 1, genCaps: 9, shmSize: 4096 }); // rounded up to a page
    expect(rest.slice(0, 8)).toEqual([
      expect.objectContaining({ name: "RangeError", message: "uuid must be 16 bytes" }),
      expect.objectContaining({ name: "TypeError", message: "uuid must be a Uint8Array" }),
      expect.objectContaining({ name: "RangeError", message: "login must be 0 (public), 1 (user) or 2 (group)" }),
      expect.objectContaining({ name: "RangeError", message: "login must be 0 (public), 1 (user) or 2 (group)" }),
      expect.objectContaining({ name: "TypeError", message: "gid must be a number" }),
      expect.objectContaining({ name: "RangeError", message: expect.stringMatching(/^gid must be an integer in 0\.\./) }),
      expect.objectContaining({ name: "TypeError", message: "gid must be undefined unless login is 2 (group)" }),
      expect.objectContaining({ name: "TypeError", message: "uuid must be a Uint8Array" }),
    ]);
    expect(rest[8]).toEqual({ result: 0xffff0008, origin: 3, session: expect.any(Number) });
    expect(rest[9]).toBe(0);
    expect(rest[10]).toMatchObject({ result: 0xffff000d, origin: 3 }); // a second session: BUSY, not thrown
    expect(rest[11]).toMatchObject({
      code: "EINVAL",
      errno: -22,
      syscall: "ioctl",
      message: expect.stringContaining("TEE_IOC_CLOSE_SESSION"),
    });
    expect(rest[12]).toMatchObject({ code: "EINVAL" });
    expect(rest[13]).toBe(0);
    expect(rest[14]).toMatchObject({ name: "RangeError", message: expect.stringMatching(/^cancelId must be/) });
    expect(rest[15]).toMatchObject({ code: "EINVAL", syscall: "ioctl", message: expect.stringContaining("TEE_IOC_CANCEL") });
    expect(rest[16]).toMatchObject({ code: "ERR_TEE_CLOSED" });
    expect(rest[17]).toMatchObject({ code: "ERR_TEE_CLOSED" });
  }, 30_000);

  it("checks invoke's arguments, packs memrefs into the shared memory and copies outputs back only when they fit", async () => {
    const r = await child(`
      const ctx = tee.open("/dev/tee0", 4096);
      const s = tee.openSession(ctx, uuid, 0).session;
      const bad = [
        [s, 0, [5, 6, 0], [bytes("00"), new Uint8Array(258), null]],
        [s, 0, [5, 6, 0, 0], [bytes("00"), new Uint8Array(258), null]],
        [s, 0, "5600", []],
        [s, 0, [5, 6, 4, 0], [bytes("00"), new Uint8Array(258), null, null]],
        [s, 0, [5, 6, 0, 8], [bytes("00"), new Uint8Array(258), null, null]],
        [s, 0, [5, 6, 0, 0], [bytes("00"), new Uint8Array(258), 1, null]],
        [s, 0, [5, 6, 1, 0], [bytes("00"), new Uint8Array(258), { a: 1 }, null]],
        [s, 0, [5, 6, 1, 0], [bytes("00"), new Uint8Array(258), { a: 1, b: 2 ** 32 }, null]],
        [s, 0, [5, 6, 0, 0], [[0], new Uint8Array(258), null, null]],
        [s, 0, [5, 6, 0, 0], [new Uint16Array(2), new Uint8Array(258), null, null]],
        [s, 0, [5, 6, 0, 0], [new Uint8Array(4000), new Uint8Array(258), null, null]],
        [-1, 0, [5, 6, 0, 0], [bytes("00"), new Uint8Array(258), null, null]],
        [s, 2 ** 32, [5, 6, 0, 0], [bytes("00"), new Uint8Array(258), null, null]],
      ];
      for (const args of bad) {
        try { tee.invoke(ctx, ...args); out("ran"); } catch (e) { out({ name: e.name, message: e.message }); }
      }
      // TRANSMIT: the R-APDU lands in the output array, its size in params[1]
      const rsp = new Uint8Array(258).fill(0xee);
      const r1 = tee.invoke(ctx, s, 0, [5, 6, 0, 0], [bytes("${SELECT}"), rsp, null, null]);
      out({ r1, rsp: hex(rsp.subarray(0, r1.params[1].size + 1)) });
      // a small output: SHORT_BUFFER from the TA with the size it needs, the array untouched
      const small = new Uint8Array(10).fill(0xee);
      const r2 = tee.invoke(ctx, s, 0, [5, 6, 0, 0], [bytes("${SELECT}"), small, null, null]);
      out({ r2, small: hex(small) });
      // INFO through the async form
      out(await tee.invokeAsync(ctx, s, 1, [2, 2, 0, 0], [null, null, null, null]));
      // async TRANSMIT and a sync one right behind it (the mutex orders them)
      const a = new Uint8Array(258);
      const p = tee.invokeAsync(ctx, s, 0, [5, 6, 0, 0], [bytes("0084000008"), a, null, null]);
      const b = new Uint8Array(258);
      const rb = tee.invoke(ctx, s, 0, [5, 6, 0, 0], [bytes("0084000010"), b, null, null]);
      const ra = await p;
      out([ra.params[1].size, hex(a.subarray(8, 10)), rb.params[1].size, hex(b.subarray(16, 18))]);
      // an async invoke with bad arguments throws at once; with a bad session it rejects with the errno
      try { tee.invokeAsync(ctx, s, 0, [5, 6, 0, 0], [1, 2, 3, 4]); out("ran"); } catch (e) { out(e.name); }
      try { await tee.invokeAsync(ctx, s + 9, 0, [5, 6, 0, 0], [bytes("00"), new Uint8Array(258), null, null]); out("ran"); } catch (e) { out(err(e)); }
      // memrefs that exceed the shared memory together
      try { tee.invoke(ctx, s, 0, [5, 6, 7, 0], [new Uint8Array(2000), new Uint8Array(2000), new Uint8Array(100), null]); out("ran"); } catch (e) { out({ name: e.name, message: e.message }); }
      tee.close(ctx);
      try { tee.invokeAsync(ctx, s, 0, [5, 6, 0, 0], [bytes("${SELECT}"), new Uint8Array(258), null, null]); out("ran"); } catch (e) { out(err(e)); }
      try { tee.invoke(ctx, s, 0, [5, 6, 0, 0], [bytes("00"), new Uint8Array(258), null, null]); } catch (e) { out(err(e)); }
    `);
    expect(r.code, r.stderr).toBe(0);
    const o = r.out;
    expect(o.slice(0, 13)).toEqual([
      { name: "RangeError", message: "types must be an array of exactly 4 parameter types" },
      { name: "RangeError", message: "params must be an array of exactly 4 parameters" },
      { name: "TypeError", message: "types must be an array of 4 parameter types" },
      { name: "RangeError", message: "types[2] must be 0 (none), 1..3 (value input/output/inout) or 5..7 (memref input/output/inout)" },
      { name: "RangeError", message: "types[3] must be an integer in 0..7" },
      { name: "TypeError", message: "params[2] must be null for a NONE parameter" },
      { name: "TypeError", message: "params[2].b must be a number" },
      { name: "RangeError", message: "params[2].b must be an integer in 0..4294967295" },
      { name: "TypeError", message: "params[0] must be a Uint8Array" },
      { name: "TypeError", message: "params[0] must be a Uint8Array" },
      { name: "RangeError", message: "params[1] must be at most 96 bytes with the memrefs before it (the context's shared memory)" },
      { name: "RangeError", message: "session must be an integer in 0..4294967295" },
      { name: "RangeError", message: "cmd must be an integer in 0..4294967295" },
    ]);
    expect(o[13]).toEqual({
      r1: { result: 0, origin: 4, params: [{ size: 14 }, { size: expect.any(Number) }, null, null] },
      rsp: expect.stringMatching(/9000ee$/),
    });
    expect(o[14]).toEqual({
      r2: { result: 0xffff0010, origin: 4, params: [{ size: 14 }, { size: 258 }, null, null] },
      small: "ee".repeat(10),
    });
    expect(o[15]).toEqual({ result: 0, origin: 4, params: [{ a: 0x0100, b: expect.any(Number) }, { a: 0, b: 8 }, null, null] });
    expect(o[16]).toEqual([10, "9000", 18, "9000"]);
    expect(o[17]).toBe("TypeError");
    expect(o[18]).toMatchObject({ code: "EINVAL", errno: -22, syscall: "ioctl", message: expect.stringContaining("TEE_IOC_INVOKE") });
    expect(o[19]).toEqual({
      name: "RangeError",
      message: "params[2] must be at most 96 bytes with the memrefs before it (the context's shared memory)",
    });
    expect(o[20]).toMatchObject({ code: "ERR_TEE_CLOSED" });
    expect(o[21]).toMatchObject({ code: "ERR_TEE_CLOSED" });
  }, 30_000);

  it("wipes the part of the shared memory a call used (it carried the APDUs)", async () => {
    // The shared memory is a memfd the process maps (the addon, and the fake's own mapping); a
    // pattern written into it through /proc/self/mem must be gone after an invoke.
    const r = await child(`
      const fs = require("fs");
      const ctx = tee.open("/dev/tee0", 4096);
      const s = tee.openSession(ctx, uuid, 0).session;
      const shm = fs.readFileSync("/proc/self/maps", "utf8").split("\\n").filter((l) => l.includes("memfd:tee_shm"))
        .map((l) => l.split(" ")[0].split("-").map((x) => parseInt(x, 16)));
      out(shm.length);
      const mem = fs.openSync("/proc/self/mem", "r+");
      const read = () => shm.map(([a, b]) => { const buf = Buffer.alloc(b - a); fs.readSync(mem, buf, 0, buf.length, a); return buf; });
      fs.writeSync(mem, Buffer.alloc(300, 0x5a), 0, 300, shm[0][0]);
      out(read().map((b) => b.subarray(0, 300).every((x) => x === 0x5a)));
      const rsp = new Uint8Array(258);
      tee.invoke(ctx, s, 0, [5, 6, 0, 0], [bytes("${SELECT}"), rsp, null, null]);
      out(read().map((b) => b.findIndex((x) => x !== 0)));
      fs.writeSync(mem, Buffer.alloc(300, 0x5a), 0, 300, shm[0][0]);
      await tee.invokeAsync(ctx, s, 0, [5, 6, 0, 0], [bytes("${SELECT}"), rsp, null, null]);
      out(read().map((b) => b.findIndex((x) => x !== 0)));
      out(hex(rsp.subarray(0, 2)) !== "0000");
      tee.close(ctx);
    `);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out[0]).toBeGreaterThanOrEqual(1);
    expect(r.out[1]).toEqual(Array(r.out[0]).fill(true)); // the pattern is visible through every mapping
    // after each call, only the bytes past the used part (14 + 2 + 258 = 274) keep the pattern
    expect(r.out[2]).toEqual(Array(r.out[0]).fill(274));
    expect(r.out[3]).toEqual(Array(r.out[0]).fill(274));
    expect(r.out[4]).toBe(true);
  }, 30_000);
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}
