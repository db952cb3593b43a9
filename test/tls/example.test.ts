// The TID-TLS worked example (test/vectors/tid-tls-example.json, computed by its generator from
// node:crypto alone; docs/tls.md "Worked example"): the engine (bindings/tls/) reproduces every
// record of both sides byte for byte in both modes — hellos, Finished, application data, KeyUpdate —
// with the reference cipher on both sides, and the reference key schedule reproduces every secret.
// The fixed randoms go in through the sans-IO handshakes' constructors and accept(), which the
// sockets call with fresh random bytes: no test hook in the production path.
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../reference/bytes.js";
import { tlsKeySchedule, nextTrafficSecret, trafficKeys, earlySecrets } from "../../reference/tls-key-schedule.js";
import { decodeClientHello, decodeHandshake, decodeServerHello } from "../../bindings/tls/messages.js";
import { refCipher } from "../support/tls.js";
import { TLS_EXAMPLE as X, expectRecords, runExample } from "../support/tls-example.js";

describe.each(["auth", "resume"] as const)("TID-TLS worked example, mode %s", (mode) => {
  const c = X[mode];

  it("the engine with the reference cipher on both sides reproduces every record", () => {
    expectRecords(
      runExample(c, () => refCipher("client", fromHex(c.PSK))),
      c,
    );
  });

  it("the hellos decode to the example's fields", () => {
    const ch = decodeClientHello(decodeHandshake(fromHex(c.clientHello)).body);
    expect(toHex(ch.random)).toBe(c.clientRandom);
    if (ch.mode === "auth") expect(toHex(ch.authcode)).toBe(X.authcode);
    else expect([toHex(ch.tid), toHex(ch.binder)]).toEqual([X.TID, c.binder]);
    const sh = decodeServerHello(decodeHandshake(fromHex(c.serverHello)).body, mode);
    expect(toHex(sh.random)).toBe(c.serverRandom);
    if (sh.mode === "auth") expect(toHex(sh.serverData)).toBe(X.serverData);
  });

  it("the reference key schedule reproduces every secret and traffic key", () => {
    const psk = fromHex(c.PSK);
    const s = tlsKeySchedule(psk, fromHex(c.helloHash), fromHex(c.serverFinishedHash));
    const hexed = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, toHex(v)]));
    expect(hexed).toEqual({
      ...Object.fromEntries(Object.entries(c.secrets).filter(([k]) => !k.endsWith("1"))),
      binderKey: toHex(earlySecrets(psk).binderKey),
    });
    expect(toHex(nextTrafficSecret(s.clientApplicationTrafficSecret))).toBe(c.secrets.clientApplicationTrafficSecret1);
    expect(toHex(nextTrafficSecret(s.serverApplicationTrafficSecret))).toBe(c.secrets.serverApplicationTrafficSecret1);
    const k = trafficKeys(s.clientHandshakeTrafficSecret);
    expect({ key: toHex(k.key), iv: toHex(k.iv) }).toEqual(c.keys.clientHandshake);
  });
});
