// Which algorithm suites this build contains (docs/abi.md "Build targets"; docs/protocol.md
// "Algorithm suites"): a bit mask fixed at compile time by asc's `--use TID_SUITES=n` — 1 suite SM
// (SM2, SM3, SM4), 2 suite INTL (P-256, SHA-256, AES-128), 3 both, the default when the build does
// not say. Code shared by the suites tests HAS_SM / HAS_INTL before it dispatches, so a build with
// one suite compiles the other's primitives out rather than carrying them unreachable.
// @ts-ignore: TID_SUITES exists only when the build defines it
export const BUILD_SUITES: i32 = isDefined(TID_SUITES) ? TID_SUITES : 3;
/** The build contains suite SM. */
export const HAS_SM: bool = (BUILD_SUITES & 1) != 0;
/** The build contains suite INTL. */
export const HAS_INTL: bool = (BUILD_SUITES & 2) != 0;
