/*
 * @tid-wasm/tee-client: a Node-API addon over the Linux TEE subsystem's client ioctls
 * (the kernel uapi header <linux/tee.h>; the GlobalPlatform TEE Client API's model of contexts,
 * sessions, operations and shared memory, without libteec).
 *
 *   open(device, shmSize)            open(2) the device, TEE_IOC_VERSION (a TEE without
 *                                    TEE_GEN_CAP_GP is refused: code "ERR_TEE_NOT_GP"),
 *                                    TEE_IOC_SHM_ALLOC + mmap(2) of one shared-memory buffer of
 *                                    shmSize bytes for the context's whole life → a context
 *   version(ctx)                     { implId, implCaps, genCaps } as TEE_IOC_VERSION gave them
 *   openSession(ctx, uuid, login, gid)
 *                                    TEE_IOC_OPEN_SESSION with four NONE parameters
 *                                    → { result, origin, session }
 *   invoke(ctx, session, cmd, types, params)        synchronous TEE_IOC_INVOKE
 *   invokeAsync(ctx, session, cmd, types, params)   the same ioctl on a libuv worker thread
 *                                    → { result, origin, params } (a Promise for the async form)
 *   cancel(ctx, session, cancelId)   TEE_IOC_CANCEL
 *   closeSession(ctx, session)       TEE_IOC_CLOSE_SESSION
 *   close(ctx)                       munmap, close(2); idempotent
 *
 * Parameters are always four, as libteec passes them. Memory references are packed into the
 * context's shared memory like libteec's temporary memrefs: the input bytes are copied in before
 * the ioctl, the output bytes copied out after it (only when the size the TEE returns fits the
 * caller's buffer: otherwise it is the size the TEE needs, TEEC_ERROR_SHORT_BUFFER), and the
 * used part of the shared memory is wiped after every call (it carried APDUs). One mutex per
 * context serialises the ioctls that use the shared memory, so a synchronous call made while an
 * asynchronous one runs waits for it.
 *
 * Failures of open(2), ioctl(2) and mmap(2) throw an Error with `code` (the errno name),
 * `errno` (negative, as Node's own system errors have it) and `syscall`. TEE results are never
 * thrown: they come back as numbers { result, origin }. Bad arguments throw TypeError or
 * RangeError naming the argument; a closed context throws an Error with code "ERR_TEE_CLOSED".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/tee.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define NUM_PARAMS 4
#define MAX_SHM_SIZE (1u << 20)
#define MEMREF_ALIGN 8u

/* ---------- the context ---------- */

typedef struct {
  pthread_mutex_t lock;
  int fd;          /* -1 once closed */
  uint8_t *shm;    /* the mapping of the context's shared memory */
  size_t shm_size; /* as the kernel allocated it */
  int32_t shm_id;
  struct tee_ioctl_version_data version;
} tee_context;

static void wipe(void *p, size_t n) {
  if (p != NULL && n > 0) explicit_bzero(p, n);
}

/* Releases the kernel objects; the caller holds ctx->lock (or is the finaliser). */
static void context_release(tee_context *ctx) {
  if (ctx->shm != NULL) {
    wipe(ctx->shm, ctx->shm_size);
    munmap(ctx->shm, ctx->shm_size);
    ctx->shm = NULL;
  }
  if (ctx->fd >= 0) {
    close(ctx->fd);
    ctx->fd = -1;
  }
}

static void context_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  tee_context *ctx = data;
  context_release(ctx);
  pthread_mutex_destroy(&ctx->lock);
  free(ctx);
}

/* ---------- errors ---------- */

static const char *errno_name(int e) {
  switch (e) {
#define E(x) \
  case x:    \
    return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(EBADF) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY)
    E(EEXIST) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(ENOSPC) E(EROFS) E(ENOSYS)
    E(EOPNOTSUPP) E(ETIMEDOUT) E(ENAMETOOLONG) E(ELOOP) E(EOVERFLOW) E(ECONNREFUSED)
#undef E
    default:
      return "EUNKNOWN";
  }
}

/* Throws the Node-style system error for errno `e`. Returns NULL for the caller to return. */
static napi_value throw_errno(napi_env env, int e, const char *syscall, const char *what) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", errno_name(e), strerror(e), syscall, what);
  napi_value code, message, error, num, sys;
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -e, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

