// TeeLink (hal/tee/tee-link.ts) and TeeError (hal/tee/errors.ts) over an injected fake of the
// @tid-wasm/tee-client addon: the ioctl-level calls TeeLink makes (parameter types, buffers, the
// session's lifecycle), the mapping of every errno and TEEC_Result to its TeeError code, option and
// argument checks, the closed link, the SHORT_BUFFER retry, the counters, the trace, the bus lock,
// and the missing addon. test/tee/tee-link.test.ts runs the real addon against the fake /dev/tee0.
import { describe, expect, it } from "vitest";
import { openTeeLink, TeeLink, TID_TA_UUID, uuidBytes, TEE_MAX_RESPONSE } from "../../hal/tee/tee-link.js";
import { TeeError, TEEC, TEE_ERROR_CODES, teeErrorFromResult, teeErrorFromSystem, type TeeErrorCode } from "../../hal/tee/errors.js";
import { loadTeeNative, type TeeNative, type TeeNativeInvokeResult, type TeeNativeParam } from "../../hal/tee/native.js";
import { BusLock } from "../../hal/bus/lock.js";
import { BusError } from "../../hal/bus/errors.js";
import { LinkUnsupported } from "../../hal/link/errors.js";
import { seStatusOf } from "../../hal/apdu/status.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const ORIGIN_COMMS = 2;
const ORIGIN_TEE = 3;
const ORIGIN_TA = 4;

function sysErr(code: string, errno: number, syscall = "ioctl"): Error {
  return Object.assign(new Error(`${code}: ${syscall}`), { code, errno: -errno, syscall });
}

interface Call {
  fn: string;
  args: unknown[];
}

type Answer = { result: number; origin: number; size?: number; rsp?: Uint8Array; values?: [number, number, number, number] } | Error;

/**
 * A fake addon: a "TA" that answers TRANSMIT with the C-APDU's INS byte, the length and 9000, or
 * what `answers` queues (a result, an R-APDU, or an Error to throw). Records every call.
 */
function fakeNative(opts: { open?: Error; session?: Answer[]; shmSize?: number } = {}) {
  const calls: Call[] = [];
  const answers: Answer[] = [];
  const sessionAnswers = [...(opts.session ?? [])];
  let closed = false;
  let nextSession = 7;
  const ctx = { fake: true };
  const run = (session: number, cmd: number, types: number[], params: TeeNativeParam[]): TeeNativeInvokeResult => {
    if (closed) throw Object.assign(new Error("the TEE context is closed"), { code: "ERR_TEE_CLOSED" });
    const a = answers.shift();
    if (a instanceof Error) throw a;
    if (cmd === 1) {
      const v = a?.values ?? [0x0100, 1, 1, 8];
      return { result: a?.result ?? 0, origin: a?.origin ?? ORIGIN_TA, params: [{ a: v[0], b: v[1] }, { a: v[2], b: v[3] }, null, null] };
    }
    const apdu = params[0] as Uint8Array;
    const out = params[1] as Uint8Array;
    if (a !== undefined && a.result !== 0)
      return { result: a.result, origin: a.origin, params: [{ size: apdu.length }, { size: a.size ?? out.length }, null, null] };
    const rsp = a?.rsp ?? Uint8Array.of(apdu[1] ?? 0, apdu.length, 0x90, 0x00);
    if (rsp.length <= out.length) out.set(rsp);
    void types;
    void session;
    return { result: 0, origin: ORIGIN_TA, params: [{ size: apdu.length }, { size: rsp.length }, null, null] };
  };
  const native: TeeNative = {
    open(device, shmSize) {
      calls.push({ fn: "open", args: [device, shmSize] });
      if (opts.open) throw opts.open;
      return ctx;
    },
    version() {
      return { implId: 1, implCaps: 1, genCaps: 9, shmSize: opts.shmSize ?? 4096 };
    },
    openSession(_c, uuid, login, gid) {
      calls.push({ fn: "openSession", args: [toHex(uuid), login, gid] });
      const a = sessionAnswers.shift();
      if (a instanceof Error) throw a;
      if (a !== undefined) return { result: a.result, origin: a.origin, session: 0 };
      return { result: 0, origin: ORIGIN_TA, session: nextSession++ };
    },
    invoke(_c, session, cmd, types, params) {
      calls.push({ fn: "invoke", args: [session, cmd, [...types], params.map((p) => (p instanceof Uint8Array ? p.length : p))] });
      return run(session, cmd, types, params);
    },
    async invokeAsync(_c, session, cmd, types, params) {
      calls.push({ fn: "invokeAsync", args: [session, cmd, [...types], params.map((p) => (p instanceof Uint8Array ? p.length : p))] });
      await new Promise((r) => setImmediate(r));
      return run(session, cmd, types, params);
    },
    cancel() {},
    closeSession(_c, session) {
      calls.push({ fn: "closeSession", args: [session] });
    },
    close() {
      calls.push({ fn: "close", args: [] });
      closed = true;
    },
  };
  return { native, calls, answers };
}

