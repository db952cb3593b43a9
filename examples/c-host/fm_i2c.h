/*
 * fm_i2c.h — the FM I2C link to a Fudan Micro secure element over Linux i2c-dev, in C: the same
 * framing, polling and retry rules as hal/link/fm-i2c.ts (docs/hal.md "The FM link, as
 * implemented"), with the LinkTiming defaults of hal/link/link.ts.
 *
 *   host → SE   LEN_LO LEN_HI NAD CMD DATA… BCC     (CMD 02 APDU, 30 GET ATR, BA NAK)
 *   SE → host   LEN_LO LEN_HI NAD STA DATA… BCC     (STA 00 OK, F2 WTX, BA: resend your frame)
 *   LEN = DATA length + 3, NAD = 00, BCC = XOR of every earlier byte.
 *
 * Each failure returns the status the TypeScript link gives the wasm (TID_ERR_SE_NACK,
 * TID_ERR_SE_TIMEOUT, TID_ERR_SE_CHECKSUM, TID_ERR_SE_IO) and leaves a sentence in `err`.
 */
#ifndef FM_I2C_H
#define FM_I2C_H

#include <stddef.h>
#include <stdint.h>

#define FM_I2C_MAX_LEN 1024 /* largest LEN: a frame is at most LEN + 2 bytes */

struct fm_i2c_timing {
  unsigned frame_delay_ms; /* 5: wait after a frame before the first poll */
  unsigned poll_ms;        /* 5: interval between polls while the SE NACKs */
  unsigned timeout_ms;     /* 16000: how long the SE may stay silent (WTX and NAK restart it) */
  unsigned deadline_ms;    /* 60000: hard cap on one exchange */
  unsigned max_naks;       /* 3: bad frames per exchange */
  unsigned max_wtx;        /* 100: wait-time extensions per exchange */
  unsigned io_retries;     /* 2: EIO / ETIMEDOUT on reads retried in a row (never on writes) */
};

struct fm_i2c {
  int fd;
  char name[64]; /* "/dev/i2c-1@0x71", for messages */
  struct fm_i2c_timing timing;
  int trace;     /* TID_DEBUG=hal: every bus step on stderr, as the TypeScript HAL prints it */
  unsigned long nacks, naks, wtx, io_retries; /* statistics */
  char err[256]; /* what went wrong in the last failed call */
};

/* Open /dev/i2c-N and address the SE (7-bit address, 0x71 for the FM SE). Returns 0 or -1 (err set). */
int fm_i2c_open(struct fm_i2c *link, const char *device, unsigned address);
void fm_i2c_close(struct fm_i2c *link);

/* One APDU exchange: the response APDU (data ‖ SW1 SW2) into rsp. Returns 0 or a TID_ERR_SE_* status. */
int32_t fm_i2c_apdu(struct fm_i2c *link, const uint8_t *apdu, size_t apdu_len, uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);

/* GET ATR (CMD 0x30). Returns 0 or a TID_ERR_SE_* status. */
int32_t fm_i2c_atr(struct fm_i2c *link, uint8_t *atr, size_t cap, size_t *atr_len);

#endif
