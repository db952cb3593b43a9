// The module embedded by a plain wasm host: build/release.wasm instantiated with
// WebAssembly.instantiate and only the documented imports (env.random, env.now, env.transceive),
// no @assemblyscript/loader and nothing from bindings/. Proves another host can embed it
// (docs/abi.md): it lists exactly those imports, a whole handshake runs through the raw ABI, and
// the host contract of docs/abi.md holds as written — what a host without an SE supplies as
// `transceive`, what the module makes of the statuses and clock values a host returns, the memory
// map (the host region is never touched), and what an exception through the module does.
import { readFileSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildServerData, verifyAuthcode } from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const wasmFile = (build: "release" | "test") => new URL(`../../build/${build}.wasm`, import.meta.url);
const EXAMPLE = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8"));

/** The status table, read from its one source (assembly/status.ts), as a plain host would from the C header. */
const S: Record<string, number> = Object.fromEntries(
  [...readFileSync(new URL("../../assembly/status.ts", import.meta.url), "utf8").matchAll(/export const (\w+): i32 = (-?\d+);/g)].map(
    (m) => [m[1]!, Number(m[2])],
  ),
);

/** The documented imports of docs/abi.md, and nothing else. */
const DOCUMENTED_IMPORTS = [
  { module: "env", name: "now", kind: "function" },
  { module: "env", name: "random", kind: "function" },
  { module: "env", name: "transceive", kind: "function" },
];

type Fn = (...args: number[]) => number;
interface PlainEnv {
  random?: (ptr: number, len: number) => number;
  now?: () => bigint;
  transceive?: (...args: number[]) => number;
}

async function instantiate(env: PlainEnv = {}, build: "release" | "test" = "release") {
  const bytes = readFileSync(wasmFile(build));
  let memory: WebAssembly.Memory | undefined;
  const full = {
    random:
      env.random ??
      ((ptr: number, len: number): number => {
        randomFillSync(new Uint8Array(memory!.buffer, ptr, len));
        return 0;
      }),
    now: env.now ?? (() => BigInt(Math.floor(Date.now() / 1000))),
    // What docs/abi.md tells a host without a secure element to supply.
    transceive: env.transceive ?? ((): number => S.ERR_SE_NOT_CONFIGURED!),
  };
  const { instance } = await WebAssembly.instantiate(bytes, { env: full });
  memory = instance.exports.memory as WebAssembly.Memory;
  const x = instance.exports as unknown as Record<string, Fn>;
  const u8 = () => new Uint8Array(memory!.buffer);
  const dv = () => new DataView(memory!.buffer);
  return { x, memory, u8, dv, io: x.tid_io_ptr!() };
}

const TID = fromHex("0102030405060708");
const PSK = fromHex("8899aabbccddeeff0011223344556677");

/** Soft backend with TID ‖ PSK loaded and initialised. */
function softInit(h: Awaited<ReturnType<typeof instantiate>>): void {
  const { x, u8, io } = h;
  expect(x.tid_set_backend!(1)).toBe(0);
  u8().set(TID, io);
  u8().set(PSK, io + 8);
  expect(x.tid_soft_load_identity!(io, 24)).toBe(0);
  u8().fill(0, io, io + 24);
  expect(x.tid_client_init!()).toBe(0);
}

/** tid_client_get_authcode into the I/O region: [status, authcode]. */
function getAuthcode(h: Awaited<ReturnType<typeof instantiate>>): [number, Uint8Array] {
  const { x, u8, dv, io } = h;
  dv().setUint32(io, 1024, true);
  const st = x.tid_client_get_authcode!(io + 16, io);
  return [st, st === 0 ? u8().slice(io + 16, io + 16 + dv().getUint32(io, true)) : new Uint8Array(0)];
}

