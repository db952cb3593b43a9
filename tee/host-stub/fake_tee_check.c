/*
 * A raw client of the Linux TEE ioctls (the kernel's uapi header <linux/tee.h>), for
 * test/tee/fake-tee-kernel.test.ts: it runs one scenario against /dev/tee0 — normally the fake of
 * fake_tee.c under LD_PRELOAD — and prints what it observes, one "name=value" line per check
 * (errno names, TEEC results and origins, sizes, R-APDUs in hex). The expectations live in the
 * test, not here. Built by the test with the system C compiler; not part of libfaketee.so.
 *
 *   fake_tee_check version | shm | malformed | login | sessions | threads
 *   fake_tee_check invokes N        open a session, N × INFO, close, reopen, INFO
 *   fake_tee_check apdu HEX…        open a session and TRANSMIT each C-APDU
 *   fake_tee_check passthrough FILE other paths and fds: FILE, /dev/teepriv0
 *   fake_tee_check i2c              /dev/i2c-1 (I2C_FUNCS) and a TEE session in one process
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/i2c-dev.h>
#include <linux/tee.h>

static const uint8_t TID_UUID[16] = {0xee, 0x45, 0x9c, 0xd1, 0xd8, 0x1d, 0x46, 0x4e,
                                     0x89, 0x2d, 0x27, 0x67, 0xe9, 0x81, 0x50, 0xdc};
static const uint8_t OTHER_UUID[16] = {0x8a, 0xaa, 0xf2, 0x00, 0x24, 0x50, 0x11, 0xe4,
                                       0xab, 0xe2, 0x00, 0x02, 0xa5, 0xd5, 0xc5, 0x1b};
#define SELECT_APDU "00a4040009f05449444150507631"

static const char *ename(int e) {
  switch (e) {
    case 0: return "ok";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EPERM: return "EPERM";
    case ENOMEM: return "ENOMEM";
    case ENOENT: return "ENOENT";
    case ENOTTY: return "ENOTTY";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    default: return "E?";
  }
}

static void die(const char *what) {
  printf("fatal=%s:%s\n", what, ename(errno));
  exit(1);
}

static int dev_open(void) {
  int fd = open("/dev/tee0", O_RDWR | O_CLOEXEC);
  if (fd < 0) die("open");
  return fd;
}

/* ---- OPEN_SESSION / INVOKE with up to 32 parameters ------------------------------------------- */

union open_buf {
  struct tee_ioctl_open_session_arg a;
  uint8_t raw[TEE_MAX_ARG_SIZE + 64];
};
union invoke_buf {
  struct tee_ioctl_invoke_arg a;
  uint8_t raw[TEE_MAX_ARG_SIZE + 64];
};

/* returns the ioctl's errno (0 on success) */
static int open_session(int fd, const uint8_t uuid[16], uint32_t login, uint32_t gid, uint32_t *session, uint32_t *ret,
                        uint32_t *origin) {
  union open_buf b;
  struct tee_ioctl_buf_data d;
  memset(&b, 0, sizeof b);
  memcpy(b.a.uuid, uuid, 16);
  memcpy(b.a.clnt_uuid, &gid, sizeof gid);
  b.a.clnt_login = login;
  d.buf_ptr = (uintptr_t)&b;
  d.buf_len = sizeof b.a;
  if (ioctl(fd, TEE_IOC_OPEN_SESSION, &d) != 0) return errno;
  *session = b.a.session;
  *ret = b.a.ret;
  *origin = b.a.ret_origin;
  return 0;
}

static uint32_t must_open(int fd) {
  uint32_t s = 0, ret = 0, origin = 0;
  int e = open_session(fd, TID_UUID, TEE_IOCTL_LOGIN_PUBLIC, 0, &s, &ret, &origin);
  if (e || ret) {
    printf("fatal=open-session:%s:0x%08x:%u\n", ename(e), ret, origin);
    exit(1);
  }
  return s;
}

static int close_session(int fd, uint32_t s) {
  struct tee_ioctl_close_session_arg c = {s};
  return ioctl(fd, TEE_IOC_CLOSE_SESSION, &c) ? errno : 0;
}

