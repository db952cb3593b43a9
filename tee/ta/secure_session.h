/* The SE half of the shielded link inside the TA (docs/se-profile.md "The shielded link";
 * docs/tee.md "The applet"): PK.SE of the link key, OPEN SECURE SESSION and secure messaging of
 * one command and its response. The applet (applet.c) decides which commands run in and out of a
 * session, in the simulated SE's order (hal/sim/applet.ts); this file holds the session. SK.SE
 * itself is the applet's NVM (storage.h) and is passed in where it is needed. */
#ifndef TID_TA_SECURE_SESSION_H
#define TID_TA_SECURE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define LINK_PUBLIC_KEY_SIZE 64
/* OPEN SECURE SESSION data: ePK.host(64) ‖ challenge(16); its answer: ePK.SE(64) ‖ receipt(16) */
#define LINK_OPEN_SIZE 80
#define LINK_MAC_SIZE 8
/* largest protected command data: |pad(1024 bytes)| + 8 */
#define LINK_MAX_PROTECTED 1048
/* largest plain data D a protected command may carry; more ends the session */
#define LINK_MAX_DATA 1024
/* largest plain data that fits the protected data: 1040 bytes of C less one padding byte (the
 * buffer link_unwrap decrypts into; D over LINK_MAX_DATA is refused after the padding check) */
#define LINK_MAX_PLAIN (LINK_MAX_PROTECTED - LINK_MAC_SIZE - 1)
/* largest response data link_wrap takes, and its largest output: E(1040) ‖ R-MAC(8) */
#define LINK_MAX_RESPONSE 1024
#define LINK_MAX_WRAPPED (LINK_MAX_RESPONSE + 16 + LINK_MAC_SIZE)

/* The link key SK.SE (32 bytes) is the TA's: compute and keep PK.SE (replacing any earlier one;
 * a session in progress is left to the caller). CORE_OK, or the module's status
 * (CORE_ERR_BAD_SCALAR for a value that is not a private key): no key is kept then and any
 * session is ended. */
int32_t link_key_load(const uint8_t sk[32]);
/* Forget PK.SE and end any session (power-off). */
void link_key_clear(void);
/* 1 when the TA has a link key (it is shielded). */
int link_has_key(void);
/* PK.SE, X ‖ Y (64 bytes); only while link_has_key(). */
const uint8_t *link_public_key(void);

/* 1 while a secure session is open. */
int link_session_open(void);
/* End the session: the session keys (module key handles), the MAC chaining value and the
 * counter are wiped. A no-op without a session. */
void link_end(void);
/* OPEN SECURE SESSION with SK.SE and the command data (ePK.host ‖ challenge; ePK.host already
 * checked to be a point of the curve): draws eSK.SE from TEE_GenerateRandom (through the module's
 * sm2_keygen), derives Zee, Zes, KM, the receipt and the session keys, opens the session and
 * writes ePK.SE ‖ receipt to answer. Any session in progress is ended first. CORE_OK, or the
 * module's status with no session open. */
int32_t link_open(const uint8_t sk[32], const uint8_t data[LINK_OPEN_SIZE], uint8_t answer[LINK_OPEN_SIZE]);
/* Check and decrypt the protected command CLA' INS P1 P2 with data C ‖ C-MAC (CLA' as received,
 * without the chaining bit): 1 with D in plain[0..*plain_len) (room for LINK_MAX_PLAIN bytes), or
 * 0 when it fails (length, C-MAC, padding, counter exhausted): the session is then ended. */
int link_unwrap(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t len, uint8_t *plain,
                size_t *plain_len);
/* Protect the response R (0..LINK_MAX_RESPONSE bytes) and SW of the command last unwrapped:
 * E ‖ R-MAC into out (room for LINK_MAX_WRAPPED), its length in *out_len. 1, or 0 when there is
 * no command to answer or the module fails (the session is then ended). */
int link_wrap(const uint8_t *r, size_t r_len, uint16_t sw, uint8_t *out, size_t *out_len);

#endif
