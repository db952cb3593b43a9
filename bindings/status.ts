// TypeScript mirror of assembly/status.ts (docs/abi.md "Conventions"). test/device/status.test.ts
// keeps the two equal.

export const Status = {
  OK: 0,
  ERR_BAD_PARAM: -100,
  ERR_BUFFER_TOO_SHORT: -101,
  ERR_BAD_LENGTH: -102,
  ERR_BAD_KEY_INDEX: -103,
  ERR_OUT_OF_BOUNDS: -104,
  ERR_NOT_INITIALISED: -200,
  ERR_NO_PENDING_REQUEST: -201,
  ERR_SLOT_EMPTY: -202,
  ERR_BUSY: -203,
  ERR_TOKEN_IN_SE: -204,
  ERR_WRONG_STATE: -205,
  ERR_BAD_FORMAT: -300,
  ERR_UNSUPPORTED_VERSION: -301,
  ERR_UNSUPPORTED_ALGORITHM: -302,
  ERR_TID_MISMATCH: -303,
  ERR_VERIFY_FAILED: -304,
  ERR_REPLAY: -305,
  ERR_BAD_POINT: -400,
  ERR_RNG_FAILED: -401,
  ERR_BAD_SCALAR: -402,
  ERR_BAD_PADDING: -403,
  ERR_CLOCK_FAILED: -404,
  ERR_SE_TIMEOUT: -500,
  ERR_SE_NACK: -501,
  ERR_SE_CHECKSUM: -502,
  ERR_SE_STATUS_WORD: -503,
  ERR_SE_IO: -504,
  ERR_SE_NOT_CONFIGURED: -505,
  ERR_SE_NOT_AUTHENTIC: -506,
  ERR_SE_SESSION_LOST: -507,
  ERR_SE_BAD_MAC: -508,
} as const;

export type StatusName = keyof typeof Status;
export type StatusCode = (typeof Status)[StatusName];

export type StatusLayer = "ok" | "argument" | "state" | "protocol" | "crypto" | "se";

const nameByCode = new Map<number, StatusName>((Object.keys(Status) as StatusName[]).map((name) => [Status[name], name]));

/** The symbolic name of a status code, or `UNKNOWN(<code>)`. */
export function statusName(code: number): string {
  return nameByCode.get(code) ?? `UNKNOWN(${code})`;
}

/** The layer a status belongs to (docs/abi.md "Conventions": codes are grouped by hundreds). */
export function statusLayer(code: number): StatusLayer {
  if (code === 0) return "ok";
  const group = Math.floor(-code / 100);
  return (["ok", "argument", "state", "protocol", "crypto", "se"] as const)[group] ?? "se";
}
