// The server SDK in suite INTL (docs/server.md "Server SDK", docs/protocol.md "Algorithm suites"):
// aesEncrypt / aesDecrypt (raw AES-128-ECB, the device's sym_crypto) against node:crypto and the
// worked example (test/vectors/tid-v1-intl-example.json), aesGcmEncrypt / aesGcmDecrypt against
// the GCM specification's AES-128 test case 4 and node:crypto, seal / open / AeadSession per
// suite against the example's uplink message, aeadSessionFor, registerDevice's argument checks,
// and authDevice reading the suite from the server data (BAD_RESPONSE when it does not parse).
import { createCipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AEAD_OVERHEAD,
  AeadSession,
  aeadNonce,
  aeadSessionFor,
  AesGcm,
  aesDecrypt,
  aesEncrypt,
  aesGcmDecrypt,
  aesGcmEncrypt,
  authDevice,
  destroyAgents,
  keygen,
  open,
  registerDevice,
  seal,
  sm4Encrypt,
  symDecrypt,
  symEncrypt,
  TidServerError,
  type AuthDeviceResult,
} from "../../server/sdk/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const example = JSON.parse(readFileSync(fileURLToPath(new URL("../vectors/tid-v1-intl-example.json", import.meta.url)), "utf8")) as Record<
  string,
  string
>;
const token = fromHex(example.sessionToken!);

describe("aesEncrypt / aesDecrypt (raw AES-128-ECB, suite INTL's sym_crypto)", () => {
  it("the worked example: one zero block under the example's token", () => {
    expect(toHex(aesEncrypt(token, new Uint8Array(16)))).toBe(example.symCryptoEncryptZeroBlock);
    expect(toHex(aesDecrypt(token, fromHex(example.symCryptoEncryptZeroBlock!)))).toBe("00".repeat(16));
  });

  it("matches node:crypto aes-128-ecb for 1..64 blocks, and symEncrypt in suite intl", () => {
    for (let blocks = 1; blocks <= 64; blocks += 9) {
      const key = randomBytes(16);
      const data = randomBytes(16 * blocks);
      const c = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
      const want = Buffer.concat([c.update(data), c.final()]).toString("hex");
      expect(toHex(aesEncrypt(key, data))).toBe(want);
      expect(toHex(symEncrypt(key, data, "intl"))).toBe(want);
      expect(toHex(aesDecrypt(key, fromHex(want)))).toBe(data.toString("hex"));
      expect(toHex(symDecrypt(key, fromHex(want), "intl"))).toBe(data.toString("hex"));
      expect(toHex(symEncrypt(key, data))).toBe(toHex(sm4Encrypt(key, data))); // the default suite is SM
    }
  });

  it("any length that is not a positive multiple of 16 is a RangeError; a bad key too", () => {
    for (const n of [0, 1, 15, 17, 100]) {
      expect(() => aesEncrypt(token, new Uint8Array(n)), `n=${n}`).toThrow(RangeError);
      expect(() => aesDecrypt(token, new Uint8Array(n)), `n=${n}`).toThrow(RangeError);
    }
    expect(() => aesEncrypt(new Uint8Array(15), new Uint8Array(16))).toThrow(RangeError);
    expect(() => aesEncrypt("k" as unknown as Uint8Array, new Uint8Array(16))).toThrow(TypeError);
    expect(() => symEncrypt(token, new Uint8Array(16), "aes" as never)).toThrow(TypeError);
  });
});

