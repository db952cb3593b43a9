// SM2 benchmark (GB/T 32918, curve sm2p256v1): key generation, ECDH, signing and verification of
// a 32-byte message, µs per operation. tid-wasm (release build, the public bindings/sm2 API:
// inputs copied into the module, results copied out) against node:crypto (OpenSSL 3),
// sm-crypto-v2 and sm-crypto, each in its best form for the same work:
// - keygen: tid-wasm generateKeyPair(); node createECDH("SM2").generateKeys() (returns the
//   public key); sm-crypto(-v2) generateKeyPairHex();
// - ecdh: private key + the peer's encoded public key → shared x. tid-wasm ecdh(d, x ‖ y);
//   node ecdh.computeSecret(04 ‖ x ‖ y); sm-crypto-v2 sm2.ecdh(d, hex) (a compressed point);
//   sm-crypto has no ECDH call: decodePointHex(pub).multiply(d).getX(), with its own
//   verifyPublicKey() for the point check every other peer does;
// - sign / verify with Z_A: tid-wasm with the public key passed (ID 1234567812345678);
//   node crypto.sign/verify("sm3", msg, KeyObject) on an SM2 key (OpenSSL hashes an empty ID);
//   sm-crypto(-v2) doSignature(msg, d, { hash: true, publicKey }) / doVerifySignature(…, { hash:
//   true }) with hex keys. sm-crypto-v2's precomputePublicKey() (a per-key table, amortised over
//   many verifications) is not used: no other peer gets a per-key precomputation.
// Every peer's keys, shared secrets and signatures are cross-checked before timing, and the
// peers of one op are sampled in turns so a change in machine load hits all of them alike.
// tid-wasm-portable rows: the same API on build/portable.wasm (no SIMD).
import { createECDH, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { createRequire } from "node:module";
import { sm2 as v2 } from "sm-crypto-v2";
import { measureInTurns, type BenchOptions, type Row, type Suite } from "../harness.js";
import { sm2Api, sm2SignatureToDer } from "../../bindings/sm2.js";
import { TidWasm } from "../../bindings/wasm.js";
import { fromHex, toHex } from "../../reference/bytes.js";

interface SmCryptoSm2 {
  generateKeyPairHex(): { privateKey: string; publicKey: string };
  doSignature(msg: number[] | string, d: string, opt?: { hash?: boolean; publicKey?: string; der?: boolean }): string;
  doVerifySignature(msg: number[] | string, sig: string, pub: string, opt?: { hash?: boolean; der?: boolean }): boolean;
  verifyPublicKey(pub: string): boolean;
}
interface JsbnPoint {
  multiply(k: unknown): JsbnPoint;
  getX(): { toBigInteger(): { toRadix(r: number): string } };
}
const req = createRequire(import.meta.url);
const smCrypto = (req("sm-crypto") as { sm2: SmCryptoSm2 }).sm2;
const smReq = createRequire(req.resolve("sm-crypto"));
const smUtils = smReq("./sm2/utils") as { getGlobalCurve(): { decodePointHex(h: string): JsbnPoint } };
const BigInteger = (smReq("jsbn") as { BigInteger: new (s: string, radix: number) => unknown }).BigInteger;

const SPKI = Buffer.from("3059301306072a8648ce3d020106082a811ccf5501822d03420004", "hex");
const SEC1_MID = Buffer.from("a00a06082a811ccf5501822da14403420004", "hex");

type Impl = Row["impl"];
type Op = "sm2-keygen" | "sm2-ecdh" | "sm2-sign" | "sm2-verify";
type Case = [op: Op, impl: Impl, run: () => unknown];
const IMPLS: Impl[] = ["tid-wasm", "tid-wasm-portable", "node:crypto", "sm-crypto-v2", "sm-crypto"];

export const suite: Suite = {
  name: "SM2 (GB/T 32918, sm2p256v1): key pair, ECDH, sign and verify a 32-byte message (µs per operation)",
  targets: [
    { op: "sm2-keygen", size: 32, metric: "us", peer: "node:crypto", atMost: 0.7 },
    { op: "sm2-ecdh", size: 32, metric: "us", peer: "node:crypto", atMost: 0.7 },
    { op: "sm2-sign", size: 32, metric: "us", peer: "node:crypto", atMost: 1.0 },
    { op: "sm2-verify", size: 32, metric: "us", peer: "node:crypto", atMost: 1.0 },
    { op: "sm2-keygen", size: 32, metric: "us", peer: "sm-crypto-v2", atMost: 1.0 },
    { op: "sm2-ecdh", size: 32, metric: "us", peer: "sm-crypto-v2", atMost: 1.0 },
    { op: "sm2-sign", size: 32, metric: "us", peer: "sm-crypto-v2", atMost: 1.0 },
    { op: "sm2-verify", size: 32, metric: "us", peer: "sm-crypto-v2", atMost: 1.0 },
  ],
  run(opt: BenchOptions, log: (line: string) => void): Row[] {
    const sm2 = sm2Api(TidWasm.create({ build: "release" }));
    const sm2p = sm2Api(TidWasm.create({ build: "portable" }));
    const msg = new Uint8Array(32).map((_, i) => (i * 29 + 7) & 255);
    const msgArr = Array.from(msg);

    // One signer key pair (shared by every peer) and one ECDH peer key.
    const me = sm2.generateKeyPair();
    const peer = sm2.generateKeyPair();
    const dHex = toHex(me.privateKey),
      pubHex = "04" + toHex(me.publicKey),
      peerHex = "04" + toHex(peer.publicKey);
    const peer65 = Buffer.from(peerHex, "hex");
    const nodeEcdh = createECDH("SM2");
    nodeEcdh.setPrivateKey(me.privateKey);
    const nodePriv = createPrivateKey({
      key: Buffer.concat([Buffer.from("30770201010420", "hex"), me.privateKey, SEC1_MID, me.publicKey]),
      format: "der",
      type: "sec1",
    });
    const nodePub = createPublicKey({ key: Buffer.concat([SPKI, me.publicKey]), format: "der", type: "spki" });
    const smCryptoEcdh = (): string => {
      if (!smCrypto.verifyPublicKey(peerHex)) throw new Error("bad point");
      const x = smUtils.getGlobalCurve().decodePointHex(peerHex).multiply(new BigInteger(dHex, 16)).getX();
      return x.toBigInteger().toRadix(16).padStart(64, "0");
    };

    // Signatures made once, for the verification rows.
    const sigWasm = sm2.sign(me.privateKey, msg, { publicKey: me.publicKey });
    const sigNode = nodeSign("sm3", msg, nodePriv);
    const sigV2 = v2.doSignature(msg, dHex, { hash: true, publicKey: pubHex });
    const sigSm = smCrypto.doSignature(msgArr, dHex, { hash: true, publicKey: pubHex });

    const cases: Case[] = [
      ["sm2-keygen", "tid-wasm", () => sm2.generateKeyPair()],
      ["sm2-keygen", "tid-wasm-portable", () => sm2p.generateKeyPair()],
      ["sm2-keygen", "node:crypto", () => createECDH("SM2").generateKeys()],
      ["sm2-keygen", "sm-crypto-v2", () => v2.generateKeyPairHex()],
      ["sm2-keygen", "sm-crypto", () => smCrypto.generateKeyPairHex()],
      ["sm2-ecdh", "tid-wasm", () => sm2.ecdh(me.privateKey, peer.publicKey)],
      ["sm2-ecdh", "tid-wasm-portable", () => sm2p.ecdh(me.privateKey, peer.publicKey)],
      ["sm2-ecdh", "node:crypto", () => nodeEcdh.computeSecret(peer65)],
      ["sm2-ecdh", "sm-crypto-v2", () => v2.ecdh(dHex, peerHex)],
      ["sm2-ecdh", "sm-crypto", smCryptoEcdh],
      ["sm2-sign", "tid-wasm", () => sm2.sign(me.privateKey, msg, { publicKey: me.publicKey })],
      ["sm2-sign", "tid-wasm-portable", () => sm2p.sign(me.privateKey, msg, { publicKey: me.publicKey })],
      ["sm2-sign", "node:crypto", () => nodeSign("sm3", msg, nodePriv)],
      ["sm2-sign", "sm-crypto-v2", () => v2.doSignature(msg, dHex, { hash: true, publicKey: pubHex })],
      ["sm2-sign", "sm-crypto", () => smCrypto.doSignature(msgArr, dHex, { hash: true, publicKey: pubHex })],
      [
        "sm2-verify",
        "tid-wasm",
        () => {
          if (!sm2.verify(me.publicKey, msg, sigWasm)) throw new Error("verify");
        },
      ],
      [
        "sm2-verify",
        "tid-wasm-portable",
        () => {
          if (!sm2p.verify(me.publicKey, msg, sigWasm)) throw new Error("verify");
        },
      ],
      [
        "sm2-verify",
        "node:crypto",
        () => {
          if (!nodeVerify("sm3", msg, nodePub, sigNode)) throw new Error("verify");
        },
      ],
      [
        "sm2-verify",
        "sm-crypto-v2",
        () => {
          if (!v2.doVerifySignature(msg, sigV2, pubHex, { hash: true })) throw new Error("verify");
        },
      ],
      [
        "sm2-verify",
        "sm-crypto",
        () => {
          if (!smCrypto.doVerifySignature(msgArr, sigSm, pubHex, { hash: true })) throw new Error("verify");
        },
      ],
    ];

    // Cross-checks before timing: one shared secret, every signature valid for the wasm.
    const z = toHex(sm2.ecdh(me.privateKey, peer.publicKey));
    if (nodeEcdh.computeSecret(peer65).toString("hex") !== z) throw new Error("node:crypto ECDH disagrees");
    if (toHex(v2.ecdh(dHex, peerHex)).slice(2) !== z) throw new Error("sm-crypto-v2 ECDH disagrees");
    if (smCryptoEcdh() !== z) throw new Error("sm-crypto ECDH disagrees");
    if (toHex(sm2p.ecdh(me.privateKey, peer.publicKey)) !== z) throw new Error("the portable build's ECDH disagrees");
    if (!sm2.verify(me.publicKey, msg, sm2p.sign(me.privateKey, msg, { publicKey: me.publicKey }))) {
      throw new Error("the release build rejects a portable-build signature");
    }
    if (!nodeVerify("sm3", msg, nodePub, sm2SignatureToDer(sm2.sign(me.privateKey, msg, { id: "", publicKey: me.publicKey })))) {
      throw new Error("node:crypto rejects a tid-wasm signature");
    }
    if (!sm2.verify(me.publicKey, msg, sigNode, { id: "", der: true })) throw new Error("tid-wasm rejects node:crypto's signature");
    if (!sm2.verify(me.publicKey, msg, fromHex(sigV2))) throw new Error("tid-wasm rejects sm-crypto-v2's signature");
    if (!sm2.verify(me.publicKey, msg, fromHex(sigSm))) throw new Error("tid-wasm rejects sm-crypto's signature");
    for (const [, impl, run] of cases.filter((c) => c[0] === "sm2-keygen")) {
      const kp = run() as { privateKey: string | Uint8Array; publicKey: string | Uint8Array } | Buffer;
      if (impl === "node:crypto") continue; // generateKeys() returns the public key only
      const k = kp as { privateKey: string | Uint8Array; publicKey: string | Uint8Array };
      const d = typeof k.privateKey === "string" ? fromHex(k.privateKey.padStart(64, "0")) : k.privateKey;
      const pub = typeof k.publicKey === "string" ? k.publicKey.slice(2) : toHex(k.publicKey);
      if (toHex(sm2.publicKeyFromPrivate(d)) !== pub) throw new Error(`${impl} key pair disagrees`);
    }
    log("  outputs agree (shared secret, signatures of every peer, key pairs)");

    // Peers of one op are sampled in turns (bench/harness.ts measureInTurns).
    const ops: Op[] = ["sm2-keygen", "sm2-ecdh", "sm2-sign", "sm2-verify"];
    const rows: Row[] = measureInTurns(
      ops.flatMap((op) => IMPLS.map((impl) => ({ op, impl, size: 32, run: cases.find((c) => c[0] === op && c[1] === impl)![2] }))),
      opt,
    );
    return rows;
  },
};
