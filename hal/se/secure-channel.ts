// The TypeScript host's half of the shielded SE link (docs/se-profile.md "The shielded link";
// docs/hal.md "The shielded link"): on top of an APDU channel, with the SE's public key pinned,
// it opens a secure session on first use (reference/secure-link.ts does the crypto), protects
// every command and checks every response. Nothing is sent in clear but SELECT and OPEN SECURE
// SESSION; an SE that cannot prove it holds the pinned key gets nothing (SeImpostorError).
//
// Lost session — the SE was reset (it answers a bare 6982), or a link fault hit the command: the
// host opens a new session once, transparently, and repeats the command only when that is safe:
//   always         GET DATA, GET CHALLENGE, LOAD SESSION KEY, CIPHER, ERASE SLOT, LOCK,
//                  PROVISION (idempotent with the same data), AUTH BEGIN (its answer was lost:
//                  a new request replaces the old one)
//   if it did not run   AUTH FINISH, only after a bare 6982 (the SE ran nothing); after a link
//                  fault it may have consumed the pending request and installed the token
//   never          GENERATE LINK KEY (it may have replaced the key), and any other command
// Otherwise SeSessionLostError. A protected response that fails its check → SeSecureMessagingError
// (nothing of it is used, the session is ended, the command is not repeated).
import { ApduChannel } from "../apdu/channel.js";
import { apduError } from "../apdu/errors.js";
import type { CommandApdu, ResponseApdu } from "../apdu/apdu.js";
import { BusLock } from "../bus/lock.js";
import {
  hostOpen,
  isLinkPublicKey,
  isSecureLinkError,
  type HostOpenOptions,
  type SecureSession,
  type SessionKeys,
} from "../../reference/secure-link.js";
import { AUTH_FINISH, CLA_ISO, CLA_PROPRIETARY, CLA_SM, INS, SW } from "./profile.js";
import { SeImpostorError, SeSecureMessagingError, SeSessionLostError } from "./link-errors.js";
import { SeStatusError } from "./status-error.js";

export type RepeatPolicy = "always" | "if-not-run" | "never";

const ALWAYS = new Set<number>([
  INS.GET_DATA,
  INS.GET_CHALLENGE,
  INS.LOAD_SESSION_KEY,
  INS.SM4_CIPHER,
  INS.ERASE_SLOT,
  INS.LOCK,
  INS.PROVISION,
]);

/** Whether a command may be repeated after its session was lost under it (see the header). */
export function repeatPolicy(cmd: CommandApdu): RepeatPolicy {
  if (cmd.ins === INS.AUTH) return cmd.p1 === AUTH_FINISH ? "if-not-run" : "always";
  return ALWAYS.has(cmd.ins) ? "always" : "never";
}

type Flow<T> = Generator<CommandApdu, T, ResponseApdu>;

const isSelect = (c: CommandApdu): boolean => c.cla === CLA_ISO && c.ins === INS.SELECT;

export class SecureChannel {
  readonly channel: ApduChannel;
  private readonly pk: Uint8Array;
  private session: SecureSession | null = null;
  private nextOpen: HostOpenOptions | null = null;
  private readonly lock: BusLock;
  /** sessions opened so far */
  opens = 0;

  /** `pinnedKey`: PK.SE (64 bytes X ‖ Y) as pinned at pairing. */
  constructor(channel: ApduChannel, pinnedKey: Uint8Array) {
    if (!(channel instanceof ApduChannel)) throw new TypeError("channel must be an ApduChannel");
    if (!(pinnedKey instanceof Uint8Array)) throw new TypeError("pinnedKey must be a Uint8Array");
    if (!isLinkPublicKey(pinnedKey)) throw new RangeError("pinnedKey must be 64 bytes X ‖ Y, a point of the SM2 curve");
    this.channel = channel;
    this.pk = pinnedKey.slice();
    this.lock = new BusLock(`${channel.link.name ?? "apdu"} (secure channel)`);
  }

  /** A copy of the pinned PK.SE. */
  get pinnedKey(): Uint8Array {
    return this.pk.slice();
  }

  /** A session is open (on this side). */
  get isOpen(): boolean {
    return this.session !== null;
  }

  /** Test hook: copies of the open session's keys, or null (the wiretap tests look for them). */
  sessionKeys(): SessionKeys | null {
    return this.session?.keys() ?? null;
  }

  /** Test hook: the next OPEN uses this ephemeral key and challenge (known-answer runs). */
  injectNextOpen(options: HostOpenOptions): void {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    this.nextOpen = { ...options };
  }

  /** End the session on this side (wipes the keys); the next command opens a new one. */
  end(): void {
    this.session?.wipe();
    this.session = null;
  }

  /** Open a session now (otherwise the first command does). */
  openSync(): void {
    this.lock.runSync("open", () => this.runSync(this.openFlow()));
  }
  open(): Promise<void> {
    return this.lock.run(() => this.runAsync(this.openFlow()));
  }

