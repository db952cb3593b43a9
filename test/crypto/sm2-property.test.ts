// Differential, property-based SM2 tests on both builds:
// - ECDH both ways between a wasm key pair and a node:crypto (OpenSSL 3) createECDH("SM2") pair;
// - wasm signatures verified by node:crypto and node:crypto signatures verified by the wasm,
//   random messages (node:crypto signs SM2 with an empty ID, the only one it can set);
// - random IDs (UTF-8 strings) against sm-crypto-v2, an independent JavaScript SM2, both ways;
// - random byte-string IDs against the openssl CLI (`pkeyutl -rawin -digest sm3 -pkeyopt
//   hexdistid:…`), both ways, a few runs (each spawns processes);
// - public-key decoding against node:crypto's compressed and uncompressed forms.
import { createECDH, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { sm2 as v2 } from "sm-crypto-v2";
import { afterAll, describe, expect, it } from "vitest";
import { TidWasm } from "../../bindings/wasm.js";
import { sm2Api, sm2SignatureFromDer, sm2SignatureToDer } from "../../bindings/sm2.js";
import { toHex } from "../../reference/bytes.js";

const RUNS = 100;
const SPKI = Buffer.from("3059301306072a8648ce3d020106082a811ccf5501822d03420004", "hex");
const nodePublic = (pub: Uint8Array) => createPublicKey({ key: Buffer.concat([SPKI, pub]), format: "der", type: "spki" });
function sec1(d: Uint8Array, pub: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from("30770201010420", "hex"), d, Buffer.from("a00a06082a811ccf5501822da14403420004", "hex"), pub]);
}
const nodePrivate = (d: Uint8Array, pub: Uint8Array) => createPrivateKey({ key: sec1(d, pub), format: "der", type: "sec1" });
/** A node:crypto SM2 key pair as raw bytes (d padded to 32). */
function nodePair(): { d: Uint8Array; pub: Uint8Array; ecdh: ReturnType<typeof createECDH> } {
  const e = createECDH("SM2");
  e.generateKeys();
  const d = new Uint8Array(32);
  const raw = e.getPrivateKey();
  d.set(raw, 32 - raw.length);
  return { d, pub: new Uint8Array(e.getPublicKey().subarray(1)), ecdh: e };
}
const message = fc.uint8Array({ minLength: 0, maxLength: 300 });

