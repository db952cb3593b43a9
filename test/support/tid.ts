// Shared helpers of the TID client tests (test/device/, test/e2e/): the worked example, random
// identities, and the node:crypto reference server half (reference/) as the device's independent
// counterpart.
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { buildServerData, verifyAuthcode, MemoryReplayCache } from "../../reference/index.js";
import { TidClient, type SoftIdentity } from "../../bindings/client.js";
import type { WasmBuild } from "../../bindings/wasm.js";
import { fromHex, toHex } from "../../reference/bytes.js";

export const BUILDS = ["debug", "release", "portable"] as const satisfies readonly WasmBuild[];

export interface WorkedExample {
  TID: string;
  PSK: string;
  deviceTime: number;
  serverTime: number;
  Nd: string;
  Ns: string;
  extra: string;
  deviceEphemeralPrivate: string;
  serverEphemeralPrivate: string;
  authcode: string;
  tagD: string;
  serverData: string;
  tagS: string;
  Z: string;
  K: string;
  sessionToken: string;
}
export const EXAMPLE: WorkedExample = JSON.parse(readFileSync(new URL("../vectors/tid-v1-example.json", import.meta.url), "utf8"));
/** The worked example of suite INTL (P-256, SHA-256, AES-128), with its sym_crypto and AEAD values. */
export const INTL_EXAMPLE: WorkedExample & { symCryptoEncryptZeroBlock: string; sealUplinkCounter0Hello: string } = JSON.parse(
  readFileSync(new URL("../vectors/tid-v1-intl-example.json", import.meta.url), "utf8"),
);
export const INTL_EXAMPLE_IDENTITY: SoftIdentity = { tid: fromHex(INTL_EXAMPLE.TID), psk: fromHex(INTL_EXAMPLE.PSK), suite: "intl" };
export const EXAMPLE_IDENTITY: SoftIdentity = { tid: fromHex(EXAMPLE.TID), psk: fromHex(EXAMPLE.PSK) };

export function randomIdentity(): SoftIdentity {
  return { tid: new Uint8Array(randomBytes(8)), psk: new Uint8Array(randomBytes(16)) };
}

export async function softClient(build: WasmBuild, identity: SoftIdentity, now?: () => number): Promise<TidClient> {
  const client = await TidClient.create({ backend: "soft", identity, build, ...(now ? { now } : {}) });
  client.init();
  return client;
}

/** The reference server half: verify an authcode and answer it. */
export function answer(
  authcode: Uint8Array,
  identity: SoftIdentity,
  options: { issueToken?: boolean; extra?: Uint8Array; now?: number; cache?: MemoryReplayCache } = {},
): { serverData: Uint8Array; token: Uint8Array | null } {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const v = verifyAuthcode(authcode, {
    lookupPsk: (tid) => (Buffer.compare(tid, identity.tid) === 0 ? { psk: identity.psk, suite: identity.suite ?? "sm" } : null),
    now,
    ...(options.cache ? { remember: (t, n, e) => options.cache!.remember(t, n, e) } : {}),
  });
  const issueToken = options.issueToken ?? v.wantsToken;
  const built = buildServerData({
    tid: v.tid,
    psk: v.psk,
    nd: v.nd,
    tagD: v.tagD,
    Qd: v.Qd,
    time: now,
    issueToken,
    suite: v.suite ?? "sm",
    ...(options.extra ? { extra: options.extra } : {}),
  });
  return { serverData: built.serverData, token: built.token };
}
