/*
 * fm_i2c.c — the FM I2C link over Linux i2c-dev (see fm_i2c.h). One exchange, as the bus sees it
 * (hal/link/fm-i2c.ts does the same, step for step):
 *
 *   1. write the frame (one write(2) = one I2C write). The SE NACKs its address while busy:
 *      poll every poll_ms; if it never ACKs within timeout_ms → TID_ERR_SE_NACK.
 *   2. sleep frame_delay_ms.
 *   3. read 2 bytes (LEN_LO LEN_HI). NACK → still busy: sleep poll_ms, go to 3.
 *   4. read LEN + 2 bytes: the SE sends the whole frame again from its first byte.
 *   5. bad LEN, BCC or NAD → write the NAK frame 03 00 00 BA B9, go to 3 (the SE re-sends);
 *      more than max_naks bad frames → TID_ERR_SE_CHECKSUM.
 *   6. STA F2 (WTX) → restart the timeout, go to 3; more than max_wtx → TID_ERR_SE_TIMEOUT.
 *      STA BA (the SE NAKs our frame) → write our frame again (counted as a NAK).
 *      STA 00 → DATA is the answer. Any other STA → TID_ERR_SE_IO.
 *   Throughout: silent for timeout_ms → TID_ERR_SE_TIMEOUT; the exchange past deadline_ms →
 *   TID_ERR_SE_TIMEOUT. EIO / ETIMEDOUT on a read → read again (io_retries in a row); on a write
 *   → fail at once: the SE may have the command, and sending it again could run it twice.
 */
#define _GNU_SOURCE
#include "fm_i2c.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "tid_wasm.h"

#define NAD 0x00
#define CMD_APDU 0x02
#define CMD_ATR 0x30
#define CMD_NAK 0xba
#define STA_OK 0x00
#define STA_WTX 0xf2

static const uint8_t NAK_FRAME[5] = {0x03, 0x00, 0x00, 0xba, 0xb9};

static const struct fm_i2c_timing DEFAULT_TIMING = {
    .frame_delay_ms = 5,
    .poll_ms = 5,
    .timeout_ms = 16000,
    .deadline_ms = 60000,
    .max_naks = 3,
    .max_wtx = 100,
    .io_retries = 2,
};

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int32_t fail(struct fm_i2c *link, int32_t status, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(link->err, sizeof link->err, "%s: ", link->name);
  va_start(ap, fmt);
  vsnprintf(link->err + n, sizeof link->err - (size_t)n, fmt, ap);
  va_end(ap);
  return status;
}

static void trace_bytes(const struct fm_i2c *link, const char *what, const uint8_t *b, size_t n) {
  if (!link->trace) return;
  fprintf(stderr, "[tid:hal] %s", what);
  for (size_t i = 0; i < n; i++) fprintf(stderr, " %02x", b[i]);
  fputc('\n', stderr);
}

/* What one bus transaction did. */
enum io_result { IO_OK, IO_NACK, IO_TRANSIENT, IO_FAILED };

/* The SE NACKs its address while busy: the kernel reports EREMOTEIO (some adapters ENXIO). */
static enum io_result classify(int err) {
  if (err == EREMOTEIO || err == ENXIO) return IO_NACK;
  if (err == EIO || err == ETIMEDOUT) return IO_TRANSIENT;
  return IO_FAILED;
}

static enum io_result bus_write(struct fm_i2c *link, const uint8_t *b, size_t n, int *err) {
  ssize_t r = write(link->fd, b, n);
  if (r == (ssize_t)n) {
    trace_bytes(link, "Tx>", b, n);
    return IO_OK;
  }
  *err = r < 0 ? errno : EIO; /* i2c-dev never writes part of a message; treat it as an I/O error */
  if (classify(*err) == IO_NACK) {
    link->nacks++;
    if (link->trace) fprintf(stderr, "[tid:hal] NACK (write)\n");
    return IO_NACK;
  }
  return classify(*err);
}

static enum io_result bus_read(struct fm_i2c *link, uint8_t *b, size_t n, int *err) {
  ssize_t r = read(link->fd, b, n);
  if (r == (ssize_t)n) {
    trace_bytes(link, "Rx<", b, n);
    return IO_OK;
  }
  *err = r < 0 ? errno : EIO; /* a short read: as hal/bus/i2c.ts, an I/O error */
  if (classify(*err) == IO_NACK) {
    link->nacks++;
    if (link->trace) fprintf(stderr, "[tid:hal] NACK (read)\n");
    return IO_NACK;
  }
  return classify(*err);
}

