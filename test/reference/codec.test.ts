// Strict codecs of TID protocol v1 (reference/codec.ts): every malformed input is
// rejected with its own code and reason, in the documented check order.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { encodeAuthcode, encodeServerData, parseAuthcode, parseServerData, ProtocolError } from "../../reference/index.js";
import { fromHex } from "../../reference/bytes.js";

const ex = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8")) as Record<string, string>;
const authcode = fromHex(ex.authcode!);
const serverData = fromHex(ex.serverData!);

function rejection(parse: (b: Uint8Array) => unknown, buf: Uint8Array): string {
  try {
    parse(buf);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return `${e.code}/${e.reason}`;
  }
  return "accepted";
}

function withByte(buf: Uint8Array, i: number, v: number): Uint8Array {
  const c = buf.slice();
  c[i] = v;
  return c;
}

function withU16(buf: Uint8Array, i: number, v: number): Uint8Array {
  const c = buf.slice();
  new DataView(c.buffer).setUint16(i, v);
  return c;
}

const cases = (good: Uint8Array) =>
  [
    ["empty", new Uint8Array(0), "BAD_FORMAT/TOO_SHORT"],
    ["header only minus one", good.slice(0, 35), "BAD_FORMAT/TOO_SHORT"],
    ["version 0", withByte(good, 0, 0), "UNSUPPORTED_VERSION/VERSION"],
    ["version 2", withByte(good, 0, 2), "UNSUPPORTED_VERSION/VERSION"],
    ["symmetric algorithm 0x11", withByte(good, 1, 0x11), "UNSUPPORTED_ALGORITHM/SYM_ALG"],
    ["key agreement 0x03", withByte(good, 2, 0x03), "UNSUPPORTED_ALGORITHM/KEY_AGREEMENT"],
    ["nonce length 0x08", withByte(good, 3, 0x08), "BAD_FORMAT/NONCE_LENGTH"],
    ["flag bit 1", withU16(good, 4, 0x0002), "BAD_FORMAT/RESERVED_FLAGS"],
    ["flag bit 15", withU16(good, 4, 0x8000 | (good[5]! & 1)), "BAD_FORMAT/RESERVED_FLAGS"],
    ["L = 513", withU16(good, 34, 513), "BAD_FORMAT/EXTRA_TOO_LONG"],
    ["L = 0xffff", withU16(good, 34, 0xffff), "BAD_FORMAT/EXTRA_TOO_LONG"],
    ["L = 1 without the byte", withU16(good, 34, 1), "BAD_FORMAT/TOO_SHORT"],
    ["truncated by one", good.slice(0, good.length - 1), "BAD_FORMAT/TOO_SHORT"],
    ["one byte too many", Uint8Array.from([...good, 0]), "BAD_FORMAT/TOO_LONG"],
  ] as const;

describe("parseAuthcode", () => {
  it("accepts the example", () => expect(rejection(parseAuthcode, authcode)).toBe("accepted"));
  for (const [name, buf, want] of cases(authcode)) {
    it(`rejects: ${name}`, () => expect(rejection(parseAuthcode, buf)).toBe(want));
  }
  it("rejects every length but the right one", () => {
    for (let n = 0; n < 700; n++) {
      if (n === 132) continue;
      const buf = new Uint8Array(n);
      buf.set(authcode.subarray(0, Math.min(n, 132)));
      expect(rejection(parseAuthcode, buf)).toMatch(/^BAD_FORMAT\/TOO_(SHORT|LONG)$/);
    }
  });
  it("status names follow the wasm table", () => {
    try {
      parseAuthcode(withByte(authcode, 0, 9));
    } catch (e) {
      expect((e as ProtocolError).status).toBe("ERR_UNSUPPORTED_VERSION");
    }
  });
  it("round-trips through encodeAuthcode", () => {
    const f = parseAuthcode(authcode);
    expect(Buffer.from(encodeAuthcode(f)).toString("hex")).toBe(ex.authcode);
  });
  it("returns copies, not views", () => {
    const buf = authcode.slice();
    const f = parseAuthcode(buf);
    buf.fill(0);
    expect(Buffer.from(f.tagD).toString("hex")).toBe(ex.tagD);
  });
});

