// The one way the `tid` command loads the reference auth server (server/app), for `tid server`
// and `tid demo`. The auth server and its SQLite registry ship as their own package,
// @tid-wasm/server, so a device that installs tid-wasm compiles no SQLite: the app is loaded only
// when one of these commands runs — from the compiled tree next to this file when it is there (a
// clone of the repository), else from the @tid-wasm/server package — and, when neither is
// installed, the command fails saying what to install.
import { fileURLToPath } from "node:url";
import type * as ServerApp from "../server/app/index.js";

export type ServerAppModule = typeof ServerApp;

/** Where the app is looked for, in order. */
export const SERVER_APP_CANDIDATES = ["../server/app/index.js", "@tid-wasm/server/app"] as const;

/**
 * Did `import(specifier)` fail because the specifier itself is not there? (Not because a module it
 * imports is missing: that is a broken install, and its own error says more.)
 */
function isMissing(e: unknown, specifier: string): boolean {
  if ((e as { code?: unknown } | null)?.code !== "ERR_MODULE_NOT_FOUND") return false;
  const message = (e as Error).message;
  if (specifier.startsWith(".")) return message.startsWith(`Cannot find module '${fileURLToPath(new URL(specifier, import.meta.url))}'`);
  const packageName = specifier.split("/").slice(0, 2).join("/");
  return message.startsWith(`Cannot find package '${packageName}'`);
}

let loaded: Promise<ServerAppModule> | undefined;

/**
 * The auth server app, loaded once.
 * @throws Error saying to install @tid-wasm/server when no candidate is installed; a candidate
 *   that is there but fails to load throws its own error.
 */
export function loadServerApp(): Promise<ServerAppModule> {
  loaded ??= (async () => {
    for (const specifier of SERVER_APP_CANDIDATES) {
      try {
        return (await import(specifier)) as ServerAppModule;
      } catch (e) {
        if (!isMissing(e, specifier)) throw e;
      }
    }
    throw new Error(
      "the reference auth server is not installed: it ships as its own package, `npm install @tid-wasm/server` (it builds SQLite)",
    );
  })();
  loaded.catch(() => {
    loaded = undefined; // a later call tries again
  });
  return loaded;
}
