// The wasm's SE backend (assembly/tid/se.ts, apdu.ts) through the simulated FM SE over the real
// link drivers, on I2C and on SPI (hal createSimulatedStack): the worked example byte for byte,
// handshakes with chained commands and long responses, the token kept in the SE, slots, every
// server-data byte flipped (same statuses as the soft backend, the SW kept on the error), the
// SE's pending request erased by every validate, link faults as SE statuses; suite INTL on an
// INTL-provisioned SE (the INTL worked example, the suite read at init, on each build with INTL).
import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSimulatedStack, type SimulatedStackOptions } from "../../hal/index.js";
import { AeadSession } from "../../reference/aead.js";
import { TidClient } from "../../bindings/client.js";
import { TidError } from "../../bindings/errors.js";
import {
  EXAMPLE,
  EXAMPLE_IDENTITY,
  INTL_EXAMPLE,
  INTL_EXAMPLE_IDENTITY,
  answer,
  randomIdentity,
  type WorkedExample,
} from "../support/tid.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const BUSES = ["i2c", "spi"] as const;

function errorOf(fn: () => unknown): TidError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TidError) return e;
    throw e;
  }
  throw new Error("expected a TidError");
}

function ecb(key: Uint8Array, data: Uint8Array): string {
  const c = createCipheriv("sm4-ecb", key, null).setAutoPadding(false);
  return toHex(Buffer.concat([c.update(data), c.final()]));
}

async function seClient(bus: "i2c" | "spi", options: Partial<SimulatedStackOptions> & { returnToken?: boolean; now?: () => number } = {}) {
  const { returnToken, now, ...stackOptions } = options;
  const stack = createSimulatedStack({ bus, identity: EXAMPLE_IDENTITY, ...stackOptions });
  const client = await TidClient.create({
    backend: "se",
    unshielded: true,
    link: stack.link,
    build: "release",
    ...(returnToken !== undefined ? { returnToken } : {}),
    ...(now ? { now } : {}),
  });
  return { stack, client };
}

/** A raw APDU through the stack's link: returns the SW. */
function rawSw(stack: { link: { transceiveSync(a: Uint8Array): Uint8Array } }, apdu: Uint8Array): number {
  const r = stack.link.transceiveSync(apdu);
  return (r[r.length - 2]! << 8) | r[r.length - 1]!;
}

