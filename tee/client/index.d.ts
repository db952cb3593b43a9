// Types of @tid-wasm/tee-client, the Node-API addon over the Linux TEE client ioctls
// (<linux/tee.h>; the GlobalPlatform TEE Client API's contexts, sessions and operations).
// See README.md for the semantics of every call.

/** An open TEE context: the device's file descriptor and its shared-memory buffer. */
export type TeeContext = { readonly __teeContext: unique symbol };

/** TEE_IOC_VERSION's answer, and the size of the context's shared memory. */
export interface TeeVersion {
  /** TEE_IMPL_ID_OPTEE = 1, TEE_IMPL_ID_AMDTEE = 2, … */
  implId: number;
  /** Implementation capabilities (OP-TEE: TEE_OPTEE_CAP_TZ = 1). */
  implCaps: number;
  /** TEE_GEN_CAP_GP = 1, _PRIVILEGED = 2, _REG_MEM = 4, _MEMREF_NULL = 8. */
  genCaps: number;
  /** Bytes of shared memory the kernel allocated for the context. */
  shmSize: number;
}

/** A TEE result: `result` is a TEEC_Result (0 = success), `origin` a TEEC_ORIGIN_* (1 api, 2 comms, 3 tee, 4 trusted app). */
export interface TeeResult {
  result: number;
  origin: number;
}

export interface TeeOpenSessionResult extends TeeResult {
  /** The session ID (meaningful when result is 0). */
  session: number;
}

/** Parameter types: 0 none, 1..3 value input/output/inout, 5..7 memref input/output/inout (4 is not a type). */
export type TeeParamType = 0 | 1 | 2 | 3 | 5 | 6 | 7;

/** A parameter: null for NONE (and allowed for VALUE_OUTPUT), { a, b } for values (u32), a Uint8Array for memrefs. */
export type TeeParam = null | undefined | { a: number; b: number } | Uint8Array;

/** After the call: { a, b } for value parameters, { size } for memrefs (the TEE's size: bytes written, or needed on SHORT_BUFFER), null for NONE. */
export type TeeParamOut = null | { a: number; b: number } | { size: number };

export interface TeeInvokeResult extends TeeResult {
  params: [TeeParamOut, TeeParamOut, TeeParamOut, TeeParamOut];
}

/** Open the device (e.g. "/dev/tee0"), check it is a GlobalPlatform TEE, and allocate `shmSize` (1..1048576) bytes of shared memory. */
export function open(device: string, shmSize: number): TeeContext;
export function version(ctx: TeeContext): TeeVersion;
/** Open a session: login 0 public, 1 user, 2 group (then `gid` is required). */
export function openSession(ctx: TeeContext, uuid: Uint8Array, login: 0 | 1 | 2, gid?: number): TeeOpenSessionResult;
/** TEE_IOC_INVOKE on the calling thread. */
export function invoke(ctx: TeeContext, session: number, cmd: number, types: TeeParamType[], params: TeeParam[]): TeeInvokeResult;
/** TEE_IOC_INVOKE on a libuv worker thread; output memrefs are filled before the Promise resolves. */
export function invokeAsync(
  ctx: TeeContext,
  session: number,
  cmd: number,
  types: TeeParamType[],
  params: TeeParam[],
): Promise<TeeInvokeResult>;
export function cancel(ctx: TeeContext, session: number, cancelId: number): void;
export function closeSession(ctx: TeeContext, session: number): void;
/** Unmap the shared memory and close the device; idempotent. */
export function close(ctx: TeeContext): void;
