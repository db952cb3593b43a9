// The ANSI X9.63 key derivation function with SHA-256 (SEC 1 v2.0 §3.6.1):
//   K = Hash(Z ‖ ct ‖ SharedInfo) ‖ Hash(Z ‖ ct+1 ‖ SharedInfo) ‖ …, ct a 32-bit big-endian
// counter starting at 1, truncated to the requested length — hash/kdf.ts with HASH_SHA256, the
// construction of the SM3 KDF with SharedInfo appended.
import { HASH_SHA256 } from "../hash/md";
import { kdfFrom } from "../hash/kdf";

/**
 * Derive `outLen` bytes from the shared secret `z` and `info` into `out`. `z` is absorbed before
 * anything is written to `out` (so they may overlap); `info` is read for every block, so the
 * caller keeps `out` off it.
 */
export function x963KdfSha256(z: usize, zLen: usize, info: usize, infoLen: usize, out: usize, outLen: usize): void {
  kdfFrom(HASH_SHA256, z, zLen, info, infoLen, 1, out, outLen);
}
