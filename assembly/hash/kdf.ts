// The counter-mode hash KDF shared by GB/T 32918.4-2016 §5.4.3 (over SM3, no SharedInfo) and
// ANSI X9.63 / SEC 1 v2.0 §3.6.1 (over SHA-256, with SharedInfo):
//   K = Hash(Z ‖ ct ‖ SharedInfo) ‖ Hash(Z ‖ ct+1 ‖ SharedInfo) ‖ …, ct a 32-bit big-endian
// counter, truncated to the requested length. Z is absorbed once and the state cloned per block.
// The first parameter, HASH_SM3 or HASH_SHA256, is fixed at each call site (sm3/kdf.ts and
// sha256/kdf.ts are the typed entry points).
import { wipe } from "../mem";
import { HASH_CTX_SIZE, HASH_DIGEST_SIZE, hashFinal, hashInit, hashUpdate } from "./md";

const base: usize = memory.data(<i32>HASH_CTX_SIZE, 16);
const work: usize = memory.data(<i32>HASH_CTX_SIZE, 16);
const scratch: usize = memory.data(32 + 4, 16);

/**
 * The KDF output of hash h from counter `ct` on: bytes [32·(ct-1), 32·(ct-1) + outLen) of
 * KDF(z, info), so a long output can be produced in pieces. `z` is absorbed before anything is
 * written to `out` (so they may overlap); `info` is read for every block, so the caller keeps
 * `out` off it.
 */
export function kdfFrom(h: u32, z: usize, zLen: usize, info: usize, infoLen: usize, ct: u32, out: usize, outLen: usize): void {
  hashInit(h, base);
  hashUpdate(h, base, z, zLen);
  const ctr = scratch + 32;
  while (outLen != 0) {
    memory.copy(work, base, HASH_CTX_SIZE);
    store<u32>(ctr, bswap<u32>(ct));
    hashUpdate(h, work, ctr, 4);
    hashUpdate(h, work, info, infoLen);
    const n = min<usize>(outLen, HASH_DIGEST_SIZE);
    if (n == HASH_DIGEST_SIZE) {
      hashFinal(h, work, out);
    } else {
      hashFinal(h, work, scratch);
      memory.copy(out, scratch, n);
    }
    out += n; outLen -= n; ct++;
  }
  wipe(base, HASH_CTX_SIZE);
  wipe(work, HASH_CTX_SIZE);
  wipe(scratch, 36);
}