int fm_i2c_open(struct fm_i2c *link, const char *device, unsigned address) {
  memset(link, 0, sizeof *link);
  link->fd = -1;
  link->timing = DEFAULT_TIMING;
  const char *debug = getenv("TID_DEBUG");
  link->trace = debug && (strstr(debug, "hal") || strstr(debug, "all") || strchr(debug, '*'));
  snprintf(link->name, sizeof link->name, "%s@0x%02x", device, address);
  if (address < 0x03 || address > 0x77) {
    fail(link, TID_ERR_BAD_PARAM, "0x%02x is not a 7-bit I2C address (0x03..0x77; the FM SE is 0x71, 0xE2 is its 8-bit form)", address);
    return -1;
  }
  link->fd = open(device, O_RDWR | O_CLOEXEC);
  if (link->fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ENODEV)
      fail(link, TID_ERR_SE_IO, "no such bus (%s): enable I2C (raspi-config nonint do_i2c 0) or load i2c-dev (modprobe i2c-dev)",
           strerror(e));
    else if (e == EACCES || e == EPERM)
      fail(link, TID_ERR_SE_IO, "permission denied: add the user to group i2c (usermod -aG i2c $USER) or add a udev rule");
    else
      fail(link, TID_ERR_SE_IO, "open: %s", strerror(e));
    return -1;
  }
  if (ioctl(link->fd, I2C_SLAVE, (unsigned long)address) < 0) {
    int e = errno;
    fail(link, TID_ERR_SE_IO, "ioctl(I2C_SLAVE): %s%s", strerror(e), e == EBUSY ? " (a kernel driver holds this address)" : "");
    close(link->fd);
    link->fd = -1;
    return -1;
  }
  return 0;
}

void fm_i2c_close(struct fm_i2c *link) {
  if (link->fd >= 0) close(link->fd);
  link->fd = -1;
}

/* Write one frame, polling while the SE NACKs its address. */
static int32_t send_frame(struct fm_i2c *link, const uint8_t *frame, size_t n, uint64_t start) {
  const struct fm_i2c_timing *t = &link->timing;
  uint64_t first = now_ms();
  unsigned attempts = 0;
  for (;;) {
    int err = 0;
    attempts++;
    enum io_result r = bus_write(link, frame, n, &err);
    if (r == IO_OK) return TID_OK;
    if (r != IO_NACK) {
      /* Not resent: the SE may have received the command. */
      return fail(link, err == ETIMEDOUT ? TID_ERR_SE_TIMEOUT : TID_ERR_SE_IO, "writing the frame failed: %s", strerror(err));
    }
    uint64_t now = now_ms();
    if (now - start >= t->deadline_ms) return fail(link, TID_ERR_SE_TIMEOUT, "exchange passed its %u ms deadline", t->deadline_ms);
    if (now - first >= t->timeout_ms)
      return fail(link, TID_ERR_SE_NACK,
                  "the SE never ACKed the command (%u attempts in %llu ms): not powered, wrong bus or address, SDA/SCL swapped? "
                  "check i2cdetect",
                  attempts, (unsigned long long)(now - first));
    sleep_ms(t->poll_ms);
  }
}

/* Read one SE → host frame into f (LEN + 2 bytes). IO_OK, IO_NACK (busy), IO_TRANSIENT, IO_FAILED; *bad_len on a LEN out of range. */
static enum io_result read_frame(struct fm_i2c *link, uint8_t *f, size_t *flen, int *bad_len, int *err) {
  uint8_t head[2];
  *bad_len = 0;
  enum io_result r = bus_read(link, head, 2, err);
  if (r != IO_OK) return r;
  unsigned len = (unsigned)head[0] | (unsigned)head[1] << 8;
  if (len < 3 || len > FM_I2C_MAX_LEN) {
    *bad_len = 1;
    return IO_OK;
  }
  r = bus_read(link, f, len + 2, err);
  if (r != IO_OK) return r;
  *flen = len + 2;
  return IO_OK;
}

