/*
 * A fake /dev/tee0 for LD_PRELOAD (docs/tee.md, "The fake /dev/tee0"): the Linux TEE client ABI
 * (the kernel's uapi header <linux/tee.h>) answered in user space by the TID trusted application
 * itself, built natively into this library with the host stand-in of the GP TEE Internal Core API
 * (tee_stub.c) and the wasm core through wasm2c. open() of "/dev/tee0" returns a real fd (of
 * /dev/null) that this library tracks; ioctl() on it behaves as the kernel's TEE subsystem with
 * the OP-TEE driver and OP-TEE OS behind it; every other path and fd goes to the next definition
 * (dlsym RTLD_NEXT), so the library can share one LD_PRELOAD list with hal/sim/fakedev's
 * libfakedev.so. /dev/teepriv0 (the supplicant's device) is not faked.
 *
 * Modelled on Linux drivers/tee/tee_core.c, tee_shm.c and drivers/tee/optee/call.c:
 *   TEE_IOC_VERSION        impl_id TEE_IMPL_ID_OPTEE, impl_caps TEE_OPTEE_CAP_TZ, gen_caps
 *                          TEE_GEN_CAP_GP | TEE_GEN_CAP_MEMREF_NULL (no REG_MEM: OP-TEE without
 *                          dynamic shared memory)
 *   TEE_IOC_SHM_ALLOC      flags must be 0 (EINVAL); size rounded up to whole pages (the size
 *                          written back), 0 or over 4 MiB → ENOMEM (the page allocator's limit);
 *                          the memory is a sealed memfd, so the client's mmap(2) of the returned
 *                          fd (O_CLOEXEC) is real shared memory; ids count from 1
 *   TEE_IOC_SHM_REGISTER   flags → EINVAL, a range beyond user space → EFAULT, else EINVAL (OP-TEE
 *                          refuses to register memory without dynamic shared memory)
 *   TEE_IOC_OPEN_SESSION / TEE_IOC_INVOKE   the tee_ioctl_buf_data checks (buf_len at least the
 *                          header and at most TEE_MAX_ARG_SIZE, then exactly header + num_params
 *                          params, else EINVAL; unreadable memory → EFAULT, read and written
 *                          through process_vm_readv/writev as copy_from/to_user would), then
 *                          params_from_user (unknown attribute bits or type → EINVAL; a memref's
 *                          shm id must be one of this context's, offset + size without overflow
 *                          and within the shm, TEE_MEMREF_NULL for a NULL buffer → EINVAL),
 *                          login (REE_KERNEL range → EPERM; PUBLIC, USER; GROUP needs the caller
 *                          in the gid of clnt_uuid's first bytes → EPERM; APPLICATION,
 *                          USER_APPLICATION, GROUP_APPLICATION and others → EINVAL as
 *                          tee_session_calc_client_uuid), the OP-TEE driver's checks (the session
 *                          must be this context's → EINVAL; META attributes from user space →
 *                          EINVAL), then the call: ret / ret_origin written back with the ioctl
 *                          returning 0, VALUE_OUTPUT/INOUT a, b, c and MEMREF_OUTPUT/INOUT sizes
 *                          copied back as params_to_user does (even when ret is an error, so
 *                          SHORT_BUFFER tells the size)
 *   TEE_IOC_CANCEL         the session must be this context's (EINVAL), otherwise accepted (the TA
 *                          runs each call to its end: nothing to cancel)
 *   TEE_IOC_CLOSE_SESSION  unknown session → EINVAL; the TA's close entry point, then 0
 *   any other request      EINVAL, as tee_ioctl's default (TEE_IOC_SUPPL_* included: /dev/tee0
 *                          is not the supplicant's device)
 *   close()                closes the context's sessions and frees its shared memory (also when
 *                          it comes as syscall(SYS_close, fd), as libuv issues it)
 * and on what OP-TEE OS does behind them: more than 4 parameters → TEE_ERROR_BAD_PARAMETERS
 * origin TEE; only the TID TA exists (ee459cd1-d81d-464e-892d-2767e98150dc), another UUID →
 * TEE_ERROR_ITEM_NOT_FOUND origin TEE; the TA is single-instance and not multi-session, so a second
 * session while one is open → TEE_ERROR_BUSY origin TEE (OP-TEE refuses it before the TA sees it);
 * TA_CreateEntryPoint runs before the first session of an instance and TA_DestroyEntryPoint after
 * its last (no keep-alive); the TA's own results come back with origin TRUSTED_APP. A TA panic
 * (TEE_Panic) kills the instance, not the process: that call and every later call on its sessions
 * answer TEE_ERROR_TARGET_DEAD origin TEE (closing them works), and the next OPEN_SESSION starts a
 * fresh instance. In-process, "fresh" means the TA's close-session and destroy entry points are
 * run after the panic to return its static state to a new instance's; if they panic too, the TA
 * stays dead for the rest of the process.
 *
 * Environment, read at every open of /dev/tee0 (a bad value: a message on stderr and the open
 * fails with EINVAL):
 *   TID_FAKETEE_STORAGE=DIR   the TA's persistent objects are files in DIR (an existing
 *                             directory); unset: in RAM for the life of the process
 *   TID_FAKETEE_TRACE=1       one line per request on stderr (0 or unset: none)
 *   TID_FAKETEE_SUPPLICANT=0  as without tee-supplicant: the TA cannot be loaded, OPEN_SESSION
 *                             answers TEEC_ERROR_COMMUNICATION origin COMMS (1 or unset: running)
 *   TID_FAKETEE_FAULT=SPEC[,SPEC…]   fault injection, counting the INVOKEs that reach the TEE in
 *                             this process from 1:
 *                               invoke:N:RESULT  the Nth INVOKE answers RESULT (hex) origin TEE
 *                                                without running the TA
 *                               panic:N          the TA panics in the Nth INVOKE (at its first GP
 *                                                API call, or on return if it makes none)
 *
 * Limits: the TA runs in the calling process (no isolation; one instance per process, shared by
 * all its contexts); the shm of a context stays valid until the context fd is closed, even after
 * the client closes the shm fd and unmaps it (the kernel frees it when both are gone); dup() of a
 * context fd is not tracked; only the absolute path "/dev/tee0" is recognised, and only through
 * the open family (not fopen, whose libc-internal open cannot be interposed).
 *
 * Build: tee/host-stub/Makefile (libfaketee.so): -fPIC -fvisibility=hidden, and only the
 * interposed libc functions below are exported, so the TA's, the stub's and the wasm module's
 * symbols cannot clash with the host program's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/tee.h>

#include <tee_internal_api.h>
#include "tee_stub.h"
#include "tid_ta.h"

#define EXPORT __attribute__((visibility("default")))

#define DEVICE_PATH "/dev/tee0"
#define MAX_FDS 65536
#define TA_PARAMS 4                    /* GP TEE_Param[4] */
#define SHM_MAX_SIZE (4u * 1024 * 1024) /* alloc_pages_exact: MAX_ORDER 10 of 4 KiB pages */

