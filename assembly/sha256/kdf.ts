// The ANSI X9.63 key derivation function with SHA-256 (SEC 1 v2.0 §3.6.1):
//   K = Hash(Z ‖ ct ‖ SharedInfo) ‖ Hash(Z ‖ ct+1 ‖ SharedInfo) ‖ …, ct a 32-bit big-endian
// counter starting at 1, truncated to the requested length — the construction of the SM3 KDF
// (assembly/sm3/kdf.ts) with SharedInfo appended. Z is absorbed once and the state cloned per
// block.
import { wipe } from "../mem";
import { SHA256_CTX_SIZE, SHA256_DIGEST_SIZE, sha256Final, sha256Init, sha256Update } from "./sha256";

const base: usize = memory.data(<i32>SHA256_CTX_SIZE, 16);
const work: usize = memory.data(<i32>SHA256_CTX_SIZE, 16);
const scratch: usize = memory.data(32 + 4, 16);

/**
 * Derive `outLen` bytes from the shared secret `z` and `info` into `out`. `z` is absorbed before
 * anything is written to `out` (so they may overlap); `info` is read for every block, so the
 * caller keeps `out` off it.
 */
export function x963KdfSha256(z: usize, zLen: usize, info: usize, infoLen: usize, out: usize, outLen: usize): void {
  sha256Init(base);
  sha256Update(base, z, zLen);
  const ctr = scratch + 32;
  let ct: u32 = 1;
  while (outLen != 0) {
    memory.copy(work, base, SHA256_CTX_SIZE);
    store<u32>(ctr, bswap<u32>(ct));
    sha256Update(work, ctr, 4);
    sha256Update(work, info, infoLen);
    const n = min<usize>(outLen, SHA256_DIGEST_SIZE);
    if (n == SHA256_DIGEST_SIZE) {
      sha256Final(work, out);
    } else {
      sha256Final(work, scratch);
      memory.copy(out, scratch, n);
    }
    out += n; outLen -= n; ct++;
  }
  wipe(base, SHA256_CTX_SIZE);
  wipe(work, SHA256_CTX_SIZE);
  wipe(scratch, 36);
}