static napi_value make_coded_error(napi_env env, const char *code, const char *msg) {
  napi_value c, m, error;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, c, m, &error);
  return error;
}

static napi_value throw_closed(napi_env env) {
  napi_throw(env, make_coded_error(env, "ERR_TEE_CLOSED", "the TEE context is closed"));
  return NULL;
}

/* Throws "TypeError: <name> must be ..." and returns NULL. */
static napi_value type_error(napi_env env, const char *name, const char *must) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s must be %s", name, must);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

static napi_value range_error(napi_env env, const char *name, const char *must) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s must be %s", name, must);
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return NULL;
}

/* ---------- argument helpers ---------- */

static napi_valuetype type_of(napi_env env, napi_value v) {
  napi_valuetype t = napi_undefined;
  napi_typeof(env, v, &t);
  return t;
}

/* An unsigned integer 0..max. Returns 0 after throwing. */
static int get_uint(napi_env env, napi_value v, const char *name, double max, uint64_t *out) {
  if (type_of(env, v) != napi_number) {
    type_error(env, name, "a number");
    return 0;
  }
  double d;
  napi_get_value_double(env, v, &d);
  if (!(d >= 0 && d <= max) || d != (double)(uint64_t)d) {
    char must[96];
    snprintf(must, sizeof must, "an integer in 0..%.0f", max);
    range_error(env, name, must);
    return 0;
  }
  *out = (uint64_t)d;
  return 1;
}

static int get_uint8array(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len) {
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  if (!is_typed) {
    type_error(env, name, "a Uint8Array");
    return 0;
  }
  napi_typedarray_type tt;
  void *p;
  size_t n;
  napi_get_typedarray_info(env, v, &tt, &n, &p, NULL, NULL);
  if (tt != napi_uint8_array) {
    type_error(env, name, "a Uint8Array");
    return 0;
  }
  *data = p;
  *len = n;
  return 1;
}

/* The context of argument 0; throws ERR_TEE_CLOSED when `require_open` and it is closed. */
static tee_context *get_context(napi_env env, napi_value v, int require_open) {
  if (type_of(env, v) != napi_external) {
    type_error(env, "ctx", "a context returned by open()");
    return NULL;
  }
  void *p = NULL;
  napi_get_value_external(env, v, &p);
  tee_context *ctx = p;
  if (ctx == NULL) {
    type_error(env, "ctx", "a context returned by open()");
    return NULL;
  }
  if (require_open && ctx->fd < 0) {
    throw_closed(env);
    return NULL;
  }
  return ctx;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  for (size_t i = argc; i < want; i++) napi_get_undefined(env, &argv[i]);
  return 1;
}

static napi_value uint_value(napi_env env, uint64_t n) {
  napi_value v;
  napi_create_double(env, (double)n, &v);
  return v;
}

static void set_uint(napi_env env, napi_value obj, const char *key, uint64_t n) {
  napi_set_named_property(env, obj, key, uint_value(env, n));
}

/* ---------- open / version / close ---------- */

