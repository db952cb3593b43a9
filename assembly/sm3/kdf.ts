// The key derivation function of GB/T 32918.4-2016 §5.4.3 over SM3:
//   K = Hash(Z ‖ ct) ‖ Hash(Z ‖ ct+1) ‖ …, ct a 32-bit big-endian counter starting at 1,
// truncated to the requested length. Z ‖ ct is hashed by absorbing Z once and cloning the state.
import { wipe } from "../mem";
import { SM3_CTX_SIZE, SM3_DIGEST_SIZE, sm3Final, sm3Init, sm3Update } from "./sm3";

const base: usize = memory.data(<i32>SM3_CTX_SIZE, 16);
const work: usize = memory.data(<i32>SM3_CTX_SIZE, 16);
const scratch: usize = memory.data(32 + 4, 16);

/** Derive `outLen` bytes from the shared secret `z` into `out` (which may overlap `z`). */
export function sm3Kdf(z: usize, zLen: usize, out: usize, outLen: usize): void {
  sm3KdfFrom(z, zLen, 1, out, outLen);
}

/**
 * The KDF output from counter `ct` on: bytes [32·(ct-1), 32·(ct-1) + outLen) of KDF(z, ·), so a
 * long output can be produced in pieces. `z` is absorbed before anything is written to `out`.
 */
export function sm3KdfFrom(z: usize, zLen: usize, ct: u32, out: usize, outLen: usize): void {
  sm3Init(base);
  sm3Update(base, z, zLen);
  const ctr = scratch + 32;
  while (outLen != 0) {
    memory.copy(work, base, SM3_CTX_SIZE);
    store<u32>(ctr, bswap<u32>(ct));
    sm3Update(work, ctr, 4);
    const n = min<usize>(outLen, SM3_DIGEST_SIZE);
    if (n == SM3_DIGEST_SIZE) {
      sm3Final(work, out);
    } else {
      sm3Final(work, scratch);
      memory.copy(out, scratch, n);
    }
    out += n; outLen -= n; ct++;
  }
  wipe(base, SM3_CTX_SIZE);
  wipe(scratch, 36);
}
