/*
 * tid_host.c — the three imports of the module (docs/abi.md "Imports"), in C:
 *
 *   random(ptr, len) -> i32       getrandom(2): fill [ptr, ptr+len) and return 0, any other value = failure
 *   now() -> i64                  time(2): Unix seconds; -1 when the clock fails (the module then
 *                                 returns TID_ERR_CLOCK_FAILED; it refuses anything outside 0..2^32-1)
 *   transceive(cmd, cmd_len, rsp, rsp_cap, rsp_len_ptr) -> i32
 *                                 one APDU over the FM I2C link (fm_i2c.c); the response at rsp, its
 *                                 length as a little-endian u32 at rsp_len_ptr; a TID_ERR_SE_* status
 *                                 on failure; TID_ERR_SE_NOT_CONFIGURED without an SE
 *
 * Every pointer is checked against the memory size before it is used. An import must return (a
 * trap or longjmp through the module leaves it mid-call, docs/abi.md "Imports").
 */
#define _GNU_SOURCE
#include "tid_host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static int in_memory(const struct Z_env_instance_t *env, uint32_t ptr, uint32_t len) {
  return (uint64_t)ptr + len <= env->memory->size;
}

u32 Z_envZ_random(struct Z_env_instance_t *env, u32 ptr, u32 len) {
  if (!in_memory(env, ptr, len)) return (u32)TID_ERR_OUT_OF_BOUNDS;
  uint8_t *p = env->memory->data + ptr;
  if (env->test_random) {
    if (env->test_random_len - env->test_random_pos < len) {
      fprintf(stderr, "tid-c-host: TEST MODE: the %zu bytes of TID_C_HOST_TEST_RANDOM are used up (%u more asked)\n",
              env->test_random_len, len);
      return 1;
    }
    memcpy(p, env->test_random + env->test_random_pos, len);
    env->test_random_pos += len;
    return 0;
  }
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0); /* blocks until the kernel's pool is initialised, then never */
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    p += n;
    len -= (u32)n;
  }
  return 0;
}

u64 Z_envZ_now(struct Z_env_instance_t *env) {
  if (env->test_now_set) return (u64)env->test_now;
  time_t t = time(NULL);
  return t == (time_t)-1 ? (u64)(int64_t)-1 : (u64)(int64_t)t;
}

u32 Z_envZ_transceive(struct Z_env_instance_t *env, u32 cmd_ptr, u32 cmd_len, u32 rsp_ptr, u32 rsp_cap, u32 rsp_len_ptr) {
  if (!env->link) return (u32)TID_ERR_SE_NOT_CONFIGURED;
  if (!in_memory(env, cmd_ptr, cmd_len) || !in_memory(env, rsp_ptr, rsp_cap) || !in_memory(env, rsp_len_ptr, 4))
    return (u32)TID_ERR_SE_IO;
  uint8_t rsp[FM_I2C_MAX_LEN];
  size_t n = 0;
  int32_t st = fm_i2c_apdu(env->link, env->memory->data + cmd_ptr, cmd_len, rsp, sizeof rsp, &n);
  if (st == TID_OK && (n < 2 || n > rsp_cap)) {
    snprintf(env->link->err, sizeof env->link->err, "%s: a response of %zu bytes (2..%u fit)", env->link->name, n, rsp_cap);
    st = TID_ERR_SE_IO;
  }
  if (st == TID_OK) {
    memcpy(env->memory->data + rsp_ptr, rsp, n);
    uint8_t *cell = env->memory->data + rsp_len_ptr;
    cell[0] = (uint8_t)n;
    cell[1] = (uint8_t)(n >> 8);
    cell[2] = cell[3] = 0;
  }
  memset(rsp, 0, sizeof rsp); /* responses carry tokens (AUTH FINISH) */
  return (u32)st;
}

void tid_host_start(struct tid_host *h, struct fm_i2c *link) {
  memset(h, 0, sizeof *h);
  h->env.link = link;
  wasm_rt_init();
  Z_tid_init_module();
  Z_tid_instantiate(&h->wasm, &h->env); /* the start function calls no import */
  h->env.memory = Z_tidZ_memory(&h->wasm);
}

void tid_host_stop(struct tid_host *h) {
  if (h->env.memory) memset(h->env.memory->data, 0, h->env.memory->size);
  Z_tid_free(&h->wasm);
  wasm_rt_free();
  if (h->env.test_random) free(h->env.test_random);
  h->env.test_random = NULL;
  h->env.memory = NULL;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int tid_host_test_mode_from_env(struct tid_host *h) {
  const char *rnd = getenv("TID_C_HOST_TEST_RANDOM");
  const char *now = getenv("TID_C_HOST_TEST_NOW");
  int on = 0;
  if (rnd && *rnd) {
    size_t n = strlen(rnd);
    if (n % 2) return -1;
    h->env.test_random = malloc(n / 2 + 1);
    if (!h->env.test_random) return -1;
    for (size_t i = 0; i < n / 2; i++) {
      int a = hexval(rnd[2 * i]), b = hexval(rnd[2 * i + 1]);
      if (a < 0 || b < 0) return -1;
      h->env.test_random[i] = (uint8_t)(a << 4 | b);
    }
    h->env.test_random_len = n / 2;
    on = 1;
  }
  if (now && *now) {
    char *end = NULL;
    errno = 0;
    long long t = strtoll(now, &end, 10);
    if (errno || *end) return -1;
    h->env.test_now_set = 1;
    h->env.test_now = t;
    on = 1;
  }
  if (on) fprintf(stderr, "tid-c-host: TEST MODE: fixed random bytes / time from TID_C_HOST_TEST_*; never in a product\n");
  return on;
}

uint32_t tid_get_u32(struct tid_host *h, uint32_t ptr) {
  const uint8_t *p = tid_mem(h) + ptr;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void tid_put_u32(struct tid_host *h, uint32_t ptr, uint32_t v) {
  uint8_t *p = tid_mem(h) + ptr;
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

const char *tid_status_name(int32_t status) {
#define TID_NAME_OF(name, value) \
  if (status == (value)) return #name;
  TID_WASM_STATUS_LIST(TID_NAME_OF)
#undef TID_NAME_OF
  return "an unknown status";
}
