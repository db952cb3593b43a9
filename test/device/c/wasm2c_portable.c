/* A C host for build/portable.wasm translated by wasm2c of wabt 1.0.32 (the API of that version:
 * Z_<module>_... names), run by test/device/wasm2c-portable.test.ts. It prints the SM4 and SM3
 * known answers of GB/T 32907-2016 (example 1) and GB/T 32905-2016 (example 1, "abc"). */
#include <stdio.h>
#include <string.h>
#include "portable.h"

struct Z_env_instance_t {
  int unused;
};
u64 Z_envZ_now(struct Z_env_instance_t* env) {
  (void)env;
  return 0;
}
u32 Z_envZ_random(struct Z_env_instance_t* env, u32 ptr, u32 len) {
  (void)env, (void)ptr, (void)len;
  return 1; /* no entropy here: any call that needs it fails */
}
u32 Z_envZ_transceive(struct Z_env_instance_t* env, u32 a, u32 b, u32 c, u32 d, u32 e) {
  (void)env, (void)a, (void)b, (void)c, (void)d, (void)e;
  return (u32)-505; /* ERR_SE_NOT_CONFIGURED */
}

static void hex(const char* label, const u8* p, int n) {
  printf("%s ", label);
  for (int i = 0; i < n; i++) printf("%02x", p[i]);
  printf("\n");
}

int main(void) {
  static const u8 key[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
  Z_portable_instance_t m;
  struct Z_env_instance_t env = {0};
  wasm_rt_init();
  Z_portable_init_module();
  Z_portable_instantiate(&m, &env);
  u8* mem = Z_portableZ_memory(&m)->data;
  u32 io = Z_portableZ_tid_io_ptr(&m);
  memcpy(mem + io, key, 16);
  memcpy(mem + io + 16, key, 16);
  int st = (int)Z_portableZ_sm4_key_set(&m, 0, io);
  st |= (int)Z_portableZ_sm4_ecb_encrypt(&m, 0, io + 16, io + 32, 16);
  hex("sm4-ecb", mem + io + 32, 16);
  memcpy(mem + io + 48, "abc", 3);
  st |= (int)Z_portableZ_sm3_digest(&m, io + 48, 3, io + 64);
  hex("sm3", mem + io + 64, 32);
  printf("status %d\n", st);
  Z_portable_free(&m);
  wasm_rt_free();
  return 0;
}
