// Shielded SE link, host side (docs/se-profile.md "The shielded link"; docs/benchmarks.md "Shielded
// SE link"): what the wasm spends on secure messaging per APDU, and on opening a session.
// The wasm SE backend talks to the simulated applet directly (no bus, no link framing), and the
// time spent inside the applet — its node:crypto SM4, CMAC and SM2 — is measured and taken out,
// so what is left is the host's own work: the wasm building and checking the APDUs.
//   op se-sm-host   impl tid-wasm  size 16   µs per APDU (SM4 CIPHER of one block) shielded minus
//                                            unshielded: SM4-CBC + CMAC one way, CMAC + SM4-CBC back
//   op se-open-host impl tid-wasm  size 0    µs to open a session on the host: SM2 key generation,
//                                            two ECDH, the SM3 KDF and the receipt's CMAC
// The bus time of the same exchanges is in the hal suite (exact simulated time).
import { performance } from "node:perf_hooks";
import { TidApplet } from "../../hal/sim/applet.js";
import { TidClient } from "../../bindings/client.js";
import { sm2Keygen } from "../../reference/index.js";
import { median, round, type BenchOptions, type Row, type Suite } from "../harness.js";

interface Rig {
  client: TidClient;
  /** ms spent inside the applet since the last reset */
  inside: () => number;
  reset: () => void;
  apdus: () => number;
}

async function rig(shielded: boolean): Promise<Rig> {
  const pair = sm2Keygen();
  const applet = new TidApplet({
    identity: { tid: new Uint8Array(8).fill(7), psk: new Uint8Array(16).fill(9) },
    ...(shielded ? { linkKey: pair.privateKey } : {}),
  });
  let inside = 0;
  let apdus = 0;
  const link = {
    transceiveSync(apdu: Uint8Array): Uint8Array {
      const t0 = performance.now();
      const r = applet.process(apdu).rapdu;
      inside += performance.now() - t0;
      apdus++;
      return r;
    },
  };
  const client = await TidClient.create({ backend: "se", link, ...(shielded ? { linkKey: pair.publicKey } : { unshielded: true }) });
  client.init();
  client.importSessionKey(0, new Uint8Array(16).fill(3));
  return {
    client,
    inside: () => inside,
    reset: () => ((inside = 0), (apdus = 0)),
    apdus: () => apdus,
  };
}

/** Host µs per call of `fn` (wall minus the time inside the applet), median of samples. */
function hostUs(r: Rig, fn: () => void, opt: BenchOptions): number {
  const per = (ms: number): number => {
    r.reset();
    const t0 = performance.now();
    let calls = 0;
    do {
      fn();
      calls++;
    } while (performance.now() - t0 < ms);
    return ((performance.now() - t0 - r.inside()) * 1000) / calls;
  };
  per(opt.warmupMs);
  const samples: number[] = [];
  for (let i = 0; i < Math.max(opt.samples, 5); i++) samples.push(per(opt.sampleMs));
  return median(samples);
}

export const suite: Suite = {
  name: "se-link (shielded SE link: the host's secure-messaging cost in the wasm)",
  async run(opt, log) {
    const plain = await rig(false);
    const shielded = await rig(true);
    const block = new Uint8Array(16).fill(0x5a);
    const apdu = (r: Rig): number => hostUs(r, () => void r.client.symCrypto(0, block, true), opt);
    const plainUs = apdu(plain);
    const shieldedUs = apdu(shielded);
    // init = SELECT + GET DATA (TID) + GET DATA (suite); shielded, both GET DATAs are protected
    // and it also opens a new session (SELECT ends the old one)
    const init = (r: Rig): number => hostUs(r, () => r.client.init(), opt);
    const initPlain = init(plain);
    const initShielded = init(shielded);
    const smUs = shieldedUs - plainUs;
    const openUs = initShielded - initPlain - 2 * smUs;
    plain.client.close();
    shielded.client.close();
    log(
      `  se-sm-host: ${round(smUs, 1)} µs of secure messaging per APDU in the wasm (CIPHER of 16 bytes, suite SM: ` +
        `${round(shieldedUs, 1)} µs shielded vs ${round(plainUs, 1)} µs unshielded, host side only)`,
    );
    log(`  se-open-host: ${round(openUs, 1)} µs to open a secure session in the wasm (SM2 keygen, 2 × ECDH, KDF, CMAC)`);
    const rows: Row[] = [
      {
        op: "se-sm-host",
        impl: "tid-wasm",
        size: 16,
        us: round(smUs, 2),
        mbps: 0,
        extra: { shieldedUs: round(shieldedUs, 2), unshieldedUs: round(plainUs, 2) },
      },
      { op: "se-open-host", impl: "tid-wasm", size: 0, us: round(openUs, 1), mbps: 0 },
    ];
    return rows;
  },
};
