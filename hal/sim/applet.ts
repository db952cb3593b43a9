// The simulated "TID applet v1" (docs/se-profile.md): one C-APDU in, one
// R-APDU (data ‖ SW1 SW2) out, exactly as the profile defines every byte. The TID protocol itself
// (authcode, server-data checks, token) is the node:crypto protocol reference (reference/), so the
// simulator and the wasm check each other; CIPHER is node:crypto's "sm4-ecb" or "aes-128-ecb".
// Both algorithm suites (docs/se-profile.md "Algorithm suites"): the identity's suite (PROVISION's
// optional suite byte, GET DATA 00 05) picks the protocol's algorithms and the slots' cipher; the
// shielded link is SM2/SM3/SM4 whatever the suite.
//
// State as on a chip: `nvm` (TID, PSK, suite, lock) survives reset(); slots, the pending request, a
// partly received chain and an unread long response are RAM and are lost on reset().
// Each process() also reports the work done (EC operations, hash bytes, cipher blocks, NVM writes)
// so the timing model (timing.ts) can charge processing time.
// Test hook: injectNextAuth({nd, ephemeralPrivate}) fixes the next AUTH BEGIN's nonce and key so
// the worked examples (test/vectors/tid-v1-example.json, tid-v1-intl-example.json) come out byte
// for byte;
// injectNextOpen(ephemeralPrivate) does the same for OPEN SECURE SESSION
// (test/vectors/se-link-example.json).
// The shielded link (docs/se-profile.md "The shielded link"): the link key and the session are in
// secure-session.ts; here, the gate (which commands run outside / inside a session) and secure
// messaging around the commands, with a bare 6982 and the session ended on every failure.
import { createHash, randomBytes } from "node:crypto";
import {
  buildAuthcode,
  finishDevice,
  isOnCurve,
  isProtocolError,
  P256_N,
  SM2_N,
  SUITE_NAMES,
  suiteOf,
  type PendingRequest,
  type SessionKeys,
  type SuiteName,
} from "../../reference/index.js";
import { SessionEnded, SimLinkState } from "./secure-session.js";
import type { AppletWork } from "./work.js";

export type { AppletWork } from "./work.js";
import {
  APPLET_PROTOCOL,
  APPLET_VERSION,
  AUTH_BEGIN,
  AUTH_BEGIN_HEADER,
  AUTH_FINISH,
  AUTH_FINISH_RETURN_TOKEN,
  CLA_CHAIN,
  CLA_ISO,
  CLA_PROPRIETARY,
  CLA_SM,
  DATA_TAG,
  INFO_STATE,
  LINK_OPEN_SIZE,
  MAX_PROTECTED_DATA,
  ERASE_ALL_SLOTS,
  INS,
  LIFECYCLE,
  MAX_CHAINED_DATA,
  MAX_EXTRA,
  MAX_RESPONSE_CHUNK,
  MAX_SM4_DATA,
  PROVISION_SIZE,
  PROVISION_SUITE_SIZE,
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
} from "../se/profile.js";

export interface AppletResult {
  /** the whole R-APDU: data ‖ SW1 SW2 */
  rapdu: Uint8Array;
  sw: number;
  /** INS of the command (or -1 when it could not be parsed) */
  ins: number;
  work: AppletWork;
}

export interface Identity {
  tid: Uint8Array;
  psk: Uint8Array;
  /** the identity's algorithm suite (default "sm") */
  suite?: SuiteName;
  locked?: boolean;
}

export interface AppletOptions {
  /** identity already in NVM (as if PROVISIONed, and LOCKed when `locked`) */
  identity?: Identity;
  /** TRNG: default node:crypto randomBytes; `seed` makes it a deterministic SM3 counter DRBG */
  random?: (n: number) => Uint8Array;
  seed?: number | string;
  /** number of session slots (≥ 8 per the profile; default 8) */
  slots?: number;
  /** SK.SE already in NVM (as if GENERATE LINK KEY had run): the SE is shielded */
  linkKey?: Uint8Array;
}

/** Non-volatile part of the chip. */
export interface AppletNvm {
  tid: Uint8Array | null;
  psk: Uint8Array | null;
  /** the identity's suite ("sm" while blank) */
  suite: SuiteName;
  locked: boolean;
  /** SK.SE, the link's static private key (32 bytes), or null while the SE has none */
  linkKey: Uint8Array | null;
}

