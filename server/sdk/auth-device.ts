// The server SDK a device maker's user server uses (docs/server.md "Server SDK"), the
// counterpart of the original authDeviceHttps(userUin, userPrivateKey, deviceData, cert):
//   authDevice(userUin, privateKey, deviceData, {url, ca?, timeoutMs?}) → [serverData, token, suite]
// signs the request with the user server's RSA key (signing.ts), sends it to the TID auth server
// over a keep-alive connection, and decrypts the session token (RSA-OAEP-SHA256). serverData goes
// back to the device unchanged; `suite` is the device's algorithm suite, read from the server
// data's bytes 1–2 (docs/protocol.md "Algorithm suites"), which says which cipher the token keys.
// The business-data helpers re-exported here: the device's sym_crypto — sm4Encrypt / sm4Decrypt
// (raw SM4-ECB, suite SM), aesEncrypt / aesDecrypt (raw AES-128-ECB, suite INTL), symEncrypt /
// symDecrypt (either, by suite) — and the device's tid_seal / tid_open messages, seal / open /
// AeadSession (SM4-GCM or AES-128-GCM by their `suite` argument; aeadSessionFor picks it from an
// authDevice result).
import { randomBytes, type KeyLike, type KeyObject } from "node:crypto";
import { AeadSession } from "../../reference/aead.js";
import { parseServerData } from "../../reference/codec.js";
import type { SuiteName } from "../../reference/constants.js";
import { requestJson, TidServerError, type HttpClientOptions } from "./http-client.js";
import { audienceOf, decryptToken, rsaPrivateKey, signRequest } from "./signing.js";

export { sm4Encrypt, sm4Decrypt } from "../../reference/sm4-ecb.js";
export { aesEncrypt, aesDecrypt } from "../../reference/aes-ecb.js";
export { symEncrypt, symDecrypt } from "../../reference/suite.js";
export { seal, open, AeadSession, AeadError, aeadNonce, PREFIX_UPLINK, PREFIX_DOWNLINK, AEAD_OVERHEAD } from "../../reference/aead.js";
export type { SuiteName };
export { keygen } from "./keygen.js";
export { TidServerError, destroyAgents } from "./http-client.js";

export interface AuthDeviceOptions extends HttpClientOptions {
  /** the auth server's base URL, e.g. http://127.0.0.1:8443 (the SDK appends /v1/auth) */
  url: string;
  /** Unix seconds for the request timestamp (test hook); default the system clock */
  now?: () => number;
  /**
   * the auth server's name in the signed request (default: the origin of `url`); set it when the
   * user server reaches the auth server by another URL than the one the server knows itself by
   * (a tunnel, say)
   */
  audience?: string;
}

/**
 * Result of authDevice: server data for the device, the session token or null, and the device's
 * algorithm suite ("sm": the token is an SM4 key; "intl": an AES-128 key).
 */
export type AuthDeviceResult = [serverData: Uint8Array, sessionToken: Uint8Array | null, suite: SuiteName];

function endpoint(base: string, path: string): URL {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/+$/, "") + path;
  return u;
}

/**
 * Authenticate a device: send its authcode (`deviceData`, the bytes from tid_client_get_authcode)
 * to the TID auth server, signed as `userUin`. Resolves with [serverData, sessionToken, suite];
 * the token is null when the device asked to keep its session (authcode flags bit 0); the suite
 * is the one the server data is in (the auth server builds it in the device's registered suite),
 * BAD_RESPONSE when the server data does not parse. Throws
 * TidServerError with the server's code (VERIFY_FAILED, REPLAY, UNKNOWN_TID, …) on rejection.
 */
export async function authDevice(
  userUin: string,
  privateKey: KeyLike | KeyObject,
  deviceData: Uint8Array,
  options: AuthDeviceOptions,
): Promise<AuthDeviceResult> {
  if (typeof userUin !== "string") throw new TypeError("userUin must be a string");
  if (!(deviceData instanceof Uint8Array)) throw new TypeError("deviceData must be a Uint8Array");
  const key = rsaPrivateKey(privateKey);
  const timestamp = options.now ? options.now() : Math.floor(Date.now() / 1000);
  const nonce = randomBytes(18).toString("base64url");
  const deviceDataHex = Buffer.from(deviceData).toString("hex");
  const audience = options.audience ?? audienceOf(options.url);
  const signature = signRequest(key, { method: "POST", path: "/v1/auth", audience, userUin, timestamp, nonce, deviceDataHex });
  const body = await requestJson(
    "POST",
    endpoint(options.url, "/v1/auth"),
    { userUin, audience, deviceData: deviceDataHex, timestamp, nonce, signature },
    options,
  );
  if (typeof body.serverData !== "string" || !/^([0-9a-f]{2})+$/i.test(body.serverData)) {
    throw new TidServerError("BAD_RESPONSE", 200, "serverData missing or not hex");
  }
  const serverData = new Uint8Array(Buffer.from(body.serverData, "hex"));
  const suite = suiteOfServerData(serverData);
  if (body.sessionToken === null || body.sessionToken === undefined) return [serverData, null, suite];
  if (typeof body.sessionToken !== "string") throw new TidServerError("BAD_RESPONSE", 200, "sessionToken is not a string");
  let token: Uint8Array;
  try {
    token = decryptToken(key, body.sessionToken);
  } catch (e) {
    throw new TidServerError("BAD_RESPONSE", 200, "sessionToken does not decrypt with this private key", { cause: e });
  }
  if (token.length !== 16) {
    token.fill(0);
    throw new TidServerError("BAD_RESPONSE", 200, `sessionToken is ${token.length} bytes, expected 16`);
  }
  return [serverData, token, suite];
}

/** The suite of the server data (bytes 1–2), or BAD_RESPONSE when it is no server data. */
function suiteOfServerData(serverData: Uint8Array): SuiteName {
  try {
    return parseServerData(serverData).suite;
  } catch (e) {
    throw new TidServerError("BAD_RESPONSE", 200, `serverData does not parse: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The AEAD session (seal / open, docs/server.md "Server SDK") of an authDevice result: keyed with
 * its token, in its suite. Role "server" (default) seals downlink and opens uplink. TypeError
 * when the result carries no token (the device kept its session: use the session's own).
 */
export function aeadSessionFor(result: AuthDeviceResult, role: "server" | "device" = "server"): AeadSession {
  if (!Array.isArray(result) || result.length !== 3) throw new TypeError("result must be what authDevice resolved with");
  const [, token, suite] = result;
  if (token === null) throw new TypeError("result carries no session token (the device kept its session)");
  return new AeadSession(token, role, suite);
}

/** authDevice bound to one user server identity and auth server. */
export class TidAuthClient {
  private readonly key: KeyObject;
  constructor(
    readonly userUin: string,
    privateKey: KeyLike | KeyObject,
    private readonly options: AuthDeviceOptions,
  ) {
    this.key = rsaPrivateKey(privateKey);
  }

  authDevice(deviceData: Uint8Array): Promise<AuthDeviceResult> {
    return authDevice(this.userUin, this.key, deviceData, this.options);
  }
}
