// The TID TA's own interface (tee/ta/tid_ta.h; docs/tee.md "Commands"), on the native build:
// parameter-type checks (TEE_ERROR_BAD_PARAMETERS), an output memref too small
// (TEE_ERROR_SHORT_BUFFER with the size needed, the command not run), an oversized input memref,
// an unknown command, INFO, the identity in persistent storage across sessions and processes (and
// a damaged object refused), and the built-in known-answer run (`ta_host --kat`).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTaHost, TaHost, taHostToolsMissing } from "./ta-host.js";

const missing = taHostToolsMissing();
if (missing) console.warn(`test/tee/ta-transport.test.ts skipped: ${missing}`);

const PROVISION = "80d8000018671007e10029b0a200112233445566778899aabbccddeeff";
const GET_TID = "80ca000100";
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

  it("INFO gives the applet version, the platform flags, the lifecycle and the slot count", async () => {
    const h = start();
    expect(await h.request("!info")).toBe("info version=0100 flags=3 lifecycle=0 slots=8");
    expect(await h.request(PROVISION)).toBe("9000");
    expect(await h.request("!info")).toBe("info version=0100 flags=3 lifecycle=1 slots=8");
    expect(await h.request("80ea0000")).toBe("9000");
    expect(await h.request("!info")).toBe("info version=0100 flags=3 lifecycle=2 slots=8");
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
    expect(files).toHaveLength(1);
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

  it("--kat: the worked example and GB/T 32907 through TRANSMIT", () => {
    const r = spawnSync(exe, ["--kat"], { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(
      ["select", "provision", "get-tid", "auth-begin", "auth-finish", "slots", "sm4-load", "sm4-ecb"].map((s) => `kat ${s} ok`),
    );
  });
});
