/*
 * tid-c-host — a device application in C that embeds build/portable.wasm (translated to C by
 * wasm2c) and drives the TID client through its raw exports (docs/abi.md), with the soft backend
 * (identity in a file) or the SE backend (a Fudan Micro SE on /dev/i2c-N, FM I2C framing).
 * README.md next to this file tells how to build and run it.
 *
 *   tid-c-host --soft FILE | --se /dev/i2c-N [--address 0x71]  probe | authcode | auth [--message TEXT]
 *   tid-c-host bench [--ms N] [--samples N] [--warmup-ms N] [--ops LIST]
 *
 * `auth` talks line by line: it prints `authcode HEX`, reads the server data (hex, one line) that
 * the user server got from the TID auth server, validates it and prints `token HEX`, `sym-ecb
 * HEX` and `uplink HEX`, then reads one downlink message (hex) and prints `downlink HEX`. Any
 * transport to the user server (HTTP, MQTT, a pipe) can sit on the other side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fm_i2c.h"
#include "tid_host.h"
#include "wasm-rt-impl.h"

#define BACKEND_SOFT 1
#define BACKEND_SE 2
#define MAX_MESSAGE 4096
#define MAX_LINE 16384

static const char USAGE[] =
    "usage: tid-c-host (--soft IDENTITY_FILE | --se /dev/i2c-N [--address 0x71] (--link-key HEX | --unshielded)) COMMAND\n"
    "       tid-c-host bench [--ms N] [--samples N] [--warmup-ms N] [--ops sm4-ctr,sm2-sign,sm2-keygen,sm2-ecdh]\n"
    "commands:\n"
    "  probe                 the backend: ABI version and TID; on an SE also its ATR and applet info\n"
    "  authcode              print a fresh authcode (hex)\n"
    "  auth [--message TEXT] authcode to stdout, server data (hex line) from stdin, validate;\n"
    "                        print token, sym-ecb, uplink; then one downlink message (hex line) from stdin\n"
    "IDENTITY_FILE: lines `tid <16 hex digits>` and `psk <32 hex digits>`, mode 0600\n"
    "--link-key HEX: the SE's pinned public link key (128 hex digits): every APDU goes through the shielded link\n"
    "--unshielded: talk to the SE in clear (the token and session keys then cross the bus readable)\n"
    "environment: TID_DEBUG=hal traces the bus; TID_C_HOST_TEST_RANDOM / TID_C_HOST_TEST_NOW: TEST MODE\n";

/* Offsets in the module's I/O region (tid_io_ptr(), 66,560 bytes) for this program's buffers. */
enum {
  CELL = 0,           /* a u32 length cell */
  AUTHCODE = 64,      /* ≤ 644 bytes */
  SERVER_DATA = 1024, /* ≤ 644 bytes */
  TOKEN = 2048,       /* 16 */
  SYM = 2112,         /* 16 */
  IDENTITY = 2176,    /* TID ‖ PSK, 24 */
  APDU = 2304,        /* probe's raw APDUs: ≤ 261, response ≤ 258 */
  LINK_KEY = 3072,    /* the pinned PK.SE, 64; then its SM3, 32 */
  PLAIN = 4096,       /* ≤ MAX_MESSAGE */
  SEALED = 12288,     /* ≤ MAX_MESSAGE + 24 */
  DOWN = 20480,       /* ≤ MAX_MESSAGE + 24 */
  OPENED = 28672,     /* ≤ MAX_MESSAGE */
};

struct app {
  struct tid_host host;
  struct fm_i2c link;
  int backend;
  uint32_t io;
  int pinned;           /* --link-key given: the shielded link */
  uint8_t link_key[64]; /* PK.SE */
};

static Z_tid_instance_t *W(struct app *a) { return &a->host.wasm; }

/* ------------------------------------------------------------------------------------ helpers */

static void print_hex(const char *label, const uint8_t *b, size_t n) {
  printf("%s ", label);
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
  putchar('\n');
  fflush(stdout);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Hex (surrounding whitespace ignored) → bytes; returns the length or -1. */
static long from_hex(const char *s, uint8_t *out, size_t cap) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  if (n % 2 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int a = hexval(s[2 * i]), b = hexval(s[2 * i + 1]);
    if (a < 0 || b < 0) return -1;
    out[i] = (uint8_t)(a << 4 | b);
  }
  return (long)(n / 2);
}

