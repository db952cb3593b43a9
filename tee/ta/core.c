/* The TID wasm core inside the TA (docs/tee.md, "The wasm core in C"): build/portable.wasm
 * translated by wasm2c (module name "tid", so exports are Z_tidZ_<name>), instantiated once per
 * TA instance. Its imports (docs/abi.md "Imports"):
 *   random(ptr, len)  TEE_GenerateRandom (GP TEE Internal Core API 1.3.1 §6.11) → 0
 *   now()             the device time of the AUTH BEGIN being served (the profile gives the time
 *                     in the command: the SE has no clock, docs/se-profile.md); outside AUTH BEGIN
 *                     the REE time, TEE_GetREETime (§7.2.3), which the rich OS controls
 *   transceive(...)   ERR_SE_NOT_CONFIGURED: inside the TA the module is the SE, it has none behind it
 * Data crosses into linear memory through the module's I/O region and every copy is wiped after
 * use with TEE_MemFill (§4.11). */
#include <string.h>
#include <tee_internal_api.h>
#include "tid.h"
#include "core.h"

struct Z_env_instance_t {
  int serving_time; /* 1 while core_authcode runs: `now` answers `time` */
  uint32_t time;
};

static Z_tid_instance_t g_module;
static struct Z_env_instance_t g_env;
static int g_open;

u32 Z_envZ_random(struct Z_env_instance_t *env, u32 ptr, u32 len) {
  wasm_rt_memory_t *mem = Z_tidZ_memory(&g_module);
  (void)env;
  if ((uint64_t)ptr + len > mem->size) return 1; /* the module's call fails: ERR_RNG_FAILED */
  TEE_GenerateRandom(mem->data + ptr, len);
  return 0;
}

u64 Z_envZ_now(struct Z_env_instance_t *env) {
  TEE_Time t;
  if (env->serving_time) return env->time;
  TEE_GetREETime(&t);
  return t.seconds;
}

u32 Z_envZ_transceive(struct Z_env_instance_t *env, u32 cmd, u32 cmd_len, u32 rsp, u32 cap, u32 rsp_len) {
  (void)env, (void)cmd, (void)cmd_len, (void)rsp, (void)cap, (void)rsp_len;
  return (u32)CORE_ERR_SE_NOT_CONFIGURED;
}

static uint8_t *mem(void) {
  return Z_tidZ_memory(&g_module)->data;
}

/* the I/O region: [io, io + io_cap) */
static u32 io(void) {
  return Z_tidZ_tid_io_ptr(&g_module);
}

TEE_Result core_open(void) {
  if (g_open) return TEE_SUCCESS;
  wasm_rt_init();
  Z_tid_init_module();
  Z_tid_instantiate(&g_module, &g_env);
  g_open = 1;
  return TEE_SUCCESS;
}

void core_close(void) {
  if (!g_open) return;
  (void)Z_tidZ_tid_close(&g_module);
  Z_tid_free(&g_module); /* wasm_rt_free_memory wipes linear memory */
  wasm_rt_free();
  g_open = 0;
}

int32_t core_load_identity(const uint8_t tid[CORE_TID_SIZE], const uint8_t psk[CORE_PSK_SIZE], uint8_t suite) {
  int32_t st = (int32_t)Z_tidZ_tid_set_backend(&g_module, 1); /* soft: zeroes every key first */
  if (st != CORE_OK) return st;
  TEE_MemMove(mem() + io(), tid, CORE_TID_SIZE);
  TEE_MemMove(mem() + io() + CORE_TID_SIZE, psk, CORE_PSK_SIZE);
  mem()[io() + CORE_TID_SIZE + CORE_PSK_SIZE] = suite;
  st = (int32_t)Z_tidZ_tid_soft_load_identity(&g_module, io(), CORE_TID_SIZE + CORE_PSK_SIZE + 1);
  TEE_MemFill(mem() + io(), 0, CORE_TID_SIZE + CORE_PSK_SIZE + 1);
  if (st != CORE_OK) return st;
  return (int32_t)Z_tidZ_tid_client_init(&g_module);
}

void core_forget_identity(void) {
  (void)Z_tidZ_tid_close(&g_module); /* zeroes every key and all state */
}

