// The wasm's host half of the shielded SE link (assembly/tid/se-link.ts; docs/se-profile.md "The
// shielded link") checked against independent truth: the worked example of
// test/vectors/se-link-example.json (made with node:crypto alone) byte for byte on every build,
// and the node:crypto SE half of reference/secure-link.ts answering as an SE with another static
// key (an impostor: refused before any command is sent).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TidClient } from "../../bindings/client.js";
import { TidError } from "../../bindings/errors.js";
import type { WasmBuild } from "../../bindings/wasm.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { seOpen, sm2Keygen } from "../../reference/index.js";
import { BUILDS } from "../support/tid.js";

interface LinkCommand {
  name: string;
  plainApdu: string;
  D: string;
  protectedApdu: string;
  R: string;
  SW: string;
  protectedResponse: string;
}
interface LinkExample {
  TID: string;
  PK_SE: string;
  SK_SE: string;
  hostEphemeralPrivate: string;
  challenge: string;
  openCommand: string;
  openResponse: string;
  commands: LinkCommand[];
}
const EX: LinkExample = JSON.parse(readFileSync(new URL("../vectors/se-link-example.json", import.meta.url), "utf8"));

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

function errorOf(fn: () => unknown): TidError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TidError) return e;
    throw e;
  }
  throw new Error("expected a TidError");
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
  it("reproduces the worked example byte for byte: SELECT, OPEN SECURE SESSION, protected GET DATA and LOAD SESSION KEY", async () => {
    const [getTid, loadKey] = EX.commands;
    expect(getTid!.name).toBe("GET DATA (TID)");
    expect(loadKey!.name).toMatch(/^LOAD SESSION KEY/);
    const link = scriptedLink([
      [SELECT, FCI],
      [EX.openCommand, EX.openResponse],
      [getTid!.protectedApdu, getTid!.protectedResponse],
      [loadKey!.protectedApdu, loadKey!.protectedResponse],
    ]);
    const client = await exampleClient(build, link);
    expect(client.linkState).toBe("shielded");
    client.init();
    expect(client.linkState).toBe("session-open");
    expect(toHex(client.tid)).toBe(EX.TID);
    client.importSessionKey(0, fromHex(loadKey!.D));
    expect(link.sent).toHaveLength(4);
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
    const e = errorOf(() => client.init());
    expect(e.status).toBe("ERR_SE_NOT_AUTHENTIC");
    expect(sent.map((h) => h.slice(0, 4))).toEqual(["00a4", "8088"]);
    expect(client.linkState).toBe("shielded");
    // every later call opens again and is refused again; nothing goes out in clear
    expect(errorOf(() => client.init()).status).toBe("ERR_SE_NOT_AUTHENTIC");
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
      expect(errorOf(() => client.init()).status, openAnswer).toBe("ERR_SE_NOT_AUTHENTIC");
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
    expect(errorOf(() => client.init()).status).toBe("ERR_SE_NOT_AUTHENTIC");
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