/* the GP Client API's origins and results the fake itself answers (TEE Client API §4.4.2, §4.5) */
#define TEEC_ORIGIN_COMMS 2
#define TEEC_ORIGIN_TEE 3
#define TEEC_ORIGIN_TRUSTED_APP 4
#define TEEC_ERROR_TARGET_DEAD 0xFFFF3024u
#define PANIC_FAULT_CODE 0xFA0170FFu /* the TEE_Panic code of an injected panic: recognisable */

#define MAX_FAULTS 16

/* ---- state (all under g_lock) ----------------------------------------------------------------- */

struct shm {
  struct shm *next;
  int32_t id;
  uint8_t *map; /* this library's own MAP_SHARED view: what the TA reads and writes */
  size_t size;
};

struct ctx {
  int fd;
  struct shm *shms;
};

struct session {
  struct session *next;
  uint32_t id;
  struct ctx *ctx;
  void *ta_session; /* the TA's session context pointer */
  int dead;         /* its instance panicked: TARGET_DEAD until closed */
};

struct fault {
  int kind; /* 1 invoke result, 2 panic */
  unsigned long at;
  uint32_t result;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ctx *g_ctx[MAX_FDS];
static struct session *g_sessions;
static uint32_t g_next_session = 1;
static int32_t g_next_shm = 1;
static int g_instance;    /* TA_CreateEntryPoint has run and TA_DestroyEntryPoint has not */
static int g_live;        /* open (not dead) sessions of the instance */
static int g_ta_unusable; /* the clean-up after a panic panicked too */
static unsigned long g_invokes;

/* configuration from the environment (replaced at each successful open) */
static int g_trace;
static int g_no_supplicant;
static char *g_storage;
static struct fault g_faults[MAX_FAULTS];
static int g_fault_count;

/* ---- the next definitions ------------------------------------------------------------------ */

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real___open_2)(const char *, int);
static int (*real___open64_2)(const char *, int);
static int (*real___openat_2)(int, const char *, int);
static int (*real___openat64_2)(int, const char *, int);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);
static long (*real_syscall)(long, ...);

#define RESOLVE(name) real_##name = (__typeof__(real_##name))dlsym(RTLD_NEXT, #name)

static void resolve_all(void) {
  RESOLVE(open);
  RESOLVE(open64);
  RESOLVE(openat);
  RESOLVE(openat64);
  RESOLVE(__open_2);
  RESOLVE(__open64_2);
  RESOLVE(__openat_2);
  RESOLVE(__openat64_2);
  RESOLVE(close);
  RESOLVE(ioctl);
  RESOLVE(syscall);
}

static pthread_once_t g_resolved = PTHREAD_ONCE_INIT;
#define REAL(name) (pthread_once(&g_resolved, resolve_all), real_##name)

/* ---- user memory, as copy_from_user / copy_to_user ------------------------------------------- */

static int g_vm_unavailable; /* process_vm_readv refused (seccomp): plain copies, NULL checked */

static int user_copy(void *local, uint64_t remote, size_t n, int to_user) {
  struct iovec l = {local, n}, r = {(void *)(uintptr_t)remote, n};
  ssize_t k;
  if (n == 0) return 0;
  if (remote == 0 || remote + n < remote) return -EFAULT;
  if (!__atomic_load_n(&g_vm_unavailable, __ATOMIC_RELAXED)) {
    int saved = errno;
    k = to_user ? process_vm_writev(getpid(), &l, 1, &r, 1, 0) : process_vm_readv(getpid(), &l, 1, &r, 1, 0);
    if (k == (ssize_t)n) {
      errno = saved;
      return 0;
    }
    if (k >= 0 || errno == EFAULT) {
      errno = saved;
      return -EFAULT;
    }
    __atomic_store_n(&g_vm_unavailable, 1, __ATOMIC_RELAXED);
    errno = saved;
  }
  if (to_user) memcpy((void *)(uintptr_t)remote, local, n);
  else memcpy(local, (const void *)(uintptr_t)remote, n);
  return 0;
}

#define FROM_USER(dst, addr) user_copy((dst), (uint64_t)(addr), sizeof *(dst), 0)
#define TO_USER(addr, src) user_copy((void *)(src), (uint64_t)(addr), sizeof *(src), 1)

