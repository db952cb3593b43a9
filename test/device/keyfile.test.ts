// The soft key file (bindings/keyfile.ts, docs/keyfile.md): sealed TID ‖ PSK, scrypt + AES-256-GCM,
// mode 0600 on write (staged beside its path, then committed), group/world-accessible files
// refused on read — after the file type, size and format are checked, so a FIFO, a device, a huge
// file or a text file gets the right answer —, every header byte authenticated, passphrase and
// machine-bound secrets. The suite (docs/protocol.md "Algorithm suites"): suite SM identities are
// written as version 1 (80 bytes), suite INTL ones as version 2 (81 bytes, the suite byte in the
// authenticated header); files built here by hand from the documented layout of both versions
// read back, a changed suite byte is refused, and TidClient.create({ keyFile }) takes the suite.
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCipheriv, randomBytes, scryptSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeKeyFile,
  encodeKeyFile,
  inspectKeyFile,
  readKeyFile,
  stageKeyFile,
  writeKeyFile,
  KeyFileError,
  KEYFILE_SIZE,
  KEYFILE_V2_SIZE,
  type KeyFileSecret,
} from "../../bindings/keyfile.js";
import { TidClient } from "../../bindings/client.js";
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
    expect([toHex(back.tid), toHex(back.psk), back.suite]).toEqual([toHex(id.tid), toHex(id.psk), "sm"]);
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

  it.each(["sm", "intl"] as const)("every byte of a suite %s file altered: never an identity, a named error instead", async (suite) => {
    const id = { ...randomIdentity(), suite };
    const file = await encodeKeyFile(id, PASS, FAST);
    expect(file.length).toBe(suite === "sm" ? KEYFILE_SIZE : KEYFILE_V2_SIZE);
    const seen = new Set<string>();
    for (let i = 0; i < file.length; i++) {
      const bad = file.slice();
      bad[i]! ^= 0x01;
      const code = await codeOf(decodeKeyFile(bad, PASS));
      expect(code, `byte ${i}`).not.toBe("OK");
      seen.add(code);
    }
    expect([...seen].sort()).toEqual(["BAD_FORMAT", "BAD_SECRET", "UNSUPPORTED_VERSION"]);
    expect(await codeOf(decodeKeyFile(file.subarray(0, file.length - 1), PASS))).toBe("BAD_FORMAT");
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

  it("reads in order: a regular file (a FIFO or a device never hangs it), of 80 or 81 bytes, then the format, then the mode", async () => {
    expect(await codeOf(readKeyFile(join(dir, "missing.tidkey"), PASS))).toBe("NOT_FOUND");
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(await codeOf(readKeyFile(fifo, PASS))).toBe("NOT_A_FILE"); // no writer: a blocking open would wait forever
    expect(await codeOf(readKeyFile("/dev/urandom", PASS))).toBe("NOT_A_FILE");
    // a text file that others may read (like /etc/passwd): its format is wrong, not its mode
    const text = join(dir, "passwd");
    await writeFile(text, "root:x:0:0:root:/root:/bin/bash\n", { mode: 0o644 });
    const err = (await readKeyFile(text, PASS).catch((e: unknown) => e)) as KeyFileError;
    expect(err.code).toBe("BAD_FORMAT");
    expect(err.message).toMatch(/a key file is 80 \(version 1\) or 81 \(version 2\) bytes, this one 32/);
    expect(err.message).not.toMatch(/chmod/);
    // 1 GiB (sparse): refused from its size, nothing read
    const huge = join(dir, "huge");
    await writeFile(huge, "");
    await truncate(huge, 2 ** 30);
    const t0 = Date.now();
    expect(await codeOf(readKeyFile(huge, PASS))).toBe("BAD_FORMAT");
    expect(Date.now() - t0).toBeLessThan(1_000);
    // 80 bytes but not a key file, mode 0644: BAD_FORMAT, the mode is not the news
    const junk = join(dir, "junk");
    await writeFile(junk, new Uint8Array(KEYFILE_SIZE), { mode: 0o644 });
    expect(await codeOf(readKeyFile(junk, PASS))).toBe("BAD_FORMAT");
    // a real key file, mode 0644: now the mode
    const real = join(dir, "real.tidkey");
    await writeKeyFile(real, randomIdentity(), PASS, FAST);
    await chmod(real, 0o644);
    expect(await codeOf(readKeyFile(real, PASS))).toBe("INSECURE_PERMISSIONS");
  });

  it("inspectKeyFile: what seals the file, without unsealing it or checking the mode", async () => {
    const path = join(dir, "inspect.tidkey");
    await writeKeyFile(path, randomIdentity(), PASS, FAST);
    await chmod(path, 0o640);
    expect(await inspectKeyFile(path)).toEqual({ version: 1, suite: "sm", source: "passphrase", scrypt: FAST.scrypt, mode: 0o640 });
    const intl = join(dir, "inspect-intl.tidkey");
    await writeKeyFile(intl, { ...randomIdentity(), suite: "intl" }, PASS, FAST);
    expect(await inspectKeyFile(intl)).toEqual({ version: 2, suite: "intl", source: "passphrase", scrypt: FAST.scrypt, mode: 0o600 });
    const mid = join(dir, "machine-id-inspect");
    await writeFile(mid, "0123456789abcdef0123456789abcdef\n");
    const bound = join(dir, "bound.tidkey");
    await writeKeyFile(bound, randomIdentity(), { machineBound: true, machineIdPath: mid }, FAST);
    expect((await inspectKeyFile(bound)).source).toBe("machine-bound");
    expect(await codeOf(inspectKeyFile(join(dir, "passwd")))).toBe("BAD_FORMAT");
    expect(await codeOf(inspectKeyFile(join(dir, "nothing")))).toBe("NOT_FOUND");
  });

  it("stageKeyFile: the sealed file waits beside its path; commit puts it in place, discard leaves nothing", async () => {
    const sub = await mkdtemp(join(dir, "stage-"));
    const id = randomIdentity();
    const path = join(sub, "device.tidkey");
    const staged = await stageKeyFile(path, id, PASS, FAST);
    const waiting = await readdir(sub);
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatch(/^\.device\.tidkey\..*\.tmp$/);
    expect((await stat(join(sub, waiting[0]!))).mode & 0o777).toBe(0o600);
    await staged.commit();
    expect(await readdir(sub)).toEqual(["device.tidkey"]);
    expect(toHex((await readKeyFile(path, PASS)).psk)).toBe(toHex(id.psk));
    await expect(staged.commit()).rejects.toThrow(/already committed/);

    const other = join(sub, "other.tidkey");
    const dropped = await stageKeyFile(other, id, PASS, FAST);
    await dropped.discard();
    expect(await readdir(sub)).toEqual(["device.tidkey"]);
    // a file that appears between stage and commit is not replaced
    const raced = await stageKeyFile(other, id, PASS, FAST);
    await writeFile(other, "someone else's");
    expect(await codeOf(raced.commit())).toBe("EXISTS");
    expect(await readFile(other, "utf8")).toBe("someone else's");
    expect((await readdir(sub)).sort()).toEqual(["device.tidkey", "other.tidkey"]);
    expect(await codeOf(stageKeyFile(path, id, PASS, FAST))).toBe("EXISTS");
    expect(await codeOf(stageKeyFile(sub, id, PASS, { ...FAST, overwrite: true }))).toBe("NOT_A_FILE");
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
    await expect(encodeKeyFile(id, PASS, { scrypt: { logN: 9, r: 8, p: 1 } })).rejects.toThrow(
      /options.scrypt.logN must be in 10..20, got 9/,
    );
    await expect(encodeKeyFile(id, {} as never)).rejects.toThrow(TypeError);
    await expect(readKeyFile("", PASS)).rejects.toThrow(TypeError);
  });
});