interface Chain {
  /** CLA without the chaining bit (the secure-messaging bit kept) */
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  parts: Uint8Array[];
  size: number;
}

class SwError extends Error {
  constructor(readonly sw: number) {
    super(`SW ${sw.toString(16)}`);
  }
}

const zeroWork = (): AppletWork => ({ sm2Keygen: 0, sm2Ecdh: 0, sm3Bytes: 0, sm4Blocks: 0, nvmWrites: 0, randomBytes: 0 });

/** Deterministic byte stream: SM3(seed ‖ counter) blocks. */
export function seededRandom(seed: number | string): (n: number) => Uint8Array {
  const s = new TextEncoder().encode(`tid-sim:${String(seed)}`);
  let counter = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const c = new Uint8Array(4);
      new DataView(c.buffer).setUint32(0, counter++);
      const block = createHash("sm3").update(s).update(c).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

function toBig(b: Uint8Array): bigint {
  return BigInt("0x" + Buffer.from(b).toString("hex"));
}

/** The order n of the suite's curve: ephemeral scalars are drawn in [1, n-2]. */
const CURVE_ORDER: Readonly<Record<SuiteName, bigint>> = { sm: SM2_N, intl: P256_N };

function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function withSw(data: Uint8Array, sw: number): Uint8Array {
  const r = new Uint8Array(data.length + 2);
  r.set(data);
  r[data.length] = sw >>> 8;
  r[data.length + 1] = sw & 0xff;
  return r;
}

/** SW for a ProtocolError code from finishDevice (docs/se-profile.md, AUTH FINISH). */
const SW_OF_PROTOCOL: Record<string, number> = {
  BAD_FORMAT: SW.WRONG_DATA,
  UNSUPPORTED_VERSION: SW.FUNCTION_NOT_SUPPORTED,
  UNSUPPORTED_ALGORITHM: SW.ALGORITHM_NOT_SUPPORTED,
  TID_MISMATCH: SW.REFERENCE_DATA_NOT_USABLE,
  VERIFY_FAILED: SW.VERIFY_FAILED,
  BAD_POINT: SW.WRONG_DATA,
};

export class TidApplet {
  readonly slotCount: number;
  private readonly random: (n: number) => Uint8Array;
  /** NVM: survives reset(). */
  private nvm: Omit<AppletNvm, "linkKey"> = { tid: null, psk: null, suite: "sm", locked: false };
  /** link key (NVM) and secure session (RAM) */
  private readonly link: SimLinkState;
  // RAM: lost on reset()
  private slots: (Uint8Array | null)[];
  private slotState: number[];
  private pending: PendingRequest | null = null;
  private chain: Chain | null = null;
  private longResponse: Uint8Array | null = null;
  /** the SW that ends the long response (a protected response carries its command's SW) */
  private longSw: number = SW.OK;
  /** inside secure messaging: respond() returns the whole data, the wrapped response is split */
  private whole = false;
  private injected: { nd?: Uint8Array; ephemeralPrivate?: Uint8Array } | null = null;
  private work: AppletWork = zeroWork();

  constructor(options: AppletOptions = {}) {
    this.slotCount = options.slots ?? SLOT_COUNT;
    if (!Number.isInteger(this.slotCount) || this.slotCount < 1 || this.slotCount > 15) {
      throw new RangeError(`slots must be an integer in 1..15, got ${String(options.slots)}`);
    }
    this.random = options.random ?? (options.seed !== undefined ? seededRandom(options.seed) : (n) => new Uint8Array(randomBytes(n)));
    this.slots = new Array<Uint8Array | null>(this.slotCount).fill(null);
    this.slotState = new Array<number>(this.slotCount).fill(SLOT_STATE.EMPTY);
    if (options.identity) {
      const { tid, psk } = options.identity;
      if (!(tid instanceof Uint8Array) || tid.length !== TID_SIZE) throw new RangeError(`identity.tid must be ${TID_SIZE} bytes`);
      if (!(psk instanceof Uint8Array) || psk.length !== PSK_SIZE) throw new RangeError(`identity.psk must be ${PSK_SIZE} bytes`);
      const suite = options.identity.suite ?? "sm";
      if (!(SUITE_NAMES as readonly unknown[]).includes(suite)) {
        throw new TypeError(`identity.suite must be one of ${SUITE_NAMES.join(", ")}, got ${String(suite)}`);
      }
      this.nvm = { tid: tid.slice(), psk: psk.slice(), suite, locked: options.identity.locked ?? false };
    }
    this.link = new SimLinkState(options.linkKey);
  }

  /** Power cycle / reset pin: RAM is lost, NVM stays. */
  reset(): void {
    for (const k of this.slots) k?.fill(0);
    this.slots.fill(null);
    this.slotState.fill(SLOT_STATE.EMPTY);
    this.dropPending();
    this.chain = null;
    this.longResponse = null;
    this.injected = null;
    this.link.reset();
  }

  /** Test hook: the next OPEN SECURE SESSION uses this ephemeral private key (once). */
  injectNextOpen(ephemeralPrivate: Uint8Array): void {
    this.link.injectNextOpen(ephemeralPrivate);
  }

  /** Test hook: copies of the open secure session's keys (S-ENC, S-MAC, S-RMAC), or null. */
  linkSessionKeys(): SessionKeys | null {
    return this.link.sessionKeys();
  }

  /** PK.SE (64 bytes X ‖ Y), or null while the SE has no link key. Public: GET DATA 00 04 reads it too. */
  linkPublicKey(): Uint8Array | null {
    return this.link.publicKey();
  }

  /** Test hook: the next AUTH BEGIN uses this nonce and/or ephemeral private key (once). */
  injectNextAuth(values: { nd?: Uint8Array; ephemeralPrivate?: Uint8Array }): void {
    this.injected = { ...values };
  }

  /** Read-only view for tests and the CLI (copies). */
  inspect(): {
    tid: Uint8Array | null;
    suite: SuiteName;
    locked: boolean;
    provisioned: boolean;
    pending: boolean;
    slots: number[];
    shielded: boolean;
    sessionOpen: boolean;
  } {
    return {
      tid: this.nvm.tid?.slice() ?? null,
      suite: this.nvm.suite,
      locked: this.nvm.locked,
      provisioned: this.nvm.tid !== null,
      pending: this.pending !== null,
      slots: [...this.slotState],
      shielded: this.link.hasKey,
      sessionOpen: this.link.sessionOpen,
    };
  }

  /** Test and tool hook: a copy of the NVM, PSK and SK.SE included (a real chip never shows them); for state files. */
  exportNvm(): AppletNvm {
    return {
      tid: this.nvm.tid?.slice() ?? null,
      psk: this.nvm.psk?.slice() ?? null,
      suite: this.nvm.suite,
      locked: this.nvm.locked,
      linkKey: this.link.exportKey(),
    };
  }

  /** Test hook: the key in a slot (a real chip never shows it). */
  peekSlot(slot: number): Uint8Array | null {
    return this.slots[slot]?.slice() ?? null;
  }

  /** Process one C-APDU. Never throws on any input. */
  process(capdu: Uint8Array): AppletResult {
    this.work = zeroWork();
    let ins = -1;
    let rapdu: Uint8Array;
    try {
      if (capdu.length >= 2) ins = capdu[1]!;
      rapdu = this.dispatch(capdu);
    } catch (e) {
      const sw = e instanceof SwError ? e.sw : SW.NO_PRECISE_DIAGNOSIS;
      rapdu = withSw(new Uint8Array(0), sw);
    }
    const sw = (rapdu[rapdu.length - 2]! << 8) | rapdu[rapdu.length - 1]!;
    return { rapdu, sw, ins, work: this.work };
  }

  private dispatch(capdu: Uint8Array): Uint8Array {
    if (capdu.length < 4) throw new SwError(SW.WRONG_LENGTH);
    const [cla, ins, p1, p2] = [capdu[0]!, capdu[1]!, capdu[2]!, capdu[3]!];
    // Body: case 1 (none), 2 (Le), 3 (Lc data), 4 (Lc data Le); short APDUs only.
    let data: Uint8Array = new Uint8Array(0);
    let le: number | null = null;
    if (capdu.length === 5) {
      le = capdu[4] === 0 ? 256 : capdu[4]!;
    } else if (capdu.length > 5) {
      const lc = capdu[4]!;
      if (lc === 0) return this.refuse(cla, SW.WRONG_LENGTH); // extended length: not supported
      if (capdu.length === 5 + lc) data = capdu.slice(5);
      else if (capdu.length === 6 + lc) {
        data = capdu.slice(5, 5 + lc);
        le = capdu[5 + lc] === 0 ? 256 : capdu[5 + lc]!;
      } else return this.refuse(cla, SW.WRONG_LENGTH);
    }
    const hasData = capdu.length > 5;

    const chained = (cla & CLA_CHAIN) !== 0;
    const sm = (cla & CLA_SM) !== 0;
    const blockCla = cla & ~CLA_CHAIN; // the command's CLA, secure-messaging bit kept
    const plainCla = blockCla & ~CLA_SM;
    if (plainCla !== CLA_ISO && plainCla !== CLA_PROPRIETARY) return this.refuse(cla, SW.CLA_NOT_SUPPORTED);

    // Any command but GET RESPONSE discards an unread long response.
    if (!(blockCla === CLA_ISO && ins === INS.GET_RESPONSE)) this.longResponse = null;

    // Command chaining (docs/se-profile.md, "Command chaining"); a protected command that cannot
    // be collected ends the session (bare 6982) instead of 6883 / 6884 / 6700.
    const limit = sm ? MAX_PROTECTED_DATA : MAX_CHAINED_DATA;
    if (this.chain) {
      const c = this.chain;
      if (c.ins === ins && c.p1 === p1 && c.p2 === p2 && c.cla === blockCla) {
        c.size += data.length;
        c.parts.push(data);
        if (c.size > limit) {
          this.chain = null;
          return this.refuse(cla, SW.WRONG_LENGTH);
        }
        if (chained) return withSw(new Uint8Array(0), SW.OK);
        this.chain = null;
        data = concat(c.parts);
        return this.execute(blockCla, ins, p1, p2, data, true, le);
      }
      // Another command: the chain is dropped and the command processed normally; a chained
      // block of another command breaks the chain (6883, or for protected data the session).
      this.chain = null;
      if (chained) return this.refuse((c.cla & CLA_SM) !== 0 ? c.cla : cla, SW.LAST_COMMAND_OF_CHAIN_EXPECTED);
    }
    if (chained) {
      if (!sm && this.link.sessionOpen) return this.endSession(); // unprotected in a session: nothing runs
      const chainable = plainCla === CLA_PROPRIETARY && (ins === INS.AUTH || ins === INS.SM4_CIPHER);
      if (!chainable) return this.refuse(cla, SW.CHAINING_NOT_SUPPORTED);
      if (!hasData) return this.refuse(cla, SW.WRONG_LENGTH);
      this.chain = { cla: blockCla, ins, p1, p2, parts: [data], size: data.length };
      return withSw(new Uint8Array(0), SW.OK);
    }
    return this.execute(blockCla, ins, p1, p2, data, hasData, le);
  }

  /** A framing error: its SW, or, for a protected command, the session ended and a bare 6982. */
  private refuse(cla: number, sw: number): Uint8Array {
    if ((cla & CLA_SM) !== 0 && this.link.sessionOpen) return this.endSession();
    throw new SwError(sw);
  }

  /** End the secure session: wipe it, answer a bare 6982, run nothing. */
  private endSession(): Uint8Array {
    this.link.end();
    return withSw(new Uint8Array(0), SW.SECURITY_STATUS);
  }

  /**
   * The shielded-link gate and secure messaging around one whole command
   * (docs/se-profile.md "Secure messaging on every later command").
   */
  private execute(cla: number, ins: number, p1: number, p2: number, data: Uint8Array, hasData: boolean, le: number | null): Uint8Array {
    const plainCla = cla & ~CLA_SM;
    const iso = plainCla === CLA_ISO;
    const neverProtected = (iso && (ins === INS.SELECT || ins === INS.GET_RESPONSE)) || (!iso && ins === INS.OPEN_SECURE_SESSION);
    if ((cla & CLA_SM) !== 0) {
      if (!this.link.sessionOpen || neverProtected) return this.endSession();
      let d: Uint8Array;
      try {
        d = this.link.unwrap({ cla, ins, p1, p2 }, data, this.work);
      } catch (e) {
        if (e instanceof SessionEnded) return withSw(new Uint8Array(0), SW.SECURITY_STATUS);
        throw e;
      }
      // The command runs on its plain data; its whole response (any SW) is wrapped, then split.
      this.whole = true;
      let r: Uint8Array;
      try {
        r = this.run(plainCla, ins, p1, p2, d, d.length > 0, iso && ins === INS.GET_CHALLENGE ? le : null);
      } finally {
        this.whole = false;
        d.fill(0);
      }
      const sw = (r[r.length - 2]! << 8) | r[r.length - 1]!;
      const body = r.subarray(0, r.length - 2);
      const wrapped = this.link.wrap(body, sw, this.work);
      body.fill(0);
      // GENERATE LINK KEY in a session: the new key is answered under the old session, which ends.
      if (!iso && ins === INS.GENERATE_LINK_KEY && sw === SW.OK) this.link.end();
      return this.split(wrapped, sw);
    }
    if (this.link.sessionOpen && !neverProtected) return this.endSession();
    if (this.link.hasKey && !neverProtected) {
      const clearOk = iso ? ins === INS.GET_CHALLENGE : ins === INS.GET_DATA;
      if (!clearOk) return withSw(new Uint8Array(0), SW.SECURITY_STATUS);
    }
    // SELECT and OPEN SECURE SESSION end a session in progress, then run normally.
    if ((iso && ins === INS.SELECT) || (!iso && ins === INS.OPEN_SECURE_SESSION)) this.link.end();
    return this.command(plainCla, ins, p1, p2, data, hasData, le);
  }

  /** command() with its SwError turned into an R-APDU (for wrapping). */
  private run(cla: number, ins: number, p1: number, p2: number, data: Uint8Array, hasData: boolean, le: number | null): Uint8Array {
    try {
      return this.command(cla, ins, p1, p2, data, hasData, le);
    } catch (e) {
      if (e instanceof SwError) return withSw(new Uint8Array(0), e.sw);
      throw e;
    }
  }

  private command(cla: number, ins: number, p1: number, p2: number, data: Uint8Array, hasData: boolean, le: number | null): Uint8Array {
    const iso = cla === CLA_ISO;
    switch (ins) {
      case INS.SELECT:
        return iso ? this.select(p1, p2, data) : fail(SW.CLA_NOT_SUPPORTED);
      case INS.GET_CHALLENGE:
        return iso ? this.getChallenge(p1, p2, hasData, le) : fail(SW.CLA_NOT_SUPPORTED);
      case INS.GET_RESPONSE:
        return iso ? this.getResponse(p1, p2, hasData, le) : fail(SW.CLA_NOT_SUPPORTED);
      case INS.GET_DATA:
      case INS.PROVISION:
      case INS.LOCK:
      case INS.AUTH:
      case INS.LOAD_SESSION_KEY:
      case INS.SM4_CIPHER:
      case INS.ERASE_SLOT:
      case INS.GENERATE_LINK_KEY:
      case INS.OPEN_SECURE_SESSION:
        if (iso) return fail(SW.CLA_NOT_SUPPORTED);
        break;
      default:
        return fail(SW.INS_NOT_SUPPORTED);
    }
    switch (ins) {
      case INS.GET_DATA:
        return this.getData(p1, p2, hasData);
      case INS.PROVISION:
        return this.provision(p1, p2, data);
      case INS.LOCK:
        return this.lock(p1, p2, hasData);
      case INS.AUTH:
        if (p1 === AUTH_BEGIN) return this.authBegin(p2, data);
        if (p1 === AUTH_FINISH) return this.authFinish(p2, data);
        return fail(SW.WRONG_P1P2);
      case INS.LOAD_SESSION_KEY:
        return this.loadSessionKey(p1, p2, data);
      case INS.SM4_CIPHER:
        return this.cipher(p1, p2, data);
      case INS.GENERATE_LINK_KEY:
        return this.generateLinkKey(p1, p2, hasData);
      case INS.OPEN_SECURE_SESSION:
        return this.openSecureSession(p1, p2, data);
      default:
        return this.eraseSlot(p1, p2, hasData);
    }
  }

  /** Response data of any length: ≤ 256 bytes direct, longer ones through 61xx. */
  private respond(data: Uint8Array): Uint8Array {
    return this.whole ? withSw(data, SW.OK) : this.split(data, SW.OK);
  }

  /** Response data and its SW: ≤ 256 bytes direct, longer ones through 61xx, the SW at the end. */
  private split(data: Uint8Array, sw: number): Uint8Array {
    if (data.length <= MAX_RESPONSE_CHUNK) return withSw(data, sw);
    this.longResponse = data.slice(MAX_RESPONSE_CHUNK);
    this.longSw = sw;
    return withSw(data.subarray(0, MAX_RESPONSE_CHUNK), 0x6100 | (Math.min(this.longResponse.length, 256) % 256));
  }

  private select(p1: number, p2: number, aid: Uint8Array): Uint8Array {
    if (p1 !== 0x04 || p2 !== 0x00) return fail(SW.WRONG_P1P2);
    if (aid.length !== TID_APPLET_AID.length || !aid.every((b, i) => b === TID_APPLET_AID[i])) return fail(SW.APPLET_NOT_FOUND);
    const inner = [0x84, aid.length, ...aid, 0x85, 0x02, APPLET_VERSION.major, APPLET_VERSION.minor];
    return this.respond(Uint8Array.from([0x6f, inner.length, ...inner]));
  }

  private getChallenge(p1: number, p2: number, hasData: boolean, le: number | null): Uint8Array {
    if (hasData || le === null) return fail(SW.WRONG_LENGTH);
    if (p1 !== 0 || p2 !== 0) return fail(SW.WRONG_P1P2);
    this.work.randomBytes += le;
    return this.respond(this.random(le));
  }

  private getResponse(p1: number, p2: number, hasData: boolean, le: number | null): Uint8Array {
    if (hasData) return fail(SW.WRONG_LENGTH);
    if (p1 !== 0 || p2 !== 0) return fail(SW.WRONG_P1P2);
    const rest = this.longResponse;
    if (!rest) return fail(SW.CONDITIONS_OF_USE);
    const n = Math.min(le ?? 256, rest.length);
    const part = rest.slice(0, n);
    if (n === rest.length) {
      this.longResponse = null;
      return withSw(part, this.longSw);
    }
    this.longResponse = rest.slice(n);
    return withSw(part, 0x6100 | (Math.min(this.longResponse.length, 256) % 256));
  }

  private getData(p1: number, p2: number, hasData: boolean): Uint8Array {
    if (hasData) return fail(SW.WRONG_LENGTH);
    switch ((p1 << 8) | p2) {
      case DATA_TAG.TID:
        if (!this.nvm.tid) return fail(SW.DATA_NOT_FOUND);
        return this.respond(this.nvm.tid.slice());
      case DATA_TAG.INFO: {
        const lifecycle = this.nvm.locked ? LIFECYCLE.LOCKED : this.nvm.tid ? LIFECYCLE.PERSONALISED : LIFECYCLE.BLANK;
        return this.respond(
          Uint8Array.of(
            APPLET_VERSION.major,
            APPLET_VERSION.minor,
            APPLET_PROTOCOL,
            this.slotCount,
            MAX_EXTRA >>> 8,
            MAX_EXTRA & 0xff,
            lifecycle,
            (this.pending ? INFO_STATE.PENDING : 0) |
              (this.link.hasKey ? INFO_STATE.LINK_KEY : 0) |
              (this.link.sessionOpen ? INFO_STATE.SESSION : 0),
          ),
        );
      }
      case DATA_TAG.SLOTS:
        return this.respond(Uint8Array.from(this.slotState));
      case DATA_TAG.LINK_KEY: {
        const pk = this.link.publicKey();
        if (!pk) return fail(SW.DATA_NOT_FOUND);
        return this.respond(pk);
      }
      case DATA_TAG.SUITE:
        if (!this.nvm.tid) return fail(SW.DATA_NOT_FOUND);
        return this.respond(Uint8Array.of(SUITE_BYTE[this.nvm.suite]));
      default:
        return fail(SW.WRONG_P1P2);
    }
  }

  private provision(p1: number, p2: number, data: Uint8Array): Uint8Array {
    if (p1 !== 0 || p2 !== 0) return fail(SW.WRONG_P1P2);
    if (data.length !== PROVISION_SIZE && data.length !== PROVISION_SUITE_SIZE) return fail(SW.WRONG_LENGTH);
    // Lc 18: suite SM (the profile's first form); Lc 19: the suite byte last.
    const suite = data.length === PROVISION_SIZE ? "sm" : suiteOfByte(data[PROVISION_SIZE]!);
    if (suite === null) return fail(SW.WRONG_DATA);
    if (this.nvm.locked) return fail(SW.SECURITY_STATUS);
    this.nvm.psk?.fill(0);
    this.nvm = { tid: data.slice(0, TID_SIZE), psk: data.slice(TID_SIZE, TID_SIZE + PSK_SIZE), suite, locked: false };
    data.fill(0);
    this.work.nvmWrites += 1;
    this.eraseAll();
    this.dropPending();
    return withSw(new Uint8Array(0), SW.OK);
  }

  private lock(p1: number, p2: number, hasData: boolean): Uint8Array {
    if (hasData) return fail(SW.WRONG_LENGTH);
    if (p1 !== 0 || p2 !== 0) return fail(SW.WRONG_P1P2);
    if (!this.nvm.tid) return fail(SW.CONDITIONS_OF_USE);
    if (!this.nvm.locked) {
      this.nvm.locked = true;
      this.work.nvmWrites += 1;
    }
    return withSw(new Uint8Array(0), SW.OK);
  }

  private authBegin(p2: number, data: Uint8Array): Uint8Array {
    if (p2 !== 0) return fail(SW.WRONG_P1P2);
    if (!this.nvm.tid || !this.nvm.psk) return fail(SW.CONDITIONS_OF_USE);
    if (data.length < AUTH_BEGIN_HEADER || data.length - AUTH_BEGIN_HEADER > MAX_EXTRA) return fail(SW.WRONG_LENGTH);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const flags = dv.getUint16(0);
    if (flags & 0xfffe) return fail(SW.WRONG_DATA);
    const time = dv.getUint32(2);
    const extra = data.slice(AUTH_BEGIN_HEADER);
    const inj = this.injected;
    this.injected = null;
    const nd = inj?.nd ?? this.random(16);
    const suite = this.nvm.suite;
    const qd = inj?.ephemeralPrivate ?? this.drawScalar(CURVE_ORDER[suite]);
    this.dropPending();
    const built = buildAuthcode({ suite, tid: this.nvm.tid, psk: this.nvm.psk, time, nd, ephemeralPrivate: qd, extra, flags });
    qd.fill(0);
    this.pending = built.pending;
    this.work.randomBytes += 16 + 32;
    this.work.sm2Keygen += 1;
    this.work.sm3Bytes += built.authcode.length - 32 + 64;
    return this.respond(built.authcode);
  }

  private authFinish(p2: number, data: Uint8Array): Uint8Array {
    // Every AUTH FINISH erases the pending request first (docs/protocol.md "Rules").
    const pending = this.pending;
    this.pending = null;
    try {
      const slot = p2 & 0x0f;
      if ((p2 & 0x70) !== 0 || slot >= this.slotCount) return fail(SW.WRONG_P1P2);
      if (!pending || !this.nvm.tid || !this.nvm.psk) return fail(SW.CONDITIONS_OF_USE);
      if (data.length < SERVER_DATA_MIN || data.length > SERVER_DATA_MAX) return fail(SW.WRONG_LENGTH);
      this.work.sm3Bytes += data.length + 4 + 16 + 32 + 64;
      let result;
      try {
        result = finishDevice({ suite: this.nvm.suite, tid: this.nvm.tid, psk: this.nvm.psk, pending, serverData: data });
      } catch (e) {
        if (isProtocolError(e)) return fail(SW_OF_PROTOCOL[e.code] ?? SW.WRONG_DATA);
        throw e;
      }
      if (!result.token) return withSw(new Uint8Array(0), SW.OK);
      this.work.sm2Ecdh += 1;
      this.work.sm3Bytes += 32 + 8 + 16 + 16 + 4;
      result.k?.fill(0);
      this.install(slot, result.token, SLOT_STATE.TOKEN);
      const out = p2 & AUTH_FINISH_RETURN_TOKEN ? result.token.slice() : new Uint8Array(0);
      result.token.fill(0);
      return withSw(out, SW.OK);
    } finally {
      if (pending) {
        pending.qd.fill(0);
        pending.tagD.fill(0);
      }
    }
  }

  private loadSessionKey(p1: number, p2: number, data: Uint8Array): Uint8Array {
    if (p1 !== 0 || p2 >= this.slotCount) return fail(SW.WRONG_P1P2);
    if (data.length !== SESSION_KEY_SIZE) return fail(SW.WRONG_LENGTH);
    this.install(p2, data, SLOT_STATE.LOADED);
    data.fill(0);
    return withSw(new Uint8Array(0), SW.OK);
  }

  /** CIPHER: raw ECB of the identity's suite (SM4, or AES-128 in INTL) with the slot's key. */
  private cipher(p1: number, p2: number, data: Uint8Array): Uint8Array {
    if ((p1 !== SM4_ENCRYPT && p1 !== SM4_DECRYPT) || p2 >= this.slotCount) return fail(SW.WRONG_P1P2);
    if (data.length === 0 || data.length % 16 !== 0 || data.length > MAX_SM4_DATA) return fail(SW.WRONG_LENGTH);
    const key = this.slots[p2];
    if (!key) return fail(SW.DATA_NOT_FOUND);
    this.work.sm4Blocks += data.length / 16;
    const suite = suiteOf(this.nvm.suite);
    return this.respond(p1 === SM4_ENCRYPT ? suite.ecbEncrypt(key, data) : suite.ecbDecrypt(key, data));
  }

  private eraseSlot(p1: number, p2: number, hasData: boolean): Uint8Array {
    if (hasData) return fail(SW.WRONG_LENGTH);
    if (p1 !== 0 || (p2 !== ERASE_ALL_SLOTS && p2 >= this.slotCount)) return fail(SW.WRONG_P1P2);
    if (p2 === ERASE_ALL_SLOTS) this.eraseAll();
    else this.erase(p2);
    return withSw(new Uint8Array(0), SW.OK);
  }

  private generateLinkKey(p1: number, p2: number, hasData: boolean): Uint8Array {
    if (hasData) return fail(SW.WRONG_LENGTH);
    if (p1 !== 0 || p2 !== 0) return fail(SW.WRONG_P1P2);
    if (this.nvm.locked) return fail(SW.SECURITY_STATUS);
    return this.respond(this.link.generate(() => this.drawScalar(), this.work));
  }

  private openSecureSession(p1: number, p2: number, data: Uint8Array): Uint8Array {
    if (p1 !== 0 || p2 !== 0) return fail(SW.WRONG_P1P2);
    if (!this.link.hasKey) return fail(SW.CONDITIONS_OF_USE);
    if (data.length !== LINK_OPEN_SIZE) return fail(SW.WRONG_LENGTH);
    if (!isOnCurve(data.subarray(0, 64))) return fail(SW.WRONG_DATA);
    return this.respond(this.link.open(data, () => this.drawScalar(), this.work));
  }

  private install(slot: number, key: Uint8Array, state: number): void {
    this.erase(slot);
    this.slots[slot] = key.slice();
    this.slotState[slot] = state;
  }

  private erase(slot: number): void {
    this.slots[slot]?.fill(0);
    this.slots[slot] = null;
    this.slotState[slot] = SLOT_STATE.EMPTY;
  }

  private eraseAll(): void {
    for (let i = 0; i < this.slotCount; i++) this.erase(i);
  }

  private dropPending(): void {
    if (this.pending) {
      this.pending.qd.fill(0);
      this.pending.tagD.fill(0);
    }
    this.pending = null;
  }

  /** A private scalar in [1, n-2] from the TRNG (n: SM2's order unless given). */
  private drawScalar(n: bigint = SM2_N): Uint8Array {
    for (;;) {
      const d = this.random(32);
      const v = toBig(d);
      if (v >= 1n && v <= n - 2n) return d;
    }
  }
}

function fail(sw: number): never {
  throw new SwError(sw);
}
