// TeeLink: the Link interface (hal/link/link.ts) over the TID trusted application in an OP-TEE
// TEE, through the Linux TEE client ioctls (<linux/tee.h>) of the @tid-wasm/tee-client addon
// (docs/hal.md "The TEE link"; the TA's commands: docs/tee.md "Commands").
//
//   openTeeLink(options)        open the device, check it is a GlobalPlatform TEE, allocate the
//                               shared memory, open a session on the TA (login public / user /
//                               group) → TeeLink
//   transceiveSync / transceive one C-APDU → one R-APDU through TRANSMIT (command 0); on
//                               TEEC_ERROR_SHORT_BUFFER from the TA (which then has not run the
//                               command) retried once with the size the TA asks for
//   infoSync / info             INFO (command 1): applet version, flags, lifecycle, slots
//   resetSync / reset           close and reopen the session: the TA wipes its RAM state, as an
//                               SE reset does
//   atrSync / atr               LinkUnsupported: a TA has no answer-to-reset
//   close()                     idempotent; any later call → TeeError CLOSED
//
// Every call holds the BusLock (default: the process-wide lock of the device path), as BaseLink
// does: async calls queue, a sync call while an async one is under way throws BusError EBUSY.
// Stats: exchanges / failures / apduBytesOut / apduBytesIn count APDU exchanges as on the FM
// links; transactions counts TEE_IOC_INVOKE calls (INFO and the SHORT_BUFFER retry included);
// wireBytesOut / wireBytesIn count the bytes copied into and out of the shared memory (the C-APDU,
// the R-APDU). Trace lines: "APDU> …", "TEE TRANSMIT → TEEC_SUCCESS (trusted-app) 10 bytes",
// "APDU< …", "FAIL …".
import type { Clock } from "../clock.js";
import { SystemClock } from "../clock.js";
import { busLock, BusLock } from "../bus/lock.js";
import { DEFAULT_TIMING, emptyStats, type Link, type LinkStats, type LinkTiming } from "../link/link.js";
import { LinkUnsupported } from "../link/errors.js";
import { toHex } from "../../reference/bytes.js";
import { TEEC, TeeError, teeErrorFromResult, teeErrorFromSystem, teeOriginName, teeResultName, type TeeOp } from "./errors.js";
import { loadTeeNative, type TeeNative, type TeeNativeContext, type TeeNativeInvokeResult, type TeeNativeParam } from "./native.js";

/** The TID TA's UUID (tee/ta/tid_ta.h). */
export const TID_TA_UUID = "ee459cd1-d81d-464e-892d-2767e98150dc";

/** TA commands (docs/tee.md "Commands"). */
export const TEE_CMD_TRANSMIT = 0;
export const TEE_CMD_INFO = 1;
/** The largest C-APDU TRANSMIT takes (a short APDU with 255 data bytes and Le) and the largest R-APDU (256 data bytes and the SW). */
export const TEE_MAX_COMMAND = 261;
export const TEE_MAX_RESPONSE = 258;
/** Shared memory per context: room for the C-APDU, the R-APDU and a retry with a larger output. */
export const TEE_SHM_SIZE = 4096;

/** GP login methods: public (no identity), user (the process's uid), group (a gid the process is in). */
export type TeeLogin = "public" | "user" | "group";

const LOGIN: Record<TeeLogin, 0 | 1 | 2> = { public: 0, user: 1, group: 2 };

/** Parameter types of <linux/tee.h>. */
const NONE = 0;
const VALUE_OUTPUT = 2;
const MEMREF_INPUT = 5;
const MEMREF_OUTPUT = 6;

export interface TeeLinkOptions {
  /** The TEE client device; default "/dev/tee0". */
  device?: string;
  /** The trusted application; default TID_TA_UUID. */
  uuid?: string;
  /** Login method; default "public". */
  login?: TeeLogin;
  /** The gid for login "group" (required then, refused otherwise). */
  group?: number;
  /** One line per step; default: stderr when TID_DEBUG includes "hal". */
  trace?: (line: string) => void;
  /** The lock serialising calls; default: the process-wide lock of the device path. */
  lock?: BusLock;
  /** Kept for the Link family's options; a TEE link never waits. Default SystemClock. */
  clock?: Clock;
  /** The addon (tests inject a fake); default: @tid-wasm/tee-client, loaded now. */
  native?: TeeNative;
}

