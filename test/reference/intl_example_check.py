#!/usr/bin/env python3
# Independent check of the suite INTL worked example of TID protocol v1 (docs/protocol.md
# "Algorithm suites", test/vectors/tid-v1-intl-example.json) with Python's `cryptography` package:
# P-256 ECDH (SEC 1 §3.3.1), HMAC-SHA-256 (RFC 2104), the ANSI X9.63 KDF with SHA-256 (SEC 1
# §3.6.1, cryptography's X963KDF), AES-128-ECB and AES-128-GCM (NIST SP 800-38A, 800-38D).
# Everything is recomputed from the example's inputs (TID, PSK, times, nonces, private keys) and
# compared with the values the file states.
#   python3 test/reference/intl_example_check.py test/vectors/tid-v1-intl-example.json
# Prints one line per value ("ok <name>" or "MISMATCH <name> ...") and exits 1 on any mismatch.
import json
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF


def public_xy(private_hex):
    key = ec.derive_private_key(int(private_hex, 16), ec.SECP256R1())
    n = key.public_key().public_numbers()
    return key, n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")


def hmac_sha256(key, *parts):
    h = hmac.HMAC(key, hashes.SHA256())
    for p in parts:
        h.update(p)
    return h.finalize()


def main(path):
    ex = json.load(open(path))
    b = bytes.fromhex
    tid, psk, nd, ns, extra = b(ex["TID"]), b(ex["PSK"]), b(ex["Nd"]), b(ex["Ns"]), b(ex["extra"])
    qd, qd_pub = public_xy(ex["deviceEphemeralPrivate"])
    qs, qs_pub = public_xy(ex["serverEphemeralPrivate"])
    prefix = bytes([0x01, 0x20, 0x03, 0x10])
    auth_body = prefix + struct.pack(">HI", 0, ex["deviceTime"]) + tid + nd + struct.pack(">H", len(extra)) + extra + qd_pub
    tag_d = hmac_sha256(psk, auth_body)
    server_body = prefix + struct.pack(">HI", 1, ex["serverTime"]) + tid + ns + struct.pack(">H", 0) + qs_pub
    tag_s = hmac_sha256(psk, b"TIDS", server_body, nd, tag_d)
    peer_s = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + qs_pub)
    peer_d = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + qd_pub)
    z = qd.exchange(ec.ECDH(), peer_s)
    z_server = qs.exchange(ec.ECDH(), peer_d)
    k = X963KDF(algorithm=hashes.SHA256(), length=32, sharedinfo=None).derive(z + tid + nd + ns)
    token = k[:16]
    enc = Cipher(algorithms.AES(token), modes.ECB()).encryptor()
    zero_block = enc.update(bytes(16)) + enc.finalize()
    nonce = struct.pack(">IQ", 1, 0)
    sealed = struct.pack(">Q", 0) + AESGCM(token).encrypt(nonce, b"hello", None)

    got = {
        "Qd": qd_pub,
        "Qs": qs_pub,
        "authcode": auth_body + tag_d,
        "tagD": tag_d,
        "serverData": server_body + tag_s,
        "tagS": tag_s,
        "Z": z,
        "K": k,
        "sessionToken": token,
        "symCryptoEncryptZeroBlock": zero_block,
        "sealUplinkCounter0Hello": sealed,
    }
    bad = 0
    if z != z_server:
        print("MISMATCH Z: the two sides of the ECDH disagree")
        bad += 1
    for name, value in got.items():
        if value.hex() == ex[name]:
            print("ok " + name)
        else:
            print("MISMATCH %s: computed %s, the example has %s" % (name, value.hex(), ex[name]))
            bad += 1
    for name, length in (("authcodeLength", len(auth_body) + 32), ("serverDataLength", len(server_body) + 32)):
        if ex[name] != length:
            print("MISMATCH %s: computed %d, the example has %d" % (name, length, ex[name]))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
