// TID-TLS is of suite SM only (docs/tls.md: TLS_SM4_GCM_SM3): the user server's createTlsServer
// (server/sdk/tls-server.ts) refuses, in mode auth, a device that its authenticate hook — authDevice
// by default — reports in another algorithm suite (docs/protocol.md "Algorithm suites"): the device
// gets handshake_failure, the server's 'tlsClientError' says why, and the token it was handed is
// wiped. A hook that names suite SM, or none (a two-element result), goes on as before.
import { randomBytes } from "node:crypto";
import type { Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../bindings/tls/connect.js";
import { TidClient } from "../../bindings/client.js";
import { createTlsServer, type TlsAuthResult } from "../../server/sdk/index.js";
import { closeServer, listen, refDeviceCipher, socketError } from "../support/tls.js";

let client: TidClient;
beforeAll(async () => {
  client = await TidClient.create({ backend: "soft", identity: { tid: new Uint8Array(randomBytes(8)), psk: new Uint8Array(16) } });
  client.init();
});
afterAll(() => client.close());

/** A TLS server whose authenticate hook answers `result`; its errors, and the authcodes it saw. */
async function serverAnswering(result: () => TlsAuthResult) {
  const errors: (Error & { code?: string; alert?: string | null })[] = [];
  const seen: Uint8Array[] = [];
  const server: Server = createTlsServer({
    authenticate: (authcode) => {
      seen.push(authcode);
      return result();
    },
  });
  server.on("tlsClientError", (e: Error) => errors.push(e));
  return { server, port: await listen(server), errors, seen };
}

describe("createTlsServer and the device's suite", () => {
  it("a result of suite intl: handshake_failure, the reason on the server, the token wiped", async () => {
    const token = new Uint8Array(randomBytes(16));
    const { server, port, errors, seen } = await serverAnswering(() => [new Uint8Array(132), token, "intl"]);
    const s = connect({ port }, { client, mode: "auth", cipher: refDeviceCipher() });
    expect(await socketError(s)).toMatchObject({ code: "ERR_TLS_ALERT_RECEIVED", alert: "handshake_failure" });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "handshake_failure" });
    expect(errors[0]!.message).toMatch(/suite SM only.*suite intl/);
    expect(token.every((b) => b === 0)).toBe(true);
    await closeServer(server);
  });

  it("suite sm or none named: the server goes on to the server data (which the device then checks)", async () => {
    for (const suite of ["sm", undefined] as const) {
      const { server, port, errors } = await serverAnswering(() =>
        suite === undefined ? [new Uint8Array(132), new Uint8Array(16)] : [new Uint8Array(132), new Uint8Array(16), suite],
      );
      const s = connect({ port }, { client, mode: "auth", cipher: refDeviceCipher() });
      const e = await socketError(s);
      // the made-up server data fails on the device, not the suite check on the server
      expect(e, String(suite)).toMatchObject({ code: "ERR_TLS_ALERT_SENT", alert: "handshake_failure" });
      await new Promise((r) => setTimeout(r, 20));
      expect(
        errors.every((x) => !/suite SM only/.test(x.message)),
        String(suite),
      ).toBe(true);
      await closeServer(server);
    }
  });
});
