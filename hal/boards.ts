// Board descriptions (docs/hal.md "Boards"; boards/ is data only). One JSON file per
// board in boards/: which bus, which link framing, bus number, 7-bit address or chip select, speed,
// SPI mode, optional reset/power GPIO numbers and link timing overrides. The loader checks every
// field and names what is valid when something is not; environment variables override the wiring
// without editing files:
//
//   TID_BOARD        board name used when none is given (CLI)
//   TID_I2C_BUS      I2C bus number N of /dev/i2c-N            (I2C boards)
//   TID_I2C_ADDRESS  7-bit address, "0x71" or "113"            (I2C boards)
//   TID_SPI_DEVICE   "/dev/spidevB.C" or "B.C"                 (SPI boards)
//   TID_TEE_DEVICE   "/dev/teeN"                               (TEE boards)
//
// Fields: name (= file name), description, bus "i2c" | "spi" | "tee", link "fm-i2c" | "fm-spi" |
// "op-tee", sim (true for the simulated boards). Bus boards: busNumber, speedHz, and for I2C
// address ("0x71" or a number, 7-bit), for SPI chipSelect and mode 0..3; optional resetGpio /
// powerGpio (BCM numbers, null = not wired; recorded for bring-up, the HAL does not drive GPIOs
// yet) and timing (any LinkTiming field of hal/link/link.ts). TEE boards (the TID trusted
// application under OP-TEE, docs/tee.md): device ("/dev/tee0"), ta (the TA's UUID, default the
// TID TA's), login ("public" | "user" | "group", with group = a gid for "group") and
// insecurePlatform (true for development boards whose TEE protects nothing: docs/tee.md).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkI2cAddress } from "./bus/i2c.js";
import { resolveTiming, type LinkTiming } from "./link/link.js";
import { TID_TA_UUID, type TeeLogin } from "./tee/tee-link.js";

interface BoardBase {
  name: string;
  description: string;
  /** A simulated board (hal/sim) rather than real hardware. */
  sim: boolean;
  /** Where the board came from (file path). */
  source: string;
  /** Environment overrides that were applied, e.g. ["TID_I2C_BUS=3"]. */
  overrides: string[];
}

interface BusBoardCommon extends BoardBase {
  busNumber: number;
  speedHz: number;
  resetGpio?: number;
  powerGpio?: number;
  /** Link timing overrides (validated). */
  timing: Partial<LinkTiming>;
}

export interface I2cBoard extends BusBoardCommon {
  bus: "i2c";
  link: "fm-i2c";
  /** 7-bit address. */
  address: number;
}

export interface SpiBoard extends BusBoardCommon {
  bus: "spi";
  link: "fm-spi";
  chipSelect: number;
  mode: 0 | 1 | 2 | 3;
}

/** The TID trusted application in a TEE (docs/tee.md), reached through the Linux TEE driver. */
export interface TeeBoard extends BoardBase {
  bus: "tee";
  link: "op-tee";
  sim: false;
  /** The TEE client device, "/dev/teeN". */
  device: string;
  /** The TA's UUID, lower-case with dashes. */
  ta: string;
  /** The login method the session is opened with. */
  login: TeeLogin;
  /** The gid for login "group". */
  group?: number;
  /** The board's TEE protects nothing (no secure boot, no memory firewall, a zero HUK): development only. */
  insecurePlatform: boolean;
}

/** A board whose SE sits on a bus. */
export type BusBoard = I2cBoard | SpiBoard;
export type Board = BusBoard | TeeBoard;

export class BoardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BoardError";
  }
}

