/*
 * fakedev shim: the Linux i2c-dev and spidev character-device ABI in user space, for LD_PRELOAD
 * (docs/hal.md "The simulated kernel path"). With TID_FAKEDEV_SOCKET set, open() of /dev/i2c-N or
 * /dev/spidevB.C connects to the fakedev server (hal/sim/fakedev/server.ts) on that Unix socket
 * instead of the kernel, and every read, write, ioctl and close on the returned fd becomes one
 * request to it; the server answers with what the kernel driver would return (a count, or an
 * errno). Every other path and fd goes to the real libc (dlsym RTLD_NEXT), so the shim can sit
 * under a whole process tree (npm, sh, node) and only the bus devices change.
 *
 * What is implemented, as the kernel's drivers/i2c/i2c-dev.c and drivers/spi/spidev.c do it:
 *   i2c-dev  ioctl I2C_SLAVE, I2C_SLAVE_FORCE, I2C_TENBIT, I2C_FUNCS, I2C_RDWR (struct
 *            i2c_rdwr_ioctl_data of struct i2c_msg, I2C_M_RD; at most 42 messages of at most
 *            8192 bytes), I2C_SMBUS (emulated with I2C messages, as the kernel does for an adapter
 *            with I2C_FUNC_SMBUS_EMUL: quick, byte, byte data, word data, process call, block
 *            write, I2C block read/write), I2C_RETRIES / I2C_TIMEOUT / I2C_PEC (accepted);
 *            read(2) / write(2) (also pread, pwrite, readv, writev: the offset is ignored, as on
 *            i2c-dev) are one plain transaction with the I2C_SLAVE address, clamped to 8192 bytes.
 *   spidev   ioctl SPI_IOC_MESSAGE(n) (struct spi_ioc_transfer: tx_buf, rx_buf, len, speed_hz,
 *            delay_usecs, bits_per_word, cs_change, tx_nbits, rx_nbits, word_delay_usecs; a null
 *            tx_buf shifts out zeros), SPI_IOC_RD/WR_MODE, _MODE32, _LSB_FIRST, _BITS_PER_WORD,
 *            _MAX_SPEED_HZ; read(2) / write(2) as one half-duplex transfer; pread / pwrite fail
 *            with ESPIPE (spidev is a stream).
 *   Unknown ioctls fail with ENOTTY, as in both drivers. The shim checks what the kernel checks
 *   in user memory (null pointers → EFAULT, counts → EINVAL); the server checks the rest and models
 *   the bus, the controller and the device.
 * close(2) is also seen when it comes as syscall(SYS_close, fd), as libuv issues it.
 * Not tracked: dup/dup2/fcntl(F_DUPFD) copies of a device fd, fstat (the fd is the socket), mmap,
 * poll, and I2C_M_RECV_LEN (EOPNOTSUPP: the modelled adapter, like the Pi's, lacks it).
 *
 * Wire protocol (one stream connection per open device fd; little-endian, which every target
 * this runs on is):
 *   request   u32 body length, then the body: u8 op, then the op's fields
 *   response  u32 body length, then the body: i32 status (>= 0: the syscall's result; < 0:
 *             -errno), then the op's payload
 *   op 1 OPEN       u8 kind (1 i2c, 2 spi), u8 access mode (O_ACCMODE), u16 bus, u16 chip select
 *                   → status 0; payload (i2c) u32 the adapter's I2C_FUNCS mask
 *   op 2 I2C_ADDR   u16 address, u8 force (I2C_SLAVE_FORCE), u8 ten-bit → status 0
 *   op 3 I2C_XFER   u8 source (1 I2C_RDWR, 2 I2C_SMBUS), u16 message count, then per message:
 *                   u16 address (0xFFFF: the I2C_SLAVE address), u16 flags, u16 length, the
 *                   data when not I2C_M_RD
 *                   → status: messages done; payload: the bytes of the read messages, in order
 *   op 4 I2C_READ   u32 length → status: bytes read; payload: those bytes
 *   op 5 I2C_WRITE  u32 length, the data → status: bytes written
 *   op 6 SPI_XFER   u8 source (0 SPI_IOC_MESSAGE, 1 read, 2 write), u16 transfer count, then per
 *                   transfer: u32 len, u32 speed_hz, u16 delay_usecs, u8 bits_per_word,
 *                   u8 cs_change, u8 tx_nbits, u8 rx_nbits, u8 word_delay_usecs, u8 flags
 *                   (1 tx_buf given, 2 rx_buf given), the tx data when given
 *                   → status: bytes transferred; payload: MISO of every transfer, concatenated
 *   op 7 SPI_GET    u8 what (1 MODE, 2 MODE32, 3 LSB_FIRST, 4 BITS_PER_WORD, 5 MAX_SPEED_HZ)
 *                   → status 0; payload u32 the value
 *   op 8 SPI_SET    u8 what, u32 value → status 0
 *
 * Build: cc -shared -fPIC -O2 -Wall -Wextra -Werror -o libfakedev.so shim.c -ldl
 * (hal/sim/fakedev/build.ts does this at run time; no binary is committed).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/i2c.h>
#include <linux/i2c-dev.h>
#include <linux/spi/spidev.h>

#define FAKEDEV_ENV "TID_FAKEDEV_SOCKET"
#define MAX_FDS 65536
#define I2C_MAX_MSG_LEN 8192 /* i2c-dev: read/write clamp, I2C_RDWR limit */
#define ADDR_SLAVE 0xffff    /* in an I2C_XFER message: the address I2C_SLAVE set (SMBus) */

