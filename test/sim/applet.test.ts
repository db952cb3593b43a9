// The simulated "TID applet v1" command by command (docs/se-profile.md): every status-word path,
// the worked examples (test/vectors/tid-v1-example.json, tid-v1-intl-example.json) byte for byte,
// both algorithm suites (PROVISION's suite byte, GET DATA 00 05), NVM vs RAM on reset, chaining
// and 61xx / GET RESPONSE. APDUs go straight into the applet here; the bus-level tests
// are sim-link.test.ts and sim-faults.test.ts.
import { describe, expect, test } from "vitest";
import { createCipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import { TidApplet } from "../../hal/sim/applet.js";
import { SIM_ATR, TID_APPLET_AID } from "../../hal/se/profile.js";
import { buildServerData, computeTagS, p256Keygen, parseAuthcode, sm2Keygen, symEncrypt, verifyAuthcode } from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { apdu, run, sw } from "../support/applet.js";

const ex = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8")) as Record<string, string | number>;
const TID = fromHex(ex.TID as string);
const PSK = fromHex(ex.PSK as string);
const TIME = ex.deviceTime as number;

function fresh(opts: { provisioned?: boolean; locked?: boolean } = {}): TidApplet {
  return new TidApplet(
    opts.provisioned === false ? { seed: 7 } : { seed: 7, identity: { tid: TID, psk: PSK, locked: opts.locked ?? false } },
  );
}

const be32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const beginData = (flags = 0, time = TIME, extra: number[] = []): Uint8Array =>
  Uint8Array.from([flags >> 8, flags & 255, ...be32(time), ...extra]);

function sm4Ecb(key: Uint8Array, data: Uint8Array): string {
  const c = createCipheriv("sm4-ecb", key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]).toString("hex");
}

/** A complete AUTH BEGIN on `a`, then server data for it from the reference server half. */
function serverDataFor(
  a: TidApplet,
  opts: { issueToken?: boolean; extra?: number[] } = {},
): { authcode: Uint8Array; serverData: Uint8Array; token: Uint8Array | null } {
  const authcode = readLong(a, apdu(0x80, 0xdc, 1, 0, beginData(opts.issueToken === false ? 1 : 0, TIME, opts.extra), 0));
  const f = parseAuthcode(authcode);
  const s = buildServerData({ tid: TID, psk: PSK, nd: f.nd, tagD: f.tagD, Qd: f.Qd, time: TIME + 1, issueToken: opts.issueToken ?? true });
  return { authcode, serverData: s.serverData, token: s.token };
}

