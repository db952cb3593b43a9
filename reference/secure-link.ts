// The shielded SE link (docs/se-profile.md "The shielded link"): SCP11b's structure with SM2 /
// SM3 / SM4. This file opens a session, on either side; secure-messaging.ts protects the commands.
//
//   Zee  = x(eSK.host · ePK.SE) = x(eSK.SE · ePK.host)
//   Zes  = x(eSK.host · PK.SE)  = x(SK.SE  · ePK.host)
//   info = "TIDLINK1" ‖ ePK.host ‖ ePK.SE ‖ challenge
//   KM   = KDF(Zee ‖ Zes ‖ info, 64); receipt key ‖ S-ENC ‖ S-MAC ‖ S-RMAC = KM (16 bytes each)
//   receipt = CMAC-SM4(receipt key, ePK.host ‖ ePK.SE ‖ challenge)
//
// Host:  const o = hostOpen(pinnedPk);  send 80 88 00 00 50 ‖ o.commandData ‖ 00;
//        const session = o.finish(answerData)   // SecureLinkError IMPOSTOR / BAD_POINT / BAD_FORMAT
// SE:    const { answer, session } = seOpen(skSe, commandData)   // BAD_POINT / BAD_FORMAT
// Then session.wrapCommand / unwrapResponse (host) and unwrapCommand / wrapResponse (SE).
// The receipt key, Zee, Zes, KM and the ephemeral private keys are wiped once the keys exist.
import { PRIVATE_KEY_SIZE, PUBLIC_KEY_SIZE } from "./constants.js";
import { checkPrivateKey, ctEqual, isOnCurve, random, sm2Ecdh, sm2Keygen, sm2PublicFromPrivate, sm3Kdf } from "./primitives.js";
import { SecureLinkError } from "./secure-link-error.js";
import { SecureSession, type SessionKeys } from "./secure-messaging.js";
import { sm4Cmac } from "./sm4-cmac.js";

export * from "./secure-link-error.js";
export * from "./secure-messaging.js";
export { sm4Cmac, sm4Block, sm4CbcEncrypt, sm4CbcDecrypt, padIso9797m2, unpadIso9797m2 } from "./sm4-cmac.js";

/** "TIDLINK1", the first bytes of info. */
export const LINK_LABEL: Uint8Array = Uint8Array.of(0x54, 0x49, 0x44, 0x4c, 0x49, 0x4e, 0x4b, 0x31);
export const LINK_CHALLENGE_SIZE = 16;
export const LINK_RECEIPT_SIZE = 16;
/** OPEN SECURE SESSION data: ePK.host(64) ‖ challenge(16); its answer: ePK.SE(64) ‖ receipt(16). */
export const LINK_OPEN_SIZE = PUBLIC_KEY_SIZE + LINK_CHALLENGE_SIZE;
export const LINK_KM_SIZE = 64;

export interface LinkDerivation extends SessionKeys {
  info: Uint8Array;
  km: Uint8Array;
  receiptKey: Uint8Array;
  receipt: Uint8Array;
}

function bytesArg(name: string, v: unknown, size: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (v.length !== size) throw new RangeError(`${name} must be ${size} bytes, got ${v.length}`);
  return v;
}