static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, 2, argv);
  if (type_of(env, argv[0]) != napi_string) return type_error(env, "device", "a string (a path such as \"/dev/tee0\")");
  char path[4096];
  size_t path_len = 0;
  napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len);
  if (path_len == 0 || path_len >= sizeof path - 1 || strlen(path) != path_len) {
    return range_error(env, "device", "a non-empty path without NUL bytes, under 4095 bytes");
  }
  uint64_t shm_size;
  if (!get_uint(env, argv[1], "shmSize", MAX_SHM_SIZE, &shm_size)) return NULL;
  if (shm_size == 0) return range_error(env, "shmSize", "in 1..1048576");

  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open", path);

  struct tee_ioctl_version_data vers;
  memset(&vers, 0, sizeof vers);
  if (ioctl(fd, TEE_IOC_VERSION, &vers) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "ioctl", "TEE_IOC_VERSION");
  }
  if (!(vers.gen_caps & TEE_GEN_CAP_GP)) {
    close(fd);
    char msg[256];
    snprintf(msg, sizeof msg, "%s is not a GlobalPlatform TEE (impl_id %u, gen_caps 0x%x without TEE_GEN_CAP_GP)", path, vers.impl_id,
             vers.gen_caps);
    napi_throw(env, make_coded_error(env, "ERR_TEE_NOT_GP", msg));
    return NULL;
  }

  struct tee_ioctl_shm_alloc_data alloc;
  memset(&alloc, 0, sizeof alloc);
  alloc.size = shm_size;
  int shm_fd = ioctl(fd, TEE_IOC_SHM_ALLOC, &alloc);
  if (shm_fd < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "ioctl", "TEE_IOC_SHM_ALLOC");
  }
  /* The kernel may round the size up; map what it allocated. */
  size_t mapped = alloc.size >= shm_size ? (size_t)alloc.size : (size_t)shm_size;
  void *shm = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
  int map_errno = errno;
  /* As libteec does: the mapping keeps the shared memory alive; the fd is not needed. */
  close(shm_fd);
  if (shm == MAP_FAILED) {
    close(fd);
    return throw_errno(env, map_errno, "mmap", "TEE shared memory");
  }

  tee_context *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) {
    munmap(shm, mapped);
    close(fd);
    return throw_errno(env, ENOMEM, "malloc", "TEE context");
  }
  pthread_mutex_init(&ctx->lock, NULL);
  ctx->fd = fd;
  ctx->shm = shm;
  ctx->shm_size = mapped;
  ctx->shm_id = alloc.id;
  ctx->version = vers;
  wipe(ctx->shm, ctx->shm_size);

  napi_value ext;
  if (napi_create_external(env, ctx, context_finalize, NULL, &ext) != napi_ok) {
    context_finalize(env, ctx, NULL);
    napi_throw_error(env, NULL, "could not create the context object");
    return NULL;
  }
  return ext;
}

static napi_value js_version(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, 1, argv);
  tee_context *ctx = get_context(env, argv[0], 1);
  if (ctx == NULL) return NULL;
  napi_value obj;
  napi_create_object(env, &obj);
  set_uint(env, obj, "implId", ctx->version.impl_id);
  set_uint(env, obj, "implCaps", ctx->version.impl_caps);
  set_uint(env, obj, "genCaps", ctx->version.gen_caps);
  set_uint(env, obj, "shmSize", ctx->shm_size);
  return obj;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, 1, argv);
  tee_context *ctx = get_context(env, argv[0], 0);
  if (ctx == NULL) return NULL;
  pthread_mutex_lock(&ctx->lock);
  context_release(ctx);
  pthread_mutex_unlock(&ctx->lock);
  return NULL;
}

/* ---------- sessions ---------- */

typedef struct {
  struct tee_ioctl_open_session_arg arg;
  struct tee_ioctl_param params[NUM_PARAMS];
} open_session_buf;

static napi_value result_object(napi_env env, uint32_t result, uint32_t origin) {
  napi_value obj;
  napi_create_object(env, &obj);
  set_uint(env, obj, "result", result);
  set_uint(env, obj, "origin", origin);
  return obj;
}

