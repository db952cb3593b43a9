// Generates test/vectors/sm2-node.json: fixed SM2 known-answer cases on the curve sm2p256v1,
// computed once with node:crypto (OpenSSL 3) and, for signatures with an ID, the openssl CLI.
//   node test/vectors/make-sm2-vectors.mjs > test/vectors/sm2-node.json
// Re-running makes new random cases (the signatures are randomised); the committed file is the
// one the tests use. Provenance: test/vectors/SOURCES.md § SM2.
//
// How node:crypto is made to do SM2 (Node 20, OpenSSL 3.0):
// - keys and ECDH: crypto.createECDH("SM2") (setPrivateKey / getPublicKey / computeSecret);
// - signatures: a KeyObject built from SEC1/SPKI DER carrying the SM2 curve OID 1.2.156.10197.1.301
//   is an OpenSSL SM2 key, and crypto.sign("sm3", msg, key) then makes a genuine SM2 signature
//   (GB/T 32918.2) — but with an EMPTY ID (ENTL = 0; OpenSSL 3.0's default), and Node has no
//   option to set another. Signatures with the default or any other ID therefore come from
//   `openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt hexdistid:<ID>`.
// Every signature is verified again here by the other tool before it is written.
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const n = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const OID = Buffer.from("06082a811ccf5501822d", "hex"); // 1.2.156.10197.1.301 (sm2p256v1)
const hex = (b) => Buffer.from(b).toString("hex");
const be32 = (v) => Buffer.from(v.toString(16).padStart(64, "0"), "hex");

function ecdhOf(d) {
  const e = crypto.createECDH("SM2");
  e.setPrivateKey(d);
  return e;
}
function keyObjects(d) {
  const pub = ecdhOf(d).getPublicKey(); // 04 ‖ x ‖ y
  const sec1 = Buffer.concat([
    Buffer.from("30770201010420", "hex"),
    d,
    Buffer.from("a00a", "hex"),
    OID,
    Buffer.from("a144034200", "hex"),
    pub,
  ]);
  const spki = Buffer.concat([Buffer.from("3059301306072a8648ce3d0201", "hex"), OID, Buffer.from("034200", "hex"), pub]);
  return {
    privateKey: crypto.createPrivateKey({ key: sec1, format: "der", type: "sec1" }),
    publicKey: crypto.createPublicKey({ key: spki, format: "der", type: "spki" }),
    sec1,
    spki,
  };
}
function randomPrivate() {
  for (;;) {
    const d = crypto.randomBytes(32);
    const v = BigInt("0x" + hex(d));
    if (v >= 1n && v <= n - 2n) return d;
  }
}

// ---- key pairs: edge scalars and random ones
const edge = [1n, 2n, 3n, n - 2n, n - 3n, 2n ** 255n, 2n ** 255n - 1n, (n - 1n) / 2n];
const keys = [...edge.map(be32), randomPrivate(), randomPrivate(), randomPrivate(), randomPrivate()].map((d) => {
  const e = ecdhOf(d);
  return {
    d: hex(d),
    pub: hex(e.getPublicKey().subarray(1)),
    compressed: hex(e.getPublicKey(null, "compressed")),
  };
});

// ---- ECDH: both directions agree
const ecdh = [];
for (let i = 0; i < 8; i++) {
  const a = ecdhOf(i === 0 ? be32(1n) : i === 1 ? be32(n - 2n) : randomPrivate());
  const b = ecdhOf(randomPrivate());
  const z = a.computeSecret(b.getPublicKey());
  if (!z.equals(b.computeSecret(a.getPublicKey()))) throw new Error("ECDH disagrees");
  // getPrivateKey() drops leading zero bytes: pad to 32
  ecdh.push({ d: hex(a.getPrivateKey()).padStart(64, "0"), peerPub: hex(b.getPublicKey().subarray(1)), z: hex(z) });
}

// ---- signatures by node:crypto (empty ID)
const signaturesNode = [];
for (const len of [0, 1, 14, 32, 64, 100, 1000]) {
  const d = randomPrivate();
  const { privateKey, publicKey } = keyObjects(d);
  const msg = crypto.randomBytes(len);
  const sig = crypto.sign("sm3", msg, privateKey);
  if (!crypto.verify("sm3", msg, publicKey, sig)) throw new Error("node signature does not verify");
  signaturesNode.push({ pub: hex(ecdhOf(d).getPublicKey().subarray(1)), id: "", msg: hex(msg), der: hex(sig) });
}

// ---- signatures by the openssl CLI with an ID (default ID and random byte strings)
const dir = mkdtempSync(join(tmpdir(), "sm2-vectors-"));
const signaturesOpenssl = [];
try {
  const ids = [
    Buffer.from("1234567812345678"),
    Buffer.from("1234567812345678"),
    Buffer.from("ALICE123@YAHOO.COM"),
    crypto.randomBytes(1),
    crypto.randomBytes(33),
    crypto.randomBytes(200),
  ];
  ids.forEach((id, i) => {
    const d = randomPrivate();
    const { sec1, publicKey } = keyObjects(d);
    const msg = crypto.randomBytes([0, 5, 32, 77, 150, 1024][i]);
    const keyFile = join(dir, "k.der"),
      msgFile = join(dir, "m.bin"),
      sigFile = join(dir, "s.der");
    writeFileSync(keyFile, sec1);
    writeFileSync(msgFile, msg);
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
      "-pkeyopt",
      `hexdistid:${hex(id)}`,
    ]);
    const sig = readFileSync(sigFile);
    // the same signature must fail under node's empty ID unless the ID is empty (it never is here)
    if (crypto.verify("sm3", msg, publicKey, sig)) throw new Error("ID was not applied");
    execFileSync("openssl", [
      "pkeyutl",
      "-verify",
      "-rawin",
      "-digest",
      "sm3",
      "-keyform",
      "DER",
      "-inkey",
      keyFile,
      "-in",
      msgFile,
      "-sigfile",
      sigFile,
      "-pkeyopt",
      `hexdistid:${hex(id)}`,
    ]);
    signaturesOpenssl.push({ pub: hex(ecdhOf(d).getPublicKey().subarray(1)), id: hex(id), msg: hex(msg), der: hex(sig) });
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const out = {
  generator: "test/vectors/make-sm2-vectors.mjs",
  generated: new Date().toISOString().slice(0, 10),
  tools: { node: process.version, openssl: process.versions.openssl, opensslCli: execFileSync("openssl", ["version"]).toString().trim() },
  note: 'Hex strings. pub = x ‖ y (64 bytes); compressed = 02/03 ‖ x; signatures are DER as produced; id is hex ("" = empty ID).',
  keys,
  ecdh,
  signaturesNode,
  signaturesOpenssl,
};
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
