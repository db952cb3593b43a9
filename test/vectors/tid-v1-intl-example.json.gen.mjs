// Generates test/vectors/tid-v1-intl-example.json, the worked example of TID protocol v1 in
// algorithm suite INTL (docs/protocol.md "Algorithm suites"): AES-128 (byte 1 = 0x20), ephemeral
// ECDH on P-256 / secp256r1 (byte 2 = 0x03, SEC 2 §2.4.2), tags HMAC-SHA-256 (RFC 2104, FIPS 180-4),
// K from the ANSI X9.63 KDF with SHA-256 (SEC 1 v2 §3.6.1), the token used with AES-128-ECB and one
// uplink AEAD message in AES-128-GCM (NIST SP 800-38D). Same TID, PSK, times and nonces as the
// suite SM example (tid-v1-example.json); the two ephemeral private keys are fixed test values.
// It is computed here from node:crypto alone (nothing of reference/), so the reference
// (test/reference/intl-example.test.ts) is checked against an independent computation.
//   node test/vectors/tid-v1-intl-example.json.gen.mjs > test/vectors/tid-v1-intl-example.json
// (npm run check:generated runs it and compares.)
import { createCipheriv, createECDH, createHash, createHmac } from "node:crypto";

const hex = (b) => Buffer.from(b).toString("hex");
const h = (s) => Buffer.from(s, "hex");
const cat = (...p) => Buffer.concat(p.map((x) => Buffer.from(x)));
const u16 = (v) => [v >> 8, v & 0xff];
const u32 = (v) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

const TID = h("671007e10029b0a2");
const PSK = h("00112233445566778899aabbccddeeff");
const DEVICE_TIME = 1561977519;
const SERVER_TIME = 1561977520;
const ND = h("ec8f9eabc6fbab64689bef2cf4efec9c");
const NS = h("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
const EXTRA = Buffer.alloc(0);
const QD_PRIVATE = h("80f12f752de7f7a5183ca9f415d62c925f3d672c6c1a0c1596ac88c57d3a4d01");
const QS_PRIVATE = h("744eb8f1b8ca9ffde4ec44b9bd544907e667e36c7b74cdb2f9a7fc9579f73d0a");
const HELLO = Buffer.from("hello");

// Header bytes 0–3 of suite INTL: version 1, AES-128, ECDH P-256, nonce length 16.
const PREFIX = [0x01, 0x20, 0x03, 0x10];

/** Public key X ‖ Y (64 bytes, no 0x04) of the P-256 scalar d. */
function pub(d) {
  const e = createECDH("prime256v1");
  e.setPrivateKey(d);
  return e.getPublicKey().subarray(1);
}
/** x-coordinate of [d]·Q on P-256. */
function ecdh(d, q) {
  const e = createECDH("prime256v1");
  e.setPrivateKey(d);
  return e.computeSecret(cat([4], q));
}
/** ANSI X9.63 KDF with SHA-256: SHA-256(Z ‖ counter_be32) for counter = 1, 2, …, empty SharedInfo. */
function x963(z, len) {
  const out = [];
  for (let i = 1; out.length * 32 < len; i++)
    out.push(
      createHash("sha256")
        .update(z)
        .update(Buffer.from(u32(i)))
        .digest(),
    );
  return Buffer.concat(out).subarray(0, len);
}
const hmac = (key, ...parts) => parts.reduce((m, p) => m.update(p), createHmac("sha256", key)).digest();

const Qd = pub(QD_PRIVATE);
const Qs = pub(QS_PRIVATE);
const authBody = cat(PREFIX, u16(0), u32(DEVICE_TIME), TID, ND, u16(EXTRA.length), EXTRA, Qd);
const tagD = hmac(PSK, authBody);
const authcode = cat(authBody, tagD);
const serverBody = cat(PREFIX, u16(1), u32(SERVER_TIME), TID, NS, u16(0), Qs);
const tagS = hmac(PSK, Buffer.from("TIDS"), serverBody, ND, tagD);
const serverData = cat(serverBody, tagS);
const z = ecdh(QD_PRIVATE, Qs);
if (hex(z) !== hex(ecdh(QS_PRIVATE, Qd))) throw new Error("ECDH sides disagree");
const k = x963(cat(z, TID, ND, NS), 32);
const token = k.subarray(0, 16);

const ecb = createCipheriv("aes-128-ecb", token, null);
ecb.setAutoPadding(false);
const zeroBlock = cat(ecb.update(Buffer.alloc(16)), ecb.final());
// AEAD uplink message, counter 0: nonce = 00000001 ‖ counter (8, big-endian), no AAD.
const gcm = createCipheriv("aes-128-gcm", token, cat(u32(1), Buffer.alloc(8)));
const sealed = cat(Buffer.alloc(8), gcm.update(HELLO), gcm.final(), gcm.getAuthTag());

const example = {
  label: "worked example intl",
  suite: "INTL (0x20 AES-128, 0x03 ECDH P-256, HMAC-SHA-256, X9.63-SHA-256 KDF)",
  TID: hex(TID),
  PSK: hex(PSK),
  deviceTime: DEVICE_TIME,
  serverTime: SERVER_TIME,
  Nd: hex(ND),
  Ns: hex(NS),
  extra: hex(EXTRA),
  deviceEphemeralPrivate: hex(QD_PRIVATE),
  serverEphemeralPrivate: hex(QS_PRIVATE),
  Qd: hex(Qd),
  Qs: hex(Qs),
  authcode: hex(authcode),
  authcodeLength: authcode.length,
  tagD: hex(tagD),
  serverData: hex(serverData),
  serverDataLength: serverData.length,
  tagS: hex(tagS),
  Z: hex(z),
  K: hex(k),
  sessionToken: hex(token),
  symCryptoEncryptZeroBlock: hex(zeroBlock),
  sealUplinkCounter0Hello: hex(sealed),
};
process.stdout.write(JSON.stringify(example, null, 1) + "\n");
