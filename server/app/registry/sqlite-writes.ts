// Every write of the SQLite registry as data (a WriteOp) and the one function that applies it
// inside the group commit's transaction (sqlite.ts): what each write checks and changes, in one
// place, apart from the transaction handling. Every RegistryError is thrown before its write has
// changed a row, so a refused write needs no savepoint to be undone (the batch goes on).
import type Database from "better-sqlite3";
import { tidHex } from "./common.js";
import { RegistryError, type Acceptance, type SuiteName } from "./types.js";

export type WriteOp =
  | {
      kind: "addDevice";
      tid: Uint8Array;
      sealed: Uint8Array;
      active: boolean;
      label: string | null;
      owner: string | null;
      suite: SuiteName;
      replace: boolean;
    }
  | { kind: "setDeviceActive"; tid: Uint8Array; active: boolean }
  | { kind: "addUserServer"; userUin: string; pem: string; replace: boolean }
  | { kind: "setUserServerActive"; userUin: string; active: boolean }
  | { kind: "recordAuthentication"; tid: Uint8Array; nd: Uint8Array; expiresAt: number }
  | { kind: "rememberRequestNonce"; userUin: string; nonce: string; expiresAt: number }
  | ({ kind: "acceptAuthentication" } & Acceptance)
  | { kind: "prune"; now: number };

/** Prepared statements, made once per connection. */
export type Statements = (sql: string) => Database.Statement;

/** Apply one write (inside the caller's transaction). Throws RegistryError for DEVICE_EXISTS … */
export function applyWrite(stmt: Statements, op: WriteOp, now: number): unknown {
  switch (op.kind) {
    case "addDevice": {
      const t = Buffer.from(op.tid);
      const exists = stmt("SELECT 1 FROM devices WHERE tid = ?").get(t);
      if (exists && !op.replace) throw new RegistryError("DEVICE_EXISTS", `device ${tidHex(t)} is already registered`);
      const values = [Buffer.from(op.sealed), op.active ? 1 : 0, op.label, op.owner, op.suite];
      if (exists)
        stmt("UPDATE devices SET psk_sealed = ?, active = ?, label = ?, owner_uin = ?, suite = ?, updated_at = ? WHERE tid = ?").run(
          ...values,
          now,
          t,
        );
      else
        stmt(
          "INSERT INTO devices (psk_sealed, active, label, owner_uin, suite, created_at, updated_at, tid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ).run(...values, now, now, t);
      return undefined;
    }
    case "setDeviceActive": {
      const r = stmt("UPDATE devices SET active = ?, updated_at = ? WHERE tid = ?").run(op.active ? 1 : 0, now, Buffer.from(op.tid));
      if (r.changes === 0) throw new RegistryError("UNKNOWN_DEVICE", `device ${tidHex(op.tid)} is not registered`);
      return undefined;
    }
    case "addUserServer": {
      const exists = stmt("SELECT 1 FROM user_servers WHERE user_uin = ?").get(op.userUin);
      if (exists && !op.replace) throw new RegistryError("USER_EXISTS", `user server ${op.userUin} is already registered`);
      if (exists)
        stmt("UPDATE user_servers SET public_key_pem = ?, active = 1, updated_at = ? WHERE user_uin = ?").run(op.pem, now, op.userUin);
      else
        stmt("INSERT INTO user_servers (user_uin, public_key_pem, active, created_at, updated_at) VALUES (?, ?, 1, ?, ?)").run(
          op.userUin,
          op.pem,
          now,
          now,
        );
      return undefined;
    }
    case "setUserServerActive": {
      const r = stmt("UPDATE user_servers SET active = ?, updated_at = ? WHERE user_uin = ?").run(op.active ? 1 : 0, now, op.userUin);
      if (r.changes === 0) throw new RegistryError("UNKNOWN_USER", `user server ${op.userUin} is not registered`);
      return undefined;
    }
    case "recordAuthentication":
      return recordAuthentication(stmt, op.tid, op.nd, op.expiresAt, now);
    case "rememberRequestNonce":
      return rememberNonce(stmt, op.userUin, op.nonce, op.expiresAt);
    case "acceptAuthentication":
      if (!rememberNonce(stmt, op.userUin, op.nonce, op.nonceExpiresAt)) return "replayed-request";
      return recordAuthentication(stmt, op.tid, op.nd, op.expiresAt, now) ? "accepted" : "replayed-authcode";
    case "prune":
      return {
        authcodes: stmt("DELETE FROM seen_authcodes WHERE expires_at < ?").run(op.now).changes,
        nonces: stmt("DELETE FROM seen_request_nonces WHERE expires_at < ?").run(op.now).changes,
      };
  }
}

function rememberNonce(stmt: Statements, userUin: string, nonce: string, expiresAt: number): boolean {
  return (
    stmt("INSERT OR IGNORE INTO seen_request_nonces (user_uin, nonce, expires_at) VALUES (?, ?, ?)").run(userUin, nonce, expiresAt)
      .changes === 1
  );
}

function recordAuthentication(stmt: Statements, tid: Uint8Array, nd: Uint8Array, expiresAt: number, now: number): boolean {
  const t = Buffer.from(tid);
  const r = stmt("INSERT OR IGNORE INTO seen_authcodes (tid, nd, expires_at) VALUES (?, ?, ?)").run(t, Buffer.from(nd), expiresAt);
  if (r.changes === 0) return false;
  stmt("UPDATE devices SET last_auth_at = ?, auth_count = auth_count + 1 WHERE tid = ?").run(now, t);
  return true;
}
