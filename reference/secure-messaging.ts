// Secure messaging of the shielded SE link (docs/se-profile.md "Secure messaging on every later
// command"): SCP03-style protection of one command and its response with the session keys.
//
//   command   ICV = SM4(S-ENC, 00×12 ‖ ctr);  C = SM4-CBC(S-ENC, ICV, pad(D)) (empty D → empty C)
//             chain = CMAC-SM4(S-MAC, chain ‖ CLA' ‖ INS ‖ P1 ‖ P2 ‖ L(2) ‖ C), L = |C| + 8
//             protected data = C ‖ chain[0..8)
//   response  ICV' = SM4(S-ENC, 80 ‖ 00×11 ‖ ctr);  E = SM4-CBC(S-ENC, ICV', pad(R)) (empty R → empty E)
//             R-MAC = CMAC-SM4(S-RMAC, chain ‖ E ‖ SW1 ‖ SW2)[0..8);  response data = E ‖ R-MAC
// CLA' = CLA | 04 without the chaining bit 10 (the MAC covers the command, not one block of it).
// protectCommand / protectResponse are the pure steps (the worked example prints their
// intermediate values); SecureSession keeps a session's state (keys, MAC chaining value, command
// counter) for one side, host or SE, and wipes it on every failure.
import { ctEqual } from "./primitives.js";
import { SecureLinkError } from "./secure-link-error.js";
import { padIso9797m2, sm4Block, sm4CbcDecrypt, sm4CbcEncrypt, sm4Cmac, unpadIso9797m2 } from "./sm4-cmac.js";

/** CLA bit that marks a command protected by secure messaging. */
export const CLA_SECURE_MESSAGING = 0x04;
/** Bytes of the C-MAC and R-MAC on the wire. */
export const LINK_MAC_SIZE = 8;
/** Largest unprotected command or response data a session carries. */
export const LINK_MAX_DATA = 1024;
/** Largest protected data: |pad(1024 bytes)| + 8. */
export const LINK_MAX_PROTECTED = 1048;
const MAX_COUNTER = 0xffff_ffff;

export interface SessionKeys {
  sEnc: Uint8Array;
  sMac: Uint8Array;
  sRmac: Uint8Array;
}

/** CLA INS P1 P2 of a command (CLA as the caller means it: 80 / 00, or the protected 84 / 04). */
export interface CommandHeader {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
}

export type LinkRole = "host" | "se";

