// The soft key file (bindings/keyfile.ts, docs/keyfile.md): sealed TID ‖ PSK, scrypt + AES-256-GCM,
// mode 0600 on write (staged beside its path, then committed), group/world-accessible files
// refused on read — after the file type, size and format are checked, so a FIFO, a device, a huge
// file or a text file gets the right answer —, every header byte authenticated, passphrase and
// machine-bound secrets.
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
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
  type KeyFileSecret,
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

  it("reads in order: a regular file (a FIFO or a device never hangs it), of 80 bytes, then the format, then the mode", async () => {
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
    expect(err.message).toMatch(/a key file is 80 bytes, this one 32/);
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
    expect(await inspectKeyFile(path)).toEqual({ source: "passphrase", scrypt: FAST.scrypt, mode: 0o640 });
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