/* Report a failed call with its status name, the SE's status word and the link's own account. */
static int failed(struct app *a, const char *call, int32_t st) {
  fprintf(stderr, "tid-c-host: %s: %s (%d)", call, tid_status_name(st), st);
  int32_t sw = (int32_t)Z_tidZ_tid_last_sw(W(a));
  if (sw) fprintf(stderr, ", SE status word %04X", (unsigned)sw);
  if (st <= -500 && st > -600 && a->link.err[0]) fprintf(stderr, "\n  %s", a->link.err);
  if (st == TID_ERR_NOT_INITIALISED && a->backend == BACKEND_SE)
    fprintf(stderr, "\n  the SE holds no identity: provision it first (tid provision --board …)");
  if (st == TID_ERR_CLOCK_FAILED) fprintf(stderr, "\n  the system clock is not usable: let NTP set it");
  if (st == TID_ERR_VERIFY_FAILED && strstr(call, "validate"))
    fprintf(stderr, "\n  the server data did not verify: another PSK registered for this TID, or the data was altered");
  fputc('\n', stderr);
  return 1;
}

#define CHECK(a, call)                          \
  do {                                          \
    int32_t st_ = (int32_t)(call);              \
    if (st_ != TID_OK) return failed(a, #call, st_); \
  } while (0)

/* Read `tid HEX` and `psk HEX` from a file that only its owner may read (it holds the PSK). */
static int read_identity(const char *path, uint8_t identity[24]) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "tid-c-host: %s: %s\n", path, strerror(errno));
    return -1;
  }
  struct stat st;
  char text[4096];
  ssize_t n = -1;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (off_t)sizeof text) n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n < 0) {
    fprintf(stderr, "tid-c-host: %s: not an identity file (a regular file of at most 4 KiB)\n", path);
    return -1;
  }
  if (st.st_mode & 077) {
    fprintf(stderr, "tid-c-host: %s: group or others may access it, and it holds the PSK: chmod 600 %s\n", path, path);
    memset(text, 0, sizeof text);
    return -1;
  }
  text[n] = 0;
  int have_tid = 0, have_psk = 0;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (!strncmp(line, "tid ", 4)) have_tid = from_hex(line + 4, identity, 8) == 8;
    else if (!strncmp(line, "psk ", 4)) have_psk = from_hex(line + 4, identity + 8, 16) == 16;
  }
  memset(text, 0, sizeof text);
  if (!have_tid || !have_psk) {
    fprintf(stderr, "tid-c-host: %s: need the lines `tid <16 hex digits>` and `psk <32 hex digits>`\n", path);
    return -1;
  }
  return 0;
}

/* Choose the backend in the module; soft: load TID ‖ PSK and wipe every copy. */
static int set_up(struct app *a, const char *identity_file) {
  CHECK(a, Z_tidZ_tid_set_backend(W(a), (u32)a->backend));
  if (a->pinned) {
    memcpy(tid_mem(&a->host) + a->io + LINK_KEY, a->link_key, 64);
    CHECK(a, Z_tidZ_tid_se_pin_link_key(W(a), a->io + LINK_KEY, 64));
  }
  if (a->backend == BACKEND_SOFT) {
    uint8_t *mem = tid_mem(&a->host);
    if (read_identity(identity_file, mem + a->io + IDENTITY) != 0) return 1;
    int32_t st = (int32_t)Z_tidZ_tid_soft_load_identity(W(a), a->io + IDENTITY, 24);
    memset(mem + a->io + IDENTITY, 0, 24);
    if (st != TID_OK) return failed(a, "tid_soft_load_identity", st);
  }
  CHECK(a, Z_tidZ_tid_client_init(W(a)));
  return 0;
}

