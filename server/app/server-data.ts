// The auth server's answer to a verified authcode — reference/server-half.ts buildServerData, the
// same bytes — with its SM2 on the project's wasm (build/release.wasm through bindings/sm2.ts)
// instead of OpenSSL: one key pair ([qs]G on the wasm's fixed-base table) and one ECDH, where
// node:crypto's createECDH("SM2").setPrivateKey recomputes [qs]G for each of the two and runs SM2
// on OpenSSL's generic curve code (docs/benchmarks.md "SM2": about 6× and 4.5× slower). Tags, KDF
// and encoding stay the reference's. test/server/server-data.test.ts checks it against
// buildServerData on the same inputs. The one deviation from the layer rule: docs/server.md
// "Server SM2 on the wasm".
import { sm2Api, type Sm2Api } from "../../bindings/sm2.js";
import { TidWasm } from "../../bindings/wasm.js";
import {
  NONCE_SIZE,
  PSK_SIZE,
  TAG_SIZE,
  TID_SIZE,
  computeTagS,
  deriveK,
  encodeServerDataBody,
  random,
  requireBytes,
  requireU32,
  tokenOf,
  type BuildServerDataInput,
  type BuiltServerData,
} from "../../reference/index.js";

let sm2: Sm2Api | undefined;

/** SM2 on one release-build instance per process (created on first use). */
function wasmSm2(): Sm2Api {
  sm2 ??= sm2Api(TidWasm.create({ build: "release" }));
  return sm2;
}

/** buildServerData (reference/server-half.ts), SM2 on the wasm. */
export function buildServerDataWasm(input: BuildServerDataInput): BuiltServerData {
  const tid = requireBytes("tid", input.tid, TID_SIZE);
  const psk = requireBytes("psk", input.psk, PSK_SIZE);
  const nd = requireBytes("nd", input.nd, NONCE_SIZE);
  const tagD = requireBytes("tagD", input.tagD, TAG_SIZE);
  const ns = input.ns === undefined ? random(NONCE_SIZE) : requireBytes("ns", input.ns, NONCE_SIZE).slice();
  requireU32("time", input.time);
  let Qs: Uint8Array | null = null;
  let z: Uint8Array | null = null;
  let k: Uint8Array | null = null;
  if (input.issueToken) {
    const Qd = requireBytes("Qd", input.Qd, 64);
    const api = wasmSm2();
    let qs: Uint8Array;
    if (input.ephemeralPrivate === undefined) ({ privateKey: qs, publicKey: Qs } = api.generateKeyPair());
    else {
      qs = input.ephemeralPrivate;
      Qs = api.publicKeyFromPrivate(qs);
    }
    try {
      z = api.ecdh(qs, Qd);
    } finally {
      if (input.ephemeralPrivate === undefined) qs.fill(0);
    }
    k = deriveK(z, tid, nd, ns);
  }
  const body = encodeServerDataBody({ time: input.time, tid, ns, extra: input.extra, Qs });
  const tagS = computeTagS(psk, body, nd, tagD);
  const serverData = new Uint8Array(body.length + TAG_SIZE);
  serverData.set(body);
  serverData.set(tagS, body.length);
  return { serverData, token: k ? tokenOf(k) : null, k, z, ns, Qs, tagS };
}