function privateArg(name: string, v: unknown): Uint8Array {
  bytesArg(name, v, PRIVATE_KEY_SIZE);
  try {
    checkPrivateKey(v as Uint8Array);
  } catch {
    throw new RangeError(`${name} must be an SM2 private key in [1, n-2]`);
  }
  return v as Uint8Array;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The key schedule from the two ECDH values and the exchanged keys. Everything it returns is the
 * caller's to wipe (hostOpen / seOpen do; the worked example prints it).
 */
export function deriveLinkKeys(input: {
  zee: Uint8Array;
  zes: Uint8Array;
  ePkHost: Uint8Array;
  ePkSe: Uint8Array;
  challenge: Uint8Array;
}): LinkDerivation {
  if (typeof input !== "object" || input === null) throw new TypeError("input must be {zee, zes, ePkHost, ePkSe, challenge}");
  const zee = bytesArg("zee", input.zee, 32);
  const zes = bytesArg("zes", input.zes, 32);
  const ePkHost = bytesArg("ePkHost", input.ePkHost, PUBLIC_KEY_SIZE);
  const ePkSe = bytesArg("ePkSe", input.ePkSe, PUBLIC_KEY_SIZE);
  const challenge = bytesArg("challenge", input.challenge, LINK_CHALLENGE_SIZE);
  const info = concat(LINK_LABEL, ePkHost, ePkSe, challenge);
  const z = concat(zee, zes, info);
  const km = sm3Kdf(z, LINK_KM_SIZE);
  z.fill(0);
  const receiptKey = km.slice(0, 16);
  const receipt = sm4Cmac(receiptKey, ePkHost, ePkSe, challenge);
  return { info, km, receiptKey, sEnc: km.slice(16, 32), sMac: km.slice(32, 48), sRmac: km.slice(48, 64), receipt };
}

/** True when `pk` is 64 bytes X ‖ Y on the SM2 curve: a key that can be pinned. */
export function isLinkPublicKey(pk: unknown): boolean {
  return pk instanceof Uint8Array && pk.length === PUBLIC_KEY_SIZE && isOnCurve(pk);
}

function wipeDerivation(d: LinkDerivation): void {
  for (const b of [d.km, d.receiptKey, d.sEnc, d.sMac, d.sRmac, d.receipt]) b.fill(0);
}

export interface HostOpenOptions {
  /** eSK.host (known-answer tests only); default: a fresh key pair */
  ephemeralPrivate?: Uint8Array;
  /** the 16-byte challenge (known-answer tests only); default: random */
  challenge?: Uint8Array;
}

/** The host half of OPEN SECURE SESSION, between the command and the SE's answer. */
export class HostLinkOpening {
  /** ePK.host ‖ challenge: the 80 bytes of command data */
  readonly commandData: Uint8Array;
  private eSk: Uint8Array | null;
  private readonly pk: Uint8Array;

  /** Use hostOpen(). */
  constructor(pinnedPk: Uint8Array, eSk: Uint8Array, ePk: Uint8Array, challenge: Uint8Array) {
    this.pk = pinnedPk.slice();
    this.eSk = eSk.slice();
    this.commandData = concat(ePk, challenge);
  }

  /**
   * Check the SE's answer (ePK.SE ‖ receipt, 80 bytes) → the host's session. Whatever happens,
   * eSK.host is wiped: one answer per opening.
   * @throws SecureLinkError BAD_FORMAT (length), BAD_POINT (ePK.SE), IMPOSTOR (receipt)
   */
  finish(answer: Uint8Array): SecureSession {
    if (!(answer instanceof Uint8Array)) throw new TypeError("answer must be a Uint8Array");
    const eSk = this.eSk;
    if (!eSk) throw new SecureLinkError("OUT_OF_ORDER", "USED", "this opening already took an answer");
    this.eSk = null;
    try {
      if (answer.length !== LINK_OPEN_SIZE)
        throw new SecureLinkError("BAD_FORMAT", "LENGTH", `answer of ${answer.length} bytes, expected 80`);
      const ePkSe = answer.slice(0, PUBLIC_KEY_SIZE);
      if (!isOnCurve(ePkSe)) throw new SecureLinkError("BAD_POINT", "NOT_ON_CURVE", "ePK.SE is not a point of the curve");
      const zee = sm2Ecdh(eSk, ePkSe);
      const zes = sm2Ecdh(eSk, this.pk);
      const d = deriveLinkKeys({
        zee,
        zes,
        ePkHost: this.commandData.subarray(0, PUBLIC_KEY_SIZE),
        ePkSe,
        challenge: this.commandData.subarray(PUBLIC_KEY_SIZE),
      });
      zee.fill(0);
      zes.fill(0);
      try {
        if (!ctEqual(d.receipt, answer.subarray(PUBLIC_KEY_SIZE))) {
          throw new SecureLinkError("IMPOSTOR", "RECEIPT", "the receipt does not match: the answer is not from the pinned SE");
        }
        return new SecureSession("host", d, d.receipt);
      } finally {
        wipeDerivation(d);
      }
    } finally {
      eSk.fill(0);
    }
  }

  /** Drop the opening without an answer (wipes eSK.host). */
  abandon(): void {
    this.eSk?.fill(0);
    this.eSk = null;
  }
}

/** Start OPEN SECURE SESSION towards the SE whose public key `pinnedPk` (64 bytes X ‖ Y) was pinned. */
export function hostOpen(pinnedPk: Uint8Array, options: HostOpenOptions = {}): HostLinkOpening {
  bytesArg("pinnedPk", pinnedPk, PUBLIC_KEY_SIZE);
  if (!isOnCurve(pinnedPk)) throw new RangeError("pinnedPk is not a point of the SM2 curve");
  const challenge =
    options.challenge === undefined ? random(LINK_CHALLENGE_SIZE) : bytesArg("options.challenge", options.challenge, LINK_CHALLENGE_SIZE);
  const pair =
    options.ephemeralPrivate === undefined
      ? sm2Keygen()
      : {
          privateKey: privateArg("options.ephemeralPrivate", options.ephemeralPrivate).slice(),
          publicKey: sm2PublicFromPrivate(options.ephemeralPrivate),
        };
  const opening = new HostLinkOpening(pinnedPk, pair.privateKey, pair.publicKey, challenge);
  pair.privateKey.fill(0);
  return opening;
}

export interface SeOpenOptions {
  /** eSK.SE (the simulator draws it from its TRNG; known-answer tests fix it); default: fresh */
  ephemeralPrivate?: Uint8Array;
}

/**
 * The SE half of OPEN SECURE SESSION: from SK.SE and the command data (ePK.host ‖ challenge) →
 * the answer (ePK.SE ‖ receipt) and the SE's session. eSK.SE is wiped.
 * @throws SecureLinkError BAD_FORMAT (length), BAD_POINT (ePK.host)
 */
export function seOpen(
  skSe: Uint8Array,
  commandData: Uint8Array,
  options: SeOpenOptions = {},
): { answer: Uint8Array; session: SecureSession } {
  privateArg("skSe", skSe);
  if (!(commandData instanceof Uint8Array)) throw new TypeError("commandData must be a Uint8Array");
  if (commandData.length !== LINK_OPEN_SIZE)
    throw new SecureLinkError("BAD_FORMAT", "LENGTH", `command data of ${commandData.length} bytes, expected 80`);
  const ePkHost = commandData.slice(0, PUBLIC_KEY_SIZE);
  const challenge = commandData.slice(PUBLIC_KEY_SIZE);
  if (!isOnCurve(ePkHost)) throw new SecureLinkError("BAD_POINT", "NOT_ON_CURVE", "ePK.host is not a point of the curve");
  const eSk =
    options.ephemeralPrivate === undefined
      ? sm2Keygen().privateKey
      : privateArg("options.ephemeralPrivate", options.ephemeralPrivate).slice();
  try {
    const ePkSe = sm2PublicFromPrivate(eSk);
    const zee = sm2Ecdh(eSk, ePkHost);
    const zes = sm2Ecdh(skSe, ePkHost);
    const d = deriveLinkKeys({ zee, zes, ePkHost, ePkSe, challenge });
    zee.fill(0);
    zes.fill(0);
    const answer = concat(ePkSe, d.receipt);
    const session = new SecureSession("se", d, d.receipt);
    wipeDerivation(d);
    return { answer, session };
  } finally {
    eSk.fill(0);
  }
}
