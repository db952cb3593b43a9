// A status word other than 9000 from a profile command, as a typed error (docs/se-profile.md
// "Status words"): the SW, its reason, the wasm status it maps to in this command, the command.
import type { ApduError, SwReason } from "../apdu/errors.js";
import { swHex } from "../apdu/apdu.js";

export class SeStatusError extends Error {
  readonly sw: number;
  readonly reason: SwReason;
  /** the wasm status this SW stands for in this command (commands.ts statusOfSw) */
  readonly status: string;
  /** "AUTH FINISH" */
  readonly command: string;

  constructor(command: string, sw: number, status: string, cause: ApduError) {
    super(`${command}: SE answered ${swHex(sw)} (${cause.reason}) → ${status}`, { cause });
    this.name = "SeStatusError";
    this.command = command;
    this.sw = sw;
    this.reason = cause.reason;
    this.status = status;
  }
}