const COMMON_FIELDS = ["name", "description", "sim", "bus", "link", "busNumber", "speedHz", "resetGpio", "powerGpio", "timing"];
const I2C_FIELDS = [...COMMON_FIELDS, "address"];
const SPI_FIELDS = [...COMMON_FIELDS, "chipSelect", "mode"];
const TEE_FIELDS = ["name", "description", "sim", "bus", "link", "device", "ta", "login", "group", "insecurePlatform"];
const LINK_OF = { i2c: "fm-i2c", spi: "fm-spi", tee: "op-tee" } as const;
const TEE_LOGINS: readonly TeeLogin[] = ["public", "user", "group"];
const TEE_DEVICE = /^\/dev\/tee[0-9]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The boards/ directory, whether running from source (hal/) or from dist/hal/. */
export function boardsDir(): string {
  for (const rel of ["../boards/", "../../boards/"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(p, "sim-i2c.json"))) return p;
  }
  throw new BoardError("boards/ directory not found next to the package");
}

/** Names of the boards in a directory (default: the package's boards/). */
export function listBoards(dir: string = boardsDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

type Env = Record<string, string | undefined>;

export interface LoadBoardOptions {
  /** Directory to look in (default: boards/ of this package). */
  dir?: string;
  /** Environment for overrides (default: process.env); pass {} to ignore it. */
  env?: Env;
}

/**
 * Load and validate a board by name (or a path to a .json file).
 * @param name board name; default: $TID_BOARD
 * @throws BoardError naming the valid boards, or the bad field and what it accepts
 * @example const board = loadBoard("rpi4-i2c"); // honours TID_I2C_BUS / TID_I2C_ADDRESS
 */
export function loadBoard(name?: string, options: LoadBoardOptions = {}): Board {
  const env = options.env ?? process.env;
  const wanted = name ?? env.TID_BOARD;
  const dir = options.dir ?? boardsDir();
  const valid = () => listBoards(dir).join(", ");
  if (wanted === undefined || wanted === "")
    throw new BoardError(`no board given (pass a name or set TID_BOARD); valid boards: ${valid()}`);
  let file: string;
  if (wanted.endsWith(".json") || wanted.includes("/")) {
    file = wanted;
    if (!existsSync(file)) throw new BoardError(`board file ${file} does not exist`);
  } else {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(wanted)) throw new BoardError(`bad board name ${JSON.stringify(wanted)}; valid boards: ${valid()}`);
    file = join(dir, `${wanted}.json`);
    if (!existsSync(file)) throw new BoardError(`unknown board "${wanted}"; valid boards: ${valid()}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new BoardError(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const board = parseBoard(json, file);
  if (basename(file) !== `${board.name}.json`) throw new BoardError(`${file}: "name" is "${board.name}" but the file is named differently`);
  return applyEnv(board, env);
}

/** "an i2c board", "a tee board" */
function article(bus: string): string {
  return /^[aeiou]|^(i2c|spi)$/.test(bus) ? "an" : "a";
}

function fail(source: string, field: string, want: string, got: unknown): never {
  throw new BoardError(`${source}: "${field}" must be ${want}, got ${JSON.stringify(got)}`);
}

function int(source: string, o: Record<string, unknown>, field: string, lo: number, hi: number): number {
  const v = o[field];
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) fail(source, field, `an integer ${lo}..${hi}`, v);
  return v;
}

function optionalGpio(source: string, o: Record<string, unknown>, field: string): number | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  return int(source, o, field, 0, 1023);
}

/** Parse "0x71", "113" or 113 as a 7-bit I2C address (8-bit forms refused with a hint). */
export function parseI2cAddress(v: unknown, what = "address"): number {
  let n: unknown = v;
  if (typeof v === "string") {
    const s = v.trim();
    n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^[0-9]+$/.test(s) ? parseInt(s, 10) : NaN;
    if (Number.isNaN(n)) throw new RangeError(`${what} must be a 7-bit address like "0x71" or 113, got ${JSON.stringify(v)}`);
  }
  return checkI2cAddress(n, what);
}

/**
 * Validate a parsed board object.
 * @param source name for messages (file path)
 * @throws BoardError
 */
export function parseBoard(json: unknown, source = "board"): Board {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new BoardError(`${source}: a board must be a JSON object`);
  const o = json as Record<string, unknown>;
  const bus = o.bus;
  if (bus !== "i2c" && bus !== "spi" && bus !== "tee") fail(source, "bus", `"i2c", "spi" or "tee"`, bus);
  const fields = bus === "i2c" ? I2C_FIELDS : bus === "spi" ? SPI_FIELDS : TEE_FIELDS;
  for (const k of Object.keys(o)) {
    if (!fields.includes(k) && k !== "$comment")
      throw new BoardError(`${source}: unknown field "${k}" for ${article(bus)} ${bus} board; valid fields: ${fields.join(", ")}`);
  }
  if (typeof o.name !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(o.name)) fail(source, "name", 'a lower-case name like "rpi4-i2c"', o.name);
  const description = o.description ?? "";
  if (typeof description !== "string") fail(source, "description", "a string", description);
  const link = o.link ?? LINK_OF[bus];
  if (link !== LINK_OF[bus]) fail(source, "link", `"${LINK_OF[bus]}" for ${article(bus)} ${bus} board (the only ${bus} link so far)`, link);
  const sim = o.sim ?? false;
  if (typeof sim !== "boolean") fail(source, "sim", "true or false", sim);
  if (bus === "tee") return parseTeeBoard(o, o.name, description, sim, source);
  let timing: Partial<LinkTiming> = {};
  if (o.timing !== undefined) {
    if (typeof o.timing !== "object" || o.timing === null || Array.isArray(o.timing))
      fail(source, "timing", "an object of LinkTiming fields", o.timing);
    try {
      resolveTiming(o.timing as Partial<LinkTiming>, `${source}: "timing"`);
    } catch (e) {
      throw new BoardError((e as Error).message);
    }
    timing = { ...(o.timing as Partial<LinkTiming>) };
  }
  const common = {
    name: o.name,
    description,
    sim,
    busNumber: int(source, o, "busNumber", 0, 255),
    timing,
    source,
    overrides: [] as string[],
  };
  const resetGpio = optionalGpio(source, o, "resetGpio");
  const powerGpio = optionalGpio(source, o, "powerGpio");
  const gpio = { ...(resetGpio !== undefined ? { resetGpio } : {}), ...(powerGpio !== undefined ? { powerGpio } : {}) };
  if (bus === "i2c") {
    let address: number;
    try {
      address = parseI2cAddress(o.address, `${source}: "address"`);
    } catch (e) {
      throw new BoardError((e as Error).message);
    }
    return { ...common, ...gpio, bus, link: "fm-i2c", address, speedHz: int(source, o, "speedHz", 1_000, 3_400_000) };
  }
  return {
    ...common,
    ...gpio,
    bus,
    link: "fm-spi",
    chipSelect: int(source, o, "chipSelect", 0, 255),
    mode: int(source, o, "mode", 0, 3) as 0 | 1 | 2 | 3,
    speedHz: int(source, o, "speedHz", 1_000, 200_000_000),
  };
}

function parseTeeBoard(o: Record<string, unknown>, name: string, description: string, sim: boolean, source: string): TeeBoard {
  if (sim) fail(source, "sim", "false for a tee board (the TEE is faked below the kernel ABI instead: `npm run fakedev`)", sim);
  const device = o.device ?? "/dev/tee0";
  if (typeof device !== "string" || !TEE_DEVICE.test(device)) fail(source, "device", 'a TEE client device like "/dev/tee0"', device);
  const ta = o.ta ?? TID_TA_UUID;
  if (typeof ta !== "string" || !UUID.test(ta)) fail(source, "ta", 'a lower-case UUID like "' + TID_TA_UUID + '"', ta);
  const login = o.login ?? "public";
  if (typeof login !== "string" || !TEE_LOGINS.includes(login as TeeLogin)) fail(source, "login", `one of ${TEE_LOGINS.join(", ")}`, login);
  if (login === "group" && o.group === undefined) fail(source, "group", 'a gid (login "group" needs one)', o.group);
  if (login !== "group" && o.group !== undefined) fail(source, "group", 'absent unless login is "group"', o.group);
  const insecurePlatform = o.insecurePlatform ?? true;
  if (typeof insecurePlatform !== "boolean") fail(source, "insecurePlatform", "true or false", insecurePlatform);
  return {
    name,
    description,
    sim: false,
    source,
    overrides: [],
    bus: "tee",
    link: "op-tee",
    device,
    ta,
    login: login as TeeLogin,
    ...(login === "group" ? { group: int(source, o, "group", 0, 0xffff_fffe) } : {}),
    insecurePlatform,
  };
}

/**
 * Apply TID_I2C_BUS / TID_I2C_ADDRESS (I2C boards), TID_SPI_DEVICE (SPI boards) or TID_TEE_DEVICE
 * (TEE boards).
 * @throws BoardError for a malformed value, naming the variable
 */
export function applyEnv(board: Board, env: Env = process.env): Board {
  const b = { ...board, overrides: [...board.overrides] } as Board;
  const bad = (v: string, want: string, got: string): never => {
    throw new BoardError(`${v} must be ${want}, got ${JSON.stringify(got)}`);
  };
  if (b.bus === "i2c") {
    const bus = env.TID_I2C_BUS;
    if (bus !== undefined && bus !== "") {
      if (!/^[0-9]+$/.test(bus.trim()) || +bus > 255) bad("TID_I2C_BUS", "a bus number 0..255 (N of /dev/i2c-N)", bus);
      b.busNumber = +bus;
      b.overrides.push(`TID_I2C_BUS=${bus}`);
    }
    const addr = env.TID_I2C_ADDRESS;
    if (addr !== undefined && addr !== "") {
      try {
        b.address = parseI2cAddress(addr, "TID_I2C_ADDRESS");
      } catch (e) {
        throw new BoardError((e as Error).message);
      }
      b.overrides.push(`TID_I2C_ADDRESS=${addr}`);
    }
  } else if (b.bus === "tee") {
    const dev = env.TID_TEE_DEVICE;
    if (dev !== undefined && dev !== "") {
      if (!TEE_DEVICE.test(dev.trim())) bad("TID_TEE_DEVICE", 'a TEE client device like "/dev/tee0"', dev);
      b.device = dev.trim();
      b.overrides.push(`TID_TEE_DEVICE=${dev}`);
    }
  } else {
    const dev = env.TID_SPI_DEVICE;
    if (dev !== undefined && dev !== "") {
      const m = /^(?:\/dev\/spidev)?([0-9]+)\.([0-9]+)$/.exec(dev.trim());
      if (!m || +m[1]! > 255 || +m[2]! > 255) bad("TID_SPI_DEVICE", 'a spidev device like "/dev/spidev0.1" or "0.1"', dev);
      b.busNumber = +m![1]!;
      b.chipSelect = +m![2]!;
      b.overrides.push(`TID_SPI_DEVICE=${dev}`);
    }
  }
  return b;
}

/** "/dev/i2c-1 @ 0x71, 400 kHz, fm-i2c" — one line for logs and the CLI. */
export function describeBoard(b: Board): string {
  const ov = b.overrides.length ? ` (${b.overrides.join(", ")})` : "";
  if (b.bus === "tee")
    return `${b.name}: ${b.device}, TA ${b.ta}, login ${b.login}, ${b.link}${b.insecurePlatform ? ", insecure development platform" : ""}${ov}`;
  const where = b.sim ? `simulated ${b.bus}` : b.bus === "i2c" ? `/dev/i2c-${b.busNumber}` : `/dev/spidev${b.busNumber}.${b.chipSelect}`;
  const at = b.bus === "i2c" ? ` @ 0x${b.address.toString(16).padStart(2, "0")}` : ` mode ${b.mode}`;
  const speed = b.speedHz >= 1e6 ? `${b.speedHz / 1e6} MHz` : `${b.speedHz / 1e3} kHz`;
  return `${b.name}: ${where}${at}, ${speed}, ${b.link}${ov}`;
}
