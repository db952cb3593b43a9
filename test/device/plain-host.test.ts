// The module embedded by a plain wasm host: build/release.wasm instantiated with
// WebAssembly.instantiate and only the documented imports (env.random, env.now, env.transceive),
// no @assemblyscript/loader and nothing from bindings/. Proves another host can embed it
// (docs/abi.md): it lists exactly those imports, and a whole handshake runs through the raw ABI.
import { readFileSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildServerData, verifyAuthcode } from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const wasmFile = new URL("../../build/release.wasm", import.meta.url);
const EXAMPLE = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8"));

/** The documented imports of docs/abi.md, and nothing else. */
const DOCUMENTED_IMPORTS = [
  { module: "env", name: "now", kind: "function" },
  { module: "env", name: "random", kind: "function" },
  { module: "env", name: "transceive", kind: "function" },
];

type Fn = (...args: number[]) => number;

async function instantiate(now: () => bigint) {
  const bytes = readFileSync(wasmFile);
  let memory: WebAssembly.Memory | undefined;
  const env = {
    random(ptr: number, len: number): number {
      randomFillSync(new Uint8Array(memory!.buffer, ptr, len));
      return 0;
    },
    now,
    transceive(): number {
      return -505; // ERR_SE_NOT_CONFIGURED: this host has no SE
    },
  };
  const { instance, module } = await WebAssembly.instantiate(bytes, { env });
  memory = instance.exports.memory as WebAssembly.Memory;
  const x = instance.exports as unknown as Record<string, Fn>;
  return { module, x, memory };
}

describe("plain WebAssembly host (build/release.wasm, no loader)", () => {
  it("imports only env.random, env.now and env.transceive", async () => {
    const module = await WebAssembly.compile(readFileSync(wasmFile));
    const imports = WebAssembly.Module.imports(module).map((i) => ({ ...i })).sort((a, b) => a.name.localeCompare(b.name));
    expect(imports).toEqual(DOCUMENTED_IMPORTS);
    const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    for (const name of [
      "memory", "tid_io_ptr", "tid_io_cap", "tid_client_init", "tid_client_get_authcode",
      "tid_client_validate_authcode", "tid_client_import_sesskey", "tid_client_sym_crypto",
      "tid_seal", "tid_open", "tid_set_backend", "tid_soft_load_identity", "tid_close", "tid_last_sw",
    ]) expect(exports.has(name), name).toBe(true);
  });

  it("a whole handshake and a sym_crypto round trip through the raw exports", async () => {
    const { x, memory } = await instantiate(() => BigInt(Math.floor(Date.now() / 1000)));
    const io = x.tid_io_ptr!();
    const u8 = () => new Uint8Array(memory.buffer);
    const dv = () => new DataView(memory.buffer);
    const tid = fromHex("0102030405060708");
    const psk = fromHex("8899aabbccddeeff0011223344556677");

    expect(x.tid_set_backend!(1)).toBe(0);
    u8().set(tid, io);
    u8().set(psk, io + 8);
    expect(x.tid_soft_load_identity!(io, 24)).toBe(0);
    u8().fill(0, io, io + 24);
    expect(x.tid_client_init!()).toBe(0);

    dv().setUint32(io, 1024, true);
    expect(x.tid_client_get_authcode!(io + 16, io)).toBe(0);
    const n = dv().getUint32(io, true);
    expect(n).toBe(132);
    const authcode = u8().slice(io + 16, io + 16 + n);

    const now = Math.floor(Date.now() / 1000);
    const v = verifyAuthcode(authcode, { lookupPsk: () => psk, now });
    const sd = buildServerData({ tid, psk, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: now, issueToken: true });

    u8().set(sd.serverData, io + 64);
    dv().setUint32(io, 16, true);
    expect(x.tid_client_validate_authcode!(io + 64, sd.serverData.length, io + 16, io)).toBe(0);
    expect(dv().getUint32(io, true)).toBe(16);
    expect(toHex(u8().slice(io + 16, io + 32))).toBe(toHex(sd.token!));
    expect(x.tid_client_validate_authcode!(io + 64, sd.serverData.length, io + 16, io)).toBe(-201);

    const block = fromHex("0123456789abcdeffedcba9876543210");
    u8().set(block, io + 1024);
    expect(x.tid_client_sym_crypto!(io + 1024, io + 2048, 16, 0, 1)).toBe(0);
    expect(x.tid_client_sym_crypto!(io + 2048, io + 2048, 16, 0, 0)).toBe(0);
    expect(toHex(u8().slice(io + 2048, io + 2064))).toBe(toHex(block));
    expect(x.tid_close!()).toBe(0);
    expect(x.tid_client_sym_crypto!(io + 1024, io + 2048, 16, 0, 1)).toBe(-200);
  });

  it("the worked example through the TEST HOOK, byte for byte", async () => {
    const { x, memory } = await instantiate(() => 0n);
    const io = x.tid_io_ptr!();
    const u8 = () => new Uint8Array(memory.buffer);
    const dv = () => new DataView(memory.buffer);
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
