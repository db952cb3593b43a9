// The one encoder of "TID applet v1" commands (docs/se-profile.md): each function checks its
// arguments and returns the command APDU (data may exceed 255 bytes; the APDU channel chains it)
// and the parser of its response data. hal/se/client.ts runs them; tests and the wasm SE backend
// can compare their bytes with these.
import type { CommandApdu } from "../apdu/apdu.js";
import { SUITE_NAMES, type SuiteName } from "../../reference/constants.js";
import {
  AUTH_BEGIN,
  AUTH_FINISH,
  AUTH_FINISH_RETURN_TOKEN,
  CLA_ISO,
  CLA_PROPRIETARY,
  DATA_TAG,
  ERASE_ALL_SLOTS,
  INFO_STATE,
  INS,
  LIFECYCLE,
  LINK_KEY_SIZE,
  LINK_OPEN_SIZE,
  MAX_EXTRA,
  MAX_SM4_DATA,
  PROVISION_SIZE,
  PSK_SIZE,
  SERVER_DATA_MAX,
  SERVER_DATA_MIN,
  SESSION_KEY_SIZE,
  SLOT_COUNT,
  SLOT_STATE,
  SM4_DECRYPT,
  SM4_ENCRYPT,
  SUITE_BYTE,
  suiteOfByte,
  SW,
  TID_APPLET_AID,
  TID_SIZE,
} from "./profile.js";

export interface SeCommand<T> {
  /** for messages: "AUTH BEGIN" */
  name: string;
  apdu: CommandApdu;
  /** turns the response data of a 9000 into the result; throws SeFormatError when malformed */
  parse(data: Uint8Array): T;
}

/** The SE answered 9000 with data that does not fit the profile. */
export class SeFormatError extends Error {
  readonly status = "ERR_SE_IO" as const;
  constructor(command: string, detail: string) {
    super(`${command}: malformed response: ${detail}`);
    this.name = "SeFormatError";
  }
}

export interface SelectInfo {
  aid: Uint8Array;
  version: { major: number; minor: number };
}

export type Lifecycle = "blank" | "personalised" | "locked";

export interface AppletInfo {
  version: { major: number; minor: number };
  protocol: number;
  slots: number;
  maxExtra: number;
  lifecycle: Lifecycle;
  /** an authentication request is pending (AUTH BEGIN done, AUTH FINISH not yet) */
  pending: boolean;
  /** the SE has a link key: it is shielded (docs/se-profile.md "The shielded link") */
  linkKey: boolean;
  /** a secure session is open */
  session: boolean;
}

export type SlotState = "empty" | "loaded" | "token";

export interface AuthBeginInput {
  /** device time, Unix seconds (the SE has no clock) */
  time: number;
  /** authcode flags; bit 0 = keep the current session (ask for no new token). Default 0. */
  flags?: number;
  /** extra data, 0..512 bytes, authenticated by tag_d */
  extra?: Uint8Array;
}

export interface AuthFinishOptions {
  /** session slot 0..7 that receives the token (default 0) */
  slot?: number;
  /** also return the token to the host (it crosses the bus in clear; docs/se-profile.md "Known limits") */
  returnToken?: boolean;
}