enum { OP_OPEN = 1, OP_I2C_ADDR, OP_I2C_XFER, OP_I2C_READ, OP_I2C_WRITE, OP_SPI_XFER, OP_SPI_GET, OP_SPI_SET };
enum { KIND_I2C = 1, KIND_SPI = 2 };
enum { SPI_MODE8 = 1, SPI_MODE32, SPI_LSB, SPI_BITS, SPI_SPEED };

/* One open device fd (the fd is the connected socket itself). Never freed: a thread racing a
 * close() must not touch freed memory, and a device is opened a handful of times per process. */
struct fake {
  int kind;
  int accmode;
  int tenbit;
  uint32_t funcs;
  pthread_mutex_t lock;
};

static struct fake *fakes[MAX_FDS];

/* The real libc functions. */
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real___open_2)(const char *, int);
static int (*real___open64_2)(const char *, int);
static int (*real___openat_2)(int, const char *, int);
static int (*real___openat64_2)(int, const char *, int);
static int (*real_close)(int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*real_readv)(int, const struct iovec *, int);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_preadv)(int, const struct iovec *, int, off_t);
static ssize_t (*real_preadv64)(int, const struct iovec *, int, off64_t);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev64)(int, const struct iovec *, int, off64_t);
static ssize_t (*real___read_chk)(int, void *, size_t, size_t);
static ssize_t (*real___pread64_chk)(int, void *, size_t, off64_t, size_t);
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
  RESOLVE(read);
  RESOLVE(write);
  RESOLVE(pread);
  RESOLVE(pread64);
  RESOLVE(pwrite);
  RESOLVE(pwrite64);
  RESOLVE(readv);
  RESOLVE(writev);
  RESOLVE(preadv);
  RESOLVE(preadv64);
  RESOLVE(pwritev);
  RESOLVE(pwritev64);
  RESOLVE(__read_chk);
  RESOLVE(__pread64_chk);
  RESOLVE(ioctl);
  RESOLVE(syscall);
}

static pthread_once_t resolved = PTHREAD_ONCE_INIT;
#define REAL(name) (pthread_once(&resolved, resolve_all), real_##name)

__attribute__((constructor)) static void fakedev_init(void) { pthread_once(&resolved, resolve_all); }

static struct fake *fake_of(int fd) {
  if (fd < 0 || fd >= MAX_FDS) return NULL;
  return __atomic_load_n(&fakes[fd], __ATOMIC_ACQUIRE);
}

/* ---- the device paths ---------------------------------------------------------------------- */

/* Parse "/dev/i2c-N" or "/dev/spidevB.C" (decimal, nothing after). Returns the kind or 0. */
static int parse_path(const char *path, unsigned *bus, unsigned *cs) {
  const char *p;
  char *end;
  unsigned long a, b;
  if (path == NULL) return 0;
  if (strncmp(path, "/dev/i2c-", 9) == 0) {
    p = path + 9;
    if (*p < '0' || *p > '9') return 0;
    a = strtoul(p, &end, 10);
    if (*end != '\0' || a > 0xffff) return 0;
    *bus = (unsigned)a;
    *cs = 0;
    return KIND_I2C;
  }
  if (strncmp(path, "/dev/spidev", 11) == 0) {
    p = path + 11;
    if (*p < '0' || *p > '9') return 0;
    a = strtoul(p, &end, 10);
    if (*end != '.' || a > 0xffff) return 0;
    p = end + 1;
    if (*p < '0' || *p > '9') return 0;
    b = strtoul(p, &end, 10);
    if (*end != '\0' || b > 0xffff) return 0;
    *bus = (unsigned)a;
    *cs = (unsigned)b;
    return KIND_SPI;
  }
  return 0;
}

/* ---- the wire ------------------------------------------------------------------------------ */

struct buf {
  uint8_t *p;
  size_t n, cap;
  int oom;
};

