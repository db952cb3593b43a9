// Generates test/vectors/tid-tls-example.json, the worked example of TID-TLS (docs/tls.md
// "Worked example"): one connection in mode auth (the authcode, server data and session token of
// test/vectors/tid-v1-example.json) and one in mode resume with that token as the PSK, with fixed
// randoms; every handshake message and record, the transcript hashes, every secret of the key
// schedule (RFC 8446 §7.1 with HKDF over SM3), the traffic keys (§7.3), the binder (§4.2.11), both
// Finished (§4.4.4), the first protected application record of each side, and a KeyUpdate
// (§4.6.3) each way with one record after it. It is computed here from node:crypto alone (its own
// HKDF, its own SM4-GCM from sm4-ecb / sm4-ctr with GHASH on BigInt, its own message encoding
// after the tables of docs/tls.md), nothing of bindings/ or reference/, so the engine and both
// ciphers (test/tls/example.test.ts) are checked against an independent computation.
//   node test/vectors/tid-tls-example.json.gen.mjs > test/vectors/tid-tls-example.json
// (npm run check:generated runs it and compares.) The randoms are SM3 of labels:
// SM3("tid-wasm TID-TLS worked example: <name>").
import { createCipheriv, createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

const hex = (b) => Buffer.from(b).toString("hex");
const h = (s) => Buffer.from(s, "hex");
const cat = (...p) => Buffer.concat(p.map((x) => Buffer.from(x)));
const sm3 = (...p) => {
  const x = createHash("sm3");
  for (const b of p) x.update(b);
  return x.digest();
};
const hmac = (k, ...p) => {
  const x = createHmac("sm3", k);
  for (const b of p) x.update(Buffer.from(b));
  return x.digest();
};
const label = (name) => sm3(Buffer.from(`tid-wasm TID-TLS worked example: ${name}`));

const V1 = JSON.parse(readFileSync(new URL("./tid-v1-example.json", import.meta.url), "utf8"));
const TID = h(V1.TID);
const TOKEN = h(V1.sessionToken);

// ---- HKDF over SM3 (RFC 5869) and the TLS 1.3 labels (RFC 8446 §7.1)
const ZEROS = Buffer.alloc(32);
const extract = (salt, ikm) => hmac(salt, ikm);
function expand(prk, info, length) {
  let t = Buffer.alloc(0);
  const out = [];
  for (let i = 1; out.length * 32 < length; i++) out.push((t = hmac(prk, t, info, [i])));
  return Buffer.concat(out).subarray(0, length);
}
function expandLabel(secret, name, context, length) {
  const l = Buffer.from("tls13 " + name);
  return expand(secret, cat([length >> 8, length & 0xff, l.length], l, [context.length], context), length);
}
const deriveSecret = (secret, name, hash) => expandLabel(secret, name, hash, 32);
const finishedMac = (base, hash) => hmac(expandLabel(base, "finished", Buffer.alloc(0), 32), hash);
const trafficKeys = (secret) => ({
  key: expandLabel(secret, "key", Buffer.alloc(0), 16),
  iv: expandLabel(secret, "iv", Buffer.alloc(0), 12),
});

// ---- SM4-GCM (NIST SP 800-38D) from SM4-ECB / SM4-CTR, GHASH on BigInt
function ecb(key, block) {
  const c = createCipheriv("sm4-ecb", key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}
const big = (b) => BigInt("0x" + (hex(b) || "0"));
const R = 0xe1n << 120n;
function gmul(x, y) {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}
function ghash(hKey, aad, c) {
  const H = big(hKey);
  let y = 0n;
  const blocks = (d) => {
    for (let i = 0; i < d.length; i += 16) {
      const b = Buffer.alloc(16);
      d.copy(b, 0, i, Math.min(d.length, i + 16));
      y = gmul(y ^ big(b), H);
    }
  };
  blocks(aad);
  blocks(c);
  const lens = Buffer.alloc(16);
  lens.writeBigUInt64BE(BigInt(aad.length * 8), 0);
  lens.writeBigUInt64BE(BigInt(c.length * 8), 8);
  y = gmul(y ^ big(lens), H);
  return Buffer.from(y.toString(16).padStart(32, "0"), "hex");
}
function gcmSeal(key, nonce, aad, plaintext) {
  const j0 = cat(nonce, [0, 0, 0, 1]);
  const ctr = createCipheriv("sm4-ctr", key, cat(nonce, [0, 0, 0, 2]));
  const c = Buffer.concat([ctr.update(plaintext), ctr.final()]);
  const s = ghash(ecb(key, Buffer.alloc(16)), aad, c);
  const mask = ecb(key, j0);
  return cat(
    c,
    s.map((b, i) => b ^ mask[i]),
  );
}

// This GCM reproduces RFC 8998 Appendix A.1 (SM4-GCM) before it is used.
{
  const a1 = gcmSeal(
    h("0123456789abcdeffedcba9876543210"),
    h("00001234567800000000abcd"),
    h("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
    h("aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa"),
  );
  const want =
    "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d83de3541e4c2b58177e065a9bf7b62ec";
  if (hex(a1) !== want) throw new Error("SM4-GCM does not reproduce RFC 8998 A.1");
}

// ---- records (RFC 8446 §5)
const plainRecord = (type, fragment) => cat([type, 3, 3, fragment.length >> 8, fragment.length & 0xff], fragment);
/** One direction's protection: key, IV and sequence number (§5.3). */
function writer(secret) {
  const { key, iv } = trafficKeys(secret);
  let seq = 0n;
  return {
    key,
    iv,
    seal(type, content) {
      const inner = cat(content, [type]);
      const length = inner.length + 16;
      const header = Buffer.from([23, 3, 3, length >> 8, length & 0xff]);
      const s = Buffer.alloc(12);
      s.writeBigUInt64BE(seq++, 4);
      const nonce = iv.map((b, i) => b ^ s[i]);
      return cat(header, gcmSeal(key, nonce, header, inner));
    },
  };
}

// ---- the messages of docs/tls.md "Handshake messages"
const handshake = (type, body) => cat([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff], body);
const VERSION = [0x01];
const SUITE = [0x00, 0xc6];
const MODE = { auth: 1, resume: 2 };
const vec16 = (b) => cat([b.length >> 8, b.length & 0xff], b);

function connection(mode) {
  const clientRandom = label(`client_random ${mode}`);
  const serverRandom = label(`server_random ${mode}`);
  const psk = TOKEN;
  const out = { mode, clientRandom: hex(clientRandom), serverRandom: hex(serverRandom), PSK: hex(psk) };

  const earlySecret = extract(ZEROS, psk);
  const emptyHash = sm3();
  const binderKey = deriveSecret(earlySecret, "res binder", emptyHash);

  let clientHello;
  if (mode === "auth") {
    clientHello = handshake(1, cat(VERSION, clientRandom, SUITE, [MODE.auth], vec16(h(V1.authcode))));
  } else {
    const truncated = handshake(1, cat(VERSION, clientRandom, SUITE, [MODE.resume], TID, Buffer.alloc(32))).subarray(0, -32);
    const truncatedHash = sm3(truncated);
    const binder = finishedMac(binderKey, truncatedHash);
    clientHello = cat(truncated, binder);
    Object.assign(out, {
      truncatedClientHello: hex(truncated),
      truncatedHash: hex(truncatedHash),
      binderKey: hex(binderKey),
      binder: hex(binder),
    });
  }
  const serverHello =
    mode === "auth"
      ? handshake(2, cat(VERSION, serverRandom, SUITE, [MODE.auth], vec16(h(V1.serverData))))
      : handshake(2, cat(VERSION, serverRandom, SUITE, [MODE.resume]));
  const helloHash = sm3(clientHello, serverHello);

  const handshakeSecret = extract(deriveSecret(earlySecret, "derived", emptyHash), ZEROS);
  const cHs = deriveSecret(handshakeSecret, "c hs traffic", helloHash);
  const sHs = deriveSecret(handshakeSecret, "s hs traffic", helloHash);
  const serverFinished = handshake(20, finishedMac(sHs, helloHash));
  const serverFinishedHash = sm3(clientHello, serverHello, serverFinished);
  const masterSecret = extract(deriveSecret(handshakeSecret, "derived", emptyHash), ZEROS);
  const cAp0 = deriveSecret(masterSecret, "c ap traffic", serverFinishedHash);
  const sAp0 = deriveSecret(masterSecret, "s ap traffic", serverFinishedHash);
  const clientFinished = handshake(20, finishedMac(cHs, serverFinishedHash));

  const cHsW = writer(cHs);
  const sHsW = writer(sHs);
  const cApW = writer(cAp0);
  const sApW = writer(sAp0);
  const cAp1 = expandLabel(cAp0, "traffic upd", Buffer.alloc(0), 32);
  const sAp1 = expandLabel(sAp0, "traffic upd", Buffer.alloc(0), 32);
  const cAp1W = writer(cAp1);
  const sAp1W = writer(sAp1);
  const c1 = Buffer.from(`ping from the device (${mode})`);
  const s1 = Buffer.from(`pong from the user server (${mode})`);
  const c2 = Buffer.from("after the KeyUpdate, from the device");
  const s2 = Buffer.from("after the KeyUpdate, from the user server");

  return Object.assign(out, {
    clientHello: hex(clientHello),
    serverHello: hex(serverHello),
    helloHash: hex(helloHash),
    secrets: {
      earlySecret: hex(earlySecret),
      binderKey: hex(binderKey),
      handshakeSecret: hex(handshakeSecret),
      clientHandshakeTrafficSecret: hex(cHs),
      serverHandshakeTrafficSecret: hex(sHs),
      masterSecret: hex(masterSecret),
      clientApplicationTrafficSecret: hex(cAp0),
      serverApplicationTrafficSecret: hex(sAp0),
      clientApplicationTrafficSecret1: hex(cAp1),
      serverApplicationTrafficSecret1: hex(sAp1),
    },
    keys: {
      clientHandshake: { key: hex(cHsW.key), iv: hex(cHsW.iv) },
      serverHandshake: { key: hex(sHsW.key), iv: hex(sHsW.iv) },
      clientApplication: { key: hex(cApW.key), iv: hex(cApW.iv) },
      serverApplication: { key: hex(sApW.key), iv: hex(sApW.iv) },
    },
    serverFinished: hex(serverFinished),
    serverFinishedHash: hex(serverFinishedHash),
    clientFinished: hex(clientFinished),
    // every record on the wire, in the order each side sends them
    records: {
      client: [
        { what: "ClientHello", record: hex(plainRecord(22, clientHello)) },
        { what: "Finished (client handshake keys, seq 0)", record: hex(cHsW.seal(22, clientFinished)) },
        { what: "application data (seq 0)", content: hex(c1), record: hex(cApW.seal(23, c1)) },
        { what: "KeyUpdate update_requested (seq 1)", record: hex(cApW.seal(22, handshake(24, [1]))) },
        { what: "application data after the KeyUpdate (seq 0)", content: hex(c2), record: hex(cAp1W.seal(23, c2)) },
      ],
      server: [
        { what: "ServerHello", record: hex(plainRecord(22, serverHello)) },
        { what: "Finished (server handshake keys, seq 0)", record: hex(sHsW.seal(22, serverFinished)) },
        { what: "application data (seq 0)", content: hex(s1), record: hex(sApW.seal(23, s1)) },
        { what: "KeyUpdate update_not_requested (seq 1)", record: hex(sApW.seal(22, handshake(24, [0]))) },
        { what: "application data after the KeyUpdate (seq 0)", content: hex(s2), record: hex(sAp1W.seal(23, s2)) },
      ],
    },
  });
}

const example = {
  label: "TID-TLS worked example",
  cipherSuite: "00c6",
  TID: V1.TID,
  authcode: V1.authcode,
  serverData: V1.serverData,
  sessionToken: V1.sessionToken,
  auth: connection("auth"),
  resume: connection("resume"),
};
process.stdout.write(JSON.stringify(example, null, 1) + "\n");
