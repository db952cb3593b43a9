// The auth server's registry as one async interface (docs/server.md "Registry"): devices (TID,
// sealed PSK, active flag, owner, algorithm suite of docs/protocol.md "Algorithm suites"), user
// servers (userUin → RSA public key) and the two replay caches — (TID, Nd) of accepted authcodes
// and (userUin, nonce) of signed requests. Two implementations: SQLite (sqlite.ts, embedded, the
// default) and PostgreSQL (postgres.ts, shared by several server instances). Every write resolves
// only once the transaction that holds it is durable (group commit, group-commit.ts).
import type { SuiteName } from "../../../reference/constants.js";

export type { SuiteName };

export type RegistryErrorCode = "DEVICE_EXISTS" | "USER_EXISTS" | "UNKNOWN_DEVICE" | "UNKNOWN_USER" | "BAD_PUBLIC_KEY";

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  constructor(code: RegistryErrorCode, message: string) {
    super(message);
    this.name = "RegistryError";
    this.code = code;
  }
}

/** A device as the admin API shows it (never the PSK). */
export interface DeviceInfo {
  tid: string;
  active: boolean;
  /** the user server allowed to authenticate it, or null: any registered user server */
  owner: string | null;
  /** the algorithm suite the device was provisioned in: its authcodes must be in it */
  suite: SuiteName;
  label: string | null;
  createdAt: number;
  updatedAt: number;
  lastAuthAt: number | null;
  authCount: number;
}

export interface UserServerInfo {
  userUin: string;
  active: boolean;
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex */
  fingerprint: string;
  createdAt: number;
  updatedAt: number;
}

export interface RegistryOptions {
  /** 32-byte master key that seals the PSKs */
  masterKey: Uint8Array;
  /** Unix seconds (test hook); default the system clock */
  now?: () => number;
}

export interface AddDeviceOptions {
  label?: string | null;
  active?: boolean;
  /**
   * replace (and re-activate) a registered device instead of DEVICE_EXISTS: a new registration
   * in full (label, owner and suite are the ones given now, or their defaults)
   */
  replace?: boolean;
  owner?: string | null;
  /** the device's algorithm suite (docs/protocol.md "Algorithm suites"); default "sm" */
  suite?: SuiteName;
}

/** What the auth server needs of a device to verify its authcode. */
export interface DeviceSecret {
  psk: Uint8Array;
  active: boolean;
  suite: SuiteName;
}

/** What acceptAuthentication did. */
export type AcceptResult = "accepted" | "replayed-request" | "replayed-authcode";

/** One accepted /v1/auth request: its nonce and its authcode's (TID, Nd), each with its expiry. */
export interface Acceptance {
  userUin: string;
  nonce: string;
  nonceExpiresAt: number;
  tid: Uint8Array;
  nd: Uint8Array;
  expiresAt: number;
}

export interface Registry {
  readonly kind: "sqlite" | "postgres";
  /** the SQLite path, or the PostgreSQL URL without its password */
  readonly location: string;
  /** the schema version, read once the migrations ran at open */
  readonly schemaVersion: number;

  /**
   * Register a device. DEVICE_EXISTS unless `replace` (which also re-activates it). TypeError or
   * RangeError (nothing written) for a bad TID, PSK or suite.
   */
  addDevice(tid: Uint8Array, psk: Uint8Array, opts?: AddDeviceOptions): Promise<DeviceInfo>;
  /**
   * The device's PSK, active flag and suite, or undefined when unknown. With `forUser`, a device
   * owned by another user server is unknown too (its existence is not revealed).
   */
  getDevicePsk(tid: Uint8Array, forUser?: string): Promise<DeviceSecret | undefined>;
  describeDevice(tid: Uint8Array): Promise<DeviceInfo | undefined>;
  /** UNKNOWN_DEVICE when not registered. */
  setDeviceActive(tid: Uint8Array, active: boolean): Promise<DeviceInfo>;
  countDevices(): Promise<number>;

  /** Register a user server's RSA public key (PEM, ≥ 2048 bits). USER_EXISTS unless `replace`. */
  addUserServer(userUin: string, publicKeyPem: string, opts?: { replace?: boolean }): Promise<UserServerInfo>;
  /** The user server's public key PEM (normalised SPKI) and active flag, or undefined. */
  getUserServer(userUin: string): Promise<{ publicKeyPem: string; active: boolean } | undefined>;
  describeUserServer(userUin: string): Promise<UserServerInfo | undefined>;
  /** UNKNOWN_USER when not registered. */
  setUserServerActive(userUin: string, active: boolean): Promise<UserServerInfo>;

  /**
   * Remember an accepted authcode's (TID, Nd) until `expiresAt` and count the authentication.
   * Resolves false (and changes nothing) when the pair is already remembered — by this process or
   * any other on the same database (a unique key decides).
   */
  recordAuthentication(tid: Uint8Array, nd: Uint8Array, expiresAt: number): Promise<boolean>;
  /** Remember a signed request's (userUin, nonce) until `expiresAt`; false when already seen. */
  rememberRequestNonce(userUin: string, nonce: string, expiresAt: number): Promise<boolean>;
  /**
   * rememberRequestNonce and then, when the nonce was new, recordAuthentication — in one write
   * (one commit for a request instead of two): "replayed-request" changes nothing,
   * "replayed-authcode" keeps the nonce remembered, "accepted" keeps both and counts.
   */
  acceptAuthentication(a: Acceptance): Promise<AcceptResult>;
  /** Delete replay-cache rows that expired before `now`. */
  pruneExpired(now?: number): Promise<{ authcodes: number; nonces: number }>;
  replayCacheSize(): Promise<{ authcodes: number; nonces: number }>;

  /** Wait for pending writes, then close. */
  close(): Promise<void>;
}