/* ---- trace -------------------------------------------------------------------------------------- */

static const char *errno_name(long e) {
  switch (e) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EPERM: return "EPERM";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    default: return "E?";
  }
}

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...) {
  char line[512];
  va_list ap;
  if (!g_trace) return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "[faketee] %s\n", line);
}

/* ---- configuration --------------------------------------------------------------------------- */

static int parse_ulong(const char *s, const char *end, int base, unsigned long *out) {
  char *stop;
  unsigned long v;
  if (s == end || *s == '-' || *s == '+' || *s == ' ') return -1;
  errno = 0;
  v = strtoul(s, &stop, base);
  if (errno != 0 || stop != end) return -1;
  *out = v;
  return 0;
}

/* "invoke:N:HEX" or "panic:N", between s and end */
static int parse_fault(const char *s, const char *end, struct fault *f) {
  const char *c1 = memchr(s, ':', (size_t)(end - s)), *c2;
  unsigned long v;
  if (!c1) return -1;
  c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
  if ((size_t)(c1 - s) == 6 && memcmp(s, "invoke", 6) == 0) {
    const char *hex;
    if (!c2 || parse_ulong(c1 + 1, c2, 10, &f->at) || f->at == 0) return -1;
    hex = c2 + 1;
    if (end - hex > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex += 2;
    if (end - hex > 8 || parse_ulong(hex, end, 16, &v)) return -1;
    f->kind = 1;
    f->result = (uint32_t)v;
    return 0;
  }
  if ((size_t)(c1 - s) == 5 && memcmp(s, "panic", 5) == 0) {
    if (c2 || parse_ulong(c1 + 1, end, 10, &f->at) || f->at == 0) return -1;
    f->kind = 2;
    return 0;
  }
  return -1;
}

/* Read the TID_FAKETEE_* variables; 0, or -1 after a message on stderr. */
static int load_config(void) {
  const char *trace_env = getenv("TID_FAKETEE_TRACE"), *supp = getenv("TID_FAKETEE_SUPPLICANT");
  const char *storage = getenv("TID_FAKETEE_STORAGE"), *fault = getenv("TID_FAKETEE_FAULT");
  struct fault faults[MAX_FAULTS];
  int nfaults = 0, new_trace = 0, new_no_supp = 0;
  char *new_storage = NULL;
  struct stat st;
  if (trace_env && *trace_env) {
    if (strcmp(trace_env, "1") != 0 && strcmp(trace_env, "0") != 0) {
      fprintf(stderr, "faketee: TID_FAKETEE_TRACE must be 0 or 1, not \"%s\"\n", trace_env);
      return -1;
    }
    new_trace = trace_env[0] == '1';
  }
  if (supp && *supp) {
    if (strcmp(supp, "1") != 0 && strcmp(supp, "0") != 0) {
      fprintf(stderr, "faketee: TID_FAKETEE_SUPPLICANT must be 0 or 1, not \"%s\"\n", supp);
      return -1;
    }
    new_no_supp = supp[0] == '0';
  }
  if (fault && *fault) {
    const char *s = fault;
    for (;;) {
      const char *end = strchr(s, ',');
      if (!end) end = s + strlen(s);
      if (nfaults == MAX_FAULTS || parse_fault(s, end, &faults[nfaults]) != 0) {
        fprintf(stderr,
                "faketee: TID_FAKETEE_FAULT: \"%.*s\" is not invoke:N:RESULTHEX or panic:N (N from 1; at most %d "
                "specs, comma-separated)\n",
                (int)(end - s), s, MAX_FAULTS);
        return -1;
      }
      nfaults++;
      if (*end == '\0') break;
      s = end + 1;
    }
  }
  if (storage) {
    if (!*storage || stat(storage, &st) != 0 || !S_ISDIR(st.st_mode)) {
      fprintf(stderr, "faketee: TID_FAKETEE_STORAGE=\"%s\" is not an existing directory\n", storage);
      return -1;
    }
    new_storage = realpath(storage, NULL); /* a later chdir must not move the TA's storage */
    if (!new_storage) {
      fprintf(stderr, "faketee: TID_FAKETEE_STORAGE=\"%s\": %s\n", storage, strerror(errno));
      return -1;
    }
  }
  g_trace = new_trace;
  g_no_supplicant = new_no_supp;
  memcpy(g_faults, faults, sizeof faults);
  g_fault_count = nfaults;
  free(g_storage);
  g_storage = new_storage;
  tee_stub_set_storage_dir(g_storage); /* NULL: RAM */
  return 0;
}

/* ---- the TA, guarded against TEE_Panic ------------------------------------------------------ */

static sigjmp_buf *g_guard;
static uint32_t g_panic_code;

static void on_panic(uint32_t code) {
  g_panic_code = code;
  if (g_guard) siglongjmp(*g_guard, 1);
  fprintf(stderr, "faketee: TEE_Panic(0x%08x) outside a TA call\n", (unsigned)code);
  _exit(70);
}

enum call_kind { CALL_CREATE, CALL_DESTROY, CALL_OPEN, CALL_CLOSE, CALL_INVOKE };

struct ta_call {
  enum call_kind kind;
  uint32_t types, cmd;
  TEE_Param *params;
  void *session;
  void **session_out;
  TEE_Result res;
};

/* Run one entry point; 0, or -1 when the TA panicked (g_panic_code says with what). */
static int run_ta(struct ta_call *c) {
  sigjmp_buf jb;
  sigjmp_buf *volatile prev = g_guard;
  if (sigsetjmp(jb, 0) != 0) {
    g_guard = prev;
    tee_stub_disarm_panic();
    return -1;
  }
  g_guard = &jb;
  c->res = TEE_SUCCESS;
  switch (c->kind) {
    case CALL_CREATE: c->res = TA_CreateEntryPoint(); break;
    case CALL_DESTROY: TA_DestroyEntryPoint(); break;
    case CALL_OPEN: c->res = TA_OpenSessionEntryPoint(c->types, c->params, c->session_out); break;
    case CALL_CLOSE: TA_CloseSessionEntryPoint(c->session); break;
    case CALL_INVOKE:
      c->res = TA_InvokeCommandEntryPoint(c->session, c->cmd, c->types, c->params);
      if (tee_stub_panic_pending()) TEE_Panic(PANIC_FAULT_CODE); /* an armed panic the TA did not reach */
      break;
  }
  g_guard = prev;
  return 0;
}

/* wasm2c's call-depth counter (tee/ta/wasm_rt_tee.c): a longjmp out of the module skips the
 * decrements */
extern uint32_t wasm_rt_call_stack_depth;

static int reset_session(void *ta_session) {
  struct ta_call c;
  int r;
  memset(&c, 0, sizeof c);
  c.kind = CALL_CLOSE;
  c.session = ta_session;
  r = run_ta(&c);
  wasm_rt_call_stack_depth = 0;
  return r;
}

/* The instance panicked: its sessions die, and the TA's static state goes back to a fresh
 * instance's by its own close-session and destroy entry points (a TEE would drop its memory).
 * `busy` is the session the panic interrupted while opening or closing it (not in g_sessions):
 * its close runs too, so whatever the TA had set up for it is undone. */
static void instance_died(int has_busy, void *busy) {
  struct session *s;
  struct ta_call c;
  int failed = 0;
  fprintf(stderr, "faketee: TA panic 0x%08x: the TA instance is dead (TEEC_ERROR_TARGET_DEAD)\n", (unsigned)g_panic_code);
  wasm_rt_call_stack_depth = 0;
  if (has_busy && reset_session(busy) != 0) failed = 1;
  for (s = g_sessions; s; s = s->next) {
    if (s->dead) continue;
    s->dead = 1;
    if (!failed && reset_session(s->ta_session) != 0) failed = 1;
  }
  memset(&c, 0, sizeof c);
  c.kind = CALL_DESTROY;
  if (!failed && run_ta(&c) != 0) failed = 1;
  if (failed) {
    g_ta_unusable = 1;
    fprintf(stderr, "faketee: the TA panicked again while being reset: it stays dead in this process\n");
  }
  g_instance = 0;
  g_live = 0;
}

static void destroy_instance_if_idle(void) {
  struct ta_call c;
  if (!g_instance || g_live > 0) return;
  memset(&c, 0, sizeof c);
  c.kind = CALL_DESTROY;
  if (run_ta(&c) != 0) {
    instance_died(0, NULL);
    return;
  }
  g_instance = 0;
}

/* ---- parameters ------------------------------------------------------------------------------- */

struct kparam {
  uint64_t attr, a, b, c; /* as the kernel holds them: value a/b/c, or offset/size/shm */
  struct shm *shm;        /* memref: NULL for TEE_MEMREF_NULL */
};

static struct shm *shm_find(struct ctx *ctx, uint64_t id) {
  struct shm *m;
  for (m = ctx->shms; m; m = m->next)
    if ((uint64_t)m->id == id) return m;
  return NULL;
}

/* tee_core.c params_from_user */
static long params_from_user(struct ctx *ctx, struct kparam *kp, uint32_t n, uint64_t uparams) {
  uint32_t i;
  for (i = 0; i < n; i++) {
    struct tee_ioctl_param ip;
    if (FROM_USER(&ip, uparams + (uint64_t)i * sizeof ip)) return -EFAULT;
    if (ip.attr & ~(uint64_t)TEE_IOCTL_PARAM_ATTR_MASK) return -EINVAL;
    memset(&kp[i], 0, sizeof kp[i]);
    kp[i].attr = ip.attr;
    switch (ip.attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) {
      case TEE_IOCTL_PARAM_ATTR_TYPE_NONE:
      case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
        break;
      case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
        kp[i].a = ip.a;
        kp[i].b = ip.b;
        kp[i].c = ip.c;
        break;
      case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
        if (ip.c != TEE_MEMREF_NULL) {
          struct shm *m = shm_find(ctx, ip.c);
          if (!m) return -EINVAL;
          if (ip.a + ip.b < ip.a || ip.a + ip.b > m->size) return -EINVAL;
          kp[i].shm = m;
        } /* else: TEE_GEN_CAP_MEMREF_NULL, a NULL buffer for the TA */
        kp[i].a = ip.a;
        kp[i].b = ip.b;
        break;
      default:
        return -EINVAL;
    }
  }
  return 0;
}

/* optee_to_msg_param: the whole attribute must be a plain type (META is the driver's own) */
static long params_to_msg(const struct kparam *kp, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) {
    switch (kp[i].attr) {
      case TEE_IOCTL_PARAM_ATTR_TYPE_NONE:
      case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
        break;
      default:
        return -EINVAL;
    }
  }
  return 0;
}

