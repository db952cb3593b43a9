// A wasm host whose `random` import hands out given byte strings in turn, then real entropy: how
// the known-answer tests replay a standard's nonce k (GB/T 32918 Annex A, RFC 6979 §A.2.5).
import type { HostImports } from "../../bindings/wasm.js";

export function scriptedRandom(...chunks: Uint8Array[]): HostImports {
  return {
    random(out) {
      const next = chunks.shift();
      out.set(next ?? crypto.getRandomValues(new Uint8Array(out.length)));
      return 0;
    },
  };
}
