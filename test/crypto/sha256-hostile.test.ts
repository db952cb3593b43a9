// Hostile input for the SHA-256 exports (SHA-256, HMAC-SHA-256, the X9.63 KDF; docs/abi.md
// "SHA-256, HMAC-SHA-256, X9.63 KDF") on the debug, release and portable builds: out-of-bounds and
// wrapping ranges, lengths over the limits, overlapping SharedInfo, bad and wrong-kind handles,
// out-of-order stream calls, and in-bounds outputs over the module's own memory. Every case must
// end in its status, never a trap; a refused call writes nothing; the instance keeps working.
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Status } from "../../bindings/status.js";
import { TidWasm } from "../../bindings/wasm.js";
import { contains } from "../support/assertions.js";
import { toHex } from "../../reference/bytes.js";

const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // FIPS 180-4 example

describe.each(["debug", "release", "portable"] as const)("SHA-256 hostile input on the %s build", (build) => {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const io = wasm.ioPtr;
  const memSize = wasm.memory.buffer.byteLength;
  const OOB = Status.ERR_OUT_OF_BOUNDS;

  /** The instance still hashes "abc" right, and memory did not grow. */
  const stillWorks = (): void => {
    wasm.bytes().set(Buffer.from("abc"), io + 100);
    expect(x.sha256_digest!(io + 100, 3, io)).toBe(Status.OK);
    expect(toHex(wasm.bytes().slice(io, io + 32))).toBe(ABC);
    expect(wasm.memory.buffer.byteLength).toBe(memSize);
  };

  /** `call` returns `status` and leaves the output range [at, at+len) as it was. */
  const refusedUntouched = (what: string, call: () => number, status: number, at: number, len: number): void => {
    const fill = new Uint8Array(len).fill(0xa5);
    if (at + len <= memSize) wasm.bytes().set(fill, at);
    expect(call(), what).toBe(status);
    if (at + len <= memSize) expect(toHex(wasm.bytes().slice(at, at + len)), `${what}: output untouched`).toBe(toHex(fill));
  };

  it("out-of-bounds and wrapping ranges: ERR_OUT_OF_BOUNDS from every export, nothing written", () => {
    const cases: [string, () => number][] = [
      ["digest input past the end", () => x.sha256_digest!(memSize - 10, 11, io)],
      ["digest huge length", () => x.sha256_digest!(io, 0xffffffff, io)],
      ["digest wrapping range", () => x.sha256_digest!(0xfffffff0, 0x20, io)],
      ["digest output past the end", () => x.sha256_digest!(io, 3, memSize - 31)],
      ["hmac key", () => x.hmac_sha256!(memSize, 1, io, 3, io)],
      ["hmac huge key", () => x.hmac_sha256!(io, 0x7fffffff, io, 3, io)],
      ["hmac message", () => x.hmac_sha256!(io, 3, io, memSize, io)],
      ["hmac output", () => x.hmac_sha256!(io, 3, io, 3, 0xffffffff)],
      ["kdf z", () => x.x963_kdf_sha256!(memSize - 1, 2, io, 0, io, 32)],
      ["kdf info", () => x.x963_kdf_sha256!(io, 3, 0xfffffff0, 0x20, io, 32)],
      ["kdf output", () => x.x963_kdf_sha256!(io, 3, io, 0, memSize - 31, 32)],
      ["hmac init key", () => x.hmac_sha256_init!(6, 0xfffffffe, 4)],
    ];
    for (const [what, call] of cases) refusedUntouched(what, call, OOB, io, 32);
    expect(x.sha256_init!(5)).toBe(Status.OK);
    expect(x.sha256_update!(5, memSize - 63, 64)).toBe(OOB);
    expect(x.sha256_final!(5, memSize - 1)).toBe(OOB);
    expect(x.hmac_sha256_init!(6, io, 16)).toBe(Status.OK);
    expect(x.hmac_sha256_update!(6, 0xffffff00, 0x200)).toBe(OOB);
    expect(x.hmac_sha256_final!(6, memSize - 16)).toBe(OOB);
    // the refused calls left both streams as they were: they still finish like empty messages
    expect(x.sha256_final!(5, io)).toBe(Status.OK);
    expect(toHex(wasm.bytes().slice(io, io + 32))).toBe(createHash("sha256").digest("hex"));
    wasm.bytes().fill(0, io, io + 16);
    expect(x.hmac_sha256_final!(6, io)).toBe(Status.OK);
    stillWorks();
  });

  it("KDF limits and the SharedInfo overlap rule; nothing written when refused", () => {
    expect(x.x963_kdf_sha256_max!()).toBe(1 << 20);
    refusedUntouched("huge output", () => x.x963_kdf_sha256!(io, 3, io, 0, io + 64, 0xffffffff), Status.ERR_BAD_LENGTH, io + 64, 64);
    refusedUntouched("1 MiB + 1", () => x.x963_kdf_sha256!(io, 3, io, 0, io + 64, (1 << 20) + 1), Status.ERR_BAD_LENGTH, io + 64, 64);
    // output over SharedInfo, at every kind of overlap
    for (const [info, out] of [
      [io + 100, io + 100],
      [io + 100, io + 90],
      [io + 100, io + 131],
      [io + 132, io + 100],
    ] as const) {
      refusedUntouched(
        `info ${info - io}, out ${out - io}`,
        () => x.x963_kdf_sha256!(io, 16, info, 32, out, 33),
        Status.ERR_BAD_PARAM,
        out,
        33,
      );
    }
    // touching but disjoint is fine, and so is an empty SharedInfo or output anywhere
    expect(x.x963_kdf_sha256!(io, 16, io + 100, 32, io + 132, 32)).toBe(Status.OK);
    expect(x.x963_kdf_sha256!(io, 16, io + 100, 32, io + 68, 32)).toBe(Status.OK);
    expect(x.x963_kdf_sha256!(io, 16, io + 100, 0, io + 100, 32)).toBe(Status.OK);
    expect(x.x963_kdf_sha256!(io, 16, io + 100, 32, io + 110, 0)).toBe(Status.OK);
    stillWorks();
  });

  it("bad handles: out of range, empty, wrong kind, finished", () => {
    const n = x.sha256_slots!();
    expect(n).toBe(64);
    for (const h of [n, n + 1, 0xffffffff, -1]) {
      expect(x.sha256_init!(h)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(x.sha256_update!(h, io, 1)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(x.sha256_final!(h, io)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(x.hmac_sha256_init!(h, io, 1)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(x.hmac_sha256_update!(h, io, 1)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(x.hmac_sha256_final!(h, io)).toBe(Status.ERR_BAD_KEY_INDEX);
      expect(x.sha256_clear!(h)).toBe(Status.ERR_BAD_KEY_INDEX);
    }
    const h = n - 1;
    expect(x.sha256_clear!(h)).toBe(Status.OK);
    expect(x.sha256_update!(h, io, 1)).toBe(Status.ERR_NOT_INITIALISED);
    refusedUntouched("final on an empty handle", () => x.sha256_final!(h, io + 64), Status.ERR_NOT_INITIALISED, io + 64, 32);
    expect(x.hmac_sha256_update!(h, io, 1)).toBe(Status.ERR_NOT_INITIALISED);
    expect(x.hmac_sha256_final!(h, io)).toBe(Status.ERR_NOT_INITIALISED);
    expect(x.sha256_init!(h)).toBe(Status.OK);
    expect(x.hmac_sha256_update!(h, io, 1)).toBe(Status.ERR_BAD_PARAM);
    refusedUntouched("hmac final on a SHA-256 stream", () => x.hmac_sha256_final!(h, io + 64), Status.ERR_BAD_PARAM, io + 64, 32);
    expect(x.sha256_final!(h, io)).toBe(Status.OK);
    expect(x.sha256_final!(h, io)).toBe(Status.ERR_NOT_INITIALISED);
    expect(x.hmac_sha256_init!(h, io, 3)).toBe(Status.OK);
    expect(x.sha256_update!(h, io, 1)).toBe(Status.ERR_BAD_PARAM);
    expect(x.sha256_final!(h, io)).toBe(Status.ERR_BAD_PARAM);
    expect(x.hmac_sha256_final!(h, io)).toBe(Status.OK);
    expect(x.hmac_sha256_final!(h, io)).toBe(Status.ERR_NOT_INITIALISED);
    // one table with SM3: a stream of the other hash is a wrong kind, either way; sha256_clear clears it
    expect(x.sha256_slots!()).toBe(x.sm3_slots!());
    expect(x.sm3_init!(h)).toBe(Status.OK);
    expect(x.sha256_update!(h, io, 1)).toBe(Status.ERR_BAD_PARAM);
    expect(x.hmac_sha256_final!(h, io)).toBe(Status.ERR_BAD_PARAM);
    expect(x.sha256_clear!(h)).toBe(Status.OK);
    expect(x.sm3_final!(h, io)).toBe(Status.ERR_NOT_INITIALISED);
    expect(x.hmac_sha256_init!(h, io, 5)).toBe(Status.OK);
    expect(x.sm3_update!(h, io, 1)).toBe(Status.ERR_BAD_PARAM);
    expect(x.hmac_sm3_final!(h, io)).toBe(Status.ERR_BAD_PARAM);
    expect(x.sm3_clear!(h)).toBe(Status.OK);
    expect(x.hmac_sha256_final!(h, io)).toBe(Status.ERR_NOT_INITIALISED);
    // a cleared stream is gone
    expect(x.sha256_init!(h)).toBe(Status.OK);
    expect(x.sha256_clear!(h)).toBe(Status.OK);
    expect(x.sha256_final!(h, io)).toBe(Status.ERR_NOT_INITIALISED);
    stillWorks();
  });

  it("HMAC keys and buffered message bytes leave no trace once a handle finishes, is cleared or re-keyed", () => {
    const w = TidWasm.create({ build });
    const wx = w.exports,
      wio = w.ioPtr;
    const key = new Uint8Array(randomBytes(48));
    const msg = new Uint8Array(randomBytes(40)); // less than a block: it waits in the buffer
    w.bytes().set(key, wio);
    expect(wx.hmac_sha256!(wio, 48, wio + 64, 40, wio + 128)).toBe(Status.OK);
    expect(wx.hmac_sha256_init!(3, wio, 48)).toBe(Status.OK);
    w.bytes().fill(0, wio, wio + 48);
    expect(wx.hmac_sha256_final!(3, wio + 128)).toBe(Status.OK);
    w.bytes().set(msg, wio);
    expect(wx.sha256_init!(4)).toBe(Status.OK);
    expect(wx.sha256_update!(4, wio, 40)).toBe(Status.OK);
    w.bytes().fill(0, wio, wio + 40);
    expect(contains(w.bytes(), msg)).toBe(true);
    w.bytes().set(new Uint8Array(16).fill(0x6b), wio);
    expect(wx.hmac_sha256_init!(4, wio, 16)).toBe(Status.OK);
    expect(contains(w.bytes(), msg)).toBe(false);
    expect(wx.sha256_clear!(4)).toBe(Status.OK);
    // the key (and K0 = key ‖ zeros) is nowhere: not in the one-shot scratch, not in a handle
    expect(contains(w.bytes(), key.subarray(0, 24))).toBe(false);
    expect(contains(w.bytes(), key.subarray(24))).toBe(false);
  });

  it("an in-bounds output over the module's own memory does not trap (a host with a null pointer)", () => {
    for (const [z, out, len] of [
      [0, 0, 1 << 17],
      [33, 31, memSize - 32],
      [0, 0, memSize],
    ] as const) {
      const w = TidWasm.create({ build });
      let st: number | undefined;
      expect(() => {
        st = w.exports.x963_kdf_sha256!(z, 64, 0, 0, out, len);
      }, `kdf(${z}, 64, ${out}, ${len})`).not.toThrow();
      expect(st).toBe(Status.OK);
      const w2 = TidWasm.create({ build });
      expect(() => w2.exports.sha256_digest!(0, memSize, 0)).not.toThrow();
      expect(() => w2.exports.hmac_sha256!(0, 300, 0, memSize, 16)).not.toThrow();
    }
  });
});