/* OP-TEE's copy_in_params: the message's parameters as the TA's TEE_Param[4] and types. */
static int params_to_ta(const struct kparam *kp, uint32_t n, TEE_Param p[TA_PARAMS], uint32_t *types) {
  uint32_t i;
  memset(p, 0, sizeof(TEE_Param) * TA_PARAMS);
  *types = 0;
  if (n > TA_PARAMS) return -1;
  for (i = 0; i < n; i++) {
    uint32_t t = (uint32_t)kp[i].attr; /* the ioctl types have the GP numbering */
    *types |= t << (4 * i);
    if (t >= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT) {
      p[i].memref.buffer = kp[i].shm ? kp[i].shm->map + kp[i].a : NULL;
      p[i].memref.size = (size_t)kp[i].b;
    } else if (t != TEE_IOCTL_PARAM_ATTR_TYPE_NONE) {
      p[i].value.a = (uint32_t)kp[i].a;
      p[i].value.b = (uint32_t)kp[i].b;
    }
  }
  return 0;
}

/* OP-TEE's copy_out_param: the TA's outputs into the message's parameters. */
static void params_from_ta(struct kparam *kp, uint32_t n, const TEE_Param p[TA_PARAMS]) {
  uint32_t i;
  for (i = 0; i < n && i < TA_PARAMS; i++) {
    switch (kp[i].attr) {
      case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
        kp[i].a = p[i].value.a;
        kp[i].b = p[i].value.b;
        break;
      case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
        kp[i].b = p[i].memref.size;
        break;
      default:
        break;
    }
  }
}

