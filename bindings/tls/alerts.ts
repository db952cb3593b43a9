/**
 * TID-TLS alerts (docs/tls.md "Alerts"): the Alert message of RFC 8446 §6 (level(1) ‖
 * description(1)), the descriptions this protocol sends, and `TidTlsError`, the one error class
 * of a TID-TLS connection. As in TLS 1.3 every alert but close_notify is fatal (§6.2).
 */

/** RFC 8446 §6 AlertDescription values TID-TLS uses (and recognises). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  illegal_parameter: 47,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  internal_error: 80,
  user_canceled: 90,
} as const;

export type AlertName = keyof typeof AlertDescription;

/** RFC 8446 §6 AlertLevel. */
export const AlertLevel = { warning: 1, fatal: 2 } as const;

const NAMES = new Map<number, AlertName>(Object.entries(AlertDescription).map(([k, v]) => [v, k as AlertName]));

/** The name of an alert description, or `alert_<n>` for one this protocol does not name. */
export function alertName(description: number): string {
  return NAMES.get(description) ?? `alert_${description}`;
}

/** The two bytes of an Alert: close_notify and user_canceled at level warning, the rest fatal. */
export function encodeAlert(name: AlertName): Uint8Array {
  const d = AlertDescription[name];
  const level = name === "close_notify" || name === "user_canceled" ? AlertLevel.warning : AlertLevel.fatal;
  return new Uint8Array([level, d]);
}

/**
 * Why a connection failed:
 * - `ERR_TLS_ALERT_SENT`: this side found the fault and sent `alert` to the peer;
 * - `ERR_TLS_ALERT_RECEIVED`: the peer sent the fatal alert `alert`;
 * - `ERR_TLS_TRUNCATED`: the TCP connection ended without close_notify;
 * - `ERR_TLS_HANDSHAKE_TIMEOUT`: the handshake did not finish in time;
 * - `ERR_TLS_CLOSED`: the connection was used after it closed.
 */
export type TidTlsErrorCode =
  "ERR_TLS_ALERT_SENT" | "ERR_TLS_ALERT_RECEIVED" | "ERR_TLS_TRUNCATED" | "ERR_TLS_HANDSHAKE_TIMEOUT" | "ERR_TLS_CLOSED";

export class TidTlsError extends Error {
  readonly code: TidTlsErrorCode;
  /** The alert sent or received (its name, e.g. "bad_record_mac"), or null when none was. */
  readonly alert: string | null;

  constructor(code: TidTlsErrorCode, alert: string | null, message: string, options?: { cause?: unknown }) {
    super(alert === null ? message : `${alert}: ${message}`, options);
    this.name = "TidTlsError";
    this.code = code;
    this.alert = alert;
  }
}

/** A fault this side detected: the connection sends `alert` and fails with this error. */
export function localAlert(alert: AlertName, message: string, cause?: unknown): TidTlsError {
  return new TidTlsError("ERR_TLS_ALERT_SENT", alert, message, cause === undefined ? undefined : { cause });
}
