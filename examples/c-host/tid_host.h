/*
 * tid_host.h — the module instance and the three imports it needs (docs/abi.md "Imports"), for
 * build/portable.wasm translated to C by wasm2c (wabt 1.0.32): tid.h is generated into the build
 * directory by the Makefile. wasm2c names an import `Z_<module>Z_<name>` and hands it the
 * `struct Z_env_instance_t *` given at instantiation; an export is `Z_tidZ_<name>(Z_tid_instance_t *, …)`.
 */
#ifndef TID_HOST_H
#define TID_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "fm_i2c.h"
#include "tid.h"
#include "tid_wasm.h"

/* What the imports see: the module's memory and the host's devices. wasm2c leaves this struct to us. */
struct Z_env_instance_t {
  wasm_rt_memory_t *memory;
  struct fm_i2c *link; /* the SE; NULL: transceive answers TID_ERR_SE_NOT_CONFIGURED */
  /* TEST MODE (TID_C_HOST_TEST_RANDOM / TID_C_HOST_TEST_NOW): fixed "entropy" and time. */
  uint8_t *test_random;
  size_t test_random_len, test_random_pos;
  int test_now_set;
  int64_t test_now;
};

struct tid_host {
  Z_tid_instance_t wasm;
  struct Z_env_instance_t env;
};

/* Initialise the wasm runtime and instantiate the module (its start function runs). */
void tid_host_start(struct tid_host *h, struct fm_i2c *link);
/* Zero the module's memory (keys, state) and free the instance and the runtime. */
void tid_host_stop(struct tid_host *h);
/*
 * TEST MODE, for reproducing known answers only: `random` returns these bytes in order (and fails
 * once they are used up), `now` returns this time. Read from TID_C_HOST_TEST_RANDOM (hex) and
 * TID_C_HOST_TEST_NOW (Unix seconds). Returns 1 if test mode is on, 0 if off, -1 on a bad value.
 */
int tid_host_test_mode_from_env(struct tid_host *h);

/* The module's linear memory. */
static inline uint8_t *tid_mem(struct tid_host *h) { return h->env.memory->data; }
/* The little-endian u32 cell at ptr. */
uint32_t tid_get_u32(struct tid_host *h, uint32_t ptr);
void tid_put_u32(struct tid_host *h, uint32_t ptr, uint32_t v);

/* "TID_ERR_SE_NACK" for -501: the names of include/tid_wasm.h. */
const char *tid_status_name(int32_t status);

#endif