/** Send one APDU, follow 61xx with GET RESPONSE, return the data (SW must end 9000). */
function readLong(a: TidApplet, cmd: Uint8Array): Uint8Array {
  let r = a.process(cmd).rapdu;
  const parts: Uint8Array[] = [];
  while (r[r.length - 2] === 0x61) {
    parts.push(r.subarray(0, r.length - 2));
    r = a.process(Uint8Array.of(0x00, 0xc0, 0, 0, r[r.length - 1]!)).rapdu;
  }
  expect(toHex(r.subarray(r.length - 2))).toBe("9000");
  parts.push(r.subarray(0, r.length - 2));
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** Send data through command chaining in 255-byte blocks; return the final R-APDU. */
function chained(a: TidApplet, cla: number, ins: number, p1: number, p2: number, data: Uint8Array, le?: number): Uint8Array {
  let r: Uint8Array = new Uint8Array(0);
  for (let off = 0; off < data.length; off += 255) {
    const last = off + 255 >= data.length;
    r = a.process(apdu(last ? cla : cla | 0x10, ins, p1, p2, data.subarray(off, off + 255), last ? le : undefined)).rapdu;
    if (!last) expect(toHex(r)).toBe("9000");
  }
  return r;
}

describe("worked example (tid-v1-example.json)", () => {
  test("AUTH BEGIN reproduces the authcode and AUTH FINISH the session token", () => {
    const a = fresh();
    a.injectNextAuth({ nd: fromHex(ex.Nd as string), ephemeralPrivate: fromHex(ex.deviceEphemeralPrivate as string) });
    const [authcode, sw1] = run(a, "80 DC 01 00 06 0000 5D19E2AF 00");
    expect(sw1).toBe("9000");
    expect(authcode).toBe(ex.authcode);
    const [token, sw2] = run(a, apdu(0x80, 0xdc, 2, 0x80, fromHex(ex.serverData as string), 0));
    expect(sw2).toBe("9000");
    expect(token).toBe(ex.sessionToken);
    expect(toHex(a.peekSlot(0)!)).toBe(ex.sessionToken);
    expect(a.inspect().slots[0]).toBe(2);
  });

  test("with P2 bit 7 clear the token stays in the SE and SM4 CIPHER uses it", () => {
    const a = fresh();
    a.injectNextAuth({ nd: fromHex(ex.Nd as string), ephemeralPrivate: fromHex(ex.deviceEphemeralPrivate as string) });
    run(a, "80 DC 01 00 06 0000 5D19E2AF 00");
    expect(run(a, apdu(0x80, 0xdc, 2, 0x03, fromHex(ex.serverData as string), 0))).toEqual(["", "9000"]);
    expect(a.peekSlot(0)).toBeNull();
    const pt = fromHex("00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210");
    const [ct, s] = run(a, apdu(0x80, 0xda, 1, 3, pt, 0));
    expect(s).toBe("9000");
    expect(ct).toBe(sm4Ecb(fromHex(ex.sessionToken as string), pt));
    expect(run(a, apdu(0x80, 0xda, 0, 3, fromHex(ct), 0))).toEqual([toHex(pt), "9000"]);
  });
});

describe("SELECT", () => {
  test("answers the FCI with AID and version", () => {
    expect(run(fresh(), apdu(0x00, 0xa4, 4, 0, TID_APPLET_AID, 0))).toEqual(["6f0f8409f054494441505076318502" + "0100", "9000"]);
  });
  test("SW paths", () => {
    const a = fresh();
    expect(sw(a, apdu(0x00, 0xa4, 4, 1, TID_APPLET_AID))).toBe("6a86");
    expect(sw(a, apdu(0x00, 0xa4, 0, 0, TID_APPLET_AID))).toBe("6a86");
    expect(sw(a, apdu(0x00, 0xa4, 4, 0, TID_APPLET_AID.subarray(0, 5)))).toBe("6a82");
    expect(sw(a, "00 A4 04 00")).toBe("6a82");
    expect(sw(a, apdu(0x80, 0xa4, 4, 0, TID_APPLET_AID))).toBe("6e00");
  });
});

describe("GET CHALLENGE", () => {
  test("returns Le bytes (00 = 256), deterministic with a seed", () => {
    const [r8, s] = run(fresh(), "00 84 00 00 08");
    expect(s).toBe("9000");
    expect(r8).toHaveLength(16);
    expect(run(fresh(), "00 84 00 00 08")[0]).toBe(r8);
    expect(run(fresh(), "00 84 00 00 00")[0]).toHaveLength(512);
  });
  test("SW paths", () => {
    const a = fresh();
    expect(sw(a, "00 84 00 00")).toBe("6700");
    expect(sw(a, "00 84 00 00 01 00 08")).toBe("6700");
    expect(sw(a, "00 84 00 01 08")).toBe("6a86");
    expect(sw(a, "80 84 00 00 08")).toBe("6e00");
  });
});

describe("GET DATA", () => {
  test("TID, info and slot status", () => {
    const a = fresh();
    expect(run(a, "80 CA 00 01 00")).toEqual([ex.TID, "9000"]);
    expect(run(a, "80 CA 00 02 00")).toEqual(["0100010802000100", "9000"]);
    expect(run(a, "80 CA 00 03 00")).toEqual(["0000000000000000", "9000"]);
    run(a, apdu(0x80, 0x5a, 0, 5, new Uint8Array(16).fill(1)));
    expect(run(a, "80 CA 00 03 00")).toEqual(["0000000000010000", "9000"]);
    run(a, apdu(0x80, 0xdc, 1, 0, beginData(), 0));
    expect(run(a, "80 CA 00 02")[0]).toBe("0100010802000101");
  });
  test("blank and locked lifecycle", () => {
    expect(run(fresh({ provisioned: false }), "80 CA 00 02 00")[0]).toBe("0100010802000000");
    expect(run(fresh({ locked: true }), "80 CA 00 02 00")[0]).toBe("0100010802000200");
  });
  test("SW paths", () => {
    expect(sw(fresh({ provisioned: false }), "80 CA 00 01 00")).toBe("6a88");
    expect(sw(fresh(), "80 CA 00 04 00")).toBe("6a88"); // PK.SE: this SE has no link key
    expect(sw(fresh(), "80 CA 00 06 00")).toBe("6a86");
    expect(sw(fresh(), "80 CA 01 01 00")).toBe("6a86");
    expect(sw(fresh(), "80 CA 00 01 01 00")).toBe("6700");
    expect(sw(fresh(), "00 CA 00 01 00")).toBe("6e00");
  });
});

describe("PROVISION and LOCK", () => {
  const data = Uint8Array.from([...TID, ...PSK]);
  test("provision, re-provision before lock, refused after lock", () => {
    const a = fresh({ provisioned: false });
    expect(sw(a, "80 EA 00 00")).toBe("6985"); // nothing to lock yet
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, data))).toBe("9000");
    expect(run(a, "80 CA 00 01 00")[0]).toBe(ex.TID);
    run(a, apdu(0x80, 0x5a, 0, 1, new Uint8Array(16).fill(9)));
    const other = Uint8Array.from([...new Uint8Array(8).fill(0xaa), ...PSK]);
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, other))).toBe("9000");
    expect(run(a, "80 CA 00 01 00")[0]).toBe("aaaaaaaaaaaaaaaa");
    expect(a.inspect().slots).toEqual([0, 0, 0, 0, 0, 0, 0, 0]); // re-provisioning empties the slots
    expect(sw(a, "80 EA 00 00")).toBe("9000");
    expect(sw(a, "80 EA 00 00")).toBe("9000"); // idempotent
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, data))).toBe("6982");
    expect(run(a, "80 CA 00 01 00")[0]).toBe("aaaaaaaaaaaaaaaa");
  });
  test("SW paths", () => {
    const a = fresh({ provisioned: false });
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, data.subarray(0, 23)))).toBe("6700");
    expect(sw(a, "80 D8 00 00")).toBe("6700");
    expect(sw(a, apdu(0x80, 0xd8, 0, 1, data))).toBe("6a86");
    expect(sw(a, "80 EA 00 00 01 00")).toBe("6700");
    expect(sw(a, "80 EA 01 00")).toBe("6a86");
  });
});

