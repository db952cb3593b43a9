// The TID TA's own interface (tee/ta/tid_ta.h; docs/tee.md "Commands"), on the native build:
// parameter-type checks (TEE_ERROR_BAD_PARAMETERS), an output memref too small
// (TEE_ERROR_SHORT_BUFFER with the size needed, the command not run), an oversized input memref,
// an unknown command, INFO, the identity and the link key SK.SE in persistent storage across
// sessions and processes (the three object formats: 03 for an identity of suite INTL, 01 / 02
// for suite SM as the TAs before the suite wrote them, which read as SM; damaged objects refused; a
// failed write answered 6F00 with the old object kept), and the built-in known-answer run (`ta_host --kat`).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../reference/bytes.js";
import { hostOpen, type SecureSession } from "../../reference/secure-link.js";
import { buildTaHost, TaHost, taHostToolsMissing } from "./ta-host.js";

const missing = taHostToolsMissing();
if (missing) console.warn(`test/tee/ta-transport.test.ts skipped: ${missing}`);

const PROVISION = "80d8000018671007e10029b0a200112233445566778899aabbccddeeff";
const GET_TID = "80ca000100";
const GET_LINK_KEY = "80ca000400";
const GET_SUITE = "80ca000500";
/** PROVISION Lc 25: the same TID and PSK, suite byte 01 (INTL) */
const PROVISION_INTL = "80d8000019671007e10029b0a200112233445566778899aabbccddeeff01";
const GENERATE_LINK_KEY = "8046000000";
/** the persistent object's file in a --storage directory: hex of the object ID "tid-identity" */
const OBJECT_FILE = Buffer.from("tid-identity").toString("hex");

/** OPEN SECURE SESSION on a TA whose PK.SE is `pk` → the host's session (throws when the receipt does not match) */
async function openLink(h: TaHost, pk: string): Promise<SecureSession> {
  const o = hostOpen(fromHex(pk));
  const r = await h.request(`8088000050${toHex(o.commandData)}00`);
  expect(r.slice(-4)).toBe("9000");
  return o.finish(fromHex(r.slice(0, -4)));
}

/** one protected command with no data → its unwrapped response data (hex) and SW */
async function protectedCommand(h: TaHost, s: SecureSession, cla: number, ins: number, p1: number, p2: number) {
  const pd = s.wrapCommand({ cla, ins, p1, p2 }, new Uint8Array(0));
  const r = fromHex(await h.request(toHex(Uint8Array.of(cla | 0x04, ins, p1, p2, pd.length, ...pd, 0))));
  const sw = (r[r.length - 2]! << 8) | r[r.length - 1]!;
  return { data: toHex(s.unwrapResponse(r.subarray(0, r.length - 2), sw)), sw: sw.toString(16) };
}

/** an object of format 02 (docs/tee.md "Storage") with its check byte, for the damaged-object cases */
function format02(locked: number, identity: number, tidPsk: Uint8Array, sk: Uint8Array): Buffer {
  const r = Buffer.from([2, locked, identity, ...tidPsk, ...sk, 0]);
  r[r.length - 1] = r.subarray(0, r.length - 1).reduce((x, b) => x ^ b, 0x5a);
  return r;
}
/** an object of format 01 (no link key, suite SM) with its check byte: what the TAs before the suite wrote */
function format01(locked: number, tidPsk: Uint8Array): Buffer {
  const r = Buffer.from([1, locked, ...tidPsk, 0]);
  r[r.length - 1] = r.subarray(0, r.length - 1).reduce((x, b) => x ^ b, 0x5a);
  return r;
}
/** an object of format 03 (an identity of suite INTL; link 1 with SK.SE, 0 with SK.SE zero) with its check byte */
function format03(locked: number, link: number, suite: number, tidPsk: Uint8Array, sk: Uint8Array): Buffer {
  const r = Buffer.from([3, locked, link, suite, ...tidPsk, ...sk, 0]);
  r[r.length - 1] = r.subarray(0, r.length - 1).reduce((x, b) => x ^ b, 0x5a);
  return r;
}
// TEE_PARAM_TYPES(MEMREF_INPUT, MEMREF_OUTPUT, NONE, NONE) = 0x65; other layouts must be refused
const WRONG_TYPES = ["0", "56", "75", "66", "5065", "55", "1065"];

