// The packages as their users get them (package.json "files" and "exports", server/package.json):
// `npm pack` of the root package (what a device installs) and of the @tid-wasm/server workspace,
// then `npm install` of each tarball into a fresh app, as a new user would. Checks: the file lists
// (no benchmarks, source maps, tests, nor the auth server in the device package); the device
// install brings no better-sqlite3 (so no SQLite build) and keeps the native bus packages
// optional; the installed `tid` command starts; the README's first TypeScript snippet compiles
// under `strict` with lib ES2022 only (no DOM) against the installed types; the server package
// works on its own, with the reference/ modules it imports packed inside it.
// Needs `npm run build` first (npm test does it). Installs use the npm cache (--prefer-offline)
// and --ignore-scripts: what is checked is the dependency tree, which scripts do not change.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

interface PackResult {
  tarball: string;
  files: string[];
  manifest: Record<string, any>;
}

/** The environment for a child npm: without the settings an enclosing `npm test` passes down. */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_cache", "npm_config_userconfig", "npm_config_registry"]);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_") || keep.has(k.toLowerCase())));
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, env: npmEnv(), encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) could not start: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`.trim());
  }
  return r.stdout;
}

function pack(args: string[], dest: string): PackResult {
  const out = run(NPM, ["pack", ...args, "--ignore-scripts", "--json", "--pack-destination", dest], ROOT);
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack ${args.join(" ")} printed no package: ${out}`);
  const tarball = join(dest, info.filename);
  // The manifest as packed (npm may normalise it), read back from the tarball.
  const manifest = JSON.parse(run("tar", ["-xOzf", tarball, "package/package.json"], dest));
  return { tarball, files: info.files.map((f) => f.path).sort(), manifest };
}

function freshApp(dir: string, tarball: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "fresh-app", version: "1.0.0", private: true, type: "module" }, null, 2));
  run(NPM, ["install", tarball, "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], dir);
  return dir;
}

/** The first ```ts block of README.md: the device snippet. */
function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const m = /^```ts\n([\s\S]*?)^```/m.exec(readme);
  if (!m) throw new Error("README.md has no ```ts code block");
  return m[1]!;
}

const REQUIRED_BUILD = [
  "build/release.wasm",
  "build/portable.wasm",
  "dist/bindings/index.js",
  "dist/hal/index.js",
  "dist/cli/main.js",
  "server/dist/server/sdk/index.js",
];

let work = "";
let device: PackResult;
let server: PackResult;

beforeAll(() => {
  const missing = REQUIRED_BUILD.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length > 0) throw new Error(`the package test needs a build: ${missing.join(", ")} missing; run \`npm run build\` first`);
  work = mkdtempSync(join(tmpdir(), "tid-pack-"));
  device = pack([], work);
  server = pack(["-w", "server"], work);
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the device package (tid-wasm)", () => {
  it("packs the device's code and no benchmarks, source maps, tests, test build, nor the auth server", () => {
    const unwanted = device.files.filter(
      (f) => f.startsWith("dist/bench/") || f.endsWith(".map") || f.startsWith("dist/server/app/") || /(^|\/)test(\/|\.wasm$)/.test(f),
    );
    expect(unwanted, "files that must not be in the device package").toEqual([]);
    for (const f of [
      "package.json",
      "README.md",
      "bin/tid.js",
      "build/release.wasm",
      "build/debug.wasm",
      "build/portable.wasm",
      "dist/bindings/index.js",
      "dist/bindings/index.d.ts",
      "dist/hal/index.js",
      "dist/bindings/tls/index.js",
      "dist/bindings/tls/index.d.ts",
      "dist/cli/main.js",
      "dist/server/sdk/index.js",
    ]) {
      expect(device.files, `the device package must contain ${f}`).toContain(f);
    }
  });

  it("declares no better-sqlite3, keeps the bus packages optional, and exports no server entry", () => {
    const m = device.manifest;
    for (const field of ["dependencies", "optionalDependencies", "peerDependencies"]) {
      expect(Object.keys(m[field] ?? {}), `${field} of tid-wasm`).not.toContain("better-sqlite3");
    }
    expect(Object.keys(m.optionalDependencies ?? {}).sort()).toEqual(["@tid-wasm/tee-client", "i2c-bus", "spi-device"]);
    // the TEE client addon ships as C source inside the package (tee/client/README.md): built at install where it can be
    expect(m.optionalDependencies["@tid-wasm/tee-client"]).toBe("file:tee/client");
    expect(device.files.filter((f) => f.startsWith("tee/")).sort()).toEqual([
      "tee/client/README.md",
      "tee/client/binding.gyp",
      "tee/client/index.d.ts",
      "tee/client/index.js",
      "tee/client/package.json",
      "tee/client/src/tee_client.c",
    ]);
    expect(Object.keys(m.dependencies ?? {})).not.toContain("i2c-bus");
    expect(Object.keys(m.dependencies ?? {})).not.toContain("spi-device");
    expect(Object.keys(m.exports)).not.toContain("./server");
    // the wasm builds a host may load directly (docs/abi.md "Build targets")
    expect(m.exports).toMatchObject({
      "./wasm/release": "./build/release.wasm",
      "./wasm/debug": "./build/debug.wasm",
      "./wasm/portable": "./build/portable.wasm",
      "./tls": { types: "./dist/bindings/tls/index.d.ts", default: "./dist/bindings/tls/index.js" },
    });
  });

  describe("installed in a fresh app", () => {
    let app = "";
    beforeAll(() => {
      app = freshApp(join(work, "device-app"), device.tarball);
    }, 90_000);

    it("brings no better-sqlite3, so nothing builds SQLite", () => {
      expect(existsSync(join(app, "node_modules", "tid-wasm", "package.json")), "tid-wasm installed").toBe(true);
      expect(existsSync(join(app, "node_modules", "better-sqlite3")), "node_modules/better-sqlite3 in a device install").toBe(false);
      const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
      expect(
        Object.keys(lock.packages).filter((p) => p.endsWith("/better-sqlite3")),
        "better-sqlite3 in the app's lock",
      ).toEqual([]);
    });

    it("keeps i2c-bus and spi-device optional in the installed manifest", () => {
      const installed = JSON.parse(readFileSync(join(app, "node_modules", "tid-wasm", "package.json"), "utf8"));
      expect(installed.optionalDependencies).toMatchObject({ "i2c-bus": expect.any(String), "spi-device": expect.any(String) });
      expect(installed.dependencies ?? {}).not.toHaveProperty("i2c-bus");
      expect(installed.dependencies ?? {}).not.toHaveProperty("spi-device");
      // the file: spec of the TEE addon resolves inside the installed package
      expect(realpathSync(join(app, "node_modules", "@tid-wasm", "tee-client"))).toBe(
        realpathSync(join(app, "node_modules", "tid-wasm", "tee", "client")),
      );
    });

    it("runs the installed tid command without the auth server package", () => {
      const out = run(process.execPath, [join(app, "node_modules", "tid-wasm", "bin", "tid.js"), "--version"], app);
      expect(out.trim()).toBe(`tid-wasm ${device.manifest.version}`);
    });

    it("compiles the README's device snippet under strict with lib ES2022 (no DOM)", () => {
      writeFileSync(join(app, "snippet.ts"), readmeSnippet());
      writeFileSync(
        join(app, "tsconfig.json"),
        JSON.stringify(
          {
            compilerOptions: {
              strict: true,
              target: "ES2022",
              lib: ["ES2022"],
              module: "NodeNext",
              moduleResolution: "NodeNext",
              types: ["node"],
              // @types/node from the repo, so the check needs no download.
              typeRoots: [join(ROOT, "node_modules", "@types")],
              noEmit: true,
            },
            files: ["snippet.ts"],
          },
          null,
          2,
        ),
      );
      const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(app, "tsconfig.json")], {
        cwd: app,
        encoding: "utf8",
      });
      expect(`${tsc.stdout}${tsc.stderr}`.trim(), "tsc errors for README's first ```ts block in a fresh app").toBe("");
      expect(tsc.status).toBe(0);
    });
  });
});

