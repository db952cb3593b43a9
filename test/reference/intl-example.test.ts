// Suite INTL of TID protocol v1 in the node:crypto reference (reference/suite.ts, p256.ts;
// docs/protocol.md "Algorithm suites"): both halves against the worked example
// test/vectors/tid-v1-intl-example.json byte for byte, the wrong-suite rules, P-256 public keys
// that must be refused (after Wycheproof's ECDH cases: off the curve, the point at infinity, a
// coordinate ≥ p), a property test over both suites, and an independent recomputation of the
// example with Python's `cryptography` (test/reference/intl_example_check.py; skipped with a
// message when python3 or the package is missing).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AeadSession, open, seal } from "../../reference/aead.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import {
  buildAuthcode,
  buildServerData,
  computeTagD,
  encodeAuthcode,
  encodeAuthcodeBody,
  finishDevice,
  P256_P,
  p256Ecdh,
  p256Keygen,
  p256PublicFromPrivate,
  parseAuthcode,
  parseServerData,
  ProtocolError,
  sha256,
  suiteOf,
  symDecrypt,
  symEncrypt,
  verifyAuthcode,
  x963KdfSha256,
  type SuiteName,
} from "../../reference/index.js";

const VECTOR = fileURLToPath(new URL("../vectors/tid-v1-intl-example.json", import.meta.url));
const CHECKER = fileURLToPath(new URL("./intl_example_check.py", import.meta.url));
const ex = JSON.parse(readFileSync(VECTOR, "utf8")) as Record<string, string | number>;
const h = (s: string | number) => fromHex(String(s));
const hex = (b: Uint8Array | null) => (b ? toHex(b) : null);

const tid = h(ex.TID!);
const psk = h(ex.PSK!);
const intlDevice = { psk, suite: "intl" as const };

function exampleDevice() {
  return buildAuthcode({
    suite: "intl",
    tid,
    psk,
    time: ex.deviceTime as number,
    nd: h(ex.Nd!),
    ephemeralPrivate: h(ex.deviceEphemeralPrivate!),
  });
}

/** "CODE/REASON" of the ProtocolError `f` throws, or "OK". */
function outcome(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return `${e.code}/${e.reason}`;
  }
  return "OK";
}

describe("suite INTL worked example (tid-v1-intl-example.json)", () => {
  it("device builds the authcode and tag_d", () => {
    const { authcode, pending } = exampleDevice();
    expect(hex(authcode)).toBe(ex.authcode);
    expect(authcode.length).toBe(ex.authcodeLength);
    expect(hex(pending.tagD)).toBe(ex.tagD);
    expect(pending.suite).toBe("intl");
    expect(hex(p256PublicFromPrivate(h(ex.deviceEphemeralPrivate!)))).toBe(ex.Qd);
  });

  it("server verifies it and builds server data, tag_s, Z, K and token", () => {
    const v = verifyAuthcode(h(ex.authcode!), { lookupPsk: () => intlDevice, now: ex.serverTime as number });
    expect(v.suite).toBe("intl");
    expect([v.symAlg, v.keyAgreement]).toEqual([0x20, 0x03]);
    expect(hex(v.Qd)).toBe(ex.Qd);
    const s = buildServerData({
      ...v,
      time: ex.serverTime as number,
      ns: h(ex.Ns!),
      ephemeralPrivate: h(ex.serverEphemeralPrivate!),
      issueToken: true,
    });
    expect(hex(s.serverData)).toBe(ex.serverData);
    expect(s.serverData.length).toBe(ex.serverDataLength);
    expect(hex(s.Qs)).toBe(ex.Qs);
    expect(hex(s.tagS)).toBe(ex.tagS);
    expect(hex(s.z)).toBe(ex.Z);
    expect(hex(s.k)).toBe(ex.K);
    expect(hex(s.token)).toBe(ex.sessionToken);
  });

  it("device checks the server data and derives the same Z, K and token", () => {
    const { pending } = exampleDevice();
    const r = finishDevice({ tid, psk, pending, serverData: h(ex.serverData!) });
    expect(r.fields.suite).toBe("intl");
    expect(hex(r.token)).toBe(ex.sessionToken);
    expect(hex(r.k)).toBe(ex.K);
    expect(hex(p256Ecdh(h(ex.deviceEphemeralPrivate!), r.fields.Qs!))).toBe(ex.Z);
  });

  it("the token encrypts the zero block (AES-128-ECB) and seals the uplink message (AES-128-GCM)", () => {
    const token = h(ex.sessionToken!);
    expect(hex(symEncrypt(token, new Uint8Array(16), "intl"))).toBe(ex.symCryptoEncryptZeroBlock);
    expect(hex(symDecrypt(token, h(ex.symCryptoEncryptZeroBlock!), "intl"))).toBe("00".repeat(16));
    // the same call in suite SM is a different cipher
    expect(hex(symEncrypt(token, new Uint8Array(16)))).not.toBe(ex.symCryptoEncryptZeroBlock);
    const hello = new TextEncoder().encode("hello");
    expect(hex(seal(token, "uplink", 0n, hello, undefined, "intl"))).toBe(ex.sealUplinkCounter0Hello);
    const server = new AeadSession(token, "server", "intl");
    expect(new TextDecoder().decode(server.open(h(ex.sealUplinkCounter0Hello!)))).toBe("hello");
    expect(() => server.open(h(ex.sealUplinkCounter0Hello!))).toThrow(expect.objectContaining({ code: "REPLAY" }));
    // an SM4-GCM session with the same token does not accept it
    expect(() => open(token, "uplink", h(ex.sealUplinkCounter0Hello!))).toThrow(expect.objectContaining({ code: "VERIFY_FAILED" }));
    const tampered = h(ex.sealUplinkCounter0Hello!);
    tampered[10]! ^= 1;
    expect(() => open(token, "uplink", tampered, undefined, "intl")).toThrow(expect.objectContaining({ code: "VERIFY_FAILED" }));
  });

  it("the X9.63 KDF is SHA-256(Z ‖ counter) from 1, truncated", () => {
    const z = new Uint8Array([9, 8, 7]);
    const out = x963KdfSha256(z, 40);
    expect(hex(out.subarray(0, 32))).toBe(hex(sha256(z, new Uint8Array([0, 0, 0, 1]))));
    expect(hex(out.subarray(32))).toBe(hex(sha256(z, new Uint8Array([0, 0, 0, 2])).subarray(0, 8)));
    expect(() => x963KdfSha256(z, -1)).toThrow(RangeError);
  });
});

