"""A TID user server in Python: the standard library and the `cryptography` package only.

The Python counterpart of the TypeScript server SDK's authDevice (server/sdk/auth-device.ts):
it relays a device's authcode to the TID auth server as a signed POST /v1/auth and decrypts the
session token of the answer. The wire format is docs/openapi.yaml and docs/server.md
("Request signing"):

  canonical string  TID-AUTH-V2 \\n POST \\n /v1/auth \\n <audience> \\n <userUin> \\n <timestamp>
                    \\n <nonce> \\n <deviceData, lowercase hex>   (UTF-8, no trailing newline)
  signature         RSA-PSS, SHA-256, MGF1-SHA-256, salt length 32, base64
  audience          the auth server's origin: scheme://host[:port], lowercase, default port left out
  session token     RSA-OAEP, SHA-256, MGF1-SHA-256, empty label, base64 (16 bytes in clear)

Also sm4_ecb_encrypt / sm4_ecb_decrypt: the device's legacy sym_crypto (raw SM4-ECB under the
token, whole 16-byte blocks).

Usage as a program (prints one JSON document; exit 0 authenticated, 1 refused, 2 usage error):

  python3 tid_user_server.py --server http://127.0.0.1:8080 --user my-backend \\
      --key ~/tid-deploy/user-server/private_key.pem --authcode HEX [--ca ca.pem]
"""

import argparse
import base64
import json
import os
import secrets
import ssl
import stat
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

CANONICAL_PREFIX = "TID-AUTH-V2"
AUTH_PATH = "/v1/auth"
TOKEN_SIZE = 16


class TidServerError(Exception):
    """The auth server refused the request (code from its error body), or no answer came (NETWORK)."""

    def __init__(self, code, status, message):
        super().__init__(f"{code} (HTTP {status}): {message}" if status else f"{code}: {message}")
        self.code = code
        self.status = status


def audience_of(url):
    """The auth server's origin as the signed audience: "https://TID.example:443/x" -> "https://tid.example"."""
    u = urllib.parse.urlsplit(url)
    scheme = u.scheme.lower()
    if scheme not in ("http", "https") or not u.hostname:
        raise ValueError(f"url must be http(s) with a host, got {url!r}")
    host = u.hostname.lower()  # urlsplit drops the IPv6 brackets
    if ":" in host:
        host = f"[{host}]"
    port = u.port
    if port is None or port == {"http": 80, "https": 443}[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def canonical_string(audience, user_uin, timestamp, nonce, device_data_hex):
    """The exact text that is signed."""
    return "\n".join(
        [CANONICAL_PREFIX, "POST", AUTH_PATH, audience, user_uin, str(timestamp), nonce, device_data_hex.lower()]
    )


def load_private_key(path):
    """The user server's RSA private key (PEM, PKCS#8 or PKCS#1), refused when others may read the file."""
    with open(path, "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        pem = f.read()
    if os.name == "posix" and mode & 0o077:
        raise PermissionError(
            f"{path}: mode {stat.S_IMODE(mode):03o} lets others read the user server's private key; run `chmod 600 {path}`"
        )
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ValueError(f"{path}: not an RSA private key of at least 2048 bits")
    return key


def sign_request(private_key, audience, user_uin, timestamp, nonce, device_data_hex):
    """Base64 RSA-PSS-SHA256 (salt 32) signature of the canonical string."""
    text = canonical_string(audience, user_uin, timestamp, nonce, device_data_hex).encode("utf-8")
    signature = private_key.sign(
        text,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    return base64.b64encode(signature).decode("ascii")


def decrypt_token(private_key, token_base64):
    """The 16-byte session token from its RSA-OAEP-SHA256 ciphertext."""
    token = private_key.decrypt(
        base64.b64decode(token_base64, validate=True),
        padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    if len(token) != TOKEN_SIZE:
        raise ValueError(f"the session token is {len(token)} bytes, expected {TOKEN_SIZE}")
    return token


def auth_device(url, user_uin, private_key, device_data, ca_file=None, timeout=15.0, audience=None, now=None):
    """Authenticate a device: its authcode (bytes) to the auth server at `url`, signed as `user_uin`.

    Returns (server_data, session_token): server_data goes to the device unchanged; the token is
    None when the device asked to keep its session. Raises TidServerError on a refusal.
    """
    audience = audience or audience_of(url)
    timestamp = int(now if now is not None else time.time())
    nonce = base64.urlsafe_b64encode(secrets.token_bytes(18)).decode("ascii").rstrip("=")
    device_data_hex = device_data.hex()
    body = {
        "userUin": user_uin,
        "audience": audience,
        "deviceData": device_data_hex,
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": sign_request(private_key, audience, user_uin, timestamp, nonce, device_data_hex),
    }
    request = urllib.request.Request(
        url.rstrip("/") + AUTH_PATH,
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            answer = json.loads(response.read(1 << 20))
    except urllib.error.HTTPError as e:
        try:
            error = json.loads(e.read(1 << 20)).get("error", {})
        except ValueError:
            error = {}
        raise TidServerError(error.get("code", "HTTP_ERROR"), e.code, error.get("message", e.reason)) from None
    except (urllib.error.URLError, OSError) as e:
        raise TidServerError("NETWORK", 0, str(getattr(e, "reason", e))) from None
    server_data = bytes.fromhex(answer["serverData"])
    token = answer.get("sessionToken")
    return server_data, (decrypt_token(private_key, token) if token is not None else None)


def _sm4_ecb(token, data, encrypt):
    if len(token) != TOKEN_SIZE:
        raise ValueError("the token is 16 bytes")
    if len(data) % 16:
        raise ValueError("SM4-ECB takes whole 16-byte blocks")
    cipher = Cipher(algorithms.SM4(token), modes.ECB())
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def sm4_ecb_encrypt(token, data):
    """The device's sym_crypto, encrypting: raw SM4-ECB, no padding, no integrity (legacy)."""
    return _sm4_ecb(token, data, True)


def sm4_ecb_decrypt(token, data):
    """The device's sym_crypto, decrypting."""
    return _sm4_ecb(token, data, False)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Relay one device authcode to a TID auth server.")
    parser.add_argument("--server", required=True, help="the auth server's base URL")
    parser.add_argument("--user", required=True, help="this user server's userUin")
    parser.add_argument("--key", required=True, help="this user server's private_key.pem (from `tid keygen`)")
    parser.add_argument("--authcode", required=True, help="the device's authcode, hex")
    parser.add_argument("--ca", help="trust this CA certificate (PEM) for an https server")
    parser.add_argument("--sm4-block", help="also encrypt this 16-byte hex block with the token (SM4-ECB)")
    args = parser.parse_args(argv)
    try:
        authcode = bytes.fromhex(args.authcode)
    except ValueError:
        parser.error("--authcode must be hex")
    try:
        key = load_private_key(args.key)
    except (OSError, ValueError) as e:
        print(json.dumps({"ok": False, "error": str(e)}))
        return 1
    try:
        server_data, token = auth_device(args.server, args.user, key, authcode, ca_file=args.ca)
    except TidServerError as e:
        print(json.dumps({"ok": False, "code": e.code, "status": e.status, "error": str(e)}))
        return 1
    out = {"ok": True, "serverData": server_data.hex(), "token": token.hex() if token else None}
    if args.sm4_block and token:
        out["sm4Block"] = sm4_ecb_encrypt(token, bytes.fromhex(args.sm4_block)).hex()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