describe.each(BUSES)("SE backend over simulated FM %s", (bus) => {
  const ex: WorkedExample = EXAMPLE;

  it("the worked example byte for byte; the token in SE slot 0 and in the wasm for seal/open", async () => {
    const { stack, client } = await seClient(bus, { now: () => ex.deviceTime });
    client.init();
    expect(toHex(client.tid)).toBe(ex.TID);
    stack.sim.applet.injectNextAuth({ nd: fromHex(ex.Nd), ephemeralPrivate: fromHex(ex.deviceEphemeralPrivate) });
    expect(toHex(client.getAuthcode())).toBe(ex.authcode);
    const token = client.validate(fromHex(ex.serverData));
    expect(toHex(token!)).toBe(ex.sessionToken);
    expect(stack.sim.applet.inspect().slots[0]).toBe(2); // token from AUTH FINISH
    const data = new Uint8Array(randomBytes(1008)); // 5 SM4 CIPHER commands
    expect(toHex(client.symCrypto(0, data, true))).toBe(ecb(token!, data));
    expect(toHex(client.symCrypto(0, fromHex(ecb(token!, data)), false))).toBe(toHex(data));
    const server = new AeadSession(token!, "server");
    expect(toHex(server.open(client.seal(0, data)))).toBe(toHex(data));
    expect(toHex(client.open(0, server.seal(data)))).toBe(toHex(data));
    client.close();
    expect(stack.sim.applet.inspect().slots.every((s) => s === 0)).toBe(true); // ERASE SLOT FF
  });

  it("handshakes against the reference server half with long extra data (chained AUTH BEGIN/FINISH, 61xx)", async () => {
    const id = randomIdentity();
    const stack = createSimulatedStack({ bus, identity: id });
    const client = await TidClient.create({ backend: "se", unshielded: true, link: stack.link });
    client.init();
    for (const [n, m] of [
      [0, 0],
      [300, 400],
      [512, 512],
      [10, 0],
    ] as const) {
      const extra = new Uint8Array(randomBytes(n));
      const authcode = client.getAuthcode(extra);
      expect(authcode.length).toBe(132 + n);
      const { serverData, token } = answer(authcode, id, { extra: new Uint8Array(randomBytes(m)) });
      expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
      expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(ecb(token!, new Uint8Array(16)));
    }
    // keep session: no token issued, SE slot keeps its key.
    const before = client.symCrypto(0, new Uint8Array(16), true);
    const { serverData } = answer(client.getAuthcode(undefined, { keepSession: true }), id);
    expect(client.validate(serverData)).toBeNull();
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(toHex(before));
    client.close();
  });

  it("an SE answering AUTH FINISH with a token the server did not issue (or none it did) is ERR_SE_IO", async () => {
    const id = randomIdentity();
    const stack = createSimulatedStack({ bus, identity: id });
    let forge: "add" | "drop" | null = null;
    const link = {
      transceiveSync(apdu: Uint8Array): Uint8Array {
        const rsp = stack.link.transceiveSync(apdu);
        const finish = apdu[1] === 0xdc && apdu[2] === 0x02 && (apdu[0]! & 0x10) === 0;
        if (!finish || forge === null || rsp[rsp.length - 2] !== 0x90) return rsp;
        // a faulty SE: a 16-byte "token" where none was issued, or no token where one was
        return forge === "add" ? new Uint8Array([...new Uint8Array(16).fill(0x5a), 0x90, 0x00]) : new Uint8Array([0x90, 0x00]);
      },
    };
    const client = await TidClient.create({ backend: "se", unshielded: true, link });
    client.init();
    const key = new Uint8Array(randomBytes(16));
    client.importSessionKey(0, key);
    forge = "add";
    const keep = answer(client.getAuthcode(undefined, { keepSession: true }), id);
    expect(errorOf(() => client.validate(keep.serverData)).status).toBe("ERR_SE_IO");
    forge = "drop";
    const fresh = answer(client.getAuthcode(), id);
    expect(errorOf(() => client.validate(fresh.serverData)).status).toBe("ERR_SE_IO");
    // the wasm's copy of slot 0 is still the imported key: seal/open use it, nothing forged got in
    const ref = new AeadSession(key, "server");
    expect(toHex(ref.open(client.seal(0, new Uint8Array(32))))).toBe(toHex(new Uint8Array(32)));
    client.close();
  });

  it("returnToken false: the token stays in the SE; sym_crypto uses it there, seal has no copy", async () => {
    const id = randomIdentity();
    const stack = createSimulatedStack({ bus, identity: id });
    const client = await TidClient.create({ backend: "se", unshielded: true, link: stack.link, returnToken: false });
    client.init();
    client.activeSlot = 2;
    const { serverData, token } = answer(client.getAuthcode(), id);
    expect(client.validate(serverData)).toBeNull();
    expect(toHex(client.symCrypto(2, new Uint8Array(32), true))).toBe(ecb(token!, new Uint8Array(32)));
    expect(errorOf(() => client.seal(2, new Uint8Array(1))).status).toBe("ERR_SLOT_EMPTY");
    client.close();
  });

  it("import_sesskey, erase_slot, empty slot (SW 6A88 kept on the error)", async () => {
    const { stack, client } = await seClient(bus);
    client.init();
    const key = new Uint8Array(randomBytes(16));
    client.importSessionKey(7, key);
    expect(stack.sim.applet.inspect().slots[7]).toBe(1);
    const data = new Uint8Array(randomBytes(256));
    expect(toHex(client.symCrypto(7, data, true))).toBe(ecb(key, data));
    client.eraseSlot(7);
    const e = errorOf(() => client.symCrypto(7, data, true));
    expect([e.status, e.sw]).toEqual(["ERR_SLOT_EMPTY", 0x6a88]);
    expect(client.lastSw).toBe(0x6a88);
    expect(errorOf(() => client.seal(7, data)).status).toBe("ERR_SLOT_EMPTY");
    client.close();
  });

  it("sym_crypto failing on a later SM4 CIPHER command releases no partial output (raw ABI)", async () => {
    const stack = createSimulatedStack({ bus, identity: EXAMPLE_IDENTITY });
    let sm4Commands = 0;
    const link = {
      transceiveSync(apdu: Uint8Array): Uint8Array {
        if (apdu[1] === 0xda && ++sm4Commands === 2) throw new Error("bus fell off");
        return stack.link.transceiveSync(apdu);
      },
    };
    const client = await TidClient.create({ backend: "se", unshielded: true, link, build: "release" });
    client.init();
    client.importSessionKey(3, new Uint8Array(randomBytes(16)));
    const x = client.wasm.exports;
    const mem = client.wasm.bytes();
    const inPtr = client.wasm.ioPtr + 4096;
    const outPtr = inPtr + 1024;
    mem.set(randomBytes(480), inPtr);
    mem.fill(0xaa, outPtr, outPtr + 480);
    expect(x.tid_client_sym_crypto!(inPtr, outPtr, 480, 3, 1)).toBeLessThan(0);
    expect(sm4Commands).toBe(2);
    const out = client.wasm.bytes().subarray(outPtr, outPtr + 480);
    expect(out.subarray(0, 240).every((b) => b === 0)).toBe(true); // first command's output withdrawn
    expect(out.subarray(240).every((b) => b === 0xaa)).toBe(true); // the rest never written
    client.close();
  });

  it("each byte of the server data flipped: the soft backend's status, SE pending erased, nothing installed", async () => {
    const { stack, client } = await seClient(bus, { now: () => ex.deviceTime });
    client.init();
    client.importSessionKey(0, new Uint8Array(16).fill(0x33));
    const good = fromHex(ex.serverData);
    const results: string[] = [];
    for (let i = 0; i < good.length; i++) {
      stack.sim.applet.injectNextAuth({ nd: fromHex(ex.Nd), ephemeralPrivate: fromHex(ex.deviceEphemeralPrivate) });
      client.getAuthcode();
      const bad = good.slice();
      bad[i]! ^= 0xff;
      const e = errorOf(() => client.validate(bad));
      results.push(e.status);
      if (e.status === "ERR_VERIFY_FAILED") expect(e.sw).toBe(0x6300);
      else expect(e.sw).toBeUndefined(); // rejected by the wasm's own checks
      expect(stack.sim.applet.inspect().pending).toBe(false);
      expect(errorOf(() => client.validate(good)).status).toBe("ERR_NO_PENDING_REQUEST");
    }
    const want = (i: number) =>
      i === 0
        ? "ERR_UNSUPPORTED_VERSION"
        : i < 3
          ? "ERR_UNSUPPORTED_ALGORITHM"
          : i < 6 || i === 34 || i === 35
            ? "ERR_BAD_FORMAT"
            : i >= 10 && i < 18
              ? "ERR_TID_MISMATCH"
              : "ERR_VERIFY_FAILED";
    expect(results).toEqual(Array.from(good, (_, i) => want(i)));
    expect(stack.sim.applet.inspect().slots[0]).toBe(1); // still the imported key
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(ecb(new Uint8Array(16).fill(0x33), new Uint8Array(16)));
    // Truncated / over-long: rejected locally, the SE request still erased.
    for (const data of [good.subarray(0, 50), good.subarray(0, 131), new Uint8Array(700)]) {
      client.getAuthcode();
      expect(["ERR_BAD_LENGTH", "ERR_BAD_FORMAT"]).toContain(errorOf(() => client.validate(data)).status);
      expect(stack.sim.applet.inspect().pending).toBe(false);
    }
    // A second validate of a genuine answer: refused by the wasm and by the SE.
    stack.sim.applet.injectNextAuth({ nd: fromHex(ex.Nd), ephemeralPrivate: fromHex(ex.deviceEphemeralPrivate) });
    client.getAuthcode();
    expect(toHex(client.validate(good)!)).toBe(ex.sessionToken);
    expect(errorOf(() => client.validate(good)).status).toBe("ERR_NO_PENDING_REQUEST");
    const finish = new Uint8Array([0x80, 0xdc, 0x02, 0x80, good.length, ...good, 0x00]);
    expect(rawSw(stack, finish)).toBe(0x6985);
    client.close();
  });

  it("state and identity errors: unprovisioned SE, calls before init", async () => {
    const stack = createSimulatedStack({ bus });
    const client = await TidClient.create({ backend: "se", unshielded: true, link: stack.link });
    expect(errorOf(() => client.getAuthcode()).status).toBe("ERR_NOT_INITIALISED");
    const e = errorOf(() => client.init());
    expect([e.status, e.sw]).toEqual(["ERR_NOT_INITIALISED", 0x6a88]);
    client.close();
  });

  it("link failures become SE statuses with the link error as the cause", async () => {
    const linkTiming = { timeoutMs: 50, deadlineMs: 200 };
    const nacking = await seClient(bus, { linkTiming, faults: { script: [{ kind: "nack", count: 1_000_000 }] } });
    const n = errorOf(() => nacking.client.init());
    expect(["ERR_SE_NACK", "ERR_SE_TIMEOUT"]).toContain(n.status);
    expect(n.cause).toBeInstanceOf(Error);
    const dropping = await seClient(bus, { linkTiming, faults: { script: [{ kind: "drop", count: 1_000_000 }] } });
    expect(["ERR_SE_TIMEOUT", "ERR_SE_NACK", "ERR_SE_IO"]).toContain(errorOf(() => dropping.client.init()).status);
    // A noisy bus (random faults the link driver mostly recovers from): every call either works or
    // fails with an SE/link status, and the client keeps working once the noise stops.
    const noisy = await seClient(bus, { faults: { rate: 0.02, seed: 7, kinds: ["corrupt", "nack"] } });
    let ok = 0;
    for (let i = 0; i < 10; i++) {
      try {
        noisy.client.init();
        const { serverData, token } = answer(noisy.client.getAuthcode(), EXAMPLE_IDENTITY);
        expect(toHex(noisy.client.validate(serverData)!)).toBe(toHex(token!));
        ok++;
      } catch (e) {
        expect(e).toBeInstanceOf(TidError);
        expect((e as TidError).layer).toMatch(/se|protocol|state/);
      }
    }
    expect(ok).toBeGreaterThan(0);
    const { client } = await seClient(bus);
    client.init();
    const dead = await TidClient.create({
      backend: "se",
      unshielded: true,
      link: {
        transceiveSync: () => {
          throw Object.assign(new Error("gone"), { status: "ERR_SE_TIMEOUT" });
        },
      },
    });
    const e = errorOf(() => dead.init());
    expect(e.status).toBe("ERR_SE_TIMEOUT");
    expect((e.cause as Error).message).toBe("gone");
    const garbage = await TidClient.create({ backend: "se", unshielded: true, link: { transceiveSync: () => new Uint8Array([0x90]) } });
    expect(errorOf(() => garbage.init()).status).toBe("ERR_SE_IO");
    const huge = await TidClient.create({
      backend: "se",
      unshielded: true,
      link: { transceiveSync: () => new Uint8Array(300).fill(0x90) },
    });
    expect(errorOf(() => huge.init()).status).toBe("ERR_SE_IO");
    // An SE that answers 61xx forever cannot hold the call.
    const looping = await TidClient.create({
      backend: "se",
      unshielded: true,
      link: { transceiveSync: () => new Uint8Array([0x61, 0x10]) },
    });
    expect(errorOf(() => looping.init()).status).toBe("ERR_SE_IO");
    client.close();
  });
});