describe("aesGcmEncrypt / aesGcmDecrypt / AesGcm (AES-128-GCM)", () => {
  // The Galois/Counter Mode specification (McGrew, Viega), test case 4: AES-128, 96-bit IV, AAD
  const K = fromHex("feffe9928665731c6d6a8f9467308308");
  const IV = fromHex("cafebabefacedbaddecaf888");
  const P = fromHex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
  );
  const A = fromHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const C = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091";
  const T = "5bc94fbc3221a5db94fae95ae7121a47";

  it("GCM test case 4", () => {
    const { ciphertext, tag } = aesGcmEncrypt(K, IV, P, A);
    expect(toHex(ciphertext)).toBe(C);
    expect(toHex(tag)).toBe(T);
    expect(toHex(aesGcmDecrypt(K, IV, fromHex(C), fromHex(T), A)!)).toBe(toHex(P));
  });

  it("one-shot and AesGcm agree with node:crypto aes-128-gcm; a changed byte anywhere gives null", () => {
    for (let i = 0; i < 20; i++) {
      const key = randomBytes(16);
      const iv = randomBytes(12);
      const pt = randomBytes(i * 7);
      const aad = randomBytes(i % 5);
      const c = createCipheriv("aes-128-gcm", key, iv).setAAD(aad);
      const want = Buffer.concat([c.update(pt), c.final()]).toString("hex");
      const wantTag = c.getAuthTag().toString("hex");
      const one = aesGcmEncrypt(key, iv, pt, aad);
      const g = new AesGcm(key);
      const two = g.encrypt(iv, pt, aad);
      g.destroy();
      for (const got of [one, two]) {
        expect(toHex(got.ciphertext)).toBe(want);
        expect(toHex(got.tag)).toBe(wantTag);
      }
      expect(toHex(aesGcmDecrypt(key, iv, one.ciphertext, one.tag, aad)!)).toBe(pt.toString("hex"));
      const badTag = one.tag.slice();
      badTag[i % 16]! ^= 0x80;
      expect(aesGcmDecrypt(key, iv, one.ciphertext, badTag, aad)).toBeNull();
      expect(aesGcmDecrypt(key, iv, one.ciphertext, one.tag, new Uint8Array([...aad, 0]))).toBeNull();
    }
  });

  it("the key is copied: destroy() wipes the copy, never the caller's key (a Buffer included)", () => {
    for (const key of [randomBytes(16), new Uint8Array(randomBytes(16))]) {
      const before = toHex(key);
      const { ciphertext, tag } = aesGcmEncrypt(key, IV, P, A);
      expect(toHex(key)).toBe(before);
      const g = new AesGcm(key);
      key.fill(0xff); // changing the caller's buffer afterwards does not change the instance's key
      expect(toHex(g.decrypt(IV, ciphertext, tag, A)!)).toBe(toHex(P));
      g.destroy();
      expect(key.every((b) => b === 0xff)).toBe(true);
    }
    // seal / open in suite intl with a Buffer token leave the token as it was
    const buf = Buffer.from(token);
    const msg = seal(buf, "uplink", 3n, P, undefined, "intl");
    expect(toHex(buf)).toBe(toHex(token));
    open(buf, "uplink", msg, undefined, "intl");
    expect(toHex(buf)).toBe(toHex(token));
  });

  it("bad arguments name themselves; a destroyed AesGcm refuses to work", () => {
    expect(() => aesGcmEncrypt(new Uint8Array(32), IV, P)).toThrow(/key must be 16 bytes/);
    expect(() => aesGcmEncrypt(K, new Uint8Array(0), P)).toThrow(/iv/);
    expect(() => aesGcmDecrypt(K, IV, fromHex(C), new Uint8Array(12))).toThrow(/tag must be 16 bytes/);
    expect(() => aesGcmEncrypt(K, IV, "p" as unknown as Uint8Array)).toThrow(TypeError);
    const g = new AesGcm(K);
    g.destroy();
    expect(() => g.encrypt(IV, P)).toThrow(/after destroy/);
  });
});

