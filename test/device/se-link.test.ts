// The wasm's host half of the shielded SE link (assembly/tid/se-link.ts; docs/se-profile.md "The
// shielded link") checked against independent truth: the worked example of
// test/vectors/se-link-example.json (made with node:crypto alone) byte for byte on every build,
// and the node:crypto SE half of reference/secure-link.ts answering as an SE with another static
// key (an impostor: refused before any command is sent); an INTL identity behind the same link.
import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TidClient } from "../../bindings/client.js";
import type { WasmBuild } from "../../bindings/wasm.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { protectCommand, protectResponse, seOpen, sm2Keygen } from "../../reference/index.js";
import { createSimulatedStack } from "../../hal/index.js";
import { BUILDS, answer, randomIdentity } from "../support/tid.js";
import { LINK_EXAMPLE } from "../support/se-link.js";
import { statusOf } from "../support/assertions.js";

const EX = LINK_EXAMPLE;

const SELECT = "00a4040009f0544944415050763100";
const FCI = "6f0f8409f05449444150507631850201009000";

/** A host entropy source that hands out `chunks` in order (then fails). */
function scriptedRandom(chunks: Uint8Array[]): (out: Uint8Array) => number {
  const queue = chunks.map((c) => c.slice());
  return (out) => {
    const next = queue.shift();
    if (!next || next.length !== out.length) return 1;
    out.set(next);
    return 0;
  };
}

/** A link that expects exactly these command APDUs (hex) and answers each with its response. */
function scriptedLink(script: [string, string][]): { transceiveSync(apdu: Uint8Array): Uint8Array; sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    transceiveSync(apdu: Uint8Array): Uint8Array {
      const hex = toHex(apdu);
      sent.push(hex);
      const step = script.shift();
      if (!step) throw new Error(`unexpected APDU ${hex}`);
      if (step[0] !== hex) throw new Error(`expected APDU ${step[0]}, got ${hex}`);
      return fromHex(step[1]);
    },
  };
}

async function exampleClient(build: WasmBuild, link: { transceiveSync(apdu: Uint8Array): Uint8Array }): Promise<TidClient> {
  return TidClient.create({
    backend: "se",
    build,
    link,
    linkKey: fromHex(EX.PK_SE),
    random: scriptedRandom([fromHex(EX.hostEphemeralPrivate), fromHex(EX.challenge)]),
  });
}

