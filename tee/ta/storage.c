/* TID + PSK + lock state in TEE persistent storage (GP TEE Internal Core API 1.3.1 §5.7
 * TEE_OpenPersistentObject / TEE_CreatePersistentObject, §5.9 TEE_ReadObjectData), storage
 * TEE_STORAGE_PRIVATE: OP-TEE encrypts and authenticates it with a key derived from the hardware
 * unique key and the TA's UUID (docs/tee.md, "Storage", and what that is worth on a given board).
 * Object "tid-identity", 27 bytes: format(1) = 01 ‖ locked(1) ‖ TID(8) ‖ PSK(16) ‖ check(1), the
 * check byte being the XOR of the others so a truncated or foreign object is refused rather than
 * taken for an identity. The identity is never exported: no command reads the PSK back. */
#include <string.h>
#include <tee_internal_api.h>
#include "storage.h"

static const char OBJECT_ID[] = "tid-identity";
#define RECORD_FORMAT 0x01
#define RECORD_SIZE (2 + IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE + 1)

static uint8_t check_byte(const uint8_t *r) {
  uint8_t x = 0x5A;
  size_t i;
  for (i = 0; i < RECORD_SIZE - 1; i++) x ^= r[i];
  return x;
}

void storage_wipe(struct identity *id) {
  TEE_MemFill(id, 0, sizeof *id);
}

TEE_Result storage_load(struct identity *id) {
  TEE_ObjectHandle h = TEE_HANDLE_NULL;
  uint8_t r[RECORD_SIZE + 1];
  size_t n = 0;
  TEE_Result res;
  storage_wipe(id);
  res = TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, OBJECT_ID, sizeof OBJECT_ID - 1, TEE_DATA_FLAG_ACCESS_READ, &h);
  if (res == TEE_ERROR_ITEM_NOT_FOUND) return TEE_SUCCESS; /* blank */
  if (res != TEE_SUCCESS) return res;
  res = TEE_ReadObjectData(h, r, sizeof r, &n); /* one byte more than a record: catches a longer object */
  TEE_CloseObject(h);
  if (res == TEE_SUCCESS) {
    if (n != RECORD_SIZE || r[0] != RECORD_FORMAT || r[1] > 1 || check_byte(r) != r[RECORD_SIZE - 1]) {
      res = TEE_ERROR_CORRUPT_OBJECT;
    } else {
      id->present = 1;
      id->locked = r[1];
      TEE_MemMove(id->tid, r + 2, IDENTITY_TID_SIZE);
      TEE_MemMove(id->psk, r + 2 + IDENTITY_TID_SIZE, IDENTITY_PSK_SIZE);
    }
  }
  TEE_MemFill(r, 0, sizeof r);
  return res;
}

TEE_Result storage_save(const struct identity *id) {
  TEE_ObjectHandle h = TEE_HANDLE_NULL;
  uint8_t r[RECORD_SIZE];
  TEE_Result res;
  r[0] = RECORD_FORMAT;
  r[1] = id->locked ? 1 : 0;
  TEE_MemMove(r + 2, id->tid, IDENTITY_TID_SIZE);
  TEE_MemMove(r + 2 + IDENTITY_TID_SIZE, id->psk, IDENTITY_PSK_SIZE);
  r[RECORD_SIZE - 1] = check_byte(r);
  /* OVERWRITE replaces an existing object atomically (§5.7.2): the old identity stays if this fails */
  res = TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, OBJECT_ID, sizeof OBJECT_ID - 1,
                                   TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_ACCESS_WRITE | TEE_DATA_FLAG_OVERWRITE,
                                   TEE_HANDLE_NULL, r, sizeof r, &h);
  TEE_MemFill(r, 0, sizeof r);
  if (res == TEE_SUCCESS) TEE_CloseObject(h);
  return res;
}
