// Shared set-up of the end-to-end tests (test/e2e*.test.ts): a real reference TID auth server on
// loopback (temporary SQLite registry), a user server key pair registered with it, and devices —
// the wasm TidClient with the soft backend, or with the SE backend driving a simulated FM SE over
// the real link drivers on a simulated I2C or SPI bus — each with a fresh identity registered
// through the admin API.
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSimulatedStack, type SimulatedStack } from "../../hal/index.js";
import { startAuthServer, type AuthServer } from "../../server/app/auth-server.js";
import { registerDevice, registerUserServer, type AdminOptions } from "../../server/sdk/admin-client.js";
import { authDevice, destroyAgents, type AuthDeviceResult } from "../../server/sdk/auth-device.js";
import { TidClient, type SoftIdentity } from "../../bindings/client.js";

/** The three device set-ups every end-to-end test runs on. */
export const DEVICES = [
  { name: "soft backend", backend: "soft" },
  { name: "SE backend, simulated FM SE on I2C", backend: "se", bus: "i2c" },
  { name: "SE backend, simulated FM SE on SPI", backend: "se", bus: "spi" },
] as const;
export type DeviceKind = (typeof DEVICES)[number];

export interface Fixture {
  server: AuthServer;
  url: string;
  /** the admin API of the server: its URL and admin token */
  admin: AdminOptions;
  /** the environment `tid provision` / `tid keygen --server` need: $TID_SERVER_ADMIN_TOKEN */
  adminEnv: { TID_SERVER_ADMIN_TOKEN: string };
  userUin: string;
  privateKey: KeyObject;
  dir: string;
  /** authDevice as the registered user server */
  auth(authcode: Uint8Array): Promise<AuthDeviceResult>;
  /** A directory holding the user server's private_key.pem (0600): what `tid auth --user-key DIR` reads. */
  userKeyDir(): string;
  close(): Promise<void>;
}

/** Start the auth server and register one user server (RSA-2048). */
export async function startFixture(options: { now?: () => number } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "tid-e2e-"));
  const server = await startAuthServer({
    dbPath: join(dir, "registry.db"),
    masterKey: new Uint8Array(randomBytes(32)),
    ...(options.now ? { now: options.now } : {}),
  });
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const userUin = "e2e-user";
  const admin = { url: server.url, adminToken: server.adminToken };
  await registerUserServer(admin, userUin, publicKey.export({ type: "spki", format: "pem" }) as string);
  return {
    server,
    url: server.url,
    admin,
    adminEnv: { TID_SERVER_ADMIN_TOKEN: server.adminToken },
    userUin,
    privateKey,
    dir,
    auth: (authcode) => authDevice(userUin, privateKey, authcode, { url: server.url }),
    userKeyDir: () => {
      const keyDir = join(dir, "user-server");
      if (!existsSync(keyDir)) {
        mkdirSync(keyDir);
        writeFileSync(join(keyDir, "private_key.pem"), privateKey.export({ type: "pkcs8", format: "pem" }) as string, { mode: 0o600 });
      }
      return keyDir;
    },
    close: async () => {
      destroyAgents();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Device {
  client: TidClient;
  identity: SoftIdentity;
  stack?: SimulatedStack;
  close(): void;
}

export function newIdentity(): SoftIdentity {
  return { tid: new Uint8Array(randomBytes(8)), psk: new Uint8Array(randomBytes(16)) };
}

/**
 * A device of `kind` with a fresh identity, registered with the server (with `registeredPsk`
 * instead of its own PSK when given; not at all with `register: false`), initialised.
 */
export async function newDevice(
  fx: Fixture,
  kind: DeviceKind,
  options: { now?: () => number; register?: boolean; registeredPsk?: Uint8Array } = {},
): Promise<Device> {
  const identity = newIdentity();
  if (options.register !== false) {
    await registerDevice(fx.admin, { tid: identity.tid, psk: options.registeredPsk ?? identity.psk, label: kind.name });
  }
  let client: TidClient;
  let stack: SimulatedStack | undefined;
  if (kind.backend === "soft") {
    client = await TidClient.create({ backend: "soft", identity, ...(options.now ? { now: options.now } : {}) });
  } else {
    stack = createSimulatedStack({ bus: kind.bus, identity: { ...identity, locked: true } });
    client = await TidClient.create({ backend: "se", unshielded: true, link: stack.link, ...(options.now ? { now: options.now } : {}) });
  }
  client.init();
  return {
    client,
    identity,
    ...(stack ? { stack } : {}),
    close: () => {
      client.close();
      stack?.link.close();
    },
  };
}

/** The TidServerError code of a rejected promise. */
export async function serverCodeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    throw e;
  }
  throw new Error("expected the server to reject the request");
}