/* tee_core.c params_to_user */
static long params_to_user(uint64_t uparams, const struct kparam *kp, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) {
    uint64_t up = uparams + (uint64_t)i * sizeof(struct tee_ioctl_param);
    switch (kp[i].attr) {
      case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
        if (TO_USER(up + offsetof(struct tee_ioctl_param, a), &kp[i].a) ||
            TO_USER(up + offsetof(struct tee_ioctl_param, b), &kp[i].b) ||
            TO_USER(up + offsetof(struct tee_ioctl_param, c), &kp[i].c))
          return -EFAULT;
        break;
      case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
      case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
        if (TO_USER(up + offsetof(struct tee_ioctl_param, b), &kp[i].b)) return -EFAULT;
        break;
      default:
        break;
    }
  }
  return 0;
}

/* The tee_ioctl_buf_data checks shared by OPEN_SESSION and INVOKE: reads the header (hsize
 * bytes, num_params at num_off) and the parameters into *kp (malloc'd, may be NULL). */
static long read_buf_arg(struct ctx *ctx, unsigned long arg, void *header, size_t hsize, size_t num_off, uint64_t *uarg,
                         struct kparam **kp, uint32_t *num) {
  struct tee_ioctl_buf_data buf;
  long rc;
  *kp = NULL;
  if (FROM_USER(&buf, arg)) return -EFAULT;
  if (buf.buf_len > TEE_MAX_ARG_SIZE || buf.buf_len < hsize) return -EINVAL;
  if (user_copy(header, buf.buf_ptr, hsize, 0)) return -EFAULT;
  memcpy(num, (uint8_t *)header + num_off, sizeof *num);
  if (hsize + (uint64_t)*num * sizeof(struct tee_ioctl_param) != buf.buf_len) return -EINVAL;
  *uarg = buf.buf_ptr;
  if (*num == 0) return 0;
  *kp = calloc(*num, sizeof **kp);
  if (!*kp) return -ENOMEM;
  rc = params_from_user(ctx, *kp, *num, buf.buf_ptr + hsize);
  return rc;
}

/* ---- sessions ------------------------------------------------------------------------------ */

static struct session *session_find(struct ctx *ctx, uint32_t id) {
  struct session *s;
  for (s = g_sessions; s; s = s->next)
    if (s->id == id && s->ctx == ctx) return s;
  return NULL;
}

static void session_unlink(struct session *s) {
  struct session **pp;
  for (pp = &g_sessions; *pp; pp = &(*pp)->next)
    if (*pp == s) {
      *pp = s->next;
      return;
    }
}

/* The TEE side of closing a session (its record already unlinked). */
static void session_close_in_tee(struct session *s) {
  struct ta_call c;
  if (!s->dead) {
    memset(&c, 0, sizeof c);
    c.kind = CALL_CLOSE;
    c.session = s->ta_session;
    g_live--;
    if (run_ta(&c) != 0) instance_died(1, s->ta_session);
    else destroy_instance_if_idle();
  }
  free(s);
}

static const uint8_t TID_UUID[16] = {0xee, 0x45, 0x9c, 0xd1, 0xd8, 0x1d, 0x46, 0x4e,
                                     0x89, 0x2d, 0x27, 0x67, 0xe9, 0x81, 0x50, 0xdc};

/* tee_session_calc_client_uuid's checks (the client UUID itself is not passed on: the stub has
 * no client properties for the TA to read) */
static long check_login(uint32_t login, const uint8_t clnt_uuid[16]) {
  gid_t gid;
  gid_t groups[NGROUPS_MAX];
  int n, i;
  switch (login) {
    case TEE_IOCTL_LOGIN_PUBLIC:
    case TEE_IOCTL_LOGIN_REE_KERNEL:
    case TEE_IOCTL_LOGIN_USER:
      return 0;
    case TEE_IOCTL_LOGIN_GROUP:
      memcpy(&gid, clnt_uuid, sizeof gid);
      if (gid == (gid_t)-1) return -EPERM;
      if (gid == getegid()) return 0;
      n = getgroups(NGROUPS_MAX, groups);
      for (i = 0; i < n; i++)
        if (groups[i] == gid) return 0;
      return -EPERM;
    default:
      return -EINVAL;
  }
}

