// GCM open under attack, for every block-cipher key class (bindings/block-cipher.ts: Sm4Key,
// AesKey): a tag with any bit flipped, a truncated tag, a changed, missing or longer AAD, a
// changed IV, another key and altered ciphertext must each end in TidError ERR_VERIFY_FAILED
// (NIST SP 800-38D §7.2: no plaintext released), with nothing written to `options.out`.
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import type { BlockCipherKey } from "../../bindings/block-cipher.js";
import { Status } from "../../bindings/status.js";
import { toHex } from "../../reference/bytes.js";
import { expectStatus } from "./assertions.js";

/** Seal messages of 0, 1, 64 and 65,636 bytes under `k`, tamper with them, and expect every open to fail; `other` is a second key. */
export function expectGcmTamperingFails(k: BlockCipherKey, other: BlockCipherKey): void {
  for (const size of [0, 1, 64, 65536 + 100]) {
    const iv = randomBytes(12),
      aad = randomBytes(20),
      pt = randomBytes(size);
    const sealed = k.sealGcm(iv, pt, aad);
    const out = new Uint8Array(size).fill(0x5a);
    const untouched = () => expect(out.every((b) => b === 0x5a)).toBe(true);
    const fails = (
      s: Uint8Array,
      opts: { iv?: Uint8Array; aad?: Uint8Array | undefined; key?: BlockCipherKey; tagLength?: number } = {},
    ) => {
      expectStatus(
        () =>
          (opts.key ?? k).openGcm(opts.iv ?? iv, s, "aad" in opts ? opts.aad : aad, {
            out,
            ...(opts.tagLength ? { tagLength: opts.tagLength } : {}),
          }),
        Status.ERR_VERIFY_FAILED,
      );
      untouched();
    };
    // every tag byte flipped (low and high bit)
    for (let i = size; i < size + 16; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = sealed.slice();
        bad[i]! ^= bit;
        fails(bad);
      }
    }
    // truncated tag read as a full one (too short to hold a tag at all: RangeError), and a
    // short tag with a wrong byte
    for (const cut of [1, 4]) {
      const s = sealed.subarray(0, sealed.length - cut);
      if (s.length >= 16) fails(s);
      else expect(() => k.openGcm(iv, s, aad, { out })).toThrow(/sealed must be at least 16 bytes/);
      untouched();
    }
    const short = sealed.slice(0, sealed.length - 4);
    short[short.length - 1]! ^= 1;
    fails(short, { tagLength: 12 });
    // wrong AAD: changed, missing, one byte extra
    const aad2 = Uint8Array.from(aad); // (Buffer#slice would be a view)
    aad2[0]! ^= 1;
    fails(sealed, { aad: aad2 });
    fails(sealed, { aad: undefined });
    fails(sealed, { aad: Buffer.concat([aad, Buffer.from([0])]) });
    // wrong IV, wrong key
    const iv2 = Uint8Array.from(iv);
    iv2[11]! ^= 1;
    fails(sealed, { iv: iv2 });
    fails(sealed, { key: other });
    // altered ciphertext
    if (size > 0) {
      const bad = sealed.slice();
      bad[size - 1]! ^= 0x40;
      fails(bad);
    }
    // the genuine message still opens
    expect(toHex(k.openGcm(iv, sealed, aad))).toBe(toHex(pt));
  }
}