// Suite INTL on the SE (docs/se-profile.md "Algorithm suites"): the applet's identity is INTL, so
// init() reads suite 1 and the wasm's checks follow it, on the builds with both suites.
describe.each(["release", "portable", "debug"] as const)("SE backend, suite INTL (%s build)", (build) => {
  it.each(BUSES)("over %s: tid_suite() is 1 after init; a full authentication, sym_crypto and AEAD in INTL", async (bus) => {
    const identity = { ...randomIdentity(), suite: "intl" as const };
    const stack = createSimulatedStack({ bus, identity });
    const client = await TidClient.create({ backend: "se", unshielded: true, link: stack.link, build });
    expect(client.suite).toBe("sm"); // nothing read yet
    client.init();
    expect(client.suite).toBe("intl");
    expect(client.wasm.exports.tid_suite!()).toBe(1);
    for (let round = 0; round < 2; round++) {
      const authcode = client.getAuthcode(new Uint8Array(round * 300));
      expect(toHex(authcode.subarray(0, 4))).toBe("01200310");
      const { serverData, token } = answer(authcode, identity, { issueToken: true });
      expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
      const data = new Uint8Array(randomBytes(496)); // 3 CIPHER commands
      const aes = createCipheriv("aes-128-ecb", token!, null).setAutoPadding(false);
      const want = toHex(Buffer.concat([aes.update(data), aes.final()]));
      expect(toHex(client.symCrypto(0, data, true))).toBe(want);
      expect(toHex(client.symCrypto(0, fromHex(want), false))).toBe(toHex(data));
      const server = new AeadSession(token!, "server", "intl");
      expect(toHex(server.open(client.seal(0, data)))).toBe(toHex(data));
      expect(toHex(client.open(0, server.seal(data)))).toBe(toHex(data));
    }
    client.close();
  });

  it("the INTL worked example through the SE byte for byte; SM server data refused with the SE's 9484", async () => {
    const ix = INTL_EXAMPLE;
    const stack = createSimulatedStack({ bus: "i2c", identity: INTL_EXAMPLE_IDENTITY });
    const client = await TidClient.create({ backend: "se", unshielded: true, link: stack.link, build, now: () => ix.deviceTime });
    client.init();
    expect(toHex(client.tid)).toBe(ix.TID);
    stack.sim.applet.injectNextAuth({ nd: fromHex(ix.Nd), ephemeralPrivate: fromHex(ix.deviceEphemeralPrivate) });
    expect(toHex(client.getAuthcode())).toBe(ix.authcode);
    expect(toHex(client.validate(fromHex(ix.serverData))!)).toBe(ix.sessionToken);
    expect(toHex(stack.sim.applet.peekSlot(0)!)).toBe(ix.sessionToken);
    expect(toHex(client.symCrypto(0, new Uint8Array(16), true))).toBe(ix.symCryptoEncryptZeroBlock);
    expect(toHex(client.seal(0, new TextEncoder().encode("hello")))).toBe(ix.sealUplinkCounter0Hello);
    // the wasm refuses SM server data itself (algorithm bytes), and the SE erases its request too
    client.getAuthcode();
    expect(errorOf(() => client.validate(fromHex(EXAMPLE.serverData))).status).toBe("ERR_UNSUPPORTED_ALGORITHM");
    expect(stack.sim.applet.inspect().pending).toBe(false);
    client.close();
  });
});

