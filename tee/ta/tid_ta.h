/* The TID trusted application's interface to the normal world (docs/tee.md, "Commands"): its
 * UUID and command IDs, shared by the TA and its clients. */
#ifndef TID_TA_H
#define TID_TA_H

/* ee459cd1-d81d-464e-892d-2767e98150dc */
#define TA_TID_UUID \
  { 0xee459cd1, 0xd81d, 0x464e, { 0x89, 0x2d, 0x27, 0x67, 0xe9, 0x81, 0x50, 0xdc } }

/* TRANSMIT: params[0] MEMREF_INPUT  the C-APDU (0..261 bytes)
 *           params[1] MEMREF_OUTPUT the R-APDU, data ‖ SW1 SW2; needs room for 258 bytes (the
 *                     largest), else TEE_ERROR_SHORT_BUFFER with params[1].memref.size = 258 and
 *                     the command is not run */
#define TA_TID_CMD_TRANSMIT 0
/* INFO: params[0] VALUE_OUTPUT a = applet version (major << 8 | minor), b = TA_TID_INFO_* flags
 *       params[1] VALUE_OUTPUT a = lifecycle (0 blank, 1 personalised, 2 locked), b = slots */
#define TA_TID_CMD_INFO 1

/* a development platform: no secure boot / no secure memory / a constant storage key */
#define TA_TID_INFO_INSECURE_PLATFORM 0x1u
/* the shielded-link commands are not available (GENERATE LINK KEY, OPEN SECURE SESSION): set by
 * TA builds before the shielded link; this one has it and never sets the flag, so a client may
 * pair and open secure sessions when it is clear */
#define TA_TID_INFO_NO_SHIELDED_LINK 0x2u

#define TA_TID_MAX_CAPDU 261
#define TA_TID_MAX_RAPDU 258

#endif
