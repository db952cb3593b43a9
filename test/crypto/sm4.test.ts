// SM4 known answers (GB/T 32907-2016, draft-ribose-cfrg-sm4, RFC 8998) and cross-checks of the
// modes against independent implementations (node:crypto / OpenSSL, sm-crypto-v2), on both builds.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import vm from "node:vm";
import { sm4 as smv2 } from "sm-crypto-v2";
import { describe, expect, it } from "vitest";
import { Sm4Key } from "../../bindings/sm4.js";
import { TidWasm } from "../../bindings/wasm.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { droppedKeysComeBack } from "../support/gc.js";

interface Vec {
  source: string;
  key: string;
  iv?: string;
  aad?: string;
  plaintext: string;
  ciphertext: string;
  tag?: string;
  iterations?: number;
}
const V = JSON.parse(readFileSync(new URL("../vectors/sm4.json", import.meta.url), "utf8")) as Record<
  "block" | "iterated" | "cbc" | "ctr" | "gcm",
  Vec[]
> & {
  cmac: { source: string; key: string; message: string; mac: string }[];
};

function nodeCipher(
  mode: "ecb" | "cbc" | "ctr",
  key: Uint8Array,
  iv: Uint8Array | null,
  data: Uint8Array,
  encrypt: boolean,
  padding: boolean,
): string {
  const c = encrypt ? createCipheriv(`sm4-${mode}`, key, iv) : createDecipheriv(`sm4-${mode}`, key, iv);
  c.setAutoPadding(padding);
  return Buffer.concat([c.update(data), c.final()]).toString("hex");
}

/** GCM's J0 for an IV of 12 bytes: IV ‖ 00000001; keystream starts at J0 + 1. */
function gcmCtrFromNode(key: Uint8Array, iv12: Uint8Array, data: Uint8Array): string {
  const j1 = Buffer.concat([iv12, Buffer.from("00000002", "hex")]);
  return nodeCipher("ctr", key, j1, data, true, false);
}

