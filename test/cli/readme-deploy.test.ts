// README.md "Deploy it: auth server, user server, device" stays true: its two shell blocks run as
// written — the first (the auth server, one terminal) in the background until it prints its
// {"listening": …} line, the second (keygen, provision, auth; another terminal) with `set -e` —
// then Ctrl-C (SIGINT to the first block's process group) stops the server with exit 0.
// The README names the three substitutions this test makes, and only these: `npx tid` → `node
// bin/tid.js` (the built repo; package.json's bin is checked to be that file), `~/tid-deploy` → a
// temporary directory, `8080` → a free port.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtTid, ROOT } from "../support/server-child.js";

const SECTION = "## Deploy it: auth server, user server, device";

/** The ```sh blocks of the README's deployment section, in order. */
function deploymentBlocks(readme: string): string[] {
  const start = readme.indexOf(`${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no section "${SECTION}"`);
  const end = readme.indexOf("\n## ", start + SECTION.length);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** The README's substitutions: the built bin/tid.js, a temporary directory, a free port. */
function substitute(block: string, dir: string, port: number): string {
  const out = block
    .replaceAll("npx tid ", `node ${JSON.stringify(builtTid())} `)
    .replaceAll("~/tid-deploy", JSON.stringify(dir))
    .replaceAll("8080", String(port));
  // nothing else of the machine may leak in: no home directory, no other npx call
  expect(out).not.toMatch(/~|\bnpx\b|\$HOME/);
  return out;
}

function freePort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) =>
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    }),
  );
}

const dir = mkdtempSync(join(tmpdir(), "tid-readme-deploy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("README deployment section", () => {
  it("`npx tid` is bin/tid.js: the package's bin", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin.tid).toBe("./bin/tid.js");
  });

  it("runs copy-paste: server, keygen --server --user, provision --owner, auth — then Ctrl-C stops the server", async () => {
    const blocks = deploymentBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toMatch(/npx tid server .*--create-master-key/);
    expect(blocks[1]).toMatch(/npx tid keygen .*--server .*--user /);
    const port = await freePort();
    const deployDir = join(dir, "tid-deploy");

    // terminal 1: the server, in its own process group (as a terminal's foreground job)
    const server = spawn("bash", ["-c", substitute(blocks[0]!, deployDir, port)], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let serverErr = "";
    server.stderr.on("data", (d: Buffer) => (serverErr += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.on("exit", (code) => resolve(code)));
    try {
      const listening = await new Promise<string>((resolve, reject) => {
        let out = "";
        server.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const nl = out.indexOf("\n");
          if (nl >= 0) resolve(out.slice(0, nl));
        });
        server.once("exit", (code) => reject(new Error(`the server block exited with ${code}: ${serverErr}`)));
      });
      const tokenFile = join(deployDir, "tid.db.admin-token");
      expect(JSON.parse(listening)).toEqual({ listening: `http://127.0.0.1:${port}`, port, adminTokenFile: tokenFile });

      // terminal 2: the user server, the device, one authentication
      const script = `set -euo pipefail\n${substitute(blocks[1]!, deployDir, port)}`;
      const client = spawnSync("bash", ["-c", script], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, TID_KEY_PASSPHRASE: undefined },
      });
      expect(client.stderr).toBe("");
      expect(client.status).toBe(0);
      expect(client.stdout).toMatch(new RegExp(`^  registered with http://127\\.0\\.0\\.1:${port} as user server my-backend$`, "m"));
      expect(client.stdout).toMatch(/^provisioned TID [0-9a-f]{16}$/m);
      expect(client.stdout).toMatch(
        new RegExp(`^authenticated TID [0-9a-f]{16} with http://127\\.0\\.0\\.1:${port} \\(user server my-backend\\)$`, "m"),
      );
      expect(client.stdout).toMatch(/token {6}issued; the device and the user server hold the same 16-byte token/);
      expect(readdirSync(deployDir).sort()).toEqual(
        expect.arrayContaining(["device.key", "master.key", "tid.db", "tid.db.admin-token", "user-server"]),
      );
    } finally {
      process.kill(-server.pid!, "SIGINT"); // Ctrl-C
    }
    expect(await exited).toBe(0);
    // the first start's one line: the admin token it made, shown once
    expect(serverErr).toMatch(
      /^tid server: made the admin token, stored in .*tid\.db\.admin-token \(mode 0600; shown only now\): [A-Za-z0-9_-]{43}\n$/,
    );
  });
});
