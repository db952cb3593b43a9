// The auth server's durable registry (server/app/registry.ts): WAL + synchronous=FULL, PSKs sealed
// under the master key, schema version, replay caches that survive a reopen.
import Database from "better-sqlite3";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createMasterKeyFile, readMasterKeyFile, Registry, SCHEMA_VERSION } from "../../server/app/index.js";

const dir = mkdtempSync(join(tmpdir(), "tid-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const masterKey = new Uint8Array(randomBytes(32));
const tid = new Uint8Array(Buffer.from("671007e10029b0a2", "hex"));
const psk = new Uint8Array(Buffer.from("00112233445566778899aabbccddeeff", "hex"));
const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = publicKey.export({ type: "spki", format: "pem" }) as string;

describe("Registry", () => {
  it("creates the schema in WAL mode with synchronous=FULL", () => {
    const path = join(dir, "a.db");
    const r = Registry.open(path, { masterKey });
    expect(r.schemaVersion).toBe(SCHEMA_VERSION);
    r.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it("devices: add, duplicate, lookup, deactivate, replace; the PSK is never stored in clear", () => {
    const path = join(dir, "b.db");
    const r = Registry.open(path, { masterKey, now: () => 1000 });
    const info = r.addDevice(tid, psk, { label: "lock-1" });
    expect(info).toMatchObject({ tid: "671007e10029b0a2", active: true, label: "lock-1", createdAt: 1000, authCount: 0 });
    expect(() => r.addDevice(tid, psk)).toThrow(expect.objectContaining({ code: "DEVICE_EXISTS" }));
    expect(Buffer.from(r.getDevicePsk(tid)!.psk).toString("hex")).toBe("00112233445566778899aabbccddeeff");
    expect(r.setDeviceActive(tid, false).active).toBe(false);
    expect(r.getDevicePsk(tid)!.active).toBe(false);
    expect(() => r.setDeviceActive(new Uint8Array(8), true)).toThrow(expect.objectContaining({ code: "UNKNOWN_DEVICE" }));
    expect(r.addDevice(tid, psk, { replace: true }).active).toBe(true);
    expect(r.getDevicePsk(new Uint8Array(8))).toBeUndefined();
    r.close();
    for (const f of [path, path + "-wal"]) {
      try {
        expect(readFileSync(f).includes(Buffer.from(psk))).toBe(false);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
  });

  it("a sealed PSK is bound to its TID (moving it to another row fails)", () => {
    const path = join(dir, "c.db");
    const r = Registry.open(path, { masterKey });
    const other = new Uint8Array(8).fill(9);
    r.addDevice(tid, psk);
    r.addDevice(other, new Uint8Array(16).fill(1));
    r.close();
    const db = new Database(path);
    db.prepare("UPDATE devices SET psk_sealed = (SELECT psk_sealed FROM devices WHERE tid = ?) WHERE tid = ?").run(
      Buffer.from(tid),
      Buffer.from(other),
    );
    db.close();
    const r2 = Registry.open(path, { masterKey });
    expect(() => r2.getDevicePsk(other)).toThrow(/does not open/);
    r2.close();
  });

  it("device owners: only the owner sees an owned device; a version 1 database is migrated", () => {
    const path = join(dir, "owners.db");
    const r = Registry.open(path, { masterKey });
    const owned = new Uint8Array(8).fill(7);
    expect(r.addDevice(owned, psk, { owner: "maker-a" }).owner).toBe("maker-a");
    expect(r.getDevicePsk(owned, "maker-a")).toBeDefined();
    expect(r.getDevicePsk(owned, "maker-b")).toBeUndefined();
    expect(r.getDevicePsk(owned)).toBeDefined(); // admin view: no user given
    r.close();
    // a database of schema version 1 (no owner column) with a device in it
    const db = new Database(path);
    db.exec("ALTER TABLE devices DROP COLUMN owner_uin");
    db.pragma("user_version = 1");
    db.close();
    const r2 = Registry.open(path, { masterKey });
    expect(r2.schemaVersion).toBe(2);
    expect(r2.describeDevice(owned)!.owner).toBeNull(); // old devices: open to every user server
    expect(r2.getDevicePsk(owned, "maker-b")).toBeDefined();
    r2.close();
  });

  it("refuses a wrong master key and a newer schema", () => {
    const path = join(dir, "d.db");
    Registry.open(path, { masterKey }).close();
    expect(() => Registry.open(path, { masterKey: new Uint8Array(32) })).toThrow(/master key does not match/);
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => Registry.open(path, { masterKey })).toThrow(/newer than this server/);
  });

  it("user servers: RSA ≥ 2048 only, fingerprint, deactivate", () => {
    const r = Registry.open(join(dir, "e.db"), { masterKey });
    const info = r.addUserServer("100000000001", pem);
    expect(info.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(() => r.addUserServer("100000000001", pem)).toThrow(expect.objectContaining({ code: "USER_EXISTS" }));
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }) as string;
    expect(() => r.addUserServer("u2", small)).toThrow(expect.objectContaining({ code: "BAD_PUBLIC_KEY" }));
    expect(() => r.addUserServer("u3", "not a key")).toThrow(expect.objectContaining({ code: "BAD_PUBLIC_KEY" }));
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }) as string;
    expect(() => r.addUserServer("u4", ec)).toThrow(expect.objectContaining({ code: "BAD_PUBLIC_KEY" }));
    expect(r.setUserServerActive("100000000001", false).active).toBe(false);
    expect(r.getUserServer("100000000001")!.active).toBe(false);
    r.close();
  });

  it("replay caches survive a reopen and expire", () => {
    const path = join(dir, "f.db");
    let t = 5000;
    const r = Registry.open(path, { masterKey, now: () => t });
    r.addDevice(tid, psk);
    const nd = new Uint8Array(16).fill(3);
    expect(r.recordAuthentication(tid, nd, t + 301)).toBe(true);
    expect(r.recordAuthentication(tid, nd, t + 301)).toBe(false);
    expect(r.rememberRequestNonce("u", "nonce-0123456789", t + 301)).toBe(true);
    r.close();
    const r2 = Registry.open(path, { masterKey, now: () => t });
    expect(r2.recordAuthentication(tid, nd, t + 301)).toBe(false);
    expect(r2.rememberRequestNonce("u", "nonce-0123456789", t + 301)).toBe(false);
    expect(r2.describeDevice(tid)!.authCount).toBe(1);
    t += 302;
    expect(r2.pruneExpired()).toEqual({ authcodes: 1, nonces: 1 });
    expect(r2.replayCacheSize()).toEqual({ authcodes: 0, nonces: 0 });
    expect(r2.integrityCheck()).toBe("ok");
    r2.close();
  });

  it("master key files: created 0600, 64 hex characters", () => {
    const p = join(dir, "master.key");
    const k = createMasterKeyFile(p);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readMasterKeyFile(p)).equals(Buffer.from(k))).toBe(true);
    expect(() => createMasterKeyFile(p)).toThrow();
    writeFileSync(join(dir, "bad.key"), "abc", { mode: 0o600 });
    expect(() => readMasterKeyFile(join(dir, "bad.key"))).toThrow(/64 hex/);
  });

  it("a master key file that group or others can access is refused (it unseals every PSK)", () => {
    const p = join(dir, "open.key");
    createMasterKeyFile(p);
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602]) {
      chmodSync(p, mode);
      expect(() => readMasterKeyFile(p), mode.toString(8)).toThrow(/chmod 600/);
    }
    chmodSync(p, 0o400);
    expect(readMasterKeyFile(p).length).toBe(32);
    expect(() => readMasterKeyFile(dir)).toThrow(/not a regular file/);
  });
});