/* The TEE's answer to an OPEN_SESSION that passed the kernel's checks. */
static void open_in_tee(const struct tee_ioctl_open_session_arg *a, struct kparam *kp, struct session **out, uint32_t *ret,
                        uint32_t *origin) {
  TEE_Param p[TA_PARAMS];
  uint32_t types;
  struct ta_call c;
  struct session *s;
  *out = NULL;
  *origin = TEEC_ORIGIN_TEE;
  if (params_to_ta(kp, a->num_params, p, &types) != 0) { /* OP-TEE copies them in first */
    *ret = TEE_ERROR_BAD_PARAMETERS;
    return;
  }
  if (g_no_supplicant) { /* the TA cannot be loaded */
    *ret = TEE_ERROR_COMMUNICATION;
    *origin = TEEC_ORIGIN_COMMS;
    return;
  }
  if (memcmp(a->uuid, TID_UUID, sizeof TID_UUID) != 0) {
    *ret = TEE_ERROR_ITEM_NOT_FOUND;
    return;
  }
  if (g_ta_unusable) {
    *ret = TEEC_ERROR_TARGET_DEAD;
    return;
  }
  if (g_instance && g_live > 0) { /* single instance, not multi-session */
    *ret = TEE_ERROR_BUSY;
    return;
  }
  s = calloc(1, sizeof *s);
  if (!s) {
    *ret = TEE_ERROR_OUT_OF_MEMORY;
    return;
  }
  if (!g_instance) {
    memset(&c, 0, sizeof c);
    c.kind = CALL_CREATE;
    if (run_ta(&c) != 0) {
      g_instance = 1;
      instance_died(0, NULL);
      free(s);
      *ret = TEEC_ERROR_TARGET_DEAD;
      return;
    }
    if (c.res != TEE_SUCCESS) {
      free(s);
      *ret = c.res;
      *origin = TEEC_ORIGIN_TRUSTED_APP;
      return;
    }
    g_instance = 1;
  }
  memset(&c, 0, sizeof c);
  c.kind = CALL_OPEN;
  c.types = types;
  c.params = p;
  c.session_out = &s->ta_session;
  if (run_ta(&c) != 0) {
    instance_died(1, s->ta_session);
    free(s);
    *ret = TEEC_ERROR_TARGET_DEAD;
    return;
  }
  params_from_ta(kp, a->num_params, p);
  *ret = c.res;
  *origin = TEEC_ORIGIN_TRUSTED_APP;
  if (c.res != TEE_SUCCESS) {
    free(s);
    destroy_instance_if_idle();
    return;
  }
  g_live++;
  *out = s;
}

static long ioc_open_session(struct ctx *ctx, unsigned long arg) {
  struct tee_ioctl_open_session_arg a;
  struct kparam *kp = NULL;
  struct session *s = NULL;
  uint64_t uarg = 0;
  uint32_t num = 0, ret = 0, origin = 0, id = 0;
  long rc = read_buf_arg(ctx, arg, &a, sizeof a, offsetof(struct tee_ioctl_open_session_arg, num_params), &uarg, &kp, &num);
  if (rc) goto out;
  if (a.clnt_login >= TEE_IOCTL_LOGIN_REE_KERNEL_MIN && a.clnt_login <= TEE_IOCTL_LOGIN_REE_KERNEL_MAX) {
    rc = -EPERM;
    goto out;
  }
  rc = check_login(a.clnt_login, a.clnt_uuid);
  if (rc) goto out;
  rc = params_to_msg(kp, num);
  if (rc) goto out;
  open_in_tee(&a, kp, &s, &ret, &origin);
  if (s) {
    s->id = g_next_session++;
    s->ctx = ctx;
    s->next = g_sessions;
    g_sessions = s;
    id = s->id;
  }
  if (TO_USER(uarg + offsetof(struct tee_ioctl_open_session_arg, session), &id) ||
      TO_USER(uarg + offsetof(struct tee_ioctl_open_session_arg, ret), &ret) ||
      TO_USER(uarg + offsetof(struct tee_ioctl_open_session_arg, ret_origin), &origin))
    rc = -EFAULT;
  else
    rc = params_to_user(uarg + sizeof a, kp, num);
  if (rc && s) { /* could not tell user space: close it again */
    session_unlink(s);
    session_close_in_tee(s);
    s = NULL;
  }
  trace("fd %d OPEN_SESSION login=%u params=%u -> %s ret=0x%08x origin=%u session=%u", ctx->fd, a.clnt_login, num,
        rc ? errno_name(-rc) : "0", (unsigned)ret, (unsigned)origin, s ? (unsigned)s->id : 0u);
  free(kp);
  return rc;
out:
  trace("fd %d OPEN_SESSION -> -1 %s", ctx->fd, errno_name(-rc));
  free(kp);
  return rc;
}

static const struct fault *fault_at(unsigned long n) {
  int i;
  for (i = 0; i < g_fault_count; i++)
    if (g_faults[i].at == n) return &g_faults[i];
  return NULL;
}