describe("plain WebAssembly host (build/release.wasm, no loader)", () => {
  it("imports only env.random, env.now and env.transceive; the release build has no test hooks", async () => {
    const module = await WebAssembly.compile(readFileSync(wasmFile("release")));
    const imports = WebAssembly.Module.imports(module)
      .map((i) => ({ ...i }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(imports).toEqual(DOCUMENTED_IMPORTS);
    const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    for (const name of [
      "memory",
      "tid_io_ptr",
      "tid_io_cap",
      "tid_host_ptr",
      "tid_host_cap",
      "tid_client_init",
      "tid_client_get_authcode",
      "tid_client_validate_authcode",
      "tid_client_import_sesskey",
      "tid_client_sym_crypto",
      "tid_seal",
      "tid_open",
      "tid_set_backend",
      "tid_soft_load_identity",
      "tid_close",
      "tid_last_sw",
    ])
      expect(exports.has(name), name).toBe(true);
    expect([...exports].filter((n) => n.startsWith("tid_test_"))).toEqual([]);
  });

  it("a whole handshake and a sym_crypto round trip through the raw exports", async () => {
    const h = await instantiate();
    const { x, u8, dv, io } = h;
    softInit(h);
    const [st, authcode] = getAuthcode(h);
    expect(st).toBe(0);
    expect(authcode.length).toBe(132);

    const now = Math.floor(Date.now() / 1000);
    const v = verifyAuthcode(authcode, { lookupPsk: () => PSK, now });
    const sd = buildServerData({ tid: TID, psk: PSK, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: now, issueToken: true });

    u8().set(sd.serverData, io + 64);
    dv().setUint32(io, 16, true);
    expect(x.tid_client_validate_authcode!(io + 64, sd.serverData.length, io + 16, io)).toBe(0);
    expect(dv().getUint32(io, true)).toBe(16);
    expect(toHex(u8().slice(io + 16, io + 32))).toBe(toHex(sd.token!));
    expect(x.tid_client_validate_authcode!(io + 64, sd.serverData.length, io + 16, io)).toBe(S.ERR_NO_PENDING_REQUEST);

    const block = fromHex("0123456789abcdeffedcba9876543210");
    u8().set(block, io + 1024);
    expect(x.tid_client_sym_crypto!(io + 1024, io + 2048, 16, 0, 1)).toBe(0);
    expect(x.tid_client_sym_crypto!(io + 2048, io + 2048, 16, 0, 0)).toBe(0);
    expect(toHex(u8().slice(io + 2048, io + 2064))).toBe(toHex(block));
    expect(x.tid_close!()).toBe(0);
    expect(x.tid_client_sym_crypto!(io + 1024, io + 2048, 16, 0, 1)).toBe(S.ERR_NOT_INITIALISED);
  });

  it("memory map: 4 pages that the module never grows; the I/O region below the host region, which the module never touches", async () => {
    const h = await instantiate();
    const { x, memory, u8, io } = h;
    expect(memory.buffer.byteLength).toBe(4 * 65536);
    const hostPtr = x.tid_host_ptr!(),
      hostCap = x.tid_host_cap!();
    expect(io % 16).toBe(0);
    expect(hostPtr % 16).toBe(0);
    expect(io + x.tid_io_cap!()).toBeLessThanOrEqual(hostPtr);
    expect(hostPtr + hostCap).toBe(4 * 65536);
    expect(hostCap).toBeGreaterThanOrEqual(64 * 1024);
    // Fill the host region, run every kind of work (the SM2 fixed-base table is built on first
    // use), and find every byte as it was.
    const pattern = new Uint8Array(hostCap);
    randomFillSync(pattern);
    u8().set(pattern, hostPtr);
    softInit(h);
    expect(getAuthcode(h)[0]).toBe(0);
    u8().set(fromHex("00112233445566778899aabbccddeeff"), io);
    expect(x.sm4_key_set!(0, io)).toBe(0);
    expect(x.sm4_gcm_seal!(0, io, 12, io, 0, io + 64, io + 64, 4096, io + 32)).toBe(0);
    expect(x.sm2_keygen!(io, io + 64)).toBe(0);
    expect(x.tid_close!()).toBe(0);
    expect(memory.buffer.byteLength).toBe(4 * 65536);
    expect(Buffer.compare(u8().subarray(hostPtr), pattern)).toBe(0);
    // A buffer the host keeps in the host region works as an argument like any other.
    u8().set(new TextEncoder().encode("abc"), hostPtr);
    expect(x.sm3_digest!(hostPtr, 3, hostPtr + 16)).toBe(0);
    expect(toHex(u8().slice(hostPtr + 16, hostPtr + 48))).toBe("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  });

  it("a host without an SE returns ERR_SE_NOT_CONFIGURED from transceive: the SE backend reports it, the soft backend never calls it", async () => {
    let calls = 0;
    const h = await instantiate({ transceive: () => (calls++, S.ERR_SE_NOT_CONFIGURED!) });
    const { x } = h;
    softInit(h);
    expect(getAuthcode(h)[0]).toBe(0);
    expect(calls).toBe(0);
    expect(x.tid_set_backend!(2)).toBe(0);
    expect(x.tid_client_init!()).toBe(S.ERR_SE_NOT_CONFIGURED);
    expect(calls).toBe(1);
    expect(x.tid_last_sw!()).toBe(0);
    expect(x.tid_close!()).toBe(0);
  });

  it("transceive statuses: -5xx pass through, any other non-zero value is ERR_SE_IO; the module stays usable", async () => {
    let answer = 0;
    const h = await instantiate({ transceive: () => answer });
    const { x } = h;
    expect(x.tid_set_backend!(2)).toBe(0);
    for (const [ret, want] of [
      [S.ERR_SE_TIMEOUT, S.ERR_SE_TIMEOUT],
      [S.ERR_SE_NACK, S.ERR_SE_NACK],
      [S.ERR_SE_CHECKSUM, S.ERR_SE_CHECKSUM],
      [S.ERR_SE_IO, S.ERR_SE_IO],
      [-599, -599],
      [-1, S.ERR_SE_IO],
      [S.ERR_BAD_PARAM, S.ERR_SE_IO],
      [-600, S.ERR_SE_IO],
      [1, S.ERR_SE_IO],
      [0x7fffffff, S.ERR_SE_IO],
      // OK with no response length written: an R-APDU shorter than 2 bytes.
      [0, S.ERR_SE_IO],
    ] as const) {
      answer = ret!;
      expect([ret, x.tid_client_init!()]).toEqual([ret, want]);
    }
    expect(x.tid_close!()).toBe(0);
  });

  it("now: a time outside 0..2^32-1 is refused with ERR_CLOCK_FAILED, never truncated; both backends", async () => {
    let t = 0n;
    const h = await instantiate({ now: () => t });
    const { x } = h;
    softInit(h);
    for (const bad of [-1n, -(2n ** 63n), 2n ** 32n, 2n ** 32n + 5n, 2n ** 63n - 1n]) {
      t = bad;
      expect([bad, getAuthcode(h)[0]]).toEqual([bad, S.ERR_CLOCK_FAILED]);
      // No request was made.
      expect(x.tid_client_validate_authcode!(0, 0, 0, 0)).toBe(S.ERR_NO_PENDING_REQUEST);
    }
    for (const good of [0n, 1n, 2n ** 32n - 1n]) {
      t = good;
      const [st, authcode] = getAuthcode(h);
      expect(st).toBe(0);
      expect(new DataView(authcode.buffer).getUint32(6, false)).toBe(Number(good));
    }
    // SE backend: refused before AUTH BEGIN goes out. A minimal SE answers SELECT and GET DATA
    // (the TID; the suite tag 00 05 it does not know, 6A86, like an applet older than suites: SM).
    const inses: number[] = [];
    const se: Awaited<ReturnType<typeof instantiate>> = await instantiate({
      now: () => 2n ** 32n,
      transceive: (cmd, _len, rsp, _cap, rspLen) => {
        const ins = se.u8()[cmd + 1]!;
        inses.push(ins);
        const getData = se.u8()[cmd + 3] === 0x01 ? [...TID, 0x90, 0x00] : [0x6a, 0x86];
        const answer = ins === 0xca ? getData : ins === 0xa4 ? [0x90, 0x00] : [0x6d, 0x00];
        se.u8().set(answer, rsp);
        se.dv().setUint32(rspLen, answer.length, true);
        return 0;
      },
    });
    expect(se.x.tid_set_backend!(2)).toBe(0);
    expect(se.x.tid_client_init!()).toBe(0);
    expect(inses).toEqual([0xa4, 0xca, 0xca]);
    expect(getAuthcode(se)[0]).toBe(S.ERR_CLOCK_FAILED);
    expect(inses).toEqual([0xa4, 0xca, 0xca]);
    expect(se.x.tid_close!()).toBe(S.ERR_SE_STATUS_WORD); // ERASE SLOT FF: this SE knows no such command
  });

  it("random: any non-zero status is ERR_RNG_FAILED and no request is made", async () => {
    let ret = 0;
    const h = await instantiate({
      random: (ptr, len) => {
        randomFillSync(new Uint8Array(h.memory.buffer, ptr, len));
        return ret;
      },
    });
    softInit(h);
    for (const bad of [-1, 1, S.ERR_SE_IO!, 0x7fffffff]) {
      ret = bad;
      expect([bad, getAuthcode(h)[0]]).toEqual([bad, S.ERR_RNG_FAILED]);
      expect(h.x.tid_client_validate_authcode!(0, 0, 0, 0)).toBe(S.ERR_NO_PENDING_REQUEST);
    }
    ret = 0;
    expect(getAuthcode(h)[0]).toBe(0);
  });

  it("an exception thrown by an import unwinds through the module: the call stays in progress (ERR_BUSY) until the host drops the instance", async () => {
    // docs/abi.md "Imports": an import must return, never throw. This shows why, and the recovery
    // the doc prescribes (zero the memory, drop the instance).
    let fail = false;
    const h = await instantiate({
      now: () => {
        if (fail) throw new Error("clock unplugged");
        return 1_700_000_000n;
      },
    });
    const { x, u8, memory } = h;
    softInit(h);
    expect(getAuthcode(h)[0]).toBe(0);
    fail = true;
    expect(() => getAuthcode(h)).toThrow(/clock unplugged/);
    fail = false;
    expect(getAuthcode(h)[0]).toBe(S.ERR_BUSY);
    expect(x.tid_close!()).toBe(S.ERR_BUSY);
    // The PSK is still in memory: only the host can remove it now.
    const at = Buffer.from(u8()).indexOf(Buffer.from(PSK));
    expect(at).toBeGreaterThan(0);
    u8().fill(0);
    expect(Buffer.from(new Uint8Array(memory.buffer)).indexOf(Buffer.from(PSK))).toBe(-1);
  });

  it("the worked example through the TEST HOOK of build/test.wasm, byte for byte", async () => {
    const { x, u8, dv, io } = await instantiate({ now: () => 0n }, "test");
    x.tid_set_backend!(1);
    u8().set(fromHex(EXAMPLE.TID), io);
    u8().set(fromHex(EXAMPLE.PSK), io + 8);
    x.tid_soft_load_identity!(io, 24);
    x.tid_client_init!();
    u8().set(fromHex(EXAMPLE.Nd), io);
    u8().set(fromHex(EXAMPLE.deviceEphemeralPrivate), io + 16);
    expect(x.tid_test_inject!(io, EXAMPLE.deviceTime, io + 16)).toBe(0);
    dv().setUint32(io, 132, true);
    expect(x.tid_client_get_authcode!(io + 64, io)).toBe(0);
    expect(toHex(u8().slice(io + 64, io + 64 + 132))).toBe(EXAMPLE.authcode);
    const sd = fromHex(EXAMPLE.serverData);
    u8().set(sd, io + 256);
    dv().setUint32(io, 16, true);
    expect(x.tid_client_validate_authcode!(io + 256, sd.length, io + 16, io)).toBe(0);
    expect(toHex(u8().slice(io + 16, io + 32))).toBe(EXAMPLE.sessionToken);
  });
});