describe.each(BUILDS)("shielded link, wasm host (%s build)", (build) => {
  it("reproduces the worked example byte for byte: SELECT, OPEN SECURE SESSION, protected GET DATA (TID); then the suite and LOAD SESSION KEY as the reference protects them", async () => {
    const [getTid, loadKey] = EX.commands;
    expect(getTid!.name).toBe("GET DATA (TID)");
    expect(loadKey!.name).toMatch(/^LOAD SESSION KEY/);
    // init() reads the suite (GET DATA 00 05) after the TID, so LOAD SESSION KEY is command 3 here,
    // not the example's command 2: both are protected by the node:crypto reference with the
    // example's session keys and MAC chain.
    const keys = { sEnc: fromHex(EX.S_ENC), sMac: fromHex(EX.S_MAC), sRmac: fromHex(EX.S_RMAC) };
    const suiteCmd = protectCommand(keys, fromHex(getTid!.cmac), 2, { cla: 0x80, ins: 0xca, p1: 0, p2: 5 }, new Uint8Array(0));
    const suiteRsp = protectResponse(keys, suiteCmd.chain, 2, Uint8Array.of(0x00), 0x9000);
    const keyCmd = protectCommand(keys, suiteCmd.chain, 3, { cla: 0x80, ins: 0x5a, p1: 0, p2: 0 }, fromHex(loadKey!.D));
    const keyRsp = protectResponse(keys, keyCmd.chain, 3, new Uint8Array(0), 0x9000);
    const apduHex = (ins: string, data: Uint8Array) => `84${ins}${toHex(Uint8Array.of(data.length))}${toHex(data)}00`;
    const link = scriptedLink([
      [SELECT, FCI],
      [EX.openCommand, EX.openResponse],
      [getTid!.protectedApdu, getTid!.protectedResponse],
      [apduHex("ca0005", suiteCmd.data), toHex(suiteRsp.data) + "9000"],
      [apduHex("5a0000", keyCmd.data), toHex(keyRsp.data) + "9000"],
    ]);
    const client = await exampleClient(build, link);
    expect(client.linkState).toBe("shielded");
    client.init();
    expect(client.linkState).toBe("session-open");
    expect(toHex(client.tid)).toBe(EX.TID);
    expect(client.suite).toBe("sm");
    client.importSessionKey(0, fromHex(loadKey!.D));
    expect(link.sent).toHaveLength(5);
  });

  it("an SE that answers with another static key is refused (ERR_SE_NOT_AUTHENTIC) and hears nothing after OPEN", async () => {
    const other = sm2Keygen();
    const sent: string[] = [];
    const link = {
      transceiveSync(apdu: Uint8Array): Uint8Array {
        sent.push(toHex(apdu));
        if (apdu[1] === 0xa4) return fromHex(FCI);
        if (apdu[0] === 0x80 && apdu[1] === 0x88) {
          const { answer, session } = seOpen(other.privateKey, apdu.subarray(5, 85));
          session.wipe();
          return Uint8Array.from([...answer, 0x90, 0x00]);
        }
        return fromHex("6d00");
      },
    };
    const client = await TidClient.create({ backend: "se", build, link, linkKey: fromHex(EX.PK_SE) });
    expect(statusOf(() => client.init())).toBe("ERR_SE_NOT_AUTHENTIC");
    expect(sent.map((h) => h.slice(0, 4))).toEqual(["00a4", "8088"]);
    expect(client.linkState).toBe("shielded");
    // every later call opens again and is refused again; nothing goes out in clear
    expect(statusOf(() => client.init())).toBe("ERR_SE_NOT_AUTHENTIC");
    expect(sent.every((h) => h.startsWith("00a4") || h.startsWith("8088"))).toBe(true);
  });

  it("an SE with no link key (OPEN → 6985) or an answer of the wrong size is not authentic", async () => {
    const answer = EX.openResponse.slice(0, -4); // ePK.SE ‖ receipt, without its SW
    for (const openAnswer of ["6985", "9000", answer.slice(0, 158) + "9000", answer + "009000"]) {
      const link = {
        transceiveSync(apdu: Uint8Array): Uint8Array {
          if (apdu[1] === 0xa4) return fromHex(FCI);
          if (apdu[1] === 0x88) return fromHex(openAnswer);
          throw new Error(`sent ${toHex(apdu)} after a failed OPEN`);
        },
      };
      const client = await TidClient.create({ backend: "se", build, link, linkKey: fromHex(EX.PK_SE) });
      expect(
        statusOf(() => client.init()),
        openAnswer,
      ).toBe("ERR_SE_NOT_AUTHENTIC");
    }
  });

  it("an ePK.SE that is not a curve point is not authentic", async () => {
    const bad = fromHex(EX.openResponse.slice(0, -4));
    bad[63]! ^= 1;
    const link = {
      transceiveSync(apdu: Uint8Array): Uint8Array {
        if (apdu[1] === 0xa4) return fromHex(FCI);
        if (apdu[1] === 0x88) return Uint8Array.from([...bad, 0x90, 0x00]);
        throw new Error("sent a command after a failed OPEN");
      },
    };
    const client = await TidClient.create({ backend: "se", build, link, linkKey: fromHex(EX.PK_SE) });
    expect(statusOf(() => client.init())).toBe("ERR_SE_NOT_AUTHENTIC");
  });
});

