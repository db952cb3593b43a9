// TID handshake, device half (docs/protocol.md; docs/benchmarks.md "TID handshake"):
// the work a device does for one authentication — get_authcode (a key pair: one fixed-base
// scalar multiplication; the tag_d HMAC) and validate (parse, the tag_s HMAC, ECDH: one
// variable-base scalar multiplication, the KDF) — in both algorithm suites (docs/protocol.md
// "Algorithm suites": SM = SM2, HMAC-SM3, SM3 KDF; INTL = P-256, HMAC-SHA-256, X9.63 KDF with
// SHA-256; ops tid-handshake-device and tid-handshake-device-intl), timed for
//   tid-wasm     the soft backend's TidClient (test build = release code + TEST HOOKS): getAuthcode() + validate()
//   node:crypto  the same steps written directly on node:crypto / OpenSSL 3 (createECDH("SM2") or
//                ("prime256v1"), createHmac, createHash), as lean as a Node device could do them.
// The server half is not timed: a pool of 64 (Nd, qd) inputs and their server answers is made
// beforehand with the node:crypto reference (reference/). Each timed handshake injects the
// next (Nd, qd, time) — the wasm through its test hook, node:crypto through setPrivateKey — so the
// authcode is known in advance and the prepared answer matches it; the device still computes
// Qd = [qd]G (the cost of key generation, minus drawing 32 random bytes) and everything after.
// Both implementations' authcodes and tokens are checked against the reference before timing.
// Breakdown rows: tid-get-authcode (fresh random Nd and key pair, no injection) and tid-validate
// (the pending request re-armed through the test hook).
import { createECDH, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { measureInTurns, type BenchOptions, type Row, type Suite } from "../harness.js";
import { TidClient } from "../../bindings/client.js";
import { buildAuthcode, buildServerData, verifyAuthcode } from "../../reference/index.js";
import { suiteOf, type SuiteName } from "../../reference/suite.js";
import { toHex } from "../../reference/bytes.js";

const POOL = 64;
const AUTHCODE_SIZE = 132;
const TIME = 1_700_000_000;
const TIDS = Buffer.from("TIDS");
const CT1 = Buffer.from([0, 0, 0, 1]);

/** The node:crypto names and the header bytes of a suite. */
interface NodeSuite {
  name: SuiteName;
  curve: string;
  hash: string;
  header: Buffer;
}
const NODE_SUITES: Record<SuiteName, NodeSuite> = {
  sm: { name: "sm", curve: "SM2", hash: "sm3", header: Buffer.from([0x01, 0x10, 0x02, 0x10, 0x00, 0x00]) },
  intl: { name: "intl", curve: "prime256v1", hash: "sha256", header: Buffer.from([0x01, 0x20, 0x03, 0x10, 0x00, 0x00]) },
};

interface Entry {
  nd: Uint8Array;
  qd: Uint8Array;
  authcode: Uint8Array;
  tagD: Uint8Array;
  serverData: Uint8Array;
  token: Uint8Array;
}

function makePool(tid: Uint8Array, psk: Uint8Array, suite: SuiteName): Entry[] {
  const pool: Entry[] = [];
  for (let i = 0; i < POOL; i++) {
    const nd = new Uint8Array(randomBytes(16));
    const qd = suiteOf(suite).keygen().privateKey;
    const { authcode, pending } = buildAuthcode({ tid, psk, time: TIME, nd, ephemeralPrivate: qd, suite });
    const v = verifyAuthcode(authcode, { lookupPsk: () => ({ psk, suite }), now: TIME });
    const built = buildServerData({ tid, psk, nd, tagD: pending.tagD, Qd: v.Qd, time: TIME, issueToken: true, suite });
    pool.push({ nd, qd, authcode, tagD: pending.tagD, serverData: built.serverData, token: built.token! });
  }
  return pool;
}

/** The device's pending request in the node:crypto implementation. */
interface NodePending {
  ecdh: ReturnType<typeof createECDH>;
  nd: Uint8Array;
  tagD: Buffer;
}

/** get_authcode on node:crypto; `qd`/`nd` given (pool) or fresh. */
function nodeGetAuthcode(
  ns: NodeSuite,
  tid: Uint8Array,
  psk: Uint8Array,
  time: number,
  qd?: Uint8Array,
  nd?: Uint8Array,
): { authcode: Buffer; pending: NodePending } {
  const ecdh = createECDH(ns.curve);
  if (qd) ecdh.setPrivateKey(qd);
  else ecdh.generateKeys();
  const nonce = nd ?? randomBytes(16);
  const out = Buffer.allocUnsafe(AUTHCODE_SIZE);
  ns.header.copy(out, 0);
  out.writeUInt32BE(time, 6);
  out.set(tid, 10);
  out.set(nonce, 18);
  out.writeUInt16BE(0, 34);
  ecdh.getPublicKey().copy(out, 36, 1); // X ‖ Y without the 04 prefix
  const tagD = createHmac(ns.hash, psk).update(out.subarray(0, 100)).digest();
  tagD.copy(out, 100);
  return { authcode: out, pending: { ecdh, nd: nonce, tagD } };
}

/** validate on node:crypto: the protocol's checks for a token-issuing answer without extra data. */
function nodeValidate(ns: NodeSuite, tid: Uint8Array, psk: Uint8Array, p: NodePending, sd: Uint8Array): Buffer {
  if (sd.length !== 132 || sd[0] !== 0x01 || sd[1] !== ns.header[1] || sd[2] !== ns.header[2] || sd[3] !== 0x10)
    throw new Error("bad format");
  if (sd[4] !== 0 || sd[5] !== 1 || sd[34] !== 0 || sd[35] !== 0) throw new Error("bad flags / length");
  if (!timingSafeEqual(sd.subarray(10, 18), tid)) throw new Error("TID mismatch");
  const tagS = createHmac(ns.hash, psk).update(TIDS).update(sd.subarray(0, 100)).update(p.nd).update(p.tagD).digest();
  if (!timingSafeEqual(tagS, sd.subarray(100, 132))) throw new Error("tag_s");
  const point = Buffer.allocUnsafe(65);
  point[0] = 0x04;
  point.set(sd.subarray(36, 100), 1);
  const z = p.ecdh.computeSecret(point);
  const k = createHash(ns.hash).update(z).update(tid).update(p.nd).update(sd.subarray(18, 34)).update(CT1).digest();
  z.fill(0);
  return k.subarray(0, 16);
}

export const suite: Suite = {
  name: "TID handshake, device half: get_authcode + validate (keygen + ECDH, HMAC x2, KDF) in suites SM and INTL; server answers precomputed",
  targets: [
    { op: "tid-handshake-device", size: AUTHCODE_SIZE, metric: "us", peer: "node:crypto", atMost: 1.0 },
    { op: "tid-handshake-device-intl", size: AUTHCODE_SIZE, metric: "us", peer: "node:crypto", atMost: 1.0 },
  ],
  async run(opt: BenchOptions, log: (line: string) => void): Promise<Row[]> {
    const rows: Row[] = [];
    for (const name of ["sm", "intl"] as const) rows.push(...(await runSuite(NODE_SUITES[name], opt, log)));
    return rows;
  },
};

/** The rows of one suite: the handshake (op suffixed "-intl" in suite INTL) and, in SM, its breakdown. */
async function runSuite(ns: NodeSuite, opt: BenchOptions, log: (line: string) => void): Promise<Row[]> {
  const suffix = ns.name === "sm" ? "" : "-intl";
  const tid = new Uint8Array(randomBytes(8));
  const psk = new Uint8Array(randomBytes(16));
  const pool = makePool(tid, psk, ns.name);
  // The test build: the release code plus the TEST HOOKS that replay the pool's Nd and qd.
  const client = await TidClient.create({ backend: "soft", identity: { tid, psk, suite: ns.name }, build: "test", now: () => TIME });
  client.init();
  const hooks = client.testHooks;

  // Check both implementations against the reference on every pool entry before timing.
  for (const e of pool) {
    hooks.inject(e.nd, TIME, e.qd);
    const a = client.getAuthcode();
    if (toHex(a) !== toHex(e.authcode)) throw new Error(`tid-wasm authcode differs from the reference (suite ${ns.name})`);
    if (toHex(client.validate(e.serverData)!) !== toHex(e.token))
      throw new Error(`tid-wasm token differs from the reference (suite ${ns.name})`);
    const n = nodeGetAuthcode(ns, tid, psk, TIME, e.qd, e.nd);
    if (toHex(n.authcode) !== toHex(e.authcode)) throw new Error(`node:crypto authcode differs from the reference (suite ${ns.name})`);
    if (toHex(nodeValidate(ns, tid, psk, n.pending, e.serverData)) !== toHex(e.token))
      throw new Error(`node:crypto token differs from the reference (suite ${ns.name})`);
  }
  log(`  suite ${ns.name}: both implementations reproduce the reference authcode and token on all ${POOL} pool entries`);

  // Each implementation walks the pool with its own index; the peers of one op are sampled in
  // turns (bench/harness.ts measureInTurns).
  const cycle = () => {
    let i = 0;
    return () => i++ & (POOL - 1);
  };
  const pendings = pool.map((e) => nodeGetAuthcode(ns, tid, psk, TIME, e.qd, e.nd).pending);
  const wasmHandshake = cycle(),
    nodeHandshake = cycle(),
    wasmValidate = cycle(),
    nodeValidateNext = cycle();
  const cases = [
    {
      op: `tid-handshake-device${suffix}`,
      impl: "tid-wasm" as const,
      size: AUTHCODE_SIZE,
      run: () => {
        const e = pool[wasmHandshake()]!;
        hooks.inject(e.nd, TIME, e.qd);
        client.getAuthcode();
        return client.validate(e.serverData);
      },
    },
    {
      op: `tid-handshake-device${suffix}`,
      impl: "node:crypto" as const,
      size: AUTHCODE_SIZE,
      run: () => {
        const e = pool[nodeHandshake()]!;
        const n = nodeGetAuthcode(ns, tid, psk, TIME, e.qd, e.nd);
        return nodeValidate(ns, tid, psk, n.pending, e.serverData);
      },
    },
  ];
  if (ns.name === "sm") {
    // Breakdown: get_authcode alone with fresh randomness (the pending request it leaves is
    // simply replaced by the next call), and validate alone on a re-armed pending request.
    cases.push(
      { op: "tid-get-authcode", impl: "tid-wasm", size: AUTHCODE_SIZE, run: () => client.getAuthcode() },
      { op: "tid-get-authcode", impl: "node:crypto", size: AUTHCODE_SIZE, run: () => nodeGetAuthcode(ns, tid, psk, TIME).authcode },
      {
        op: "tid-validate",
        impl: "tid-wasm",
        size: 132,
        run: () => {
          const e = pool[wasmValidate()]!;
          hooks.setPending(e.qd, e.nd, e.tagD);
          return client.validate(e.serverData);
        },
      },
      {
        op: "tid-validate",
        impl: "node:crypto",
        size: 132,
        run: () => {
          const k = nodeValidateNext();
          return nodeValidate(ns, tid, psk, pendings[k]!, pool[k]!.serverData);
        },
      },
    );
  }
  const rows = measureInTurns(cases, opt);
  client.close();
  psk.fill(0);
  return rows;
}
