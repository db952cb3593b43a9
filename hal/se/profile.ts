// "TID applet v1" constants (docs/se-profile.md): AID, CLA/INS/P1/P2 values,
// status words, sizes. Shared by the host-side encoder (hal/se/commands.ts) and the simulated
// applet (hal/sim/applet.ts), so the two cannot drift apart.
import {
  MAX_EXTRA,
  PSK_SIZE,
  SERVER_DATA_MAX_SIZE,
  SERVER_DATA_MIN_SIZE,
  TID_SIZE,
  TOKEN_SIZE,
  type SuiteName,
} from "../../reference/constants.js";

/** AID = F0 ‖ "TIDAPPv1": ISO/IEC 7816-5 category F (proprietary, no registered RID). */
export const TID_APPLET_AID: Uint8Array = Uint8Array.of(0xf0, 0x54, 0x49, 0x44, 0x41, 0x50, 0x50, 0x76, 0x31);
export const APPLET_VERSION = { major: 1, minor: 0 } as const;
/** Version of the TID protocol (docs/protocol.md) that the applet speaks. */
export const APPLET_PROTOCOL = 1;

export const CLA_ISO = 0x00;
export const CLA_PROPRIETARY = 0x80;
/** CLA bit: more blocks of this command follow (ISO/IEC 7816-4 command chaining). */
export const CLA_CHAIN = 0x10;
/** CLA bit: the command is protected by secure messaging (the shielded link). */
export const CLA_SM = 0x04;

export const INS = {
  SELECT: 0xa4,
  GET_CHALLENGE: 0x84,
  GET_RESPONSE: 0xc0,
  GET_DATA: 0xca,
  PROVISION: 0xd8,
  LOCK: 0xea,
  AUTH: 0xdc,
  LOAD_SESSION_KEY: 0x5a,
  /** CIPHER: raw ECB of the identity's suite (SM4 or AES-128); the name is the profile's first one */
  SM4_CIPHER: 0xda,
  ERASE_SLOT: 0xec,
  GENERATE_LINK_KEY: 0x46,
  OPEN_SECURE_SESSION: 0x88,
} as const;

/** AUTH P1 values. */
export const AUTH_BEGIN = 0x01;
export const AUTH_FINISH = 0x02;
/** AUTH FINISH P2 bit 7: return the token to the host as well. */
export const AUTH_FINISH_RETURN_TOKEN = 0x80;

/** GET DATA tags (P1P2). */
export const DATA_TAG = { TID: 0x0001, INFO: 0x0002, SLOTS: 0x0003, LINK_KEY: 0x0004, SUITE: 0x0005 } as const;

/** The identity's algorithm suite on the wire: PROVISION's optional last byte, GET DATA 00 05. */
export const SUITE_BYTE: Readonly<Record<SuiteName, number>> = Object.freeze({ sm: 0x00, intl: 0x01 });
/** The suite of a suite byte, or null for a byte no suite has. */
export function suiteOfByte(b: number): SuiteName | null {
  return b === SUITE_BYTE.sm ? "sm" : b === SUITE_BYTE.intl ? "intl" : null;
}
/** PROVISION data: TID ‖ PSK (suite SM), or TID ‖ PSK ‖ suite byte. */
export const PROVISION_SIZE = TID_SIZE + PSK_SIZE; // 0x18
export const PROVISION_SUITE_SIZE = PROVISION_SIZE + 1; // 0x19

/** State byte of GET DATA 00 02 (applet info). */
export const INFO_STATE = { PENDING: 0x01, LINK_KEY: 0x02, SESSION: 0x04 } as const;

/** CIPHER P1 (SM4 or AES-128 by the identity's suite). */
export const SM4_DECRYPT = 0x00;
export const SM4_ENCRYPT = 0x01;
/** ERASE SLOT P2 that wipes every slot. */
export const ERASE_ALL_SLOTS = 0xff;

export const SLOT_COUNT = 8;
export { TID_SIZE, PSK_SIZE, MAX_EXTRA };
/** A session key (slot content) is a session token: an SM4 key in suite SM, AES-128 in INTL. */
export const SESSION_KEY_SIZE = TOKEN_SIZE;
/** Largest command data the applet collects through chaining. */
export const MAX_CHAINED_DATA = 1024;
/** Largest response data per R-APDU; the rest follows through 61xx / GET RESPONSE. */
export const MAX_RESPONSE_CHUNK = 256;
/** Largest command data per short C-APDU. */
export const MAX_SHORT_LC = 255;
/** Largest protected command or response data (secure messaging of 1024 bytes). */
export const MAX_PROTECTED_DATA = 1048;
/** OPEN SECURE SESSION data and answer: a public key (64) ‖ challenge or receipt (16). */
export const LINK_OPEN_SIZE = 80;
/** PK.SE: X ‖ Y. */
export const LINK_KEY_SIZE = 64;
/** Largest CIPHER data (whole blocks). */
export const MAX_SM4_DATA = 1024;
export const AUTH_BEGIN_HEADER = 6; // flags(2) ‖ time(4)
export const SERVER_DATA_MIN = SERVER_DATA_MIN_SIZE;
export const SERVER_DATA_MAX = SERVER_DATA_MAX_SIZE;

/** Lifecycle byte of GET DATA 00 02. */
export const LIFECYCLE = { BLANK: 0x00, PERSONALISED: 0x01, LOCKED: 0x02 } as const;
/** Slot status byte of GET DATA 00 03. */
export const SLOT_STATE = { EMPTY: 0x00, LOADED: 0x01, TOKEN: 0x02 } as const;

/** Status words of the profile (docs/se-profile.md, "Status words"). */
export const SW = {
  OK: 0x9000,
  VERIFY_FAILED: 0x6300,
  WRONG_LENGTH: 0x6700,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  CHAINING_NOT_SUPPORTED: 0x6884,
  SECURITY_STATUS: 0x6982,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_OF_USE: 0x6985,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  APPLET_NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6a86,
  DATA_NOT_FOUND: 0x6a88,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
  ALGORITHM_NOT_SUPPORTED: 0x9484,
} as const;

export type SwName = keyof typeof SW;

const swNames = new Map<number, SwName>((Object.keys(SW) as SwName[]).map((k) => [SW[k], k]));

/** "6A88 DATA_NOT_FOUND", "61 10 MORE_DATA", … for messages and transcripts. */
export function describeSw(sw: number): string {
  const hex = sw.toString(16).toUpperCase().padStart(4, "0");
  if ((sw & 0xff00) === 0x6100) return `${hex} MORE_DATA`;
  const name = swNames.get(sw);
  return name ? `${hex} ${name}` : hex;
}

/** ATR the simulated FM SE sends for GET ATR (I2C CMD 0x30): 3B 88 80 01 ‖ "FMSE-TID" ‖ TCK. */
export const SIM_ATR: Uint8Array = (() => {
  const hist = [...new TextEncoder().encode("FMSE-TID")];
  const body = [0x88, 0x80, 0x01, ...hist];
  const tck = body.reduce((x, b) => x ^ b, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
})();
