// "TID applet v1" as typed calls (docs/se-profile.md), over the APDU
// channel (hal/apdu/channel.ts: chaining, 61xx) on any link. Every call exists twice: `xxxSync`
// for code behind the wasm's synchronous `transceive` import, `xxx` (Promise) for the TypeScript
// API. The bytes come from commands.ts, the only encoder of the profile.
//
// Errors: a status word other than 9000 → SeStatusError (sw, reason, the wasm status it maps to,
// the command's name; the channel's ApduError is its cause). Transport errors (BusError,
// LinkError, ApduProtocolError) pass through unchanged. A 9000 with malformed data → SeFormatError.
//
// Shielded (docs/se-profile.md "The shielded link"): with `pinnedKey` (PK.SE, pinned at pairing)
// every command goes through the secure channel (secure-channel.ts): a session is opened on first
// use, every command is protected, a lost session is reopened once; SeImpostorError,
// SeSessionLostError and SeSecureMessagingError (link-errors.ts) are its failures. pair() is the
// pairing step: GENERATE LINK KEY, and the returned PK.SE is pinned on this client.
import { ApduChannel, type Transceiver } from "../apdu/channel.js";
import { apduError } from "../apdu/errors.js";
import type { ResponseApdu } from "../apdu/apdu.js";
import { isLinkPublicKey, type SessionKeys } from "../../reference/secure-link.js";
import type { SuiteName } from "../../reference/constants.js";
import * as cmd from "./commands.js";
import type { AppletInfo, AuthBeginInput, AuthFinishOptions, SelectInfo, SeCommand, SlotState } from "./commands.js";
import { SW } from "./profile.js";
import { SecureChannel } from "./secure-channel.js";
import { SeStatusError } from "./status-error.js";

export { SeStatusError } from "./status-error.js";

export interface SeClientOptions {
  /**
   * PK.SE (64 bytes X ‖ Y) pinned at pairing: the client then talks to the SE only through the
   * shielded link, and refuses an SE that cannot prove it holds the matching key.
   */
  pinnedKey?: Uint8Array;
}

/** Identity as read from the SE (GET DATA). */
export interface SeIdentity {
  /** null while the SE is blank */
  tid: Uint8Array | null;
  info: AppletInfo;
}

/**
 * On the shielded link the plain command data (the command's own copy: PSK, keys, server data)
 * and the decrypted response are secrets that exist only on the host: wipe them once parsed
 * (every parser returns copies). The command is spent: run a new one from commands.ts each time.
 */
function wipeShielded(c: SeCommand<unknown>, r: ResponseApdu | null): void {
  c.apdu.data?.fill(0);
  r?.data.fill(0);
}

function finish<T>(c: SeCommand<T>, r: ResponseApdu): T {
  if (r.sw !== 0x9000) {
    throw new SeStatusError(c.name, r.sw, cmd.statusOfSw(c.apdu.ins, c.apdu.p1, r.sw), apduError(r.sw, c.apdu, r.data));
  }
  return c.parse(r.data);
}

export class SeClient {
  readonly channel: ApduChannel;
  private secureChannel: SecureChannel | null = null;

  /** Over an ApduChannel, or a link (one is made). */
  constructor(channelOrLink: ApduChannel | Transceiver, options: SeClientOptions = {}) {
    this.channel = channelOrLink instanceof ApduChannel ? channelOrLink : new ApduChannel(channelOrLink);
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    if (options.pinnedKey !== undefined) this.pin(options.pinnedKey);
  }

  /** True when a link key is pinned: every command goes over the shielded link. */
  get shielded(): boolean {
    return this.secureChannel !== null;
  }

  /** The secure channel (null when unshielded): its session, test hooks, explicit open / end. */
  get secure(): SecureChannel | null {
    return this.secureChannel;
  }

  /** Copies of the open session's keys (host side), or null: for wiretap tests. */
  sessionKeys(): SessionKeys | null {
    return this.secureChannel?.sessionKeys() ?? null;
  }

  /**
   * Pin PK.SE (64 bytes X ‖ Y): from now on every command is shielded. Replaces an earlier pin
   * (and ends its session).
   * @throws TypeError / RangeError (pinnedKey) when it is not a point of the curve
   */
  pin(pinnedKey: Uint8Array): void {
    const next = new SecureChannel(this.channel, pinnedKey);
    this.secureChannel?.end();
    this.secureChannel = next;
  }