describe("suite rules", () => {
  const now = ex.serverTime as number;

  it("an INTL authcode for a device registered SM, and an SM one for a device registered INTL: UNSUPPORTED_ALGORITHM", () => {
    const intl = h(ex.authcode!);
    expect(outcome(() => verifyAuthcode(intl, { lookupPsk: () => psk, now }))).toBe("UNSUPPORTED_ALGORITHM/SUITE");
    expect(outcome(() => verifyAuthcode(intl, { lookupPsk: () => ({ psk, suite: "sm" }), now }))).toBe("UNSUPPORTED_ALGORITHM/SUITE");
    const sm = buildAuthcode({ tid, psk, time: now }).authcode;
    expect(outcome(() => verifyAuthcode(sm, { lookupPsk: () => intlDevice, now }))).toBe("UNSUPPORTED_ALGORITHM/SUITE");
    expect(outcome(() => verifyAuthcode(sm, { lookupPsk: () => psk, now }))).toBe("OK");
    expect(outcome(() => verifyAuthcode(intl, { lookupPsk: () => intlDevice, now }))).toBe("OK");
  });

  it("the tag is checked first: a forged authcode in another suite learns only VERIFY_FAILED", () => {
    const forged = h(ex.authcode!);
    forged[forged.length - 1]! ^= 1;
    expect(outcome(() => verifyAuthcode(forged, { lookupPsk: () => psk, now }))).toBe("VERIFY_FAILED/TAG_D");
    expect(outcome(() => verifyAuthcode(forged, { lookupPsk: () => intlDevice, now }))).toBe("VERIFY_FAILED/TAG_D");
  });

  it("the replay cache is not written for a refused suite", () => {
    let remembered = 0;
    const remember = () => (remembered++, true);
    expect(outcome(() => verifyAuthcode(h(ex.authcode!), { lookupPsk: () => psk, now, remember }))).toBe("UNSUPPORTED_ALGORITHM/SUITE");
    expect(remembered).toBe(0);
    expect(outcome(() => verifyAuthcode(h(ex.authcode!), { lookupPsk: () => intlDevice, now, remember }))).toBe("OK");
    expect(remembered).toBe(1);
  });

  it("the device refuses server data in another suite than its own", () => {
    const { pending } = exampleDevice();
    const smPending = buildAuthcode({ tid, psk, time: now, nd: pending.nd }).pending;
    expect(outcome(() => finishDevice({ tid, psk, pending: smPending, serverData: h(ex.serverData!) }))).toBe(
      "UNSUPPORTED_ALGORITHM/SUITE",
    );
    // an explicit suite wins over the one recorded in pending
    expect(outcome(() => finishDevice({ suite: "sm", tid, psk, pending, serverData: h(ex.serverData!) }))).toBe(
      "UNSUPPORTED_ALGORITHM/SUITE",
    );
  });

  it("unknown or mixed algorithm bytes: UNSUPPORTED_ALGORITHM in both messages", () => {
    const withBytes = (hexMsg: string | number, b1: number, b2: number) => {
      const m = h(hexMsg);
      m[1] = b1;
      m[2] = b2;
      return m;
    };
    for (const [b1, b2, want] of [
      [0x30, 0x03, "UNSUPPORTED_ALGORITHM/SYM_ALG"],
      [0x00, 0x02, "UNSUPPORTED_ALGORITHM/SYM_ALG"],
      [0x20, 0x02, "UNSUPPORTED_ALGORITHM/KEY_AGREEMENT"],
      [0x10, 0x03, "UNSUPPORTED_ALGORITHM/KEY_AGREEMENT"],
      [0x20, 0x04, "UNSUPPORTED_ALGORITHM/KEY_AGREEMENT"],
    ] as const) {
      expect(outcome(() => parseAuthcode(withBytes(ex.authcode!, b1, b2)))).toBe(want);
      expect(outcome(() => parseServerData(withBytes(ex.serverData!, b1, b2)))).toBe(want);
      expect(outcome(() => verifyAuthcode(withBytes(ex.authcode!, b1, b2), { lookupPsk: () => intlDevice, now }))).toBe(want);
    }
  });

  it("bad suite names are TypeErrors naming the argument, before anything is built", () => {
    const bad = "aes" as unknown as SuiteName;
    expect(() => buildAuthcode({ suite: bad, tid, psk, time: now })).toThrow(/suite must be one of "sm", "intl"/);
    expect(() => suiteOf(bad)).toThrow(TypeError);
    expect(() => verifyAuthcode(h(ex.authcode!), { lookupPsk: () => ({ psk, suite: bad }), now })).toThrow(/suite from lookupPsk/);
    expect(() => symEncrypt(new Uint8Array(16), new Uint8Array(16), bad)).toThrow(TypeError);
  });
});

