// The APDU layer of the SE backend (docs/se-profile.md "Conventions", "Command chaining",
// "Long responses"): builds short command APDUs, chains data longer than 255 bytes, follows
// 61xx with GET RESPONSE, and sends each APDU through the host's synchronous `transceive` import
// (the HAL does the link framing and the bus I/O). The SW of the last R-APDU is kept (tid_last_sw).
import { OK, ERR_SE_IO, ERR_SE_STATUS_WORD } from "../status";
import { wipe } from "../mem";
import { hostTransceive } from "../host";
import { setLastSw } from "./state";

export const SW_OK: u32 = 0x9000;
const CLA_CHAIN: u8 = 0x10;
const INS_GET_RESPONSE: u8 = 0xc0;
const MAX_BLOCK: u32 = 255;          // data bytes per short APDU
const RAPDU_MAX: u32 = 256 + 2;      // data + SW
const MAX_PARTS: u32 = 8;            // GET RESPONSE rounds per command (1024 bytes need 4)
/**
 * Largest response data this layer assembles: a protected CIPHER answer over 1024 bytes
 * (its padded ciphertext, 1040 bytes, and the 8-byte R-MAC).
 */
export const SE_RSP_MAX: u32 = 1048;

const cmdBuf: usize = memory.data(8 + 255 + 1, 16);
const rapdu: usize = memory.data(<i32>RAPDU_MAX, 16);
const rapduLen: usize = memory.data(4, 4);

/** Response data of the last seCommand (seRspLen bytes). Callers wipe it when done. */
export const seRsp: usize = memory.data(<i32>SE_RSP_MAX, 16);
export let seRspLen: u32 = 0;
let sw: u32 = 0;

/**
 * One APDU exchange: the command is the first `cmdLen` bytes of cmdBuf. On OK, the R-APDU data
 * is rapdu[0, n-2) and `sw` holds its status word. Host failures keep their SE/link status.
 */
function exchange(cmdLen: u32): i32 {
  store<u32>(rapduLen, 0);
  const st = hostTransceive(cmdBuf, cmdLen, rapdu, RAPDU_MAX, rapduLen);
  wipe(cmdBuf, cmdLen);
  // On a failed exchange the host may still have written into the response buffer (a token,
  // say): wipe it before returning.
  if (st != OK) {
    wipe(rapdu, RAPDU_MAX);
    return st <= -500 && st > -600 ? st : ERR_SE_IO;
  }
  const n = load<u32>(rapduLen);
  if (n < 2 || n > RAPDU_MAX) {
    wipe(rapdu, RAPDU_MAX);
    return ERR_SE_IO;
  }
  sw = (<u32>load<u8>(rapdu + n - 2) << 8) | <u32>load<u8>(rapdu + n - 1);
  setLastSw(sw);
  return <i32>(n - 2);
}

/** Append `n` bytes of R-APDU data to seRsp; ERR_SE_IO when the SE sends more than expected. */
function collect(n: i32): i32 {
  if (<u32>n > SE_RSP_MAX - seRspLen) {
    wipe(rapdu, RAPDU_MAX);
    return ERR_SE_IO;
  }
  memory.copy(seRsp + seRspLen, rapdu, <usize>n);
  seRspLen += <u32>n;
  wipe(rapdu, RAPDU_MAX);
  return OK;
}

/**
 * Send `CLA INS P1 P2 [Lc data] [Le=00]`, chained in blocks of ≤ 255 bytes, and collect the whole
 * response (GET RESPONSE while the SE answers 61xx). OK on a final 9000; ERR_SE_STATUS_WORD with
 * the SW in lastSw otherwise; a host/link status when the exchange itself failed.
 */
export function seCommand(cla: u8, ins: u8, p1: u8, p2: u8, data: usize, len: u32, withLe: bool): i32 {
  seRspLen = 0;
  sw = 0;
  let off: u32 = 0;
  let n: i32;
  // Chained blocks: every block but the last carries CLA | 0x10 and must be answered 9000.
  while (len - off > MAX_BLOCK) {
    store<u8>(cmdBuf, cla | CLA_CHAIN);
    store<u8>(cmdBuf + 1, ins);
    store<u8>(cmdBuf + 2, p1);
    store<u8>(cmdBuf + 3, p2);
    store<u8>(cmdBuf + 4, <u8>MAX_BLOCK);
    memory.copy(cmdBuf + 5, data + off, MAX_BLOCK);
    n = exchange(5 + MAX_BLOCK);
    if (n < 0) return n;
    wipe(rapdu, RAPDU_MAX);
    if (sw != SW_OK) return ERR_SE_STATUS_WORD;
    off += MAX_BLOCK;
  }
  // Final (or only) block.
  store<u8>(cmdBuf, cla);
  store<u8>(cmdBuf + 1, ins);
  store<u8>(cmdBuf + 2, p1);
  store<u8>(cmdBuf + 3, p2);
  let cmdLen: u32 = 4;
  const rest = len - off;
  if (rest > 0) {
    store<u8>(cmdBuf + 4, <u8>rest);
    memory.copy(cmdBuf + 5, data + off, rest);
    cmdLen = 5 + rest;
  }
  if (withLe) {
    store<u8>(cmdBuf + cmdLen, 0);
    cmdLen++;
  }
  n = exchange(cmdLen);
  if (n < 0) return n;
  let st = collect(n);
  if (st != OK) return st;
  // Long response: GET RESPONSE 00 C0 00 00 xx while the SE answers 61xx (bounded, so an SE
  // that keeps answering 61xx without data cannot hold the call forever).
  let parts: u32 = 0;
  while ((sw & 0xff00) == 0x6100) {
    if (++parts > MAX_PARTS) return ERR_SE_IO;
    store<u8>(cmdBuf, 0x00);
    store<u8>(cmdBuf + 1, INS_GET_RESPONSE);
    store<u8>(cmdBuf + 2, 0);
    store<u8>(cmdBuf + 3, 0);
    store<u8>(cmdBuf + 4, <u8>(sw & 0xff));
    n = exchange(5);
    if (n < 0) return n;
    st = collect(n);
    if (st != OK) return st;
  }
  return sw == SW_OK ? OK : ERR_SE_STATUS_WORD;
}

/** Shorten the assembled response (after secure messaging unwrapped it in place). */
export function seSetRspLen(n: u32): void {
  seRspLen = n;
}

/** Status word of the last R-APDU seCommand received. */
export function seLastSw(): u32 {
  return sw;
}

/** Zero the assembled response (after its data is copied out). */
export function seWipeResponse(): void {
  wipe(seRsp, SE_RSP_MAX);
  seRspLen = 0;
}
