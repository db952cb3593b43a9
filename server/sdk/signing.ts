// Request signing between a user server and the TID auth server (docs/server.md "Request
// signing"). The user server signs the canonical string
//
//   TID-AUTH-V2 \n POST \n /v1/auth \n <audience> \n <userUin> \n <timestamp> \n <nonce> \n <deviceData hex, lowercase>
//
// (UTF-8, fields joined by a single LF, no trailing LF) with RSA-PSS, SHA-256, MGF1-SHA-256,
// salt length 32, and sends the signature base64-encoded. The audience is the auth server's
// origin as the user server addresses it (scheme://host[:port], audienceOf): a request signed for
// one auth server does not verify at another that knows the same user key. The session token
// comes back encrypted to the same key pair with RSA-OAEP (SHA-256, MGF1-SHA-256, empty label).
import {
  constants,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  sign,
  verify,
  type KeyLike,
  type KeyObject,
} from "node:crypto";

export const SIGNATURE_SCHEME = "RSA-PSS-SHA256";
export const TOKEN_ENCRYPTION = "RSA-OAEP-SHA256";
export const CANONICAL_PREFIX = "TID-AUTH-V2";
export const PSS_SALT_LENGTH = 32;
export const MIN_RSA_BITS = 2048;

export interface SignedFields {
  method: string;
  path: string;
  /** the auth server's origin, scheme://host[:port] (audienceOf) */
  audience: string;
  userUin: string;
  timestamp: number;
  nonce: string;
  deviceDataHex: string;
}

/** The exact bytes that are signed. */
export function canonicalString(f: SignedFields): string {
  return [
    CANONICAL_PREFIX,
    f.method.toUpperCase(),
    f.path,
    f.audience,
    f.userUin,
    String(f.timestamp),
    f.nonce,
    f.deviceDataHex.toLowerCase(),
  ].join("\n");
}

/**
 * The audience of requests to the auth server at `url`: its origin — lowercase scheme and host,
 * IPv6 in brackets, the port left out when it is the scheme's default (http 80, https 443).
 * "https://TID.example:443/base/" → "https://tid.example".
 * @throws TypeError when `url` is not an http(s) URL
 */
export function audienceOf(url: string | URL): string {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new TypeError(`url must be http(s), got ${u.protocol}`);
  return u.origin;
}

/** An RSA private key object from PEM text, DER bytes or a KeyObject. */
export function rsaPrivateKey(key: KeyLike | KeyObject): KeyObject {
  const k = typeof key === "object" && "asymmetricKeyType" in key ? (key as KeyObject) : createPrivateKey(key as string | Buffer);
  if (k.type !== "private" || k.asymmetricKeyType !== "rsa") throw new TypeError("privateKey must be an RSA private key");
  return k;
}

/** An RSA public key object of at least 2048 bits, from PEM text or a KeyObject. */
export function rsaPublicKey(key: KeyLike | KeyObject): KeyObject {
  const k = typeof key === "object" && "asymmetricKeyType" in key ? (key as KeyObject) : createPublicKey(key as string | Buffer);
  if (k.asymmetricKeyType !== "rsa") throw new TypeError("public key must be an RSA key");
  const bits = k.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new RangeError(`RSA key must be at least ${MIN_RSA_BITS} bits, got ${bits}`);
  return k.type === "private" ? createPublicKey(k) : k;
}

/** Base64 RSA-PSS-SHA256 signature of the canonical string. */
export function signRequest(privateKey: KeyLike | KeyObject, f: SignedFields): string {
  return sign("sha256", Buffer.from(canonicalString(f), "utf8"), {
    key: rsaPrivateKey(privateKey),
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: PSS_SALT_LENGTH,
  }).toString("base64");
}

/** Check a base64 RSA-PSS-SHA256 signature; false for any malformed input. */
export function verifyRequest(publicKey: KeyObject, f: SignedFields, signatureBase64: string): boolean {
  if (typeof signatureBase64 !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(signatureBase64)) return false;
  try {
    return verify(
      "sha256",
      Buffer.from(canonicalString(f), "utf8"),
      { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_LENGTH },
      Buffer.from(signatureBase64, "base64"),
    );
  } catch {
    return false;
  }
}

/** RSA-OAEP-SHA256 encryption of the session token to the user server's key (base64). */
export function encryptToken(publicKey: KeyObject, token: Uint8Array): string {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, token).toString("base64");
}

/** Decrypt a base64 RSA-OAEP-SHA256 token. */
export function decryptToken(privateKey: KeyLike | KeyObject, base64: string): Uint8Array {
  const out = privateDecrypt(
    { key: rsaPrivateKey(privateKey), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    Buffer.from(base64, "base64"),
  );
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
