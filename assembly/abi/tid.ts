// TID client exports (docs/abi.md "TID client"; docs/protocol.md). The five calls of the original
// device SDK with their C meaning, the AEAD message API, and the set-up calls (the
// TEST HOOKS are in abi/test-hooks.ts, exported by the test build only).
// Pointers are offsets into linear memory; `*_len_ptr` arguments are little-endian u32 cells
// (capacity in, produced length out). Every call returns an i32 status (assembly/status.ts).
import {
  clientInit, clientGetAuthcode, clientValidate, clientImportSessionKey, clientSymCrypto,
  clientSeal, clientOpen, clientClose, setBackendKind, softLoadIdentity, setAuthcodeOptions, clientSuite,
  setActiveSlotIndex, setSeReturnToken, setSeLinkKey, seLinkState, getTid, slotCount, eraseSlot, lastStatusWord,
} from "../tid/client";

// ---- the five calls of the original SDK ------------------------------------------------------

/** Initialise the chosen backend (soft: identity loaded; SE: SELECT + read TID). */
export function tid_client_init(): i32 {
  return clientInit();
}

/** Build an authcode (132 + L bytes) into [authcode_ptr, …); *buf_len_ptr = capacity in, length out. */
export function tid_client_get_authcode(authcodePtr: usize, bufLenPtr: usize): i32 {
  return clientGetAuthcode(authcodePtr, bufLenPtr);
}

/** Check server data; on success write the token (16 bytes) and *token_len_ptr = 16, or 0 if none issued. */
export function tid_client_validate_authcode(dataPtr: usize, dataLen: u32, tokenPtr: usize, tokenLenPtr: usize): i32 {
  return clientValidate(dataPtr, dataLen, tokenPtr, tokenLenPtr);
}

/** Load a 16-byte SM4 session key into slot key_index (0..7), replacing (and zeroing) the old one. */
export function tid_client_import_sesskey(keyPtr: usize, keyLen: i32, keyIndex: i32): i32 {
  return clientImportSessionKey(keyPtr, keyLen, keyIndex);
}

/** Raw SM4-ECB over `len` bytes (a positive multiple of 16) with slot key_index; is_enc 1/0. */
export function tid_client_sym_crypto(inPtr: usize, outPtr: usize, len: i32, keyIndex: i32, isEnc: i32): i32 {
  return clientSymCrypto(inPtr, outPtr, len, keyIndex, isEnc);
}

// ---- AEAD messages: SM4-GCM, nonce = direction prefix ‖ counter ---------------------------------

/** Seal pt into out = counter(8) ‖ ciphertext ‖ tag(16); *out_len_ptr = capacity in, length out. */
export function tid_seal(keyIndex: i32, ptPtr: usize, ptLen: u32, aadPtr: usize, aadLen: u32, outPtr: usize, outLenPtr: usize): i32 {
  return clientSeal(keyIndex, ptPtr, ptLen, aadPtr, aadLen, outPtr, outLenPtr);
}

/** Open a message from the server; ERR_REPLAY for an old counter, ERR_VERIFY_FAILED for a bad tag. */
export function tid_open(keyIndex: i32, msgPtr: usize, msgLen: u32, aadPtr: usize, aadLen: u32, outPtr: usize, outLenPtr: usize): i32 {
  return clientOpen(keyIndex, msgPtr, msgLen, aadPtr, aadLen, outPtr, outLenPtr);
}

// ---- set-up ------------------------------------------------------------------------------------

/** The identity's algorithm suite: 0 = SM (SM2/SM3/SM4), 1 = INTL (P-256/SHA-256/AES-128). */
export function tid_suite(): i32 {
  return clientSuite();
}

/** Choose the backend: 1 = soft, 2 = SE. Zeroes all keys and state first. */
export function tid_set_backend(kind: i32): i32 {
  return setBackendKind(kind);
}

/** Soft backend: load TID (8) ‖ PSK (16) (suite SM), or TID ‖ PSK ‖ suite byte (0 SM, 1 INTL). */
export function tid_soft_load_identity(ptr: usize, len: u32): i32 {
  return softLoadIdentity(ptr, len);
}

/** Authcode flags (bit 0 = keep the current session) and extra data (0..512 bytes). */
export function tid_set_authcode_options(flags: u32, extraPtr: usize, extraLen: u32): i32 {
  return setAuthcodeOptions(flags, extraPtr, extraLen);
}

/** Slot that validate installs a new token into (default 0). */
export function tid_set_active_slot(keyIndex: i32): i32 {
  return setActiveSlotIndex(keyIndex);
}

/** SE backend: 1 = AUTH FINISH returns the token over the bus (default), 0 = it stays in the SE. */
export function tid_se_return_token(on: i32): i32 {
  return setSeReturnToken(on);
}

/** SE backend: pin the SE's public link key (64 bytes x ‖ y): every command is then shielded; len 0 unpins. */
export function tid_se_pin_link_key(keyPtr: usize, keyLen: u32): i32 {
  return setSeLinkKey(keyPtr, keyLen);
}

/** SE link: 0 = unshielded, 1 = shielded (a key is pinned), 2 = shielded with a session open. */
export function tid_se_link_state(): i32 {
  return seLinkState();
}

/** Write the device TID (8 bytes) to out_ptr. */
export function tid_get_tid(outPtr: usize): i32 {
  return getTid(outPtr);
}

/** Number of session slots (8). */
export function tid_slot_count(): i32 {
  return slotCount();
}

/** Erase (zero) session slot key_index; with the SE backend also in the SE. */
export function tid_erase_slot(keyIndex: i32): i32 {
  return eraseSlot(keyIndex);
}

/** Last ISO 7816 status word from the SE (0 if none); kept when a call fails with ERR_SE_STATUS_WORD. */
export function tid_last_sw(): i32 {
  return lastStatusWord();
}

/** Zero every key and all state; SE backend: also ERASE SLOT FF. Back to "no backend". */
export function tid_close(): i32 {
  return clientClose();
}
