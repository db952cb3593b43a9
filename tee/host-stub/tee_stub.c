/* A host stand-in for the GP TEE Internal Core API 1.3.1 functions the TID TA calls, so the TA's
 * C code runs natively under gcc (docs/tee.md, "Testing without a TEE"). Not a TEE: no isolation.
 *   §4.8  TEE_Panic            prints the code and exits with status 70 (the TA is dead), or
 *                              calls the handler tee_stub_set_panic_handler installed (fake_tee.c:
 *                              the TA instance dies, the host process lives on)
 *   §4.11 TEE_Malloc/Free/MemMove/MemCompare/MemFill   libc, with a live-block count
 *   §5.7  TEE_OpenPersistentObject / TEE_CreatePersistentObject / TEE_CloseObject /
 *         TEE_CloseAndDeletePersistentObject1, §5.9 TEE_ReadObjectData: objects in RAM, or one
 *         file per object under a directory (tee_stub_set_storage_dir); only
 *         TEE_STORAGE_PRIVATE exists; an ID over 64 bytes or a read without ACCESS_READ panics,
 *         as the specification says; CREATE without OVERWRITE over an existing object is
 *         TEE_ERROR_ACCESS_CONFLICT
 *   §6.11 TEE_GenerateRandom   getrandom(2) (after any bytes a test queued)
 *   §7.2.3 TEE_GetREETime      clock_gettime(CLOCK_REALTIME) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <tee_internal_api.h>
#include "tee_stub.h"

#define MAX_OBJECTS 8
#define MAX_OBJECT_SIZE 4096

struct __TEE_ObjectHandle {
  uint8_t id[TEE_OBJECT_ID_MAX_LEN];
  size_t id_len;
  uint32_t flags;
  uint8_t data[MAX_OBJECT_SIZE];
  size_t size, pos;
};

struct stored {
  int used;
  uint8_t id[TEE_OBJECT_ID_MAX_LEN];
  size_t id_len;
  uint8_t data[MAX_OBJECT_SIZE];
  size_t size;
};

static struct stored g_ram[MAX_OBJECTS];
static const char *g_dir;
static uint8_t g_queue[4096];
static size_t g_queue_len, g_queue_pos;
static long g_live;
static void (*g_panic_handler)(uint32_t);
static int g_panic_armed;
static uint32_t g_panic_code;

void tee_stub_set_storage_dir(const char *dir) {
  g_dir = dir;
}

int tee_stub_queue_random(const uint8_t *bytes, size_t len) {
  if (g_queue_pos == g_queue_len) g_queue_pos = g_queue_len = 0;
  if (len > sizeof g_queue - g_queue_len) return -1;
  memcpy(g_queue + g_queue_len, bytes, len);
  g_queue_len += len;
  return 0;
}

long tee_stub_live_allocations(void) {
  return g_live;
}

void tee_stub_set_panic_handler(void (*handler)(uint32_t code)) {
  g_panic_handler = handler;
}

void tee_stub_arm_panic(uint32_t code) {
  g_panic_code = code;
  g_panic_armed = 1;
}

int tee_stub_panic_pending(void) {
  return g_panic_armed;
}

void tee_stub_disarm_panic(void) {
  g_panic_armed = 0;
}

/* at the start of every GP function the TA calls: an armed fault fires here */
static void fault_point(void) {
  if (!g_panic_armed) return;
  g_panic_armed = 0;
  TEE_Panic(g_panic_code);
}

void TEE_Panic(TEE_Result code) {
  if (g_panic_handler) g_panic_handler(code); /* does not return */
  fprintf(stderr, "TEE_Panic(0x%08x): the TA is dead\n", (unsigned)code);
  fflush(stdout);
  _exit(70);
}

void *TEE_Malloc(size_t size, uint32_t hint) {
  void *p;
  fault_point();
  if (hint != TEE_MALLOC_FILL_ZERO) return NULL; /* the only hint the TA uses */
  p = calloc(size ? size : 1, 1);
  if (p) g_live++;
  return p;
}

