// The auth server's cache of parsed user-server keys (server/app/key-cache.ts): one KeyObject per
// PEM text, parsed once; a new PEM (a re-keyed user server) is a new entry; bad keys are refused
// as rsaPublicKey refuses them, and never cached.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { publicKeyOf } from "../../server/app/key-cache.js";

const pemOf = (bits: number) =>
  generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ type: "spki", format: "pem" }) as string;

describe("publicKeyOf", () => {
  it("parses a PEM once and returns the same key object after", () => {
    const pem = pemOf(2048);
    const k = publicKeyOf(pem);
    expect(k.asymmetricKeyType).toBe("rsa");
    expect(publicKeyOf(pem)).toBe(k);
    const other = pemOf(2048);
    expect(publicKeyOf(other)).not.toBe(k);
  });

  it("refuses what rsaPublicKey refuses, every time", () => {
    const small = pemOf(1024);
    expect(() => publicKeyOf(small)).toThrow(RangeError);
    expect(() => publicKeyOf(small)).toThrow(RangeError);
    expect(() => publicKeyOf("not a key")).toThrow();
  });
});
