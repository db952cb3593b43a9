// The shielded link on the simulated SE (docs/se-profile.md "The shielded link"): the link key in
// NVM (SK.SE; GENERATE LINK KEY, GET DATA 00 04), OPEN SECURE SESSION and the session it opens
// (RAM: a reset ends it), secure messaging around the applet's commands. The crypto is the
// reference's (reference/secure-link.ts); this file adds the chip's state and the work each step
// costs, for the timing model (SM2 keygen and ECDH, SM3 bytes, SM4 blocks, TRNG bytes).
import {
  isSecureLinkError,
  LINK_MAC_SIZE,
  seOpen,
  sm2PublicFromPrivate,
  type CommandHeader,
  type SecureSession,
  type SessionKeys,
} from "../../reference/index.js";
import type { AppletWork } from "./work.js";

/** Blocks one CMAC of `n` bytes costs: the subkey block plus one per (started) block. */
function cmacBlocks(n: number): number {
  return 1 + Math.max(1, Math.ceil(n / 16));
}

/** A protected command could not be unwrapped: the session is over. */
export class SessionEnded extends Error {
  constructor(readonly why: string) {
    super(`secure session ended: ${why}`);
    this.name = "SessionEnded";
  }
}

export class SimLinkState {
  /** SK.SE (NVM) */
  private sk: Uint8Array | null = null;
  private pk: Uint8Array | null = null;
  /** RAM */
  private session: SecureSession | null = null;
  private injectedEphemeral: Uint8Array | null = null;

  constructor(linkKey?: Uint8Array) {
    if (linkKey !== undefined) this.install(linkKey, "linkKey");
  }

  /** The SE has a link key: it is shielded. */
  get hasKey(): boolean {
    return this.sk !== null;
  }

  get sessionOpen(): boolean {
    return this.session !== null;
  }

  /** PK.SE (a copy), or null. */
  publicKey(): Uint8Array | null {
    return this.pk?.slice() ?? null;
  }

  /** SK.SE (a copy) for state files; a real chip never shows it. */
  exportKey(): Uint8Array | null {
    return this.sk?.slice() ?? null;
  }

  /** Test hook: copies of the open session's keys, or null. */
  sessionKeys(): SessionKeys | null {
    return this.session?.keys() ?? null;
  }

  /** Test hook: the next OPEN SECURE SESSION uses this ephemeral private key (once). */
  injectNextOpen(ephemeralPrivate: Uint8Array): void {
    if (!(ephemeralPrivate instanceof Uint8Array)) throw new TypeError("ephemeralPrivate must be a Uint8Array");
    if (ephemeralPrivate.length !== 32) throw new RangeError(`ephemeralPrivate must be 32 bytes, got ${ephemeralPrivate.length}`);
    this.injectedEphemeral = ephemeralPrivate.slice();
  }

  /** Wipe the session, if any. */
  end(): void {
    this.session?.wipe();
    this.session = null;
  }

  /** Reset: RAM is lost. */
  reset(): void {
    this.end();
    this.injectedEphemeral?.fill(0);
    this.injectedEphemeral = null;
  }

  /** GENERATE LINK KEY: a new static pair from `drawScalar`; the old one is wiped. Returns PK.SE. */
  generate(drawScalar: () => Uint8Array, work: AppletWork): Uint8Array {
    const sk = drawScalar();
    this.install(sk, "SK.SE");
    sk.fill(0);
    work.sm2Keygen += 1;
    work.randomBytes += 32;
    work.nvmWrites += 1;
    return this.pk!.slice();
  }

  /**
   * OPEN SECURE SESSION (the caller checked P1P2, the key and Lc): ends any session, opens a new
   * one → ePK.SE ‖ receipt. Throws BAD_POINT (SecureLinkError) for ePK.host off the curve.
   */
  open(data: Uint8Array, drawScalar: () => Uint8Array, work: AppletWork): Uint8Array {
    this.end();
    const eSk = this.injectedEphemeral ?? drawScalar();
    this.injectedEphemeral = null;
    work.randomBytes += 32;
    try {
      const { answer, session } = seOpen(this.sk!, data, { ephemeralPrivate: eSk });
      this.session = session;
      work.sm2Keygen += 1;
      work.sm2Ecdh += 2;
      work.sm3Bytes += 2 * (64 + 8 + 64 + 64 + 16 + 4); // KDF(Zee ‖ Zes ‖ info, 64): two SM3 runs
      work.sm4Blocks += cmacBlocks(144);
      return answer;
    } finally {
      eSk.fill(0);
    }
  }

  /** Unwrap a protected command; any failure ends the session (SessionEnded). */
  unwrap(header: CommandHeader, data: Uint8Array, work: AppletWork): Uint8Array {
    const s = this.session;
    if (!s) throw new SessionEnded("no session open");
    const c = Math.max(0, data.length - LINK_MAC_SIZE);
    work.sm4Blocks += cmacBlocks(22 + c) + (c > 0 ? 1 + c / 16 : 0);
    try {
      return s.unwrapCommand(header, data);
    } catch (e) {
      this.end();
      if (isSecureLinkError(e)) throw new SessionEnded(e.message);
      throw e;
    }
  }

  /** Wrap the response of the command last unwrapped → E ‖ R-MAC. */
  wrap(data: Uint8Array, sw: number, work: AppletWork): Uint8Array {
    const out = this.session!.wrapResponse(data, sw);
    const e = out.length - LINK_MAC_SIZE;
    work.sm4Blocks += cmacBlocks(16 + e + 2) + (e > 0 ? 1 + e / 16 : 0);
    return out;
  }

  private install(sk: Uint8Array, name: string): void {
    if (!(sk instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
    let pk: Uint8Array;
    try {
      pk = sm2PublicFromPrivate(sk);
    } catch {
      throw new RangeError(`${name} must be a 32-byte SM2 private key in [1, n-2]`);
    }
    this.sk?.fill(0);
    this.sk = sk.slice();
    this.pk = pk;
  }
}
