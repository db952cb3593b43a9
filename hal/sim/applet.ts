// The simulated "TID applet v1" (docs/se-profile.md): one C-APDU in, one
// R-APDU (data ‖ SW1 SW2) out, exactly as the profile defines every byte. The TID protocol itself
// (authcode, server-data checks, token) is the node:crypto protocol reference (reference/), so the
// simulator and the wasm check each other; SM4-ECB is node:crypto's "sm4-ecb".
//
// State as on a chip: `nvm` (TID, PSK, lock) survives reset(); slots, the pending request, a
// partly received chain and an unread long response are RAM and are lost on reset().
// Each process() also reports the work done (SM2 operations, HMAC bytes, SM4 blocks, NVM writes)
// so the timing model (timing.ts) can charge processing time.
// Test hook: injectNextAuth({nd, ephemeralPrivate}) fixes the next AUTH BEGIN's nonce and key so
// the worked example (test/vectors/tid-v1-example.json) comes out byte for byte.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { buildAuthcode, finishDevice, isProtocolError, SM2_N, type PendingRequest } from "../../reference/index.js";
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
  DATA_TAG,
  ERASE_ALL_SLOTS,
  INS,
  LIFECYCLE,
  MAX_CHAINED_DATA,
  MAX_EXTRA,
  MAX_RESPONSE_CHUNK,
  MAX_SM4_DATA,
  PSK_SIZE,
  SERVER_DATA_MAX,
  SERVER_DATA_MIN,
  SESSION_KEY_SIZE,
  SLOT_COUNT,
  SLOT_STATE,
  SM4_DECRYPT,
  SM4_ENCRYPT,
  SW,
  TID_APPLET_AID,
  TID_SIZE,
} from "../se/profile.js";

/** Work a command did, for the timing model. */
export interface AppletWork {
  /** SM2 key-pair generations (one scalar multiplication each) */
  sm2Keygen: number;
  /** SM2 ECDH computations (point check + scalar multiplication) */
  sm2Ecdh: number;
  /** bytes through HMAC-SM3 / SM3 (KDF included) */
  sm3Bytes: number;
  /** SM4 blocks */
  sm4Blocks: number;
  /** NVM writes */
  nvmWrites: number;
  /** TRNG bytes drawn */
  randomBytes: number;
}

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
}

/** Non-volatile part of the chip. */
export interface AppletNvm {
  tid: Uint8Array | null;
  psk: Uint8Array | null;
  locked: boolean;
}

