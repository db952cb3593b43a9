// Server SDK business-data helpers: sm4Encrypt/sm4Decrypt (raw SM4-ECB, the device's
// sym_crypto), AEAD seal/open (SM4-GCM, nonce = direction prefix ‖ counter) with replay and
// reorder rejection, request signing, token encryption and keygen.
import { createCipheriv, generateKeyPairSync, randomBytes } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sm4 as smv2 } from "sm-crypto-v2";
import { afterAll, describe, expect, it } from "vitest";
import {
  AEAD_OVERHEAD,
  AeadError,
  AeadSession,
  aeadNonce,
  audienceOf,
  canonicalString,
  decryptToken,
  encryptToken,
  keygen,
  open,
  seal,
  signRequest,
  sm4Decrypt,
  sm4Encrypt,
  verifyRequest,
} from "../../server/sdk/index.js";
import { createPublicKey } from "node:crypto";
import { fromHex, toHex } from "../../reference/bytes.js";

describe("sm4Encrypt / sm4Decrypt (raw SM4-ECB)", () => {
  it("GB/T 32907 example: key = plaintext = 0123…3210", () => {
    const k = fromHex("0123456789ABCDEFFEDCBA9876543210");
    expect(toHex(sm4Encrypt(k, k))).toBe("681edf34d206965e86b3e94f536e4246");
    expect(toHex(sm4Decrypt(k, fromHex("681edf34d206965e86b3e94f536e4246")))).toBe(toHex(k));
  });

  it("matches node:crypto sm4-ecb and sm-crypto-v2 for 1..64 blocks", () => {
    for (let blocks = 1; blocks <= 64; blocks += 7) {
      const token = randomBytes(16),
        data = randomBytes(16 * blocks);
      const c = createCipheriv("sm4-ecb", token, null).setAutoPadding(false);
      const want = Buffer.concat([c.update(data), c.final()]);
      const got = sm4Encrypt(token, data);
      expect(toHex(got)).toBe(want.toString("hex"));
      expect(toHex(got)).toBe(toHex(smv2.encrypt(data, token, { mode: "ecb", padding: "none", output: "array" })));
      expect(toHex(sm4Decrypt(token, got))).toBe(toHex(data));
    }
  });

  it("length-preserving; any length that is not a positive multiple of 16 is a RangeError", () => {
    const token = randomBytes(16);
    for (const n of [0, 1, 15, 17, 31, 33, 100]) {
      expect(() => sm4Encrypt(token, new Uint8Array(n)), `n=${n}`).toThrow(RangeError);
      expect(() => sm4Decrypt(token, new Uint8Array(n)), `n=${n}`).toThrow(RangeError);
    }
    expect(() => sm4Encrypt(new Uint8Array(15), new Uint8Array(16))).toThrow(RangeError);
    expect(() => sm4Encrypt("k" as unknown as Uint8Array, new Uint8Array(16))).toThrow(TypeError);
  });
});

describe("AEAD messages (SM4-GCM, prefix ‖ counter)", () => {
  const token = fromHex("105dd1bc653c4cb2fd6d0d621b3d0096"); // the worked example's session token
  const pt = new TextEncoder().encode("door: unlock");

  it("nonce layout: uplink 00000001, downlink 00000002, then the 64-bit counter", () => {
    expect(toHex(aeadNonce("uplink", 0n))).toBe("000000010000000000000000");
    expect(toHex(aeadNonce("downlink", 0x0102030405060708n))).toBe("000000020102030405060708");
    expect(() => aeadNonce("uplink", -1n)).toThrow(RangeError);
    expect(() => aeadNonce("uplink", 1n << 64n)).toThrow(RangeError);
  });

  it("message = counter ‖ SM4-GCM ciphertext ‖ tag, checked against sm-crypto-v2", () => {
    const msg = seal(token, "downlink", 5n, pt, new Uint8Array([0xaa]));
    expect(msg.length).toBe(pt.length + AEAD_OVERHEAD);
    expect(toHex(msg.subarray(0, 8))).toBe("0000000000000005");
    const v2 = smv2.encrypt(pt, token, {
      mode: "gcm",
      iv: aeadNonce("downlink", 5n),
      associatedData: new Uint8Array([0xaa]),
      output: "array",
      padding: "none",
      outputTag: true,
    });
    expect(toHex(msg.subarray(8))).toBe(toHex(v2.output) + toHex(v2.tag!));
  });

  it("pinned vector (regression): example token, uplink, counter 0, no AAD", () => {
    const msg = seal(token, "uplink", 0n, pt);
    const again = smv2.encrypt(pt, token, {
      mode: "gcm",
      iv: fromHex("000000010000000000000000"),
      output: "array",
      padding: "none",
      outputTag: true,
    });
    expect(toHex(msg)).toBe("0000000000000000" + toHex(again.output) + toHex(again.tag!));
    expect(toHex(open(token, "uplink", msg).plaintext)).toBe(toHex(pt));
  });

  it("server and device sessions talk; replayed and reordered counters are rejected", () => {
    const server = new AeadSession(token, "server");
    const device = new AeadSession(token, "device");
    const up0 = device.seal(pt);
    const up1 = device.seal(pt);
    const up2 = device.seal(pt);
    expect(toHex(server.open(up0))).toBe(toHex(pt));
    expect(toHex(server.open(up2))).toBe(toHex(pt)); // a gap is fine
    expect(() => server.open(up1)).toThrow(expect.objectContaining({ code: "REPLAY" })); // reordered
    expect(() => server.open(up2)).toThrow(expect.objectContaining({ code: "REPLAY" })); // replayed
    expect(server.highestReceived).toBe(2n);
    const down = server.seal(new Uint8Array([1, 2, 3]));
    expect(toHex(device.open(down))).toBe("010203");
    expect(() => device.open(down)).toThrow(AeadError);
  });

  it("a forged message changes nothing; direction and AAD are bound", () => {
    const server = new AeadSession(token, "server");
    const device = new AeadSession(token, "device");
    const m0 = device.seal(pt, new Uint8Array([7]));
    const forged = m0.slice();
    forged[8]! ^= 1;
    expect(() => server.open(forged, new Uint8Array([7]))).toThrow(expect.objectContaining({ code: "VERIFY_FAILED" }));
    const big = m0.slice();
    big[0] = 0xff; // a huge counter with a bad tag must not move the mark
    expect(() => server.open(big, new Uint8Array([7]))).toThrow(expect.objectContaining({ code: "VERIFY_FAILED" }));
    expect(server.highestReceived).toBeNull();
    expect(() => server.open(m0, new Uint8Array([8]))).toThrow(expect.objectContaining({ code: "VERIFY_FAILED" }));
    expect(() => device.open(server.seal(pt).slice(), new Uint8Array())).not.toThrow();
    // a message sealed downlink does not open as uplink (no reflection)
    const reflected = server.seal(pt);
    expect(() => server.open(reflected)).toThrow(expect.objectContaining({ code: "VERIFY_FAILED" }));
    expect(toHex(server.open(m0, new Uint8Array([7])))).toBe(toHex(pt));
    expect(() => server.open(new Uint8Array(23))).toThrow(expect.objectContaining({ code: "BAD_FORMAT" }));
  });
});