function byte(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${typeof v}`);
  if (v < 0 || v > 0xff) throw new RangeError(`${name} must be a byte 0..255, got ${v}`);
  return v;
}

function checkHeader(h: unknown): CommandHeader {
  if (typeof h !== "object" || h === null) throw new TypeError("header must be an object {cla, ins, p1, p2}");
  const x = h as CommandHeader;
  return { cla: byte("header.cla", x.cla), ins: byte("header.ins", x.ins), p1: byte("header.p1", x.p1), p2: byte("header.p2", x.p2) };
}

function checkData(name: string, v: unknown, max: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (v.length > max) throw new RangeError(`${name} must be at most ${max} bytes, got ${v.length}`);
  return v;
}

function checkSw(sw: unknown): number {
  if (typeof sw !== "number" || !Number.isInteger(sw)) throw new TypeError(`sw must be an integer, got ${typeof sw}`);
  if (sw < 0 || sw > 0xffff) throw new RangeError(`sw must be 0..0xFFFF, got ${sw}`);
  return sw;
}

function checkCounter(counter: unknown): number {
  if (typeof counter !== "number" || !Number.isInteger(counter)) throw new TypeError("counter must be an integer");
  if (counter < 1 || counter > MAX_COUNTER) throw new RangeError(`counter must be 1..${MAX_COUNTER}, got ${counter}`);
  return counter;
}

function checkKey(name: string, k: unknown): Uint8Array {
  if (!(k instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (k.length !== 16) throw new RangeError(`${name} must be 16 bytes, got ${k.length}`);
  return k;
}

function checkKeys(keys: unknown): SessionKeys {
  if (typeof keys !== "object" || keys === null) throw new TypeError("keys must be {sEnc, sMac, sRmac}");
  const k = keys as SessionKeys;
  checkKey("keys.sEnc", k.sEnc);
  checkKey("keys.sMac", k.sMac);
  checkKey("keys.sRmac", k.sRmac);
  return k;
}

function counterBlock(first: number, counter: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = first;
  new DataView(b.buffer).setUint32(12, counter);
  return b;
}

/** Command data (prefix 00) or response data (prefix 80): ICV = SM4(S-ENC, prefix ‖ 0… ‖ counter), then SM4-CBC of the padded data; nothing for empty data. */
function encryptField(sEnc: Uint8Array, prefix: 0x00 | 0x80, counter: number, data: Uint8Array): { icv: Uint8Array | null; c: Uint8Array } {
  if (data.length === 0) return { icv: null, c: new Uint8Array(0) };
  const icv = sm4Block(sEnc, counterBlock(prefix, counter));
  const padded = padIso9797m2(data);
  const c = sm4CbcEncrypt(sEnc, icv, padded);
  padded.fill(0);
  return { icv, c };
}

/** The inverse of encryptField; BAD_PADDING (naming `what`) when the plaintext is not padded. */
function decryptField(sEnc: Uint8Array, prefix: 0x00 | 0x80, counter: number, c: Uint8Array, what: "command" | "response"): Uint8Array {
  if (c.length === 0) return new Uint8Array(0);
  const padded = sm4CbcDecrypt(sEnc, sm4Block(sEnc, counterBlock(prefix, counter)), c);
  const d = unpadIso9797m2(padded);
  padded.fill(0);
  if (d === null || d.length === 0) throw new SecureLinkError("BAD_PADDING", what.toUpperCase(), `the ${what} data is not padded`);
  return d;
}

/** The protected CLA: CLA | 04, chaining bit clear. */
export function protectedCla(cla: number): number {
  return (byte("cla", cla) | CLA_SECURE_MESSAGING) & ~0x10;
}

export interface ProtectedCommand {
  /** ICV = SM4(S-ENC, 00×12 ‖ counter); null when D is empty */
  icv: Uint8Array | null;
  /** C (empty when D is empty) */
  c: Uint8Array;
  /** the CMAC input: chain ‖ CLA' ‖ INS ‖ P1 ‖ P2 ‖ L ‖ C */
  macInput: Uint8Array;
  /** the new MAC chaining value (the full 16-byte C-MAC) */
  chain: Uint8Array;
  /** C ‖ chain[0..8): the command data on the wire */
  data: Uint8Array;
}

/** Protect one command (pure: the caller keeps chain and counter). */
export function protectCommand(
  keys: SessionKeys,
  chain: Uint8Array,
  counter: number,
  header: CommandHeader,
  data: Uint8Array,
): ProtectedCommand {
  checkKeys(keys);
  const h = checkHeader(header);
  checkData("data", data, LINK_MAX_DATA);
  checkKey("chain", chain);
  checkCounter(counter);
  const { icv, c } = encryptField(keys.sEnc, 0x00, counter, data);
  const macInput = macInputOf(chain, h, c);
  const next = sm4Cmac(keys.sMac, macInput);
  const out = new Uint8Array(c.length + LINK_MAC_SIZE);
  out.set(c);
  out.set(next.subarray(0, LINK_MAC_SIZE), c.length);
  return { icv, c, macInput, chain: next, data: out };
}

function macInputOf(chain: Uint8Array, h: CommandHeader, c: Uint8Array): Uint8Array {
  const m = new Uint8Array(16 + 6 + c.length);
  m.set(chain);
  m[16] = protectedCla(h.cla);
  m[17] = h.ins;
  m[18] = h.p1;
  m[19] = h.p2;
  m[20] = (c.length + LINK_MAC_SIZE) >>> 8;
  m[21] = (c.length + LINK_MAC_SIZE) & 0xff;
  m.set(c, 22);
  return m;
}

export interface ProtectedResponse {
  /** ICV' = SM4(S-ENC, 80 ‖ 00×11 ‖ counter); null when R is empty */
  icv: Uint8Array | null;
  /** E (empty when R is empty) */
  e: Uint8Array;
  /** R-MAC (8 bytes) */
  rmac: Uint8Array;
  /** E ‖ R-MAC: the response data on the wire (the SW follows it) */
  data: Uint8Array;
}

/** Protect one response (pure). `chain` is the C-MAC of the command it answers. */
export function protectResponse(keys: SessionKeys, chain: Uint8Array, counter: number, data: Uint8Array, sw: number): ProtectedResponse {
  checkKeys(keys);
  checkData("data", data, LINK_MAX_DATA);
  checkSw(sw);
  checkKey("chain", chain);
  checkCounter(counter);
  const { icv, c: e } = encryptField(keys.sEnc, 0x80, counter, data);
  const rmac = responseMac(keys, chain, e, sw);
  const out = new Uint8Array(e.length + LINK_MAC_SIZE);
  out.set(e);
  out.set(rmac, e.length);
  return { icv, e, rmac, data: out };
}

function responseMac(keys: SessionKeys, chain: Uint8Array, e: Uint8Array, sw: number): Uint8Array {
  return sm4Cmac(keys.sRmac, chain, e, Uint8Array.of(sw >>> 8, sw & 0xff)).slice(0, LINK_MAC_SIZE);
}

/**
 * One side of an open session. The host calls wrapCommand then unwrapResponse for each command;
 * the SE unwrapCommand then wrapResponse. Any failure wipes the session (SESSION_ENDED after).
 */
export class SecureSession {
  readonly role: LinkRole;
  private keySet: SessionKeys;
  private chain: Uint8Array;
  private next = 1;
  /** the command whose response is due: its counter and C-MAC */
  private due: { counter: number; chain: Uint8Array } | null = null;
  private ended = false;

  /** Keys and the receipt (the first MAC chaining value) are copied. */
  constructor(role: LinkRole, keys: SessionKeys, receipt: Uint8Array) {
    if (role !== "host" && role !== "se") throw new TypeError(`role must be "host" or "se", got ${JSON.stringify(role)}`);
    checkKeys(keys);
    this.role = role;
    this.keySet = {
      sEnc: checkKey("keys.sEnc", keys.sEnc).slice(),
      sMac: checkKey("keys.sMac", keys.sMac).slice(),
      sRmac: checkKey("keys.sRmac", keys.sRmac).slice(),
    };
    this.chain = checkKey("receipt", receipt).slice();
  }

  /** The counter the next command will use (1 for the first). */
  get counter(): number {
    return this.next;
  }

  /** A copy of the MAC chaining value (the receipt until the first command). */
  get chainingValue(): Uint8Array {
    return this.chain.slice();
  }

  /** False once wiped. */
  get isOpen(): boolean {
    return !this.ended;
  }

  /** True between a command and its response. */
  get responseDue(): boolean {
    return this.due !== null;
  }

  /** Test hook: copies of the session keys (the wiretap tests look for them on the bus). */
  keys(): SessionKeys {
    this.alive();
    return { sEnc: this.keySet.sEnc.slice(), sMac: this.keySet.sMac.slice(), sRmac: this.keySet.sRmac.slice() };
  }

  /** Wipe the keys and the chaining value; every later call fails with SESSION_ENDED. */
  wipe(): void {
    this.keySet.sEnc.fill(0);
    this.keySet.sMac.fill(0);
    this.keySet.sRmac.fill(0);
    this.chain.fill(0);
    this.due?.chain.fill(0);
    this.due = null;
    this.ended = true;
  }

  /** Host: protect command `header` (plain CLA) with data D (0..1024 bytes) → C ‖ C-MAC. */
  wrapCommand(header: CommandHeader, data: Uint8Array): Uint8Array {
    this.alive();
    this.side("host", "wrapCommand");
    if (this.due) throw new SecureLinkError("OUT_OF_ORDER", "RESPONSE_DUE", "the previous command's response was not unwrapped");
    const counter = this.take();
    const p = protectCommand(this.keySet, this.chain, counter, header, data);
    this.chain.fill(0);
    this.chain = p.chain;
    this.due = { counter, chain: p.chain.slice() };
    return p.data;
  }

  /** SE: check and decrypt a protected command (header with CLA' as received) → D. */
  unwrapCommand(header: CommandHeader, protectedData: Uint8Array): Uint8Array {
    this.alive();
    this.side("se", "unwrapCommand");
    const h = checkHeader(header);
    if (!(protectedData instanceof Uint8Array)) throw new TypeError("protectedData must be a Uint8Array");
    try {
      if ((h.cla & CLA_SECURE_MESSAGING) === 0) throw new SecureLinkError("BAD_FORMAT", "CLA", "the CLA lacks the secure-messaging bit");
      const n = protectedData.length;
      if (n < LINK_MAC_SIZE || (n - LINK_MAC_SIZE) % 16 !== 0 || n > LINK_MAX_PROTECTED) {
        throw new SecureLinkError("BAD_FORMAT", "LENGTH", `protected data of ${n} bytes`);
      }
      const c = protectedData.subarray(0, n - LINK_MAC_SIZE);
      const counter = this.take();
      const macInput = macInputOf(this.chain, h, c);
      const next = sm4Cmac(this.keySet.sMac, macInput);
      if (!ctEqual(next.subarray(0, LINK_MAC_SIZE), protectedData.subarray(n - LINK_MAC_SIZE))) {
        next.fill(0);
        throw new SecureLinkError("BAD_MAC", "C_MAC", "the C-MAC does not verify");
      }
      const data = decryptField(this.keySet.sEnc, 0x00, counter, c, "command");
      if (data.length > LINK_MAX_DATA) {
        data.fill(0);
        next.fill(0);
        throw new SecureLinkError("BAD_FORMAT", "LENGTH", `D of ${data.length} bytes, over ${LINK_MAX_DATA}`);
      }
      this.chain.fill(0);
      this.chain = next;
      this.due = { counter, chain: next.slice() };
      return data;
    } catch (e) {
      this.wipe();
      throw e;
    }
  }

  /** SE: protect the response (data R, any SW) to the command last unwrapped → E ‖ R-MAC. */
  wrapResponse(data: Uint8Array, sw: number): Uint8Array {
    this.alive();
    this.side("se", "wrapResponse");
    const due = this.due;
    if (!due) throw new SecureLinkError("OUT_OF_ORDER", "NO_COMMAND", "no command to answer");
    const p = protectResponse(this.keySet, due.chain, due.counter, data, sw);
    due.chain.fill(0);
    this.due = null;
    return p.data;
  }

  /** Host: check and decrypt the response data (E ‖ R-MAC) that came with `sw` → R. */
  unwrapResponse(data: Uint8Array, sw: number): Uint8Array {
    this.alive();
    this.side("host", "unwrapResponse");
    if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
    checkSw(sw);
    const due = this.due;
    if (!due) throw new SecureLinkError("OUT_OF_ORDER", "NO_COMMAND", "no command awaits a response");
    try {
      const n = data.length;
      if (n === 0 && sw === 0x6982)
        throw new SecureLinkError("SESSION_ENDED", "SE_ENDED", "the SE answered a bare 6982: it ended the session");
      if (n < LINK_MAC_SIZE || (n - LINK_MAC_SIZE) % 16 !== 0 || n > LINK_MAX_PROTECTED) {
        throw new SecureLinkError("BAD_FORMAT", "LENGTH", `protected response of ${n} bytes with SW ${sw.toString(16)}`);
      }
      const e = data.subarray(0, n - LINK_MAC_SIZE);
      const want = responseMac(this.keySet, due.chain, e, sw);
      if (!ctEqual(want, data.subarray(n - LINK_MAC_SIZE))) throw new SecureLinkError("BAD_MAC", "R_MAC", "the R-MAC does not verify");
      const out = decryptField(this.keySet.sEnc, 0x80, due.counter, e, "response");
      due.chain.fill(0);
      this.due = null;
      return out;
    } catch (e) {
      this.wipe();
      throw e;
    }
  }

  private take(): number {
    if (this.next > MAX_COUNTER) {
      this.wipe();
      throw new SecureLinkError("SESSION_ENDED", "COUNTER", "the command counter ran out; open a new session");
    }
    return this.next++;
  }

  private alive(): void {
    if (this.ended) throw new SecureLinkError("SESSION_ENDED", "WIPED", "the session was ended");
  }

  private side(role: LinkRole, what: string): void {
    if (this.role !== role) throw new TypeError(`${what} is the ${role}'s call; this session is the ${this.role}'s`);
  }
}