static void put(struct buf *b, const void *src, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + n) cap *= 2;
    uint8_t *q = realloc(b->p, cap);
    if (q == NULL) {
      b->oom = 1;
      return;
    }
    b->p = q;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, src, n);
  b->n += n;
}
static void put8(struct buf *b, unsigned v) {
  uint8_t x = (uint8_t)v;
  put(b, &x, 1);
}
static void put16(struct buf *b, unsigned v) {
  uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  put(b, x, 2);
}
static void put32(struct buf *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  put(b, x, 4);
}

static int send_all(int s, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t k = send(s, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static int recv_all(int s, uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t k = recv(s, p, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

/*
 * One request and its response on the device's connection. Returns the status (>= 0, or -errno;
 * -EIO when the server is gone) and copies at most `cap` payload bytes to `out` (*got: how many
 * the server sent).
 */
static long rpc(int fd, struct fake *f, struct buf *req, void *out, size_t cap, size_t *got) {
  uint8_t head[4], st[4];
  uint32_t len;
  int32_t status;
  long ret = -EIO;
  int saved = errno;
  if (got) *got = 0;
  if (req->oom) {
    free(req->p);
    return -ENOMEM;
  }
  head[0] = (uint8_t)req->n;
  head[1] = (uint8_t)(req->n >> 8);
  head[2] = (uint8_t)(req->n >> 16);
  head[3] = (uint8_t)(req->n >> 24);
  pthread_mutex_lock(&f->lock);
  if (send_all(fd, head, 4) || send_all(fd, req->p, req->n) || recv_all(fd, head, 4)) goto out;
  len = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 24;
  if (len < 4 || recv_all(fd, st, 4)) goto out;
  status = (int32_t)((uint32_t)st[0] | (uint32_t)st[1] << 8 | (uint32_t)st[2] << 16 | (uint32_t)st[3] << 24);
  len -= 4;
  {
    size_t keep = len < cap ? len : cap;
    if (keep && recv_all(fd, out, keep)) goto out;
    for (size_t left = len - keep; left > 0;) { /* drop what does not fit */
      uint8_t sink[256];
      size_t k = left < sizeof sink ? left : sizeof sink;
      if (recv_all(fd, sink, k)) goto out;
      left -= k;
    }
    if (got) *got = keep;
  }
  ret = status;
out:
  pthread_mutex_unlock(&f->lock);
  free(req->p);
  errno = saved;
  return ret;
}

/* Return a syscall result: >= 0 as is, -errno as -1 with errno set. */
static long sysret(long r) {
  if (r >= 0) return r;
  errno = (int)-r;
  return -1;
}

/* ---- open / close ---------------------------------------------------------------------------- */

/* Open a device path through the server. *handled = 0 when the path is not ours. */
static int fake_open(const char *path, int flags, int *handled) {
  const char *where = getenv(FAKEDEV_ENV);
  unsigned bus = 0, cs = 0;
  int kind, s;
  struct sockaddr_un sa;
  struct fake *f;
  struct buf req = {0};
  uint8_t funcs[4];
  size_t got = 0;
  long st;
  *handled = 0;
  if (where == NULL || *where == '\0') return -1;
  kind = parse_path(path, &bus, &cs);
  if (kind == 0) return -1;
  *handled = 1;
  if (strlen(where) >= sizeof sa.sun_path) {
    fprintf(stderr, "fakedev: %s is too long for a Unix socket path\n", FAKEDEV_ENV);
    errno = ENAMETOOLONG;
    return -1;
  }
  s = socket(AF_UNIX, SOCK_STREAM | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0), 0);
  if (s < 0) return -1;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  strcpy(sa.sun_path, where);
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int e = errno;
    fprintf(stderr, "fakedev: cannot reach the fakedev server at %s (%s) to open %s\n", where, strerror(e), path);
    REAL(close)(s);
    errno = EIO;
    return -1;
  }
  if (s >= MAX_FDS) {
    REAL(close)(s);
    errno = EMFILE;
    return -1;
  }
  f = calloc(1, sizeof *f);
  if (f == NULL) {
    REAL(close)(s);
    errno = ENOMEM;
    return -1;
  }
  f->kind = kind;
  f->accmode = flags & O_ACCMODE;
  pthread_mutex_init(&f->lock, NULL);
  __atomic_store_n(&fakes[s], f, __ATOMIC_RELEASE);
  put8(&req, OP_OPEN);
  put8(&req, kind);
  put8(&req, (unsigned)(flags & O_ACCMODE));
  put16(&req, bus);
  put16(&req, cs);
  st = rpc(s, f, &req, funcs, sizeof funcs, &got);
  if (st < 0) {
    __atomic_store_n(&fakes[s], NULL, __ATOMIC_RELEASE);
    REAL(close)(s);
    errno = (int)-st;
    return -1;
  }
  if (got == 4) f->funcs = (uint32_t)funcs[0] | (uint32_t)funcs[1] << 8 | (uint32_t)funcs[2] << 16 | (uint32_t)funcs[3] << 24;
  return s;
}

static int mode_of(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
  int handled, fd, mode;
  va_list ap;
  fd = fake_open(path, flags, &handled);
  if (handled) return fd;
  va_start(ap, flags);
  mode = mode_of(flags, ap);
  va_end(ap);
  return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
  int handled, fd, mode;
  va_list ap;
  fd = fake_open(path, flags, &handled);
  if (handled) return fd;
  va_start(ap, flags);
  mode = mode_of(flags, ap);
  va_end(ap);
  return REAL(open64)(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
  int handled, fd, mode;
  va_list ap;
  fd = fake_open(path, flags, &handled); /* our paths are absolute: dirfd does not matter */
  if (handled) return fd;
  va_start(ap, flags);
  mode = mode_of(flags, ap);
  va_end(ap);
  return REAL(openat)(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
  int handled, fd, mode;
  va_list ap;
  fd = fake_open(path, flags, &handled);
  if (handled) return fd;
  va_start(ap, flags);
  mode = mode_of(flags, ap);
  va_end(ap);
  return REAL(openat64)(dirfd, path, flags, mode);
}

int __open_2(const char *path, int flags) {
  int handled, fd = fake_open(path, flags, &handled);
  return handled ? fd : REAL(__open_2)(path, flags);
}

int __open64_2(const char *path, int flags) {
  int handled, fd = fake_open(path, flags, &handled);
  return handled ? fd : REAL(__open64_2)(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags) {
  int handled, fd = fake_open(path, flags, &handled);
  return handled ? fd : REAL(__openat_2)(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags) {
  int handled, fd = fake_open(path, flags, &handled);
  return handled ? fd : REAL(__openat64_2)(dirfd, path, flags);
}

static void forget(int fd) {
  if (fake_of(fd) != NULL) __atomic_store_n(&fakes[fd], NULL, __ATOMIC_RELEASE);
}

int close(int fd) {
  forget(fd);
  return REAL(close)(fd);
}

/* libuv closes files with syscall(SYS_close, fd), past close(): forget the fd there too, or a
 * regular file that gets its number next would be taken for the device. */
long syscall(long number, ...) {
  va_list ap;
  long a[6];
  va_start(ap, number);
  for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_close) forget((int)a[0]);
  return REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- read / write ---------------------------------------------------------------------------- */

/* One SPI_XFER of a single half-duplex transfer (spidev read/write). */
static long spi_rw(int fd, struct fake *f, void *rx, const void *tx, size_t n) {
  struct buf req = {0};
  put8(&req, OP_SPI_XFER);
  put8(&req, rx ? 1 : 2);
  put16(&req, 1);
  put32(&req, (uint32_t)n);
  put32(&req, 0);
  put16(&req, 0);
  put8(&req, 0);
  put8(&req, 0);
  put8(&req, 0);
  put8(&req, 0);
  put8(&req, 0);
  put8(&req, tx ? 1 : 2);
  if (tx) put(&req, tx, n);
  return rpc(fd, f, &req, rx, rx ? n : 0, NULL);
}

static long fake_read(int fd, struct fake *f, void *buf, size_t n) {
  struct buf req = {0};
  if (f->accmode == O_WRONLY) return -EBADF;
  if (n > 0 && buf == NULL) return -EFAULT;
  if (f->kind == KIND_SPI) {
    if (n > INT_MAX) return -EMSGSIZE;
    return spi_rw(fd, f, buf, NULL, n);
  }
  if (n > I2C_MAX_MSG_LEN) n = I2C_MAX_MSG_LEN;
  put8(&req, OP_I2C_READ);
  put32(&req, (uint32_t)n);
  return rpc(fd, f, &req, buf, n, NULL);
}

static long fake_write(int fd, struct fake *f, const void *buf, size_t n) {
  struct buf req = {0};
  if (f->accmode == O_RDONLY) return -EBADF;
  if (n > 0 && buf == NULL) return -EFAULT;
  if (f->kind == KIND_SPI) {
    if (n > INT_MAX) return -EMSGSIZE;
    return spi_rw(fd, f, NULL, buf, n);
  }
  if (n > I2C_MAX_MSG_LEN) n = I2C_MAX_MSG_LEN;
  put8(&req, OP_I2C_WRITE);
  put32(&req, (uint32_t)n);
  put(&req, buf, n);
  return rpc(fd, f, &req, NULL, 0, NULL);
}

/* readv/writev on a driver without read_iter/write_iter: one read/write per iovec, as the VFS does. */
static long fake_rwv(int fd, struct fake *f, const struct iovec *iov, int cnt, int writing) {
  long total = 0;
  if (cnt < 0 || cnt > IOV_MAX) return -EINVAL;
  if (cnt > 0 && iov == NULL) return -EFAULT;
  for (int i = 0; i < cnt; i++) {
    long r = writing ? fake_write(fd, f, iov[i].iov_base, iov[i].iov_len) : fake_read(fd, f, iov[i].iov_base, iov[i].iov_len);
    if (r < 0) return total > 0 ? total : r;
    total += r;
    if ((size_t)r < iov[i].iov_len) break;
  }
  return total;
}

ssize_t read(int fd, void *buf, size_t n) {
  struct fake *f = fake_of(fd);
  return f ? sysret(fake_read(fd, f, buf, n)) : REAL(read)(fd, buf, n);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen) {
  struct fake *f = fake_of(fd);
  if (f == NULL) return REAL(__read_chk)(fd, buf, n, buflen);
  if (n > buflen) abort();
  return sysret(fake_read(fd, f, buf, n));
}

ssize_t write(int fd, const void *buf, size_t n) {
  struct fake *f = fake_of(fd);
  return f ? sysret(fake_write(fd, f, buf, n)) : REAL(write)(fd, buf, n);
}

/* pread/pwrite: the offset means nothing to i2c-dev; spidev is a stream (ESPIPE). */
ssize_t pread(int fd, void *buf, size_t n, off_t off) {
  struct fake *f = fake_of(fd);
  if (f == NULL) return REAL(pread)(fd, buf, n, off);
  return sysret(f->kind == KIND_SPI ? -ESPIPE : fake_read(fd, f, buf, n));
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off) {
  struct fake *f = fake_of(fd);
  if (f == NULL) return REAL(pread64)(fd, buf, n, off);
  return sysret(f->kind == KIND_SPI ? -ESPIPE : fake_read(fd, f, buf, n));
}

ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen) {
  struct fake *f = fake_of(fd);
  if (f == NULL) return REAL(__pread64_chk)(fd, buf, n, off, buflen);
  if (n > buflen) abort();
  return sysret(f->kind == KIND_SPI ? -ESPIPE : fake_read(fd, f, buf, n));
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  struct fake *f = fake_of(fd);
  if (f == NULL) return REAL(pwrite)(fd, buf, n, off);
  return sysret(f->kind == KIND_SPI ? -ESPIPE : fake_write(fd, f, buf, n));
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
  struct fake *f = fake_of(fd);
  if (f == NULL) return REAL(pwrite64)(fd, buf, n, off);
  return sysret(f->kind == KIND_SPI ? -ESPIPE : fake_write(fd, f, buf, n));
}

ssize_t readv(int fd, const struct iovec *iov, int cnt) {
  struct fake *f = fake_of(fd);
  return f ? sysret(fake_rwv(fd, f, iov, cnt, 0)) : REAL(readv)(fd, iov, cnt);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  struct fake *f = fake_of(fd);
  return f ? sysret(fake_rwv(fd, f, iov, cnt, 1)) : REAL(writev)(fd, iov, cnt);
}

ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off) {
  struct fake *f = fake_of(fd);
  if (f == NULL) return REAL(preadv)(fd, iov, cnt, off);
  return sysret(f->kind == KIND_SPI ? -ESPIPE : fake_rwv(fd, f, iov, cnt, 0));
}

ssize_t preadv64(int fd, const struct iovec *iov, int cnt, off64_t off) {
  struct fake *f = fake_of(fd);
  if (f == NULL) return REAL(preadv64)(fd, iov, cnt, off);
  return sysret(f->kind == KIND_SPI ? -ESPIPE : fake_rwv(fd, f, iov, cnt, 0));
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
  struct fake *f = fake_of(fd);
  if (f == NULL) return REAL(pwritev)(fd, iov, cnt, off);
  return sysret(f->kind == KIND_SPI ? -ESPIPE : fake_rwv(fd, f, iov, cnt, 1));
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off) {
  struct fake *f = fake_of(fd);
  if (f == NULL) return REAL(pwritev64)(fd, iov, cnt, off);
  return sysret(f->kind == KIND_SPI ? -ESPIPE : fake_rwv(fd, f, iov, cnt, 1));
}

/* ---- i2c-dev ioctls ------------------------------------------------------------------------ */

/* Send messages as one I2C_XFER; on success copy the read messages' data back. */
static long i2c_xfer(int fd, struct fake *f, unsigned source, struct i2c_msg *msgs, unsigned n) {
  struct buf req = {0};
  size_t rd = 0, got = 0, at = 0;
  uint8_t *in;
  long st;
  put8(&req, OP_I2C_XFER);
  put8(&req, source);
  put16(&req, n);
  for (unsigned i = 0; i < n; i++) {
    put16(&req, msgs[i].addr);
    put16(&req, msgs[i].flags);
    put16(&req, msgs[i].len);
    if (msgs[i].flags & I2C_M_RD)
      rd += msgs[i].len;
    else
      put(&req, msgs[i].buf, msgs[i].len);
  }
  in = malloc(rd ? rd : 1);
  if (in == NULL) {
    free(req.p);
    return -ENOMEM;
  }
  st = rpc(fd, f, &req, in, rd, &got);
  if (st >= 0 && got == rd) {
    for (unsigned i = 0; i < n; i++) {
      if (!(msgs[i].flags & I2C_M_RD)) continue;
      memcpy(msgs[i].buf, in + at, msgs[i].len);
      at += msgs[i].len;
    }
  } else if (st >= 0) {
    st = -EIO; /* the server broke the protocol */
  }
  free(in);
  return st;
}

static long i2c_rdwr(int fd, struct fake *f, struct i2c_rdwr_ioctl_data *d) {
  if (d == NULL) return -EFAULT;
  if (d->nmsgs > I2C_RDWR_IOCTL_MAX_MSGS) return -EINVAL;
  if (d->msgs == NULL || d->nmsgs == 0) return -EINVAL;
  for (unsigned i = 0; i < d->nmsgs; i++) {
    if (d->msgs[i].len > I2C_MAX_MSG_LEN) return -EINVAL;
    if (d->msgs[i].len > 0 && d->msgs[i].buf == NULL) return -EFAULT;
    if (d->msgs[i].flags & I2C_M_RECV_LEN) return -EOPNOTSUPP;
  }
  return i2c_xfer(fd, f, 1, d->msgs, d->nmsgs);
}

/* I2C_SMBUS on an adapter without native SMBus: the kernel's i2c_smbus_xfer_emulated. */
static long i2c_smbus(int fd, struct fake *f, struct i2c_smbus_ioctl_data *a, unsigned addr) {
  uint8_t b0[I2C_SMBUS_BLOCK_MAX + 3], b1[I2C_SMBUS_BLOCK_MAX + 2];
  struct i2c_msg m[2];
  union i2c_smbus_data *data;
  unsigned size, rw, n = 2;
  uint16_t flags;
  long st;
  if (a == NULL) return -EFAULT;
  size = a->size;
  rw = a->read_write;
  data = a->data;
  if (size != I2C_SMBUS_QUICK && size != I2C_SMBUS_BYTE && size != I2C_SMBUS_BYTE_DATA && size != I2C_SMBUS_WORD_DATA &&
      size != I2C_SMBUS_PROC_CALL && size != I2C_SMBUS_BLOCK_DATA && size != I2C_SMBUS_I2C_BLOCK_BROKEN &&
      size != I2C_SMBUS_I2C_BLOCK_DATA && size != I2C_SMBUS_BLOCK_PROC_CALL)
    return -EINVAL;
  if (rw != I2C_SMBUS_READ && rw != I2C_SMBUS_WRITE) return -EINVAL;
  if (data == NULL && !(size == I2C_SMBUS_QUICK || (size == I2C_SMBUS_BYTE && rw == I2C_SMBUS_WRITE))) return -EINVAL;
  if (size == I2C_SMBUS_I2C_BLOCK_BROKEN) {
    size = I2C_SMBUS_I2C_BLOCK_DATA;
    if (rw == I2C_SMBUS_READ) data->block[0] = I2C_SMBUS_BLOCK_MAX;
  }
  flags = f->tenbit ? I2C_M_TEN : 0;
  b0[0] = a->command;
  m[0] = (struct i2c_msg){.addr = (uint16_t)addr, .flags = flags, .len = 1, .buf = b0};
  m[1] = (struct i2c_msg){.addr = (uint16_t)addr, .flags = flags | I2C_M_RD, .len = 0, .buf = b1};
  switch (size) {
    case I2C_SMBUS_QUICK:
      m[0].len = 0;
      m[0].flags = flags | (rw == I2C_SMBUS_READ ? I2C_M_RD : 0);
      n = 1;
      break;
    case I2C_SMBUS_BYTE:
      if (rw == I2C_SMBUS_READ) m[0].flags = I2C_M_RD | flags;
      n = 1;
      break;
    case I2C_SMBUS_BYTE_DATA:
      if (rw == I2C_SMBUS_READ)
        m[1].len = 1;
      else {
        m[0].len = 2;
        b0[1] = data->byte;
        n = 1;
      }
      break;
    case I2C_SMBUS_WORD_DATA:
      if (rw == I2C_SMBUS_READ)
        m[1].len = 2;
      else {
        m[0].len = 3;
        b0[1] = (uint8_t)(data->word & 0xff);
        b0[2] = (uint8_t)(data->word >> 8);
        n = 1;
      }
      break;
    case I2C_SMBUS_PROC_CALL:
      rw = I2C_SMBUS_READ;
      m[0].len = 3;
      b0[1] = (uint8_t)(data->word & 0xff);
      b0[2] = (uint8_t)(data->word >> 8);
      m[1].len = 2;
      break;
    case I2C_SMBUS_BLOCK_DATA:
      if (rw == I2C_SMBUS_READ) return -EOPNOTSUPP; /* needs I2C_M_RECV_LEN */
      if (data->block[0] > I2C_SMBUS_BLOCK_MAX) return -EINVAL;
      m[0].len = (uint16_t)(data->block[0] + 2);
      memcpy(b0 + 1, data->block, (size_t)data->block[0] + 1);
      n = 1;
      break;
    case I2C_SMBUS_BLOCK_PROC_CALL:
      return -EOPNOTSUPP; /* needs I2C_M_RECV_LEN */
    case I2C_SMBUS_I2C_BLOCK_DATA:
      if (data->block[0] > I2C_SMBUS_BLOCK_MAX) return -EINVAL;
      if (rw == I2C_SMBUS_READ)
        m[1].len = data->block[0];
      else {
        m[0].len = (uint16_t)(data->block[0] + 1);
        memcpy(b0 + 1, data->block + 1, data->block[0]);
        n = 1;
      }
      break;
  }
  st = i2c_xfer(fd, f, 2, m, n);
  if (st < 0) return st;
  if (rw == I2C_SMBUS_READ) {
    switch (size) {
      case I2C_SMBUS_BYTE:
        data->byte = b0[0];
        break;
      case I2C_SMBUS_BYTE_DATA:
        data->byte = b1[0];
        break;
      case I2C_SMBUS_WORD_DATA:
      case I2C_SMBUS_PROC_CALL:
        data->word = (uint16_t)(b1[0] | b1[1] << 8);
        break;
      case I2C_SMBUS_I2C_BLOCK_DATA:
        memcpy(data->block + 1, b1, data->block[0]);
        break;
    }
  }
  return 0;
}

static long i2c_ioctl(int fd, struct fake *f, unsigned long req, unsigned long arg) {
  struct buf b = {0};
  switch (req) {
    case I2C_SLAVE:
    case I2C_SLAVE_FORCE:
      put8(&b, OP_I2C_ADDR);
      put16(&b, (unsigned)(arg > 0xffff ? 0xffff : arg));
      put8(&b, req == I2C_SLAVE_FORCE);
      put8(&b, (unsigned)f->tenbit);
      return rpc(fd, f, &b, NULL, 0, NULL);
    case I2C_TENBIT:
      f->tenbit = arg != 0;
      return 0;
    case I2C_PEC:
      return 0; /* PEC is an SMBus checksum; the modelled adapter does not advertise it */
    case I2C_FUNCS:
      if (arg == 0) return -EFAULT;
      *(unsigned long *)arg = f->funcs;
      return 0;
    case I2C_RDWR:
      return i2c_rdwr(fd, f, (struct i2c_rdwr_ioctl_data *)arg);
    case I2C_SMBUS: /* to the I2C_SLAVE address, which the server keeps: ADDR_SLAVE stands for it */
      return i2c_smbus(fd, f, (struct i2c_smbus_ioctl_data *)arg, ADDR_SLAVE);
    case I2C_RETRIES:
      return 0;
    case I2C_TIMEOUT:
      return arg > INT_MAX ? -EINVAL : 0;
    default:
      return -ENOTTY;
  }
}

/* ---- spidev ioctls ------------------------------------------------------------------------- */

static long spi_get(int fd, struct fake *f, unsigned what, uint32_t *v) {
  struct buf b = {0};
  uint8_t out[4];
  size_t got = 0;
  long st;
  put8(&b, OP_SPI_GET);
  put8(&b, what);
  st = rpc(fd, f, &b, out, sizeof out, &got);
  if (st >= 0 && got != 4) st = -EIO;
  if (st >= 0) *v = (uint32_t)out[0] | (uint32_t)out[1] << 8 | (uint32_t)out[2] << 16 | (uint32_t)out[3] << 24;
  return st < 0 ? st : 0;
}

static long spi_set(int fd, struct fake *f, unsigned what, uint32_t v) {
  struct buf b = {0};
  put8(&b, OP_SPI_SET);
  put8(&b, what);
  put32(&b, v);
  return rpc(fd, f, &b, NULL, 0, NULL);
}

static long spi_message(int fd, struct fake *f, unsigned long req, struct spi_ioc_transfer *t) {
  unsigned size = _IOC_SIZE(req), n;
  uint64_t total = 0;
  struct buf b = {0};
  uint8_t *in;
  size_t got = 0, at = 0;
  long st;
  if (size % sizeof(struct spi_ioc_transfer) != 0) return -EINVAL;
  n = size / sizeof(struct spi_ioc_transfer);
  if (n == 0) return 0;
  if (t == NULL) return -EFAULT;
  for (unsigned i = 0; i < n; i++) {
    total += t[i].len;
    if (total > INT_MAX) return -EMSGSIZE;
  }
  put8(&b, OP_SPI_XFER);
  put8(&b, 0);
  put16(&b, n);
  for (unsigned i = 0; i < n; i++) {
    put32(&b, t[i].len);
    put32(&b, t[i].speed_hz);
    put16(&b, t[i].delay_usecs);
    put8(&b, t[i].bits_per_word);
    put8(&b, t[i].cs_change);
    put8(&b, t[i].tx_nbits);
    put8(&b, t[i].rx_nbits);
    put8(&b, t[i].word_delay_usecs);
    put8(&b, (t[i].tx_buf ? 1u : 0u) | (t[i].rx_buf ? 2u : 0u));
    if (t[i].tx_buf) put(&b, (const void *)(uintptr_t)t[i].tx_buf, t[i].len);
  }
  in = malloc(total ? (size_t)total : 1);
  if (in == NULL) {
    free(b.p);
    return -ENOMEM;
  }
  st = rpc(fd, f, &b, in, (size_t)total, &got);
  if (st >= 0 && got == total) {
    for (unsigned i = 0; i < n; i++) {
      if (t[i].rx_buf) memcpy((void *)(uintptr_t)t[i].rx_buf, in + at, t[i].len);
      at += t[i].len;
    }
  } else if (st >= 0) {
    st = -EIO;
  }
  free(in);
  return st;
}

static long spi_ioctl(int fd, struct fake *f, unsigned long req, unsigned long arg) {
  uint32_t v = 0;
  long st;
  switch (req) {
    case SPI_IOC_RD_MODE:
    case SPI_IOC_RD_LSB_FIRST:
    case SPI_IOC_RD_BITS_PER_WORD:
      if (arg == 0) return -EFAULT;
      st = spi_get(fd, f, req == SPI_IOC_RD_MODE ? SPI_MODE8 : req == SPI_IOC_RD_LSB_FIRST ? SPI_LSB : SPI_BITS, &v);
      if (st == 0) *(uint8_t *)arg = (uint8_t)v;
      return st;
    case SPI_IOC_RD_MODE32:
    case SPI_IOC_RD_MAX_SPEED_HZ:
      if (arg == 0) return -EFAULT;
      st = spi_get(fd, f, req == SPI_IOC_RD_MODE32 ? SPI_MODE32 : SPI_SPEED, &v);
      if (st == 0) *(uint32_t *)arg = v;
      return st;
    case SPI_IOC_WR_MODE:
    case SPI_IOC_WR_LSB_FIRST:
    case SPI_IOC_WR_BITS_PER_WORD:
      if (arg == 0) return -EFAULT;
      return spi_set(fd, f, req == SPI_IOC_WR_MODE ? SPI_MODE8 : req == SPI_IOC_WR_LSB_FIRST ? SPI_LSB : SPI_BITS, *(uint8_t *)arg);
    case SPI_IOC_WR_MODE32:
    case SPI_IOC_WR_MAX_SPEED_HZ:
      if (arg == 0) return -EFAULT;
      return spi_set(fd, f, req == SPI_IOC_WR_MODE32 ? SPI_MODE32 : SPI_SPEED, *(uint32_t *)arg);
    default:
      if (_IOC_TYPE(req) != SPI_IOC_MAGIC || _IOC_NR(req) != _IOC_NR(SPI_IOC_MESSAGE(0)) || _IOC_DIR(req) != _IOC_WRITE) return -ENOTTY;
      return spi_message(fd, f, req, (struct spi_ioc_transfer *)arg);
  }
}

int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  unsigned long arg;
  struct fake *f;
  va_start(ap, req);
  arg = va_arg(ap, unsigned long);
  va_end(ap);
  f = fake_of(fd);
  if (f == NULL) return REAL(ioctl)(fd, req, arg);
  return (int)sysret(f->kind == KIND_I2C ? i2c_ioctl(fd, f, req, arg) : spi_ioctl(fd, f, req, arg));
}
