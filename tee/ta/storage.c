/* The TA's NVM in TEE persistent storage (GP TEE Internal Core API 1.3.1 §5.7
 * TEE_OpenPersistentObject / TEE_CreatePersistentObject, §5.9 TEE_ReadObjectData), storage
 * TEE_STORAGE_PRIVATE: OP-TEE encrypts and authenticates it with a key derived from the hardware
 * unique key and the TA's UUID (docs/tee.md, "Storage", and what that is worth on a given board).
 * Object "tid-identity", one of three formats:
 *   01, 27 bytes: format(1) ‖ locked(1) ‖ TID(8) ‖ PSK(16) ‖ check(1)            no link key
 *   02, 60 bytes: format(1) ‖ locked(1) ‖ identity(1) ‖ TID(8) ‖ PSK(16) ‖ SK.SE(32) ‖ check(1)
 *   03, 61 bytes: format(1) ‖ locked(1) ‖ link(1) ‖ suite(1) ‖ TID(8) ‖ PSK(16) ‖ SK.SE(32) ‖ check(1)
 * (identity = 1 when TID and PSK are provisioned; a paired TA may have none yet. link = 1 when
 * SK.SE is there, else SK.SE is zero.) Formats 01 and 02 carry an identity of suite SM; 03 an
 * identity (always present) of suite INTL, suite byte 01 (docs/se-profile.md, PROVISION). The TA
 * writes 03 only for suite INTL and 01 / 02 for suite SM exactly as the TAs before the suite did,
 * so an older TA still reads every SM object; an INTL object it refuses (format 03 is unknown to
 * it), which is right: it cannot serve that identity. The check byte is 5A XOR the other bytes,
 * so a truncated or foreign object is refused rather than taken for an identity. Format 01 is
 * what a TA without a link key writes, as the TA before the shielded link did, so its objects
 * still read. Neither the PSK nor SK.SE is ever exported. */
#include <string.h>
#include <tee_internal_api.h>
#include "storage.h"

static const char OBJECT_ID[] = "tid-identity";
#define FORMAT_IDENTITY 0x01
#define FORMAT_WITH_LINK_KEY 0x02
#define FORMAT_WITH_SUITE 0x03
#define SIZE_IDENTITY (2 + IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE + 1)
#define SIZE_WITH_LINK_KEY (3 + IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE + IDENTITY_LINK_KEY_SIZE + 1)
#define SIZE_WITH_SUITE (4 + IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE + IDENTITY_LINK_KEY_SIZE + 1)
#define SIZE_LONGEST SIZE_WITH_SUITE

static uint8_t check_byte(const uint8_t *r, size_t size) {
  uint8_t x = 0x5A;
  size_t i;
  for (i = 0; i < size - 1; i++) x ^= r[i];
  return x;
}

void storage_wipe(struct identity *id) {
  TEE_MemFill(id, 0, sizeof *id);
}

static int all_zero(const uint8_t *p, size_t n) {
  uint8_t acc = 0;
  size_t i;
  for (i = 0; i < n; i++) acc |= p[i];
  return acc == 0;
}

/* a record read from the object → id; 0 when it is not a record of any of the formats */
static int parse(const uint8_t *r, size_t n, struct identity *id) {
  const uint8_t *body;
  if (n == SIZE_IDENTITY && r[0] == FORMAT_IDENTITY) {
    if (r[1] > 1 || check_byte(r, n) != r[n - 1]) return 0;
    id->present = 1;
    id->locked = r[1];
    body = r + 2;
  } else if (n == SIZE_WITH_LINK_KEY && r[0] == FORMAT_WITH_LINK_KEY) {
    if (r[1] > 1 || r[2] > 1 || (r[1] && !r[2]) || check_byte(r, n) != r[n - 1]) return 0;
    id->present = r[2];
    id->locked = r[1];
    id->has_link = 1;
    TEE_MemMove(id->link_sk, r + 3 + IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE, IDENTITY_LINK_KEY_SIZE);
    body = r + 3;
  } else if (n == SIZE_WITH_SUITE && r[0] == FORMAT_WITH_SUITE) {
    const uint8_t *sk = r + 4 + IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE;
    if (r[1] > 1 || r[2] > 1 || r[3] != IDENTITY_SUITE_INTL || check_byte(r, n) != r[n - 1]) return 0;
    if (!r[2] && !all_zero(sk, IDENTITY_LINK_KEY_SIZE)) return 0; /* no link key: SK.SE zero */
    id->present = 1;
    id->locked = r[1];
    id->has_link = r[2];
    id->suite = IDENTITY_SUITE_INTL;
    if (r[2]) TEE_MemMove(id->link_sk, sk, IDENTITY_LINK_KEY_SIZE);
    body = r + 4;
  } else {
    return 0;
  }
  TEE_MemMove(id->tid, body, IDENTITY_TID_SIZE);
  TEE_MemMove(id->psk, body + IDENTITY_TID_SIZE, IDENTITY_PSK_SIZE);
  return 1;
}

