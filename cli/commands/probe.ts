// `tid probe --board NAME`: open a board (boards/*.json, hal/open-board.ts), read the SE's ATR
// (FM I2C GET ATR; FM SPI has none), SELECT the TID applet and read its identity with GET DATA
// — TID, lifecycle and the identity's suite (docs/se-profile.md "Algorithm suites") — and print them — with the simulated bus time on sim boards.
// On sim-i2c / sim-spi the simulated SE starts with the worked-example identity (TID
// 671007e10029b0a2), paired with the link key of the shielded-link worked example, whose public
// half the simulated board pins, so there is something to show; --blank starts it empty and
// unpaired. The link (docs/se-profile.md "The shielded link"): the SE's public link key (GET
// DATA 00 04) and, when a pin is given (--link-key FILE, or the simulated board's), a secure
// session opened with it — shown as shielded only when the SE proved the pinned key.
// On a TEE board (docs/tee.md) the same APDUs go to the TID trusted application through
// /dev/teeN; there is no ATR, and the probe reads the TA's INFO and says which level the device
// has: "tee", or "tee (insecure development platform)" when the TA or the board file says the
// TEE protects nothing (a Raspberry Pi's OP-TEE: no secure boot, no memory firewall, a zero HUK).
import { openBoard, type OpenedBoard } from "../../hal/open-board.js";
import { BoardError, listBoards } from "../../hal/boards.js";
import { LinkUnsupported } from "../../hal/link/errors.js";
import { SeClient, SeStatusError, type SeIdentity } from "../../hal/se/client.js";
import type { SelectInfo } from "../../hal/se/commands.js";
import { UsageError, parseCommandArgs, type CliCommand, type CliIo } from "../command.js";
import type { TeeLink } from "../../hal/tee/tee-link.js";
import { toHex } from "../../reference/bytes.js";
import type { SuiteName } from "../../reference/constants.js";
import { linkKeyFingerprint, readLinkPin } from "../link-pin.js";

const USAGE = `usage: tid probe --board NAME [--link-key FILE] [--json] [--blank] [--trace]

Open the board, read the secure element's ATR and the TID applet's identity, and print them.

  --board NAME   a board of boards/ (default: $TID_BOARD); sim-i2c and sim-spi need no hardware;
                 tee reaches the TID trusted application through /dev/tee0 (OP-TEE)
  --link-key FILE  the SE's pinned public link key (\`tid provision --link-key\`): open a secure
                 session with it to show the link is shielded
  --json         print one JSON document instead of text
  --blank        sim boards only: start the simulated SE without an identity
  --trace        log every bus transaction to stderr (same as TID_DEBUG=hal)

Environment: TID_BOARD, TID_I2C_BUS, TID_I2C_ADDRESS, TID_SPI_DEVICE, TID_TEE_DEVICE override the board's wiring
(docs/hal.md).`;

/** The worked example's identity (test/vectors/tid-v1-example.json), for simulated boards. */
const DEMO_TID = "671007e10029b0a2";
const DEMO_PSK = "00112233445566778899aabbccddeeff";
/** SK.SE of the shielded-link worked example (test/vectors/se-link-example.json), for simulated boards. */
const DEMO_LINK_PRIVATE = "8c1fe519bf088046e4b9b634d730908f0712be1eb797bf951c803875b8270626";

/** Historical bytes of an ISO 7816-3 ATR (T0's low nibble, after the interface bytes). */
export function historicalBytes(atr: Uint8Array): Uint8Array | null {
  if (atr.length < 2) return null;
  const k = atr[1]! & 0x0f;
  let i = 1; // index of T0, then of each TDi
  for (;;) {
    const y = atr[i]! >> 4;
    const n = (y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1) + ((y >> 3) & 1);
    if (!(y & 0x8)) {
      i += n;
      break;
    }
    i += n; // TDi is the last interface byte of the group
    if (i >= atr.length) return null;
  }
  const start = i + 1;
  return start + k <= atr.length ? atr.slice(start, start + k) : null;
}

