// Constant-time helpers: the time taken depends only on the length, never on the data.

/** True when the `len` bytes at `a` and `b` are equal; runs in time independent of their contents. */
export function ctEqual(a: usize, b: usize, len: usize): bool {
  let diff: u32 = 0;
  for (let i: usize = 0; i < len; i++) diff |= <u32>load<u8>(a + i) ^ <u32>load<u8>(b + i);
  return diff == 0;
}