describe("AUTH BEGIN", () => {
  test("authcode verifies at the reference server and carries flags, time, extra", () => {
    const a = fresh();
    const extra = Array.from({ length: 40 }, (_, i) => i);
    const [code, s] = run(a, apdu(0x80, 0xdc, 1, 0, beginData(1, TIME, extra), 0));
    expect(s).toBe("9000");
    const v = verifyAuthcode(fromHex(code), { lookupPsk: () => PSK, now: TIME });
    expect(v.flags).toBe(1);
    expect(v.time).toBe(TIME);
    expect([...v.extra]).toEqual(extra);
    expect(toHex(v.tid)).toBe(ex.TID);
  });
  test("a 512-byte extra: chained command, 61xx response of 644 bytes", () => {
    const a = fresh();
    const extra = Array.from({ length: 512 }, (_, i) => i & 0xff);
    const r = chained(a, 0x80, 0xdc, 1, 0, beginData(0, TIME, extra), 0);
    expect(toHex(r.subarray(256))).toBe("6100"); // 388 bytes remain: 00 = 256 or more
    const rest: number[] = [];
    let more = r;
    while (more[more.length - 2] === 0x61) {
      more = a.process(fromHex("00C0000000")).rapdu;
      rest.push(...more.subarray(0, more.length - 2));
    }
    expect(toHex(more.subarray(more.length - 2))).toBe("9000");
    const code = Uint8Array.from([...r.subarray(0, 256), ...rest]);
    expect(code.length).toBe(644);
    expect(() => verifyAuthcode(code, { lookupPsk: () => PSK, now: TIME })).not.toThrow();
  });
  test("a new AUTH BEGIN replaces the pending request", () => {
    const a = fresh();
    const first = serverDataFor(a);
    run(a, apdu(0x80, 0xdc, 1, 0, beginData(), 0));
    expect(sw(a, apdu(0x80, 0xdc, 2, 0, first.serverData, 0))).toBe("6300");
  });
  test("SW paths", () => {
    expect(sw(fresh({ provisioned: false }), apdu(0x80, 0xdc, 1, 0, beginData()))).toBe("6985");
    expect(sw(fresh(), apdu(0x80, 0xdc, 1, 0, beginData().subarray(0, 5)))).toBe("6700");
    expect(sw(fresh(), "80 DC 01 00")).toBe("6700");
    expect(toHex(chained(fresh(), 0x80, 0xdc, 1, 0, beginData(0, TIME, new Array(513).fill(0))).subarray(-2))).toBe("6700");
    expect(sw(fresh(), apdu(0x80, 0xdc, 1, 0, beginData(2)))).toBe("6a80");
    expect(sw(fresh(), apdu(0x80, 0xdc, 1, 1, beginData()))).toBe("6a86");
    expect(sw(fresh(), apdu(0x80, 0xdc, 3, 0, beginData()))).toBe("6a86");
    expect(sw(fresh(), apdu(0x00, 0xdc, 1, 0, beginData()))).toBe("6e00");
  });
});