export interface ProbeReport {
  board: string;
  simulated: boolean;
  port: string;
  link: string;
  /** the bus clock; null on a TEE board */
  speedHz: number | null;
  /** where the identity lives: "se", "tee" or "tee (insecure development platform)" */
  level: string;
  /** TEE boards: the TEE driver's version and the TA's INFO */
  tee?: {
    implId: number;
    genCaps: number;
    taVersion: string | null;
    /** the TA reports an insecure development platform (INFO flag) */
    taInsecure: boolean | null;
    /** the board file says so */
    boardInsecure: boolean;
    shieldedLink: boolean | null;
  };
  atr: string | null;
  atrHistorical: string | null;
  applet: { aid: string; version: string } | null;
  tid: string | null;
  /** the identity's algorithm suite (GET DATA 00 05; "sm" from an applet older than suites); null while blank */
  suite: SuiteName | null;
  lifecycle: string | null;
  slots: { total: number; inUse: number } | null;
  /** the SE's public link key (GET DATA 00 04), as a fingerprint; null when it has none */
  linkKey: string | null;
  /** the pin this probe used, as a fingerprint; null when none was given */
  pinned: string | null;
  /** a secure session was opened with the pinned key: every APDU would be shielded */
  shielded: boolean;
  /** simulated boards: bus time and SE busy time, ms */
  simulatedBusMs?: number;
  simulatedSeBusyMs?: number;
  transactions: number;
  wireBytes: number;
  apduBytes: number;
  elapsedMs: number;
  error?: string;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      board: { type: "string" },
      "link-key": { type: "string" },
      json: { type: "boolean" },
      blank: { type: "boolean" },
      trace: { type: "boolean" },
    },
    { positionals: false },
  );
  const name = values.board ?? io.env.TID_BOARD;
  if (!name) throw new UsageError(`--board NAME is required (or set TID_BOARD); boards: ${listBoards().join(", ")}`);

  let opened: OpenedBoard;
  let pin: Uint8Array | null = null;
  try {
    opened = openBoard(name, {
      ...(values.trace ? { trace: (l: string) => io.err(`[tid:hal] ${l}`) } : {}),
      ...(values.blank
        ? {}
        : {
            simulator: {
              identity: { tid: Buffer.from(DEMO_TID, "hex"), psk: Buffer.from(DEMO_PSK, "hex") },
              linkKey: Buffer.from(DEMO_LINK_PRIVATE, "hex"),
            },
          }),
    });
  } catch (e) {
    if (e instanceof BoardError) throw new UsageError(e.message);
    throw e;
  }
  if (values["link-key"] !== undefined) {
    if (opened.board.sim) {
      opened.close();
      throw new UsageError("--link-key is for hardware boards: the simulated board pins its SE's key itself");
    }
    pin = readLinkPin(values["link-key"]).linkKey;
  } else if (opened.se && !values.blank) {
    pin = opened.se.applet.linkPublicKey();
  }
  const { board, link, channel, clock, se } = opened;
  const t0 = clock.now();
  const report: ProbeReport = {
    board: board.name,
    simulated: board.sim,
    port: link.name,
    link: link.kind,
    speedHz: board.bus === "tee" ? null : board.speedHz,
    level: board.bus === "tee" ? levelOfTee(board.insecurePlatform, null) : "se",
    atr: null,
    atrHistorical: null,
    applet: null,
    tid: null,
    suite: null,
    lifecycle: null,
    slots: null,
    linkKey: null,
    pinned: pin ? linkKeyFingerprint(pin) : null,
    shielded: false,
    transactions: 0,
    wireBytes: 0,
    apduBytes: 0,
    elapsedMs: 0,
  };
  let failed: unknown;
  try {
    if (board.bus === "tee") {
      const tee = link as TeeLink;
      report.tee = {
        implId: tee.version.implId,
        genCaps: tee.version.genCaps,
        taVersion: null,
        taInsecure: null,
        boardInsecure: board.insecurePlatform,
        shieldedLink: null,
      };
      const info = await tee.info();
      report.tee.taVersion = `${info.version.major}.${info.version.minor}`;
      report.tee.taInsecure = info.insecurePlatform;
      report.tee.shieldedLink = info.shieldedLink;
      report.level = levelOfTee(board.insecurePlatform, info.insecurePlatform);
    }
    try {
      const atr = await link.atr();
      report.atr = toHex(atr);
      const hb = historicalBytes(atr);
      if (hb) report.atrHistorical = toHex(hb);
    } catch (e) {
      if (!(e instanceof LinkUnsupported)) throw e;
    }
    const client = new SeClient(channel);
    let sel: SelectInfo;
    try {
      sel = await client.select();
    } catch (e) {
      if (e instanceof SeStatusError && e.sw === 0x6a82) throw new Error(`the SE answered, but has no TID applet (SELECT → SW 6A82)`);
      throw e;
    }
    report.applet = { aid: toHex(sel.aid), version: `${sel.version.major}.${sel.version.minor}` };
    const id: SeIdentity = await client.identity();
    report.tid = id.tid ? toHex(id.tid) : null;
    report.suite = id.tid ? await client.getSuite() : null;
    report.lifecycle = id.info.lifecycle;
    const slots = await client.getSlots();
    report.slots = { total: slots.length, inUse: slots.filter((s) => s !== "empty").length };
    const seKey = id.info.linkKey ? await client.getLinkKey() : null;
    report.linkKey = seKey ? linkKeyFingerprint(seKey) : null;
    if (pin) {
      // the proof is the session, not the key the SE reports: open one with the pinned key
      await new SeClient(channel, { pinnedKey: pin }).getInfo();
      report.shielded = true;
    }
  } catch (e) {
    failed = e;
    report.error = e instanceof Error ? e.message : String(e);
  } finally {
    opened.close();
  }
  const ls = link.stats;
  report.transactions = ls.transactions;
  report.wireBytes = ls.wireBytesOut + ls.wireBytesIn;
  report.apduBytes = ls.apduBytesOut + ls.apduBytesIn;
  report.elapsedMs = round(clock.now() - t0);
  if (se) {
    report.simulatedBusMs = round(se.stats.busTimeMs);
    report.simulatedSeBusyMs = round(se.stats.busyMs);
  }

  if (values.json) io.out(JSON.stringify(report, null, 2));
  else io.out(text(report));
  if (failed !== undefined) {
    if (!values.json) io.err(`tid probe: ${report.error}${hint(failed)}`);
    return 1;
  }
  return 0;
}

