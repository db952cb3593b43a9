// `tid provision` never leaves an identity only one side knows (cli/commands/provision.ts): every
// target problem — a key file or state file whose directory is missing, that exists (without
// --force), that is a directory; an --owner the auth server does not know — fails (exit 1) before
// the TID is registered; a failure to store after registering rolls the registration back (the TID
// is deactivated). The failure after registering is made real with a proxy in front of the auth
// server that, as the registration passes, creates the very file provision is about to write.
// A server that ignores the suite (registers a --suite intl device as SM) is caught the same way.
// `tid keygen --server` likewise asks the server first and takes back a key pair it could not
// register.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tid } from "../support/cli.js";
import { getDevice, getUserServer } from "../../server/sdk/admin-client.js";
import { destroyAgents } from "../../server/sdk/http-client.js";
import { fromHex } from "../../reference/bytes.js";
import { startFixture, type Fixture } from "../support/e2e.js";

/** A proxy to the auth server; `before` runs as each request arrives and may answer it instead. */
interface Proxy {
  url: string;
  before: (req: IncomingMessage, res: ServerResponse) => boolean;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<Proxy> {
  const to = new URL(target);
  const proxy: Proxy = { url: "", before: () => false, close: async () => {} };
  const server: Server = createServer((req, res) => {
    if (proxy.before(req, res)) return;
    const up = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}

let fx: Fixture;
let proxy: Proxy;
let dir: string;
const PW = { TID_KEY_PASSPHRASE: "correct horse battery staple" };
let n = 0;
const nextTid = (): string => `7e57${String(++n).padStart(12, "0")}`;
const notRegistered = async (tidHex: string): Promise<void> => {
  await expect(getDevice(fx.admin, fromHex(tidHex))).rejects.toMatchObject({ code: "UNKNOWN_DEVICE" });
};

beforeAll(async () => {
  fx = await startFixture();
  proxy = await startProxy(fx.url);
  dir = mkdtempSync(join(tmpdir(), "tid-cli-provision-"));
});
afterAll(async () => {
  destroyAgents();
  await proxy?.close();
  await fx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("tid provision: the target is checked before the TID is registered", () => {
  it("key file: a missing directory, an existing file, a directory — exit 1, nothing registered or written", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["--key-file", join(dir, "no-such-dir", "d.key")],
        /--key-file .*d\.key: the directory .*no-such-dir does not exist; create it first/,
      ],
      [["--key-file", join(dir, "exists.key")], /--key-file .*exists\.key exists \(use --force to replace it\)/],
      [["--key-file", join(dir, "a-dir"), "--force"], /--key-file .*a-dir: a directory; --force replaces a file only/],
      [["--key-file", `${dir}/`], /give a file name, not a directory/],
    ];
    writeFileSync(join(dir, "exists.key"), "not mine");
    mkdirSync(join(dir, "a-dir"));
    for (const [target, why] of cases) {
      const tidHex = nextTid();
      const r = await tid(["provision", "--server", fx.url, "--tid", tidHex, ...target, "--json"], { ...PW, ...fx.adminEnv });
      expect([target.join(" "), r.code]).toEqual([target.join(" "), 1]);
      expect(r.json()).toMatchObject({ ok: false, registered: false, stored: false });
      expect(r.json().error).toMatch(why);
      await notRegistered(tidHex);
    }
    expect(readdirSync(dir).sort()).toEqual(["a-dir", "exists.key"]);
  });

  it("simulated SE state file: a missing directory — exit 1, nothing registered", async () => {
    const tidHex = nextTid();
    const r = await tid(
      ["provision", "--server", fx.url, "--tid", tidHex, "--board", "sim-i2c", "--sim-state", join(dir, "nope", "se.json")],
      fx.adminEnv,
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tid provision: --sim-state .*se\.json: the directory .*nope does not exist/);
    await notRegistered(tidHex);
  });

  it("--owner must be a user server the auth server knows", async () => {
    const tidHex = nextTid();
    const keyFile = join(dir, "owned.key");
    const r = await tid(["provision", "--server", fx.url, "--tid", tidHex, "--key-file", keyFile, "--owner", "nobody-here"], {
      ...PW,
      ...fx.adminEnv,
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /--owner nobody-here: .* has no such user server; register it first with `tid keygen DIR --server .* --user nobody-here`/,
    );
    await notRegistered(tidHex);
    expect(existsSync(keyFile)).toBe(false);
    const bad = await tid(["provision", "--server", fx.url, "--key-file", keyFile, "--owner", "no spaces"], { ...PW, ...fx.adminEnv });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--owner must be a user server's UIN/);

    const ok = await tid(["provision", "--server", fx.url, "--tid", tidHex, "--key-file", keyFile, "--owner", fx.userUin, "--json"], {
      ...PW,
      ...fx.adminEnv,
    });
    expect(ok.json()).toMatchObject({ ok: true, registered: true, stored: true });
    expect(await getDevice(fx.admin, fromHex(tidHex))).toMatchObject({ owner: fx.userUin, active: true });
  });
});

describe("tid provision: a failure to store after registering rolls the registration back", () => {
  it("key file: the file appears while the TID is registered → exit 1, TID deactivated, the other file untouched", async () => {
    const tidHex = nextTid();
    const keyFile = join(dir, "raced.key");
    proxy.before = (req) => {
      if (req.method === "POST" && req.url === "/v1/admin/devices") writeFileSync(keyFile, "someone else's");
      return false;
    };
    try {
      const r = await tid(["provision", "--server", proxy.url, "--tid", tidHex, "--key-file", keyFile, "--json"], {
        ...PW,
        ...fx.adminEnv,
      });
      expect(r.code).toBe(1);
      expect(r.json()).toMatchObject({ ok: false, registered: true, stored: false, rollback: "deactivated" });
      expect(r.json().error).toMatch(
        new RegExp(
          `storing TID ${tidHex} failed: .*file exists.*; the registration was rolled back: TID ${tidHex} is deactivated on the server and cannot authenticate`,
        ),
      );
    } finally {
      proxy.before = () => false;
    }
    expect(await getDevice(fx.admin, fromHex(tidHex))).toMatchObject({ active: false });
    expect(readdirSync(dir).filter((f) => f.includes("raced"))).toEqual(["raced.key"]); // no temporary file left
    expect(existsSync(keyFile)).toBe(true);
  });

  it("simulated SE: the state file appears while the TID is registered → exit 1, TID deactivated", async () => {
    const tidHex = nextTid();
    const state = join(dir, "raced.json");
    proxy.before = (req) => {
      if (req.method === "POST" && req.url === "/v1/admin/devices") writeFileSync(state, "{}");
      return false;
    };
    try {
      const r = await tid(
        ["provision", "--server", proxy.url, "--tid", tidHex, "--board", "sim-spi", "--sim-state", state, "--json"],
        fx.adminEnv,
      );
      expect(r.code).toBe(1);
      expect(r.json()).toMatchObject({ ok: false, registered: true, stored: false, rollback: "deactivated" });
    } finally {
      proxy.before = () => false;
    }
    expect(await getDevice(fx.admin, fromHex(tidHex))).toMatchObject({ active: false });
  });

  it("--suite intl to a server that ignores the suite (registers SM): exit 1, TID deactivated, no key file", async () => {
    const tidHex = nextTid();
    const keyFile = join(dir, "suite-ignored.key");
    // the proxy forwards the registration without its "suite", as a server without suites would read it
    proxy.before = (req, res) => {
      if (req.method !== "POST" || req.url !== "/v1/admin/devices") return false;
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
        expect(body.suite).toBe("intl");
        delete body.suite;
        const out = Buffer.from(JSON.stringify(body));
        const to = new URL(fx.url);
        const headers = { ...req.headers, "content-length": String(out.length) };
        const up = request({ host: to.hostname, port: to.port, path: req.url, method: "POST", headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        up.end(out);
      });
      return true;
    };
    try {
      const r = await tid(["provision", "--server", proxy.url, "--tid", tidHex, "--key-file", keyFile, "--suite", "intl", "--json"], {
        ...PW,
        ...fx.adminEnv,
      });
      expect(r.code).toBe(1);
      expect(r.json()).toMatchObject({ ok: false, suite: "intl", registered: true, stored: false, rollback: "deactivated" });
      expect(r.json().error).toMatch(new RegExp(`the auth server registered TID ${tidHex} in suite sm, not intl`));
    } finally {
      proxy.before = () => false;
    }
    expect(await getDevice(fx.admin, fromHex(tidHex))).toMatchObject({ suite: "sm", active: false });
    expect(existsSync(keyFile)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("suite-ignored"))).toEqual([]); // no temporary file left
  });

  it("when the rollback fails too, it says so and what to do by hand", async () => {
    const tidHex = nextTid();
    const keyFile = join(dir, "raced-twice.key");
    proxy.before = (req, res) => {
      if (req.method === "POST" && req.url === "/v1/admin/devices") writeFileSync(keyFile, "someone else's");
      if (req.url?.endsWith("/deactivate")) {
        res
          .writeHead(503, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { code: "SHUTTING_DOWN", message: "going away" } }));
        return true;
      }
      return false;
    };
    try {
      const r = await tid(["provision", "--server", proxy.url, "--tid", tidHex, "--key-file", keyFile, "--json"], {
        ...PW,
        ...fx.adminEnv,
      });
      expect(r.code).toBe(1);
      expect(r.json()).toMatchObject({ ok: false, registered: true, rollback: "failed" });
      expect(r.json().error).toMatch(
        new RegExp(
          `deactivating TID ${tidHex} on the server failed too \\(SHUTTING_DOWN.*\\): deactivate it by hand \\(POST .*/v1/admin/devices/${tidHex}/deactivate\\)`,
        ),
      );
    } finally {
      proxy.before = () => false;
    }
    expect(await getDevice(fx.admin, fromHex(tidHex))).toMatchObject({ active: true }); // as the message says
  });
});