function bytes(name: string, v: unknown, min: number, max: number, multipleOf = 1): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array, got ${v === null ? "null" : typeof v}`);
  if (v.length < min || v.length > max)
    throw new RangeError(
      min === max ? `${name} must be ${min} bytes, got ${v.length}` : `${name} must be ${min}..${max} bytes, got ${v.length}`,
    );
  if (v.length % multipleOf !== 0) throw new RangeError(`${name} length must be a multiple of ${multipleOf}, got ${v.length}`);
  return v;
}

function int(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new TypeError(`${name} must be an integer, got ${typeof v === "number" ? v : typeof v}`);
  if (v < min || v > max) throw new RangeError(`${name} must be in ${min}..${max}, got ${v}`);
  return v;
}

function exact(command: string, data: Uint8Array, n: number): Uint8Array {
  if (data.length !== n) throw new SeFormatError(command, `expected ${n} bytes, got ${data.length}`);
  return data;
}

function none(command: string): (data: Uint8Array) => void {
  return (data) => {
    if (data.length !== 0) throw new SeFormatError(command, `expected no data, got ${data.length} bytes`);
  };
}

const slotNames: Record<number, SlotState> = { [SLOT_STATE.EMPTY]: "empty", [SLOT_STATE.LOADED]: "loaded", [SLOT_STATE.TOKEN]: "token" };
const lifecycleNames: Record<number, Lifecycle> = {
  [LIFECYCLE.BLANK]: "blank",
  [LIFECYCLE.PERSONALISED]: "personalised",
  [LIFECYCLE.LOCKED]: "locked",
};

/** SELECT the TID applet: 00 A4 04 00 09 <AID> 00. */
export function select(): SeCommand<SelectInfo> {
  const name = "SELECT";
  return {
    name,
    apdu: { cla: CLA_ISO, ins: INS.SELECT, p1: 0x04, p2: 0x00, data: TID_APPLET_AID.slice(), le: 256 },
    parse(d) {
      // 6F L 84 L AID 85 02 major minor
      if (d.length < 2 || d[0] !== 0x6f || d[1] !== d.length - 2) throw new SeFormatError(name, "not an FCI template (6F)");
      let i = 2;
      let aid: Uint8Array | null = null;
      let version: { major: number; minor: number } | null = null;
      while (i + 2 <= d.length) {
        const tag = d[i]!;
        const len = d[i + 1]!;
        const v = d.subarray(i + 2, i + 2 + len);
        if (v.length !== len) throw new SeFormatError(name, `TLV ${tag.toString(16)} runs past the end`);
        if (tag === 0x84) aid = v.slice();
        if (tag === 0x85 && len === 2) version = { major: v[0]!, minor: v[1]! };
        i += 2 + len;
      }
      if (!aid || !version) throw new SeFormatError(name, "FCI lacks the AID (84) or version (85)");
      return { aid, version };
    },
  };
}

/** GET CHALLENGE: 00 84 00 00 Le → n random bytes (1..256). */
export function getChallenge(n: number): SeCommand<Uint8Array> {
  int("n", n, 1, 256);
  const name = "GET CHALLENGE";
  return { name, apdu: { cla: CLA_ISO, ins: INS.GET_CHALLENGE, p1: 0, p2: 0, le: n }, parse: (d) => exact(name, d, n).slice() };
}

/** GET DATA 00 01: the TID (8 bytes). */
export function getTid(): SeCommand<Uint8Array> {
  const name = "GET DATA (TID)";
  return {
    name,
    apdu: { cla: CLA_PROPRIETARY, ins: INS.GET_DATA, p1: 0, p2: DATA_TAG.TID, le: 256 },
    parse: (d) => exact(name, d, TID_SIZE).slice(),
  };
}

/** GET DATA 00 02: applet info. */
export function getInfo(): SeCommand<AppletInfo> {
  const name = "GET DATA (info)";
  return {
    name,
    apdu: { cla: CLA_PROPRIETARY, ins: INS.GET_DATA, p1: 0, p2: DATA_TAG.INFO, le: 256 },
    parse(d) {
      exact(name, d, 8);
      const lifecycle = lifecycleNames[d[6]!];
      if (!lifecycle) throw new SeFormatError(name, `unknown lifecycle byte 0x${d[6]!.toString(16)}`);
      return {
        version: { major: d[0]!, minor: d[1]! },
        protocol: d[2]!,
        slots: d[3]!,
        maxExtra: (d[4]! << 8) | d[5]!,
        lifecycle,
        pending: (d[7]! & INFO_STATE.PENDING) !== 0,
        linkKey: (d[7]! & INFO_STATE.LINK_KEY) !== 0,
        session: (d[7]! & INFO_STATE.SESSION) !== 0,
      };
    },
  };
}

/** GET DATA 00 03: one state per session slot. */
export function getSlots(): SeCommand<SlotState[]> {
  const name = "GET DATA (slots)";
  return {
    name,
    apdu: { cla: CLA_PROPRIETARY, ins: INS.GET_DATA, p1: 0, p2: DATA_TAG.SLOTS, le: 256 },
    parse(d) {
      if (d.length < 1 || d.length > 15) throw new SeFormatError(name, `expected 1..15 slot bytes, got ${d.length}`);
      return Array.from(d, (b) => {
        const s = slotNames[b];
        if (!s) throw new SeFormatError(name, `unknown slot state 0x${b.toString(16)}`);
        return s;
      });
    },
  };
}

/** GET DATA 00 04: PK.SE, the SE's public link key X ‖ Y (64 bytes); 6A88 while it has none. */
export function getLinkKey(): SeCommand<Uint8Array> {
  const name = "GET DATA (link key)";
  return {
    name,
    apdu: { cla: CLA_PROPRIETARY, ins: INS.GET_DATA, p1: 0, p2: DATA_TAG.LINK_KEY, le: 256 },
    parse: (d) => exact(name, d, LINK_KEY_SIZE).slice(),
  };
}

/**
 * GET DATA 00 05: the identity's algorithm suite (1 byte, 00 SM / 01 INTL); 6A88 while blank.
 * An applet older than suites answers 6A86: SeClient.getSuite reads that as "sm".
 */
export function getSuite(): SeCommand<SuiteName> {
  const name = "GET DATA (suite)";
  return {
    name,
    apdu: { cla: CLA_PROPRIETARY, ins: INS.GET_DATA, p1: 0, p2: DATA_TAG.SUITE, le: 256 },
    parse(d) {
      exact(name, d, 1);
      const suite = suiteOfByte(d[0]!);
      if (suite === null) throw new SeFormatError(name, `unknown suite byte 0x${d[0]!.toString(16).padStart(2, "0")}`);
      return suite;
    },
  };
}

/** GENERATE LINK KEY: 80 46 00 00 00 → PK.SE (64 bytes). Pairing: run it in a trusted place. */
export function generateLinkKey(): SeCommand<Uint8Array> {
  const name = "GENERATE LINK KEY";
  return {
    name,
    apdu: { cla: CLA_PROPRIETARY, ins: INS.GENERATE_LINK_KEY, p1: 0, p2: 0, le: 256 },
    parse: (d) => exact(name, d, LINK_KEY_SIZE).slice(),
  };
}

/** OPEN SECURE SESSION: 80 88 00 00 50 ePK.host ‖ challenge 00 → ePK.SE ‖ receipt (80 bytes). */
export function openSecureSession(data: Uint8Array): SeCommand<Uint8Array> {
  bytes("data", data, LINK_OPEN_SIZE, LINK_OPEN_SIZE);
  const name = "OPEN SECURE SESSION";
  return {
    name,
    apdu: { cla: CLA_PROPRIETARY, ins: INS.OPEN_SECURE_SESSION, p1: 0, p2: 0, data: data.slice(), le: 256 },
    parse: (d) => exact(name, d, LINK_OPEN_SIZE).slice(),
  };
}

/**
 * PROVISION: 80 D8 00 00 18 TID ‖ PSK (suite SM), or 80 D8 00 00 19 TID ‖ PSK ‖ 01 (suite INTL).
 * Suite SM goes in the first form, which an applet older than suites accepts too. Refused (6982)
 * once locked.
 */
export function provision(tid: Uint8Array, psk: Uint8Array, suite: SuiteName = "sm"): SeCommand<void> {
  bytes("tid", tid, TID_SIZE, TID_SIZE);
  bytes("psk", psk, PSK_SIZE, PSK_SIZE);
  if (!(SUITE_NAMES as readonly unknown[]).includes(suite)) {
    throw new TypeError(`suite must be one of ${SUITE_NAMES.map((n) => JSON.stringify(n)).join(", ")}, got ${String(suite)}`);
  }
  const data = new Uint8Array(suite === "sm" ? PROVISION_SIZE : PROVISION_SIZE + 1);
  data.set(tid);
  data.set(psk, TID_SIZE);
  if (suite !== "sm") data[PROVISION_SIZE] = SUITE_BYTE[suite];
  const name = "PROVISION";
  return { name, apdu: { cla: CLA_PROPRIETARY, ins: INS.PROVISION, p1: 0, p2: 0, data }, parse: none(name) };
}

/** LOCK: 80 EA 00 00 (irreversible). */
export function lock(): SeCommand<void> {
  const name = "LOCK";
  return { name, apdu: { cla: CLA_PROPRIETARY, ins: INS.LOCK, p1: 0, p2: 0 }, parse: none(name) };
}

/** AUTH BEGIN: 80 DC 01 00 Lc flags(2) ‖ time(4) ‖ extra → the authcode (132 + L bytes). */
export function authBegin(input: AuthBeginInput): SeCommand<Uint8Array> {
  const time = int("time", input.time, 0, 0xffff_ffff);
  const flags = int("flags", input.flags ?? 0, 0, 1);
  const extra = input.extra === undefined ? new Uint8Array(0) : bytes("extra", input.extra, 0, MAX_EXTRA);
  const data = new Uint8Array(6 + extra.length);
  const dv = new DataView(data.buffer);
  dv.setUint16(0, flags);
  dv.setUint32(2, time);
  data.set(extra, 6);
  const name = "AUTH BEGIN";
  return {
    name,
    apdu: { cla: CLA_PROPRIETARY, ins: INS.AUTH, p1: AUTH_BEGIN, p2: 0, data, le: 256 },
    parse(d) {
      if (d.length !== 132 + extra.length) throw new SeFormatError(name, `authcode of ${d.length} bytes, expected ${132 + extra.length}`);
      // The authcode must echo what was asked (flags ‖ time at 4..10, L and extra at 34..): this
      // also catches a command the SE saw only in part (a chain cut by a reset).
      const echo = d[4] === data[0] && d[5] === data[1] && d[6] === data[2] && d[7] === data[3] && d[8] === data[4] && d[9] === data[5];
      const l = (d[34]! << 8) | d[35]!;
      if (!echo || l !== extra.length || !extra.every((b, i) => d[36 + i] === b)) {
        throw new SeFormatError(name, "the authcode does not carry the flags, time and extra that were sent");
      }
      return d.slice();
    },
  };
}

/** AUTH FINISH: 80 DC 02 P2 Lc serverData → the token (16 bytes) if issued and asked for, else null. */
export function authFinish(serverData: Uint8Array, options: AuthFinishOptions = {}): SeCommand<Uint8Array | null> {
  bytes("serverData", serverData, SERVER_DATA_MIN, SERVER_DATA_MAX);
  const slot = int("slot", options.slot ?? 0, 0, SLOT_COUNT - 1);
  const ret = options.returnToken ?? false;
  const name = "AUTH FINISH";
  return {
    name,
    apdu: {
      cla: CLA_PROPRIETARY,
      ins: INS.AUTH,
      p1: AUTH_FINISH,
      p2: slot | (ret ? AUTH_FINISH_RETURN_TOKEN : 0),
      data: serverData.slice(),
      le: 256,
    },
    parse(d) {
      if (d.length === 0) return null;
      if (!ret || d.length !== SESSION_KEY_SIZE) throw new SeFormatError(name, `unexpected ${d.length}-byte response`);
      return d.slice();
    },
  };
}

/** LOAD SESSION KEY: 80 5A 00 slot 10 key. */
export function loadSessionKey(slot: number, key: Uint8Array): SeCommand<void> {
  int("slot", slot, 0, SLOT_COUNT - 1);
  bytes("key", key, SESSION_KEY_SIZE, SESSION_KEY_SIZE);
  const name = "LOAD SESSION KEY";
  return { name, apdu: { cla: CLA_PROPRIETARY, ins: INS.LOAD_SESSION_KEY, p1: 0, p2: slot, data: key.slice() }, parse: none(name) };
}

/**
 * CIPHER: 80 DA enc slot Lc data → the same number of bytes: raw ECB of the identity's suite
 * (SM4, or AES-128 in suite INTL), whole blocks, ≤ 1024 bytes.
 */
export function cipher(slot: number, encrypt: boolean, data: Uint8Array): SeCommand<Uint8Array> {
  int("slot", slot, 0, SLOT_COUNT - 1);
  bytes("data", data, 16, MAX_SM4_DATA, 16);
  const name = encrypt ? "CIPHER (encrypt)" : "CIPHER (decrypt)";
  return {
    name,
    apdu: { cla: CLA_PROPRIETARY, ins: INS.SM4_CIPHER, p1: encrypt ? SM4_ENCRYPT : SM4_DECRYPT, p2: slot, data: data.slice(), le: 256 },
    parse: (d) => exact(name, d, data.length).slice(),
  };
}

/** The profile's first name for cipher() (the command is SM4-ECB in suite SM). */
export const sm4Cipher = cipher;

/** ERASE SLOT: 80 EC 00 slot (or "all" → FF). */
export function eraseSlot(slot: number | "all"): SeCommand<void> {
  const p2 = slot === "all" ? ERASE_ALL_SLOTS : int("slot", slot, 0, SLOT_COUNT - 1);
  const name = "ERASE SLOT";
  return { name, apdu: { cla: CLA_PROPRIETARY, ins: INS.ERASE_SLOT, p1: 0, p2 }, parse: none(name) };
}

/**
 * The wasm status name for an SW of a profile command (docs/se-profile.md "Status words"):
 * the SE backend reports the same status for an AUTH FINISH failure as the soft backend.
 */
export function statusOfSw(ins: number, p1: number, sw: number): string {
  const auth = ins === INS.AUTH;
  switch (sw) {
    case SW.OK:
      return "OK";
    case SW.VERIFY_FAILED:
      return "ERR_VERIFY_FAILED";
    case SW.WRONG_LENGTH:
      return "ERR_BAD_LENGTH";
    case SW.REFERENCE_DATA_NOT_USABLE:
      return auth ? "ERR_TID_MISMATCH" : "ERR_SE_STATUS_WORD";
    case SW.CONDITIONS_OF_USE:
      if (auth && p1 === AUTH_FINISH) return "ERR_NO_PENDING_REQUEST";
      if ((auth && p1 === AUTH_BEGIN) || ins === INS.LOCK) return "ERR_NOT_INITIALISED";
      return "ERR_SE_STATUS_WORD";
    case SW.WRONG_DATA:
      return "ERR_BAD_FORMAT";
    case SW.FUNCTION_NOT_SUPPORTED:
      return auth ? "ERR_UNSUPPORTED_VERSION" : "ERR_SE_STATUS_WORD";
    case SW.ALGORITHM_NOT_SUPPORTED:
      return auth ? "ERR_UNSUPPORTED_ALGORITHM" : "ERR_SE_STATUS_WORD";
    case SW.WRONG_P1P2:
      return ins === INS.LOAD_SESSION_KEY || ins === INS.SM4_CIPHER || ins === INS.ERASE_SLOT || (auth && p1 === AUTH_FINISH)
        ? "ERR_BAD_KEY_INDEX"
        : "ERR_BAD_PARAM";
    case SW.DATA_NOT_FOUND:
      return ins === INS.GET_DATA ? "ERR_NOT_INITIALISED" : "ERR_SLOT_EMPTY";
    default:
      return "ERR_SE_STATUS_WORD";
  }
}