/* One raw APDU through the same link the module uses (probe only: SELECT, GET DATA). */
static int raw_apdu(struct app *a, const uint8_t *apdu, size_t n, uint8_t *rsp, size_t *rsp_len) {
  int32_t st = fm_i2c_apdu(&a->link, apdu, n, rsp, 258, rsp_len);
  if (st != TID_OK) return failed(a, "FM I2C exchange", st);
  return 0;
}

/* ---------------------------------------------------------------------------------- commands */

static int cmd_probe(struct app *a, const char *identity_file) {
  printf("abi %u\n", (unsigned)Z_tidZ_tid_abi_version(W(a)));
  printf("backend %s\n", a->backend == BACKEND_SOFT ? "soft" : "se");
  if (a->backend == BACKEND_SE) {
    uint8_t rsp[FM_I2C_MAX_LEN];
    size_t n = 0;
    printf("port %s\n", a->link.name);
    int32_t st = fm_i2c_atr(&a->link, rsp, sizeof rsp, &n);
    if (st != TID_OK) return failed(a, "GET ATR", st);
    print_hex("atr", rsp, n);
    static const uint8_t select[] = {0x00, 0xa4, 0x04, 0x00, 0x09, 0xf0, 0x54, 0x49, 0x44, 0x41, 0x50, 0x50, 0x76, 0x31, 0x00};
    static const uint8_t info[] = {0x80, 0xca, 0x00, 0x02, 0x00};
    if (raw_apdu(a, select, sizeof select, rsp, &n)) return 1;
    if (n < 2 || rsp[n - 2] != 0x90 || rsp[n - 1] != 0x00) {
      fprintf(stderr, "tid-c-host: SELECT of the TID applet: SE status word %02X%02X\n", rsp[n - 2], rsp[n - 1]);
      return 1;
    }
    if (raw_apdu(a, info, sizeof info, rsp, &n)) return 1;
    if (n != 10 || rsp[8] != 0x90 || rsp[9] != 0x00) {
      fprintf(stderr, "tid-c-host: GET DATA applet info: unexpected answer of %zu bytes\n", n);
      return 1;
    }
    static const char *const lifecycle[] = {"blank", "personalised", "locked"};
    printf("applet %u.%u\n", rsp[0], rsp[1]);
    printf("slots %u\n", rsp[3]);
    printf("lifecycle %s\n", rsp[6] < 3 ? lifecycle[rsp[6]] : "unknown");
    if (rsp[6] == 0) {
      printf("tid none\n");
      return 0;
    }
  }
  if (set_up(a, identity_file)) return 1;
  CHECK(a, Z_tidZ_tid_get_tid(W(a), a->io + SYM));
  print_hex("tid", tid_mem(&a->host) + a->io + SYM, 8);
  if (a->backend == BACKEND_SE) {
    if (a->pinned) {
      /* the fingerprint `tid probe` shows: the first 8 bytes of SM3(PK.SE) */
      uint8_t *mem = tid_mem(&a->host);
      CHECK(a, Z_tidZ_sm3_digest(W(a), a->io + LINK_KEY, 64, a->io + LINK_KEY + 64));
      printf("shielded yes sm3:");
      for (int i = 0; i < 8; i++) printf("%02x", mem[a->io + LINK_KEY + 64 + i]);
      putchar('\n');
    } else {
      printf("shielded no\n");
    }
    printf("link nacks=%lu naks=%lu wtx=%lu io-retries=%lu\n", a->link.nacks, a->link.naks, a->link.wtx, a->link.io_retries);
  }
  return 0;
}

/* tid_client_get_authcode into AUTHCODE; its length, or 0 after reporting a failure. */
static uint32_t get_authcode(struct app *a) {
  tid_put_u32(&a->host, a->io + CELL, 644);
  int32_t st = (int32_t)Z_tidZ_tid_client_get_authcode(W(a), a->io + AUTHCODE, a->io + CELL);
  if (st != TID_OK) {
    failed(a, "tid_client_get_authcode", st);
    return 0;
  }
  return tid_get_u32(&a->host, a->io + CELL);
}

static int cmd_authcode(struct app *a, const char *identity_file) {
  if (set_up(a, identity_file)) return 1;
  uint32_t n = get_authcode(a);
  if (!n) return 1;
  print_hex("authcode", tid_mem(&a->host) + a->io + AUTHCODE, n);
  return 0;
}

