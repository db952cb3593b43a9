/* The TA's non-volatile state (docs/tee.md, "Storage"): TID, PSK, the identity's algorithm suite,
 * the LOCK state and the shielded link's static private key SK.SE in one GP persistent object of TEE_STORAGE_PRIVATE (GP TEE
 * Internal Core API 1.3.1 §5.7), which only this TA can open. The applet's NVM of
 * docs/se-profile.md "Conventions" and "Pairing: the link key". */
#ifndef TID_TA_STORAGE_H
#define TID_TA_STORAGE_H

#include <stdint.h>
#include <tee_internal_api.h>

#define IDENTITY_TID_SIZE 8
#define IDENTITY_PSK_SIZE 16
#define IDENTITY_LINK_KEY_SIZE 32
/* the identity's algorithm suite (docs/se-profile.md, PROVISION and GET DATA 00 05) */
#define IDENTITY_SUITE_SM 0
#define IDENTITY_SUITE_INTL 1

struct identity {
  uint8_t present; /* 0 = blank: no TID and PSK */
  uint8_t locked;  /* only with present */
  uint8_t tid[IDENTITY_TID_SIZE];
  uint8_t psk[IDENTITY_PSK_SIZE];
  uint8_t suite;    /* IDENTITY_SUITE_SM / _INTL; SM without an identity */
  uint8_t has_link; /* 1 = SK.SE below: the TA is paired (shielded) */
  uint8_t link_sk[IDENTITY_LINK_KEY_SIZE];
};

/* Read the object: TEE_SUCCESS with id->present = id->has_link = 0 when there is none;
 * TEE_ERROR_CORRUPT_OBJECT for an object of the wrong size, format or check byte. SK.SE is taken
 * as stored: the caller checks it is a private key. */
TEE_Result storage_load(struct identity *id);
/* Write the whole state atomically (create with TEE_DATA_FLAG_OVERWRITE): an identity of suite
 * INTL in format 03; otherwise format 01 without a link key, 02 with one (what the TAs before the
 * suite wrote, so they still read it). TEE_ERROR_BAD_STATE for a state with neither identity nor
 * link key, or with a suite other than SM / INTL. */
TEE_Result storage_save(const struct identity *id);
/* Zero a state held in RAM. */
void storage_wipe(struct identity *id);

#endif