static int32_t exchange(struct fm_i2c *link, const uint8_t *frame, size_t frame_len, int is_apdu, uint8_t *out, size_t cap,
                        size_t *out_len) {
  const struct fm_i2c_timing *t = &link->timing;
  uint8_t f[FM_I2C_MAX_LEN + 2];
  uint64_t start = now_ms();
  int32_t st = send_frame(link, frame, frame_len, start);
  if (st != TID_OK) return st;
  sleep_ms(t->frame_delay_ms);

  uint64_t since = now_ms(); /* last sign of life: restarted by WTX and NAK */
  unsigned naks = 0, wtx = 0, io = 0;
  for (;;) {
    uint64_t now = now_ms();
    if (now - start >= t->deadline_ms) return fail(link, TID_ERR_SE_TIMEOUT, "exchange passed its %u ms deadline", t->deadline_ms);
    if (now - since >= t->timeout_ms)
      return fail(link, TID_ERR_SE_TIMEOUT, "no answer within %u ms (the SE hung or dropped the command; reset it)", t->timeout_ms);

    size_t flen = 0;
    int bad_len = 0, err = 0;
    const char *bad = NULL;
    enum io_result r = read_frame(link, f, &flen, &bad_len, &err);
    if (r == IO_NACK) { /* still busy */
      io = 0;
      sleep_ms(t->poll_ms);
      continue;
    }
    if (r == IO_TRANSIENT) {
      if (++io > t->io_retries) return fail(link, TID_ERR_SE_IO, "%u read errors in a row, the last: %s", io, strerror(err));
      link->io_retries++;
      sleep_ms(t->poll_ms);
      continue;
    }
    if (r == IO_FAILED) return fail(link, TID_ERR_SE_IO, "reading the response failed: %s", strerror(err));

    if (bad_len) {
      bad = "response LEN out of range";
    } else {
      io = 0; /* a whole frame came through */
      unsigned len = (unsigned)f[0] | (unsigned)f[1] << 8;
      uint8_t bcc = 0;
      for (size_t i = 0; i + 1 < flen; i++) bcc ^= f[i];
      if (len + 2 != flen) {
        bad = "response LEN changed between the two reads";
      } else if (bcc != f[flen - 1]) {
        bad = "response BCC wrong";
      } else if (f[2] != NAD) {
        bad = "response NAD is not 00";
      } else if (f[3] == STA_WTX) {
        link->wtx++;
        if (++wtx > t->max_wtx) return fail(link, TID_ERR_SE_TIMEOUT, "more than %u wait-time extensions", t->max_wtx);
        since = now_ms();
        sleep_ms(t->poll_ms);
        continue;
      } else if (f[3] == CMD_NAK) { /* the SE asks for our frame again */
        link->naks++;
        if (++naks > t->max_naks) return fail(link, TID_ERR_SE_CHECKSUM, "more than %u bad frames (the SE NAKed ours)", t->max_naks);
        st = send_frame(link, frame, frame_len, start);
        if (st != TID_OK) return st;
        since = now_ms();
        sleep_ms(t->frame_delay_ms);
        continue;
      } else if (f[3] != STA_OK) {
        return fail(link, TID_ERR_SE_IO, "the SE answered with link status 0x%02x (expected 00 or F2)", f[3]);
      } else if (is_apdu && flen - 5 < 2) {
        bad = "response without a status word";
      } else {
        size_t n = flen - 5;
        if (n > cap) return fail(link, TID_ERR_SE_IO, "response of %zu bytes, room for %zu", n, cap);
        memcpy(out, f + 4, n);
        *out_len = n;
        return TID_OK;
      }
    }
    /* A damaged frame: ask the SE to send it again. */
    link->naks++;
    if (++naks > t->max_naks) return fail(link, TID_ERR_SE_CHECKSUM, "more than %u bad frames, the last: %s", t->max_naks, bad);
    st = send_frame(link, NAK_FRAME, sizeof NAK_FRAME, start);
    if (st != TID_OK) return st;
    since = now_ms();
    sleep_ms(t->frame_delay_ms);
  }
}

static int32_t framed(struct fm_i2c *link, uint8_t cmd, const uint8_t *data, size_t n, int is_apdu, uint8_t *out, size_t cap,
                      size_t *out_len) {
  uint8_t frame[FM_I2C_MAX_LEN + 2];
  size_t len = n + 3;
  if (link->fd < 0) return fail(link, TID_ERR_SE_IO, "the bus is not open");
  if (len > FM_I2C_MAX_LEN) return fail(link, TID_ERR_SE_IO, "a command of %zu bytes does not fit one FM I2C frame", n);
  frame[0] = (uint8_t)(len & 0xff);
  frame[1] = (uint8_t)(len >> 8);
  frame[2] = NAD;
  frame[3] = cmd;
  if (n) memcpy(frame + 4, data, n);
  uint8_t bcc = 0;
  for (size_t i = 0; i < n + 4; i++) bcc ^= frame[i];
  frame[n + 4] = bcc;
  int32_t st = exchange(link, frame, n + 5, is_apdu, out, cap, out_len);
  memset(frame, 0, sizeof frame); /* APDUs carry keys (LOAD SESSION KEY, PROVISION) */
  return st;
}

int32_t fm_i2c_apdu(struct fm_i2c *link, const uint8_t *apdu, size_t apdu_len, uint8_t *rsp, size_t rsp_cap, size_t *rsp_len) {
  if (apdu_len < 4) return fail(link, TID_ERR_SE_IO, "a command APDU has at least 4 bytes, got %zu", apdu_len);
  if (link->trace) trace_bytes(link, "APDU>", apdu, apdu_len);
  int32_t st = framed(link, CMD_APDU, apdu, apdu_len, 1, rsp, rsp_cap, rsp_len);
  if (st == TID_OK) trace_bytes(link, "APDU<", rsp, *rsp_len);
  return st;
}

int32_t fm_i2c_atr(struct fm_i2c *link, uint8_t *atr, size_t cap, size_t *atr_len) {
  return framed(link, CMD_ATR, NULL, 0, 0, atr, cap, atr_len);
}