describe("the server package (@tid-wasm/server)", () => {
  it("packs the SDK, the auth server and the reference/ modules they import, without source maps", () => {
    expect(server.manifest.name).toBe("@tid-wasm/server");
    expect(server.files.filter((f) => f.endsWith(".map") || f.startsWith("test/") || f.startsWith("dist/bench/"))).toEqual([]);
    for (const f of [
      "package.json",
      "dist/server/sdk/index.js",
      "dist/server/sdk/index.d.ts",
      "dist/server/app/index.js",
      "dist/server/app/index.d.ts",
      "dist/reference/index.js",
      "dist/server/sdk/tls-server.js",
      "dist/bindings/tls/server-handshake.js",
    ]) {
      expect(server.files, `the server package must contain ${f}`).toContain(f);
    }
    expect(server.files, "the wasm the server's SM2 runs on (server/app/server-data.ts)").toContain("dist/build/release.wasm");
    expect(server.manifest.dependencies).toMatchObject({
      "better-sqlite3": expect.stringMatching(/^\^?12\./),
      pg: expect.stringMatching(/^\^?8\./),
      "@assemblyscript/loader": expect.any(String),
      "prom-client": expect.any(String),
      pino: expect.any(String),
    });
    expect(Object.keys(server.manifest.exports).sort()).toEqual([".", "./app", "./package.json"]);
  });

  it("works installed on its own: the SDK and the auth server load from the tarball", () => {
    const app = freshApp(join(work, "server-app"), server.tarball);
    const probe = [
      'const sdk = await import("@tid-wasm/server");',
      'const app = await import("@tid-wasm/server/app");',
      "console.log(JSON.stringify([typeof sdk.authDevice, typeof sdk.sm4Encrypt, typeof app.startAuthServer, typeof app.protocol.verifyAuthcode]));",
      // the server half with its SM2 on the packed wasm (SQLite is not built: --ignore-scripts)
      'const { randomBytes } = await import("node:crypto");',
      "const tid = new Uint8Array(randomBytes(8)), psk = new Uint8Array(randomBytes(16)), time = 1700000000;",
      "const { authcode, pending } = app.protocol.buildAuthcode({ tid, psk, time });",
      "const v = app.protocol.verifyAuthcode(authcode, { lookupPsk: () => psk, now: time });",
      "const built = app.buildServerDataWasm({ tid, psk, nd: v.nd, tagD: v.tagD, Qd: v.Qd, time, issueToken: true });",
      "const done = app.protocol.finishDevice({ tid, psk, pending, serverData: built.serverData });",
      "console.log(JSON.stringify(Buffer.from(done.token).equals(Buffer.from(built.token))));",
    ].join("\n");
    const out = run(process.execPath, ["--input-type=module", "-e", probe], app).trim().split("\n");
    expect(JSON.parse(out[0]!)).toEqual(["function", "function", "function", "function"]);
    expect(JSON.parse(out[1]!), "the device and the user server share the token").toBe(true);
  }, 90_000);
});