void TEE_Free(void *buffer) {
  if (!buffer) return;
  g_live--;
  free(buffer);
}

void TEE_MemMove(void *dest, const void *src, size_t size) {
  fault_point();
  if (size) memmove(dest, src, size);
}

int32_t TEE_MemCompare(const void *a, const void *b, size_t size) {
  int c;
  fault_point();
  c = size ? memcmp(a, b, size) : 0;
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

void TEE_MemFill(void *buffer, uint32_t x, size_t size) {
  /* volatile: a wipe the compiler may not drop */
  volatile uint8_t *p = buffer;
  while (size--) *p++ = (uint8_t)x;
}

void TEE_GenerateRandom(void *buffer, size_t len) {
  uint8_t *p = buffer;
  fault_point();
  while (len && g_queue_pos < g_queue_len) {
    *p++ = g_queue[g_queue_pos++];
    len--;
  }
  while (len) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      TEE_Panic(TEE_ERROR_GENERIC); /* the GP function cannot fail: the real one panics too */
    }
    p += n;
    len -= (size_t)n;
  }
}

void TEE_GetREETime(TEE_Time *t) {
  struct timespec ts;
  fault_point();
  clock_gettime(CLOCK_REALTIME, &ts);
  t->seconds = (uint32_t)ts.tv_sec;
  t->millis = (uint32_t)(ts.tv_nsec / 1000000);
}

/* ---- persistent objects ------------------------------------------------------------------- */

static void object_path(char *out, size_t cap, const uint8_t *id, size_t id_len) {
  size_t i, n = (size_t)snprintf(out, cap, "%s/", g_dir);
  for (i = 0; i < id_len && n + 3 < cap; i++) n += (size_t)snprintf(out + n, cap - n, "%02x", id[i]);
}

static struct stored *ram_find(const void *id, size_t id_len) {
  int i;
  for (i = 0; i < MAX_OBJECTS; i++)
    if (g_ram[i].used && g_ram[i].id_len == id_len && memcmp(g_ram[i].id, id, id_len) == 0) return &g_ram[i];
  return NULL;
}

/* 1 found (data, size filled), 0 not found, -1 I/O error */
static int load(const void *id, size_t id_len, uint8_t *data, size_t *size) {
  if (!g_dir) {
    struct stored *s = ram_find(id, id_len);
    if (!s) return 0;
    memcpy(data, s->data, s->size);
    *size = s->size;
    return 1;
  } else {
    char path[512];
    FILE *f;
    object_path(path, sizeof path, id, id_len);
    f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? 0 : -1;
    *size = fread(data, 1, MAX_OBJECT_SIZE, f);
    fclose(f);
    return 1;
  }
}

/* write via a temporary file and rename, as OP-TEE's REE FS commits atomically */
static int store(const void *id, size_t id_len, const uint8_t *data, size_t size) {
  if (!g_dir) {
    struct stored *s = ram_find(id, id_len);
    int i;
    for (i = 0; !s && i < MAX_OBJECTS; i++)
      if (!g_ram[i].used) s = &g_ram[i];
    if (!s) return -1;
    s->used = 1;
    memcpy(s->id, id, id_len);
    s->id_len = id_len;
    memcpy(s->data, data, size);
    s->size = size;
    return 0;
  } else {
    char path[512], tmp[520];
    FILE *f;
    object_path(path, sizeof path, id, id_len);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (!f) return -1;
    if (fwrite(data, 1, size, f) != size) {
      fclose(f);
      return -1;
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) return -1;
    return 0;
  }
}

static TEE_Result check_args(uint32_t storage, size_t id_len) {
  fault_point();
  if (id_len > TEE_OBJECT_ID_MAX_LEN) TEE_Panic(TEE_ERROR_BAD_PARAMETERS); /* §5.7.1: panic */
  if (storage != TEE_STORAGE_PRIVATE) return TEE_ERROR_ITEM_NOT_FOUND;
  return TEE_SUCCESS;
}