static int read_hex_line(const char *what, uint8_t *out, size_t cap, long *n) {
  static char line[MAX_LINE];
  if (!fgets(line, sizeof line, stdin)) {
    *n = -2; /* end of input */
    return 0;
  }
  *n = from_hex(line, out, cap);
  if (*n < 0) {
    fprintf(stderr, "tid-c-host: %s: expected one line of at most %zu bytes in hex\n", what, cap);
    return 1;
  }
  return 0;
}

static int cmd_auth(struct app *a, const char *identity_file, const char *message) {
  uint8_t *mem = tid_mem(&a->host);
  uint32_t io = a->io;
  size_t mlen = strlen(message);
  if (mlen > MAX_MESSAGE) {
    fprintf(stderr, "tid-c-host: --message: at most %d bytes\n", MAX_MESSAGE);
    return 2;
  }
  if (set_up(a, identity_file)) return 1;
  CHECK(a, Z_tidZ_tid_get_tid(W(a), io + SYM));
  print_hex("tid", mem + io + SYM, 8);

  /* 1. the authcode goes to the user server, which asks the TID auth server */
  uint32_t n = get_authcode(a);
  if (!n) return 1;
  print_hex("authcode", mem + io + AUTHCODE, n);

  /* 2. its answer comes back: validate it; the token lands in slot 0 */
  long sd = 0;
  if (read_hex_line("server data", mem + io + SERVER_DATA, 644, &sd)) return 1;
  if (sd == -2) {
    fprintf(stderr, "tid-c-host: no server data on stdin\n");
    return 1;
  }
  tid_put_u32(&a->host, io + CELL, 16);
  CHECK(a, Z_tidZ_tid_client_validate_authcode(W(a), io + SERVER_DATA, (u32)sd, io + TOKEN, io + CELL));
  if (tid_get_u32(&a->host, io + CELL) == 0) {
    printf("token none\n"); /* the server kept the current session (flags bit 0) */
    fflush(stdout);
    return 0;
  }
  print_hex("token", mem + io + TOKEN, 16);
  memset(mem + io + TOKEN, 0, 16);

  /* 3. business data with the session key: the legacy SM4-ECB call and an AEAD message */
  static const uint8_t block[16] = "tid-c-host block";
  memcpy(mem + io + SYM, block, 16);
  CHECK(a, Z_tidZ_tid_client_sym_crypto(W(a), io + SYM, io + SYM, 16, 0, 1));
  print_hex("sym-ecb", mem + io + SYM, 16);
  memcpy(mem + io + PLAIN, message, mlen);
  tid_put_u32(&a->host, io + CELL, MAX_MESSAGE + 24);
  CHECK(a, Z_tidZ_tid_seal(W(a), 0, io + PLAIN, (u32)mlen, 0, 0, io + SEALED, io + CELL));
  print_hex("uplink", mem + io + SEALED, tid_get_u32(&a->host, io + CELL));

  long dn = 0;
  if (read_hex_line("downlink message", mem + io + DOWN, MAX_MESSAGE + 24, &dn)) return 1;
  if (dn == -2) return 0; /* no downlink message: done */
  tid_put_u32(&a->host, io + CELL, MAX_MESSAGE);
  CHECK(a, Z_tidZ_tid_open(W(a), 0, io + DOWN, (u32)dn, 0, 0, io + OPENED, io + CELL));
  print_hex("downlink", mem + io + OPENED, tid_get_u32(&a->host, io + CELL));
  return 0;
}

/* ------------------------------------------------------------------------------------- bench */

static void deterministic_bytes(uint8_t *out, size_t n, uint32_t seed) {
  /* xorshift32, as bench/harness.ts deterministicBytes: the same inputs as the Node rows */
  uint32_t s = seed ? seed : 1;
  for (size_t i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    out[i] = (uint8_t)s;
  }
}

static double wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