static napi_value js_open_session(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  get_args(env, info, 4, argv);
  tee_context *ctx = get_context(env, argv[0], 1);
  if (ctx == NULL) return NULL;
  uint8_t *uuid;
  size_t uuid_len;
  if (!get_uint8array(env, argv[1], "uuid", &uuid, &uuid_len)) return NULL;
  if (uuid_len != TEE_IOCTL_UUID_LEN) return range_error(env, "uuid", "16 bytes");
  uint64_t login;
  if (!get_uint(env, argv[2], "login", 0xFFFFFFFFu, &login)) return NULL;
  if (login != TEE_IOCTL_LOGIN_PUBLIC && login != TEE_IOCTL_LOGIN_USER && login != TEE_IOCTL_LOGIN_GROUP) {
    return range_error(env, "login", "0 (public), 1 (user) or 2 (group)");
  }
  uint64_t gid = 0;
  if (login == TEE_IOCTL_LOGIN_GROUP) {
    if (!get_uint(env, argv[3], "gid", 0xFFFFFFFEu, &gid)) return NULL;
  } else if (type_of(env, argv[3]) != napi_undefined) {
    return type_error(env, "gid", "undefined unless login is 2 (group)");
  }

  open_session_buf buf;
  memset(&buf, 0, sizeof buf);
  memcpy(buf.arg.uuid, uuid, TEE_IOCTL_UUID_LEN);
  buf.arg.clnt_login = (uint32_t)login;
  if (login == TEE_IOCTL_LOGIN_GROUP) {
    /* The connection data of a group login: the gid, in the first bytes of clnt_uuid (as libteec). */
    uint32_t g = (uint32_t)gid;
    memcpy(buf.arg.clnt_uuid, &g, sizeof g);
  }
  buf.arg.num_params = NUM_PARAMS;
  struct tee_ioctl_buf_data data = {.buf_ptr = (uintptr_t)&buf, .buf_len = sizeof buf};

  pthread_mutex_lock(&ctx->lock);
  if (ctx->fd < 0) {
    pthread_mutex_unlock(&ctx->lock);
    return throw_closed(env);
  }
  int rc = ioctl(ctx->fd, TEE_IOC_OPEN_SESSION, &data);
  int e = errno;
  pthread_mutex_unlock(&ctx->lock);
  if (rc != 0) return throw_errno(env, e, "ioctl", "TEE_IOC_OPEN_SESSION");
  napi_value obj = result_object(env, buf.arg.ret, buf.arg.ret_origin);
  set_uint(env, obj, "session", buf.arg.session);
  return obj;
}

static napi_value js_close_session(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, 2, argv);
  tee_context *ctx = get_context(env, argv[0], 1);
  if (ctx == NULL) return NULL;
  uint64_t session;
  if (!get_uint(env, argv[1], "session", 0xFFFFFFFFu, &session)) return NULL;
  struct tee_ioctl_close_session_arg arg = {.session = (uint32_t)session};
  pthread_mutex_lock(&ctx->lock);
  if (ctx->fd < 0) {
    pthread_mutex_unlock(&ctx->lock);
    return throw_closed(env);
  }
  int rc = ioctl(ctx->fd, TEE_IOC_CLOSE_SESSION, &arg);
  int e = errno;
  pthread_mutex_unlock(&ctx->lock);
  if (rc != 0) return throw_errno(env, e, "ioctl", "TEE_IOC_CLOSE_SESSION");
  return NULL;
}

/*
 * Not serialised with the mutex: a cancellation is meant to reach a call in progress. Every call
 * of this addon carries cancel ID 0, as libteec's do, so cancel(ctx, session, 0) is the one that
 * reaches the session's call under way.
 */
static napi_value js_cancel(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  get_args(env, info, 3, argv);
  tee_context *ctx = get_context(env, argv[0], 1);
  if (ctx == NULL) return NULL;
  uint64_t session, cancel_id;
  if (!get_uint(env, argv[1], "session", 0xFFFFFFFFu, &session)) return NULL;
  if (!get_uint(env, argv[2], "cancelId", 0xFFFFFFFFu, &cancel_id)) return NULL;
  struct tee_ioctl_cancel_arg arg = {.cancel_id = (uint32_t)cancel_id, .session = (uint32_t)session};
  if (ioctl(ctx->fd, TEE_IOC_CANCEL, &arg) != 0) return throw_errno(env, errno, "ioctl", "TEE_IOC_CANCEL");
  return NULL;
}

/* ---------- invoke ---------- */

/* One call's parameters, independent of JS values so that a worker thread can run it. */
typedef struct {
  uint32_t session, func, cancel_id;
  uint32_t types[NUM_PARAMS];
  uint64_t a[NUM_PARAMS], b[NUM_PARAMS]; /* values in and out */
  uint8_t *mem[NUM_PARAMS];              /* memref bytes: input copied from, output copied to */
  size_t cap[NUM_PARAMS];                /* memref: the caller's buffer length */
  size_t offset[NUM_PARAMS];             /* memref: where it sits in the shared memory */
  uint64_t size_out[NUM_PARAMS];         /* memref: the size the TEE returned */
  uint32_t result, origin;
  int err; /* errno of a failed ioctl, or -1 for a closed context */
} invoke_call;

typedef struct {
  struct tee_ioctl_invoke_arg arg;
  struct tee_ioctl_param params[NUM_PARAMS];
} invoke_buf;