describe("parseServerData", () => {
  it("accepts the example", () => expect(rejection(parseServerData, serverData)).toBe("accepted"));
  for (const [name, buf, want] of cases(serverData)) {
    it(`rejects: ${name}`, () => expect(rejection(parseServerData, buf)).toBe(want));
  }
  it("token flag cleared: Qs would be surplus (TOO_LONG)", () => {
    expect(rejection(parseServerData, withU16(serverData, 4, 0))).toBe("BAD_FORMAT/TOO_LONG");
  });
  it("token flag set on a 68-byte answer: Qs missing (TOO_SHORT)", () => {
    const noToken = encodeServerData({ time: 1, tid: new Uint8Array(8), ns: new Uint8Array(16), tagS: new Uint8Array(32) });
    expect(noToken.length).toBe(68);
    expect(rejection(parseServerData, noToken)).toBe("accepted");
    expect(parseServerData(noToken).Qs).toBeNull();
    expect(rejection(parseServerData, withU16(noToken, 4, 1))).toBe("BAD_FORMAT/TOO_SHORT");
  });
  it("round-trips through encodeServerData", () => {
    const f = parseServerData(serverData);
    expect(Buffer.from(encodeServerData(f)).toString("hex")).toBe(ex.serverData);
  });
  it("non-bytes input is a TypeError", () => {
    expect(() => parseServerData("00" as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe("properties (fast-check)", async () => {
  const fc = (await import("fast-check")).default;
  const { buildAuthcode, finishDevice } = await import("../../reference/index.js");
  const onlyProtocolErrors = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
    }
  };

  it("random bytes: parsers accept or throw ProtocolError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (buf) => {
        onlyProtocolErrors(() => parseAuthcode(buf));
        onlyProtocolErrors(() => parseServerData(buf));
      }),
      { numRuns: 2000 },
    );
  });

  it("valid-looking headers with random tails: accepted iff the length matches", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 520 }), fc.uint8Array({ maxLength: 700 }), (L, tail) => {
        const buf = new Uint8Array(36 + tail.length);
        buf.set(authcode.subarray(0, 34));
        new DataView(buf.buffer).setUint16(34, L);
        buf.set(tail, 36);
        const r = rejection(parseAuthcode, buf);
        if (L > 512) expect(r).toBe("BAD_FORMAT/EXTRA_TOO_LONG");
        else expect(r === "accepted").toBe(buf.length === 132 + L);
      }),
      { numRuns: 2000 },
    );
  });

  it("encode ∘ parse is the identity on built authcodes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ maxLength: 512 }),
        fc.integer({ min: 0, max: 1 }),
        fc.nat(),
        (tid, extra, flags, time) => {
          const { authcode: a } = buildAuthcode({ tid, psk: new Uint8Array(16), time: time >>> 0, extra, flags });
          expect(Buffer.from(encodeAuthcode(parseAuthcode(a))).equals(Buffer.from(a))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("mutated server data into finishDevice: only ProtocolError, never a token", () => {
    const tid = fromHex("671007e10029b0a2");
    const psk = fromHex("00112233445566778899aabbccddeeff");
    const { pending } = buildAuthcode({
      tid,
      psk,
      time: 1561977519,
      nd: fromHex(ex.Nd!),
      ephemeralPrivate: fromHex(ex.deviceEphemeralPrivate!),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const bad = serverData.slice();
        for (const [i, x] of edits) bad[i % bad.length]! ^= x;
        if (Buffer.from(bad).equals(Buffer.from(serverData))) return; // edits cancelled out
        expect(() => finishDevice({ tid, psk, pending, serverData: bad })).toThrow(ProtocolError);
      }),
      { numRuns: 500 },
    );
  });
});