describe("request signing and token encryption", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const f = {
    method: "POST",
    path: "/v1/auth",
    audience: "https://tid.example",
    userUin: "100000000001",
    timestamp: 1700000000,
    nonce: "abcdefghijklmnop",
    deviceDataHex: "ABCD",
  };

  it("canonical string: the audience names the auth server", () => {
    expect(canonicalString(f)).toBe("TID-AUTH-V2\nPOST\n/v1/auth\nhttps://tid.example\n100000000001\n1700000000\nabcdefghijklmnop\nabcd");
  });

  it("audienceOf: the origin, lowercase, default port left out", () => {
    expect(audienceOf("https://TID.example:443/base/")).toBe("https://tid.example");
    expect(audienceOf("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(audienceOf("http://[::1]:80/")).toBe("http://[::1]");
    expect(() => audienceOf("ftp://x")).toThrow(TypeError);
  });

  it("RSA-PSS signature verifies, and fails for any changed field", () => {
    const sig = signRequest(privateKey, f);
    expect(verifyRequest(publicKey, f, sig)).toBe(true);
    for (const [k, v] of Object.entries({
      userUin: "100000000002",
      timestamp: 1700000001,
      nonce: "abcdefghijklmnoq",
      deviceDataHex: "abce",
      path: "/v1/other",
      audience: "https://other.example",
    })) {
      expect(verifyRequest(publicKey, { ...f, [k]: v }, sig), k).toBe(false);
    }
    expect(verifyRequest(publicKey, f, "not base64!")).toBe(false);
    expect(verifyRequest(publicKey, f, "AAAA")).toBe(false);
  });

  it("RSA-OAEP-SHA256 token round trip", () => {
    const token = randomBytes(16);
    const enc = encryptToken(publicKey, token);
    expect(toHex(decryptToken(privateKey, enc))).toBe(toHex(token));
  });
});

describe("keygen", () => {
  const dir = mkdtempSync(join(tmpdir(), "tid-keygen-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes public_key.pem and private_key.pem (0600), refuses to overwrite", () => {
    const r = keygen(join(dir, "keys"));
    expect(statSync(r.privateKeyPath).mode & 0o777).toBe(0o600);
    const pub = createPublicKey(readFileSync(r.publicKeyPath, "utf8"));
    expect(pub.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(readFileSync(r.privateKeyPath, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(() => keygen(join(dir, "keys"))).toThrow(/refusing to overwrite/);
    expect(() => keygen(join(dir, "small"), { bits: 1024 })).toThrow(RangeError);
  });

  it("force replaces the files themselves: never writes the private key through a planted symlink or into an old readable file", () => {
    const d = join(dir, "planted");
    mkdirSync(d);
    const outside = join(dir, "outside.pem");
    writeFileSync(outside, "not a key\n", { mode: 0o666 });
    chmodSync(outside, 0o666);
    symlinkSync(outside, join(d, "private_key.pem"));
    writeFileSync(join(d, "public_key.pem"), "old\n", { mode: 0o644 });
    const r = keygen(d, { force: true });
    expect(readFileSync(outside, "utf8")).toBe("not a key\n"); // the symlink's target is untouched
    expect(lstatSync(r.privateKeyPath).isFile()).toBe(true);
    expect(statSync(r.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(r.privateKeyPath, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(statSync(r.publicKeyPath).mode & 0o777).toBe(0o644);
    expect(readdirSync(d).sort()).toEqual(["private_key.pem", "public_key.pem"]); // no temporary files left
  });
});

describe("HTTP client", () => {
  it("refuses an answer longer than 1 MiB instead of buffering it", async () => {
    const { createServer } = await import("node:http");
    const { requestJson, destroyAgents } = await import("../../server/sdk/http-client.js");
    const big = Buffer.alloc(64 * 1024, 0x20);
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      let sent = 0;
      const pump = (): void => {
        while (sent < 4 << 20) {
          sent += big.length;
          if (!res.write(big)) return void res.once("drain", pump);
        }
        res.end("{}");
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    try {
      await expect(requestJson("GET", new URL(`http://127.0.0.1:${port}/`), undefined)).rejects.toMatchObject({ code: "BAD_RESPONSE" });
    } finally {
      destroyAgents();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