static int is_value(uint32_t t) {
  return t >= TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT && t <= TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT;
}
static int is_memref(uint32_t t) {
  return t >= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT && t <= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
}
static int copies_in(uint32_t t) {
  return t == TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT || t == TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
}
static int copies_out(uint32_t t) {
  return t == TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT || t == TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
}

/* Runs one TEE_IOC_INVOKE; any thread. Copies memrefs in and out and wipes the shared memory. */
static void invoke_run(tee_context *ctx, invoke_call *c) {
  invoke_buf buf;
  memset(&buf, 0, sizeof buf);
  buf.arg.func = c->func;
  buf.arg.session = c->session;
  buf.arg.cancel_id = c->cancel_id;
  buf.arg.num_params = NUM_PARAMS;
  struct tee_ioctl_buf_data data = {.buf_ptr = (uintptr_t)&buf, .buf_len = sizeof buf};

  pthread_mutex_lock(&ctx->lock);
  if (ctx->fd < 0) {
    pthread_mutex_unlock(&ctx->lock);
    c->err = -1;
    return;
  }
  size_t used = 0;
  for (int i = 0; i < NUM_PARAMS; i++) {
    uint32_t t = c->types[i];
    buf.params[i].attr = t;
    if (is_value(t)) {
      buf.params[i].a = c->a[i];
      buf.params[i].b = c->b[i];
    } else if (is_memref(t)) {
      if (copies_in(t) && c->cap[i] > 0) memcpy(ctx->shm + c->offset[i], c->mem[i], c->cap[i]);
      buf.params[i].a = c->offset[i];
      buf.params[i].b = c->cap[i];
      buf.params[i].c = (uint64_t)(int64_t)ctx->shm_id;
      if (c->offset[i] + c->cap[i] > used) used = c->offset[i] + c->cap[i];
    }
  }
  int rc = ioctl(ctx->fd, TEE_IOC_INVOKE, &data);
  c->err = rc != 0 ? errno : 0;
  if (rc == 0) {
    c->result = buf.arg.ret;
    c->origin = buf.arg.ret_origin;
    for (int i = 0; i < NUM_PARAMS; i++) {
      uint32_t t = c->types[i];
      if (is_value(t)) {
        c->a[i] = buf.params[i].a;
        c->b[i] = buf.params[i].b;
      } else if (is_memref(t)) {
        c->size_out[i] = buf.params[i].b;
        if (copies_out(t) && c->size_out[i] <= c->cap[i] && c->size_out[i] > 0) {
          memcpy(c->mem[i], ctx->shm + c->offset[i], (size_t)c->size_out[i]);
        }
      }
    }
  }
  wipe(ctx->shm, used);
  wipe(&buf, sizeof buf);
  pthread_mutex_unlock(&ctx->lock);
}

/*
 * Reads and checks (session, cmd, types, params) into `c`. Memref pointers point into the JS
 * buffers; `refs` receives the Uint8Array values (for the async form to keep alive).
 * Returns 0 after throwing.
 */