describe.each(["debug", "release", "portable"] as const)("SM4 on the %s build", (build) => {
  const wasm = TidWasm.create({ build });

  it("GB/T 32907 single block, both directions", () => {
    for (const v of V.block) {
      const k = new Sm4Key(wasm, fromHex(v.key));
      expect(toHex(k.encryptEcb(fromHex(v.plaintext), { padding: "none" }))).toBe(v.ciphertext);
      expect(toHex(k.decryptEcb(fromHex(v.ciphertext), { padding: "none" }))).toBe(v.plaintext);
      k.destroy();
    }
  });

  it("GB/T 32907 1,000,000 iterations (reusing one output buffer, in place)", () => {
    for (const v of V.iterated) {
      const k = new Sm4Key(wasm, fromHex(v.key));
      const block = fromHex(v.plaintext);
      const opt = { padding: "none" as const, out: block };
      for (let i = 0; i < v.iterations!; i++) k.encryptEcb(block, opt);
      expect(toHex(block)).toBe(v.ciphertext);
      k.destroy();
    }
  });

  it("draft-ribose-cfrg-sm4 CBC and CTR vectors", () => {
    for (const v of V.cbc) {
      const k = new Sm4Key(wasm, fromHex(v.key));
      expect(toHex(k.encryptCbc(fromHex(v.iv!), fromHex(v.plaintext), { padding: "none" }))).toBe(v.ciphertext);
      expect(toHex(k.decryptCbc(fromHex(v.iv!), fromHex(v.ciphertext), { padding: "none" }))).toBe(v.plaintext);
      k.destroy();
    }
    for (const v of V.ctr) {
      const k = new Sm4Key(wasm, fromHex(v.key));
      expect(toHex(k.ctr(fromHex(v.iv!), fromHex(v.plaintext)))).toBe(v.ciphertext);
      expect(toHex(k.ctr(fromHex(v.iv!), fromHex(v.ciphertext), { counterBits: 128 }))).toBe(v.plaintext);
      k.destroy();
    }
  });

  it("RFC 8998 A.1 SM4-GCM: ciphertext and tag, and open", () => {
    for (const v of V.gcm) {
      const k = new Sm4Key(wasm, fromHex(v.key));
      const sealed = k.sealGcm(fromHex(v.iv!), fromHex(v.plaintext), fromHex(v.aad!));
      expect(toHex(sealed)).toBe(v.ciphertext + v.tag);
      expect(toHex(k.openGcm(fromHex(v.iv!), sealed, fromHex(v.aad!)))).toBe(v.plaintext);
      // truncated tags are accepted on open when the caller says so
      for (const t of [12, 13, 14, 15]) {
        const cut = sealed.slice(0, sealed.length - (16 - t));
        expect(toHex(k.openGcm(fromHex(v.iv!), cut, fromHex(v.aad!), { tagLength: t }))).toBe(v.plaintext);
      }
      k.destroy();
    }
  });

  it("GCM agrees with sm-crypto-v2 (ciphertext and tag) and with node:crypto sm4-ctr from J0+1", () => {
    for (const len of [0, 1, 15, 16, 17, 63, 64, 65, 255, 1000, 4096]) {
      const key = randomBytes(16),
        iv = randomBytes(12),
        aad = randomBytes(len % 37),
        pt = randomBytes(len);
      const k = new Sm4Key(wasm, key);
      const sealed = k.sealGcm(iv, pt, aad);
      const ct = sealed.subarray(0, len),
        tag = sealed.subarray(len);
      expect(toHex(ct)).toBe(gcmCtrFromNode(key, iv, pt));
      if (len > 0) {
        // sm-crypto-v2 cannot take an empty plaintext
        const ref = smv2.encrypt(pt, key, { mode: "gcm", iv, associatedData: aad, output: "array", outputTag: true });
        expect(toHex(ct)).toBe(toHex(ref.output));
        expect(toHex(tag)).toBe(toHex(ref.tag!));
      }
      expect(toHex(k.openGcm(iv, sealed, aad))).toBe(pt.toString("hex"));
      k.destroy();
    }
  });

  it("GCM with IVs other than 12 bytes agrees with sm-crypto-v2", () => {
    for (const ivLen of [1, 8, 11, 13, 16, 60, 64, 200]) {
      const key = randomBytes(16),
        iv = randomBytes(ivLen),
        pt = randomBytes(77),
        aad = randomBytes(20);
      const k = new Sm4Key(wasm, key);
      const sealed = k.sealGcm(iv, pt, aad);
      const ref = smv2.encrypt(pt, key, { mode: "gcm", iv, associatedData: aad, output: "array", outputTag: true });
      expect(toHex(sealed)).toBe(toHex(ref.output) + toHex(ref.tag!));
      expect(toHex(k.openGcm(iv, sealed, aad))).toBe(pt.toString("hex"));
      k.destroy();
    }
  });

  it("inputs larger than the I/O region go through in pieces (all modes, both directions)", () => {
    const key = randomBytes(16),
      iv = randomBytes(16),
      k = new Sm4Key(wasm, key);
    for (const len of [65536, 65536 + 16, 65536 * 2 + 5, 200_003]) {
      const pt = randomBytes(len),
        whole = pt.subarray(0, len & ~15);
      for (const mode of ["ecb", "cbc"] as const) {
        const enc = (d: Uint8Array, p: "none" | "pkcs7") =>
          mode === "ecb" ? k.encryptEcb(d, { padding: p }) : k.encryptCbc(iv, d, { padding: p });
        const dec = (d: Uint8Array, p: "none" | "pkcs7") =>
          mode === "ecb" ? k.decryptEcb(d, { padding: p }) : k.decryptCbc(iv, d, { padding: p });
        const civ = mode === "ecb" ? null : iv;
        const c1 = enc(whole, "none");
        expect(toHex(c1)).toBe(nodeCipher(mode, key, civ, whole, true, false));
        expect(toHex(dec(c1, "none"))).toBe(whole.toString("hex"));
        const c2 = enc(pt, "pkcs7");
        expect(toHex(c2)).toBe(nodeCipher(mode, key, civ, pt, true, true));
        expect(toHex(dec(c2, "pkcs7"))).toBe(pt.toString("hex"));
      }
      for (const bits of [32, 128] as const) {
        const c = k.ctr(iv, pt, { counterBits: bits });
        if (bits === 128) expect(toHex(c)).toBe(nodeCipher("ctr", key, iv, pt, true, false));
        expect(toHex(k.ctr(iv, c, { counterBits: bits }))).toBe(pt.toString("hex"));
      }
      const nonce = iv.subarray(0, 12),
        aad = randomBytes(70_000);
      const sealed = k.sealGcm(nonce, pt, aad);
      expect(toHex(sealed.subarray(0, len))).toBe(gcmCtrFromNode(key, nonce, pt));
      expect(toHex(k.openGcm(nonce, sealed, aad))).toBe(pt.toString("hex"));
      // the streamed and one-shot paths agree on the tag (small message, big AAD → stream path)
      const small = randomBytes(100);
      const viaStream = k.sealGcm(nonce, small, aad);
      const ref = smv2.encrypt(small, key, { mode: "gcm", iv: nonce, associatedData: aad, output: "array", outputTag: true });
      expect(toHex(viaStream)).toBe(toHex(ref.output) + toHex(ref.tag!));
    }
    k.destroy();
  });

  it("every length around the kernels' batch sizes (4, 8 and 32 blocks) agrees with OpenSSL", () => {
    // one block, four, eight, a bitsliced batch of 32 (512 bytes), and what is left around them
    const key = randomBytes(16),
      iv = randomBytes(16);
    const k = new Sm4Key(wasm, key);
    try {
      for (const blocks of [1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 31, 32, 33, 36, 40, 41, 63, 64, 65, 100, 4096 + 37]) {
        const d = randomBytes(blocks * 16);
        for (const n of [d.length, d.length - 5]) {
          expect(toHex(k.ctr(iv, d.subarray(0, n))), `CTR ${n} B`).toBe(nodeCipher("ctr", key, iv, d.subarray(0, n), true, false));
        }
        const c = nodeCipher("ecb", key, null, d, true, false);
        expect(toHex(k.encryptEcb(d, { padding: "none" })), `ECB ${d.length} B`).toBe(c);
        expect(toHex(k.decryptEcb(fromHex(c), { padding: "none" })), `ECB decrypt ${d.length} B`).toBe(toHex(d));
        const cbc = nodeCipher("cbc", key, iv, d, true, false);
        expect(toHex(k.encryptCbc(iv, d, { padding: "none" })), `CBC ${d.length} B`).toBe(cbc);
        expect(toHex(k.decryptCbc(iv, fromHex(cbc), { padding: "none" })), `CBC decrypt ${d.length} B`).toBe(toHex(d));
      }
    } finally {
      k.destroy();
    }
  });

  it("32-bit counter wraps in the low 32 bits only; 128-bit carries into the high bits", () => {
    const key = randomBytes(16),
      k = new Sm4Key(wasm, key);
    const iv = fromHex("00112233445566778899aabbfffffffe");
    const zeros = new Uint8Array(64);
    const ks32 = k.ctr(iv, zeros, { counterBits: 32 });
    const ecb = (b: string) => toHex(k.encryptEcb(fromHex(b), { padding: "none" }));
    expect(toHex(ks32)).toBe(
      ecb("00112233445566778899aabbfffffffe") +
        ecb("00112233445566778899aabbffffffff") +
        ecb("00112233445566778899aabb00000000") +
        ecb("00112233445566778899aabb00000001"),
    );
    const ks128 = k.ctr(iv, zeros, { counterBits: 128 });
    expect(toHex(ks128)).toBe(nodeCipher("ctr", key, iv, zeros, true, false));
    expect(toHex(ks128.subarray(32, 48))).toBe(ecb("00112233445566778899aabc00000000"));
    const top = fromHex("ffffffffffffffffffffffffffffffff");
    expect(toHex(k.ctr(top, zeros, { counterBits: 128 }).subarray(16, 32))).toBe(ecb("00000000000000000000000000000000"));
    k.destroy();
  });

  it("CMAC: OpenSSL-computed vectors; verify accepts truncated MACs, rejects altered ones", () => {
    for (const v of V.cmac) {
      const k = new Sm4Key(wasm, fromHex(v.key));
      expect(toHex(k.cmac(fromHex(v.message)))).toBe(v.mac);
      expect(k.verifyCmac(fromHex(v.message), fromHex(v.mac))).toBe(true);
      k.destroy();
    }
    const key = randomBytes(16),
      k = new Sm4Key(wasm, key);
    for (const len of [0, 1, 15, 16, 17, 32, 33, 1000, 65537]) {
      const msg = randomBytes(len);
      const mac = k.cmac(msg);
      expect(k.verifyCmac(msg, mac)).toBe(true);
      for (const t of [8, 12, 15]) expect(k.verifyCmac(msg, mac.subarray(0, t))).toBe(true);
      const bad = mac.slice();
      bad[len % 16]! ^= 1;
      expect(k.verifyCmac(msg, bad)).toBe(false);
      if (len > 0) {
        const msg2 = Uint8Array.from(msg);
        msg2[len - 1]! ^= 0x80;
        expect(k.verifyCmac(msg2, mac)).toBe(false);
      }
    }
    k.destroy();
  });

  it("64-byte calls allocate nothing off the V8 heap (measured with a control)", () => {
    const k = new Sm4Key(wasm, randomBytes(16));
    const host = new Uint8Array(100),
      data = host.subarray(3, 67),
      iv = host.subarray(50, 66);
    const N = 2000;
    // The measure is the net change of all array buffers in the process, so a GC during the loop
    // that frees garbage left by earlier tests would pull it down (seen: −2.8 MB), and the control
    // could fail by chance. Collect twice first: the second GC also finishes the first one's
    // concurrent sweeping, so nothing freeable is left to be freed inside the loop.
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const growth = (f: () => Uint8Array): number => {
      const keep: Uint8Array[] = [];
      gc();
      gc();
      const before = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < N; i++) keep.push(f());
      const grew = process.memoryUsage().arrayBuffers - before;
      expect(keep.length).toBe(N);
      return grew;
    };
    // control: a 65-byte typed array gets an off-heap backing store, and the measure sees it
    expect(growth(() => new Uint8Array(65))).toBeGreaterThanOrEqual(N * 65);
    for (const f of [
      () => k.encryptEcb(data, { padding: "none" }),
      () => k.decryptEcb(data, { padding: "none" }),
      () => k.encryptCbc(iv, data, { padding: "none" }),
      () => k.ctr(iv, data),
      () => k.sealGcm(iv.subarray(0, 12), data.subarray(0, 48)),
      () => k.cmac(data),
    ]) {
      expect(growth(f)).toBeLessThan(N * 8);
    }
    k.destroy();
  });

  it("keys dropped without destroy() are zeroed and their handles come back after GC", async () => {
    expect(await droppedKeysComeBack(wasm, "sm4", () => new Sm4Key(wasm, randomBytes(16)))).toBe(true);
  });

  it("a key's handle is zeroed on destroy and reused", () => {
    const k = new Sm4Key(wasm, randomBytes(16));
    const h = k.handle;
    expect(wasm.exports.sm4_key_is_set!(h)).toBe(1);
    k.destroy();
    expect(k.handle).toBe(-1);
    expect(wasm.exports.sm4_key_is_set!(h)).toBe(0);
    k.destroy(); // idempotent
    const k2 = new Sm4Key(wasm, randomBytes(16));
    expect(k2.handle).toBe(h);
    k2.destroy();
  });
});
