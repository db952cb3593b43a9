// The TID TA behind the fake /dev/tee0, reached the way a device reaches a real one — the
// TeeLink of hal/tee over the @tid-wasm/tee-client addon, through the Linux TEE client ioctls —
// and served on ta_host's line protocol (test/tee/ta-host.ts), so a suite written for the native
// driver runs unchanged against the whole host path. A child node process, started with
// libfaketee.so preloaded, runs the compiled HAL from dist/ and answers one line per line:
//   HEX            a C-APDU → the R-APDU in hex (every other one through the async transceive,
//                  the rest through the sync one, so both addon calls take part), or the error
//   !reset         TeeLink.resetSync() (a new TEE session: the TA's RAM state is lost) → TEE_SUCCESS
//   !inject HEX    the bytes written to the fake's TID_FAKETEE_CONTROL path: the TA's next
//                  random bytes → ok
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildTeeHost, fakeTeeEnv } from "../../hal/sim/fakedev/tee-build.js";
import { builtTid, ROOT } from "../support/server-child.js";
import { TaHost } from "./ta-host.js";

const LINE_SERVER = (halUrl: string): string => `
  import { openSync, writeSync } from "node:fs";
  import { createInterface } from "node:readline";
  const hal = await import(${JSON.stringify(halUrl)});
  const link = hal.openTeeLink();
  const control = openSync(process.env.TID_FAKETEE_CONTROL, "w");
  let n = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    let out;
    try {
      if (line === "!reset") {
        link.resetSync();
        out = "TEE_SUCCESS";
      } else if (line.startsWith("!inject ")) {
        writeSync(control, Buffer.from(line.slice(8), "hex"));
        out = "ok";
      } else {
        const apdu = Buffer.from(line, "hex");
        const r = n++ % 2 ? await link.transceive(apdu) : link.transceiveSync(apdu);
        out = Buffer.from(r).toString("hex");
      }
    } catch (e) {
      out = (e && e.name) + " " + (e && e.code) + ": " + (e && e.message);
    }
    process.stdout.write(out + "\\n");
  }
  link.close();
`;

/** Start the line server on a fresh TA (its storage in a new temp dir). Needs `npm run build`. */
export function startFakeTeeHost(): TaHost {
  builtTid(); // dist/ is current: the child runs the compiled HAL
  const { fakeTee } = buildTeeHost();
  const dir = mkdtempSync(join(tmpdir(), "tid-fake-tee-target-"));
  const env = { ...fakeTeeEnv(fakeTee, { storage: dir }), TID_FAKETEE_CONTROL: join(dir, "control") };
  const halUrl = pathToFileURL(join(ROOT, "dist", "hal", "index.js")).href;
  return new TaHost(process.execPath, ["--input-type=module", "-e", LINE_SERVER(halUrl)], env);
}
