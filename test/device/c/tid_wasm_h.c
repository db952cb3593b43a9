/*
 * Compiled by test/device/c-header.test.ts against include/tid_wasm.h with -std=c99 -Wall -Wextra
 * -Wpedantic -Werror (and as C++): the header must be valid C on its own. Prints every status of
 * TID_WASM_STATUS_LIST as "name value" (the test compares them with assembly/status.ts) and checks
 * that host functions with the documented import signatures fit the header's import types.
 */
#include <stdio.h>
#include "tid_wasm.h"

static int32_t host_random(tid_ptr_t ptr, uint32_t len) {
  return (ptr == 0 && len == 0) ? TID_OK : TID_ERR_RNG_FAILED;
}
static int64_t host_now(void) {
  return -1; /* no clock: the module answers TID_ERR_CLOCK_FAILED */
}
static int32_t host_transceive(tid_ptr_t cmd_ptr, uint32_t cmd_len, tid_ptr_t rsp_ptr, uint32_t rsp_cap, tid_ptr_t rsp_len_ptr) {
  (void)cmd_ptr; (void)cmd_len; (void)rsp_ptr; (void)rsp_cap; (void)rsp_len_ptr;
  return TID_ERR_SE_NOT_CONFIGURED; /* a host without a secure element */
}

#define PRINT_STATUS(name, value) printf("%s %d\n", #name, (int)(value));

int main(void) {
  tid_env_random_fn random_fn = host_random;
  tid_env_now_fn now_fn = host_now;
  tid_env_transceive_fn transceive_fn = host_transceive;
  /* The prototypes declare wasm exports, which are not linked here: sizeof type-checks a call
     without making it. */
  size_t calls = sizeof(tid_client_init()) + sizeof(tid_io_ptr())
    + sizeof(tid_client_get_authcode((tid_ptr_t)0, (tid_ptr_t)4))
    + sizeof(sm4_gcm_open(0u, 0u, 12u, 0u, 0u, 0u, 0u, 16u, 0u, 16u));
  TID_WASM_STATUS_LIST(PRINT_STATUS)
  printf("abi %d pages %d\n", TID_WASM_ABI_VERSION, TID_WASM_INITIAL_PAGES);
  printf("imports %d %d %d\n", (int)random_fn(0, 0), (int)now_fn(), (int)transceive_fn(0, 0, 0, 0, 0));
  return calls == 4 * sizeof(int32_t) ? 0 : 1;
}
