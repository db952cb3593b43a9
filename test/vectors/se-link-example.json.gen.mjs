// Generates test/vectors/se-link-example.json, the worked example of the shielded SE link
// (docs/se-profile.md "Worked example of the shielded link"): fixed SK.SE, fixed ephemeral keys on
// both sides and a fixed challenge; OPEN SECURE SESSION, the key schedule, then two protected
// commands (GET DATA TID, LOAD SESSION KEY) and their protected answers, every intermediate value.
// It is computed here from node:crypto alone (its own CMAC and KDF, nothing of reference/), so the
// reference (test/reference/se-link-example.test.ts) and the simulated SE
// (its tests under test/sim/) are checked against an independent computation.
//   node test/vectors/se-link-example.json.gen.mjs > test/vectors/se-link-example.json
// (npm run check:generated runs it and compares.) The fixed values are SM3 of labels:
// SM3("tid-wasm shielded link worked example: <name>").
import { createCipheriv, createECDH, createHash } from "node:crypto";

const hex = (b) => Buffer.from(b).toString("hex");
const h = (s) => Buffer.from(s, "hex");
const cat = (...p) => Buffer.concat(p.map((x) => Buffer.from(x)));

const SK_SE = h("8c1fe519bf088046e4b9b634d730908f0712be1eb797bf951c803875b8270626");
const ESK_HOST = h("da2d9401fd2b2341aa8d9a1c566f6ee11be70676394000acf0388c59563d0165");
const ESK_SE = h("b16f5a873831576ec4186aa8a41e327d047b57e519a5d0032c48aeabb6648207");
const CHALLENGE = h("0075ae6d43af3f94c742d187448f7c09"); // first 16 bytes of its label's SM3
const SESSION_KEY = h("dfb985492562247eef51b9eb5c86cd2a"); // first 16 bytes of its label's SM3
const TID = h("671007e10029b0a2"); // the TID of test/vectors/tid-v1-example.json
const PSK = h("00112233445566778899aabbccddeeff");