interface Chain {
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

function sm4Ecb(key: Uint8Array, data: Uint8Array, encrypt: boolean): Uint8Array {
  const c = encrypt ? createCipheriv("sm4-ecb", key, null) : createDecipheriv("sm4-ecb", key, null);
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(data), c.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

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
  private nvm: AppletNvm = { tid: null, psk: null, locked: false };
  // RAM: lost on reset()
  private slots: (Uint8Array | null)[];
  private slotState: number[];
  private pending: PendingRequest | null = null;
  private chain: Chain | null = null;
  private longResponse: Uint8Array | null = null;
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
      this.nvm = { tid: tid.slice(), psk: psk.slice(), locked: options.identity.locked ?? false };
    }
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
  }

  /** Test hook: the next AUTH BEGIN uses this nonce and/or ephemeral private key (once). */
  injectNextAuth(values: { nd?: Uint8Array; ephemeralPrivate?: Uint8Array }): void {
    this.injected = { ...values };
  }

  /** Read-only view for tests and the CLI (copies). */
  inspect(): { tid: Uint8Array | null; locked: boolean; provisioned: boolean; pending: boolean; slots: number[] } {
    return {
      tid: this.nvm.tid?.slice() ?? null,
      locked: this.nvm.locked,
      provisioned: this.nvm.tid !== null,
      pending: this.pending !== null,
      slots: [...this.slotState],
    };
  }

  /** Test and tool hook: a copy of the NVM, PSK included (a real chip never shows it); for state files. */
  exportNvm(): AppletNvm {
    return { tid: this.nvm.tid?.slice() ?? null, psk: this.nvm.psk?.slice() ?? null, locked: this.nvm.locked };
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
      if (lc === 0) throw new SwError(SW.WRONG_LENGTH); // extended length: not supported
      if (capdu.length === 5 + lc) data = capdu.slice(5);
      else if (capdu.length === 6 + lc) {
        data = capdu.slice(5, 5 + lc);
        le = capdu[5 + lc] === 0 ? 256 : capdu[5 + lc]!;
      } else throw new SwError(SW.WRONG_LENGTH);
    }
    const hasData = capdu.length > 5;

    const chained = (cla & CLA_CHAIN) !== 0;
    const baseCla = cla & ~CLA_CHAIN;
    if (baseCla !== CLA_ISO && baseCla !== CLA_PROPRIETARY) throw new SwError(SW.CLA_NOT_SUPPORTED);

    // Any command but GET RESPONSE discards an unread long response.
    if (!(baseCla === CLA_ISO && ins === INS.GET_RESPONSE)) this.longResponse = null;

    // Command chaining (docs/se-profile.md, "Command chaining").
    if (this.chain) {
      const c = this.chain;
      if (c.ins === ins && c.p1 === p1 && c.p2 === p2 && c.cla === baseCla) {
        c.size += data.length;
        c.parts.push(data);
        if (c.size > MAX_CHAINED_DATA) {
          this.chain = null;
          throw new SwError(SW.WRONG_LENGTH);
        }
        if (chained) return withSw(new Uint8Array(0), SW.OK);
        this.chain = null;
        data = concat(c.parts);
        return this.command(baseCla, ins, p1, p2, data, true, le);
      }
      this.chain = null;
      if (chained) throw new SwError(SW.LAST_COMMAND_OF_CHAIN_EXPECTED);
    }
    if (chained) {
      const chainable = baseCla === CLA_PROPRIETARY && (ins === INS.AUTH || ins === INS.SM4_CIPHER);
      if (!chainable) throw new SwError(SW.CHAINING_NOT_SUPPORTED);
      if (!hasData) throw new SwError(SW.WRONG_LENGTH);
      this.chain = { cla: baseCla, ins, p1, p2, parts: [data], size: data.length };
      return withSw(new Uint8Array(0), SW.OK);
    }
    return this.command(baseCla, ins, p1, p2, data, hasData, le);
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
        return this.sm4Cipher(p1, p2, data);
      default:
        return this.eraseSlot(p1, p2, hasData);
    }
  }

  /** Response data of any length: ≤ 256 bytes direct, longer ones through 61xx. */
  private respond(data: Uint8Array): Uint8Array {
    if (data.length <= MAX_RESPONSE_CHUNK) return withSw(data, SW.OK);
    this.longResponse = data.slice(MAX_RESPONSE_CHUNK);
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
      return withSw(part, SW.OK);
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
            this.pending ? 1 : 0,
          ),
        );
      }
      case DATA_TAG.SLOTS:
        return this.respond(Uint8Array.from(this.slotState));
      default:
        return fail(SW.WRONG_P1P2);
    }
  }

  private provision(p1: number, p2: number, data: Uint8Array): Uint8Array {
    if (p1 !== 0 || p2 !== 0) return fail(SW.WRONG_P1P2);
    if (data.length !== TID_SIZE + PSK_SIZE) return fail(SW.WRONG_LENGTH);
    if (this.nvm.locked) return fail(SW.SECURITY_STATUS);
    this.nvm.psk?.fill(0);
    this.nvm = { tid: data.slice(0, TID_SIZE), psk: data.slice(TID_SIZE), locked: false };
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
    const qd = inj?.ephemeralPrivate ?? this.drawScalar();
    this.dropPending();
    const built = buildAuthcode({ tid: this.nvm.tid, psk: this.nvm.psk, time, nd, ephemeralPrivate: qd, extra, flags });
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
        result = finishDevice({ tid: this.nvm.tid, psk: this.nvm.psk, pending, serverData: data });
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

  private sm4Cipher(p1: number, p2: number, data: Uint8Array): Uint8Array {
    if ((p1 !== SM4_ENCRYPT && p1 !== SM4_DECRYPT) || p2 >= this.slotCount) return fail(SW.WRONG_P1P2);
    if (data.length === 0 || data.length % 16 !== 0 || data.length > MAX_SM4_DATA) return fail(SW.WRONG_LENGTH);
    const key = this.slots[p2];
    if (!key) return fail(SW.DATA_NOT_FOUND);
    this.work.sm4Blocks += data.length / 16;
    return this.respond(sm4Ecb(key, data, p1 === SM4_ENCRYPT));
  }

  private eraseSlot(p1: number, p2: number, hasData: boolean): Uint8Array {
    if (hasData) return fail(SW.WRONG_LENGTH);
    if (p1 !== 0 || (p2 !== ERASE_ALL_SLOTS && p2 >= this.slotCount)) return fail(SW.WRONG_P1P2);
    if (p2 === ERASE_ALL_SLOTS) this.eraseAll();
    else this.erase(p2);
    return withSw(new Uint8Array(0), SW.OK);
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

  /** A private scalar in [1, n-2] from the TRNG. */
  private drawScalar(): Uint8Array {
    for (;;) {
      const d = this.random(32);
      const v = toBig(d);
      if (v >= 1n && v <= SM2_N - 2n) return d;
    }
  }
}

function fail(sw: number): never {
  throw new SwError(sw);
}