describe("SE backend: the suite read at init", () => {
  it("an applet older than suites (GET DATA 00 05 → 6A86) is suite SM", async () => {
    const stack = createSimulatedStack({ bus: "i2c", identity: EXAMPLE_IDENTITY });
    const link = {
      transceiveSync(apdu: Uint8Array): Uint8Array {
        if (toHex(apdu) === "80ca000500") return Uint8Array.of(0x6a, 0x86);
        return stack.link.transceiveSync(apdu);
      },
    };
    const client = await TidClient.create({ backend: "se", unshielded: true, link });
    client.init();
    expect(client.suite).toBe("sm");
    const { serverData, token } = answer(client.getAuthcode(), EXAMPLE_IDENTITY);
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
    client.close();
  });

  it("a suite byte the build does not contain: ERR_UNSUPPORTED_ALGORITHM, not initialised; a malformed answer ERR_SE_IO", async () => {
    for (const [answerHex, status] of [
      ["029000", "ERR_UNSUPPORTED_ALGORITHM"],
      ["ff9000", "ERR_UNSUPPORTED_ALGORITHM"],
      ["01009000", "ERR_SE_IO"],
      ["9000", "ERR_SE_IO"],
      ["6f00", "ERR_SE_STATUS_WORD"],
    ] as const) {
      const stack = createSimulatedStack({ bus: "i2c", identity: EXAMPLE_IDENTITY });
      const link = {
        transceiveSync(apdu: Uint8Array): Uint8Array {
          if (toHex(apdu) === "80ca000500") return fromHex(answerHex);
          return stack.link.transceiveSync(apdu);
        },
      };
      const client = await TidClient.create({ backend: "se", unshielded: true, link });
      expect(errorOf(() => client.init()).status).toBe(status);
      expect(client.suite).toBe("sm");
      expect(errorOf(() => client.getAuthcode()).status).toBe("ERR_NOT_INITIALISED");
      client.close();
    }
  });

  it("an INTL SE on the SM-only build (release-sm): ERR_UNSUPPORTED_ALGORITHM at init", async () => {
    const stack = createSimulatedStack({ bus: "spi", identity: { ...randomIdentity(), suite: "intl" } });
    const client = await TidClient.create({ backend: "se", unshielded: true, link: stack.link, build: "release-sm" });
    expect(errorOf(() => client.init()).status).toBe("ERR_UNSUPPORTED_ALGORITHM");
    client.close();
  });

  it("init() again after the SE was re-provisioned in another suite follows it", async () => {
    const id = randomIdentity();
    const stack = createSimulatedStack({ bus: "i2c", identity: id });
    const client = await TidClient.create({ backend: "se", unshielded: true, link: stack.link });
    client.init();
    expect(client.suite).toBe("sm");
    stack.client.provisionSync(id.tid, id.psk, "intl");
    client.init();
    expect(client.suite).toBe("intl");
    const { serverData, token } = answer(client.getAuthcode(), { ...id, suite: "intl" });
    expect(toHex(client.validate(serverData)!)).toBe(toHex(token!));
    client.close();
  });
});