  /**
   * Run one command protected, to its final SW (the plain response data and SW, after checks).
   * @throws SeImpostorError, SeSessionLostError, SeSecureMessagingError; transport errors of the open
   */
  transmitSync(cmd: CommandApdu, name = "command"): ResponseApdu {
    return this.lock.runSync("transmit", () => this.runSync(this.flow(cmd, name)));
  }
  transmit(cmd: CommandApdu, name = "command"): Promise<ResponseApdu> {
    return this.lock.run(() => this.runAsync(this.flow(cmd, name)));
  }

  private runSync<T>(g: Flow<T>): T {
    let r = g.next();
    while (!r.done) {
      let resp: ResponseApdu;
      try {
        resp = this.channel.transmitSync(r.value);
      } catch (e) {
        r = g.throw(e);
        continue;
      }
      r = g.next(resp);
    }
    return r.value;
  }

  private async runAsync<T>(g: Flow<T>): Promise<T> {
    let r = g.next();
    while (!r.done) {
      let resp: ResponseApdu;
      try {
        resp = await this.channel.transmit(r.value);
      } catch (e) {
        r = g.throw(e);
        continue;
      }
      r = g.next(resp);
    }
    return r.value;
  }

  private *openFlow(): Flow<void> {
    this.end();
    const o = hostOpen(this.pk, this.nextOpen ?? {});
    this.nextOpen = null;
    let r: ResponseApdu;
    const apdu: CommandApdu = { cla: CLA_PROPRIETARY, ins: INS.OPEN_SECURE_SESSION, p1: 0, p2: 0, data: o.commandData, le: 256 };
    try {
      r = yield apdu;
    } catch (e) {
      o.abandon();
      throw e;
    }
    if (r.sw === SW.CONDITIONS_OF_USE) {
      o.abandon();
      throw new SeImpostorError("NO_LINK_KEY", "the SE has no link key, but one is pinned; nothing is sent in clear");
    }
    if (r.sw !== SW.OK) {
      // Unauthenticated either way: an SE that refuses the open (or a frame altered on the way)
      // has not proved anything; the SW is kept on the error and its cause.
      o.abandon();
      const cause = new SeStatusError("OPEN SECURE SESSION", r.sw, "ERR_SE_STATUS_WORD", apduError(r.sw, apdu, r.data));
      throw new SeImpostorError("OPEN_REFUSED", `the SE answered OPEN SECURE SESSION with ${cause.message}`, { cause });
    }
    try {
      this.session = o.finish(r.data);
      this.opens++;
    } catch (e) {
      if (isSecureLinkError(e)) throw new SeImpostorError(e.code === "IMPOSTOR" ? "RECEIPT" : e.code, e.message, { cause: e });
      throw e;
    }
  }

  private *flow(cmd: CommandApdu, name: string): Flow<ResponseApdu> {
    if (typeof cmd !== "object" || cmd === null) throw new TypeError("cmd must be a CommandApdu");
    if (isSelect(cmd)) {
      // SELECT is never protected and ends the SE's session: end ours too.
      this.end();
      return yield cmd;
    }
    if (cmd.ins === INS.GET_RESPONSE || cmd.ins === INS.OPEN_SECURE_SESSION || (cmd.cla & CLA_SM) !== 0) {
      throw new RangeError(
        `${name}: ${cmd.ins === INS.GET_RESPONSE ? "GET RESPONSE" : "OPEN SECURE SESSION or a protected APDU"} is the secure channel's own`,
      );
    }
    let reopened = false;
    if (!this.session) yield* this.openFlow();
    for (;;) {
      const s = this.session!;
      const data = s.wrapCommand({ cla: cmd.cla, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2 }, cmd.data ?? new Uint8Array(0));
      const le = cmd.cla === CLA_ISO && cmd.ins === INS.GET_CHALLENGE ? cmd.le : 256;
      const protectedCmd: CommandApdu = { cla: cmd.cla | CLA_SM, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data };
      if (le !== undefined) protectedCmd.le = le;
      let how: "6982" | "link";
      let cause: unknown;
      try {
        const r = yield protectedCmd;
        if (r.sw === SW.SECURITY_STATUS && r.data.length === 0) {
          how = "6982";
        } else {
          let plain: Uint8Array;
          try {
            plain = s.unwrapResponse(r.data, r.sw);
          } catch (e) {
            this.end();
            if (isSecureLinkError(e)) throw new SeSecureMessagingError(name, e.code, e.message, { cause: e });
            throw e;
          }
          // GENERATE LINK KEY in a session: the SE answers under the old session, then ends it.
          if (cmd.cla === CLA_PROPRIETARY && cmd.ins === INS.GENERATE_LINK_KEY && r.sw === SW.OK) this.end();
          return { data: plain, sw: r.sw };
        }
      } catch (e) {
        if (e instanceof SeSecureMessagingError || e instanceof TypeError || e instanceof RangeError) throw e;
        how = "link";
        cause = e;
      }
      this.end();
      const policy = repeatPolicy(cmd);
      const safe = policy === "always" || (policy === "if-not-run" && how === "6982");
      if (reopened || !safe) {
        throw new SeSessionLostError(
          name,
          how,
          reopened ? "lost again after one new session" : "it is not safe to repeat this command",
          cause === undefined ? undefined : { cause },
        );
      }
      reopened = true;
      yield* this.openFlow();
    }
  }
}
