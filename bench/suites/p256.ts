// P-256 (secp256r1, SEC 2) and ECDSA with SHA-256 (FIPS 186-5): key generation, ECDH, signing
// and verification of a 32-byte message, µs per operation. tid-wasm (release build, the public
// bindings/p256 API: inputs copied into the module, results copied out; tid-wasm-portable the
// same on build/portable.wasm) against node:crypto (OpenSSL 3, whose P-256 is hand-written
// assembly) and noble (@noble/curves p256: portable JavaScript, the peer a browser or an embedded
// JS runtime has), each in its best form for the same work:
// - keygen: tid-wasm generateKeyPair(); node createECDH("prime256v1").generateKeys() (returns
//   the public key); noble keygen() (the secret key and its uncompressed public key);
// - ecdh: private key + the peer's encoded public key → shared x, the peer's point validated:
//   tid-wasm ecdh(d, x ‖ y); node ecdh.computeSecret(04 ‖ x ‖ y); noble getSharedSecret(d, 04 ‖ x ‖ y);
// - sign / verify over SHA-256 of the message: tid-wasm sign/verify (r ‖ s); node
//   crypto.sign/verify("sha256", msg, KeyObject) (DER); noble sign/verify (compact r ‖ s; its
//   default RFC 6979 nonce, with the hedging of extraEntropy off as it is by default).
// Every peer's keys, shared secrets and signatures are cross-checked before timing, and the peers
// of one op are sampled in turns so a change in machine load hits all of them alike.
import { createECDH, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { p256 as noble } from "@noble/curves/nist.js";
import { measureInTurns, type BenchOptions, type Row, type Suite } from "../harness.js";
import { p256Api } from "../../bindings/p256.js";
import { TidWasm } from "../../bindings/wasm.js";
import { toHex } from "../../reference/bytes.js";

type Impl = Row["impl"];
type Op = "p256-keygen" | "p256-ecdh" | "ecdsa-p256-sign" | "ecdsa-p256-verify";
type Case = [op: Op, impl: Impl, run: () => unknown];
const IMPLS: Impl[] = ["tid-wasm", "tid-wasm-portable", "node:crypto", "noble"];

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
const sec1 = (xy: Uint8Array): Uint8Array => Uint8Array.of(4, ...xy);

export const suite: Suite = {
  name: "P-256 (SEC 2 secp256r1) and ECDSA-SHA-256: key pair, ECDH, sign and verify a 32-byte message (µs per operation)",
  targets: [
    { op: "p256-ecdh", size: 32, metric: "us", peer: "noble", atMost: 0.1 },
    { op: "p256-ecdh", size: 32, metric: "us", peer: "node:crypto", atMost: 1.5 },
  ],
  run(opt: BenchOptions, log: (line: string) => void): Row[] {
    const api = p256Api(TidWasm.create({ build: "release" }));
    const apiP = p256Api(TidWasm.create({ build: "portable" }));
    const msg = new Uint8Array(32).map((_, i) => (i * 29 + 7) & 255);

    const me = api.generateKeyPair();
    const peer = api.generateKeyPair();
    const peer65 = sec1(peer.publicKey);
    const nodeEcdh = createECDH("prime256v1");
    nodeEcdh.setPrivateKey(me.privateKey);
    const jwk = { kty: "EC", crv: "P-256", x: b64(me.publicKey.subarray(0, 32)), y: b64(me.publicKey.subarray(32)) };
    const nodePriv = createPrivateKey({ key: { ...jwk, d: b64(me.privateKey) }, format: "jwk" });
    const nodePub = createPublicKey({ key: jwk, format: "jwk" });
    const me65 = sec1(me.publicKey);

    const sigWasm = api.sign(me.privateKey, msg);
    const sigNode = nodeSign("sha256", msg, nodePriv);
    const sigNoble = noble.sign(msg, me.privateKey);

    const cases: Case[] = [
      ["p256-keygen", "tid-wasm", () => api.generateKeyPair()],
      ["p256-keygen", "tid-wasm-portable", () => apiP.generateKeyPair()],
      ["p256-keygen", "node:crypto", () => createECDH("prime256v1").generateKeys()],
      ["p256-keygen", "noble", () => noble.keygen()],
      ["p256-ecdh", "tid-wasm", () => api.ecdh(me.privateKey, peer.publicKey)],
      ["p256-ecdh", "tid-wasm-portable", () => apiP.ecdh(me.privateKey, peer.publicKey)],
      ["p256-ecdh", "node:crypto", () => nodeEcdh.computeSecret(peer65)],
      ["p256-ecdh", "noble", () => noble.getSharedSecret(me.privateKey, peer65)],
      ["ecdsa-p256-sign", "tid-wasm", () => api.sign(me.privateKey, msg)],
      ["ecdsa-p256-sign", "tid-wasm-portable", () => apiP.sign(me.privateKey, msg)],
      ["ecdsa-p256-sign", "node:crypto", () => nodeSign("sha256", msg, nodePriv)],
      ["ecdsa-p256-sign", "noble", () => noble.sign(msg, me.privateKey)],
      ["ecdsa-p256-verify", "tid-wasm", () => must(api.verify(me.publicKey, msg, sigWasm))],
      ["ecdsa-p256-verify", "tid-wasm-portable", () => must(apiP.verify(me.publicKey, msg, sigWasm))],
      ["ecdsa-p256-verify", "node:crypto", () => must(nodeVerify("sha256", msg, nodePub, sigNode))],
      ["ecdsa-p256-verify", "noble", () => must(noble.verify(sigNoble, msg, me65))],
    ];

    // Cross-checks before timing.
    const z = toHex(api.ecdh(me.privateKey, peer.publicKey));
    if (nodeEcdh.computeSecret(peer65).toString("hex") !== z) throw new Error("node:crypto ECDH disagrees");
    if (toHex(noble.getSharedSecret(me.privateKey, peer65).subarray(1)) !== z) throw new Error("noble ECDH disagrees");
    if (toHex(apiP.ecdh(me.privateKey, peer.publicKey)) !== z) throw new Error("the portable build's ECDH disagrees");
    if (!nodeVerify("sha256", msg, { key: nodePub, dsaEncoding: "ieee-p1363" }, sigWasm))
      throw new Error("node:crypto rejects a tid-wasm signature");
    if (!noble.verify(sigWasm, msg, me65, { lowS: false })) throw new Error("noble rejects a tid-wasm signature");
    if (!api.verify(me.publicKey, msg, sigNode, { der: true })) throw new Error("tid-wasm rejects node:crypto's signature");
    if (!api.verify(me.publicKey, msg, sigNoble)) throw new Error("tid-wasm rejects noble's signature");
    if (!api.verify(me.publicKey, msg, apiP.sign(me.privateKey, msg)))
      throw new Error("the release build rejects a portable-build signature");
    const nk = noble.keygen();
    if (toHex(api.publicKeyFromPrivate(nk.secretKey)) !== toHex(nk.publicKey.subarray(1))) {
      // noble's keygen returns a compressed key by default: compare x only
      if (toHex(api.publicKeyFromPrivate(nk.secretKey).subarray(0, 32)) !== toHex(nk.publicKey.subarray(1, 33))) {
        throw new Error("noble key pair disagrees");
      }
    }
    log("  outputs agree (shared secret, signatures of every peer, key pairs)");

    const ops: Op[] = ["p256-keygen", "p256-ecdh", "ecdsa-p256-sign", "ecdsa-p256-verify"];
    return measureInTurns(
      ops.flatMap((op) => IMPLS.map((impl) => ({ op, impl, size: 32, run: cases.find((c) => c[0] === op && c[1] === impl)![2] }))),
      opt,
    );
  },
};

function must(ok: boolean): void {
  if (!ok) throw new Error("verify");
}