static int invoke_parse(napi_env env, tee_context *ctx, napi_value *argv, invoke_call *c, napi_value *arrays) {
  uint64_t n;
  if (!get_uint(env, argv[1], "session", 0xFFFFFFFFu, &n)) return 0;
  c->session = (uint32_t)n;
  if (!get_uint(env, argv[2], "cmd", 0xFFFFFFFFu, &n)) return 0;
  c->func = (uint32_t)n;

  bool is_array = false;
  uint32_t len = 0;
  napi_is_array(env, argv[3], &is_array);
  if (!is_array) return type_error(env, "types", "an array of 4 parameter types"), 0;
  napi_get_array_length(env, argv[3], &len);
  if (len != NUM_PARAMS) return range_error(env, "types", "an array of exactly 4 parameter types"), 0;
  napi_is_array(env, argv[4], &is_array);
  if (!is_array) return type_error(env, "params", "an array of 4 parameters"), 0;
  napi_get_array_length(env, argv[4], &len);
  if (len != NUM_PARAMS) return range_error(env, "params", "an array of exactly 4 parameters"), 0;

  size_t offset = 0;
  for (uint32_t i = 0; i < NUM_PARAMS; i++) {
    char name[32];
    napi_value tv, pv;
    napi_get_element(env, argv[3], i, &tv);
    napi_get_element(env, argv[4], i, &pv);
    snprintf(name, sizeof name, "types[%u]", i);
    if (!get_uint(env, tv, name, 7, &n)) return 0;
    if (n == 4) return range_error(env, name, "0 (none), 1..3 (value input/output/inout) or 5..7 (memref input/output/inout)"), 0;
    uint32_t t = (uint32_t)n;
    c->types[i] = t;
    snprintf(name, sizeof name, "params[%u]", i);
    napi_valuetype pt = type_of(env, pv);
    arrays[i] = NULL;
    if (t == TEE_IOCTL_PARAM_ATTR_TYPE_NONE) {
      if (pt != napi_null && pt != napi_undefined) return type_error(env, name, "null for a NONE parameter"), 0;
    } else if (is_value(t)) {
      if (t == TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT && (pt == napi_null || pt == napi_undefined)) continue;
      if (pt != napi_object) return type_error(env, name, "an object { a, b } for a value parameter"), 0;
      napi_value av, bv;
      char sub[40];
      napi_get_named_property(env, pv, "a", &av);
      napi_get_named_property(env, pv, "b", &bv);
      snprintf(sub, sizeof sub, "params[%u].a", i);
      if (!get_uint(env, av, sub, 0xFFFFFFFFu, &c->a[i])) return 0;
      snprintf(sub, sizeof sub, "params[%u].b", i);
      if (!get_uint(env, bv, sub, 0xFFFFFFFFu, &c->b[i])) return 0;
    } else {
      uint8_t *p;
      size_t l;
      if (!get_uint8array(env, pv, name, &p, &l)) return 0;
      c->mem[i] = p;
      c->cap[i] = l;
      c->offset[i] = offset;
      arrays[i] = pv;
      size_t end = offset + l;
      if (end > ctx->shm_size) {
        char must[128];
        snprintf(must, sizeof must, "at most %zu bytes with the memrefs before it (the context's shared memory)", ctx->shm_size - offset);
        return range_error(env, name, must), 0;
      }
      offset = (end + MEMREF_ALIGN - 1) & ~(size_t)(MEMREF_ALIGN - 1);
    }
  }
  return 1;
}

static napi_value invoke_result(napi_env env, invoke_call *c) {
  napi_value obj = result_object(env, c->result, c->origin);
  napi_value params;
  napi_create_array_with_length(env, NUM_PARAMS, &params);
  for (uint32_t i = 0; i < NUM_PARAMS; i++) {
    napi_value p;
    uint32_t t = c->types[i];
    if (is_value(t)) {
      napi_create_object(env, &p);
      set_uint(env, p, "a", c->a[i] & 0xFFFFFFFFu);
      set_uint(env, p, "b", c->b[i] & 0xFFFFFFFFu);
    } else if (is_memref(t)) {
      napi_create_object(env, &p);
      set_uint(env, p, "size", c->size_out[i]);
    } else {
      napi_get_null(env, &p);
    }
    napi_set_element(env, params, i, p);
  }
  napi_set_named_property(env, obj, "params", params);
  return obj;
}

static napi_value invoke_error(napi_env env, invoke_call *c) {
  if (c->err == -1) return throw_closed(env);
  return throw_errno(env, c->err, "ioctl", "TEE_IOC_INVOKE");
}

static napi_value js_invoke(napi_env env, napi_callback_info info) {
  napi_value argv[5], arrays[NUM_PARAMS];
  get_args(env, info, 5, argv);
  tee_context *ctx = get_context(env, argv[0], 1);
  if (ctx == NULL) return NULL;
  invoke_call c;
  memset(&c, 0, sizeof c);
  if (!invoke_parse(env, ctx, argv, &c, arrays)) return NULL;
  invoke_run(ctx, &c);
  if (c.err != 0) return invoke_error(env, &c);
  return invoke_result(env, &c);
}

