// The TEE handshake benchmark's child process (bench/suites/tee.ts starts it with the fake
// /dev/tee0 preloaded: hal/sim/fakedev/tee-build.ts). It times the device half of one TID
// authentication — getAuthcode() and validate() of TidClient — on two backends in this one
// process, in turns:
//   tee       the SE backend over a TeeLink: the real TEE client addon, the Linux TEE ioctls into
//             the fake /dev/tee0, the natively built TA (tee/ta: its APDU dispatcher and the wasm
//             core through wasm2c) — every APDU a TRANSMIT invocation
//   tid-wasm  the soft backend (release.wasm), the same identity
// The server half (reference/, node:crypto) runs between the two timed calls with the clock
// stopped: the authcode holds a fresh random Nd and key pair, so its answer cannot be made
// beforehand. Prints one JSON document: { rows: [{ op, impl, size, us, cpuUs, handshakes }], tee: {
// transmitsPerHandshake, apdusPerHandshake } }.
//   node dist/bench/tee/child.js --ms 250 --samples 7 --warmup-ms 200
import { cpuUsage, hrtime } from "node:process";
import { TidClient } from "../../bindings/client.js";
import { openTeeLink } from "../../hal/tee/tee-link.js";
import { SeClient } from "../../hal/se/client.js";
import { buildServerData, verifyAuthcode } from "../../reference/index.js";

const TID = Buffer.from("671007e10029b0a2", "hex");
const PSK = Buffer.from("00112233445566778899aabbccddeeff", "hex");
const AUTHCODE_SIZE = 132;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`--${name} must be a number, got ${process.argv[i + 1]}`);
  return v;
}

/** One handshake's device time in ns: getAuthcode, the server's answer (not timed), validate. */
function handshake(client: TidClient): { ns: bigint; cpuUs: number } {
  const c0 = cpuUsage();
  const t0 = hrtime.bigint();
  const authcode = client.getAuthcode();
  const t1 = hrtime.bigint();
  const c1 = cpuUsage(c0);
  const v = verifyAuthcode(authcode, { lookupPsk: () => PSK, now: Math.floor(Date.now() / 1000) });
  const { serverData, token } = buildServerData({ tid: TID, psk: PSK, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time: v.time, issueToken: true });
  const c2 = cpuUsage();
  const t2 = hrtime.bigint();
  const got = client.validate(serverData);
  const t3 = hrtime.bigint();
  const c3 = cpuUsage(c2);
  if (!got || Buffer.compare(Buffer.from(got), Buffer.from(token!)) !== 0) throw new Error("the device's token differs from the server's");
  return { ns: t1 - t0 + (t3 - t2), cpuUs: (c1.user + c1.system + c3.user + c3.system) / 1 };
}

/** Handshakes for at least `ms` of device time; the mean per handshake. */
function sample(client: TidClient, ms: number): { us: number; cpuUs: number; n: number } {
  let ns = 0n;
  let cpu = 0;
  let n = 0;
  const goal = BigInt(Math.round(ms * 1e6));
  do {
    const h = handshake(client);
    ns += h.ns;
    cpu += h.cpuUs;
    n++;
  } while (ns < goal);
  return { us: Number(ns) / 1e3 / n, cpuUs: cpu / n, n };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function main(): Promise<void> {
  const ms = arg("ms", 250);
  const turns = Math.max(arg("samples", 7), 3);
  const warmup = arg("warmup-ms", 200);

  const link = openTeeLink();
  try {
    const se = new SeClient(link);
    se.selectSync();
    // a fresh TA (the storage is the suite's scratch directory): give it the identity, unshielded
    if (se.identitySync().info.lifecycle === "blank") se.provisionSync(TID, PSK);
    const clients: [string, TidClient][] = [
      ["tee", await TidClient.create({ backend: "se", link, unshielded: true })],
      ["tid-wasm", await TidClient.create({ backend: "soft", identity: { tid: TID, psk: PSK } })],
    ];
    for (const [, c] of clients) c.init();
    for (const [, c] of clients) sample(c, warmup);
    link.resetStats();
    const figures = clients.map(() => ({ us: [] as number[], cpuUs: [] as number[], n: 0 }));
    for (let t = 0; t < turns; t++) {
      clients.forEach(([, c], i) => {
        const s = sample(c, ms);
        figures[i]!.us.push(s.us);
        figures[i]!.cpuUs.push(s.cpuUs);
        figures[i]!.n += s.n;
      });
    }
    const rows = clients.map(([impl], i) => ({
      op: "tee-handshake",
      impl,
      size: AUTHCODE_SIZE,
      us: median(figures[i]!.us),
      cpuUs: median(figures[i]!.cpuUs),
      handshakes: figures[i]!.n,
    }));
    const teeHandshakes = figures[0]!.n;
    const tee = { transmitsPerHandshake: link.stats.transactions / teeHandshakes, apdusPerHandshake: link.stats.exchanges / teeHandshakes };
    process.stdout.write(JSON.stringify({ rows, tee }) + "\n");
    for (const [, c] of clients) c.close();
  } finally {
    link.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
