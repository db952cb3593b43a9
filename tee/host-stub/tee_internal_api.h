/* A host-side stand-in for the part of the GlobalPlatform TEE Internal Core API (v1.3.1) that the
 * TID trusted application uses, so tee/ta/ builds natively with gcc for tests (docs/tee.md,
 * "Testing without a TEE"). Names, types and values are the specification's: TEE_Result codes
 * (§3.2), TEE_Param and the TEE_PARAM_TYPES macros (§4.1, §4.3.6), memory functions (§4.11),
 * persistent objects (§5.7–5.9), TEE_GenerateRandom (§6.11), TEE_GetREETime (§7.2.3).
 * It is not a TEE: there is no isolation, and "persistent storage" is a directory or RAM.
 * The implementation is tee_stub.c; it checks what the real API checks where that is cheap
 * (a handle, an access flag, an object ID length) and panics where the real API would. */
#ifndef TEE_INTERNAL_API_H
#define TEE_INTERNAL_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef uint32_t TEE_Result;

typedef struct {
  uint32_t timeLow;
  uint16_t timeMid;
  uint16_t timeHiAndVersion;
  uint8_t clockSeqAndNode[8];
} TEE_UUID;

/* §3.2 return codes (the values of Table 3-2 / OP-TEE's tee_api_defines.h) */
#define TEE_SUCCESS                  0x00000000
#define TEE_ERROR_GENERIC            0xFFFF0000
#define TEE_ERROR_ACCESS_DENIED      0xFFFF0001
#define TEE_ERROR_CANCEL             0xFFFF0002
#define TEE_ERROR_ACCESS_CONFLICT    0xFFFF0003
#define TEE_ERROR_EXCESS_DATA        0xFFFF0004
#define TEE_ERROR_BAD_FORMAT         0xFFFF0005
#define TEE_ERROR_BAD_PARAMETERS     0xFFFF0006
#define TEE_ERROR_BAD_STATE          0xFFFF0007
#define TEE_ERROR_ITEM_NOT_FOUND     0xFFFF0008
#define TEE_ERROR_NOT_IMPLEMENTED    0xFFFF0009
#define TEE_ERROR_NOT_SUPPORTED      0xFFFF000A
#define TEE_ERROR_NO_DATA            0xFFFF000B
#define TEE_ERROR_OUT_OF_MEMORY      0xFFFF000C
#define TEE_ERROR_BUSY               0xFFFF000D
#define TEE_ERROR_COMMUNICATION      0xFFFF000E
#define TEE_ERROR_SECURITY           0xFFFF000F
#define TEE_ERROR_SHORT_BUFFER       0xFFFF0010
#define TEE_ERROR_STORAGE_NOT_AVAILABLE 0xF0100003
#define TEE_ERROR_CORRUPT_OBJECT     0xF0100001
#define TEE_ERROR_STORAGE_NO_SPACE   0xFFFF3041

/* §4.3.6 parameter types */
#define TEE_PARAM_TYPE_NONE          0
#define TEE_PARAM_TYPE_VALUE_INPUT   1
#define TEE_PARAM_TYPE_VALUE_OUTPUT  2
#define TEE_PARAM_TYPE_VALUE_INOUT   3
#define TEE_PARAM_TYPE_MEMREF_INPUT  5
#define TEE_PARAM_TYPE_MEMREF_OUTPUT 6
#define TEE_PARAM_TYPE_MEMREF_INOUT  7

#define TEE_PARAM_TYPES(t0, t1, t2, t3) \
  ((uint32_t)(t0) | ((uint32_t)(t1) << 4) | ((uint32_t)(t2) << 8) | ((uint32_t)(t3) << 12))
#define TEE_PARAM_TYPE_GET(t, i) (((t) >> ((i) * 4)) & 0xF)

typedef union {
  struct {
    void *buffer;
    size_t size; /* GP 1.3.1: size_t (1.1 had uint32_t) */
  } memref;
  struct {
    uint32_t a, b;
  } value;
} TEE_Param;

/* §5 objects */
typedef struct __TEE_ObjectHandle *TEE_ObjectHandle;
#define TEE_HANDLE_NULL 0
#define TEE_STORAGE_PRIVATE          0x00000001
#define TEE_OBJECT_ID_MAX_LEN        64
#define TEE_DATA_FLAG_ACCESS_READ        0x00000001
#define TEE_DATA_FLAG_ACCESS_WRITE       0x00000002
#define TEE_DATA_FLAG_ACCESS_WRITE_META  0x00000004
#define TEE_DATA_FLAG_SHARE_READ         0x00000010
#define TEE_DATA_FLAG_SHARE_WRITE        0x00000020
#define TEE_DATA_FLAG_OVERWRITE          0x00000400

/* §7.2 time */
typedef struct {
  uint32_t seconds;
  uint32_t millis;
} TEE_Time;

/* §4.11 memory */
#define TEE_MALLOC_FILL_ZERO 0x00000000
void *TEE_Malloc(size_t size, uint32_t hint);
void TEE_Free(void *buffer);
void TEE_MemMove(void *dest, const void *src, size_t size);
int32_t TEE_MemCompare(const void *buffer1, const void *buffer2, size_t size);
void TEE_MemFill(void *buffer, uint32_t x, size_t size);

/* §4.8 panic: never returns */
void TEE_Panic(TEE_Result panicCode) __attribute__((noreturn));

/* §5.7 persistent objects, §5.9 data streams */
TEE_Result TEE_OpenPersistentObject(uint32_t storageID, const void *objectID, size_t objectIDLen,
                                    uint32_t flags, TEE_ObjectHandle *object);
TEE_Result TEE_CreatePersistentObject(uint32_t storageID, const void *objectID, size_t objectIDLen,
                                      uint32_t flags, TEE_ObjectHandle attributes,
                                      const void *initialData, size_t initialDataLen,
                                      TEE_ObjectHandle *object);
TEE_Result TEE_ReadObjectData(TEE_ObjectHandle object, void *buffer, size_t size, size_t *count);
void TEE_CloseObject(TEE_ObjectHandle object);
TEE_Result TEE_CloseAndDeletePersistentObject1(TEE_ObjectHandle object);

/* §6.11 random, §7.2.3 REE time */
void TEE_GenerateRandom(void *randomBuffer, size_t randomBufferLen);
void TEE_GetREETime(TEE_Time *time);

/* §4.3 TA interface: what the TA defines */
TEE_Result TA_CreateEntryPoint(void);
void TA_DestroyEntryPoint(void);
TEE_Result TA_OpenSessionEntryPoint(uint32_t paramTypes, TEE_Param params[4], void **sessionContext);
void TA_CloseSessionEntryPoint(void *sessionContext);
TEE_Result TA_InvokeCommandEntryPoint(void *sessionContext, uint32_t commandID, uint32_t paramTypes,
                                      TEE_Param params[4]);

#endif