describe("shielded link options", () => {
  const link = { transceiveSync: () => fromHex("9000") };

  it("an SE client must say shielded (linkKey) or unshielded: true", async () => {
    await expect(TidClient.create({ backend: "se", link } as never)).rejects.toThrow(/linkKey .* is required; pass unshielded: true/);
    await expect(TidClient.create({ backend: "se", link, linkKey: fromHex(EX.PK_SE), unshielded: true })).rejects.toThrow(
      /either linkKey .* or unshielded: true/,
    );
    const plain = await TidClient.create({ backend: "se", link, unshielded: true });
    expect(plain.shielded).toBe(false);
    expect(plain.linkState).toBe("unshielded");
  });

  it("linkKey must be 64 bytes and a point of the curve", async () => {
    await expect(TidClient.create({ backend: "se", link, linkKey: new Uint8Array(65) })).rejects.toThrow(RangeError);
    await expect(TidClient.create({ backend: "se", link, linkKey: "04" as never })).rejects.toThrow(TypeError);
    const off = fromHex(EX.PK_SE);
    off[63]! ^= 1;
    await expect(TidClient.create({ backend: "se", link, linkKey: off })).rejects.toThrow(/not a point of the SM2 curve/);
  });

  it("the raw export refuses a pin on the soft backend, before a backend, with a bad length or off the curve", async () => {
    const c = await TidClient.create({ backend: "soft", identity: { tid: new Uint8Array(8), psk: new Uint8Array(16) } });
    const x = c.wasm.exports;
    const io = c.wasm.ioPtr;
    expect(x.tid_se_pin_link_key!(io, 64)).toBe(-100); // ERR_BAD_PARAM: soft backend
    expect(x.tid_close!()).toBe(0);
    expect(x.tid_se_pin_link_key!(io, 64)).toBe(-200); // ERR_NOT_INITIALISED: no backend
    expect(x.tid_set_backend!(2)).toBe(0);
    expect(x.tid_se_pin_link_key!(io, 65)).toBe(-102); // ERR_BAD_LENGTH
    new Uint8Array(c.wasm.memory.buffer).fill(0, io, io + 64);
    expect(x.tid_se_pin_link_key!(io, 64)).toBe(-400); // ERR_BAD_POINT
    new Uint8Array(c.wasm.memory.buffer).set(fromHex(EX.PK_SE), io);
    expect(x.tid_se_pin_link_key!(0xffff_fff0, 64)).toBe(-104); // ERR_OUT_OF_BOUNDS
    expect(x.tid_se_pin_link_key!(io, 64)).toBe(0);
    expect(x.tid_se_link_state!()).toBe(1);
    expect(x.tid_se_pin_link_key!(io, 0)).toBe(0);
    expect(x.tid_se_link_state!()).toBe(0);
  });
});

// ---- the wasm host against the simulated SE (its node:crypto half of the link), on both buses ----

const BUSES = ["i2c", "spi"] as const;

/** A paired simulated SE behind a link the test can tamper with, and a shielded wasm client on it. */
async function shieldedPair(bus: "i2c" | "spi", options: { returnToken?: boolean; suite?: "sm" | "intl" } = {}) {
  const identity = { ...randomIdentity(), suite: options.suite ?? "sm" };
  const linkPrivate = sm2Keygen().privateKey;
  const stack = createSimulatedStack({ bus, identity, linkKey: linkPrivate });
  const pk = stack.sim.applet.linkPublicKey()!;
  /** a man in the middle at the APDU level: sees and may replace each command and answer */
  const mitm: {
    onCommand?: (apdu: Uint8Array) => Uint8Array | "drop";
    onResponse?: (rsp: Uint8Array, apdu: Uint8Array) => Uint8Array;
    log: { apdu: string; rsp: string }[];
  } = { log: [] };
  const link = {
    transceiveSync(apdu: Uint8Array): Uint8Array {
      const cmd = mitm.onCommand ? mitm.onCommand(apdu) : apdu;
      if (cmd === "drop") throw Object.assign(new Error("dropped in flight"), { status: "ERR_SE_TIMEOUT" });
      let rsp = stack.link.transceiveSync(cmd);
      if (mitm.onResponse) rsp = mitm.onResponse(rsp, cmd);
      mitm.log.push({ apdu: toHex(cmd), rsp: toHex(rsp) });
      return rsp;
    },
  };
  const client = await TidClient.create({
    backend: "se",
    link,
    linkKey: pk,
    build: "release",
    ...(options.returnToken !== undefined ? { returnToken: options.returnToken } : {}),
  });
  return { identity, stack, client, mitm, pk };
}