TEE_Result storage_load(struct identity *id) {
  TEE_ObjectHandle h = TEE_HANDLE_NULL;
  uint8_t r[SIZE_LONGEST + 1];
  size_t n = 0;
  TEE_Result res;
  storage_wipe(id);
  res = TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, OBJECT_ID, sizeof OBJECT_ID - 1, TEE_DATA_FLAG_ACCESS_READ, &h);
  if (res == TEE_ERROR_ITEM_NOT_FOUND) return TEE_SUCCESS; /* blank */
  if (res != TEE_SUCCESS) return res;
  res = TEE_ReadObjectData(h, r, sizeof r, &n); /* one byte more than the longest record: catches a longer object */
  TEE_CloseObject(h);
  if (res == TEE_SUCCESS && !parse(r, n, id)) {
    storage_wipe(id);
    res = TEE_ERROR_CORRUPT_OBJECT;
  }
  TEE_MemFill(r, 0, sizeof r);
  return res;
}

TEE_Result storage_save(const struct identity *id) {
  TEE_ObjectHandle h = TEE_HANDLE_NULL;
  uint8_t r[SIZE_LONGEST];
  size_t n;
  uint8_t *body;
  TEE_Result res;
  if (!id->present && !id->has_link) return TEE_ERROR_BAD_STATE;
  if (id->suite != IDENTITY_SUITE_SM && id->suite != IDENTITY_SUITE_INTL) return TEE_ERROR_BAD_STATE;
  TEE_MemFill(r, 0, sizeof r);
  if (id->present && id->suite == IDENTITY_SUITE_INTL) {
    n = SIZE_WITH_SUITE;
    r[0] = FORMAT_WITH_SUITE;
    r[2] = id->has_link ? 1 : 0;
    r[3] = IDENTITY_SUITE_INTL;
    body = r + 4;
    if (id->has_link) TEE_MemMove(body + IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE, id->link_sk, IDENTITY_LINK_KEY_SIZE);
  } else if (id->has_link) {
    n = SIZE_WITH_LINK_KEY;
    r[0] = FORMAT_WITH_LINK_KEY;
    r[2] = id->present ? 1 : 0;
    body = r + 3;
    TEE_MemMove(body + IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE, id->link_sk, IDENTITY_LINK_KEY_SIZE);
  } else {
    n = SIZE_IDENTITY;
    r[0] = FORMAT_IDENTITY;
    body = r + 2;
  }
  r[1] = id->present && id->locked ? 1 : 0;
  if (id->present) {
    TEE_MemMove(body, id->tid, IDENTITY_TID_SIZE);
    TEE_MemMove(body + IDENTITY_TID_SIZE, id->psk, IDENTITY_PSK_SIZE);
  }
  r[n - 1] = check_byte(r, n);
  /* OVERWRITE replaces an existing object atomically (§5.7.2): the old state stays if this fails */
  res = TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, OBJECT_ID, sizeof OBJECT_ID - 1,
                                   TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_ACCESS_WRITE | TEE_DATA_FLAG_OVERWRITE,
                                   TEE_HANDLE_NULL, r, n, &h);
  TEE_MemFill(r, 0, sizeof r);
  if (res == TEE_SUCCESS) TEE_CloseObject(h);
  return res;
}
