// A request naming a userUin that is not registered (or not active) is answered exactly as one
// with a bad signature, 401 BAD_SIGNATURE (docs/server.md "Security model"), and takes as long:
// its signature is verified against this RSA-2048 public key instead of a user server's, so the
// answer time does not tell an outsider which userUins exist. Whatever verifies against it, the
// request is refused: the userUin is not a registered user server. (The matching private key was
// thrown away when this one was made.)
export const DECOY_PUBLIC_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAteDCSK7v2Dl6bztshRjk
9qGHQkiqRZaT92joPazOVq1Yegz6CrLQ4IdF5tbb/1teacG85xRCJdOBQqBtjhyz
4PYVr4fuLPOJIjstRamUGk0+iDpWqeqmzz9WvVJnLmb0YY0JhB/iexM/0o5uTxB9
mhcqE31bVXfcHKtW0pW19l6S3gTVhelSIcT+E88K1uxOP3HAXYgahC5Os1rPfX2O
Te/8stylGC2PSnCBxN1Xep5s172HyRtx4ELSvNWW880TmROcVgDCKI3lf63f7x4a
VJi8lgu6yNhgmttwYJSTi7GSHXF2t24Ii1L/ftM4VjgiyR6HEypPiT+tkmBo4AXy
nwIDAQAB
-----END PUBLIC KEY-----
`;