const opens = (log: { apdu: string }[]): number => log.filter((e) => e.apdu.startsWith("8088")).length;

function authenticate(client: TidClient, identity: { tid: Uint8Array; psk: Uint8Array; suite?: "sm" | "intl" }) {
  const authcode = client.getAuthcode();
  const { serverData, token } = answer(authcode, identity);
  return { serverData, token: token! };
}

describe.each(BUSES)("shielded link, wasm host on the simulated SE (%s)", (bus) => {
  it("authenticates, keeps the token and the slot keys out of clear APDUs, and uses the slot inside the SE", async () => {
    const { identity, stack, client, mitm } = await shieldedPair(bus);
    client.init();
    expect(toHex(client.tid)).toBe(toHex(identity.tid));
    const { serverData, token } = authenticate(client, identity);
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token));
    expect(toHex(stack.sim.applet.peekSlot(0)!)).toBe(toHex(token));
    const pt = randomBytes(480);
    const ct = client.symCrypto(0, pt, true);
    expect(toHex(client.symCrypto(0, ct, false))).toBe(toHex(pt));
    client.importSessionKey(3, token);
    expect(toHex(stack.sim.applet.peekSlot(3)!)).toBe(toHex(token));
    // after SELECT and OPEN every APDU went protected (CLA 84), and the token is in none of them
    const after = mitm.log.slice(2);
    expect(after.every((e) => e.apdu.startsWith("84") || e.apdu.startsWith("94"))).toBe(true);
    const all = mitm.log.map((e) => e.apdu + e.rsp).join("");
    expect(all).not.toContain(toHex(token));
    expect(all).not.toContain(toHex(identity.tid) + toHex(identity.psk));
    expect(opens(mitm.log)).toBe(1);
    expect(client.linkState).toBe("session-open");
  });

  it("suite INTL over the SM2/SM3/SM4 link: tid_suite() 1, an INTL authentication, AES-128 CIPHER inside the SE", async () => {
    const { identity, stack, client, mitm } = await shieldedPair(bus, { suite: "intl" });
    client.init();
    expect(client.suite).toBe("intl");
    const authcode = client.getAuthcode();
    expect(toHex(authcode.subarray(1, 3))).toBe("2003");
    const { serverData, token } = answer(authcode, identity);
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
    expect(toHex(stack.sim.applet.peekSlot(0)!)).toBe(toHex(token!));
    const pt = new Uint8Array(randomBytes(480));
    const aes = createCipheriv("aes-128-ecb", token!, null).setAutoPadding(false);
    expect(toHex(client.symCrypto(0, pt, true))).toBe(toHex(Buffer.concat([aes.update(pt), aes.final()])));
    // every command after SELECT and OPEN was protected, the token in none of them
    expect(mitm.log.slice(2).every((e) => e.apdu.startsWith("84") || e.apdu.startsWith("94"))).toBe(true);
    expect(mitm.log.map((e) => e.apdu + e.rsp).join("")).not.toContain(toHex(token!));
    expect(opens(mitm.log)).toBe(1);
  });

  it("a reset of the SE ends its session: the next command opens a new one and runs (GET DATA, SM4 CIPHER)", async () => {
    const { identity, stack, client, mitm } = await shieldedPair(bus);
    client.init();
    client.importSessionKey(1, identity.psk);
    stack.sim.chip.reset();
    // the slot is gone with the reset (RAM): the repeated SM4 CIPHER is refused by the SE, authentically
    expect(statusOf(() => client.symCrypto(1, new Uint8Array(16), true))).toBe("ERR_SLOT_EMPTY");
    expect(opens(mitm.log)).toBe(2);
    client.importSessionKey(1, identity.psk);
    expect(client.symCrypto(1, new Uint8Array(16), true)).toHaveLength(16);
  });

  it("a response altered in flight: a repeatable command is repeated in a new session, AUTH FINISH fails typed and installs nothing", async () => {
    const { identity, stack, client, mitm } = await shieldedPair(bus);
    client.init();
    let flip = true;
    mitm.onResponse = (rsp, apdu) => {
      if (flip && apdu[0] === 0x84 && apdu[1] === 0x5a) {
        flip = false;
        const bad = rsp.slice();
        bad[0]! ^= 0x01;
        return bad;
      }
      return rsp;
    };
    client.importSessionKey(2, identity.psk); // repeated after ERR_SE_BAD_MAC on the first answer
    expect(opens(mitm.log)).toBe(2);
    const authcode = client.getAuthcode();
    const { serverData } = answer(authcode, identity);
    mitm.onResponse = (rsp, apdu) => {
      if (apdu[1] === 0xdc && apdu[2] === 0x02 && (apdu[0] & 0x10) === 0) {
        const bad = rsp.slice();
        bad[3]! ^= 0x80; // inside the encrypted token
        return bad;
      }
      return rsp;
    };
    expect(statusOf(() => client.validate(serverData))).toBe("ERR_SE_BAD_MAC");
    expect(() => client.seal(0, new Uint8Array(4))).toThrow(/ERR_SLOT_EMPTY/); // nothing installed in the wasm
    mitm.onResponse = undefined;
    expect(client.getAuthcode()).toHaveLength(132); // the link recovers with a new session
    expect(stack.sim.applet.inspect().pending).toBe(true);
  });

  it("a replayed or reordered answer never verifies", async () => {
    const { identity, client, mitm } = await shieldedPair(bus);
    client.init();
    client.importSessionKey(0, identity.psk);
    const old = fromHex(mitm.log.at(-1)!.rsp); // the protected 9000 of that LOAD SESSION KEY
    const authcode = client.getAuthcode();
    const { serverData } = answer(authcode, identity);
    mitm.onResponse = (rsp, apdu) => (apdu[1] === 0xdc && apdu[2] === 0x02 && (apdu[0] & 0x10) === 0 ? old : rsp);
    expect(statusOf(() => client.validate(serverData))).toBe("ERR_SE_BAD_MAC");
  });

  it("a command altered in flight is refused by the SE before it runs (bare 6982); the host opens again and repeats it", async () => {
    const { identity, stack, client, mitm } = await shieldedPair(bus);
    client.init();
    let flip = true;
    mitm.onCommand = (apdu) => {
      if (flip && apdu[0] === 0x84 && apdu[1] === 0x5a) {
        flip = false;
        const bad = apdu.slice();
        bad[7]! ^= 0x04; // in the ciphertext of the key
        return bad;
      }
      return apdu;
    };
    client.importSessionKey(4, identity.psk);
    const sws = mitm.log.filter((e) => e.apdu.startsWith("845a")).map((e) => e.rsp.slice(-4));
    expect(sws[0]).toBe("6982");
    expect(mitm.log.find((e) => e.apdu.startsWith("845a"))!.rsp).toBe("6982"); // bare: no R-MAC
    expect(toHex(stack.sim.applet.peekSlot(4)!)).toBe(toHex(identity.psk));
    expect(opens(mitm.log)).toBe(2);
  });

  it("an AUTH FINISH altered in flight did not run (bare 6982), so it is repeated in a new session and succeeds", async () => {
    const { identity, client, mitm } = await shieldedPair(bus);
    client.init();
    const { serverData, token } = authenticate(client, identity);
    let flip = true;
    mitm.onCommand = (apdu) => {
      if (flip && apdu[1] === 0xdc && apdu[2] === 0x02 && (apdu[0] & 0x10) === 0) {
        flip = false;
        const bad = apdu.slice();
        bad[bad.length - 3]! ^= 0x10; // in the C-MAC
        return bad;
      }
      return apdu;
    };
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token));
    expect(opens(mitm.log)).toBe(2);
  });

  it("an AUTH FINISH dropped in flight is not repeated blindly: a typed error, and the next authentication works", async () => {
    const { identity, client, mitm } = await shieldedPair(bus);
    client.init();
    const authcode = client.getAuthcode();
    const { serverData } = answer(authcode, identity);
    mitm.onCommand = (apdu) => (apdu[1] === 0xdc && apdu[2] === 0x02 ? "drop" : apdu);
    expect(statusOf(() => client.validate(serverData))).toBe("ERR_SE_TIMEOUT");
    mitm.onCommand = undefined;
    const again = authenticate(client, identity);
    expect(toHex(client.validate(again.serverData)!)).toBe(toHex(again.token));
  });

  it("an unprotected command injected after the session opened runs nothing and ends the session; the host recovers", async () => {
    const { identity, stack, client, mitm } = await shieldedPair(bus);
    client.init();
    // the intruder's LOAD SESSION KEY in clear, straight onto the bus
    const rsp = stack.link.transceiveSync(fromHex("805a000510" + "11".repeat(16)));
    expect(toHex(rsp)).toBe("6982");
    expect(stack.sim.applet.peekSlot(5)).toBeNull();
    expect(stack.sim.applet.inspect().sessionOpen).toBe(false);
    // the host's next command meets the ended session (bare 6982), opens again and repeats
    expect(toHex(client.tid)).toBe(toHex(identity.tid)); // local: no APDU
    client.eraseSlot(5);
    expect(opens(mitm.log)).toBe(2);
  });

  it("every byte of a protected AUTH FINISH answer flipped, and every shorter data length: ERR_SE_BAD_MAC, nothing installed", async () => {
    const { identity, client, mitm } = await shieldedPair(bus);
    client.init();
    const isFinish = (apdu: Uint8Array): boolean => apdu[1] === 0xdc && apdu[2] === 0x02 && (apdu[0] & 0x10) === 0;
    // the genuine answer's shape: E (the token, padded: 32) ‖ R-MAC (8) ‖ 9000
    const first = authenticate(client, identity);
    let size = 0;
    mitm.onResponse = (rsp, apdu) => ((size = isFinish(apdu) ? rsp.length : size), rsp);
    expect(toHex(client.validate(first.serverData)!)).toBe(toHex(first.token));
    expect(size).toBe(32 + 8 + 2);
    client.eraseSlot(0);
    const damage: ((r: Uint8Array) => Uint8Array)[] = [];
    for (let i = 0; i < size; i++) damage.push((r) => ((r = r.slice()), (r[i]! ^= 1 << (i % 8)), r));
    for (let n = 0; n < size - 2; n++) damage.push((r) => Uint8Array.from([...r.subarray(0, n), ...r.subarray(-2)]));
    for (const [k, hurt] of damage.entries()) {
      const { serverData } = authenticate(client, identity);
      mitm.onResponse = (rsp, apdu) => (isFinish(apdu) ? hurt(rsp) : rsp);
      const status = statusOf(() => client.validate(serverData));
      mitm.onResponse = undefined;
      // a flipped SW byte may read as a bare 6982 (the SE's "session ended"): AUTH FINISH is then
      // repeated, and the SE, whose pending request that first run consumed, answers 6985
      expect(["ERR_SE_BAD_MAC", "ERR_NO_PENDING_REQUEST"], `damage ${k}`).toContain(status);
      expect(() => client.seal(0, new Uint8Array(1)), `damage ${k}`).toThrow(/ERR_SLOT_EMPTY/);
    }
  });
});