static double median(double *xs, int n) {
  qsort(xs, (size_t)n, sizeof *xs, cmp_double);
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

#define MiB 1048576u
#define CHUNK 65536u
struct bench {
  struct app *a;
  uint8_t *in, *out;
  int32_t status;
};

static int32_t run_sm4_ctr(struct bench *b) {
  Z_tid_instance_t *w = W(b->a);
  uint8_t *mem = tid_mem(&b->a->host);
  uint32_t io = b->a->io, iv = io, data = io + 64;
  deterministic_bytes(mem + iv, 16, 2); /* the counter cell starts at the IV on every call */
  for (uint32_t off = 0; off < MiB; off += CHUNK) {
    memcpy(mem + data, b->in + off, CHUNK);
    int32_t st = (int32_t)Z_tidZ_sm4_ctr(w, 0, iv, data, data, CHUNK, 128);
    if (st != TID_OK) return st;
    memcpy(b->out + off, mem + data, CHUNK);
  }
  return TID_OK;
}

/* SM2 operands at fixed offsets of the I/O region: d, pub, peer pub, ID, message, outputs. */
enum { S_D = 0, S_PUB = 32, S_PEER = 96, S_ID = 160, S_MSG = 192, S_SIG = 224, S_X = 288, S_KD = 320, S_KPUB = 352 };

static int32_t run_sm2_sign(struct bench *b) {
  uint32_t io = b->a->io;
  return (int32_t)Z_tidZ_sm2_sign(W(b->a), io + S_D, io + S_PUB, io + S_ID, 16, io + S_MSG, 32, io + S_SIG);
}
static int32_t run_sm2_keygen(struct bench *b) {
  uint32_t io = b->a->io;
  return (int32_t)Z_tidZ_sm2_keygen(W(b->a), io + S_KD, io + S_KPUB);
}
static int32_t run_sm2_ecdh(struct bench *b) {
  uint32_t io = b->a->io;
  return (int32_t)Z_tidZ_sm2_ecdh(W(b->a), io + S_D, io + S_PEER, io + S_X);
}

/* Median µs per call (wall and CPU) of `samples` samples of at least `ms` each, after a warm-up. */
static int32_t time_op(struct bench *b, int32_t (*fn)(struct bench *), double ms, int samples, double warmup_ms, double *us,
                       double *cpu) {
  double walls[64], cpus[64];
  for (int s = -1; s < samples; s++) {
    double limit = s < 0 ? warmup_ms * 1e3 : ms * 1e3;
    double w0 = wall_us(), c0 = cpu_us(), el = 0;
    long calls = 0;
    do {
      int32_t st = fn(b);
      if (st != TID_OK) return st;
      calls++;
      el = wall_us() - w0;
    } while (el < limit);
    if (s >= 0) {
      walls[s] = el / (double)calls;
      cpus[s] = (cpu_us() - c0) / (double)calls;
    }
  }
  *us = median(walls, samples);
  *cpu = median(cpus, samples);
  return TID_OK;
}

static void json_hex(const char *key, const uint8_t *p, size_t n) {
  printf(",\"%s\":\"", key);
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
  putchar('"');
}

static int cmd_bench(struct app *a, double ms, int samples, double warmup_ms, const char *ops) {
  Z_tid_instance_t *w = W(a);
  uint8_t *mem = tid_mem(&a->host);
  uint32_t io = a->io;
  struct bench b = {.a = a, .in = malloc(MiB), .out = malloc(MiB)};
  if (!b.in || !b.out) {
    fprintf(stderr, "tid-c-host: out of memory\n");
    return 1;
  }
  int first = 1;
  printf("{\"impl\":\"tid-wasm-c-portable\",\"rows\":[");

  if (strstr(ops, "sm4-ctr")) {
    deterministic_bytes(mem + io, 16, 1);
    CHECK(a, Z_tidZ_sm4_key_set(w, 0, io));
    deterministic_bytes(b.in, MiB, MiB);
    double us, cpu;
    int32_t st = time_op(&b, run_sm4_ctr, ms, samples, warmup_ms, &us, &cpu);
    if (st != TID_OK) return failed(a, "sm4_ctr", st);
    /* SM3 of the ciphertext, so the suite can check it equals Node's */
    CHECK(a, Z_tidZ_sm3_init(w, 0));
    for (uint32_t off = 0; off < MiB; off += CHUNK) {
      memcpy(mem + io + 64, b.out + off, CHUNK);
      CHECK(a, Z_tidZ_sm3_update(w, 0, io + 64, CHUNK));
    }
    CHECK(a, Z_tidZ_sm3_final(w, 0, io + 32));
    printf("%s{\"op\":\"sm4-ctr\",\"size\":%u,\"us\":%.3f,\"cpuUs\":%.3f", first ? "" : ",", MiB, us, cpu);
    json_hex("outputSm3", mem + io + 32, 32);
    putchar('}');
    first = 0;
    CHECK(a, Z_tidZ_sm4_key_clear(w, 0));
  }

  /* SM2: the signer's key d = bytes(32, 101), the ECDH peer's = bytes(32, 102), ID 1234567812345678, the sm2 suite's message */
  deterministic_bytes(mem + io + S_D, 32, 101);
  CHECK(a, Z_tidZ_sm2_public_from_private(w, io + S_D, io + S_PUB));
  deterministic_bytes(mem + io + S_X, 32, 102);
  CHECK(a, Z_tidZ_sm2_public_from_private(w, io + S_X, io + S_PEER));
  memcpy(mem + io + S_ID, "1234567812345678", 16);
  for (int i = 0; i < 32; i++) mem[io + S_MSG + (uint32_t)i] = (uint8_t)((i * 29 + 7) & 255);
  static const struct {
    const char *op;
    int32_t (*fn)(struct bench *);
  } sm2_ops[] = {{"sm2-keygen", run_sm2_keygen}, {"sm2-ecdh", run_sm2_ecdh}, {"sm2-sign", run_sm2_sign}};
  for (size_t i = 0; i < sizeof sm2_ops / sizeof sm2_ops[0]; i++) {
    if (!strstr(ops, sm2_ops[i].op)) continue;
    double us, cpu;
    int32_t st = time_op(&b, sm2_ops[i].fn, ms, samples, warmup_ms, &us, &cpu);
    if (st != TID_OK) return failed(a, sm2_ops[i].op, st);
    printf("%s{\"op\":\"%s\",\"size\":32,\"us\":%.3f,\"cpuUs\":%.3f", first ? "" : ",", sm2_ops[i].op, us, cpu);
    if (sm2_ops[i].fn == run_sm2_sign) json_hex("publicKey", mem + io + S_PUB, 64), json_hex("signature", mem + io + S_SIG, 64);
    if (sm2_ops[i].fn == run_sm2_ecdh) json_hex("sharedX", mem + io + S_X, 32);
    if (sm2_ops[i].fn == run_sm2_keygen) json_hex("privateKey", mem + io + S_KD, 32), json_hex("publicKey", mem + io + S_KPUB, 64);
    putchar('}');
    first = 0;
  }
  printf("]}\n");
  free(b.in);
  free(b.out);
  return 0;
}

/* -------------------------------------------------------------------------------------- main */

static int usage(const char *why) {
  if (why) fprintf(stderr, "tid-c-host: %s\n", why);
  fputs(USAGE, stderr);
  return 2;
}

struct options {
  const char *identity, *device, *command, *message, *ops, *link_key;
  int unshielded;
  unsigned address;
  double ms, warmup_ms;
  int samples;
};

static int dispatch(struct app *a, const struct options *o) {
  if (!strcmp(o->command, "bench")) return cmd_bench(a, o->ms, o->samples, o->warmup_ms, o->ops);
  if (!strcmp(o->command, "probe")) return cmd_probe(a, o->identity);
  if (!strcmp(o->command, "authcode")) return cmd_authcode(a, o->identity);
  return cmd_auth(a, o->identity, o->message);
}

/* Run the command; the module never traps on any input (docs/abi.md "Conventions"), so a trap is a bug: say so. */
static int run(struct app *a, const struct options *o) {
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap != WASM_RT_TRAP_NONE) {
    fprintf(stderr, "tid-c-host: the module trapped (%s): a bug in the module\n", wasm_rt_strerror(trap));
    return 3;
  }
  int rc = dispatch(a, o);
  if (strcmp(o->command, "bench")) {
    int32_t st = (int32_t)Z_tidZ_tid_close(W(a)); /* zeroes every key; SE: ERASE SLOT FF */
    if (st != TID_OK && st != TID_ERR_NOT_INITIALISED && rc == 0) rc = failed(a, "tid_close", st);
  }
  return rc;
}

