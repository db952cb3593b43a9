// The TID TA's own interface (tee/ta/tid_ta.h; docs/tee.md "Commands"), on the native build:
// parameter-type checks (TEE_ERROR_BAD_PARAMETERS), an output memref too small
// (TEE_ERROR_SHORT_BUFFER with the size needed, the command not run), an oversized input memref,
// an unknown command, INFO, the identity and the link key SK.SE in persistent storage across
// sessions and processes (both object formats; damaged objects refused; a failed write answered
// 6F00 with the old object kept), and the built-in known-answer run (`ta_host --kat`).
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

  it("--kat: the worked example, GB/T 32907 and the shielded link's worked example through TRANSMIT", () => {
    const r = spawnSync(exe, ["--kat"], { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(
      [
        ...["select", "provision", "get-tid", "auth-begin", "auth-finish", "slots", "sm4-load", "sm4-ecb"],
        ...["link-generate", "link-pk", "link-open", "link-get-tid", "link-load-key", "link-replay", "link-info", "link-clear-refused"],
      ].map((s) => `kat ${s} ok`),
    );
  });
});