describe("AUTH FINISH", () => {
  test("token issued: returned with bit 7, installed in the slot", () => {
    const a = fresh();
    const { serverData, token } = serverDataFor(a);
    expect(run(a, apdu(0x80, 0xdc, 2, 0x87, serverData, 0))).toEqual([toHex(token!), "9000"]);
    expect(toHex(a.peekSlot(7)!)).toBe(toHex(token!));
    expect(a.inspect().pending).toBe(false);
  });
  test("no token issued: empty response, the slot keeps its key", () => {
    const a = fresh();
    const old = new Uint8Array(16).fill(0x42);
    run(a, apdu(0x80, 0x5a, 0, 2, old));
    const { serverData, token } = serverDataFor(a, { issueToken: false });
    expect(token).toBeNull();
    expect(run(a, apdu(0x80, 0xdc, 2, 0x82, serverData, 0))).toEqual(["", "9000"]);
    expect(toHex(a.peekSlot(2)!)).toBe(toHex(old));
  });
  test("a long server extra goes by chaining", () => {
    const a = fresh();
    const authcode = readLong(a, apdu(0x80, 0xdc, 1, 0, beginData(), 0));
    const f = parseAuthcode(authcode);
    const s = buildServerData({
      tid: TID,
      psk: PSK,
      nd: f.nd,
      tagD: f.tagD,
      Qd: f.Qd,
      time: TIME,
      issueToken: true,
      extra: new Uint8Array(512).fill(3),
    });
    expect(s.serverData.length).toBe(644);
    const r = chained(a, 0x80, 0xdc, 2, 0x80, s.serverData, 0);
    expect(toHex(r)).toBe(toHex(s.token!) + "9000");
  });
  test("the same answer twice: the second fails (pending erased by any attempt)", () => {
    const a = fresh();
    const { serverData } = serverDataFor(a);
    expect(sw(a, apdu(0x80, 0xdc, 2, 0x80, serverData, 0))).toBe("9000");
    expect(sw(a, apdu(0x80, 0xdc, 2, 0x80, serverData, 0))).toBe("6985");
  });
  test("a bad attempt erases the pending request and installs nothing", () => {
    const a = fresh();
    const { serverData } = serverDataFor(a);
    const bad = serverData.slice();
    bad[bad.length - 1]! ^= 1;
    expect(sw(a, apdu(0x80, 0xdc, 2, 0x80, bad, 0))).toBe("6300");
    expect(sw(a, apdu(0x80, 0xdc, 2, 0x80, serverData, 0))).toBe("6985");
    expect(a.inspect().slots[0]).toBe(0);
  });
  test("every failure has its own SW (profile table)", () => {
    const cases: [string, (d: Uint8Array) => Uint8Array, string][] = [
      [
        "tag_s",
        (d) => {
          d[d.length - 1]! ^= 0x80;
          return d;
        },
        "6300",
      ],
      [
        "version",
        (d) => {
          d[0] = 2;
          return d;
        },
        "6a81",
      ],
      [
        "symmetric algorithm",
        (d) => {
          d[1] = 0x11;
          return d;
        },
        "9484",
      ],
      [
        "key agreement",
        (d) => {
          d[2] = 0x03;
          return d;
        },
        "9484",
      ],
      [
        "nonce length",
        (d) => {
          d[3] = 0x0f;
          return d;
        },
        "6a80",
      ],
      [
        "reserved flags",
        (d) => {
          d[4] = 0x80;
          return d;
        },
        "6a80",
      ],
      [
        "L' inconsistent",
        (d) => {
          d[35] = 1;
          return d;
        },
        "6a80",
      ],
      [
        "TID",
        (d) => {
          d[10]! ^= 1;
          return d;
        },
        "6984",
      ],
      ["too short", (d) => d.subarray(0, 67), "6700"],
    ];
    for (const [what, mutate, want] of cases) {
      const a = fresh();
      const { serverData } = serverDataFor(a);
      expect(sw(a, apdu(0x80, 0xdc, 2, 0x80, mutate(serverData.slice()), 0)), what).toBe(want);
      expect(a.inspect().slots[0], what).toBe(0);
      expect(a.inspect().pending, what).toBe(false);
    }
  });
  test("Qs not on the curve under a valid tag → 6A80 (only a PSK holder can send it)", () => {
    const a = fresh();
    const authcode = readLong(a, apdu(0x80, 0xdc, 1, 0, beginData(), 0));
    const f = parseAuthcode(authcode);
    const s = buildServerData({ tid: TID, psk: PSK, nd: f.nd, tagD: f.tagD, Qd: f.Qd, time: TIME, issueToken: true });
    // Re-tag server data whose Qs is off the curve.
    const bad = s.serverData.slice();
    bad[36 + 63]! ^= 1;
    const body = bad.subarray(0, bad.length - 32);
    bad.set(computeTagS(PSK, body, f.nd, f.tagD), bad.length - 32);
    expect(sw(a, apdu(0x80, 0xdc, 2, 0x80, bad, 0))).toBe("6a80");
  });
  test("SW paths of P2 and state", () => {
    expect(sw(fresh(), apdu(0x80, 0xdc, 2, 0x80, fromHex(ex.serverData as string)))).toBe("6985"); // nothing pending
    const a = fresh();
    const { serverData } = serverDataFor(a);
    expect(sw(a, apdu(0x80, 0xdc, 2, 0x08, serverData))).toBe("6a86"); // slot 8
    expect(sw(a, apdu(0x80, 0xdc, 2, 0x80, serverData))).toBe("6985"); // the bad-P2 attempt erased it
    const b = fresh();
    serverDataFor(b);
    expect(sw(b, apdu(0x80, 0xdc, 2, 0x40, fromHex(ex.serverData as string)))).toBe("6a86"); // reserved bit
  });
});

