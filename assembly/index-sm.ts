// tid-wasm module entry, suite SM only (docs/abi.md "Build targets"): SM2, SM3, SM4 and the TID
// client and TID-TLS in suite SM, built with `--use TID_SUITES=1` (assembly/suites.ts) so the
// shared code keeps no INTL branch. For devices provisioned in suite SM.
import "./host";
export * from "./abi/common";
export * from "./abi/sm4";
export * from "./abi/sm3";
export * from "./abi/sm2";
export * from "./abi/tid";
export * from "./abi/tls";