static long ioc_invoke(struct ctx *ctx, unsigned long arg) {
  struct tee_ioctl_invoke_arg a;
  struct kparam *kp = NULL;
  struct session *s;
  uint64_t uarg = 0;
  uint32_t num = 0, ret = 0, origin = TEEC_ORIGIN_TEE, types;
  TEE_Param p[TA_PARAMS];
  const struct fault *f;
  long rc = read_buf_arg(ctx, arg, &a, sizeof a, offsetof(struct tee_ioctl_invoke_arg, num_params), &uarg, &kp, &num);
  if (rc) goto fail;
  s = session_find(ctx, a.session);
  if (!s) {
    rc = -EINVAL;
    goto fail;
  }
  rc = params_to_msg(kp, num);
  if (rc) goto fail;
  f = fault_at(++g_invokes);
  if (s->dead) {
    ret = TEEC_ERROR_TARGET_DEAD;
  } else if (params_to_ta(kp, num, p, &types) != 0) {
    ret = TEE_ERROR_BAD_PARAMETERS;
  } else if (f && f->kind == 1) {
    ret = f->result;
  } else {
    struct ta_call c;
    memset(&c, 0, sizeof c);
    c.kind = CALL_INVOKE;
    c.session = s->ta_session;
    c.cmd = a.func;
    c.types = types;
    c.params = p;
    if (f && f->kind == 2) tee_stub_arm_panic(PANIC_FAULT_CODE);
    if (run_ta(&c) != 0) { /* what a dead TA wrote into its parameters does not come back */
      instance_died(0, NULL);
      ret = TEEC_ERROR_TARGET_DEAD;
    } else {
      params_from_ta(kp, num, p);
      ret = c.res;
      origin = TEEC_ORIGIN_TRUSTED_APP;
    }
  }
  if (TO_USER(uarg + offsetof(struct tee_ioctl_invoke_arg, ret), &ret) ||
      TO_USER(uarg + offsetof(struct tee_ioctl_invoke_arg, ret_origin), &origin))
    rc = -EFAULT;
  else
    rc = params_to_user(uarg + sizeof a, kp, num);
  trace("fd %d INVOKE #%lu session=%u func=%u params=%u -> %s ret=0x%08x origin=%u", ctx->fd, g_invokes, a.session, a.func,
        num, rc ? errno_name(-rc) : "0", (unsigned)ret, (unsigned)origin);
  free(kp);
  return rc;
fail:
  trace("fd %d INVOKE -> -1 %s", ctx->fd, errno_name(-rc));
  free(kp);
  return rc;
}

static long ioc_close_session(struct ctx *ctx, unsigned long arg) {
  struct tee_ioctl_close_session_arg a;
  struct session *s;
  if (FROM_USER(&a, arg)) return -EFAULT;
  s = session_find(ctx, a.session);
  if (!s) {
    trace("fd %d CLOSE_SESSION session=%u -> -1 EINVAL", ctx->fd, a.session);
    return -EINVAL;
  }
  session_unlink(s);
  session_close_in_tee(s);
  trace("fd %d CLOSE_SESSION session=%u -> 0", ctx->fd, a.session);
  return 0;
}

static long ioc_cancel(struct ctx *ctx, unsigned long arg) {
  struct tee_ioctl_cancel_arg a;
  if (FROM_USER(&a, arg)) return -EFAULT;
  if (!session_find(ctx, a.session)) return -EINVAL;
  trace("fd %d CANCEL session=%u cancel_id=%u -> 0", ctx->fd, a.session, a.cancel_id);
  return 0;
}

/* ---- shared memory --------------------------------------------------------------------------- */