describe("P-256 public keys the reference refuses (BAD_POINT)", () => {
  const good = h(ex.Qs!);
  const d = h(ex.deviceEphemeralPrivate!);
  // (0, y) is on P-256: y² = b has a square root. (p, y) names the same point modulo p.
  const Y_AT_X0 = "66485c780e2f83d72433bd5d84a06bb6541c2af31dae871728bf856a174f93f4";
  const pHex = P256_P.toString(16).padStart(64, "0");
  const offCurve = good.slice();
  offCurve[63]! ^= 1;
  const cases: [string, Uint8Array][] = [
    ["off the curve (y + 1 bit)", offCurve],
    ["the point at infinity as all-zero X ‖ Y", new Uint8Array(64)],
    ["x = p (a coordinate ≥ p, ≡ the valid point (0, y))", h(pHex + Y_AT_X0)],
    ["y = p", h(good.subarray(0, 32).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "") + pHex)],
    ["x = y = 2^256 − 1", new Uint8Array(64).fill(0xff)],
    [
      "an SM2 point (the SM example's Qs)",
      h("3b55f1a58e905ee70bfbd33aa84123e2b4449c3e09151f8be8a8cb7f972e5e8442e6cccc6e7fe52a0e147a4261a48fb05ac2d627adb769e7beb36a0c5f55d231"),
    ],
  ];

  it("the valid point (0, y) itself is accepted, so x = p is refused for its range alone", () => {
    expect(p256Ecdh(d, h("00".repeat(32) + Y_AT_X0)).length).toBe(32);
  });

  for (const [name, point] of cases) {
    it(`${name}: ECDH and the server's Qd check refuse it`, () => {
      expect(outcome(() => p256Ecdh(d, point))).toBe("BAD_POINT/NOT_ON_CURVE");
      const body = encodeAuthcodeBody({ suite: "intl", time: ex.deviceTime as number, tid, nd: h(ex.Nd!), Qd: point });
      const authcode = encodeAuthcode({
        suite: "intl",
        time: ex.deviceTime as number,
        tid,
        nd: h(ex.Nd!),
        Qd: point,
        tagD: computeTagD(psk, body, "intl"),
      });
      expect(outcome(() => verifyAuthcode(authcode, { lookupPsk: () => intlDevice, now: ex.serverTime as number }))).toBe(
        "BAD_POINT/NOT_ON_CURVE",
      );
    });
  }

  it("the device refuses server data carrying an invalid Qs (after its tag verifies)", () => {
    const { authcode, pending } = exampleDevice();
    const v = verifyAuthcode(authcode, { lookupPsk: () => intlDevice, now: ex.serverTime as number });
    const s = buildServerData({ ...v, time: ex.serverTime as number, issueToken: true });
    // rebuild the server data around a bad Qs with a correct tag_s
    const bad = s.serverData.slice();
    bad.set(offCurve, 36);
    const body = bad.subarray(0, bad.length - 32);
    bad.set(suiteOf("intl").hmac(psk, new TextEncoder().encode("TIDS"), body, pending.nd, pending.tagD), bad.length - 32);
    expect(outcome(() => finishDevice({ tid, psk, pending, serverData: bad }))).toBe("BAD_POINT/NOT_ON_CURVE");
  });

  it("private keys outside [1, n-1] are BAD_SCALAR", () => {
    expect(outcome(() => p256PublicFromPrivate(new Uint8Array(32)))).toBe("BAD_SCALAR/SCALAR_RANGE");
    expect(outcome(() => p256PublicFromPrivate(h("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")))).toBe(
      "BAD_SCALAR/SCALAR_RANGE",
    );
    expect(p256PublicFromPrivate(h("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550")).length).toBe(64);
  });
});