int32_t core_authcode(uint16_t flags, uint32_t time, const uint8_t *extra, size_t extra_len, uint8_t *out,
                      size_t *len) {
  u32 base = io(), lenp = base + CORE_MAX_EXTRA, out_at = lenp + 16;
  uint32_t cap;
  int32_t st;
  if (extra_len > CORE_MAX_EXTRA || *len > CORE_AUTHCODE_MAX) return CORE_ERR_BAD_LENGTH;
  TEE_MemMove(mem() + base, extra, extra_len);
  st = (int32_t)Z_tidZ_tid_set_authcode_options(&g_module, flags, base, (u32)extra_len);
  if (st != CORE_OK) return st;
  cap = (uint32_t)*len;
  memcpy(mem() + lenp, &cap, 4); /* little-endian cell: wasm memory is little-endian, as is the TA */
  g_env.serving_time = 1;
  g_env.time = time;
  st = (int32_t)Z_tidZ_tid_client_get_authcode(&g_module, out_at, lenp);
  g_env.serving_time = 0;
  memcpy(&cap, mem() + lenp, 4);
  if (st == CORE_OK) {
    if (cap > *len) TEE_Panic(TEE_ERROR_GENERIC);
    TEE_MemMove(out, mem() + out_at, cap);
  }
  *len = cap;
  TEE_MemFill(mem() + out_at, 0, CORE_AUTHCODE_MAX);
  return st;
}

void core_drop_pending(void) {
  u32 lenp = io();
  uint32_t cap = CORE_TOKEN_SIZE;
  memcpy(mem() + lenp, &cap, 4);
  /* a zero-length answer: the module takes the pending request out first, then refuses the length */
  (void)Z_tidZ_tid_client_validate_authcode(&g_module, lenp + 16, 0, lenp + 32, lenp);
}

int32_t core_validate(const uint8_t *data, size_t len, uint8_t token[CORE_TOKEN_SIZE], int *issued) {
  u32 lenp = io(), tok = lenp + 16, sd = lenp + 32;
  uint32_t got = CORE_TOKEN_SIZE;
  int32_t st;
  if (len > CORE_SERVER_DATA_MAX) return CORE_ERR_BAD_LENGTH;
  memcpy(mem() + lenp, &got, 4);
  TEE_MemMove(mem() + sd, data, len);
  st = (int32_t)Z_tidZ_tid_client_validate_authcode(&g_module, sd, (u32)len, tok, lenp);
  memcpy(&got, mem() + lenp, 4);
  *issued = 0;
  if (st == CORE_OK && got == CORE_TOKEN_SIZE) {
    TEE_MemMove(token, mem() + tok, CORE_TOKEN_SIZE);
    *issued = 1;
    (void)Z_tidZ_tid_erase_slot(&g_module, 0); /* the applet keeps the token in its own slot */
  }
  TEE_MemFill(mem() + tok, 0, CORE_TOKEN_SIZE);
  TEE_MemFill(mem() + sd, 0, len);
  return st;
}

int32_t core_slot_set(uint8_t suite, uint32_t slot, const uint8_t key[16]) {
  int32_t st;
  TEE_MemMove(mem() + io(), key, 16);
  st = (int32_t)(suite == CORE_SUITE_INTL ? Z_tidZ_aes_key_set(&g_module, slot, io())
                                          : Z_tidZ_sm4_key_set(&g_module, slot, io()));
  TEE_MemFill(mem() + io(), 0, 16);
  return st;
}

void core_slot_clear(uint32_t slot) {
  if (!g_open) return;
  (void)Z_tidZ_sm4_key_clear(&g_module, slot);
  (void)Z_tidZ_aes_key_clear(&g_module, slot);
}

int32_t core_slot_ecb(uint8_t suite, uint32_t slot, int encrypt, const uint8_t *in, uint8_t *out, size_t len) {
  u32 src = io(), dst = src + (u32)len;
  int32_t st;
  if (len > 2048) return CORE_ERR_BAD_LENGTH;
  TEE_MemMove(mem() + src, in, len);
  if (suite == CORE_SUITE_INTL)
    st = (int32_t)(encrypt ? Z_tidZ_aes_ecb_encrypt(&g_module, slot, src, dst, (u32)len)
                           : Z_tidZ_aes_ecb_decrypt(&g_module, slot, src, dst, (u32)len));
  else
    st = (int32_t)(encrypt ? Z_tidZ_sm4_ecb_encrypt(&g_module, slot, src, dst, (u32)len)
                           : Z_tidZ_sm4_ecb_decrypt(&g_module, slot, src, dst, (u32)len));
  if (st == CORE_OK) TEE_MemMove(out, mem() + dst, len);
  TEE_MemFill(mem() + src, 0, 2 * len);
  return st;
}

/* ---- the shielded link's primitives (secure_session.c) ------------------------------------- */

int32_t core_sm2_keygen(uint8_t d[CORE_SM2_PRIVATE_SIZE], uint8_t pub[CORE_SM2_PUBLIC_SIZE]) {
  u32 dp = io(), pp = dp + CORE_SM2_PRIVATE_SIZE;
  int32_t st = (int32_t)Z_tidZ_sm2_keygen(&g_module, dp, pp);
  if (st == CORE_OK) {
    TEE_MemMove(d, mem() + dp, CORE_SM2_PRIVATE_SIZE);
    TEE_MemMove(pub, mem() + pp, CORE_SM2_PUBLIC_SIZE);
  }
  TEE_MemFill(mem() + dp, 0, CORE_SM2_PRIVATE_SIZE + CORE_SM2_PUBLIC_SIZE);
  return st;
}