describe("LOAD SESSION KEY, SM4 CIPHER, ERASE SLOT", () => {
  const key = fromHex("0123456789abcdeffedcba9876543210");
  test("SM4-ECB with a loaded key matches the GB/T 32907 vector", () => {
    const a = fresh();
    expect(sw(a, apdu(0x80, 0x5a, 0, 4, key))).toBe("9000");
    expect(run(a, apdu(0x80, 0xda, 1, 4, key, 0))).toEqual(["681edf34d206965e86b3e94f536e4246", "9000"]);
    expect(run(a, apdu(0x80, 0xda, 0, 4, fromHex("681edf34d206965e86b3e94f536e4246"), 0))).toEqual([toHex(key), "9000"]);
  });
  test("1024 bytes: chained in, 61xx out", () => {
    const a = fresh();
    run(a, apdu(0x80, 0x5a, 0, 0, key));
    const data = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff);
    const first = chained(a, 0x80, 0xda, 1, 0, data, 0);
    const out = [...first.subarray(0, 256)];
    let r = first;
    while (r[r.length - 2] === 0x61) {
      r = a.process(Uint8Array.of(0, 0xc0, 0, 0, r[r.length - 1]!)).rapdu;
      out.push(...r.subarray(0, r.length - 2));
    }
    expect(toHex(Uint8Array.from(out))).toBe(sm4Ecb(key, data));
    expect(toHex(chained(a, 0x80, 0xda, 1, 0, new Uint8Array(1040)).subarray(-2))).toBe("6700");
  });
  test("erase one slot, erase all; erasing an empty slot is fine", () => {
    const a = fresh();
    for (const s of [0, 1, 7]) run(a, apdu(0x80, 0x5a, 0, s, key));
    expect(sw(a, "80 EC 00 01")).toBe("9000");
    expect(sw(a, "80 EC 00 01")).toBe("9000");
    expect(sw(a, apdu(0x80, 0xda, 1, 1, key))).toBe("6a88");
    expect(a.inspect().slots).toEqual([1, 0, 0, 0, 0, 0, 0, 1]);
    expect(sw(a, "80 EC 00 FF")).toBe("9000");
    expect(a.inspect().slots).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
  test("SW paths", () => {
    const a = fresh();
    expect(sw(a, apdu(0x80, 0x5a, 0, 8, key))).toBe("6a86");
    expect(sw(a, apdu(0x80, 0x5a, 1, 0, key))).toBe("6a86");
    expect(sw(a, apdu(0x80, 0x5a, 0, 0, key.subarray(0, 15)))).toBe("6700");
    expect(sw(a, apdu(0x80, 0xda, 1, 0, key))).toBe("6a88");
    run(a, apdu(0x80, 0x5a, 0, 0, key));
    expect(sw(a, apdu(0x80, 0xda, 1, 0, key.subarray(0, 15)))).toBe("6700");
    expect(sw(a, "80 DA 01 00")).toBe("6700");
    expect(sw(a, apdu(0x80, 0xda, 2, 0, key))).toBe("6a86");
    expect(sw(a, apdu(0x80, 0xda, 1, 8, key))).toBe("6a86");
    expect(sw(a, "80 EC 00 08")).toBe("6a86");
    expect(sw(a, "80 EC 01 00")).toBe("6a86");
    expect(sw(a, "80 EC 00 00 01 00")).toBe("6700");
  });
});

describe("chaining, GET RESPONSE, CLA/INS and malformed APDUs", () => {
  test("chaining on a command that does not allow it → 6884", () => {
    expect(sw(fresh(), "90 CA 00 01 01 00")).toBe("6884");
    expect(sw(fresh(), "10 84 00 00 01 00")).toBe("6884");
  });
  test("a chain broken by another chained command → 6883; by a plain command → dropped", () => {
    const a = fresh();
    expect(sw(a, apdu(0x90, 0xdc, 1, 0, beginData()))).toBe("9000");
    expect(sw(a, apdu(0x90, 0xda, 1, 0, new Uint8Array(16)))).toBe("6883");
    expect(sw(a, apdu(0x90, 0xdc, 1, 0, beginData()))).toBe("9000");
    expect(run(a, "80 CA 00 01 00")).toEqual([ex.TID, "9000"]);
    // the chain is gone: a final block alone is a whole command (6 bytes of data = valid)
    expect(sw(a, apdu(0x80, 0xdc, 1, 0, beginData(), 0))).toBe("9000");
  });
  test("a chain over 1024 bytes → 6700", () => {
    const a = fresh();
    for (let i = 0; i < 4; i++) expect(sw(a, apdu(0x90, 0xda, 1, 0, new Uint8Array(255)))).toBe("9000");
    expect(sw(a, apdu(0x90, 0xda, 1, 0, new Uint8Array(5)))).toBe("6700");
  });
  test("GET RESPONSE without anything pending → 6985; any other command discards the rest", () => {
    const a = fresh();
    expect(sw(a, "00 C0 00 00 00")).toBe("6985");
    run(a, apdu(0x80, 0x5a, 0, 0, new Uint8Array(16)));
    const sw2 = (r: Uint8Array): string => toHex(r.subarray(r.length - 2));
    expect(sw2(chained(a, 0x80, 0xda, 1, 0, new Uint8Array(512), 0))).toBe("6100");
    expect(sw(a, "80 CA 00 01 00")).toBe("9000");
    expect(sw(a, "00 C0 00 00 00")).toBe("6985");
    expect(sw2(chained(a, 0x80, 0xda, 1, 0, new Uint8Array(512), 0))).toBe("6100");
    expect(sw(a, "00 C0 00 00 10")).toBe("61f0"); // 16 taken, 240 left
    expect(sw(a, "00 C0 00 01 00")).toBe("6a86");
    expect(sw(a, "80 C0 00 00 00")).toBe("6e00");
  });
  test("unknown INS, unknown CLA, malformed lengths", () => {
    const a = fresh();
    expect(sw(a, "80 01 00 00")).toBe("6d00");
    expect(sw(a, "00 01 00 00")).toBe("6d00");
    expect(sw(a, "A0 CA 00 01 00")).toBe("6e00");
    expect(sw(a, "01 A4 04 00")).toBe("6e00");
    expect(sw(a, "80 CA 00")).toBe("6700");
    expect(sw(a, "")).toBe("6700");
    expect(sw(a, "80 D8 00 00 05 01 02")).toBe("6700"); // Lc says 5, 2 follow
    expect(sw(a, "80 D8 00 00 00 00 18 00")).toBe("6700"); // extended length
  });
  test("never throws, whatever the bytes", () => {
    const a = fresh();
    let seed = 1;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 3000; i++) {
      const n = rnd() % 40;
      const b = Uint8Array.from({ length: n }, rnd);
      if (n > 1 && i % 2) b[0] = 0x80;
      const r = a.process(b);
      expect(r.rapdu.length).toBeGreaterThanOrEqual(2);
    }
  });
});

