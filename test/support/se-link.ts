// The shielded link's worked example (test/vectors/se-link-example.json, written by its generator
// from node:crypto alone; docs/se-profile.md "Worked example of the shielded link"), typed, for
// every test that checks an implementation against it.
import { readFileSync } from "node:fs";

/** One protected command of the example and its answer, with every intermediate value (hex). */
export interface LinkExampleCommand {
  name: string;
  counter: number;
  plainApdu: string;
  D: string;
  ICV: string | null;
  paddedD: string | null;
  C: string;
  macInput: string;
  cmac: string;
  protectedApdu: string;
  R: string;
  SW: string;
  responseICV: string | null;
  paddedR: string | null;
  E: string;
  rmacInput: string;
  rmac: string;
  /** E ‖ R-MAC ‖ SW */
  protectedResponse: string;
}

export interface LinkExample {
  label: string;
  TID: string;
  PSK: string;
  SK_SE: string;
  PK_SE: string;
  hostEphemeralPrivate: string;
  hostEphemeralPublic: string;
  seEphemeralPrivate: string;
  seEphemeralPublic: string;
  challenge: string;
  /** the whole C-APDU */
  openCommand: string;
  /** ePK.SE ‖ receipt ‖ SW */
  openResponse: string;
  Zee: string;
  Zes: string;
  info: string;
  KM: string;
  receiptKey: string;
  S_ENC: string;
  S_MAC: string;
  S_RMAC: string;
  receipt: string;
  commands: LinkExampleCommand[];
}

export const LINK_EXAMPLE: LinkExample = JSON.parse(readFileSync(new URL("../vectors/se-link-example.json", import.meta.url), "utf8"));
