/* The TA's non-volatile identity (docs/tee.md, "Storage"): TID, PSK and the LOCK state in one GP
 * persistent object of TEE_STORAGE_PRIVATE (GP TEE Internal Core API 1.3.1 §5.7), which only this
 * TA can open. The applet's NVM of docs/se-profile.md "Conventions". */
#ifndef TID_TA_STORAGE_H
#define TID_TA_STORAGE_H

#include <stdint.h>
#include <tee_internal_api.h>

#define IDENTITY_TID_SIZE 8
#define IDENTITY_PSK_SIZE 16

struct identity {
  uint8_t present; /* 0 = blank */
  uint8_t locked;
  uint8_t tid[IDENTITY_TID_SIZE];
  uint8_t psk[IDENTITY_PSK_SIZE];
};

/* Read the object: TEE_SUCCESS with id->present = 0 when there is none; TEE_ERROR_CORRUPT_OBJECT
 * for an object of the wrong size or version. */
TEE_Result storage_load(struct identity *id);
/* Write the whole identity atomically (create with TEE_DATA_FLAG_OVERWRITE). */
TEE_Result storage_save(const struct identity *id);
/* Zero an identity held in RAM. */
void storage_wipe(struct identity *id);

#endif
