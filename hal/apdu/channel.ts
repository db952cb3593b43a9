// The APDU channel (ISO/IEC 7816-4 §5.3.3 chaining, §5.6 61xx / 6Cxx;
// docs/se-profile.md "Command chaining", "Long responses"), on any Link (hal/link):
//
//   chaining      data > 255 bytes → blocks of ≤ chunkSize bytes, CLA | 0x10 on every block but
//                 the last, same INS P1 P2; each non-final block must answer 9000 (anything else
//                 ends the command with that SW). Le goes on the last block only.
//   61xx          append the data, send GET RESPONSE 00 C0 00 00 xx (xx = 00 → 256), repeat
//                 while 61xx (at most maxResponseParts parts → ApduProtocolError).
//   6Cxx          resend the same (unchained) command once with Le = xx.
//   transmit()    returns { data, sw } with the final SW, whatever it is;
//   send()        returns the data when SW = 9000, else throws ApduError (errors.ts) with the SW.
// Like the link, the logic is one generator run by a sync runner (link.transceiveSync) and an
// async one (link.transceive); transport errors (BusError, LinkError) pass through unchanged.
// One command at a time per link: async commands queue in order, a sync one while an async one
// is under way throws BusError EBUSY (hal/bus/lock.ts).
import { BusLock } from "../bus/lock.js";
import { encodeApdu, parseResponse, SW_OK, MAX_LC, type CommandApdu, type ResponseApdu } from "./apdu.js";
import { apduError, ApduProtocolError } from "./errors.js";

// One command at a time per link: the link locks the bus for one APDU only, so without this two
// async commands would interleave their chained blocks and GET RESPONSEs (the second command
// drops the first one's chain or unread response on the SE, or hands it its own remainder).
const commandLocks = new WeakMap<Transceiver, BusLock>();

function commandLock(link: Transceiver): BusLock {
  let l = commandLocks.get(link);
  if (l === undefined) {
    l = new BusLock(link.name ?? "apdu");
    commandLocks.set(link, l);
  }
  return l;
}

/** What the channel needs from a link. */
export interface Transceiver {
  readonly name?: string;
  transceiveSync(apdu: Uint8Array): Uint8Array;
  transceive(apdu: Uint8Array): Promise<Uint8Array>;
}

export interface ApduChannelOptions {
  /** Data bytes per chained block, 1..255 (default 255). */
  chunkSize?: number;
  /** Most R-APDU parts of one response (default 64, i.e. 16 KiB at 256 per part). */
  maxResponseParts?: number;
  /** CLA of GET RESPONSE (default 0x00). */
  getResponseCla?: number;
}

export const CLA_CHAIN = 0x10;
export const INS_GET_RESPONSE = 0xc0;

type Tx<T> = Generator<Uint8Array, T, Uint8Array>;

export class ApduChannel {
  readonly link: Transceiver;
  private readonly chunkSize: number;
  private readonly maxParts: number;
  private readonly grCla: number;

