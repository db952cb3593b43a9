/* The "TID applet v1" APDU dispatcher of the TA (docs/se-profile.md; docs/tee.md "The applet"):
 * one C-APDU in, one R-APDU (data ‖ SW1 SW2) out, byte for byte as the simulated SE answers the
 * whole profile, the shielded link included (GENERATE LINK KEY, GET DATA 00 04, OPEN SECURE
 * SESSION, secure messaging; secure_session.h). */
#ifndef TID_TA_APPLET_H
#define TID_TA_APPLET_H

#include <stddef.h>
#include <stdint.h>
#include <tee_internal_api.h>

/* the largest short C-APDU: CLA INS P1 P2 Lc(1) data(255) Le(1) */
#define APPLET_MAX_CAPDU 261
/* the largest R-APDU: 256 data bytes ‖ SW1 SW2 */
#define APPLET_MAX_RAPDU 258

#define APPLET_VERSION_MAJOR 1
#define APPLET_VERSION_MINOR 0

/* Power-on: start the wasm core and read the identity and the link key from storage. */
TEE_Result applet_open(void);
/* Reset: RAM state (slots, pending request, chain, long response, the secure session) is lost;
 * the identity and the link key stay. */
void applet_reset(void);
/* Power-off: wipe everything in RAM and free the core. */
void applet_close(void);
/* Process one C-APDU (0..APPLET_MAX_CAPDU bytes); writes the R-APDU to rapdu
 * (APPLET_MAX_RAPDU bytes of room) and returns its length (≥ 2). Never fails. */
size_t applet_process(const uint8_t *capdu, size_t len, uint8_t rapdu[APPLET_MAX_RAPDU]);
/* 1 when an identity is provisioned, 2 when it is also locked, 0 when blank (INFO). */
uint32_t applet_lifecycle(void);

#endif