int main(int argc, char **argv) {
  static struct options o = {.message = "hello from the C host", .ops = "sm4-ctr,sm2-keygen,sm2-ecdh,sm2-sign", .address = 0x71,
                             .ms = 250, .warmup_ms = 200, .samples = 7};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
      fputs(USAGE, stdout);
      return 0;
    }
    int takes = !strcmp(arg, "--soft") || !strcmp(arg, "--se") || !strcmp(arg, "--address") || !strcmp(arg, "--message") ||
                !strcmp(arg, "--ms") || !strcmp(arg, "--samples") || !strcmp(arg, "--warmup-ms") || !strcmp(arg, "--ops") ||
                !strcmp(arg, "--link-key");
    if (takes && !val) return usage("an option needs a value");
    if (!strcmp(arg, "--soft")) o.identity = val;
    else if (!strcmp(arg, "--se")) o.device = val;
    else if (!strcmp(arg, "--address")) {
      char *end = NULL;
      o.address = (unsigned)strtoul(val, &end, 0);
      if (!*val || *end) return usage("--address: a number such as 0x71");
    } else if (!strcmp(arg, "--message")) o.message = val;
    else if (!strcmp(arg, "--ms")) o.ms = atof(val);
    else if (!strcmp(arg, "--warmup-ms")) o.warmup_ms = atof(val);
    else if (!strcmp(arg, "--samples")) o.samples = atoi(val);
    else if (!strcmp(arg, "--ops")) o.ops = val;
    else if (!strcmp(arg, "--link-key")) o.link_key = val;
    else if (!strcmp(arg, "--unshielded")) o.unshielded = 1;
    else if (arg[0] == '-') return usage("unknown option");
    else if (!o.command) o.command = arg;
    else return usage("one command only");
    if (takes) i++;
  }
  if (!o.command) return usage(NULL);
  int bench = !strcmp(o.command, "bench");
  if (!bench && strcmp(o.command, "probe") && strcmp(o.command, "authcode") && strcmp(o.command, "auth"))
    return usage("unknown command");
  if (!bench && !o.identity == !o.device) return usage("choose one backend: --soft IDENTITY_FILE or --se /dev/i2c-N");
  if (o.device && !o.link_key == !o.unshielded)
    return usage("--se needs --link-key HEX (the SE's pinned public link key) or, to talk in clear, --unshielded");
  if (!o.device && (o.link_key || o.unshielded)) return usage("--link-key / --unshielded go with --se");
  if (bench && (o.ms <= 0 || o.warmup_ms < 0 || o.samples < 1 || o.samples > 64)) return usage("bench: --ms > 0, --samples 1..64");

  static struct app a; /* static: the instance and the link's buffers are not small */
  a.link.fd = -1;
  if (o.link_key) {
    if (from_hex(o.link_key, a.link_key, sizeof a.link_key) != 64) return usage("--link-key: 128 hex digits (x || y of PK.SE)");
    a.pinned = 1;
  }
  a.backend = o.device ? BACKEND_SE : BACKEND_SOFT;
  if (o.device && fm_i2c_open(&a.link, o.device, o.address) != 0) {
    fprintf(stderr, "tid-c-host: %s\n", a.link.err);
    return 1;
  }
  tid_host_start(&a.host, o.device ? &a.link : NULL);
  if (tid_host_test_mode_from_env(&a.host) < 0) {
    tid_host_stop(&a.host);
    return usage("TID_C_HOST_TEST_RANDOM must be hex, TID_C_HOST_TEST_NOW a number of seconds");
  }
  a.io = Z_tidZ_tid_io_ptr(&a.host.wasm);
  int rc = run(&a, &o);
  tid_host_stop(&a.host);
  fm_i2c_close(&a.link);
  return rc;
}
