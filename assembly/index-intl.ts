// tid-wasm module entry, suite INTL only (docs/abi.md "Build targets"): P-256, SHA-256, AES-128
// and the TID client (soft backend: the SE's shielded link is SM2/SM3/SM4, so an INTL device
// behind an SE runs the two-suite build) and TID-TLS in suite INTL,
// built with `--use TID_SUITES=2` (assembly/suites.ts) so the shared code keeps no SM branch. For
// devices provisioned in suite INTL.
import "./host";
export * from "./abi/common";
export * from "./abi/aes";
export * from "./abi/sha256";
export * from "./abi/p256";
export * from "./abi/tid";
export * from "./abi/tls";