let opensslOk = true;
try {
  execFileSync("openssl", ["version"]);
} catch {
  opensslOk = false;
}
const dir = mkdtempSync(join(tmpdir(), "sm2-prop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(["debug", "release", "portable"] as const)("SM2 differential (%s build)", (build) => {
  const sm2 = sm2Api(TidWasm.create({ build }));

  it("ECDH agrees with node:crypto both ways", () => {
    fc.assert(
      fc.property(fc.constant(0), () => {
        const w = sm2.generateKeyPair();
        const n = nodePair();
        const z1 = sm2.ecdh(w.privateKey, n.pub);
        const z2 = n.ecdh.computeSecret(Buffer.concat([Buffer.from([4]), w.publicKey]));
        expect(toHex(z1)).toBe(z2.toString("hex"));
        // the node key's own public key, recomputed here
        expect(toHex(sm2.publicKeyFromPrivate(n.d))).toBe(toHex(n.pub));
      }),
      { numRuns: RUNS },
    );
  });

  it("wasm signatures verify in node:crypto, node:crypto signatures verify here", () => {
    fc.assert(
      fc.property(message, fc.boolean(), (msg, der) => {
        const w = sm2.generateKeyPair();
        const sig = sm2.sign(w.privateKey, msg, { id: "", der, publicKey: w.publicKey });
        expect(nodeVerify("sm3", msg, nodePublic(w.publicKey), der ? sig : sm2SignatureToDer(sig))).toBe(true);
        const n = nodePair();
        const nsig = nodeSign("sm3", msg, nodePrivate(n.d, n.pub));
        expect(sm2.verify(n.pub, msg, nsig, { id: "", der: true })).toBe(true);
        expect(sm2.verify(n.pub, msg, sm2SignatureFromDer(nsig)!, { id: "" })).toBe(true);
        // a different ID or message is rejected
        expect(sm2.verify(n.pub, msg, nsig, { der: true })).toBe(false);
        expect(sm2.verify(n.pub, new Uint8Array([...msg, 1]), nsig, { id: "", der: true })).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it("random string IDs agree with sm-crypto-v2 both ways", () => {
    fc.assert(
      fc.property(message, fc.string({ maxLength: 40, unit: "grapheme" }), (msg, id) => {
        const w = sm2.generateKeyPair();
        const sig = sm2.sign(w.privateKey, msg, { id, publicKey: w.publicKey });
        expect(v2.doVerifySignature(msg, toHex(sig), "04" + toHex(w.publicKey), { hash: true, userId: id })).toBe(true);
        const kp = v2.generateKeyPairHex();
        const pub = new Uint8Array(Buffer.from(kp.publicKey.slice(2), "hex"));
        const vsig = v2.doSignature(msg, kp.privateKey, { hash: true, userId: id, der: true });
        expect(sm2.verify(pub, msg, new Uint8Array(Buffer.from(vsig, "hex")), { id, der: true })).toBe(true);
        expect(toHex(sm2.za(pub, { id }))).toBe(toHex(v2.getZ(kp.publicKey, id)));
      }),
      { numRuns: RUNS },
    );
  });

  it.runIf(opensslOk)("random byte IDs agree with the openssl CLI both ways", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.uint8Array({ maxLength: 200 }), (id, msg) => {
        const w = sm2.generateKeyPair();
        const keyFile = join(dir, `${build}.k.der`),
          pubFile = join(dir, `${build}.p.der`);
        const msgFile = join(dir, `${build}.m.bin`),
          sigFile = join(dir, `${build}.s.der`);
        writeFileSync(keyFile, sec1(w.privateKey, w.publicKey));
        writeFileSync(pubFile, Buffer.concat([SPKI, w.publicKey]));
        writeFileSync(msgFile, msg);
        const distid = ["-pkeyopt", `hexdistid:${toHex(id)}`];
        // wasm → openssl
        writeFileSync(sigFile, sm2.sign(w.privateKey, msg, { id, der: true, publicKey: w.publicKey }));
        execFileSync("openssl", [
          "pkeyutl",
          "-verify",
          "-rawin",
          "-digest",
          "sm3",
          "-pubin",
          "-keyform",
          "DER",
          "-inkey",
          pubFile,
          "-in",
          msgFile,
          "-sigfile",
          sigFile,
          ...distid,
        ]);
        // openssl → wasm
        execFileSync("openssl", [
          "pkeyutl",
          "-sign",
          "-rawin",
          "-digest",
          "sm3",
          "-keyform",
          "DER",
          "-inkey",
          keyFile,
          "-in",
          msgFile,
          "-out",
          sigFile,
          ...distid,
        ]);
        expect(sm2.verify(w.publicKey, msg, new Uint8Array(readFileSync(sigFile)), { id, der: true })).toBe(true);
      }),
      { numRuns: 4 },
    );
  });

  it("decodes node:crypto's compressed and uncompressed public keys", () => {
    fc.assert(
      fc.property(fc.constant(0), () => {
        const n = nodePair();
        expect(toHex(sm2.decodePublicKey(n.ecdh.getPublicKey(null, "compressed")))).toBe(toHex(n.pub));
        expect(toHex(sm2.decodePublicKey(n.ecdh.getPublicKey(null, "uncompressed")))).toBe(toHex(n.pub));
        expect(toHex(sm2.encodePublicKey(n.pub, "compressed"))).toBe(n.ecdh.getPublicKey("hex", "compressed"));
      }),
      { numRuns: RUNS },
    );
  });
});
