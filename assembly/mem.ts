// Bounds and overlap checks for pointers handed in by the host. A wasm memory access outside linear memory
// traps and poisons the instance, so every export checks its ranges first (docs/abi.md
// "Conventions").
import { OK, ERR_OUT_OF_BOUNDS } from "./status";

/** True when [ptr, ptr+len) lies inside linear memory (no wrap-around). */
// @ts-ignore: decorator
@inline
export function inBounds(ptr: usize, len: usize): bool {
  const end = ptr + len;
  return end >= ptr && end <= (<usize>memory.size() << 16);
}

/** OK, or ERR_OUT_OF_BOUNDS when the range is outside linear memory. */
// @ts-ignore: decorator
@inline
export function checkRange(ptr: usize, len: usize): i32 {
  return inBounds(ptr, len) ? OK : ERR_OUT_OF_BOUNDS;
}

/** True when the non-empty ranges [a, a+al) and [b, b+bl) share a byte. */
// @ts-ignore: decorator
@inline
export function overlaps(a: usize, al: usize, b: usize, bl: usize): bool {
  return al != 0 && bl != 0 && a < b + bl && b < a + al;
}

/** The in/out rule of the block-cipher exports: identical start, or no shared byte. */
// @ts-ignore: decorator
@inline
export function badAlias(inp: usize, inLen: usize, out: usize, outLen: usize): bool {
  return inp != out && overlaps(inp, inLen, out, outLen);
}

/** Overwrite [ptr, ptr+len) with zeros (key material on release). */
export function wipe(ptr: usize, len: usize): void {
  memory.fill(ptr, 0, len);
}