/** The level a TEE board gives: insecure when either the board file or the TA itself says so. */
function levelOfTee(boardInsecure: boolean, taInsecure: boolean | null): string {
  return boardInsecure || taInsecure === true ? "tee (insecure development platform)" : "tee";
}

function linkLine(r: ProbeReport): string {
  const se = r.link === "op-tee" ? "TA" : "SE";
  if (r.shielded) return `shielded: secure session opened with the pinned link key ${r.pinned}`;
  if (r.pinned)
    return `NOT shielded: the ${se} did not prove the pinned link key ${r.pinned}${r.linkKey ? ` (it reports ${r.linkKey})` : ""}`;
  if (r.linkKey)
    return `the ${se} has link key ${r.linkKey}; no pin given (--link-key FILE), so it was not checked and commands would run unshielded`;
  return `UNSHIELDED: the ${se} has no link key (pair it: tid provision)`;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function hint(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (code === "NACK" || code === "TIMEOUT")
    return "\n  hint: is the SE powered and wired to this bus? `i2cdetect -y <bus>` should show it (docs/hal.md)";
  return "";
}

function ascii(hexs: string): string {
  const b = Buffer.from(hexs, "hex");
  return Array.from(b, (c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".")).join("");
}

function text(r: ProbeReport): string {
  const spaced = (h: string): string => h.replace(/(..)(?!$)/g, "$1 ").toUpperCase();
  const speed = r.speedHz === null ? "" : r.speedHz >= 1e6 ? `, ${r.speedHz / 1e6} MHz` : `, ${r.speedHz / 1e3} kHz`;
  const noAtr = r.link === "fm-spi" ? "none (FM SPI has no ATR command)" : r.link === "op-tee" ? "none (a TEE has no ATR)" : "—";
  const lines = [
    `board     ${r.board}${r.simulated ? " (simulated SE, virtual clock)" : ""}`,
    `port      ${r.port} — ${r.link}${speed}`,
    `level     ${r.level}`,
  ];
  if (r.tee) {
    const ta = r.tee.taVersion
      ? `TA v${r.tee.taVersion}${r.tee.taInsecure ? ", reports an insecure development platform" : ""}`
      : "TA INFO not read";
    lines.push(`TEE       ${r.tee.implId === 1 ? "OP-TEE" : `implementation ${r.tee.implId}`}; ${ta}`);
  }
  lines.push(`ATR       ${r.atr ? `${spaced(r.atr)}${r.atrHistorical ? `  (historical bytes "${ascii(r.atrHistorical)}")` : ""}` : noAtr}`);
  if (r.applet) lines.push(`applet    TID applet v${r.applet.version}, AID ${spaced(r.applet.aid)}`);
  if (r.lifecycle) {
    lines.push(
      `identity  ${r.tid ? `TID ${r.tid}, suite ${r.suite}` : `none (blank ${r.link === "op-tee" ? "TA" : "SE"}: provision it first)`}, ${r.lifecycle}`,
    );
  }
  if (r.slots) lines.push(`sessions  ${r.slots.inUse} of ${r.slots.total} slots in use`);
  if (r.lifecycle) lines.push(`link      ${linkLine(r)}`);
  const bus =
    r.link === "op-tee"
      ? `${r.transactions} TEE invocations, ${r.wireBytes} bytes through shared memory for ${r.apduBytes} APDU bytes`
      : `${r.transactions} bus transactions, ${r.wireBytes} wire bytes for ${r.apduBytes} APDU bytes`;
  if (r.simulated) {
    lines.push(`bus       simulated bus time ${r.simulatedBusMs} ms; SE busy ${r.simulatedSeBusyMs} ms; ${bus}`);
    lines.push(`elapsed   ${r.elapsedMs} ms simulated (polling and frame delays included)`);
  } else {
    lines.push(`${r.link === "op-tee" ? "calls    " : "bus      "} ${bus}`);
    lines.push(`elapsed   ${r.elapsedMs} ms`);
  }
  return lines.join("\n");
}

export const probe: CliCommand = {
  name: "probe",
  summary: "find and identify the secure element (or the TEE's TID applet) on a board (ATR, TID applet, identity, level)",
  usage: USAGE,
  run,
};
