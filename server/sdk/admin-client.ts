// Client side of the auth server's admin endpoints (docs/server.md "Admin API"), for
// provisioning tools and tests: register devices (with their algorithm suite, docs/protocol.md
// "Algorithm suites") and user servers, look them up, (de)activate a device. Every call carries
// the admin token (`tid server` keeps it in REGISTRY.admin-token).
import { requestJson, type HttpClientOptions } from "./http-client.js";
import { toHex } from "../../reference/bytes.js";
import { requireBytes, requireSuite } from "../../reference/codec.js";
import { PSK_SIZE, TID_SIZE, type SuiteName } from "../../reference/constants.js";

export interface AdminOptions extends HttpClientOptions {
  /** the auth server's base URL */
  url: string;
  /** the auth server's admin token, sent as Authorization: Bearer … */
  adminToken: string;
}

function target(options: AdminOptions, path: string): [URL, HttpClientOptions] {
  const u = new URL(options.url);
  u.pathname = u.pathname.replace(/\/+$/, "") + path;
  if (typeof options.adminToken !== "string" || options.adminToken.length === 0)
    throw new TypeError("adminToken must be the auth server's admin token (tid server keeps it in REGISTRY.admin-token)");
  const headers = { ...options.headers, authorization: `Bearer ${options.adminToken}` };
  return [u, { ...options, headers }];
}

/**
 * Register a device (POST /v1/admin/devices); resolves with the device as the server shows it.
 * TypeError / RangeError before anything is sent for a bad TID, PSK or suite.
 */
export function registerDevice(
  options: AdminOptions,
  device: {
    tid: Uint8Array;
    psk: Uint8Array;
    label?: string;
    active?: boolean;
    replace?: boolean;
    /** the one user server allowed to authenticate the device (default: any registered one) */
    owner?: string;
    /** the algorithm suite the device was provisioned in: "sm" (default) or "intl" */
    suite?: SuiteName;
  },
): Promise<Record<string, unknown>> {
  requireBytes("tid", device.tid, TID_SIZE);
  requireBytes("psk", device.psk, PSK_SIZE);
  if (device.suite !== undefined) requireSuite("suite", device.suite);
  const [u, o] = target(options, "/v1/admin/devices");
  return requestJson(
    "POST",
    u,
    {
      tid: toHex(device.tid),
      psk: toHex(device.psk),
      label: device.label,
      active: device.active,
      replace: device.replace,
      owner: device.owner,
      suite: device.suite,
    },
    o,
  );
}

export function setDeviceActive(options: AdminOptions, tid: Uint8Array, active: boolean): Promise<Record<string, unknown>> {
  const [u, o] = target(options, `/v1/admin/devices/${toHex(tid)}/${active ? "activate" : "deactivate"}`);
  return requestJson("POST", u, {}, o);
}

export function getDevice(options: AdminOptions, tid: Uint8Array): Promise<Record<string, unknown>> {
  const [u, o] = target(options, `/v1/admin/devices/${toHex(tid)}`);
  return requestJson("GET", u, undefined, o);
}

/** A registered user server (userUin, active, fingerprint, …); TidServerError UNKNOWN_USER when there is none. */
export function getUserServer(options: AdminOptions, userUin: string): Promise<Record<string, unknown>> {
  const [u, o] = target(options, `/v1/admin/user-servers/${encodeURIComponent(userUin)}`);
  return requestJson("GET", u, undefined, o);
}

export function registerUserServer(
  options: AdminOptions,
  userUin: string,
  publicKeyPem: string,
  replace?: boolean,
): Promise<Record<string, unknown>> {
  const [u, o] = target(options, "/v1/admin/user-servers");
  return requestJson("POST", u, { userUin, publicKeyPem, replace }, o);
}
