// The soft key file (bindings/keyfile.ts, docs/keyfile.md): sealed TID ‖ PSK, scrypt + AES-256-GCM,
// mode 0600 on write, group/world-accessible files refused on read, every header byte
// authenticated, passphrase and machine-bound secrets.
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeKeyFile, encodeKeyFile, readKeyFile, writeKeyFile, KeyFileError, KEYFILE_SIZE, type KeyFileSecret,
} from "../../bindings/keyfile.js";
import { randomIdentity } from "../support/tid.js";
import { toHex } from "../../reference/bytes.js";

const FAST = { scrypt: { logN: 10, r: 8, p: 1 } };
const PASS: KeyFileSecret = { passphrase: "tr0ub4dor&3" };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    if (e instanceof KeyFileError) return e.code;
    throw e;
  }
}

describe("soft key file", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tid-keyfile-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round trip with the default scrypt cost; mode 0600; neither PSK nor TID in clear", async () => {
    const id = randomIdentity();
    const path = join(dir, "a.tidkey");
    await writeKeyFile(path, id, PASS);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const bytes = new Uint8Array(await readFile(path));
    expect(bytes.length).toBe(KEYFILE_SIZE);
    expect(Buffer.from(bytes.subarray(0, 6)).toString()).toBe("TIDKEY");
    expect([bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11]]).toEqual([1, 1, 1, 15, 8, 1]);
    expect(Buffer.from(bytes).indexOf(Buffer.from(id.psk))).toBe(-1);
    expect(Buffer.from(bytes).indexOf(Buffer.from(id.tid))).toBe(-1);
    const back = await readKeyFile(path, PASS);
    expect([toHex(back.tid), toHex(back.psk)]).toEqual([toHex(id.tid), toHex(id.psk)]);
  });

  it("two files of the same identity differ (fresh salt and nonce)", async () => {
    const id = randomIdentity();
    const a = await encodeKeyFile(id, PASS, FAST);
    const b = await encodeKeyFile(id, PASS, FAST);
    expect(toHex(a.subarray(12))).not.toBe(toHex(b.subarray(12)));
  });

  it("passphrases: string (NFC-normalised) or bytes; a wrong one is BAD_SECRET", async () => {
    const id = randomIdentity();
    const file = await encodeKeyFile(id, { passphrase: "caf\u00e9" }, FAST);
    expect(toHex((await decodeKeyFile(file, { passphrase: "cafe\u0301" })).psk)).toBe(toHex(id.psk));
    expect(toHex((await decodeKeyFile(file, { passphrase: new TextEncoder().encode("caf\u00e9") })).psk)).toBe(toHex(id.psk));
    expect(await codeOf(decodeKeyFile(file, { passphrase: "cafe" }))).toBe("BAD_SECRET");
    await expect(encodeKeyFile(id, { passphrase: "" }, FAST)).rejects.toThrow(RangeError);
  });

  it("every byte of the file altered: never an identity, a named error instead", async () => {
    const id = randomIdentity();
    const file = await encodeKeyFile(id, PASS, FAST);
    const seen = new Set<string>();
    for (let i = 0; i < KEYFILE_SIZE; i++) {
      const bad = file.slice();
      bad[i]! ^= 0x01;
      const code = await codeOf(decodeKeyFile(bad, PASS));
      expect(code, `byte ${i}`).not.toBe("OK");
      seen.add(code);
    }
    expect([...seen].sort()).toEqual(["BAD_FORMAT", "BAD_SECRET", "UNSUPPORTED_VERSION"]);
    expect(await codeOf(decodeKeyFile(file.subarray(0, 79), PASS))).toBe("BAD_FORMAT");
  });

  it("refuses a file that group or others can access; refuses to replace a file unless asked", async () => {
    const id = randomIdentity();
    const path = join(dir, "b.tidkey");
    await writeKeyFile(path, id, PASS, FAST);
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o700 | 0o002]) {
      await chmod(path, mode);
      expect(await codeOf(readKeyFile(path, PASS))).toBe("INSECURE_PERMISSIONS");
    }
    await chmod(path, 0o400);
    expect(await codeOf(readKeyFile(path, PASS))).toBe("OK");
    await chmod(path, 0o644);
    expect(await codeOf(writeKeyFile(path, randomIdentity(), PASS, FAST))).toBe("EXISTS");
    const other = randomIdentity();
    await writeKeyFile(path, other, PASS, { ...FAST, overwrite: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600); // the replacement is 0600 again
    expect(toHex((await readKeyFile(path, PASS)).tid)).toBe(toHex(other.tid));
    expect(await codeOf(readKeyFile(dir, PASS))).toBe("NOT_A_FILE");
  });

  it("machine-bound: unseals on the same machine id only; a passphrase does not fit it", async () => {
    const id = randomIdentity();
    const mid = join(dir, "machine-id");
    await writeFile(mid, toHex(new Uint8Array(randomBytes(16))) + "\n");
    const file = await encodeKeyFile(id, { machineBound: true, machineIdPath: mid }, FAST);
    expect(file[7]).toBe(2);
    expect(toHex((await decodeKeyFile(file, { machineBound: true, machineIdPath: mid })).psk)).toBe(toHex(id.psk));
    expect(await codeOf(decodeKeyFile(file, PASS))).toBe("WRONG_SECRET_KIND");
    await writeFile(mid, toHex(new Uint8Array(randomBytes(16))));
    expect(await codeOf(decodeKeyFile(file, { machineBound: true, machineIdPath: mid }))).toBe("BAD_SECRET");
    expect(await codeOf(decodeKeyFile(file, { machineBound: true, machineIdPath: join(dir, "nope") }))).toBe("NO_MACHINE_ID");
  });

  it("a crafted file cannot make the reader allocate gigabytes: 128·N·r is capped at 256 MiB", async () => {
    const id = randomIdentity();
    const file = await encodeKeyFile(id, PASS, FAST);
    // every parameter within its own range, but together 128 · 2^20 · 16 = 2 GiB (and p = 4 passes)
    const greedy = file.slice();
    greedy[9] = 20;
    greedy[10] = 16;
    greedy[11] = 4;
    const t0 = Date.now();
    const err = await decodeKeyFile(greedy, PASS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyFileError);
    expect((err as KeyFileError).code).toBe("BAD_FORMAT");
    expect((err as KeyFileError).message).toMatch(/memory/);
    expect(Date.now() - t0).toBeLessThan(1_000); // refused before scrypt runs
    await expect(encodeKeyFile(id, PASS, { scrypt: { logN: 20, r: 16, p: 1 } })).rejects.toThrow(/options.scrypt.*memory/);
    await expect(encodeKeyFile(id, PASS, { scrypt: { logN: 18, r: 16, p: 1 } })).rejects.toThrow(RangeError);
  });

  it("argument errors name the argument", async () => {
    const id = randomIdentity();
    await expect(encodeKeyFile({ tid: new Uint8Array(7), psk: id.psk }, PASS)).rejects.toThrow(/identity.tid must be 8 bytes/);
    await expect(encodeKeyFile(id, PASS, { scrypt: { logN: 9, r: 8, p: 1 } })).rejects.toThrow(/options.scrypt.logN must be in 10..20, got 9/);
    await expect(encodeKeyFile(id, {} as never)).rejects.toThrow(TypeError);
    await expect(readKeyFile("", PASS)).rejects.toThrow(TypeError);
  });
});