describe("tid keygen --server: asks the server first, takes back what it could not register", () => {
  it("an existing user server needs --force; nothing is written without it", async () => {
    const keys = join(dir, "dup-keys");
    const r = await tid(["keygen", keys, "--server", fx.url, "--user", fx.userUin], fx.adminEnv);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`user server ${fx.userUin} is already registered with .* \\(use --force to replace its key\\)`));
    expect(existsSync(join(keys, "private_key.pem"))).toBe(false);
  });

  it("a server that is not there: exit 1, no key pair left behind", async () => {
    const keys = join(dir, "down-keys");
    const r = await tid(["keygen", keys, "--server", "http://127.0.0.1:9", "--user", "down-user", "--json"], fx.adminEnv);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ ok: false });
    expect(existsSync(join(keys, "private_key.pem"))).toBe(false);
  });

  it("registration refused after the key pair was written: the pair is removed again", async () => {
    const keys = join(dir, "refused-keys");
    proxy.before = (req, res) => {
      if (req.method === "POST" && req.url === "/v1/admin/user-servers") {
        res
          .writeHead(500, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { code: "INTERNAL", message: "disk full" } }));
        return true;
      }
      return false;
    };
    try {
      const r = await tid(["keygen", keys, "--server", proxy.url, "--user", "refused-user"], fx.adminEnv);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/INTERNAL \(HTTP 500\): disk full; the new key pair was removed from /);
    } finally {
      proxy.before = () => false;
    }
    expect(readdirSync(keys)).toEqual([]);
    await expect(getUserServer(fx.admin, "refused-user")).rejects.toMatchObject({ code: "UNKNOWN_USER" });
  });
});
