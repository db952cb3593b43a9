/* The TID wasm core (build/portable.wasm translated to C by wasm2c as module "tid") inside the TA:
 * one instance per TA instance, its three imports served by the GP TEE Internal Core API
 * (docs/tee.md, "The wasm core in C"; the exports and imports are docs/abi.md's). */
#ifndef TID_TA_CORE_H
#define TID_TA_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <tee_internal_api.h>

/* status codes of the module (include/tid_wasm.h; docs/abi.md "Every call") */
#define CORE_OK 0
#define CORE_ERR_BAD_LENGTH (-102)
#define CORE_ERR_NOT_INITIALISED (-200)
#define CORE_ERR_NO_PENDING_REQUEST (-201)
#define CORE_ERR_SLOT_EMPTY (-202)
#define CORE_ERR_BAD_FORMAT (-300)
#define CORE_ERR_UNSUPPORTED_VERSION (-301)
#define CORE_ERR_UNSUPPORTED_ALGORITHM (-302)
#define CORE_ERR_TID_MISMATCH (-303)
#define CORE_ERR_VERIFY_FAILED (-304)
#define CORE_ERR_BAD_POINT (-400)
#define CORE_ERR_BAD_SCALAR (-402)
#define CORE_ERR_SE_NOT_CONFIGURED (-505)

#define CORE_TID_SIZE 8
#define CORE_PSK_SIZE 16
/* the suite byte of tid_soft_load_identity (docs/abi.md): the identity's algorithm suite */
#define CORE_SUITE_SM 0
#define CORE_SUITE_INTL 1
#define CORE_TOKEN_SIZE 16
#define CORE_MAX_EXTRA 512
#define CORE_AUTHCODE_MAX (132 + CORE_MAX_EXTRA)
#define CORE_SERVER_DATA_MIN 68
#define CORE_SERVER_DATA_MAX 644

/* Instantiate the module; TEE_ERROR_OUT_OF_MEMORY when it cannot. */
TEE_Result core_open(void);
/* Free it; its linear memory (keys, PSK, pending request) is wiped first. */
void core_close(void);

/* Soft backend with this identity in this suite (tid_soft_load_identity of TID ‖ PSK ‖ suite, 25
 * bytes; wiping every slot and the pending request), or with none. AUTH BEGIN / FINISH then run
 * in the suite: its algorithm bytes, curve, MAC and KDF; server data of the other suite →
 * CORE_ERR_UNSUPPORTED_ALGORITHM. */
int32_t core_load_identity(const uint8_t tid[CORE_TID_SIZE], const uint8_t psk[CORE_PSK_SIZE], uint8_t suite);
void core_forget_identity(void);

/* tid_set_authcode_options + tid_client_get_authcode with the device time `time` served to the
 * module's `now` import for this one call. *len = capacity in, length out. */
int32_t core_authcode(uint16_t flags, uint32_t time, const uint8_t *extra, size_t extra_len, uint8_t *out,
                      size_t *len);
/* Drop the module's pending request (tid_client_validate_authcode of nothing consumes it). */
void core_drop_pending(void);
/* tid_client_validate_authcode: token[16] and *issued (0/1) on CORE_OK. The module's copy of the
 * token in its slot 0 is erased: the applet keeps its own slots. */
int32_t core_validate(const uint8_t *data, size_t len, uint8_t token[CORE_TOKEN_SIZE], int *issued);

/* The applet's session slots: the module's key handles of the suite's cipher — SM4 (sm4_key_set /
 * sm4_ecb_*) in suite SM, AES-128 (aes_key_set / aes_ecb_*) in suite INTL — handle = slot. A
 * clear empties the slot's handle of both ciphers, so no key outlives a change of suite. */
int32_t core_slot_set(uint8_t suite, uint32_t slot, const uint8_t key[16]);
void core_slot_clear(uint32_t slot);
int32_t core_slot_ecb(uint8_t suite, uint32_t slot, int encrypt, const uint8_t *in, uint8_t *out, size_t len);

/* ---- what the SE half of the shielded link needs (secure_session.c), each one export of the
 * module (docs/abi.md "SM2", "SM3, HMAC-SM3, SM3-KDF", "SM4"); every input and output crosses the
 * I/O region, which is wiped before the call returns. */
#define CORE_SM2_PRIVATE_SIZE 32
#define CORE_SM2_PUBLIC_SIZE 64
/* largest message core_cmac takes, and largest core_cbc input */
#define CORE_CMAC_MAX 2048
#define CORE_CBC_MAX 2048
/* sm2_keygen: d drawn from the `random` import (TEE_GenerateRandom), redrawn while 0 or ≥ n − 1 */
int32_t core_sm2_keygen(uint8_t d[CORE_SM2_PRIVATE_SIZE], uint8_t pub[CORE_SM2_PUBLIC_SIZE]);
/* sm2_public_from_private: CORE_ERR_BAD_SCALAR for d outside [1, n − 2] */
int32_t core_sm2_public(const uint8_t d[CORE_SM2_PRIVATE_SIZE], uint8_t pub[CORE_SM2_PUBLIC_SIZE]);
/* sm2_point_decode of a 64-byte X ‖ Y: CORE_OK for a point of the curve, else CORE_ERR_BAD_POINT */
int32_t core_sm2_point_check(const uint8_t pub[CORE_SM2_PUBLIC_SIZE]);
/* sm2_ecdh: x([d]Q), 32 bytes */
int32_t core_sm2_ecdh(const uint8_t d[CORE_SM2_PRIVATE_SIZE], const uint8_t peer[CORE_SM2_PUBLIC_SIZE], uint8_t x[32]);
/* sm3_kdf: out_len bytes of the SM3 KDF of GB/T 32918.4 over z */
int32_t core_sm3_kdf(const uint8_t *z, size_t z_len, uint8_t *out, size_t out_len);
/* sm4_cbc_encrypt / sm4_cbc_decrypt with handle h and the ICV iv, whole blocks */
int32_t core_cbc(uint32_t h, int encrypt, const uint8_t iv[16], const uint8_t *in, uint8_t *out, size_t len);
/* sm4_cmac_final from a zero chaining cell: the 16-byte CMAC-SM4 of msg under handle h */
int32_t core_cmac(uint32_t h, const uint8_t *msg, size_t len, uint8_t mac[16]);

#endif