int32_t core_sm2_public(const uint8_t d[CORE_SM2_PRIVATE_SIZE], uint8_t pub[CORE_SM2_PUBLIC_SIZE]) {
  u32 dp = io(), pp = dp + CORE_SM2_PRIVATE_SIZE;
  int32_t st;
  TEE_MemMove(mem() + dp, d, CORE_SM2_PRIVATE_SIZE);
  st = (int32_t)Z_tidZ_sm2_public_from_private(&g_module, dp, pp);
  if (st == CORE_OK) TEE_MemMove(pub, mem() + pp, CORE_SM2_PUBLIC_SIZE);
  TEE_MemFill(mem() + dp, 0, CORE_SM2_PRIVATE_SIZE + CORE_SM2_PUBLIC_SIZE);
  return st;
}

int32_t core_sm2_point_check(const uint8_t pub[CORE_SM2_PUBLIC_SIZE]) {
  u32 src = io(), out = src + CORE_SM2_PUBLIC_SIZE;
  int32_t st;
  TEE_MemMove(mem() + src, pub, CORE_SM2_PUBLIC_SIZE);
  st = (int32_t)Z_tidZ_sm2_point_decode(&g_module, src, CORE_SM2_PUBLIC_SIZE, out);
  TEE_MemFill(mem() + src, 0, 2 * CORE_SM2_PUBLIC_SIZE);
  return st;
}

int32_t core_sm2_ecdh(const uint8_t d[CORE_SM2_PRIVATE_SIZE], const uint8_t peer[CORE_SM2_PUBLIC_SIZE], uint8_t x[32]) {
  u32 dp = io(), qp = dp + CORE_SM2_PRIVATE_SIZE, xp = qp + CORE_SM2_PUBLIC_SIZE;
  int32_t st;
  TEE_MemMove(mem() + dp, d, CORE_SM2_PRIVATE_SIZE);
  TEE_MemMove(mem() + qp, peer, CORE_SM2_PUBLIC_SIZE);
  st = (int32_t)Z_tidZ_sm2_ecdh(&g_module, dp, qp, xp);
  if (st == CORE_OK) TEE_MemMove(x, mem() + xp, 32);
  TEE_MemFill(mem() + dp, 0, CORE_SM2_PRIVATE_SIZE + CORE_SM2_PUBLIC_SIZE + 32);
  return st;
}

int32_t core_sm3_kdf(const uint8_t *z, size_t z_len, uint8_t *out, size_t out_len) {
  u32 zp = io(), op = zp + (u32)z_len;
  int32_t st;
  if (z_len > 1024 || out_len > 1024) return CORE_ERR_BAD_LENGTH;
  TEE_MemMove(mem() + zp, z, z_len);
  st = (int32_t)Z_tidZ_sm3_kdf(&g_module, zp, (u32)z_len, op, (u32)out_len);
  if (st == CORE_OK) TEE_MemMove(out, mem() + op, out_len);
  TEE_MemFill(mem() + zp, 0, z_len + out_len);
  return st;
}

int32_t core_cbc(uint32_t h, int encrypt, const uint8_t iv[16], const uint8_t *in, uint8_t *out, size_t len) {
  u32 ivp = io(), src = ivp + 16, dst = src + (u32)len;
  int32_t st;
  if (len > CORE_CBC_MAX) return CORE_ERR_BAD_LENGTH;
  TEE_MemMove(mem() + ivp, iv, 16);
  TEE_MemMove(mem() + src, in, len);
  st = (int32_t)(encrypt ? Z_tidZ_sm4_cbc_encrypt(&g_module, h, ivp, src, dst, (u32)len)
                         : Z_tidZ_sm4_cbc_decrypt(&g_module, h, ivp, src, dst, (u32)len));
  if (st == CORE_OK) TEE_MemMove(out, mem() + dst, len);
  TEE_MemFill(mem() + ivp, 0, 16 + 2 * len);
  return st;
}

int32_t core_cmac(uint32_t h, const uint8_t *msg, size_t len, uint8_t mac[16]) {
  u32 xp = io(), mp = xp + 16, src = mp + 16;
  int32_t st;
  if (len > CORE_CMAC_MAX) return CORE_ERR_BAD_LENGTH;
  TEE_MemFill(mem() + xp, 0, 16); /* a new message: zero chaining cell */
  TEE_MemMove(mem() + src, msg, len);
  st = (int32_t)Z_tidZ_sm4_cmac_final(&g_module, h, xp, src, (u32)len, mp);
  if (st == CORE_OK) TEE_MemMove(mac, mem() + mp, 16);
  TEE_MemFill(mem() + xp, 0, 32 + len);
  return st;
}
