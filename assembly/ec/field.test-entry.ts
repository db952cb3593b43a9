// Test-only build entry (test/crypto/ec-field.test.ts compiles it on the fly; not part of the
// module): exports the field arithmetic so its bounds can be checked against BigInt on extreme
// inputs, for the curve chosen with useCurve.
export { fpMul, fpSqr, fpAdd, fpSub, fpReduce, fpInv, fpSqrt } from "./field";
export { useCurve } from "./curve";
import { fpFromBytes, fpToBytes } from "./field";

const SCRATCH: usize = memory.data(1024, 16);

/** A scratch area for the test's operands. */
export function scratch(): usize {
  return SCRATCH;
}

export function fromBytes(r: usize, src: usize): u32 {
  return <u32>fpFromBytes(r, src);
}

export function toBytes(dst: usize, a: usize): void {
  fpToBytes(dst, a);
}
