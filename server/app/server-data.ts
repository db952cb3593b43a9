// The auth server's answer to a verified authcode — reference/server-half.ts buildServerData, the
// same bytes — with its SM2 on the project's wasm (build/release.wasm through bindings/sm2.ts)
// instead of OpenSSL: one key pair ([qs]G on the wasm's fixed-base table) and one ECDH, where
// node:crypto's createECDH("SM2").setPrivateKey recomputes [qs]G for each of the two and runs SM2
// on OpenSSL's generic curve code (docs/benchmarks.md "SM2": about 6× and 4.5× slower). Tags, KDF
// and encoding stay the reference's. test/server/server-data.test.ts checks it against
// buildServerData on the same inputs. The one deviation from the layer rule: docs/server.md
// "Server SM2 on the wasm". A device of suite INTL (docs/protocol.md "Algorithm suites") gets its
// answer from buildServerData's own P-256 on node:crypto: the wasm SM2 serves suite SM only.
import { sm2Api, type Sm2Api } from "../../bindings/sm2.js";
import { TidWasm } from "../../bindings/wasm.js";
import { buildServerData, type BuildServerDataInput, type BuiltServerData, type ServerSm2 } from "../../reference/index.js";

let sm2: Sm2Api | undefined;

/** SM2 on one release-build instance per process (created on first use). */
function wasmSm2(): Sm2Api {
  sm2 ??= sm2Api(TidWasm.create({ build: "release" }));
  return sm2;
}

const WASM_SM2: ServerSm2 = {
  keygen: () => wasmSm2().generateKeyPair(),
  publicFromPrivate: (d) => wasmSm2().publicKeyFromPrivate(d),
  ecdh: (d, peerPublic) => wasmSm2().ecdh(d, peerPublic),
};

/** buildServerData (reference/server-half.ts) in `input.suite`, SM2 on the wasm in suite SM. */
export function buildServerDataWasm(input: BuildServerDataInput): BuiltServerData {
  return buildServerData(input, WASM_SM2);
}