describe("property: both suites round-trip device ↔ server", () => {
  it("random TID, PSK, time, extra and flags; the token opens the other side's AEAD", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<SuiteName>("sm", "intl"),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 301, max: 0xffff_ffff - 301 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        (suite, tid, psk, time, extra, keep) => {
          const { authcode, pending } = buildAuthcode({ suite, tid, psk, time, extra, flags: keep ? 1 : 0 });
          expect(authcode[1]).toBe(suite === "sm" ? 0x10 : 0x20);
          const v = verifyAuthcode(authcode, { lookupPsk: () => ({ psk, suite }), now: time });
          expect(hex(v.extra)).toBe(hex(extra));
          const other: SuiteName = suite === "sm" ? "intl" : "sm";
          expect(outcome(() => verifyAuthcode(authcode, { lookupPsk: () => ({ psk, suite: other }), now: time }))).toBe(
            "UNSUPPORTED_ALGORITHM/SUITE",
          );
          const s = buildServerData({ ...v, time, issueToken: v.wantsToken });
          const d = finishDevice({ tid, psk, pending, serverData: s.serverData });
          expect(hex(d.token)).toBe(hex(s.token));
          if (keep) {
            expect(d.token).toBeNull();
            return;
          }
          const device = new AeadSession(d.token!, "device", suite);
          const server = new AeadSession(s.token!, "server", suite);
          expect(hex(server.open(device.seal(extra)))).toBe(hex(extra));
          expect(hex(device.open(server.seal(tid)))).toBe(hex(tid));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("fresh P-256 key pairs agree both ways", () => {
    const a = p256Keygen();
    const b = p256Keygen();
    expect(hex(p256Ecdh(a.privateKey, b.publicKey))).toBe(hex(p256Ecdh(b.privateKey, a.publicKey)));
  });
});

function pythonMissing(): string | undefined {
  const probe = spawnSync("python3", ["-c", "import cryptography.hazmat.primitives.kdf.x963kdf"], { encoding: "utf8" });
  if (probe.error) return "python3 is not installed (apt-get install python3 python3-cryptography)";
  if (probe.status !== 0)
    return "python3 has no `cryptography` package (apt-get install python3-cryptography, or pip install cryptography)";
  return undefined;
}
const missing = pythonMissing();
if (missing) console.warn(`test/reference/intl-example.test.ts: the Python check is skipped: ${missing}`);

(missing ? describe.skip : describe)(missing ? `Python cryptography check: skipped, ${missing}` : "Python cryptography check", () => {
  const run = (path: string) => spawnSync("python3", [CHECKER, path], { encoding: "utf8" });

  it("recomputes every value of the example from its inputs", () => {
    const r = run(VECTOR);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("ok K");
    expect(r.stdout).toContain("ok sealUplinkCounter0Hello");
    expect(r.stdout).not.toContain("MISMATCH");
  });

  it("fails on an example with one wrong value", () => {
    const dir = mkdtempSync(join(tmpdir(), "tid-intl-"));
    try {
      const wrong = { ...ex, K: String(ex.K).replace(/^./, (c) => (c === "0" ? "1" : "0")) };
      writeFileSync(join(dir, "wrong.json"), JSON.stringify(wrong));
      const r = run(join(dir, "wrong.json"));
      expect(r.status).toBe(1);
      expect(r.stdout).toContain("MISMATCH K");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