describe("reset: identity kept, sessions lost", () => {
  test("NVM survives, RAM does not", () => {
    const a = fresh({ locked: true });
    run(a, apdu(0x80, 0x5a, 0, 1, new Uint8Array(16).fill(5)));
    const { serverData } = serverDataFor(a);
    run(a, apdu(0x90, 0xdc, 1, 0, beginData())); // a chain in progress
    a.reset();
    expect(run(a, "80 CA 00 01 00")).toEqual([ex.TID, "9000"]);
    expect(run(a, "80 CA 00 02 00")[0]).toBe("0100010802000200");
    expect(run(a, "80 CA 00 03 00")[0]).toBe("0000000000000000");
    expect(sw(a, apdu(0x80, 0xdc, 2, 0x80, serverData, 0))).toBe("6985"); // pending request gone
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, Uint8Array.from([...TID, ...PSK])))).toBe("6982"); // still locked
  });
  test("ATR constant is a T=1 ATR with historical bytes FMSE-TID and a valid TCK", () => {
    expect(toHex(SIM_ATR)).toBe("3b888001464d53452d544944" + "60");
    expect(SIM_ATR.subarray(1).reduce((p, b) => p ^ b, 0)).toBe(0);
  });
});

describe("suite INTL (tid-v1-intl-example.json)", () => {
  const ix = JSON.parse(readFileSync(new URL("../vectors/tid-v1-intl-example.json", import.meta.url), "utf8")) as Record<
    string,
    string | number
  >;
  const provisionData = (suiteByte?: number): Uint8Array =>
    Uint8Array.from([...TID, ...PSK, ...(suiteByte === undefined ? [] : [suiteByte])]);
  /** A blank applet PROVISIONed through the APDU with suite byte 01. */
  function intl(): TidApplet {
    const a = fresh({ provisioned: false });
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, provisionData(0x01)))).toBe("9000");
    return a;
  }
  const authBegin = (t: number): Uint8Array => apdu(0x80, 0xdc, 1, 0, beginData(0, t), 0);

  test("the worked example through APDUs: authcode, token, CIPHER block (AES-128-ECB)", () => {
    expect(toHex(TID)).toBe(ix.TID);
    expect(toHex(PSK)).toBe(ix.PSK);
    const a = intl();
    a.injectNextAuth({ nd: fromHex(ix.Nd as string), ephemeralPrivate: fromHex(ix.deviceEphemeralPrivate as string) });
    expect(run(a, authBegin(ix.deviceTime as number))).toEqual([ix.authcode, "9000"]);
    expect(run(a, apdu(0x80, 0xdc, 2, 0x80 | 4, fromHex(ix.serverData as string), 0))).toEqual([ix.sessionToken, "9000"]);
    expect(toHex(a.peekSlot(4)!)).toBe(ix.sessionToken);
    expect(run(a, apdu(0x80, 0xda, 1, 4, new Uint8Array(16), 0))).toEqual([ix.symCryptoEncryptZeroBlock, "9000"]);
    expect(run(a, apdu(0x80, 0xda, 0, 4, fromHex(ix.symCryptoEncryptZeroBlock as string), 0))).toEqual(["00".repeat(16), "9000"]);
  });

  test("a random authentication is accepted by the reference server in INTL; CIPHER is AES-128-ECB", () => {
    const a = intl();
    const authcode = readLong(a, apdu(0x80, 0xdc, 1, 0, beginData(0, TIME, [1, 2, 3]), 0));
    expect(toHex(authcode.subarray(0, 3))).toBe("012003");
    const v = verifyAuthcode(authcode, { lookupPsk: () => ({ psk: PSK, suite: "intl" }), now: TIME });
    expect(v.suite).toBe("intl");
    const s = buildServerData({ suite: "intl", tid: TID, psk: PSK, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: TIME, issueToken: true });
    expect(run(a, apdu(0x80, 0xdc, 2, 0x80, s.serverData, 0))).toEqual([toHex(s.token!), "9000"]);
    const pt = Uint8Array.from({ length: 48 }, (_, i) => i);
    expect(run(a, apdu(0x80, 0xda, 1, 0, pt, 0))).toEqual([toHex(symEncrypt(s.token!, pt, "intl")), "9000"]);
    const c = createCipheriv("aes-128-ecb", s.token!, null).setAutoPadding(false);
    expect(run(a, apdu(0x80, 0xda, 1, 0, pt, 0))[0]).toBe(Buffer.concat([c.update(pt), c.final()]).toString("hex"));
  });

  test("PROVISION: Lc 18 = SM, Lc 19 with suite byte 00 / 01; GET DATA 00 05 reads it", () => {
    const a = fresh({ provisioned: false });
    expect(sw(a, "80 CA 00 05 00")).toBe("6a88"); // blank: no identity, no suite
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, provisionData()))).toBe("9000");
    expect(run(a, "80 CA 00 05 00")).toEqual(["00", "9000"]);
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, provisionData(0x01)))).toBe("9000");
    expect(run(a, "80 CA 00 05 00")).toEqual(["01", "9000"]);
    expect(a.inspect().suite).toBe("intl");
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, provisionData(0x00)))).toBe("9000");
    expect(run(a, "80 CA 00 05 00")).toEqual(["00", "9000"]);
    expect(run(a, authBegin(TIME))[0].slice(0, 6)).toBe("011002");
    expect(run(a, "80 CA 00 02 00")[0]).toBe("0100010802000101"); // info unchanged: 8 bytes
  });

  test("PROVISION SW paths: bad suite byte 6A80, Lc 1A 6700, nothing changed", () => {
    const a = intl();
    run(a, apdu(0x80, 0x5a, 0, 2, new Uint8Array(16).fill(3)));
    const other = Uint8Array.from([...new Uint8Array(8).fill(0xaa), ...PSK]);
    for (const b of [0x02, 0x10, 0x20, 0xff]) {
      expect(sw(a, apdu(0x80, 0xd8, 0, 0, Uint8Array.from([...other, b])))).toBe("6a80");
    }
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, Uint8Array.from([...other, 0x01, 0x00])))).toBe("6700");
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, other.subarray(0, 23)))).toBe("6700"); // Lc 17
    expect(run(a, "80 CA 00 01 00")[0]).toBe(ex.TID);
    expect(run(a, "80 CA 00 05 00")[0]).toBe("01");
    expect(a.inspect().slots[2]).toBe(1); // a refused PROVISION empties nothing
    expect(sw(a, "80 CA 00 05 01 00")).toBe("6700");
  });

  test("server data of the other suite → 9484, both ways, and the pending request is gone", () => {
    const a = intl();
    const authcode = readLong(a, authBegin(TIME));
    const f = parseAuthcode(authcode);
    const smData = buildServerData({
      suite: "sm",
      tid: TID,
      psk: PSK,
      nd: f.nd,
      tagD: f.tagD,
      Qd: sm2Keygen().publicKey,
      time: TIME,
      issueToken: true,
    });
    expect(sw(a, apdu(0x80, 0xdc, 2, 0x80, smData.serverData, 0))).toBe("9484");
    expect(a.inspect().slots[0]).toBe(0);
    expect(a.inspect().pending).toBe(false);

    const b = fresh();
    const g = parseAuthcode(readLong(b, authBegin(TIME)));
    const intlData = buildServerData({
      suite: "intl",
      tid: TID,
      psk: PSK,
      nd: g.nd,
      tagD: g.tagD,
      Qd: p256Keygen().publicKey,
      time: TIME,
      issueToken: true,
    });
    expect(sw(b, apdu(0x80, 0xdc, 2, 0x80, intlData.serverData, 0))).toBe("9484");
    expect(b.inspect().slots[0]).toBe(0);
  });

  test("LOCK keeps the suite; reset keeps it; a locked identity's suite cannot change", () => {
    const a = intl();
    expect(sw(a, "80 EA 00 00")).toBe("9000");
    expect(run(a, "80 CA 00 05 00")).toEqual(["01", "9000"]);
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, provisionData(0x00)))).toBe("6982");
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, provisionData()))).toBe("6982");
    a.reset();
    expect(run(a, "80 CA 00 05 00")).toEqual(["01", "9000"]);
    expect(run(a, "80 CA 00 02 00")[0]).toBe("0100010802000200");
    expect(run(a, authBegin(TIME))[0].slice(0, 6)).toBe("012003");
    expect(a.exportNvm().suite).toBe("intl");
  });

  test("re-PROVISION to another suite empties the slots and drops the pending request", () => {
    const a = intl();
    run(a, apdu(0x80, 0x5a, 0, 1, new Uint8Array(16).fill(9)));
    run(a, authBegin(TIME));
    expect(a.inspect().pending).toBe(true);
    expect(sw(a, apdu(0x80, 0xd8, 0, 0, provisionData()))).toBe("9000");
    expect(a.inspect()).toMatchObject({ suite: "sm", pending: false, slots: [0, 0, 0, 0, 0, 0, 0, 0] });
  });

  test("LOAD SESSION KEY installs a key of the identity's suite; before PROVISION slots are SM", () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    const pt = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    const blank = fresh({ provisioned: false });
    run(blank, apdu(0x80, 0x5a, 0, 0, key));
    expect(run(blank, apdu(0x80, 0xda, 1, 0, pt, 0))[0]).toBe(sm4Ecb(key, pt));
    const a = intl();
    run(a, apdu(0x80, 0x5a, 0, 0, key));
    expect(run(a, apdu(0x80, 0xda, 1, 0, pt, 0))[0]).toBe(toHex(symEncrypt(key, pt, "intl")));
    // 1024 bytes: chained in, 61xx out
    const long = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff);
    let r = chained(a, 0x80, 0xda, 1, 0, long, 0);
    const parts: number[] = [];
    while (r[r.length - 2] === 0x61) {
      parts.push(...r.subarray(0, r.length - 2));
      r = a.process(Uint8Array.of(0x00, 0xc0, 0, 0, r[r.length - 1]!)).rapdu;
    }
    expect(toHex(r.subarray(r.length - 2))).toBe("9000");
    parts.push(...r.subarray(0, r.length - 2));
    expect(toHex(Uint8Array.from(parts))).toBe(toHex(symEncrypt(key, long, "intl")));
  });

  test("the constructor's identity takes a suite; anything else is a TypeError", () => {
    const a = new TidApplet({ identity: { tid: TID, psk: PSK, suite: "intl" } });
    expect(run(a, "80 CA 00 05 00")).toEqual(["01", "9000"]);
    expect(() => new TidApplet({ identity: { tid: TID, psk: PSK, suite: "aes" as never } })).toThrow(TypeError);
  });
});