export interface TeeAppletInfo {
  version: { major: number; minor: number };
  /** INFO flags bit 0: built for a development platform without a hardware unique key or secure boot. */
  insecurePlatform: boolean;
  /** INFO flags bit 1 clear: the TA has the shielded-link commands. */
  shieldedLink: boolean;
  lifecycle: "blank" | "personalised" | "locked";
  slots: number;
}

const OPTION_KEYS = ["device", "uuid", "login", "group", "trace", "lock", "clock", "native"] as const;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LIFECYCLES = ["blank", "personalised", "locked"] as const;

/** RFC 4122 text → its 16 octets in network order, as TEE_IOC_OPEN_SESSION takes them. */
export function uuidBytes(uuid: string): Uint8Array {
  if (typeof uuid !== "string") throw new TypeError(`uuid must be a string, got ${typeof uuid}`);
  if (!UUID_RE.test(uuid)) throw new RangeError(`uuid must look like ${TID_TA_UUID}, got ${JSON.stringify(uuid)}`);
  const hex = uuid.replace(/-/g, "");
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function defaultTrace(): ((line: string) => void) | undefined {
  const d = process.env.TID_DEBUG ?? "";
  return /(^|,)\s*(hal|\*|all)\s*(,|$)/.test(d) ? (line) => process.stderr.write(`[tid:hal] ${line}\n`) : undefined;
}

interface ResolvedOptions {
  device: string;
  uuid: string;
  login: TeeLogin;
  group: number | undefined;
  trace: ((line: string) => void) | undefined;
  lock: BusLock;
  clock: Clock;
}

function resolveOptions(options: TeeLinkOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  for (const k of Object.keys(options)) {
    if (!(OPTION_KEYS as readonly string[]).includes(k))
      throw new TypeError(`TeeLink options: unknown field "${k}"; valid fields: ${OPTION_KEYS.join(", ")}`);
  }
  const device = options.device ?? "/dev/tee0";
  if (typeof device !== "string" || device.length === 0 || device.includes("\0")) {
    throw new TypeError(`options.device must be a device path such as "/dev/tee0", got ${JSON.stringify(device)}`);
  }
  const rawUuid = options.uuid ?? TID_TA_UUID;
  uuidBytes(rawUuid);
  const uuid = rawUuid.toLowerCase();
  const login = options.login ?? "public";
  if (!(login in LOGIN)) throw new RangeError(`options.login must be "public", "user" or "group", got ${JSON.stringify(login)}`);
  const group = options.group;
  if (login === "group") {
    if (typeof group !== "number") throw new TypeError(`options.group must be a gid (a number) for login "group", got ${typeof group}`);
    if (!Number.isInteger(group) || group < 0 || group > 0xfffffffe)
      throw new RangeError(`options.group must be an integer gid in 0..4294967294, got ${group}`);
  } else if (group !== undefined) {
    throw new TypeError(`options.group is only for login "group" (login is "${login}")`);
  }
  if (options.trace !== undefined && typeof options.trace !== "function") throw new TypeError("options.trace must be a function");
  if (options.lock !== undefined && !(options.lock instanceof BusLock)) throw new TypeError("options.lock must be a BusLock");
  if (
    options.clock !== undefined &&
    (typeof options.clock !== "object" || options.clock === null || typeof options.clock.now !== "function")
  ) {
    throw new TypeError("options.clock must be a Clock");
  }
  if (
    options.native !== undefined &&
    (typeof options.native !== "object" || options.native === null || typeof options.native.open !== "function")
  ) {
    throw new TypeError("options.native must be the @tid-wasm/tee-client interface");
  }
  return {
    device,
    uuid,
    login,
    group: login === "group" ? group : undefined,
    trace: options.trace ?? defaultTrace(),
    lock: options.lock ?? busLock(device),
    clock: options.clock ?? new SystemClock(),
  };
}

/** What one TRANSMIT attempt asks for next. */
type Step = { done: Uint8Array } | { retry: number };

export class TeeLink implements Link {
  readonly kind = "op-tee" as const;
  /** "/dev/tee0 TA ee459cd1-…". */
  readonly name: string;
  /** DEFAULT_TIMING: a TEE link has no polling or frame timing; present for the Link interface. */
  readonly timing: Readonly<LinkTiming> = DEFAULT_TIMING;
  readonly lock: BusLock;
  readonly clock: Clock;
  readonly device: string;
  readonly uuid: string;
  readonly login: TeeLogin;
  /** TEE_IOC_VERSION's answer: implId 1 is OP-TEE; genCaps bit 0 GlobalPlatform. */
  readonly version: { implId: number; implCaps: number; genCaps: number };
  stats: LinkStats = emptyStats();
  private readonly native: TeeNative;
  private readonly uuidOctets: Uint8Array;
  private readonly group: number | undefined;
  private readonly trace: ((line: string) => void) | undefined;
  private readonly shmSize: number;
  private ctx: TeeNativeContext | null;
  private session: number | null = null;

  /** Use openTeeLink(). */
  private constructor(native: TeeNative, ctx: TeeNativeContext, o: ResolvedOptions) {
    this.native = native;
    this.ctx = ctx;
    this.device = o.device;
    this.uuid = o.uuid;
    this.uuidOctets = uuidBytes(o.uuid);
    this.login = o.login;
    this.group = o.group;
    this.trace = o.trace;
    this.lock = o.lock;
    this.clock = o.clock;
    this.name = `${o.device} TA ${o.uuid}`;
    const v = native.version(ctx);
    this.version = Object.freeze({ implId: v.implId, implCaps: v.implCaps, genCaps: v.genCaps });
    this.shmSize = v.shmSize;
  }

  /** @internal openTeeLink's constructor call, kept off the public type. */
  static open(options: TeeLinkOptions): TeeLink {
    const o = resolveOptions(options);
    const target = `${o.device} TA ${o.uuid}`;
    const native = options.native ?? loadTeeNative(target);
    let ctx: TeeNativeContext;
    try {
      ctx = native.open(o.device, TEE_SHM_SIZE);
    } catch (e) {
      throw systemError(e, target, "open");
    }
    let link: TeeLink;
    try {
      link = new TeeLink(native, ctx, o);
      link.openSession();
    } catch (e) {
      native.close(ctx);
      throw e;
    }
    return link;
  }

  get closed(): boolean {
    return this.ctx === null;
  }

  transceiveSync(apdu: Uint8Array): Uint8Array {
    checkApdu(apdu);
    return this.lock.runSync("transceive", () => {
      this.begin(apdu);
      try {
        let step = this.transmit(apdu, TEE_MAX_RESPONSE, false);
        if ("retry" in step) step = this.transmit(apdu, step.retry, true);
        return this.end((step as { done: Uint8Array }).done);
      } catch (e) {
        return this.fail(e);
      }
    });
  }

  transceive(apdu: Uint8Array): Promise<Uint8Array> {
    try {
      checkApdu(apdu);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.lock.run(async () => {
      this.begin(apdu);
      try {
        let step = await this.transmitAsync(apdu, TEE_MAX_RESPONSE, false);
        if ("retry" in step) step = await this.transmitAsync(apdu, step.retry, true);
        return this.end((step as { done: Uint8Array }).done);
      } catch (e) {
        return this.fail(e);
      }
    });
  }

  atrSync(): Uint8Array {
    throw new LinkUnsupported(this.name, "a TEE link has no answer-to-reset (ATR); use infoSync() for the applet's state");
  }

  atr(): Promise<Uint8Array> {
    return Promise.reject(new LinkUnsupported(this.name, "a TEE link has no answer-to-reset (ATR); use info() for the applet's state"));
  }

  /** INFO: the applet's version, flags, lifecycle and slots. */
  infoSync(): TeeAppletInfo {
    return this.lock.runSync("info", () =>
      this.parseInfo(this.invokeChecked(TEE_CMD_INFO, [VALUE_OUTPUT, VALUE_OUTPUT, NONE, NONE], [null, null, null, null])),
    );
  }

  info(): Promise<TeeAppletInfo> {
    return this.lock.run(async () => {
      const ctx = this.context();
      const session = this.sessionId();
      let r: TeeNativeInvokeResult;
      this.stats.transactions++;
      try {
        r = await this.native.invokeAsync(ctx, session, TEE_CMD_INFO, [VALUE_OUTPUT, VALUE_OUTPUT, NONE, NONE], [null, null, null, null]);
      } catch (e) {
        throw systemError(e, this.name, "invoke");
      }
      return this.parseInfo(this.checkResult(r, "INFO"));
    });
  }

  /** Close and reopen the session: the TA wipes its RAM state (slots, a pending request, chains). */
  resetSync(): void {
    this.lock.runSync("reset", () => this.reopen());
  }

  reset(): Promise<void> {
    return this.lock.run(async () => this.reopen());
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  /** Close the session and the context; idempotent. Later calls throw TeeError CLOSED. */
  close(): void {
    const ctx = this.ctx;
    if (ctx === null) return;
    this.ctx = null;
    if (this.session !== null) {
      try {
        this.native.closeSession(ctx, this.session);
      } catch (e) {
        this.trace?.(`TEE close-session failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.session = null;
    }
    try {
      this.native.close(ctx);
    } catch (e) {
      this.trace?.(`TEE close failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.trace?.("TEE closed");
  }

  // ---------- internals ----------

  private context(): TeeNativeContext {
    if (this.ctx === null) throw new TeeError("CLOSED", this.name, "the link is closed", { op: "invoke" });
    return this.ctx;
  }

  private sessionId(): number {
    this.context();
    if (this.session === null) {
      throw new TeeError("CLOSED", this.name, "the link has no session: the last reset could not reopen it; reset() again or close()", {
        op: "invoke",
      });
    }
    return this.session;
  }

  private openSession(): void {
    const ctx = this.context();
    let r: { result: number; origin: number; session: number };
    try {
      r = this.native.openSession(ctx, this.uuidOctets, LOGIN[this.login], ...(this.group !== undefined ? [this.group] : []));
    } catch (e) {
      throw systemError(e, this.name, "open-session");
    }
    this.trace?.(`TEE open-session → ${teeResultName(r.result)} (${teeOriginName(r.origin) ?? r.origin})`);
    if (r.result !== TEEC.SUCCESS) throw teeErrorFromResult(r.result, r.origin, this.name, "open-session");
    this.session = r.session;
  }

  private reopen(): void {
    const ctx = this.context();
    if (this.session !== null) {
      const s = this.session;
      this.session = null;
      try {
        this.native.closeSession(ctx, s);
      } catch (e) {
        // A session the TEE already dropped (the TA died) cannot be closed again; the new one matters.
        this.trace?.(`TEE close-session failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.trace?.("TEE reset: session closed, reopening");
    this.openSession();
  }

  private invokeChecked(cmd: number, types: number[], params: TeeNativeParam[]): TeeNativeInvokeResult {
    const ctx = this.context();
    const session = this.sessionId();
    this.stats.transactions++;
    let r: TeeNativeInvokeResult;
    try {
      r = this.native.invoke(ctx, session, cmd, types, params);
    } catch (e) {
      throw systemError(e, this.name, "invoke");
    }
    return this.checkResult(r, cmd === TEE_CMD_INFO ? "INFO" : "TRANSMIT");
  }

  private checkResult(r: TeeNativeInvokeResult, what: string): TeeNativeInvokeResult {
    this.trace?.(`TEE ${what} → ${teeResultName(r.result)} (${teeOriginName(r.origin) ?? r.origin})`);
    if (r.result !== TEEC.SUCCESS) throw teeErrorFromResult(r.result, r.origin, this.name, "invoke");
    return r;
  }

  private parseInfo(r: TeeNativeInvokeResult): TeeAppletInfo {
    const p0 = r.params[0] as { a: number; b: number } | null;
    const p1 = r.params[1] as { a: number; b: number } | null;
    if (!p0 || !p1 || typeof p0.a !== "number" || typeof p1.a !== "number") {
      throw new TeeError("IO", this.name, "INFO returned no values", { op: "invoke" });
    }
    const lifecycle = LIFECYCLES[p1.a];
    if (lifecycle === undefined) throw new TeeError("IO", this.name, `INFO returned an unknown lifecycle ${p1.a}`, { op: "invoke" });
    return {
      version: { major: (p0.a >>> 8) & 0xff, minor: p0.a & 0xff },
      insecurePlatform: (p0.b & 1) !== 0,
      shieldedLink: (p0.b & 2) === 0,
      lifecycle,
      slots: p1.b,
    };
  }

  /** The output size a TRANSMIT may use: the shared memory after the C-APDU (8-byte aligned). */
  private maxOutput(apdu: Uint8Array): number {
    return this.shmSize - ((apdu.length + 7) & ~7);
  }

  /** Interprets one TRANSMIT's result: the R-APDU, a retry with the size the TA asks for, or an error. */
  private transmitResult(r: TeeNativeInvokeResult, apdu: Uint8Array, out: Uint8Array, isRetry: boolean): Step {
    const size = (r.params[1] as { size?: number } | null)?.size;
    this.trace?.(
      `TEE TRANSMIT → ${teeResultName(r.result)} (${teeOriginName(r.origin) ?? r.origin})${typeof size === "number" ? ` ${size} bytes` : ""}`,
    );
    if (r.result === TEEC.ERROR_SHORT_BUFFER && !isRetry && typeof size === "number" && size > out.length) {
      if (size > this.maxOutput(apdu)) {
        throw new TeeError(
          "SHORT_BUFFER",
          this.name,
          `the TA asks for ${size} bytes of output; the shared memory has room for ${this.maxOutput(apdu)}`,
          {
            op: "invoke",
            result: r.result,
            ...(teeOriginName(r.origin) ? { origin: teeOriginName(r.origin)! } : {}),
          },
        );
      }
      return { retry: size };
    }
    if (r.result !== TEEC.SUCCESS) throw teeErrorFromResult(r.result, r.origin, this.name, "invoke");
    if (typeof size !== "number" || size < 2 || size > out.length) {
      throw new TeeError("IO", this.name, `TRANSMIT returned ${String(size)} bytes for a buffer of ${out.length}: not an R-APDU`, {
        op: "invoke",
      });
    }
    this.stats.wireBytesIn += size;
    const rsp = out.slice(0, size);
    out.fill(0);
    return { done: rsp };
  }

  /** The arguments of one TRANSMIT with `room` bytes of output, counted as one ioctl. */
  private transmitCall(
    apdu: Uint8Array,
    room: number,
  ): { out: Uint8Array; args: [TeeNativeContext, number, number, number[], TeeNativeParam[]] } {
    const ctx = this.context();
    const session = this.sessionId();
    const out = new Uint8Array(room);
    this.stats.transactions++;
    return { out, args: [ctx, session, TEE_CMD_TRANSMIT, [MEMREF_INPUT, MEMREF_OUTPUT, NONE, NONE], [apdu, out, null, null]] };
  }

  private transmit(apdu: Uint8Array, room: number, isRetry: boolean): Step {
    const { out, args } = this.transmitCall(apdu, room);
    let r: TeeNativeInvokeResult;
    try {
      r = this.native.invoke(...args);
    } catch (e) {
      throw systemError(e, this.name, "invoke");
    }
    return this.afterTransmit(r, apdu, out, isRetry);
  }

  private async transmitAsync(apdu: Uint8Array, room: number, isRetry: boolean): Promise<Step> {
    const { out, args } = this.transmitCall(apdu, room);
    let r: TeeNativeInvokeResult;
    try {
      r = await this.native.invokeAsync(...args);
    } catch (e) {
      throw systemError(e, this.name, "invoke");
    }
    return this.afterTransmit(r, apdu, out, isRetry);
  }

  private afterTransmit(r: TeeNativeInvokeResult, apdu: Uint8Array, out: Uint8Array, isRetry: boolean): Step {
    this.stats.wireBytesOut += apdu.length;
    try {
      return this.transmitResult(r, apdu, out, isRetry);
    } finally {
      out.fill(0);
    }
  }

  private begin(apdu: Uint8Array): void {
    this.stats.exchanges++;
    this.stats.apduBytesOut += apdu.length;
    this.trace?.(`APDU> ${toHex(apdu, " ")}`);
  }

  private end(rsp: Uint8Array): Uint8Array {
    this.stats.apduBytesIn += rsp.length;
    this.trace?.(`APDU< ${toHex(rsp, " ")}`);
    return rsp;
  }

  private fail(e: unknown): never {
    this.stats.failures++;
    this.trace?.(`FAIL ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
}

/** A TeeError stays as it is; anything the addon threw is mapped by its errno. */
function systemError(e: unknown, target: string, op: TeeOp): unknown {
  if (e instanceof TeeError) return e;
  // The addon's own argument checks are bugs here, not TEE conditions: let them through.
  if (e instanceof TypeError || e instanceof RangeError) return e;
  return teeErrorFromSystem(e, target, op);
}

function checkApdu(apdu: unknown): asserts apdu is Uint8Array {
  if (!(apdu instanceof Uint8Array)) throw new TypeError(`apdu must be a Uint8Array, got ${apdu === null ? "null" : typeof apdu}`);
  if (apdu.length > TEE_MAX_COMMAND)
    throw new RangeError(`apdu must be at most ${TEE_MAX_COMMAND} bytes (a short APDU), got ${apdu.length}`);
}

/**
 * Open a TeeLink: the device, its shared memory and a session on the TA.
 * @throws TypeError / RangeError for bad options; TeeError (NO_MODULE, NO_DEVICE, PERMISSION, NOT_GP, TA_NOT_FOUND, NO_SUPPLICANT, BUSY, …)
 */
export function openTeeLink(options: TeeLinkOptions = {}): TeeLink {
  return TeeLink.open(options);
}
