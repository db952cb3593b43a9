// Hostile input for the AES-128 exports (docs/abi.md "AES-128") on the debug, release and portable
// builds: the raw key-handle calls under the block-cipher cases of
// test/support/block-cipher-raw-hostile.ts, which SM4's raw exports run too
// (test/crypto/sm4-hostile.test.ts): the module implements those calls once for both ciphers and
// promises the same rules. Every case must end in its status, never a trap, and never partial
// output; the instance keeps working.
import { describe } from "vitest";
import { TidWasm } from "../../bindings/wasm.js";
import { rawBlockCipherHostile } from "../support/block-cipher-raw-hostile.js";
import { fromHex } from "../../reference/bytes.js";

// FIPS 197 Appendix C.1
const C1 = {
  key: fromHex("000102030405060708090a0b0c0d0e0f"),
  pt: fromHex("00112233445566778899aabbccddeeff"),
  ct: "69c4e0d86a7b0430d8cdb78070b4c55a",
};

describe.each(["debug", "release", "portable"] as const)("AES-128 hostile input on the %s build", (build) => {
  const wasm = TidWasm.create({ build });
  describe("raw exports", () => {
    rawBlockCipherHostile(wasm, {
      prefix: "aes",
      nodeName: (mode) => `aes-128-${mode}`,
      vector: C1,
      fresh: () => TidWasm.create({ build }),
      scheduleHoldsKey: true,
    });
  });
});
