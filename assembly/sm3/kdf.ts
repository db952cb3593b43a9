// The key derivation function of GB/T 32918.4-2016 §5.4.3 over SM3:
//   K = Hash(Z ‖ ct) ‖ Hash(Z ‖ ct+1) ‖ …, ct a 32-bit big-endian counter starting at 1,
// truncated to the requested length — hash/kdf.ts with HASH_SM3 and no SharedInfo.
import { HASH_SM3 } from "../hash/md";
import { kdfFrom } from "../hash/kdf";

/** Derive `outLen` bytes from the shared secret `z` into `out` (which may overlap `z`). */
export function sm3Kdf(z: usize, zLen: usize, out: usize, outLen: usize): void {
  kdfFrom(HASH_SM3, z, zLen, 0, 0, 1, out, outLen);
}

/**
 * The KDF output from counter `ct` on: bytes [32·(ct-1), 32·(ct-1) + outLen) of KDF(z, ·), so a
 * long output can be produced in pieces. `z` is absorbed before anything is written to `out`.
 */
export function sm3KdfFrom(z: usize, zLen: usize, ct: u32, out: usize, outLen: usize): void {
  kdfFrom(HASH_SM3, z, zLen, 0, 0, ct, out, outLen);
}