  constructor(link: Transceiver, options: ApduChannelOptions = {}) {
    this.link = link;
    this.chunkSize = options.chunkSize ?? MAX_LC;
    this.maxParts = options.maxResponseParts ?? 64;
    this.grCla = options.getResponseCla ?? 0x00;
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 1 || this.chunkSize > MAX_LC) {
      throw new RangeError(`chunkSize must be 1..${MAX_LC}, got ${this.chunkSize}`);
    }
    if (!Number.isInteger(this.maxParts) || this.maxParts < 1) throw new RangeError(`maxResponseParts must be ≥ 1, got ${this.maxParts}`);
  }

  private get where(): string {
    return this.link.name ?? "apdu";
  }

  /**
   * Run a command to its final SW (chaining, 61xx, 6Cxx resolved).
   * @throws BusError EBUSY while an async command on the same link is queued or in progress
   */
  transmitSync(cmd: CommandApdu): ResponseApdu {
    return commandLock(this.link).runSync("transmit", () => {
      const g = this.command(cmd);
      let r = g.next();
      while (!r.done) r = g.next(this.link.transceiveSync(r.value));
      return r.value;
    });
  }

  /** Run a command to its final SW; commands on the same link run one after another, in order. */
  transmit(cmd: CommandApdu): Promise<ResponseApdu> {
    return commandLock(this.link).run(async () => {
      const g = this.command(cmd);
      let r = g.next();
      while (!r.done) r = g.next(await this.link.transceive(r.value));
      return r.value;
    });
  }

  /**
   * Run a command and return its response data.
   * @throws ApduError (a subclass per known SW) when the final SW is not 9000
   */
  sendSync(cmd: CommandApdu): Uint8Array {
    return this.check(cmd, this.transmitSync(cmd));
  }

  async send(cmd: CommandApdu): Promise<Uint8Array> {
    return this.check(cmd, await this.transmit(cmd));
  }

  private check(cmd: CommandApdu, r: ResponseApdu): Uint8Array {
    if (r.sw !== SW_OK) throw apduError(r.sw, cmd, r.data);
    return r.data;
  }

  private *command(cmd: CommandApdu): Tx<ResponseApdu> {
    const data = cmd.data ?? new Uint8Array(0);
    if (!(data instanceof Uint8Array)) throw new TypeError(`APDU data must be a Uint8Array, got ${typeof data}`);
    if (data.length <= this.chunkSize) {
      const single: CommandApdu = { ...cmd };
      if (data.length === 0) delete single.data;
      return yield* this.single(single, true);
    }
    // Command chaining: every block but the last carries CLA | 0x10 and must answer 9000.
    if (cmd.cla & CLA_CHAIN) throw new RangeError(`CLA ${cmd.cla.toString(16)} already has the chaining bit; pass the whole data instead`);
    for (let off = 0; off < data.length; off += this.chunkSize) {
      const end = Math.min(off + this.chunkSize, data.length);
      const last = end === data.length;
      const block: CommandApdu = {
        cla: last ? cmd.cla : cmd.cla | CLA_CHAIN,
        ins: cmd.ins,
        p1: cmd.p1,
        p2: cmd.p2,
        data: data.subarray(off, end),
      };
      if (last && cmd.le !== undefined) block.le = cmd.le;
      if (!last) {
        const r = parseResponse(yield encodeApdu(block), this.where);
        if (r.sw !== SW_OK) return r;
      } else {
        return yield* this.single(block, false);
      }
    }
    throw new Error("unreachable");
  }

  /** One APDU, then 6Cxx (once, if allowed) and the 61xx / GET RESPONSE loop. */
  private *single(cmd: CommandApdu, allowResend: boolean): Tx<ResponseApdu> {
    let r = parseResponse(yield encodeApdu(cmd), this.where);
    if (allowResend && r.sw >>> 8 === 0x6c) {
      r = parseResponse(yield encodeApdu({ ...cmd, le: r.sw & 0xff || 256 }), this.where);
    }
    return yield* this.collect(r);
  }

  private *collect(first: ResponseApdu): Tx<ResponseApdu> {
    let r = first;
    const parts: Uint8Array[] = [];
    while (r.sw >>> 8 === 0x61) {
      parts.push(r.data);
      if (parts.length >= this.maxParts) {
        throw new ApduProtocolError(this.where, `the SE still answers 61xx after ${parts.length} response parts (maxResponseParts)`);
      }
      const le = r.sw & 0xff || 256;
      const gr: CommandApdu = { cla: this.grCla, ins: INS_GET_RESPONSE, p1: 0, p2: 0, le };
      r = parseResponse(yield encodeApdu(gr), this.where);
      if (r.sw >>> 8 === 0x6c) r = parseResponse(yield encodeApdu({ ...gr, le: r.sw & 0xff || 256 }), this.where);
    }
    if (parts.length === 0) return r;
    parts.push(r.data);
    const total = parts.reduce((s, p) => s + p.length, 0);
    const data = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      data.set(p, o);
      o += p.length;
    }
    return { data, sw: r.sw };
  }
}