describe("AEAD messages per suite (seal, open, AeadSession, aeadSessionFor)", () => {
  const hello = new TextEncoder().encode("hello");

  it("the worked example's uplink message: counter 0, 'hello', suite intl", () => {
    expect(toHex(seal(token, "uplink", 0n, hello, undefined, "intl"))).toBe(example.sealUplinkCounter0Hello);
    const msg = fromHex(example.sealUplinkCounter0Hello!);
    expect(open(token, "uplink", msg, undefined, "intl")).toEqual({ counter: 0n, plaintext: hello });
    expect(() => open(token, "uplink", msg)).toThrow(/VERIFY_FAILED/); // the default suite is SM
    const device = new AeadSession(token, "device", "intl");
    expect(toHex(device.seal(hello))).toBe(example.sealUplinkCounter0Hello);
  });

  it("aeadSessionFor keys a session of the result's suite and role", () => {
    const serverData = new Uint8Array(0); // not looked at
    for (const suite of ["sm", "intl"] as const) {
      const result: AuthDeviceResult = [serverData, token.slice(), suite];
      const server = aeadSessionFor(result);
      const device = aeadSessionFor(result, "device");
      const up = device.seal(hello);
      expect(up.length).toBe(hello.length + AEAD_OVERHEAD);
      expect(toHex(up)).toBe(toHex(seal(token, "uplink", 0n, hello, undefined, suite)));
      expect(server.open(up)).toEqual(hello);
      expect(device.open(server.seal(hello))).toEqual(hello);
      const nonce = aeadNonce("uplink", 0n);
      const body = up.subarray(8, up.length - 16);
      const tag = up.subarray(up.length - 16);
      expect(aesGcmDecrypt(token, nonce, body, tag) !== null).toBe(suite === "intl");
    }
    expect(() => aeadSessionFor([serverData, null, "intl"])).toThrow(/no session token/);
    expect(() => aeadSessionFor([serverData, token] as unknown as AuthDeviceResult)).toThrow(TypeError);
    expect(() => aeadSessionFor([serverData, token, "aes"] as unknown as AuthDeviceResult)).toThrow(TypeError);
  });
});

describe("registerDevice: the suite", () => {
  const options = { url: "http://127.0.0.1:9", adminToken: "x".repeat(32) }; // never reached
  const tid = new Uint8Array(8);
  const psk = new Uint8Array(16);

  it("anything but sm or intl, and a bad TID or PSK, throw before a request is made", () => {
    for (const suite of ["aes", "SM", "", 1, null]) {
      expect(() => registerDevice(options, { tid, psk, suite: suite as never }), String(suite)).toThrow(
        /suite must be one of "sm", "intl"/,
      );
    }
    expect(() => registerDevice(options, { tid: new Uint8Array(7), psk })).toThrow(RangeError);
    expect(() => registerDevice(options, { tid, psk: "psk" as unknown as Uint8Array })).toThrow(TypeError);
  });
});

describe("authDevice: the suite of the answer", () => {
  let server: Server;
  let url: string;
  let answer: Record<string, unknown>;
  const dir = mkdtempSync(join(tmpdir(), "tid-sdk-suites-"));
  const keys = keygen(join(dir, "keys"));
  const privateKey = readFileSync(keys.privateKeyPath, "utf8");

  beforeAll(async () => {
    // an auth server that answers what the test puts in `answer`
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    destroyAgents();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const call = () => authDevice("u", privateKey, new Uint8Array(132), { url });

  it("reads the suite from the server data's bytes 1–2", async () => {
    answer = { serverData: example.serverData, sessionToken: null };
    const [serverData, sessionToken, suite] = await call();
    expect(toHex(serverData)).toBe(example.serverData);
    expect(sessionToken).toBeNull();
    expect(suite).toBe("intl");
    const sm = fromHex(example.serverData!);
    sm[1] = 0x10;
    sm[2] = 0x02;
    answer = { serverData: toHex(sm), sessionToken: null };
    expect((await call())[2]).toBe("sm");
  });

  it("server data that is no server data (algorithm bytes of no suite, too short) is BAD_RESPONSE", async () => {
    for (const [b1, b2] of [
      [0x10, 0x03],
      [0x20, 0x02],
      [0x30, 0x03],
    ]) {
      const bad = fromHex(example.serverData!);
      bad[1] = b1!;
      bad[2] = b2!;
      answer = { serverData: toHex(bad), sessionToken: null };
      await expect(call()).rejects.toMatchObject({ name: "TidServerError", code: "BAD_RESPONSE", message: /UNSUPPORTED_ALGORITHM/ });
    }
    answer = { serverData: "0120031000", sessionToken: null };
    const e = await call().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TidServerError);
    expect(e).toMatchObject({ code: "BAD_RESPONSE" });
  });
});
