// Assertions shared by the hostile-input suites.
import { expect } from "vitest";
import { TidError } from "../../bindings/errors.js";

/** Expect `fn` to throw a TidError with status `code`. */
export function expectStatus(fn: () => unknown, code: number): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected TidError ${code}`).toBeInstanceOf(TidError);
  expect((err as TidError).code).toBe(code);
}

/** The status name of the TidError `fn` throws, or "OK" when it returns (any other error is rethrown). */
export function statusOf(fn: () => unknown): string {
  try {
    fn();
    return "OK";
  } catch (e) {
    if (e instanceof TidError) return e.status;
    throw e;
  }
}

/** Does `needle` occur anywhere in `hay`? (Scans wasm memory for secrets left behind.) */
export function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0]!;
  for (let i = hay.indexOf(first); i >= 0 && i <= hay.length - needle.length; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}