  /** Run any profile command (commands.ts) synchronously. */
  runSync<T>(c: SeCommand<T>): T {
    if (!this.secureChannel) return finish(c, this.channel.transmitSync(c.apdu));
    let r: ResponseApdu | null = null;
    try {
      r = this.secureChannel.transmitSync(c.apdu, c.name);
      return finish(c, r);
    } finally {
      wipeShielded(c, r);
    }
  }

  async run<T>(c: SeCommand<T>): Promise<T> {
    if (!this.secureChannel) return finish(c, await this.channel.transmit(c.apdu));
    let r: ResponseApdu | null = null;
    try {
      r = await this.secureChannel.transmit(c.apdu, c.name);
      return finish(c, r);
    } finally {
      wipeShielded(c, r);
    }
  }

  /** GET DATA 00 04: PK.SE (public; null-free: 6A88 → SeStatusError while the SE has none). */
  getLinkKeySync(): Uint8Array {
    return this.runSync(cmd.getLinkKey());
  }
  getLinkKey(): Promise<Uint8Array> {
    return this.run(cmd.getLinkKey());
  }

  /**
   * Pairing: GENERATE LINK KEY, then pin the PK.SE it returns on this client, and return it for
   * the device's configuration. Do it in a trusted place (factory, bench): on a first pairing the
   * key crosses the bus in clear and nothing proves where it came from — that is what pinning it
   * there means. On a client already pinned it runs inside the session (the SE then ends it).
   * Refused after LOCK (6982).
   */
  pairSync(): Uint8Array {
    return this.pinned(this.runSync(cmd.generateLinkKey()));
  }
  async pair(): Promise<Uint8Array> {
    return this.pinned(await this.run(cmd.generateLinkKey()));
  }

  private pinned(pk: Uint8Array): Uint8Array {
    if (!isLinkPublicKey(pk)) throw new cmd.SeFormatError("GENERATE LINK KEY", "PK.SE is not a point of the SM2 curve");
    this.pin(pk);
    return pk;
  }

  selectSync(): SelectInfo {
    return this.runSync(cmd.select());
  }
  select(): Promise<SelectInfo> {
    return this.run(cmd.select());
  }

  getChallengeSync(n: number): Uint8Array {
    return this.runSync(cmd.getChallenge(n));
  }
  getChallenge(n: number): Promise<Uint8Array> {
    return this.run(cmd.getChallenge(n));
  }

  getTidSync(): Uint8Array {
    return this.runSync(cmd.getTid());
  }
  getTid(): Promise<Uint8Array> {
    return this.run(cmd.getTid());
  }

  getInfoSync(): AppletInfo {
    return this.runSync(cmd.getInfo());
  }
  getInfo(): Promise<AppletInfo> {
    return this.run(cmd.getInfo());
  }

  /**
   * GET DATA 00 05: the identity's algorithm suite (docs/se-profile.md "Algorithm suites"). An
   * applet older than suites answers 6A86 (unknown tag) and speaks SM only: "sm". A blank SE
   * answers 6A88 (SeStatusError, ERR_NOT_INITIALISED).
   */
  getSuiteSync(): SuiteName {
    try {
      return this.runSync(cmd.getSuite());
    } catch (e) {
      return suiteOfRefusal(e);
    }
  }
  async getSuite(): Promise<SuiteName> {
    try {
      return await this.run(cmd.getSuite());
    } catch (e) {
      return suiteOfRefusal(e);
    }
  }

  getSlotsSync(): SlotState[] {
    return this.runSync(cmd.getSlots());
  }
  getSlots(): Promise<SlotState[]> {
    return this.run(cmd.getSlots());
  }

  /** GET DATA info, then the TID unless the SE is blank. */
  identitySync(): SeIdentity {
    const info = this.getInfoSync();
    return { tid: info.lifecycle === "blank" ? null : this.getTidSync(), info };
  }
  async identity(): Promise<SeIdentity> {
    const info = await this.getInfo();
    return { tid: info.lifecycle === "blank" ? null : await this.getTid(), info };
  }

