// tid-wasm module entry: re-exports the ABI of every part (docs/abi.md).
import "./host";
export * from "./abi/common";
export * from "./abi/sm4";
export * from "./abi/aes";
export * from "./abi/sm3";
export * from "./abi/sha256";
export * from "./abi/sm2";
export * from "./abi/p256";
export * from "./abi/tid";
export * from "./abi/tls";