TEE_Result TEE_OpenPersistentObject(uint32_t storage, const void *id, size_t id_len, uint32_t flags,
                                    TEE_ObjectHandle *object) {
  TEE_ObjectHandle h;
  int r;
  TEE_Result res = check_args(storage, id_len);
  *object = TEE_HANDLE_NULL;
  if (res != TEE_SUCCESS) return res;
  h = calloc(1, sizeof *h);
  if (!h) return TEE_ERROR_OUT_OF_MEMORY;
  r = load(id, id_len, h->data, &h->size);
  if (r != 1) {
    free(h);
    return r == 0 ? TEE_ERROR_ITEM_NOT_FOUND : TEE_ERROR_STORAGE_NOT_AVAILABLE;
  }
  memcpy(h->id, id, id_len);
  h->id_len = id_len;
  h->flags = flags;
  *object = h;
  return TEE_SUCCESS;
}

TEE_Result TEE_CreatePersistentObject(uint32_t storage, const void *id, size_t id_len, uint32_t flags,
                                      TEE_ObjectHandle attributes, const void *initial, size_t initial_len,
                                      TEE_ObjectHandle *object) {
  static uint8_t scratch[MAX_OBJECT_SIZE];
  size_t ignored;
  TEE_ObjectHandle h;
  TEE_Result res = check_args(storage, id_len);
  if (object) *object = TEE_HANDLE_NULL;
  if (res != TEE_SUCCESS) return res;
  if (attributes != TEE_HANDLE_NULL) return TEE_ERROR_NOT_SUPPORTED; /* pure data objects only here */
  if (initial_len > MAX_OBJECT_SIZE) return TEE_ERROR_STORAGE_NO_SPACE;
  if (!(flags & TEE_DATA_FLAG_OVERWRITE) && load(id, id_len, scratch, &ignored) == 1) {
    TEE_MemFill(scratch, 0, sizeof scratch);
    return TEE_ERROR_ACCESS_CONFLICT;
  }
  TEE_MemFill(scratch, 0, sizeof scratch);
  if (store(id, id_len, initial, initial_len) != 0) return TEE_ERROR_STORAGE_NOT_AVAILABLE;
  if (!object) return TEE_SUCCESS; /* §5.7.2: a NULL object pointer closes it at once */
  h = calloc(1, sizeof *h);
  if (!h) return TEE_ERROR_OUT_OF_MEMORY;
  memcpy(h->id, id, id_len);
  h->id_len = id_len;
  h->flags = flags;
  memcpy(h->data, initial, initial_len);
  h->size = initial_len;
  *object = h;
  return TEE_SUCCESS;
}

TEE_Result TEE_ReadObjectData(TEE_ObjectHandle h, void *buffer, size_t size, size_t *count) {
  size_t n;
  if (!h || !(h->flags & TEE_DATA_FLAG_ACCESS_READ)) TEE_Panic(TEE_ERROR_BAD_PARAMETERS); /* §5.9.1 */
  n = h->size - h->pos;
  if (n > size) n = size;
  memcpy(buffer, h->data + h->pos, n);
  h->pos += n;
  *count = n;
  return TEE_SUCCESS;
}

void TEE_CloseObject(TEE_ObjectHandle h) {
  if (!h) return;
  TEE_MemFill(h, 0, sizeof *h);
  free(h);
}

TEE_Result TEE_CloseAndDeletePersistentObject1(TEE_ObjectHandle h) {
  if (!h) return TEE_SUCCESS;
  if (!(h->flags & TEE_DATA_FLAG_ACCESS_WRITE_META)) TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
  if (!g_dir) {
    struct stored *s = ram_find(h->id, h->id_len);
    if (s) TEE_MemFill(s, 0, sizeof *s);
  } else {
    char path[512];
    object_path(path, sizeof path, h->id, h->id_len);
    unlink(path);
  }
  TEE_CloseObject(h);
  return TEE_SUCCESS;
}
