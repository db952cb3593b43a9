// examples/python-user-server (tid_user_server.py, standard library + `cryptography`) against the
// reference auth server: it signs the request (RSA-PSS, the audience bound), calls /v1/auth and
// decrypts the token (RSA-OAEP), and the device (the node:crypto reference) derives the same token
// from the server data it relays; the keep-session flag gives no token; a refusal comes back with
// the server's code; SM4-ECB under the token matches the device's sym_crypto; a private key others
// may read is refused. Without python3 or its `cryptography` package the suite is skipped and says
// what to install.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyAgents, keygen, registerDevice, registerUserServer, sm4Decrypt } from "../../server/sdk/index.js";
import { startAuthServer, type AuthServer } from "../../server/app/index.js";
import { buildAuthcode, finishDevice } from "../../reference/index.js";
import { fromHex, toHex } from "../../reference/bytes.js";
import { ROOT } from "../support/server-child.js";

const SCRIPT = join(ROOT, "examples", "python-user-server", "tid_user_server.py");

function pythonMissing(): string | undefined {
  const probe = spawnSync("python3", ["-c", "import cryptography.hazmat.primitives.asymmetric.rsa, urllib.request"], { encoding: "utf8" });
  if (probe.error) return "python3 is not installed (apt-get install python3 python3-cryptography)";
  if (probe.status !== 0)
    return "python3 has no `cryptography` package (apt-get install python3-cryptography, or pip install cryptography)";
  return undefined;
}
const missing = pythonMissing();
const suite = missing ? describe.skip : describe;
if (missing) console.warn(`test/server/python-user-server.test.ts skipped: ${missing}`);

const dir = mkdtempSync(join(tmpdir(), "tid-python-"));
const userUin = "python-backend";
const tid = new Uint8Array(Buffer.from("7079000000000001", "hex"));
const psk = new Uint8Array(randomBytes(16));
let server: AuthServer;
let keyPath: string;

/**
 * Run the example as a program; its JSON document and exit code. (Asynchronously: the auth server
 * runs in this process and must answer meanwhile.)
 */
function python(args: string[]): Promise<{ code: number | null; out: Record<string, unknown>; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", [SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      let out: Record<string, unknown>;
      try {
        out = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        out = { unparsed: stdout };
      }
      resolve({ code, out, err });
    });
  });
}

const authArgs = (authcode: Uint8Array, extra: string[] = [], key = keyPath) => [
  "--server",
  server.url,
  "--user",
  userUin,
  "--key",
  key,
  "--authcode",
  toHex(authcode),
  ...extra,
];
const now = () => Math.floor(Date.now() / 1000);

suite(missing ? `examples/python-user-server: skipped, ${missing}` : "examples/python-user-server against the reference server", () => {
  beforeAll(async () => {
    server = await startAuthServer({ dbPath: join(dir, "r.db"), masterKey: new Uint8Array(randomBytes(32)) });
    const keys = keygen(join(dir, "keys"));
    keyPath = keys.privateKeyPath;
    const admin = { url: server.url, adminToken: server.adminToken };
    await registerUserServer(admin, userUin, keys.publicKeyPem);
    await registerDevice(admin, { tid, psk, owner: userUin });
  });
  afterAll(async () => {
    destroyAgents();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("authenticates a device: the Python user server and the device hold the same token", async () => {
    const { authcode, pending } = buildAuthcode({ tid, psk, time: now() });
    const block = "00112233445566778899aabbccddeeff";
    const r = await python(authArgs(authcode, ["--sm4-block", block]));
    expect(r.code, r.err).toBe(0);
    expect(r.out.ok).toBe(true);
    const device = finishDevice({ tid, psk, pending, serverData: fromHex(r.out.serverData as string) });
    expect(toHex(device.token!)).toBe(r.out.token);
    // SM4-ECB under the token: what the device's sym_crypto decrypts
    expect(toHex(sm4Decrypt(device.token!, fromHex(r.out.sm4Block as string)))).toBe(block);
  });

  it("keep-session: server data without a token", async () => {
    const { authcode, pending } = buildAuthcode({ tid, psk, time: now(), flags: 1 });
    const r = await python(authArgs(authcode));
    expect(r.code, r.err).toBe(0);
    expect(r.out.token).toBeNull();
    expect(finishDevice({ tid, psk, pending, serverData: fromHex(r.out.serverData as string) }).token).toBeNull();
  });

  it("a refusal carries the server's code: a replayed authcode, a wrong PSK", async () => {
    const { authcode } = buildAuthcode({ tid, psk, time: now() });
    expect((await python(authArgs(authcode))).code).toBe(0);
    const again = await python(authArgs(authcode));
    expect([again.code, again.out.code, again.out.status]).toEqual([1, "REPLAY", 409]);
    const wrong = await python(authArgs(buildAuthcode({ tid, psk: new Uint8Array(16), time: now() }).authcode));
    expect([wrong.code, wrong.out.code]).toEqual([1, "VERIFY_FAILED"]);
  });

  it("the signature is bound to the server it names: the audience is the URL's origin", () => {
    const check = spawnSync(
      "python3",
      [
        "-c",
        "import sys; sys.path.insert(0, sys.argv[1]); import tid_user_server as t; print(t.audience_of(sys.argv[2]), t.audience_of('https://TID.example:443/base/'), t.audience_of('http://[::1]:80'))",
        join(ROOT, "examples", "python-user-server"),
        `${server.url}/`,
      ],
      { encoding: "utf8" },
    );
    expect(check.stdout.trim()).toBe(`${server.url} https://tid.example http://[::1]`);
    expect(server.audiences).toContain(server.url);
  });

  it("a private key that others may read is refused, with the chmod to run", async () => {
    const open = join(dir, "open_private_key.pem");
    copyFileSync(keyPath, open);
    chmodSync(open, 0o644);
    const r = await python(authArgs(buildAuthcode({ tid, psk, time: now() }).authcode, [], open));
    expect(r.code).toBe(1);
    expect(r.out.error).toMatch(/mode 644 lets others read the user server's private key; run `chmod 600 /);
    expect(readFileSync(open, "utf8")).toMatch(/PRIVATE KEY/);
  });
});
