// Host imports of the module (docs/abi.md "Imports" lists them). Every outside effect goes through
// one of these. All are synchronous and return an i32 status (0 = OK).

/** Fill [ptr, ptr+len) with entropy from the host. Returns 0, or a negative status on failure. */
@external("env", "random")
export declare function hostRandom(ptr: usize, len: u32): i32;

/** Unix time in seconds, 0..2^32-1; anything else (a negative value: the host's clock failed) is refused. */
@external("env", "now")
export declare function hostNow(): i64;

/**
 * The host's Unix time as the u32 the wire formats carry, or -1 when `now` returned a value
 * outside 0..2^32-1: the caller fails with ERR_CLOCK_FAILED rather than truncate it.
 */
export function hostTime(): i64 {
  const t = hostNow();
  return t >= 0 && t <= <i64>u32.MAX_VALUE ? t : -1;
}

/** One APDU exchange with the secure element; the host does link framing and bus I/O. */
@external("env", "transceive")
export declare function hostTransceive(cmdPtr: usize, cmdLen: u32, rspPtr: usize, rspCap: u32, rspLenPtr: usize): i32;

/**
 * AssemblyScript's abort hook. The module never calls it on a data-dependent path (every such
 * path returns a status), so reaching it is a bug in the module: trap with `unreachable`.
 */
export function abortHandler(message: string | null, fileName: string | null, line: u32, column: u32): void {
  unreachable();
}