/* The asynchronous form: staged copies of the memrefs, the ioctl on a worker thread. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref ctx_ref;
  napi_ref array_refs[NUM_PARAMS];
  tee_context *ctx;
  invoke_call call;
  uint8_t *staged[NUM_PARAMS];
} invoke_job;

static void job_free(napi_env env, invoke_job *job) {
  for (int i = 0; i < NUM_PARAMS; i++) {
    if (job->staged[i] != NULL) {
      wipe(job->staged[i], job->call.cap[i]);
      free(job->staged[i]);
    }
    if (job->array_refs[i] != NULL) napi_delete_reference(env, job->array_refs[i]);
  }
  if (job->ctx_ref != NULL) napi_delete_reference(env, job->ctx_ref);
  if (job->work != NULL) napi_delete_async_work(env, job->work);
  wipe(&job->call, sizeof job->call);
  free(job);
}

static void job_execute(napi_env env, void *data) {
  (void)env;
  invoke_job *job = data;
  invoke_run(job->ctx, &job->call);
}

static void job_complete(napi_env env, napi_status status, void *data) {
  invoke_job *job = data;
  if (status != napi_ok) {
    napi_value err = make_coded_error(env, "ERR_TEE_CANCELLED", "the invocation was cancelled before it ran");
    napi_reject_deferred(env, job->deferred, err);
  } else if (job->call.err != 0) {
    invoke_error(env, &job->call);
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_reject_deferred(env, job->deferred, err);
  } else {
    /* Output bytes go to the caller's buffers on the main thread. */
    for (int i = 0; i < NUM_PARAMS; i++) {
      uint32_t t = job->call.types[i];
      if (!copies_out(t) || job->array_refs[i] == NULL) continue;
      uint64_t n = job->call.size_out[i];
      if (n == 0 || n > job->call.cap[i]) continue;
      napi_value arr;
      uint8_t *p;
      size_t l;
      napi_get_reference_value(env, job->array_refs[i], &arr);
      napi_typedarray_type tt;
      void *vp;
      napi_get_typedarray_info(env, arr, &tt, &l, &vp, NULL, NULL);
      p = vp;
      /* The caller may have resized nothing (typed arrays are fixed), but stay within both. */
      memcpy(p, job->staged[i], n <= l ? (size_t)n : l);
    }
    napi_resolve_deferred(env, job->deferred, invoke_result(env, &job->call));
  }
  job_free(env, job);
}

static napi_value js_invoke_async(napi_env env, napi_callback_info info) {
  napi_value argv[5], arrays[NUM_PARAMS];
  get_args(env, info, 5, argv);
  tee_context *ctx = get_context(env, argv[0], 1);
  if (ctx == NULL) return NULL;
  invoke_job *job = calloc(1, sizeof *job);
  if (job == NULL) return throw_errno(env, ENOMEM, "malloc", "invoke");
  job->ctx = ctx;
  if (!invoke_parse(env, ctx, argv, &job->call, arrays)) {
    free(job);
    return NULL;
  }
  for (int i = 0; i < NUM_PARAMS; i++) {
    if (!is_memref(job->call.types[i])) continue;
    size_t l = job->call.cap[i];
    job->staged[i] = malloc(l > 0 ? l : 1);
    if (job->staged[i] == NULL) {
      job_free(env, job);
      return throw_errno(env, ENOMEM, "malloc", "invoke");
    }
    if (copies_in(job->call.types[i]) && l > 0) memcpy(job->staged[i], job->call.mem[i], l);
    else memset(job->staged[i], 0, l > 0 ? l : 1);
    job->call.mem[i] = job->staged[i];
    napi_create_reference(env, arrays[i], 1, &job->array_refs[i]);
  }
  napi_create_reference(env, argv[0], 1, &job->ctx_ref);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "tee-invoke", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, job_execute, job_complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    napi_value err = make_coded_error(env, "ERR_TEE_ASYNC", "could not queue the invocation");
    napi_reject_deferred(env, job->deferred, err);
    job_free(env, job);
  }
  return promise;
}

/* ---------- module ---------- */

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "open", js_open);
  export_fn(env, exports, "version", js_version);
  export_fn(env, exports, "openSession", js_open_session);
  export_fn(env, exports, "invoke", js_invoke);
  export_fn(env, exports, "invokeAsync", js_invoke_async);
  export_fn(env, exports, "cancel", js_cancel);
  export_fn(env, exports, "closeSession", js_close_session);
  export_fn(env, exports, "close", js_close);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