function open(fake = fakeNative(), extra: Parameters<typeof openTeeLink>[0] = {}) {
  const lines: string[] = [];
  const link = openTeeLink({ native: fake.native, lock: new BusLock("test"), trace: (l) => lines.push(l), ...extra });
  return { link, lines, ...fake };
}

const SELECT = fromHex("00a4040007d1560001010001");

describe("openTeeLink", () => {
  it("opens the device with 4096 bytes of shared memory and a public session on the TID TA", () => {
    const { link, calls } = open();
    expect(calls.slice(0, 2)).toEqual([
      { fn: "open", args: ["/dev/tee0", 4096] },
      { fn: "openSession", args: ["ee459cd1d81d464e892d2767e98150dc", 0, undefined] },
    ]);
    expect(link.kind).toBe("op-tee");
    expect(link.name).toBe(`/dev/tee0 TA ${TID_TA_UUID}`);
    expect(link.version).toEqual({ implId: 1, implCaps: 1, genCaps: 9 });
    expect(link.closed).toBe(false);
  });

  it("passes the login method and the group's gid", () => {
    const a = open(fakeNative(), { login: "user" });
    expect(a.calls[1]!.args.slice(1)).toEqual([1, undefined]);
    const b = open(fakeNative(), { login: "group", group: 995, device: "/dev/tee1", uuid: TID_TA_UUID.toUpperCase() });
    expect(b.calls[0]!.args).toEqual(["/dev/tee1", 4096]);
    expect(b.calls[1]!.args).toEqual(["ee459cd1d81d464e892d2767e98150dc", 2, 995]);
    expect(b.link.uuid).toBe(TID_TA_UUID);
  });

  it("checks every option, naming it", () => {
    const n = fakeNative().native;
    expect(() => openTeeLink({ native: n, bogus: 1 } as never)).toThrow(/unknown field "bogus"/);
    expect(() => openTeeLink({ native: n, device: "" })).toThrow(TypeError);
    expect(() => openTeeLink({ native: n, device: 3 as never })).toThrow(/options.device/);
    expect(() => openTeeLink({ native: n, uuid: "ee459cd1" })).toThrow(RangeError);
    expect(() => openTeeLink({ native: n, uuid: 5 as never })).toThrow(/uuid must be a string/);
    expect(() => openTeeLink({ native: n, login: "root" as never })).toThrow(/options.login/);
    expect(() => openTeeLink({ native: n, login: "group" })).toThrow(/options.group must be a gid/);
    expect(() => openTeeLink({ native: n, login: "group", group: -1 })).toThrow(RangeError);
    expect(() => openTeeLink({ native: n, login: "group", group: 1.5 })).toThrow(RangeError);
    expect(() => openTeeLink({ native: n, group: 5 })).toThrow(/only for login "group"/);
    expect(() => openTeeLink({ native: n, trace: "x" as never })).toThrow(/options.trace/);
    expect(() => openTeeLink({ native: n, lock: {} as never })).toThrow(/options.lock/);
    expect(() => openTeeLink({ native: n, clock: 1 as never })).toThrow(/options.clock/);
    expect(() => openTeeLink({ native: {} as never })).toThrow(/options.native/);
  });

  it("turns the uuid into its 16 octets in network order", () => {
    expect(toHex(uuidBytes("00112233-4455-6677-8899-aabbccddeeff"))).toBe("00112233445566778899aabbccddeeff");
  });

  const openFailures: [string, Error, TeeErrorCode][] = [
    ["ENOENT", sysErr("ENOENT", 2, "open"), "NO_DEVICE"],
    ["ENODEV", sysErr("ENODEV", 19, "open"), "NO_DEVICE"],
    ["EACCES", sysErr("EACCES", 13, "open"), "PERMISSION"],
    ["EPERM", sysErr("EPERM", 1, "open"), "PERMISSION"],
    ["ENOMEM", sysErr("ENOMEM", 12), "OUT_OF_MEMORY"],
    ["EINVAL", sysErr("EINVAL", 22), "IO"],
    ["EBUSY", sysErr("EBUSY", 16), "IO"],
    ["a non-GP TEE", Object.assign(new Error("not GP"), { code: "ERR_TEE_NOT_GP" }), "NOT_GP"],
  ];
  for (const [what, err, code] of openFailures) {
    it(`maps ${what} from open to ${code}`, () => {
      const fake = fakeNative({ open: err });
      const e = catchErr(() => openTeeLink({ native: fake.native }));
      expect(e).toBeInstanceOf(TeeError);
      expect(e).toMatchObject({ code, op: "open", cause: err, status: "ERR_SE_IO" });
      if (err.message.startsWith("E")) expect((e as TeeError).errno).toBe((err as unknown as { code: string }).code);
    });
  }

  it("says how to fix a permission problem", () => {
    const e = catchErr(() => openTeeLink({ native: fakeNative({ open: sysErr("EACCES", 13, "open") }).native }));
    expect((e as Error).message).toMatch(/group "tee"/);
  });

  const sessionFailures: [string, Answer, TeeErrorCode][] = [
    ["ITEM_NOT_FOUND from the TEE", { result: TEEC.ERROR_ITEM_NOT_FOUND, origin: ORIGIN_TEE }, "TA_NOT_FOUND"],
    ["ITEM_NOT_FOUND from the TA", { result: TEEC.ERROR_ITEM_NOT_FOUND, origin: ORIGIN_TA }, "TEE_ERROR"],
    ["COMMUNICATION from comms", { result: TEEC.ERROR_COMMUNICATION, origin: ORIGIN_COMMS }, "NO_SUPPLICANT"],
    ["COMMUNICATION from the TEE", { result: TEEC.ERROR_COMMUNICATION, origin: ORIGIN_TEE }, "NO_SUPPLICANT"],
    ["BUSY", { result: TEEC.ERROR_BUSY, origin: ORIGIN_TA }, "BUSY"],
    ["OUT_OF_MEMORY", { result: TEEC.ERROR_OUT_OF_MEMORY, origin: ORIGIN_TEE }, "OUT_OF_MEMORY"],
    ["BAD_PARAMETERS", { result: TEEC.ERROR_BAD_PARAMETERS, origin: ORIGIN_TA }, "BAD_PARAMETERS"],
    ["TARGET_DEAD", { result: TEEC.ERROR_TARGET_DEAD, origin: ORIGIN_TEE }, "TARGET_DEAD"],
    ["CORRUPT_OBJECT", { result: 0xf0100001, origin: ORIGIN_TA }, "TEE_ERROR"],
    ["EPERM (group login refused)", sysErr("EPERM", 1), "PERMISSION"],
    ["EINVAL", sysErr("EINVAL", 22), "IO"],
  ];
  for (const [what, answer, code] of sessionFailures) {
    it(`maps ${what} on open-session to ${code} and closes the context`, () => {
      const fake = fakeNative({ session: [answer] });
      const e = catchErr(() => openTeeLink({ native: fake.native }));
      expect(e).toBeInstanceOf(TeeError);
      expect(e).toMatchObject({ code, op: "open-session" });
      if (!(answer instanceof Error)) {
        expect((e as TeeError).result).toBe(answer.result >>> 0);
        expect((e as TeeError).origin).toBe({ 2: "comms", 3: "tee", 4: "trusted-app" }[answer.origin]);
      }
      expect(fake.calls.at(-1)).toEqual({ fn: "close", args: [] });
    });
  }
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("TeeError", () => {
  it("has one status for the wasm, ERR_SE_IO, and seStatusOf knows it", () => {
    for (const code of TEE_ERROR_CODES) {
      const e = new TeeError(code, "/dev/tee0", "x", { op: "invoke" });
      expect(e.status).toBe("ERR_SE_IO");
      expect(seStatusOf(e)).toBe("ERR_SE_IO");
    }
  });

  it("names the result, the origin and the errno in its message", () => {
    const e = teeErrorFromResult(0xffff000d, 4, "/dev/tee0 TA x", "invoke");
    expect(e.message).toBe(
      "BUSY: invoke on /dev/tee0 TA x: another client holds the trusted application's one session; close it first [TEEC_ERROR_BUSY, origin trusted-app]",
    );
    expect(teeErrorFromResult(0x12345678, 9, "t", "invoke")).toMatchObject({ code: "TEE_ERROR", result: 0x12345678, origin: undefined });
    expect(teeErrorFromSystem(sysErr("EIO", 5), "t", "invoke")).toMatchObject({ code: "IO", errno: "EIO" });
    expect(teeErrorFromSystem("weird", "t", "invoke")).toMatchObject({ code: "IO", errno: undefined });
    expect(teeErrorFromSystem(Object.assign(new Error("c"), { code: "ERR_TEE_CLOSED" }), "t", "invoke").code).toBe("CLOSED");
    // ITEM_NOT_FOUND / COMMUNICATION mean a missing TA / supplicant only when opening a session
    expect(teeErrorFromResult(TEEC.ERROR_ITEM_NOT_FOUND, ORIGIN_TEE, "t", "invoke").code).toBe("TEE_ERROR");
    expect(teeErrorFromResult(TEEC.ERROR_COMMUNICATION, ORIGIN_COMMS, "t", "invoke").code).toBe("TEE_ERROR");
    expect(teeErrorFromResult(TEEC.ERROR_SHORT_BUFFER, ORIGIN_TA, "t", "invoke").code).toBe("SHORT_BUFFER");
  });
});

describe("TeeLink exchanges", () => {
  it("sends TRANSMIT with the C-APDU as MEMREF_INPUT and 258 bytes of MEMREF_OUTPUT, sync and async", async () => {
    const { link, calls } = open();
    expect(toHex(link.transceiveSync(SELECT))).toBe("a40c9000");
    expect(toHex(await link.transceive(fromHex("0084000008")))).toBe("84059000");
    expect(calls.slice(2)).toEqual([
      { fn: "invoke", args: [7, 0, [5, 6, 0, 0], [12, TEE_MAX_RESPONSE, null, null]] },
      { fn: "invokeAsync", args: [7, 0, [5, 6, 0, 0], [5, TEE_MAX_RESPONSE, null, null]] },
    ]);
  });

  it("counts exchanges, APDU bytes, ioctls and shared-memory bytes, and traces each step", async () => {
    const { link, lines, answers } = open();
    link.transceiveSync(SELECT);
    await link.transceive(fromHex("0084000008"));
    answers.push({ result: TEEC.ERROR_BUSY, origin: ORIGIN_TEE });
    await expect(link.transceive(fromHex("00b0000000"))).rejects.toMatchObject({ code: "BUSY" });
    link.infoSync();
    expect(link.stats).toMatchObject({
      exchanges: 3,
      failures: 1,
      apduBytesOut: 22,
      apduBytesIn: 8,
      transactions: 4,
      wireBytesOut: 22,
      wireBytesIn: 8,
    });
    expect(lines.slice(0, 3)).toEqual([
      "TEE open-session → TEEC_SUCCESS (trusted-app)",
      "APDU> 00 a4 04 00 07 d1 56 00 01 01 00 01",
      "TEE TRANSMIT → TEEC_SUCCESS (trusted-app) 4 bytes",
    ]);
    expect(lines).toContain("APDU< a4 0c 90 00");
    expect(lines.some((l) => l.startsWith("FAIL BUSY"))).toBe(true);
    link.resetStats();
    expect(link.stats.exchanges).toBe(0);
  });

  it("retries once with the size the TA asks for on SHORT_BUFFER, and gives up on a second one", async () => {
    const { link, calls, answers } = open();
    const long = new Uint8Array(300).fill(0xab);
    long[298] = 0x90;
    long[299] = 0x00;
    answers.push({ result: TEEC.ERROR_SHORT_BUFFER, origin: ORIGIN_TA, size: 300 }, { result: 0, origin: ORIGIN_TA, rsp: long });
    expect(link.transceiveSync(SELECT)).toEqual(long);
    expect(calls.slice(2).map((c) => (c.args[3] as unknown[])[1])).toEqual([258, 300]);
    answers.push(
      { result: TEEC.ERROR_SHORT_BUFFER, origin: ORIGIN_TA, size: 300 },
      { result: TEEC.ERROR_SHORT_BUFFER, origin: ORIGIN_TA, size: 400 },
    );
    await expect(link.transceive(SELECT)).rejects.toMatchObject({ code: "SHORT_BUFFER", op: "invoke" });
    expect(link.stats).toMatchObject({ exchanges: 2, failures: 1, transactions: 4 });
  });

  it("refuses a SHORT_BUFFER request larger than the shared memory, without retrying", () => {
    const { link, calls, answers } = open(fakeNative({ shmSize: 512 }));
    answers.push({ result: TEEC.ERROR_SHORT_BUFFER, origin: ORIGIN_TA, size: 600 });
    expect(catchErr(() => link.transceiveSync(SELECT))).toMatchObject({ code: "SHORT_BUFFER", result: TEEC.ERROR_SHORT_BUFFER });
    expect(calls.filter((c) => c.fn === "invoke")).toHaveLength(1);
  });

  const invokeFailures: [string, Answer, TeeErrorCode][] = [
    ["TARGET_DEAD", { result: TEEC.ERROR_TARGET_DEAD, origin: ORIGIN_TEE }, "TARGET_DEAD"],
    ["BAD_PARAMETERS", { result: TEEC.ERROR_BAD_PARAMETERS, origin: ORIGIN_TA }, "BAD_PARAMETERS"],
    ["OUT_OF_MEMORY", { result: TEEC.ERROR_OUT_OF_MEMORY, origin: ORIGIN_TEE }, "OUT_OF_MEMORY"],
    ["BUSY", { result: TEEC.ERROR_BUSY, origin: ORIGIN_TEE }, "BUSY"],
    ["GENERIC", { result: TEEC.ERROR_GENERIC, origin: ORIGIN_TEE }, "TEE_ERROR"],
    ["EINVAL", sysErr("EINVAL", 22), "IO"],
    ["EFAULT", sysErr("EFAULT", 14), "IO"],
    ["ENOMEM", sysErr("ENOMEM", 12), "OUT_OF_MEMORY"],
    ["ERR_TEE_CLOSED", Object.assign(new Error("closed"), { code: "ERR_TEE_CLOSED" }), "CLOSED"],
  ];
  for (const [what, answer, code] of invokeFailures) {
    it(`maps ${what} on TRANSMIT to ${code}, in both forms`, async () => {
      const { link, answers } = open();
      answers.push(answer);
      expect(catchErr(() => link.transceiveSync(SELECT))).toMatchObject({ code, op: "invoke" });
      answers.push(answer);
      await expect(link.transceive(SELECT)).rejects.toMatchObject({ code, op: "invoke" });
      expect(link.stats.failures).toBe(2);
      // the link still works for the next command
      expect(toHex(link.transceiveSync(SELECT))).toBe("a40c9000");
    });
  }

  it("refuses an R-APDU shorter than a status word", () => {
    const { link, answers } = open();
    answers.push({ result: 0, origin: ORIGIN_TA, rsp: Uint8Array.of(0x90) });
    expect(catchErr(() => link.transceiveSync(SELECT))).toMatchObject({ code: "IO" });
  });

  it("checks the APDU argument", async () => {
    const { link, calls } = open();
    expect(() => link.transceiveSync("00a4" as never)).toThrow(TypeError);
    expect(() => link.transceiveSync(null as never)).toThrow(/apdu must be a Uint8Array, got null/);
    expect(() => link.transceiveSync(new Uint8Array(262))).toThrow(RangeError);
    await expect(link.transceive([0] as never)).rejects.toThrow(TypeError);
    await expect(link.transceive(new Uint8Array(262))).rejects.toThrow(/at most 261 bytes/);
    expect(link.transceiveSync(new Uint8Array(261))).toHaveLength(4);
    expect(calls.filter((c) => c.fn.startsWith("invoke"))).toHaveLength(1);
    expect(link.stats.exchanges).toBe(1);
  });

  it("has no ATR", async () => {
    const { link } = open();
    expect(() => link.atrSync()).toThrow(LinkUnsupported);
    await expect(link.atr()).rejects.toBeInstanceOf(LinkUnsupported);
  });
});

describe("TeeLink INFO, reset and close", () => {
  it("reads INFO with two VALUE_OUTPUT parameters", async () => {
    const { link, calls, answers } = open();
    expect(link.infoSync()).toEqual({
      version: { major: 1, minor: 0 },
      insecurePlatform: true,
      shieldedLink: true,
      lifecycle: "personalised",
      slots: 8,
    });
    expect(calls.at(-1)).toEqual({ fn: "invoke", args: [7, 1, [2, 2, 0, 0], [null, null, null, null]] });
    answers.push({ result: 0, origin: ORIGIN_TA, values: [0x0102, 2, 2, 4] });
    expect(await link.info()).toEqual({
      version: { major: 1, minor: 2 },
      insecurePlatform: false,
      shieldedLink: false,
      lifecycle: "locked",
      slots: 4,
    });
    answers.push({ result: 0, origin: ORIGIN_TA, values: [0x0100, 0, 3, 8] });
    expect(catchErr(() => link.infoSync())).toMatchObject({ code: "IO" });
    answers.push({ result: TEEC.ERROR_TARGET_DEAD, origin: ORIGIN_TEE });
    await expect(link.info()).rejects.toMatchObject({ code: "TARGET_DEAD" });
  });

  it("resets by closing and reopening the session", async () => {
    const { link, calls } = open();
    link.resetSync();
    await link.reset();
    expect(calls.slice(2)).toEqual([
      { fn: "closeSession", args: [7] },
      { fn: "openSession", args: ["ee459cd1d81d464e892d2767e98150dc", 0, undefined] },
      { fn: "closeSession", args: [8] },
      { fn: "openSession", args: ["ee459cd1d81d464e892d2767e98150dc", 0, undefined] },
    ]);
    link.transceiveSync(SELECT);
    expect(calls.at(-1)!.args[0]).toBe(9);
  });

  it("after a reset that cannot reopen, refuses exchanges until a reset succeeds", () => {
    const fake = fakeNative({
      session: [
        { result: 0, origin: ORIGIN_TA },
        { result: TEEC.ERROR_BUSY, origin: ORIGIN_TA },
      ],
    });
    const { link } = open(fake);
    expect(catchErr(() => link.resetSync())).toMatchObject({ code: "BUSY", op: "open-session" });
    expect(catchErr(() => link.transceiveSync(SELECT))).toMatchObject({ code: "CLOSED" });
    link.resetSync();
    expect(toHex(link.transceiveSync(SELECT))).toBe("a40c9000");
  });

  it("closes once; every later call throws TeeError CLOSED", async () => {
    const { link, calls } = open();
    link.close();
    link.close();
    expect(calls.slice(2)).toEqual([
      { fn: "closeSession", args: [7] },
      { fn: "close", args: [] },
    ]);
    expect(link.closed).toBe(true);
    for (const f of [() => link.transceiveSync(SELECT), () => link.infoSync(), () => link.resetSync()]) {
      expect(catchErr(f)).toMatchObject({ code: "CLOSED", name: "TeeError" });
    }
    await expect(link.transceive(SELECT)).rejects.toMatchObject({ code: "CLOSED" });
    await expect(link.info()).rejects.toMatchObject({ code: "CLOSED" });
    await expect(link.reset()).rejects.toMatchObject({ code: "CLOSED" });
    expect(calls.filter((c) => c.fn.startsWith("invoke"))).toEqual([]);
  });
});

describe("TeeLink and the bus lock", () => {
  it("queues async exchanges in order and refuses a sync one while they run", async () => {
    const { link, calls } = open();
    const a = link.transceive(fromHex("0001000000"));
    const b = link.transceive(fromHex("0002000000"));
    expect(() => link.transceiveSync(SELECT)).toThrow(BusError);
    expect(() => link.infoSync()).toThrow(/EBUSY/);
    expect(toHex(await b)).toBe("02059000");
    expect(toHex(await a)).toBe("01059000");
    expect(calls.slice(2).map((c) => (c.args[3] as number[])[0])).toEqual([5, 5]);
    expect(link.transceiveSync(SELECT)).toHaveLength(4);
  });

  it("shares the device's process-wide lock by default", () => {
    const fake = fakeNative();
    const l1 = openTeeLink({ native: fake.native, device: "/dev/tee-locktest" });
    const l2 = openTeeLink({ native: fakeNative().native, device: "/dev/tee-locktest" });
    expect(l1.lock).toBe(l2.lock);
    expect(l1.lock.bus).toBe("/dev/tee-locktest");
    l1.close();
    l2.close();
  });
});

describe("loadTeeNative", () => {
  it("says how to install a missing addon", () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@tid-wasm/tee-client'"), { code: "MODULE_NOT_FOUND" });
    };
    const e = catchErr(() => loadTeeNative("/dev/tee0", missing));
    expect(e).toBeInstanceOf(TeeError);
    expect(e).toMatchObject({ code: "NO_MODULE", op: "open" });
    expect((e as Error).message).toMatch(/npm rebuild @tid-wasm\/tee-client/);
    const broken = () => {
      throw new Error("invalid ELF header");
    };
    expect((catchErr(() => loadTeeNative("/dev/tee0", broken)) as Error).message).toMatch(/failed to load \(invalid ELF header\)/);
    expect(catchErr(() => openTeeLink({ native: undefined, device: "/dev/tee0" }))).toSatisfy(
      (x: unknown) => x instanceof TeeError && ["NO_MODULE", "NO_DEVICE"].includes(x.code),
    );
  });

  it("is a TeeLink", () => {
    expect(open().link).toBeInstanceOf(TeeLink);
  });
});