function pub(d) {
  const e = createECDH("SM2");
  e.setPrivateKey(d);
  return e.getPublicKey().subarray(1);
}
function ecdh(d, q) {
  const e = createECDH("SM2");
  e.setPrivateKey(d);
  return e.computeSecret(cat([4], q));
}
function kdf(z, len) {
  const out = [];
  for (let i = 1; out.length * 32 < len; i++)
    out.push(
      createHash("sm3")
        .update(z)
        .update(h(i.toString(16).padStart(8, "0")))
        .digest(),
    );
  return Buffer.concat(out).subarray(0, len);
}
function ecb(key, block) {
  const c = createCipheriv("sm4-ecb", key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}
function cbc(key, iv, data) {
  const c = createCipheriv("sm4-cbc", key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}
function cmac(key, m) {
  const big = (b) => BigInt("0x" + (hex(b) || "0"));
  const blk = (v) => h(v.toString(16).padStart(32, "0"));
  const dbl = (v) => ((v << 1n) & ((1n << 128n) - 1n)) ^ (v >> 127n ? 0x87n : 0n);
  const k1 = dbl(big(ecb(key, Buffer.alloc(16))));
  const n = Math.max(1, Math.ceil(m.length / 16));
  let x = 0n;
  for (let i = 0; i < n - 1; i++) x = big(ecb(key, blk(x ^ big(m.subarray(16 * i, 16 * i + 16)))));
  const rest = m.subarray(16 * (n - 1));
  const last = m.length > 0 && rest.length === 16 ? big(rest) ^ k1 : big(pad(rest).subarray(0, 16)) ^ dbl(k1);
  return ecb(key, blk(x ^ last));
}
function pad(d) {
  const out = Buffer.alloc((Math.floor(d.length / 16) + 1) * 16);
  Buffer.from(d).copy(out);
  out[d.length] = 0x80;
  return out;
}
const ctrBlock = (first, ctr) => {
  const b = Buffer.alloc(16);
  b[0] = first;
  b.writeUInt32BE(ctr, 12);
  return b;
};

// OPEN SECURE SESSION
const PK_SE = pub(SK_SE);
const ePkHost = pub(ESK_HOST);
const ePkSe = pub(ESK_SE);
const zee = ecdh(ESK_HOST, ePkSe);
const zes = ecdh(ESK_HOST, PK_SE);
if (hex(zee) !== hex(ecdh(ESK_SE, ePkHost)) || hex(zes) !== hex(ecdh(SK_SE, ePkHost))) throw new Error("ECDH sides disagree");
const info = cat(Buffer.from("TIDLINK1"), ePkHost, ePkSe, CHALLENGE);
const km = kdf(cat(zee, zes, info), 64);
const [receiptKey, sEnc, sMac, sRmac] = [0, 1, 2, 3].map((i) => km.subarray(16 * i, 16 * i + 16));
const receipt = cmac(receiptKey, cat(ePkHost, ePkSe, CHALLENGE));

let chain = receipt;
let counter = 1;
function protect(name, cla, ins, p1, p2, d, r, sw) {
  const icv = d.length ? ecb(sEnc, ctrBlock(0x00, counter)) : null;
  const c = d.length ? cbc(sEnc, icv, pad(d)) : Buffer.alloc(0);
  const claP = (cla | 0x04) & ~0x10;
  const macInput = cat(chain, [claP, ins, p1, p2, (c.length + 8) >> 8, (c.length + 8) & 0xff], c);
  chain = cmac(sMac, macInput);
  const data = cat(c, chain.subarray(0, 8));
  const plainApdu = cat([cla, ins, p1, p2], d.length ? cat([d.length], d) : [], [0]);
  const apdu = cat([claP, ins, p1, p2, data.length], data, [0]);
  const icvR = r.length ? ecb(sEnc, ctrBlock(0x80, counter)) : null;
  const e = r.length ? cbc(sEnc, icvR, pad(r)) : Buffer.alloc(0);
  const rmacInput = cat(chain, e, [sw >> 8, sw & 0xff]);
  const rmac = cmac(sRmac, rmacInput).subarray(0, 8);
  const out = {
    name,
    counter,
    plainApdu: hex(plainApdu),
    D: hex(d),
    ICV: icv ? hex(icv) : null,
    paddedD: d.length ? hex(pad(d)) : null,
    C: hex(c),
    macInput: hex(macInput),
    cmac: hex(chain),
    protectedApdu: hex(apdu),
    R: hex(r),
    SW: sw.toString(16).padStart(4, "0"),
    responseICV: icvR ? hex(icvR) : null,
    paddedR: r.length ? hex(pad(r)) : null,
    E: hex(e),
    rmacInput: hex(rmacInput),
    rmac: hex(rmac),
    protectedResponse: hex(cat(e, rmac, [sw >> 8, sw & 0xff])),
  };
  counter++;
  return out;
}

const example = {
  label: "shielded SE link worked example",
  TID: hex(TID),
  PSK: hex(PSK),
  SK_SE: hex(SK_SE),
  PK_SE: hex(PK_SE),
  hostEphemeralPrivate: hex(ESK_HOST),
  hostEphemeralPublic: hex(ePkHost),
  seEphemeralPrivate: hex(ESK_SE),
  seEphemeralPublic: hex(ePkSe),
  challenge: hex(CHALLENGE),
  openCommand: hex(cat([0x80, 0x88, 0x00, 0x00, 0x50], ePkHost, CHALLENGE, [0x00])),
  openResponse: hex(cat(ePkSe, receipt, [0x90, 0x00])),
  Zee: hex(zee),
  Zes: hex(zes),
  info: hex(info),
  KM: hex(km),
  receiptKey: hex(receiptKey),
  S_ENC: hex(sEnc),
  S_MAC: hex(sMac),
  S_RMAC: hex(sRmac),
  receipt: hex(receipt),
  commands: [
    protect("GET DATA (TID)", 0x80, 0xca, 0x00, 0x01, Buffer.alloc(0), TID, 0x9000),
    protect("LOAD SESSION KEY (slot 0)", 0x80, 0x5a, 0x00, 0x00, SESSION_KEY, Buffer.alloc(0), 0x9000),
  ],
};
process.stdout.write(JSON.stringify(example, null, 2) + "\n");
