// TEMPORARY local stand-in (not committed) until the faketee branch is merged.
export function teeToolsMissing(): string | null {
  return null;
}
export function buildTeeHost(): { taHost: string; fakeTee: string } {
  return { taHost: "/tmp/teeaddon-ft/ta_host", fakeTee: "/tmp/teeaddon-ft/libfaketee.so" };
}
export function fakeTeeEnv(lib: string, options: { storage?: string; inherited?: string } = {}): Record<string, string> {
  return { LD_PRELOAD: lib, UV_USE_IO_URING: "0", ...(options.storage ? { TID_FAKETEE_STORAGE: options.storage } : {}) };
}
