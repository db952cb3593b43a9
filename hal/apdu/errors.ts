// Status words as typed errors (ISO/IEC 7816-4 §5.6; docs/se-profile.md "Status words"; docs/hal.md
// "Errors"). Every SE status word other than 9000 (and 61xx / 6Cxx,
// which the channel resolves itself) becomes an ApduError that keeps the SW; well-known SWs get a
// named subclass and a `reason`, so callers can write `instanceof ReferenceNotFound` or switch on
// `e.reason`, and always read `e.sw`. At the wasm boundary all of them are ERR_SE_STATUS_WORD
// (the SE backend may map particular SWs of particular commands to protocol statuses; the SW is
// carried along).
import { swHex, type CommandApdu, headerHex } from "./shape.js";

export type SwReason =
  | "verification-failed" // 6300, 63Cx
  | "memory-failure" // 6581
  | "wrong-length" // 6700
  | "chain-broken" // 6883
  | "chaining-not-supported" // 6884
  | "security-status" // 6982
  | "reference-not-usable" // 6984
  | "conditions-not-satisfied" // 6985
  | "wrong-data" // 6A80
  | "function-not-supported" // 6A81
  | "not-found" // 6A82
  | "incorrect-p1p2" // 6A86
  | "reference-not-found" // 6A88
  | "wrong-le" // 6Cxx left unresolved
  | "ins-not-supported" // 6D00
  | "cla-not-supported" // 6E00
  | "no-precise-diagnosis" // 6F00
  | "algorithm-not-supported" // 9484
  | "unknown";

export class ApduError extends Error {
  /** SW1 << 8 | SW2, as the SE sent it. */
  readonly sw: number;
  readonly reason: SwReason;
  /** Header of the command that failed ("80 DC 01 00"), when known. */
  readonly command?: string;
  /** Response data that came with the SW (usually empty). */
  readonly data: Uint8Array;
  readonly status = "ERR_SE_STATUS_WORD" as const;

  constructor(sw: number, reason: SwReason, text: string, command?: CommandApdu, data: Uint8Array = new Uint8Array(0)) {
    super(`SW ${swHex(sw)} ${text}${command ? ` (command ${headerHex(command)})` : ""}`);
    this.name = "ApduError";
    this.sw = sw;
    this.reason = reason;
    if (command) this.command = headerHex(command);
    this.data = data;
  }

  get sw1(): number {
    return this.sw >>> 8;
  }

  get sw2(): number {
    return this.sw & 0xff;
  }
}

/** The APDU exchange itself went wrong (not a status word): short response, endless 61xx. */
export class ApduProtocolError extends Error {
  readonly status = "ERR_SE_IO" as const;
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = "ApduProtocolError";
  }
}

type Ctor = new (sw: number, reason: SwReason, text: string, command?: CommandApdu, data?: Uint8Array) => ApduError;
function named(name: string): Ctor {
  const C = class extends ApduError {
    constructor(sw: number, reason: SwReason, text: string, command?: CommandApdu, data?: Uint8Array) {
      super(sw, reason, text, command, data);
      this.name = name;
    }
  };
  Object.defineProperty(C, "name", { value: name });
  return C;
}

export const VerificationFailed = named("VerificationFailed");
export const MemoryFailure = named("MemoryFailure");
export const WrongLength = named("WrongLength");
export const ChainingError = named("ChainingError");
export const SecurityStatusNotSatisfied = named("SecurityStatusNotSatisfied");
export const ReferenceNotUsable = named("ReferenceNotUsable");
export const ConditionsNotSatisfied = named("ConditionsNotSatisfied");
export const WrongData = named("WrongData");
export const FunctionNotSupported = named("FunctionNotSupported");
export const NotFound = named("NotFound");
export const IncorrectP1P2 = named("IncorrectP1P2");
export const ReferenceNotFound = named("ReferenceNotFound");
export const WrongLe = named("WrongLe");
export const InsNotSupported = named("InsNotSupported");
export const ClaNotSupported = named("ClaNotSupported");
export const NoPreciseDiagnosis = named("NoPreciseDiagnosis");
export const AlgorithmNotSupported = named("AlgorithmNotSupported");

const TABLE: Record<number, [SwReason, string, Ctor]> = {
  0x6300: ["verification-failed", "verification failed", VerificationFailed],
  0x6581: ["memory-failure", "memory failure", MemoryFailure],
  0x6700: ["wrong-length", "wrong length", WrongLength],
  0x6883: ["chain-broken", "command chain broken (last block of a chain expected)", ChainingError],
  0x6884: ["chaining-not-supported", "command chaining not supported", ChainingError],
  0x6982: ["security-status", "security status not satisfied", SecurityStatusNotSatisfied],
  0x6984: ["reference-not-usable", "reference data not usable", ReferenceNotUsable],
  0x6985: ["conditions-not-satisfied", "conditions of use not satisfied", ConditionsNotSatisfied],
  0x6a80: ["wrong-data", "incorrect data", WrongData],
  0x6a81: ["function-not-supported", "function not supported", FunctionNotSupported],
  0x6a82: ["not-found", "file or application not found", NotFound],
  0x6a86: ["incorrect-p1p2", "incorrect P1/P2", IncorrectP1P2],
  0x6a88: ["reference-not-found", "referenced data not found", ReferenceNotFound],
  0x6d00: ["ins-not-supported", "INS not supported", InsNotSupported],
  0x6e00: ["cla-not-supported", "CLA not supported", ClaNotSupported],
  0x6f00: ["no-precise-diagnosis", "no precise diagnosis", NoPreciseDiagnosis],
  0x9484: ["algorithm-not-supported", "algorithm not supported", AlgorithmNotSupported],
};

/** The typed error for a status word (never for 9000). */
export function apduError(sw: number, command?: CommandApdu, data?: Uint8Array): ApduError {
  const hit = TABLE[sw];
  if (hit) return new hit[2](sw, hit[0], hit[1], command, data);
  if ((sw & 0xfff0) === 0x63c0)
    return new VerificationFailed(sw, "verification-failed", `verification failed, ${sw & 0x0f} tries left`, command, data);
  if (sw >>> 8 === 0x6c) return new WrongLe(sw, "wrong-le", `wrong Le: ${sw & 0xff || 256} bytes available`, command, data);
  return new ApduError(sw, "unknown", "status word", command, data);
}