/**
 * A key file built by hand from docs/keyfile.md's tables (not by encodeKeyFile): version 1 has no
 * suite byte, version 2 has it at offset 12 and everything after moved by one; the AAD is the
 * header, everything before the ciphertext.
 */
function sealByHand(version: 1 | 2, suiteByte: number | null, id: { tid: Uint8Array; psk: Uint8Array }, passphrase: string): Uint8Array {
  const header = [...Buffer.from("TIDKEY"), version, 1, 1, 10, 8, 1, ...(suiteByte === null ? [] : [suiteByte])];
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const aad = Buffer.concat([Buffer.from(header), salt, nonce]);
  const key = scryptSync(Buffer.from(passphrase), salt, 32, { N: 1024, r: 8, p: 1 });
  const c = createCipheriv("aes-256-gcm", key, nonce);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(id.tid), c.update(id.psk), c.final()]);
  return new Uint8Array(Buffer.concat([aad, ct, c.getAuthTag()]));
}

describe("soft key file: the suite", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tid-keyfile-suite-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("suite INTL: version 2, 81 bytes, suite byte 1 at offset 12; round trip; suite SM is still written as version 1", async () => {
    const id = { ...randomIdentity(), suite: "intl" as const };
    const path = join(dir, "intl.tidkey");
    await writeKeyFile(path, id, PASS, FAST);
    const bytes = new Uint8Array(await readFile(path));
    expect(bytes.length).toBe(KEYFILE_V2_SIZE);
    expect([bytes[6], bytes[12]]).toEqual([2, 1]);
    expect(Buffer.from(bytes).indexOf(Buffer.from(id.psk))).toBe(-1);
    const back = await readKeyFile(path, PASS);
    expect([toHex(back.tid), toHex(back.psk), back.suite]).toEqual([toHex(id.tid), toHex(id.psk), "intl"]);

    const sm = await encodeKeyFile({ ...randomIdentity(), suite: "sm" }, PASS, FAST);
    expect([sm.length, sm[6]]).toEqual([KEYFILE_SIZE, 1]);
    expect((await decodeKeyFile(sm, PASS)).suite).toBe("sm");
  });

  it("files built by hand from the documented layouts read back: version 1 (suite sm), version 2 with sm and with intl", async () => {
    const id = randomIdentity();
    const pw = PASS.passphrase as string;
    for (const [version, suiteByte, suite] of [
      [1, null, "sm"],
      [2, 0, "sm"],
      [2, 1, "intl"],
    ] as const) {
      const back = await decodeKeyFile(sealByHand(version, suiteByte, id, pw), PASS);
      expect([version, toHex(back.tid), toHex(back.psk), back.suite]).toEqual([version, toHex(id.tid), toHex(id.psk), suite]);
    }
  });

  it("a changed suite byte is refused: another suite fails the tag (BAD_SECRET), no suite at all is BAD_FORMAT before scrypt", async () => {
    const id = { ...randomIdentity(), suite: "intl" as const };
    const file = await encodeKeyFile(id, PASS, FAST);
    const asSm = file.slice();
    asSm[12] = 0; // claim suite SM: the header is the AAD
    expect(await codeOf(decodeKeyFile(asSm, PASS))).toBe("BAD_SECRET");
    const pw = PASS.passphrase as string;
    for (const b of [2, 3, 0x10, 0xff]) {
      const crafted = sealByHand(2, b, id, pw); // sealed correctly, but no suite this library knows
      const err = (await decodeKeyFile(crafted, PASS).catch((e: unknown) => e)) as KeyFileError;
      expect([b, err.code]).toEqual([b, "BAD_FORMAT"]);
      expect(err.message).toMatch(new RegExp(`unknown suite byte ${b} \\(0 sm, 1 intl\\)`));
    }
    // a version 1 file made to look like version 2 (a suite byte inserted): the version is in the AAD
    const v1 = await encodeKeyFile({ ...randomIdentity() }, PASS, FAST);
    const lifted = new Uint8Array(KEYFILE_V2_SIZE);
    lifted.set(v1.subarray(0, 12));
    lifted[6] = 2;
    lifted[12] = 1;
    lifted.set(v1.subarray(12), 13);
    expect(await codeOf(decodeKeyFile(lifted, PASS))).toBe("BAD_SECRET");
  });

  it("wrong sizes: each version has its own, anything else is BAD_FORMAT (from the file's size, before reading it)", async () => {
    const intl = await encodeKeyFile({ ...randomIdentity(), suite: "intl" }, PASS, FAST);
    const sm = await encodeKeyFile(randomIdentity(), PASS, FAST);
    const v2short = intl.subarray(0, KEYFILE_SIZE); // 80 bytes, but version 2
    expect(((await decodeKeyFile(v2short, PASS).catch((e: unknown) => e)) as KeyFileError).message).toMatch(
      /a version 2 key file is 81 bytes, this one 80/,
    );
    const v1long = new Uint8Array(KEYFILE_V2_SIZE);
    v1long.set(sm);
    expect(((await decodeKeyFile(v1long, PASS).catch((e: unknown) => e)) as KeyFileError).message).toMatch(
      /a version 1 key file is 80 bytes, this one 81/,
    );
    const path = join(dir, "long.tidkey");
    await writeFile(path, Buffer.concat([intl, Buffer.from([0])]), { mode: 0o600 });
    const err = (await readKeyFile(path, PASS).catch((e: unknown) => e)) as KeyFileError;
    expect([err.code, err.message]).toEqual(["BAD_FORMAT", `${path}: a key file is 80 (version 1) or 81 (version 2) bytes, this one 82`]);
    const short = join(dir, "short.tidkey");
    await writeFile(short, v2short, { mode: 0o600 });
    expect(await codeOf(readKeyFile(short, PASS))).toBe("BAD_FORMAT");
  });

  it("identity.suite must be sm or intl: another string is a RangeError, another type a TypeError", async () => {
    await expect(encodeKeyFile({ ...randomIdentity(), suite: "SM" as never }, PASS, FAST)).rejects.toThrow(
      /identity.suite must be "sm" or "intl", got "SM"/,
    );
    await expect(encodeKeyFile({ ...randomIdentity(), suite: 1 as never }, PASS, FAST)).rejects.toThrow(
      new TypeError('identity.suite must be a string, "sm" or "intl", got number'),
    );
  });

  it("TidClient.create({ keyFile }): the client runs in the key file's suite", async () => {
    for (const suite of ["sm", "intl"] as const) {
      const id = { ...randomIdentity(), suite };
      const path = join(dir, `client-${suite}.tidkey`);
      await writeKeyFile(path, id, PASS, FAST);
      const client = await TidClient.create({ backend: "soft", keyFile: path, secret: PASS });
      try {
        client.init();
        expect([client.suite, toHex(client.tid)]).toEqual([suite, toHex(id.tid)]);
        const authcode = client.getAuthcode();
        // bytes 1–2: the suite's algorithm bytes (docs/protocol.md "Algorithm suites")
        expect(toHex(authcode.subarray(1, 3))).toBe(suite === "sm" ? "1002" : "2003");
      } finally {
        client.close();
      }
    }
  });
});