static long ioc_shm_alloc(struct ctx *ctx, unsigned long arg) {
  struct tee_ioctl_shm_alloc_data d;
  size_t page = (size_t)sysconf(_SC_PAGESIZE), size;
  struct shm *m;
  int fd;
  if (FROM_USER(&d, arg)) return -EFAULT;
  if (d.flags) return -EINVAL;
  if (d.size == 0 || d.size > SHM_MAX_SIZE) return -ENOMEM;
  size = ((size_t)d.size + page - 1) / page * page;
  m = calloc(1, sizeof *m);
  if (!m) return -ENOMEM;
  fd = memfd_create("tee_shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    free(m);
    return -ENOMEM;
  }
  if (ftruncate(fd, (off_t)size) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0 ||
      (m->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
    REAL(close)(fd);
    free(m);
    return -ENOMEM;
  }
  m->size = size;
  m->id = g_next_shm++;
  d.id = m->id;
  d.size = size;
  if (TO_USER(arg, &d)) {
    munmap(m->map, size);
    REAL(close)(fd);
    free(m);
    return -EFAULT;
  }
  m->next = ctx->shms;
  ctx->shms = m;
  trace("fd %d SHM_ALLOC size=%zu -> fd %d id=%d", ctx->fd, size, fd, m->id);
  return fd;
}

static long ioc_shm_register(unsigned long arg) {
  struct tee_ioctl_shm_register_data d;
  if (FROM_USER(&d, arg)) return -EFAULT;
  if (d.flags) return -EINVAL;
  if (d.addr + d.length < d.addr || d.addr + d.length > (1ull << 47)) return -EFAULT; /* access_ok */
  return -EINVAL; /* no dynamic shared memory: OP-TEE refuses the registration */
}

static long ioc_version(unsigned long arg) {
  struct tee_ioctl_version_data v = {TEE_IMPL_ID_OPTEE, TEE_OPTEE_CAP_TZ, TEE_GEN_CAP_GP | TEE_GEN_CAP_MEMREF_NULL};
  return TO_USER(arg, &v) ? -EFAULT : 0;
}

static long dispatch(struct ctx *ctx, unsigned long req, unsigned long arg) {
  long rc;
  switch (req) {
    case TEE_IOC_VERSION:
      rc = ioc_version(arg);
      trace("fd %d VERSION -> %s", ctx->fd, rc ? errno_name(-rc) : "0");
      return rc;
    case TEE_IOC_SHM_ALLOC:
      rc = ioc_shm_alloc(ctx, arg);
      if (rc < 0) trace("fd %d SHM_ALLOC -> -1 %s", ctx->fd, errno_name(-rc));
      return rc;
    case TEE_IOC_SHM_REGISTER:
      rc = ioc_shm_register(arg);
      trace("fd %d SHM_REGISTER -> -1 %s", ctx->fd, errno_name(-rc));
      return rc;
    case TEE_IOC_OPEN_SESSION: return ioc_open_session(ctx, arg);
    case TEE_IOC_INVOKE: return ioc_invoke(ctx, arg);
    case TEE_IOC_CANCEL: return ioc_cancel(ctx, arg);
    case TEE_IOC_CLOSE_SESSION: return ioc_close_session(ctx, arg);
    default:
      trace("fd %d ioctl 0x%lx -> -1 EINVAL", ctx->fd, req);
      return -EINVAL;
  }
}

/* ---- open / close ----------------------------------------------------------------------------- */

static struct ctx *ctx_of(int fd) {
  if (fd < 0 || fd >= MAX_FDS) return NULL;
  return __atomic_load_n(&g_ctx[fd], __ATOMIC_ACQUIRE);
}

static int is_device(const char *path) {
  return path && strcmp(path, DEVICE_PATH) == 0;
}

static int fake_open(int flags) {
  struct ctx *ctx;
  int fd, saved;
  pthread_mutex_lock(&g_lock);
  if (load_config() != 0) {
    pthread_mutex_unlock(&g_lock);
    errno = EINVAL;
    return -1;
  }
  tee_stub_set_panic_handler(on_panic);
  fd = REAL(open)("/dev/null", O_RDWR | (flags & O_CLOEXEC));
  if (fd < 0) {
    saved = errno;
    pthread_mutex_unlock(&g_lock);
    errno = saved;
    return -1;
  }
  if (fd >= MAX_FDS || !(ctx = calloc(1, sizeof *ctx))) {
    REAL(close)(fd);
    pthread_mutex_unlock(&g_lock);
    errno = fd >= MAX_FDS ? EMFILE : ENOMEM;
    return -1;
  }
  ctx->fd = fd;
  __atomic_store_n(&g_ctx[fd], ctx, __ATOMIC_RELEASE);
  trace("open %s -> fd %d", DEVICE_PATH, fd);
  pthread_mutex_unlock(&g_lock);
  return fd;
}

/* tee_release → optee_release: the context's sessions closed in the TEE, its shm freed. */
static void release(int fd) {
  struct ctx *ctx;
  struct session **pp;
  struct shm *m;
  if (!ctx_of(fd)) return;
  pthread_mutex_lock(&g_lock);
  ctx = ctx_of(fd);
  if (ctx) {
    __atomic_store_n(&g_ctx[fd], NULL, __ATOMIC_RELEASE);
    for (pp = &g_sessions; *pp;) {
      struct session *s = *pp;
      if (s->ctx != ctx) {
        pp = &s->next;
        continue;
      }
      *pp = s->next;
      session_close_in_tee(s);
    }
    while ((m = ctx->shms)) {
      ctx->shms = m->next;
      munmap(m->map, m->size);
      free(m);
    }
    trace("close fd %d", fd);
    free(ctx);
  }
  pthread_mutex_unlock(&g_lock);
}

/* glibc's _FORTIFY_SOURCE entry points, which its headers do not declare */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static int mode_of(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? va_arg(ap, int) : 0;
}

EXPORT int open(const char *path, int flags, ...) {
  int mode;
  va_list ap;
  if (is_device(path)) return fake_open(flags);
  va_start(ap, flags);
  mode = mode_of(flags, ap);
  va_end(ap);
  return REAL(open)(path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...) {
  int mode;
  va_list ap;
  if (is_device(path)) return fake_open(flags);
  va_start(ap, flags);
  mode = mode_of(flags, ap);
  va_end(ap);
  return REAL(open64)(path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...) {
  int mode;
  va_list ap;
  if (is_device(path)) return fake_open(flags); /* absolute: dirfd does not matter */
  va_start(ap, flags);
  mode = mode_of(flags, ap);
  va_end(ap);
  return REAL(openat)(dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...) {
  int mode;
  va_list ap;
  if (is_device(path)) return fake_open(flags);
  va_start(ap, flags);
  mode = mode_of(flags, ap);
  va_end(ap);
  return REAL(openat64)(dirfd, path, flags, mode);
}

EXPORT int __open_2(const char *path, int flags) {
  return is_device(path) ? fake_open(flags) : REAL(__open_2)(path, flags);
}

EXPORT int __open64_2(const char *path, int flags) {
  return is_device(path) ? fake_open(flags) : REAL(__open64_2)(path, flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags) {
  return is_device(path) ? fake_open(flags) : REAL(__openat_2)(dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags) {
  return is_device(path) ? fake_open(flags) : REAL(__openat64_2)(dirfd, path, flags);
}

EXPORT int close(int fd) {
  release(fd);
  return REAL(close)(fd);
}

/* libuv closes files with syscall(SYS_close, fd), past close() */
EXPORT long syscall(long number, ...) {
  va_list ap;
  long a[6];
  int i;
  va_start(ap, number);
  for (i = 0; i < 6; i++) a[i] = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_close) release((int)a[0]);
  return REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

EXPORT int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  unsigned long arg;
  struct ctx *ctx;
  long rc;
  va_start(ap, req);
  arg = va_arg(ap, unsigned long);
  va_end(ap);
  if (!ctx_of(fd)) return REAL(ioctl)(fd, req, arg);
  pthread_mutex_lock(&g_lock);
  ctx = ctx_of(fd); /* closed meanwhile: the fd is /dev/null's, or another file's */
  if (!ctx) {
    pthread_mutex_unlock(&g_lock);
    return REAL(ioctl)(fd, req, arg);
  }
  rc = dispatch(ctx, (unsigned int)req, arg);
  pthread_mutex_unlock(&g_lock);
  if (rc < 0) {
    errno = (int)-rc;
    return -1;
  }
  return (int)rc;
}