  /** PROVISION the identity: TID, PSK and its algorithm suite (default "sm"). */
  provisionSync(tid: Uint8Array, psk: Uint8Array, suite?: SuiteName): void {
    this.runSync(cmd.provision(tid, psk, suite));
  }
  provision(tid: Uint8Array, psk: Uint8Array, suite?: SuiteName): Promise<void> {
    return this.run(cmd.provision(tid, psk, suite));
  }

  lockSync(): void {
    this.runSync(cmd.lock());
  }
  lock(): Promise<void> {
    return this.run(cmd.lock());
  }

  /** The SE builds the authcode (docs/protocol.md "The authcode") and keeps the pending request. */
  authBeginSync(input: AuthBeginInput): Uint8Array {
    return this.runSync(cmd.authBegin(input));
  }
  authBegin(input: AuthBeginInput): Promise<Uint8Array> {
    return this.run(cmd.authBegin(input));
  }

  /** The SE checks the server data and installs the token in a slot; returns it only if asked. */
  authFinishSync(serverData: Uint8Array, options?: AuthFinishOptions): Uint8Array | null {
    return this.runSync(cmd.authFinish(serverData, options));
  }
  authFinish(serverData: Uint8Array, options?: AuthFinishOptions): Promise<Uint8Array | null> {
    return this.run(cmd.authFinish(serverData, options));
  }

  loadSessionKeySync(slot: number, key: Uint8Array): void {
    this.runSync(cmd.loadSessionKey(slot, key));
  }
  loadSessionKey(slot: number, key: Uint8Array): Promise<void> {
    return this.run(cmd.loadSessionKey(slot, key));
  }

  /**
   * CIPHER: raw ECB inside the SE with a slot's key, in the identity's suite (SM4, or AES-128 in
   * suite INTL); data = whole blocks, split into ≤ 1024-byte commands.
   */
  cipherSync(slot: number, encrypt: boolean, data: Uint8Array): Uint8Array {
    return joinChunks(data, (part) => this.runSync(cmd.cipher(slot, encrypt, part)));
  }
  async cipher(slot: number, encrypt: boolean, data: Uint8Array): Promise<Uint8Array> {
    const out = new Uint8Array(data.length);
    for (const [off, part] of chunks(data)) out.set(await this.run(cmd.cipher(slot, encrypt, part)), off);
    return out;
  }
  /** cipherSync under the profile's first name (the command is SM4-ECB in suite SM). */
  sm4CipherSync(slot: number, encrypt: boolean, data: Uint8Array): Uint8Array {
    return this.cipherSync(slot, encrypt, data);
  }
  /** cipher under the profile's first name. */
  sm4Cipher(slot: number, encrypt: boolean, data: Uint8Array): Promise<Uint8Array> {
    return this.cipher(slot, encrypt, data);
  }

  eraseSlotSync(slot: number | "all"): void {
    this.runSync(cmd.eraseSlot(slot));
  }
  eraseSlot(slot: number | "all"): Promise<void> {
    return this.run(cmd.eraseSlot(slot));
  }
}

/** GET DATA 00 05 refused: 6A86 is an applet older than suites (suite SM); anything else is thrown. */
function suiteOfRefusal(e: unknown): SuiteName {
  if (e instanceof SeStatusError && e.sw === SW.WRONG_P1P2) return "sm";
  throw e;
}

const SM4_CHUNK = 1024;

function* chunks(data: Uint8Array): Generator<[number, Uint8Array]> {
  if (!(data instanceof Uint8Array)) {
    yield [0, data]; // commands.ts reports the type error before anything is sent
    return;
  }
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new RangeError(`data length must be a positive multiple of 16 (whole blocks), got ${data.length}`);
  }
  for (let off = 0; off < data.length; off += SM4_CHUNK) yield [off, data.subarray(off, Math.min(data.length, off + SM4_CHUNK))];
}

function joinChunks(data: Uint8Array, run: (part: Uint8Array) => Uint8Array): Uint8Array {
  const out = new Uint8Array(data instanceof Uint8Array ? data.length : 0);
  for (const [off, part] of chunks(data)) out.set(run(part), off);
  return out;
}
