/* The part of the wasm2c runtime (wabt 1.0.32, <wasm-rt.h>) that the translated TID module needs,
 * written for a GP trusted application instead of wabt's wasm-rt-impl.c, which reserves 8 GiB
 * with mmap and catches out-of-bounds accesses with a SIGSEGV handler — neither exists in an
 * OP-TEE TA. Compile the module with -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 so every load and store
 * is bounds-checked in C and the call depth is counted (docs/tee.md, "The wasm core in C").
 * Memory comes from TEE_Malloc (GP TEE Internal Core API 1.3.1 §4.11); a trap, which only a bug
 * can cause, is a TEE_Panic (§4.8): the TA instance is dead and the client sees
 * TEE_ERROR_TARGET_DEAD. The module never grows its memory (docs/abi.md), so growing fails. */
#include <stdarg.h>
#include <string.h>
#include <tee_internal_api.h>
#include "wasm-rt.h"

#define PAGE_SIZE 65536u
/* the module's largest memory, checked here rather than trusted: 4 pages today */
#define MAX_TA_PAGES 8u
/* function types the module registers (it has no tables: the index only has to be stable) */
#define MAX_FUNC_TYPES 64u
#define MAX_TYPE_ARITY 16u

uint32_t wasm_rt_call_stack_depth;

struct func_type {
  uint32_t params, results;
  wasm_rt_type_t types[MAX_TYPE_ARITY];
};
static struct func_type g_types[MAX_FUNC_TYPES];
static uint32_t g_type_count;

void wasm_rt_init(void) {}

bool wasm_rt_is_initialized(void) {
  return true;
}

void wasm_rt_free(void) {
  g_type_count = 0;
}

void wasm_rt_trap(wasm_rt_trap_t code) {
  /* 0x7A5D0000 | trap code: recognisable in the TEE log */
  TEE_Panic(0x7A5D0000u | (uint32_t)code);
}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  struct func_type t;
  va_list ap;
  uint32_t i;
  if (params + results > MAX_TYPE_ARITY) TEE_Panic(TEE_ERROR_NOT_SUPPORTED);
  memset(&t, 0, sizeof t);
  t.params = params;
  t.results = results;
  va_start(ap, results);
  for (i = 0; i < params + results; i++) t.types[i] = (wasm_rt_type_t)va_arg(ap, int);
  va_end(ap);
  for (i = 0; i < g_type_count; i++)
    if (memcmp(&g_types[i], &t, sizeof t) == 0) return i + 1;
  if (g_type_count == MAX_FUNC_TYPES) TEE_Panic(TEE_ERROR_OUT_OF_MEMORY);
  g_types[g_type_count] = t;
  return ++g_type_count;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *memory, uint32_t initial_pages, uint32_t max_pages) {
  if (initial_pages > MAX_TA_PAGES) TEE_Panic(TEE_ERROR_OUT_OF_MEMORY);
  memory->data = TEE_Malloc((size_t)initial_pages * PAGE_SIZE, TEE_MALLOC_FILL_ZERO);
  if (!memory->data) TEE_Panic(TEE_ERROR_OUT_OF_MEMORY);
  memory->pages = initial_pages;
  memory->max_pages = max_pages;
  memory->size = initial_pages * PAGE_SIZE;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t delta) {
  return delta == 0 ? memory->pages : (uint32_t)-1;
}

void wasm_rt_free_memory(wasm_rt_memory_t *memory) {
  if (!memory->data) return;
  /* linear memory held keys, the PSK and the pending request: wipe before freeing */
  TEE_MemFill(memory->data, 0, memory->size);
  TEE_Free(memory->data);
  memory->data = NULL;
  memory->size = 0;
  memory->pages = 0;
}