/* INVOKE with n params in p; ret/origin out; the params are updated in place */
static int invoke(int fd, uint32_t session, uint32_t func, struct tee_ioctl_param *p, uint32_t n, uint32_t *ret,
                  uint32_t *origin) {
  union invoke_buf b;
  struct tee_ioctl_buf_data d;
  memset(&b, 0, sizeof b);
  b.a.func = func;
  b.a.session = session;
  b.a.num_params = n;
  memcpy(b.a.params, p, n * sizeof *p);
  d.buf_ptr = (uintptr_t)&b;
  d.buf_len = sizeof b.a + n * sizeof *p;
  if (ioctl(fd, TEE_IOC_INVOKE, &d) != 0) return errno;
  memcpy(p, b.a.params, n * sizeof *p);
  *ret = b.a.ret;
  *origin = b.a.ret_origin;
  return 0;
}

static void info(int fd, uint32_t s, const char *name) {
  struct tee_ioctl_param p[2];
  uint32_t ret = 0, origin = 0;
  int e;
  memset(p, 0, sizeof p);
  p[0].attr = p[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT;
  p[0].a = p[0].b = p[0].c = 0x5555; /* must come back overwritten */
  e = invoke(fd, s, 1, p, 2, &ret, &origin);
  if (e) printf("%s=%s\n", name, ename(e));
  else
    printf("%s=0x%08x/%u/%llx/%llx/%llx/%llx/%llx\n", name, ret, origin, (unsigned long long)p[0].a, (unsigned long long)p[0].b,
           (unsigned long long)p[0].c, (unsigned long long)p[1].a, (unsigned long long)p[1].b);
}

/* ---- shared memory ---------------------------------------------------------------------------- */

struct shm {
  int id;
  uint64_t size;
  uint8_t *map;
};

static int shm_alloc(int fd, uint64_t size, uint32_t flags, struct shm *m, int keep_fd) {
  struct tee_ioctl_shm_alloc_data a = {size, flags, 0};
  int sfd = ioctl(fd, TEE_IOC_SHM_ALLOC, &a);
  if (sfd < 0) return errno;
  m->id = a.id;
  m->size = a.size;
  m->map = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
  if (m->map == MAP_FAILED) die("mmap");
  if (!keep_fd) close(sfd); /* the mapping keeps the memory, as with the kernel's shm fd */
  return 0;
}

static size_t unhex(const char *s, uint8_t *out) {
  size_t n = strlen(s) / 2, i;
  for (i = 0; i < n; i++) {
    unsigned v;
    sscanf(s + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
  return n;
}

static void hex(const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) printf("%02x", p[i]);
}

/* TRANSMIT through the shm: C-APDU at offset 0, R-APDU room `cap` at offset 1024 */
static void transmit(int fd, uint32_t s, struct shm *m, const char *capdu, uint64_t cap, const char *name) {
  struct tee_ioctl_param p[2];
  uint32_t ret = 0, origin = 0;
  size_t n = unhex(capdu, m->map);
  int e;
  memset(p, 0, sizeof p);
  p[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT;
  p[0].a = 0;
  p[0].b = n;
  p[0].c = (uint64_t)m->id;
  p[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT;
  p[1].a = 1024;
  p[1].b = cap;
  p[1].c = (uint64_t)m->id;
  e = invoke(fd, s, 0, p, 2, &ret, &origin);
  printf("%s=", name);
  if (e) printf("%s\n", ename(e));
  else {
    printf("0x%08x/%u/%llu/", ret, origin, (unsigned long long)p[1].b);
    if (ret == 0) hex(m->map + 1024, (size_t)p[1].b);
    printf("\n");
  }
}

/* ---- scenarios -------------------------------------------------------------------------------- */

static int scenario_version(void) {
  int fd = dev_open();
  struct tee_ioctl_version_data v;
  struct tee_ioctl_shm_register_data r;
  struct stat st;
  static uint8_t page[8192];
  memset(&v, 0xff, sizeof v);
  printf("version=%s\n", ename(ioctl(fd, TEE_IOC_VERSION, &v) ? errno : 0));
  printf("impl=%u/%u/%u\n", v.impl_id, v.impl_caps, v.gen_caps);
  printf("version-null=%s\n", ename(ioctl(fd, TEE_IOC_VERSION, NULL) ? errno : 0));
  printf("fstat=%s\n", ename(fstat(fd, &st) ? errno : 0));
  memset(&r, 0, sizeof r);
  r.addr = (uintptr_t)page;
  r.length = sizeof page;
  printf("register=%s\n", ename(ioctl(fd, TEE_IOC_SHM_REGISTER, &r) ? errno : 0));
  r.flags = 1;
  printf("register-flags=%s\n", ename(ioctl(fd, TEE_IOC_SHM_REGISTER, &r) ? errno : 0));
  printf("unknown-ioctl=%s\n", ename(ioctl(fd, _IOR(TEE_IOC_MAGIC, 0x40, struct tee_ioctl_buf_data), &r) ? errno : 0));
  printf("suppl-recv=%s\n", ename(ioctl(fd, TEE_IOC_SUPPL_RECV, &r) ? errno : 0));
  printf("close=%s\n", ename(close(fd) ? errno : 0));
  return 0;
}

static int scenario_shm(void) {
  int fd = dev_open(), sfd;
  struct shm m;
  struct tee_ioctl_shm_alloc_data a = {100, 0, 0};
  uint32_t s;
  printf("alloc-flags=%s\n", ename(shm_alloc(fd, 100, 1, &m, 0)));
  printf("alloc-zero=%s\n", ename(shm_alloc(fd, 0, 0, &m, 0)));
  printf("alloc-huge=%s\n", ename(shm_alloc(fd, 1ull << 40, 0, &m, 0)));
  printf("alloc-null=%s\n", ename(ioctl(fd, TEE_IOC_SHM_ALLOC, NULL) < 0 ? errno : 0));
  sfd = ioctl(fd, TEE_IOC_SHM_ALLOC, &a);
  if (sfd < 0) die("shm");
  printf("alloc=%u/%llu/%d\n", a.id, (unsigned long long)a.size, (fcntl(sfd, F_GETFD) & FD_CLOEXEC) != 0);
  m.id = (int)a.id;
  m.size = a.size;
  m.map = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
  if (m.map == MAP_FAILED) die("mmap");
  close(sfd); /* the shm stays usable while mapped */
  s = must_open(fd);
  transmit(fd, s, &m, SELECT_APDU, 4096 - 1024, "select");
  transmit(fd, s, &m, SELECT_APDU, 100, "short");
  info(fd, s, "info");
  printf("close-session=%s\n", ename(close_session(fd, s)));
  printf("close=%s\n", ename(close(fd) ? errno : 0));
  return 0;
}

/* an INVOKE whose tee_ioctl_buf_data is given raw */
static int raw_invoke(int fd, void *buf, uint64_t len) {
  struct tee_ioctl_buf_data d = {(uintptr_t)buf, len};
  return ioctl(fd, TEE_IOC_INVOKE, &d) ? errno : 0;
}

static void one_param(int fd, uint32_t s, const char *name, uint64_t attr, uint64_t a, uint64_t b, uint64_t c) {
  struct tee_ioctl_param p = {attr, a, b, c};
  uint32_t ret = 0, origin = 0;
  int e = invoke(fd, s, 0, &p, 1, &ret, &origin);
  if (e) printf("%s=%s\n", name, ename(e));
  else printf("%s=0x%08x/%u\n", name, ret, origin);
}

static int scenario_malformed(void) {
  int fd = dev_open(), fd2 = dev_open();
  struct shm m, foreign;
  union invoke_buf b;
  uint32_t s, s2, ret = 0, origin = 0;
  uint8_t *ro;
  struct tee_ioctl_cancel_arg cancel;
  if (shm_alloc(fd, 4096, 0, &m, 0) || shm_alloc(fd2, 4096, 0, &foreign, 0)) die("shm");
  s = must_open(fd);
  memset(&b, 0, sizeof b);
  b.a.session = s;
  b.a.func = 1;
  printf("arg-null=%s\n", ename(ioctl(fd, TEE_IOC_INVOKE, NULL) ? errno : 0));
  printf("buf-null=%s\n", ename(raw_invoke(fd, NULL, sizeof b.a)));
  ro = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("buf-unmapped=%s\n", ename(raw_invoke(fd, ro, sizeof b.a)));
  printf("buflen-short=%s\n", ename(raw_invoke(fd, &b, sizeof b.a - 1)));
  b.a.num_params = 2;
  printf("buflen-mismatch=%s\n", ename(raw_invoke(fd, &b, sizeof b.a + sizeof(struct tee_ioctl_param))));
  b.a.num_params = 31;
  printf("params31=%s\n", ename(raw_invoke(fd, &b, sizeof b.a + 31 * sizeof(struct tee_ioctl_param))));
  printf("params31-ret=0x%08x/%u\n", b.a.ret, b.a.ret_origin);
  b.a.num_params = 32;
  printf("buflen-over=%s\n", ename(raw_invoke(fd, &b, sizeof b.a + 32 * sizeof(struct tee_ioctl_param))));
  b.a.num_params = 0;
  /* a readable but read-only buffer: the call runs, the write-back of ret fails */
  munmap(ro, 4096);
  ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(ro, &b, sizeof b.a);
  mprotect(ro, 4096, PROT_READ);
  printf("buf-readonly=%s\n", ename(raw_invoke(fd, ro, sizeof b.a)));
  one_param(fd, s, "attr-unused-bits", 0x201, 0, 0, 0);
  one_param(fd, s, "attr-type-4", 4, 0, 0, 0);
  one_param(fd, s, "attr-type-8", 8, 0, 0, 0);
  one_param(fd, s, "attr-meta", TEE_IOCTL_PARAM_ATTR_META | TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, 0, 0, 0);
  one_param(fd, s, "shm-unknown", TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 0, 4, 9999);
  one_param(fd, s, "shm-foreign", TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 0, 4, (uint64_t)foreign.id);
  one_param(fd, s, "shm-beyond", TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 4000, 200, (uint64_t)m.id);
  one_param(fd, s, "shm-overflow", TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, ~0ull, 2, (uint64_t)m.id);
  one_param(fd, s, "shm-whole", TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 0, m.size, (uint64_t)m.id);
  one_param(fd, s, "memref-null", TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 0, 0, TEE_MEMREF_NULL);
  printf("session-unknown=%s\n", ename(invoke(fd, 999, 1, NULL, 0, &ret, &origin)));
  cancel.cancel_id = 1;
  cancel.session = s;
  printf("cancel=%s\n", ename(ioctl(fd, TEE_IOC_CANCEL, &cancel) ? errno : 0));
  cancel.session = 999;
  printf("cancel-unknown=%s\n", ename(ioctl(fd, TEE_IOC_CANCEL, &cancel) ? errno : 0));
  /* a session of another context: this one must not reach it */
  printf("close-session=%s\n", ename(close_session(fd, s)));
  printf("close-session-again=%s\n", ename(close_session(fd, s)));
  printf("invoke-closed=%s\n", ename(invoke(fd, s, 1, NULL, 0, &ret, &origin)));
  s2 = must_open(fd2);
  printf("invoke-foreign-session=%s\n", ename(invoke(fd, s2, 1, NULL, 0, &ret, &origin)));
  printf("close-foreign-session=%s\n", ename(close_session(fd, s2)));
  info(fd2, s2, "foreign-owner-info");
  printf("close-null=%s\n", ename(ioctl(fd, TEE_IOC_CLOSE_SESSION, NULL) ? errno : 0));
  close(fd2); /* closes s2 in the TEE: the TA is free again */
  s = must_open(fd);
  printf("reopen=ok\n");
  close(fd);
  return 0;
}

static void login(int fd, const char *name, uint32_t method, uint32_t gid) {
  uint32_t s = 0, ret = 0, origin = 0;
  int e = open_session(fd, TID_UUID, method, gid, &s, &ret, &origin);
  if (e) {
    printf("%s=%s\n", name, ename(e));
    return;
  }
  printf("%s=0x%08x/%u\n", name, ret, origin);
  if (ret == 0) close_session(fd, s);
}

static int scenario_login(void) {
  int fd = dev_open();
  gid_t groups[256], other = 54321;
  int n = getgroups(256, groups), i, taken = 1;
  while (taken) { /* a gid the process is not in */
    taken = other == getegid();
    for (i = 0; i < n; i++) taken |= groups[i] == other;
    if (taken) other++;
  }
  login(fd, "public", TEE_IOCTL_LOGIN_PUBLIC, 0);
  login(fd, "user", TEE_IOCTL_LOGIN_USER, 0);
  login(fd, "group-own", TEE_IOCTL_LOGIN_GROUP, getegid());
  login(fd, "group-other", TEE_IOCTL_LOGIN_GROUP, other);
  login(fd, "group-invalid", TEE_IOCTL_LOGIN_GROUP, 0xffffffffu);
  login(fd, "application", TEE_IOCTL_LOGIN_APPLICATION, 0);
  login(fd, "user-application", TEE_IOCTL_LOGIN_USER_APPLICATION, 0);
  login(fd, "group-application", TEE_IOCTL_LOGIN_GROUP_APPLICATION, getegid());
  login(fd, "method-3", 3, 0);
  login(fd, "ree-kernel", TEE_IOCTL_LOGIN_REE_KERNEL, 0);
  login(fd, "ree-kernel-max", TEE_IOCTL_LOGIN_REE_KERNEL_MAX, 0);
  login(fd, "above-ree-kernel", 0xC0000000u, 0);
  close(fd);
  return 0;
}

static int scenario_sessions(void) {
  int fd = dev_open();
  uint32_t s, s2 = 0, ret = 0, origin = 0;
  union open_buf b;
  struct tee_ioctl_buf_data d;
  int e;
  e = open_session(fd, OTHER_UUID, TEE_IOCTL_LOGIN_PUBLIC, 0, &s2, &ret, &origin);
  printf("unknown-uuid=%s/0x%08x/%u\n", ename(e), ret, origin);
  /* open-session parameters: the TID TA takes none */
  memset(&b, 0, sizeof b);
  memcpy(b.a.uuid, TID_UUID, 16);
  b.a.num_params = 1;
  b.a.params[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT;
  d.buf_ptr = (uintptr_t)&b;
  d.buf_len = sizeof b.a + sizeof b.a.params[0];
  e = ioctl(fd, TEE_IOC_OPEN_SESSION, &d) ? errno : 0;
  printf("open-with-param=%s/0x%08x/%u\n", ename(e), b.a.ret, b.a.ret_origin);
  d.buf_len = sizeof b.a - 1;
  printf("open-buflen-short=%s\n", ename(ioctl(fd, TEE_IOC_OPEN_SESSION, &d) ? errno : 0));
  b.a.params[0].attr = TEE_IOCTL_PARAM_ATTR_META | TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT;
  d.buf_len = sizeof b.a + sizeof b.a.params[0];
  printf("open-meta=%s\n", ename(ioctl(fd, TEE_IOC_OPEN_SESSION, &d) ? errno : 0));
  s = must_open(fd);
  printf("first=ok\n");
  e = open_session(fd, TID_UUID, TEE_IOCTL_LOGIN_PUBLIC, 0, &s2, &ret, &origin);
  printf("second=%s/0x%08x/%u\n", ename(e), ret, origin);
  printf("close-first=%s\n", ename(close_session(fd, s)));
  e = open_session(fd, TID_UUID, TEE_IOCTL_LOGIN_PUBLIC, 0, &s2, &ret, &origin);
  printf("after-close=%s/0x%08x/%u\n", ename(e), ret, origin);
  close(fd);
  return 0;
}

/* N × INFO, close, reopen, INFO: for the fault injection and the supplicant switch */
static int scenario_invokes(int n) {
  int fd = dev_open(), i;
  uint32_t s = 0, ret = 0, origin = 0;
  int e = open_session(fd, TID_UUID, TEE_IOCTL_LOGIN_PUBLIC, 0, &s, &ret, &origin);
  printf("open=%s/0x%08x/%u\n", ename(e), ret, origin);
  if (e || ret) return 0;
  for (i = 1; i <= n; i++) {
    char name[32];
    snprintf(name, sizeof name, "invoke%d", i);
    info(fd, s, name);
  }
  printf("close-session=%s\n", ename(close_session(fd, s)));
  e = open_session(fd, TID_UUID, TEE_IOCTL_LOGIN_PUBLIC, 0, &s, &ret, &origin);
  printf("reopen=%s/0x%08x/%u\n", ename(e), ret, origin);
  if (!e && !ret) info(fd, s, "after");
  close(fd);
  return 0;
}

static int scenario_apdu(int argc, char **argv) {
  int fd = dev_open(), i;
  struct shm m;
  uint32_t s;
  if (shm_alloc(fd, 4096, 0, &m, 0)) die("shm");
  s = must_open(fd);
  for (i = 0; i < argc; i++) {
    char name[32];
    snprintf(name, sizeof name, "apdu%d", i + 1);
    transmit(fd, s, &m, argv[i], 4096 - 1024, name);
  }
  close(fd);
  return 0;
}

static int scenario_passthrough(const char *file) {
  char buf[8];
  int fd = open(file, O_CREAT | O_RDWR | O_TRUNC, 0600), n = -1, tee;
  printf("file-open=%s\n", ename(fd < 0 ? errno : 0));
  printf("file-write=%zd\n", write(fd, "abc", 3));
  lseek(fd, 0, SEEK_SET);
  printf("file-read=%zd\n", read(fd, buf, sizeof buf));
  printf("file-fionread=%s\n", ename(ioctl(fd, FIONREAD, &n) ? errno : 0));
  printf("file-tee-ioctl=%s\n", ename(ioctl(fd, TEE_IOC_VERSION, buf) ? errno : 0));
  printf("file-close=%s\n", ename(close(fd) ? errno : 0));
  fd = open("/dev/teepriv0", O_RDWR);
  printf("teepriv0=%s\n", ename(fd < 0 ? errno : 0));
  if (fd >= 0) close(fd);
  tee = openat(AT_FDCWD, "/dev/tee0", O_RDWR);
  printf("tee0-openat=%s\n", ename(tee < 0 ? errno : 0));
  if (tee >= 0) {
    struct tee_ioctl_version_data v;
    printf("tee0-version=%s\n", ename(ioctl(tee, TEE_IOC_VERSION, &v) ? errno : 0));
    close(tee);
    /* the number is free again: a plain file that gets it is a plain file */
    fd = open(file, O_RDWR);
    printf("reused-fd-version=%s\n", ename(ioctl(fd, TEE_IOC_VERSION, &v) ? errno : 0));
    close(fd);
  }
  return 0;
}

static int scenario_i2c(void) {
  int bus = open("/dev/i2c-1", O_RDWR), fd;
  unsigned long funcs = 0;
  uint32_t s;
  printf("i2c-open=%s\n", ename(bus < 0 ? errno : 0));
  printf("i2c-funcs=%s\n", ename(bus >= 0 && ioctl(bus, I2C_FUNCS, &funcs) ? errno : 0));
  printf("i2c-funcs-nonzero=%d\n", funcs != 0);
  fd = dev_open();
  s = must_open(fd);
  info(fd, s, "info");
  close(fd);
  if (bus >= 0) close(bus);
  return 0;
}

static int g_thread_fd;
static uint32_t g_thread_session;

static void *thread_main(void *arg) {
  int i, *ok = arg;
  for (i = 0; i < 50; i++) {
    struct tee_ioctl_param p[2];
    uint32_t ret = 1, origin = 0;
    memset(p, 0, sizeof p);
    p[0].attr = p[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT;
    if (invoke(g_thread_fd, g_thread_session, 1, p, 2, &ret, &origin) == 0 && ret == 0 && p[0].a == 0x100) (*ok)++;
  }
  return NULL;
}

static int scenario_threads(void) {
  pthread_t t[4];
  int ok[4] = {0, 0, 0, 0}, i, total = 0;
  g_thread_fd = dev_open();
  g_thread_session = must_open(g_thread_fd);
  for (i = 0; i < 4; i++) pthread_create(&t[i], NULL, thread_main, &ok[i]);
  for (i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    total += ok[i];
  }
  printf("threads-ok=%d\n", total);
  close(g_thread_fd);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) return 2;
  if (!strcmp(argv[1], "version")) return scenario_version();
  if (!strcmp(argv[1], "shm")) return scenario_shm();
  if (!strcmp(argv[1], "malformed")) return scenario_malformed();
  if (!strcmp(argv[1], "login")) return scenario_login();
  if (!strcmp(argv[1], "sessions")) return scenario_sessions();
  if (!strcmp(argv[1], "threads")) return scenario_threads();
  if (!strcmp(argv[1], "invokes") && argc == 3) return scenario_invokes(atoi(argv[2]));
  if (!strcmp(argv[1], "apdu")) return scenario_apdu(argc - 2, argv + 2);
  if (!strcmp(argv[1], "passthrough") && argc == 3) return scenario_passthrough(argv[2]);
  if (!strcmp(argv[1], "i2c")) return scenario_i2c();
  fprintf(stderr, "fake_tee_check: unknown scenario\n");
  return 2;
}
