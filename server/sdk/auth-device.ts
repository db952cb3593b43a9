// The server SDK a device maker's user server uses (docs/server.md "Server SDK"), the
// counterpart of the original authDeviceHttps(userUin, userPrivateKey, deviceData, cert):
//   authDevice(userUin, privateKey, deviceData, {url, ca?, timeoutMs?}) → [serverData, token]
// signs the request with the user server's RSA key (signing.ts), sends it to the TID auth server
// over a keep-alive connection, and decrypts the session token (RSA-OAEP-SHA256). serverData goes
// back to the device unchanged; the token keys the business-data helpers re-exported here:
// sm4Encrypt / sm4Decrypt (the device's sym_crypto, raw SM4-ECB) and seal / open / AeadSession
// (SM4-GCM messages, the device's tid_seal / tid_open).
import { randomBytes, type KeyLike, type KeyObject } from "node:crypto";
import { requestJson, TidServerError, type HttpClientOptions } from "./http-client.js";
import { audienceOf, decryptToken, rsaPrivateKey, signRequest } from "./signing.js";

export { sm4Encrypt, sm4Decrypt } from "../../reference/sm4-ecb.js";
export { seal, open, AeadSession, AeadError, aeadNonce, PREFIX_UPLINK, PREFIX_DOWNLINK, AEAD_OVERHEAD } from "../../reference/aead.js";
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

/** Result of authDevice: server data for the device, and the session token or null. */
export type AuthDeviceResult = [serverData: Uint8Array, sessionToken: Uint8Array | null];

function endpoint(base: string, path: string): URL {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/+$/, "") + path;
  return u;
}

/**
 * Authenticate a device: send its authcode (`deviceData`, the bytes from tid_client_get_authcode)
 * to the TID auth server, signed as `userUin`. Resolves with [serverData, sessionToken]; the
 * token is null when the device asked to keep its session (authcode flags bit 0). Throws
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
  if (body.sessionToken === null || body.sessionToken === undefined) return [serverData, null];
  if (typeof body.sessionToken !== "string") throw new TidServerError("BAD_RESPONSE", 200, "sessionToken is not a string");
  let token: Uint8Array;
  try {
    token = decryptToken(key, body.sessionToken);
  } catch (e) {
    throw new TidServerError("BAD_RESPONSE", 200, "sessionToken does not decrypt with this private key", { cause: e });
  }
  if (token.length !== 16) throw new TidServerError("BAD_RESPONSE", 200, `sessionToken is ${token.length} bytes, expected 16`);
  return [serverData, token];
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