describe.skipIf(!!missing)("TID TA interface (native build)", () => {
  let exe = "";
  let dir = "";
  const hosts: TaHost[] = [];
  const start = (args: string[] = []): TaHost => {
    const h = new TaHost(exe, args);
    hosts.push(h);
    return h;
  };
  beforeAll(() => {
    exe = buildTaHost();
    dir = mkdtempSync(join(tmpdir(), "tid-ta-storage-"));
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("TRANSMIT checks its parameter types and sizes", async () => {
    const h = start();
    for (const t of WRONG_TYPES) expect(await h.request(`!types ${t} ${GET_TID}`), `types 0x${t}`).toBe("TEE_ERROR_BAD_PARAMETERS");
    expect(await h.request(`!types 65 ${GET_TID}`)).toBe("6a88");
    // the largest short APDU is 261 bytes: it reaches the applet (a wrong length there); one more does not
    expect(await h.request("!oversize 261")).toBe("6700");
    expect(await h.request("!oversize 262")).toBe("TEE_ERROR_BAD_PARAMETERS");
    expect(await h.request("!oversize 4096")).toBe("TEE_ERROR_BAD_PARAMETERS");
    expect(await h.request("!command 2")).toBe("TEE_ERROR_NOT_SUPPORTED");
    expect(await h.request("!command 0")).toBe("TEE_ERROR_BAD_PARAMETERS"); // TRANSMIT with no parameters
  });

  it("an output memref under 258 bytes is TEE_ERROR_SHORT_BUFFER with the size, and the command does not run", async () => {
    const h = start();
    expect(await h.request(`!short 257 ${PROVISION}`)).toBe("TEE_ERROR_SHORT_BUFFER 258");
    expect(await h.request(`!short 0 ${PROVISION}`)).toBe("TEE_ERROR_SHORT_BUFFER 258");
    expect(await h.request(GET_TID)).toBe("6a88"); // still blank: PROVISION never ran
    expect(await h.request(`!short 258 ${PROVISION}`)).toBe("9000");
    expect(await h.request(GET_TID)).toBe("671007e10029b0a29000");
  });

  // flags: bit 0 insecure development platform (the default build); bit 1, "no shielded link", is clear
  it("INFO gives the applet version, the platform flags, the lifecycle and the slot count", async () => {
    const h = start();
    expect(await h.request("!info")).toBe("info version=0100 flags=1 lifecycle=0 slots=8");
    expect(await h.request(PROVISION)).toBe("9000");
    expect(await h.request("!info")).toBe("info version=0100 flags=1 lifecycle=1 slots=8");
    expect(await h.request("80ea0000")).toBe("9000");
    expect(await h.request("!info")).toBe("info version=0100 flags=1 lifecycle=2 slots=8");
  });

  it("the identity lives in persistent storage: it survives a new session and a new process; RAM state does not", async () => {
    const store = join(dir, "a");
    rmSync(store, { recursive: true, force: true });
    mkdirSync(store);
    const first = start(["--storage", store]);
    expect(await first.request(GET_TID)).toBe("6a88");
    expect(await first.request(PROVISION)).toBe("9000");
    expect(await first.request("805a000110" + "00".repeat(16))).toBe("9000");
    expect(await first.request("80ca000300")).toBe("00010000000000009000");
    expect(await first.request("!reset")).toBe("TEE_SUCCESS");
    expect(await first.request(GET_TID)).toBe("671007e10029b0a29000");
    expect(await first.request("80ca000300")).toBe("00000000000000009000");
    expect(await first.close()).toBe(0);
    const files = readdirSync(store);
    expect(files).toEqual([OBJECT_FILE]);
    expect([...readFileSync(join(store, OBJECT_FILE)).subarray(0, 2)]).toEqual([1, 0]); // format 01: no link key, unlocked
    expect(readFileSync(join(store, OBJECT_FILE))).toHaveLength(27);
    const second = start(["--storage", store]);
    expect(await second.request(GET_TID)).toBe("671007e10029b0a29000");
    expect(await second.request("80ea0000")).toBe("9000");
    expect(await second.close()).toBe(0);
    const third = start(["--storage", store]);
    expect(await third.request("80d8000018" + "11".repeat(24))).toBe("6982"); // locked, for good
    expect(await third.request(GET_TID)).toBe("671007e10029b0a29000");
    expect(await third.close()).toBe(0);
    // a damaged object is refused, not taken for an identity: the session does not open
    writeFileSync(join(store, files[0]!), Buffer.from("01007e"));
    const broken = spawnSync(exe, ["--storage", store], { input: "", encoding: "utf8" });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/TEE_ERROR_CORRUPT_OBJECT/);
  });

  it("the link key lives in persistent storage: a format-01 object gains it (format 02), it survives sessions and processes, and SK.SE itself does", async () => {
    const store = join(dir, "link");
    rmSync(store, { recursive: true, force: true });
    mkdirSync(store);
    const first = start(["--storage", store]);
    expect(await first.request(PROVISION)).toBe("9000");
    expect(await first.close()).toBe(0);
    expect(readFileSync(join(store, OBJECT_FILE))).toHaveLength(27); // the format the TA before the shielded link wrote
    const second = start(["--storage", store]);
    expect(await second.request(GET_LINK_KEY)).toBe("6a88");
    const generated = await second.request(GENERATE_LINK_KEY);
    expect(generated).toMatch(/^[0-9a-f]{128}9000$/);
    const pk = generated.slice(0, 128);
    const object = readFileSync(join(store, OBJECT_FILE));
    expect([object.length, object[0], object[1], object[2]]).toEqual([60, 2, 0, 1]); // format 02, unlocked, identity
    expect(await second.request("!reset")).toBe("TEE_SUCCESS");
    expect(await second.request(GET_LINK_KEY)).toBe(`${pk}9000`);
    expect(await second.request("80ca000200")).toBe("01000108020001029000"); // a link key, no session
    expect(await second.close()).toBe(0);
    const third = start(["--storage", store]);
    expect(await third.request(GET_LINK_KEY)).toBe(`${pk}9000`);
    expect(await third.request(GET_TID)).toBe("671007e10029b0a29000"); // the identity came along
    expect(await third.request(PROVISION)).toBe("6982"); // shielded: not in clear
    // the receipt verifies against the pinned PK.SE: the new process holds SK.SE, not just PK.SE
    const s = await openLink(third, pk);
    expect(await protectedCommand(third, s, 0x80, 0xca, 0, 1)).toEqual({ data: "671007e10029b0a2", sw: "9000" });
    expect(await protectedCommand(third, s, 0x80, 0xea, 0, 0)).toEqual({ data: "", sw: "9000" }); // LOCK, protected
    expect(await third.close()).toBe(0);
    expect([...readFileSync(join(store, OBJECT_FILE)).subarray(0, 3)]).toEqual([2, 1, 1]); // locked, the key kept
    const fourth = start(["--storage", store]);
    expect(await fourth.request(GET_LINK_KEY)).toBe(`${pk}9000`);
    const s4 = await openLink(fourth, pk);
    expect(await protectedCommand(fourth, s4, 0x80, 0x46, 0, 0)).toEqual({ data: "", sw: "6982" }); // fixed by LOCK
    expect(await fourth.close()).toBe(0);
  });

  it("a blank TA can be paired first: format 02 with no identity", async () => {
    const store = join(dir, "blank-link");
    rmSync(store, { recursive: true, force: true });
    mkdirSync(store);
    const first = start(["--storage", store]);
    const pk = (await first.request(GENERATE_LINK_KEY)).slice(0, 128);
    expect(await first.close()).toBe(0);
    const object = readFileSync(join(store, OBJECT_FILE));
    expect([object.length, object[0], object[1], object[2]]).toEqual([60, 2, 0, 0]);
    const second = start(["--storage", store]);
    expect(await second.request(GET_TID)).toBe("6a88");
    expect(await second.request(GET_LINK_KEY)).toBe(`${pk}9000`);
    expect(await second.request("!info")).toBe("info version=0100 flags=1 lifecycle=0 slots=8");
    expect(await second.close()).toBe(0);
  });

  it("a failed write answers 6F00 and leaves the old object: GENERATE LINK KEY changes nothing", async () => {
    const store = join(dir, "failing");
    rmSync(store, { recursive: true, force: true });
    mkdirSync(store);
    const h = start(["--storage", store]);
    expect(await h.request(PROVISION)).toBe("9000");
    const before = readFileSync(join(store, OBJECT_FILE));
    // the stand-in writes OBJECT.tmp and renames it; a directory in its place makes the write fail
    mkdirSync(join(store, `${OBJECT_FILE}.tmp`));
    expect(await h.request(GENERATE_LINK_KEY)).toBe("6f00");
    expect(readFileSync(join(store, OBJECT_FILE))).toEqual(before);
    expect(await h.request(GET_LINK_KEY)).toBe("6a88");
    expect(await h.request("80ca000200")).toBe("01000108020001009000"); // not shielded
    expect(await h.request(GET_TID)).toBe("671007e10029b0a29000");
    rmSync(join(store, `${OBJECT_FILE}.tmp`), { recursive: true });
    expect(await h.request(GENERATE_LINK_KEY)).toMatch(/^[0-9a-f]{128}9000$/);
    expect(await h.close()).toBe(0);
  });

  it("a damaged object with a link key is refused: the session does not open", () => {
    const tidPsk = fromHex("671007e10029b0a200112233445566778899aabbccddeeff");
    const sk = fromHex("8c1fe519bf088046e4b9b634d730908f0712be1eb797bf951c803875b8270626");
    const N = fromHex("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123"); // the SM2 group order
    const good = format02(0, 1, tidPsk, sk);
    const badCheck = Buffer.from(good);
    badCheck[10]! ^= 1;
    const cases: [string, Buffer][] = [
      ["a wrong check byte", badCheck],
      ["one byte short", good.subarray(0, 59)],
      ["one byte long", Buffer.concat([good, Buffer.of(0)])],
      ["locked without an identity", format02(1, 0, new Uint8Array(24), sk)],
      ["an identity flag of 2", format02(0, 2, tidPsk, sk)],
      ["format 01 of format 02's length", Buffer.from([1, ...good.subarray(1)])],
      ["SK.SE zero", format02(0, 1, tidPsk, new Uint8Array(32))],
      ["SK.SE the group order", format02(0, 1, tidPsk, N)],
    ];
    const store = join(dir, "damaged");
    rmSync(store, { recursive: true, force: true });
    mkdirSync(store);
    writeFileSync(join(store, OBJECT_FILE), good);
    const ok = spawnSync(exe, ["--storage", store], { input: `${GET_LINK_KEY}\n`, encoding: "utf8" });
    expect([ok.status, ok.stdout.trim()]).toEqual([
      0,
      "2a8b8780ed9d7f5020744738b6d22973837a8ecf3582534ba1d1f34e221dbaf1b8b38670af94ee815d449db34a7f4e6d7410b2796372305d37a818c9f558d4779000",
    ]);
    for (const [what, bytes] of cases) {
      writeFileSync(join(store, OBJECT_FILE), bytes);
      const r = spawnSync(exe, ["--storage", store], { input: "", encoding: "utf8" });
      expect(r.status, what).toBe(1);
      expect(r.stderr, what).toMatch(/TEE_ERROR_CORRUPT_OBJECT/);
    }
  });

  it("an INTL identity is format 03 and survives processes; SM identities stay formats 01 / 02, which an older TA reads", async () => {
    const store = join(dir, "intl");
    rmSync(store, { recursive: true, force: true });
    mkdirSync(store);
    const object = () => readFileSync(join(store, OBJECT_FILE));
    const first = start(["--storage", store]);
    expect(await first.request(PROVISION_INTL)).toBe("9000");
    expect(await first.close()).toBe(0);
    expect([object().length, ...object().subarray(0, 4)]).toEqual([61, 3, 0, 0, 1]); // format 03, unlocked, no link key, INTL
    expect(toHex(object().subarray(4, 28))).toBe("671007e10029b0a200112233445566778899aabbccddeeff");
    expect(toHex(object().subarray(28, 60))).toBe("00".repeat(32)); // no SK.SE
    const second = start(["--storage", store]);
    expect(await second.request(GET_SUITE)).toBe("019000");
    expect(await second.request(GET_TID)).toBe("671007e10029b0a29000");
    const generated = await second.request(GENERATE_LINK_KEY);
    expect(generated).toMatch(/^[0-9a-f]{128}9000$/);
    const pk = generated.slice(0, 128);
    expect(await second.close()).toBe(0);
    expect([object().length, ...object().subarray(0, 4)]).toEqual([61, 3, 0, 1, 1]); // the link key joins the INTL identity
    const third = start(["--storage", store]);
    expect(await third.request(GET_SUITE)).toBe("019000"); // GET DATA runs in clear on a shielded TA
    expect(await third.request(GET_LINK_KEY)).toBe(`${pk}9000`);
    const s = await openLink(third, pk);
    expect(await protectedCommand(third, s, 0x80, 0xca, 0, 5)).toEqual({ data: "01", sw: "9000" });
    expect(await protectedCommand(third, s, 0x80, 0xea, 0, 0)).toEqual({ data: "", sw: "9000" }); // LOCK fixes the suite too
    expect(await third.close()).toBe(0);
    expect([...object().subarray(0, 4)]).toEqual([3, 1, 1, 1]);
    const fourth = start(["--storage", store]);
    expect(await fourth.request(GET_SUITE)).toBe("019000");
    expect(await fourth.request("!info")).toBe("info version=0100 flags=1 lifecycle=2 slots=8");
    expect(await fourth.close()).toBe(0);

    // re-PROVISION to SM (Lc 24) writes the old formats again: 01 without a link key
    const sm = join(dir, "intl-to-sm");
    rmSync(sm, { recursive: true, force: true });
    mkdirSync(sm);
    const h = start(["--storage", sm]);
    expect(await h.request(PROVISION_INTL)).toBe("9000");
    expect(readFileSync(join(sm, OBJECT_FILE))[0]).toBe(3);
    expect(await h.request(PROVISION)).toBe("9000");
    expect(await h.request(GET_SUITE)).toBe("009000");
    expect([...readFileSync(join(sm, OBJECT_FILE))]).toEqual([...format01(0, fromHex("671007e10029b0a200112233445566778899aabbccddeeff"))]);
    expect(await h.request(`${PROVISION.replace("80d8000018", "80d8000019")}00`)).toBe("9000"); // suite byte 00: SM, format 01 too
    expect(readFileSync(join(sm, OBJECT_FILE))).toHaveLength(27);
    expect(await h.request(PROVISION_INTL)).toBe("9000");
    expect(await h.request(GENERATE_LINK_KEY)).toMatch(/^[0-9a-f]{128}9000$/);
    expect(await h.close()).toBe(0);
    const paired = start(["--storage", sm]);
    const ps = await openLink(paired, (await paired.request(GET_LINK_KEY)).slice(0, 128));
    const back = ps.wrapCommand({ cla: 0x80, ins: 0xd8, p1: 0, p2: 0 }, fromHex(PROVISION.slice(10)));
    const r = fromHex(await paired.request(toHex(Uint8Array.of(0x84, 0xd8, 0, 0, back.length, ...back))));
    expect(toHex(ps.unwrapResponse(r.subarray(0, r.length - 2), 0x9000))).toBe("");
    expect(await paired.close()).toBe(0);
    const sm02 = readFileSync(join(sm, OBJECT_FILE));
    expect([sm02.length, ...sm02.subarray(0, 3)]).toEqual([60, 2, 0, 1]); // SM with a link key: format 02, as before the suite
  });

  it("objects of the formats before the suite read as suite SM", () => {
    const tidPsk = fromHex("671007e10029b0a200112233445566778899aabbccddeeff");
    const sk = fromHex("8c1fe519bf088046e4b9b634d730908f0712be1eb797bf951c803875b8270626");
    const store = join(dir, "old-formats");
    rmSync(store, { recursive: true, force: true });
    mkdirSync(store);
    for (const [what, bytes, lifecycle] of [
      ["format 01", format01(0, tidPsk), "1"],
      ["format 01, locked", format01(1, tidPsk), "2"],
      ["format 02", format02(0, 1, tidPsk, sk), "1"],
      ["format 02, locked", format02(1, 1, tidPsk, sk), "2"],
    ] as const) {
      writeFileSync(join(store, OBJECT_FILE), bytes);
      const r = spawnSync(exe, ["--storage", store], { input: `${GET_SUITE}\n${GET_TID}\n!info\n`, encoding: "utf8" });
      expect([r.status, r.stdout.trim().split("\n")], what).toEqual([
        0,
        ["009000", "671007e10029b0a29000", `info version=0100 flags=1 lifecycle=${lifecycle} slots=8`],
      ]);
    }
    // and an SM identity from an old object authenticates in SM: the worked example's authcode
    writeFileSync(join(store, OBJECT_FILE), format01(0, tidPsk));
    const kat = spawnSync(exe, ["--storage", store], {
      input: `!inject ec8f9eabc6fbab64689bef2cf4efec9c8f965f5e166f97efe5028ccbdb56c565b9604bd75bd4c15b2587bc2b7faf4757\n80dc01000600005d19e2af00\n`,
      encoding: "utf8",
    });
    expect(kat.stdout.trim().split("\n")[1]).toMatch(/^0110021000005d19e2af671007e10029b0a2ec8f9eabc6.*9000$/);
  });

  it("a damaged format-03 object is refused: the session does not open", () => {
    const tidPsk = fromHex("671007e10029b0a200112233445566778899aabbccddeeff");
    const sk = fromHex("8c1fe519bf088046e4b9b634d730908f0712be1eb797bf951c803875b8270626");
    const good = format03(0, 1, 1, tidPsk, sk);
    const badCheck = Buffer.from(good);
    badCheck[12]! ^= 1;
    const cases: [string, Buffer][] = [
      ["a wrong check byte", badCheck],
      ["one byte short", good.subarray(0, 60)],
      ["one byte long", Buffer.concat([good, Buffer.of(0)])],
      ["suite byte 00 (SM is written as format 01 / 02)", format03(0, 1, 0, tidPsk, sk)],
      ["suite byte 02", format03(0, 1, 2, tidPsk, sk)],
      ["locked flag 2", format03(2, 1, 1, tidPsk, sk)],
      ["link flag 2", format03(0, 2, 1, tidPsk, sk)],
      ["no link key but SK.SE not zero", format03(0, 0, 1, tidPsk, sk)],
      ["SK.SE zero", format03(0, 1, 1, tidPsk, new Uint8Array(32))],
      ["format 02 of format 03's length", Buffer.from([2, ...good.subarray(1)])],
    ];
    const store = join(dir, "damaged-03");
    rmSync(store, { recursive: true, force: true });
    mkdirSync(store);
    for (const [what, bytes] of [
      ["with a link key", good],
      ["without", format03(0, 0, 1, tidPsk, new Uint8Array(32))],
    ] as const) {
      writeFileSync(join(store, OBJECT_FILE), bytes);
      const ok = spawnSync(exe, ["--storage", store], { input: `${GET_SUITE}\n${GET_TID}\n`, encoding: "utf8" });
      expect([ok.status, ok.stdout.trim()], what).toEqual([0, "019000\n671007e10029b0a29000"]);
    }
    for (const [what, bytes] of cases) {
      writeFileSync(join(store, OBJECT_FILE), bytes);
      const r = spawnSync(exe, ["--storage", store], { input: "", encoding: "utf8" });
      expect(r.status, what).toBe(1);
      expect(r.stderr, what).toMatch(/TEE_ERROR_CORRUPT_OBJECT/);
    }
  });

  it("--kat: the worked example, GB/T 32907, suite INTL's worked example and the shielded link's worked example through TRANSMIT", () => {
    const r = spawnSync(exe, ["--kat"], { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(
      [
        ...["select", "provision", "get-tid", "auth-begin", "auth-finish", "slots", "sm4-load", "sm4-ecb"],
        ...["intl-provision", "intl-suite", "intl-auth-begin", "intl-auth-finish", "intl-aes-ecb"],
        ...["link-generate", "link-pk", "link-open", "link-get-tid", "link-load-key", "link-replay", "link-info", "link-clear-refused"],
      ].map((s) => `kat ${s} ok`),
    );
  });
});
