/* The "TID applet v1" dispatcher (docs/se-profile.md: Conventions, Status words, Commands,
 * Command chaining, Long responses, The shielded link), the same rules in the same order as the
 * simulated SE (hal/sim/applet.ts): the shielded-link gate (which commands run outside and inside
 * a secure session, a bare 6982 and the session ended on every failure) is here, the session and
 * secure messaging in secure_session.c. Crypto is the wasm core (core.c): the soft
 * backend builds the authcode and checks the server data (tid_client_get_authcode /
 * tid_client_validate_authcode, with the check order of docs/protocol.md) in the identity's
 * algorithm suite (docs/protocol.md "Algorithm suites": SM, or INTL from a PROVISION with suite
 * byte 01), and the module's key handles 0..7 of the suite's cipher (SM4, or AES-128 in INTL) are
 * the session slots; the shielded link is SM2/SM3/SM4 in both suites. NVM is storage.c;
 * everything else is RAM and is lost on reset. Every buffer that held a key, the PSK or a token
 * is wiped with TEE_MemFill (GP TEE Internal Core API 1.3.1 §4.11). */
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>
#include "applet.h"
#include "core.h"
#include "secure_session.h"
#include "storage.h"

/* status words (docs/se-profile.md "Status words") */
#define SW_OK 0x9000
#define SW_VERIFY_FAILED 0x6300
#define SW_WRONG_LENGTH 0x6700
#define SW_CHAIN_BROKEN 0x6883
#define SW_CHAINING_NOT_SUPPORTED 0x6884
#define SW_SECURITY_STATUS 0x6982
#define SW_REFERENCE_DATA_NOT_USABLE 0x6984
#define SW_CONDITIONS_OF_USE 0x6985
#define SW_WRONG_DATA 0x6A80
#define SW_FUNCTION_NOT_SUPPORTED 0x6A81
#define SW_APPLET_NOT_FOUND 0x6A82
#define SW_WRONG_P1P2 0x6A86
#define SW_DATA_NOT_FOUND 0x6A88
#define SW_INS_NOT_SUPPORTED 0x6D00
#define SW_CLA_NOT_SUPPORTED 0x6E00
#define SW_NO_PRECISE_DIAGNOSIS 0x6F00
#define SW_ALGORITHM_NOT_SUPPORTED 0x9484

#define CLA_ISO 0x00
#define CLA_PROPRIETARY 0x80
#define CLA_CHAIN 0x10
#define CLA_SM 0x04

#define INS_SELECT 0xA4
#define INS_GET_CHALLENGE 0x84
#define INS_GET_RESPONSE 0xC0
#define INS_GET_DATA 0xCA
#define INS_PROVISION 0xD8
#define INS_LOCK 0xEA
#define INS_AUTH 0xDC
#define INS_LOAD_SESSION_KEY 0x5A
#define INS_CIPHER 0xDA
#define INS_ERASE_SLOT 0xEC
#define INS_GENERATE_LINK_KEY 0x46
#define INS_OPEN_SECURE_SESSION 0x88

#define SLOT_COUNT 8
#define SLOT_EMPTY 0
#define SLOT_LOADED 1
#define SLOT_TOKEN 2
#define MAX_CHAINED_DATA 1024
#define MAX_PROTECTED_DATA 1048
#define MAX_CIPHER_DATA 1024
#define MAX_CHUNK 256
#define AUTH_BEGIN_HEADER 6
#define INFO_PENDING 0x01
#define INFO_LINK_KEY 0x02
#define INFO_SESSION 0x04

static const uint8_t AID[9] = {0xF0, 0x54, 0x49, 0x44, 0x41, 0x50, 0x50, 0x76, 0x31};

static struct {
  struct identity id; /* NVM mirror */
  uint8_t slot_state[SLOT_COUNT];
  int pending;
  /* a partly received command chain */
  int chain_active;
  uint8_t chain_cla, chain_ins, chain_p1, chain_p2;
  size_t chain_size;
  uint8_t chain[MAX_PROTECTED_DATA];
  /* an unread long response and the SW that ends it (a protected response carries its command's) */
  size_t long_len, long_pos;
  uint16_t long_sw;
  uint8_t long_buf[MAX_CIPHER_DATA];
  /* scratch for whole responses before they are split */
  uint8_t work[MAX_CIPHER_DATA];
  /* secure messaging: respond() gives the whole response (no 61xx) while a protected command runs */
  int whole;
  uint8_t plain[LINK_MAX_PLAIN];           /* D of the protected command */
  uint8_t inner[LINK_MAX_RESPONSE + 2];    /* its whole response R ‖ SW */
  uint8_t wrapped[LINK_MAX_WRAPPED];       /* E ‖ R-MAC */
} g;

struct cmd {
  uint8_t cla, ins, p1, p2;
  const uint8_t *data;
  size_t len;
  int has_data;
  int le; /* -1: none; 1..256 */
};

static size_t put_sw(uint8_t *r, size_t n, uint16_t sw) {
  r[n] = (uint8_t)(sw >> 8);
  r[n + 1] = (uint8_t)sw;
  return n + 2;
}

static size_t sw_only(uint8_t *r, uint16_t sw) {
  return put_sw(r, 0, sw);
}

static uint16_t more_sw(size_t remaining) {
  return (uint16_t)(0x6100 | (remaining >= 256 ? 0 : remaining));
}

static void drop_long(void) {
  TEE_MemFill(g.long_buf, 0, sizeof g.long_buf);
  g.long_len = g.long_pos = 0;
}

/* Response data and its SW: up to 256 bytes direct, longer through 61xx and GET RESPONSE, the SW
 * at the end of the last part. */
static size_t split(uint8_t *r, const uint8_t *d, size_t n, uint16_t sw) {
  if (n <= MAX_CHUNK) {
    TEE_MemMove(r, d, n);
    return put_sw(r, n, sw);
  }
  if (n > MAX_CHUNK + sizeof g.long_buf) TEE_Panic(TEE_ERROR_GENERIC);
  TEE_MemMove(r, d, MAX_CHUNK);
  g.long_len = n - MAX_CHUNK;
  g.long_pos = 0;
  g.long_sw = sw;
  TEE_MemMove(g.long_buf, d + MAX_CHUNK, g.long_len);
  return put_sw(r, MAX_CHUNK, more_sw(g.long_len));
}

/* Response data of any length with 9000; inside secure messaging the whole of it (r then has room
 * for LINK_MAX_RESPONSE + 2 bytes): the wrapped response is split instead. */
static size_t respond(uint8_t *r, const uint8_t *d, size_t n) {
  if (g.whole) {
    if (n > LINK_MAX_RESPONSE) TEE_Panic(TEE_ERROR_GENERIC);
    TEE_MemMove(r, d, n);
    return put_sw(r, n, SW_OK);
  }
  return split(r, d, n, SW_OK);
}

static void erase_slot(uint32_t i) {
  core_slot_clear(i);
  g.slot_state[i] = SLOT_EMPTY;
}

static void erase_all(void) {
  uint32_t i;
  for (i = 0; i < SLOT_COUNT; i++) erase_slot(i);
}

/* the cipher of the slots: the identity's suite (SM before PROVISION) */
static uint8_t slot_suite(void) {
  return g.id.present ? g.id.suite : IDENTITY_SUITE_SM;
}

static int install(uint32_t i, const uint8_t key[16], uint8_t state) {
  erase_slot(i);
  if (core_slot_set(slot_suite(), i, key) != CORE_OK) return 0;
  g.slot_state[i] = state;
  return 1;
}

static void drop_pending(void) {
  if (g.pending) core_drop_pending();
  g.pending = 0;
}

/* ---- commands ----------------------------------------------------------------------------- */

static size_t cmd_select(const struct cmd *c, uint8_t *r) {
  static const uint8_t fci[17] = {0x6F, 0x0F, 0x84, 0x09, 0xF0, 0x54, 0x49, 0x44, 0x41,
                                  0x50, 0x50, 0x76, 0x31, 0x85, 0x02, APPLET_VERSION_MAJOR, APPLET_VERSION_MINOR};
  if (c->p1 != 0x04 || c->p2 != 0x00) return sw_only(r, SW_WRONG_P1P2);
  if (c->len != sizeof AID || memcmp(c->data, AID, sizeof AID) != 0) return sw_only(r, SW_APPLET_NOT_FOUND);
  return respond(r, fci, sizeof fci);
}

static size_t cmd_get_challenge(const struct cmd *c, uint8_t *r) {
  if (c->has_data || c->le < 0) return sw_only(r, SW_WRONG_LENGTH);
  if (c->p1 != 0 || c->p2 != 0) return sw_only(r, SW_WRONG_P1P2);
  TEE_GenerateRandom(r, (size_t)c->le);
  return put_sw(r, (size_t)c->le, SW_OK);
}

static size_t cmd_get_response(const struct cmd *c, uint8_t *r) {
  size_t rest, n;
  if (c->has_data) return sw_only(r, SW_WRONG_LENGTH);
  if (c->p1 != 0 || c->p2 != 0) return sw_only(r, SW_WRONG_P1P2);
  if (g.long_len == 0) return sw_only(r, SW_CONDITIONS_OF_USE);
  rest = g.long_len - g.long_pos;
  n = c->le < 0 ? 256 : (size_t)c->le;
  if (n > rest) n = rest;
  TEE_MemMove(r, g.long_buf + g.long_pos, n);
  g.long_pos += n;
  if (g.long_pos == g.long_len) {
    uint16_t sw = g.long_sw;
    drop_long();
    return put_sw(r, n, sw);
  }
  return put_sw(r, n, more_sw(g.long_len - g.long_pos));
}

static size_t cmd_get_data(const struct cmd *c, uint8_t *r) {
  uint8_t info[8];
  if (c->has_data) return sw_only(r, SW_WRONG_LENGTH);
  switch ((c->p1 << 8) | c->p2) {
    case 0x0001:
      if (!g.id.present) return sw_only(r, SW_DATA_NOT_FOUND);
      return respond(r, g.id.tid, IDENTITY_TID_SIZE);
    case 0x0002:
      info[0] = APPLET_VERSION_MAJOR;
      info[1] = APPLET_VERSION_MINOR;
      info[2] = 1; /* TID protocol version */
      info[3] = SLOT_COUNT;
      info[4] = CORE_MAX_EXTRA >> 8;
      info[5] = CORE_MAX_EXTRA & 0xFF;
      info[6] = (uint8_t)applet_lifecycle();
      info[7] = (uint8_t)((g.pending ? INFO_PENDING : 0) | (link_has_key() ? INFO_LINK_KEY : 0) |
                          (link_session_open() ? INFO_SESSION : 0));
      return respond(r, info, sizeof info);
    case 0x0003:
      return respond(r, g.slot_state, SLOT_COUNT);
    case 0x0004:
      if (!link_has_key()) return sw_only(r, SW_DATA_NOT_FOUND);
      return respond(r, link_public_key(), LINK_PUBLIC_KEY_SIZE);
    case 0x0005:
      if (!g.id.present) return sw_only(r, SW_DATA_NOT_FOUND);
      return respond(r, &g.id.suite, 1);
    default:
      return sw_only(r, SW_WRONG_P1P2);
  }
}

/* TID(8) ‖ PSK(16) [‖ suite(1)]: Lc 24 is suite SM, Lc 25 carries the suite byte (00 SM, 01 INTL) */
static size_t cmd_provision(const struct cmd *c, uint8_t *r) {
  struct identity next;
  uint8_t suite = IDENTITY_SUITE_SM;
  if (c->p1 != 0 || c->p2 != 0) return sw_only(r, SW_WRONG_P1P2);
  if (c->len != IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE && c->len != IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE + 1)
    return sw_only(r, SW_WRONG_LENGTH);
  if (c->len == IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE + 1) {
    suite = c->data[IDENTITY_TID_SIZE + IDENTITY_PSK_SIZE];
    if (suite != IDENTITY_SUITE_SM && suite != IDENTITY_SUITE_INTL) return sw_only(r, SW_WRONG_DATA);
  }
  if (g.id.locked) return sw_only(r, SW_SECURITY_STATUS);
  next = g.id; /* the link key stays */
  next.present = 1;
  next.locked = 0;
  next.suite = suite;
  TEE_MemMove(next.tid, c->data, IDENTITY_TID_SIZE);
  TEE_MemMove(next.psk, c->data + IDENTITY_TID_SIZE, IDENTITY_PSK_SIZE);
  if (storage_save(&next) != TEE_SUCCESS) {
    storage_wipe(&next);
    return sw_only(r, SW_NO_PRECISE_DIAGNOSIS); /* NVM write failed: identity unchanged */
  }
  storage_wipe(&g.id);
  g.id = next;
  storage_wipe(&next);
  g.pending = 0; /* core_load_identity drops the module's request and keys */
  erase_all();     /* both ciphers' handles: the suite may have changed */
  if (core_load_identity(g.id.tid, g.id.psk, g.id.suite) != CORE_OK) return sw_only(r, SW_NO_PRECISE_DIAGNOSIS);
  return sw_only(r, SW_OK);
}

static size_t cmd_lock(const struct cmd *c, uint8_t *r) {
  if (c->has_data) return sw_only(r, SW_WRONG_LENGTH);
  if (c->p1 != 0 || c->p2 != 0) return sw_only(r, SW_WRONG_P1P2);
  if (!g.id.present) return sw_only(r, SW_CONDITIONS_OF_USE);
  if (!g.id.locked) {
    g.id.locked = 1;
    if (storage_save(&g.id) != TEE_SUCCESS) {
      g.id.locked = 0;
      return sw_only(r, SW_NO_PRECISE_DIAGNOSIS);
    }
  }
  return sw_only(r, SW_OK);
}

static size_t cmd_auth_begin(const struct cmd *c, uint8_t *r) {
  uint16_t flags;
  uint32_t time;
  size_t n = sizeof g.work;
  int32_t st;
  if (c->p2 != 0) return sw_only(r, SW_WRONG_P1P2);
  if (!g.id.present) return sw_only(r, SW_CONDITIONS_OF_USE);
  if (c->len < AUTH_BEGIN_HEADER || c->len - AUTH_BEGIN_HEADER > CORE_MAX_EXTRA) return sw_only(r, SW_WRONG_LENGTH);
  flags = (uint16_t)(c->data[0] << 8 | c->data[1]);
  if (flags & 0xFFFE) return sw_only(r, SW_WRONG_DATA);
  time = (uint32_t)c->data[2] << 24 | (uint32_t)c->data[3] << 16 | (uint32_t)c->data[4] << 8 | c->data[5];
  g.pending = 0; /* the module replaces (and wipes) any earlier request itself */
  if (n > CORE_AUTHCODE_MAX) n = CORE_AUTHCODE_MAX;
  st = core_authcode(flags, time, c->data + AUTH_BEGIN_HEADER, c->len - AUTH_BEGIN_HEADER, g.work, &n);
  if (st != CORE_OK) return sw_only(r, SW_NO_PRECISE_DIAGNOSIS); /* RNG failure */
  g.pending = 1;
  return respond(r, g.work, n);
}

static uint16_t sw_of_core(int32_t st) {
  switch (st) {
    case CORE_ERR_BAD_FORMAT: return SW_WRONG_DATA;
    case CORE_ERR_BAD_POINT: return SW_WRONG_DATA;
    case CORE_ERR_UNSUPPORTED_VERSION: return SW_FUNCTION_NOT_SUPPORTED;
    case CORE_ERR_UNSUPPORTED_ALGORITHM: return SW_ALGORITHM_NOT_SUPPORTED;
    case CORE_ERR_TID_MISMATCH: return SW_REFERENCE_DATA_NOT_USABLE;
    case CORE_ERR_VERIFY_FAILED: return SW_VERIFY_FAILED;
    case CORE_ERR_BAD_LENGTH: return SW_WRONG_LENGTH;
    case CORE_ERR_NO_PENDING_REQUEST: return SW_CONDITIONS_OF_USE;
    default: return SW_NO_PRECISE_DIAGNOSIS;
  }
}

static size_t cmd_auth_finish(const struct cmd *c, uint8_t *r) {
  /* every AUTH FINISH erases the pending request first (docs/protocol.md "Rules") */
  int had = g.pending;
  uint32_t slot = c->p2 & 0x0F;
  uint8_t token[CORE_TOKEN_SIZE];
  int issued = 0;
  int32_t st;
  size_t n;
  if ((c->p2 & 0x70) != 0 || slot >= SLOT_COUNT) {
    drop_pending();
    return sw_only(r, SW_WRONG_P1P2);
  }
  if (!had || !g.id.present) {
    drop_pending();
    return sw_only(r, SW_CONDITIONS_OF_USE);
  }
  if (c->len < CORE_SERVER_DATA_MIN || c->len > CORE_SERVER_DATA_MAX) {
    drop_pending();
    return sw_only(r, SW_WRONG_LENGTH);
  }
  g.pending = 0;
  st = core_validate(c->data, c->len, token, &issued); /* consumes the module's request */
  if (st != CORE_OK) return sw_only(r, sw_of_core(st));
  if (!issued) return sw_only(r, SW_OK); /* no token: the slot keeps its key */
  if (!install(slot, token, SLOT_TOKEN)) {
    TEE_MemFill(token, 0, sizeof token);
    return sw_only(r, SW_NO_PRECISE_DIAGNOSIS);
  }
  n = 0;
  if (c->p2 & 0x80) {
    TEE_MemMove(r, token, sizeof token);
    n = sizeof token;
  }
  TEE_MemFill(token, 0, sizeof token);
  return put_sw(r, n, SW_OK);
}

static size_t cmd_load_session_key(const struct cmd *c, uint8_t *r) {
  if (c->p1 != 0 || c->p2 >= SLOT_COUNT) return sw_only(r, SW_WRONG_P1P2);
  if (c->len != 16) return sw_only(r, SW_WRONG_LENGTH);
  if (!install(c->p2, c->data, SLOT_LOADED)) return sw_only(r, SW_NO_PRECISE_DIAGNOSIS);
  return sw_only(r, SW_OK);
}

/* CIPHER: raw ECB with the slot's key, SM4 in suite SM, AES-128 in suite INTL */
static size_t cmd_cipher(const struct cmd *c, uint8_t *r) {
  size_t n;
  if ((c->p1 != 0x00 && c->p1 != 0x01) || c->p2 >= SLOT_COUNT) return sw_only(r, SW_WRONG_P1P2);
  if (c->len == 0 || c->len % 16 != 0 || c->len > MAX_CIPHER_DATA) return sw_only(r, SW_WRONG_LENGTH);
  if (g.slot_state[c->p2] == SLOT_EMPTY) return sw_only(r, SW_DATA_NOT_FOUND);
  if (core_slot_ecb(slot_suite(), c->p2, c->p1 == 0x01, c->data, g.work, c->len) != CORE_OK)
    return sw_only(r, SW_NO_PRECISE_DIAGNOSIS);
  n = respond(r, g.work, c->len);
  TEE_MemFill(g.work, 0, c->len);
  return n;
}

static size_t cmd_erase_slot(const struct cmd *c, uint8_t *r) {
  if (c->has_data) return sw_only(r, SW_WRONG_LENGTH);
  if (c->p1 != 0 || (c->p2 != 0xFF && c->p2 >= SLOT_COUNT)) return sw_only(r, SW_WRONG_P1P2);
  if (c->p2 == 0xFF) erase_all();
  else erase_slot(c->p2);
  return sw_only(r, SW_OK);
}

static size_t cmd_generate_link_key(const struct cmd *c, uint8_t *r) {
  struct identity next;
  uint8_t pk[LINK_PUBLIC_KEY_SIZE];
  size_t n;
  if (c->has_data) return sw_only(r, SW_WRONG_LENGTH);
  if (c->p1 != 0 || c->p2 != 0) return sw_only(r, SW_WRONG_P1P2);
  if (g.id.locked) return sw_only(r, SW_SECURITY_STATUS); /* the key is fixed by LOCK */
  next = g.id;
  if (core_sm2_keygen(next.link_sk, pk) != CORE_OK) {
    storage_wipe(&next);
    return sw_only(r, SW_NO_PRECISE_DIAGNOSIS); /* RNG failure */
  }
  next.has_link = 1;
  if (storage_save(&next) != TEE_SUCCESS) {
    storage_wipe(&next);
    return sw_only(r, SW_NO_PRECISE_DIAGNOSIS); /* NVM write failed: the old key (or none) stays */
  }
  storage_wipe(&g.id);
  g.id = next;
  storage_wipe(&next);
  if (link_key_load(g.id.link_sk) != CORE_OK) TEE_Panic(TEE_ERROR_GENERIC); /* keygen gave a key */
  n = respond(r, pk, sizeof pk);
  TEE_MemFill(pk, 0, sizeof pk);
  return n;
}

static size_t cmd_open_secure_session(const struct cmd *c, uint8_t *r) {
  uint8_t answer[LINK_OPEN_SIZE];
  if (c->p1 != 0 || c->p2 != 0) return sw_only(r, SW_WRONG_P1P2);
  if (!link_has_key()) return sw_only(r, SW_CONDITIONS_OF_USE);
  if (c->len != LINK_OPEN_SIZE) return sw_only(r, SW_WRONG_LENGTH);
  if (core_sm2_point_check(c->data) != CORE_OK) return sw_only(r, SW_WRONG_DATA); /* ePK.host */
  if (link_open(g.id.link_sk, c->data, answer) != CORE_OK) return sw_only(r, SW_NO_PRECISE_DIAGNOSIS);
  return respond(r, answer, sizeof answer);
}

/* One whole command with its plain CLA (00 / 80): the INS and CLA checks, then the command. */
static size_t command(const struct cmd *c, uint8_t *r) {
  int iso = c->cla == CLA_ISO;
  switch (c->ins) {
    case INS_SELECT: return iso ? cmd_select(c, r) : sw_only(r, SW_CLA_NOT_SUPPORTED);
    case INS_GET_CHALLENGE: return iso ? cmd_get_challenge(c, r) : sw_only(r, SW_CLA_NOT_SUPPORTED);
    case INS_GET_RESPONSE: return iso ? cmd_get_response(c, r) : sw_only(r, SW_CLA_NOT_SUPPORTED);
    case INS_GET_DATA:
    case INS_PROVISION:
    case INS_LOCK:
    case INS_AUTH:
    case INS_LOAD_SESSION_KEY:
    case INS_CIPHER:
    case INS_ERASE_SLOT:
    case INS_GENERATE_LINK_KEY:
    case INS_OPEN_SECURE_SESSION:
      if (iso) return sw_only(r, SW_CLA_NOT_SUPPORTED);
      break;
    default:
      return sw_only(r, SW_INS_NOT_SUPPORTED);
  }
  switch (c->ins) {
    case INS_GET_DATA: return cmd_get_data(c, r);
    case INS_PROVISION: return cmd_provision(c, r);
    case INS_LOCK: return cmd_lock(c, r);
    case INS_AUTH:
      if (c->p1 == 0x01) return cmd_auth_begin(c, r);
      if (c->p1 == 0x02) return cmd_auth_finish(c, r);
      return sw_only(r, SW_WRONG_P1P2);
    case INS_LOAD_SESSION_KEY: return cmd_load_session_key(c, r);
    case INS_CIPHER: return cmd_cipher(c, r);
    case INS_GENERATE_LINK_KEY: return cmd_generate_link_key(c, r);
    case INS_OPEN_SECURE_SESSION: return cmd_open_secure_session(c, r);
    default: return cmd_erase_slot(c, r);
  }
}

/* End the secure session: wipe it, answer a bare 6982, run nothing. */
static size_t end_session(uint8_t *r) {
  link_end();
  return sw_only(r, SW_SECURITY_STATUS);
}

/* A framing error: its SW, or, for a protected command in a session, the session ended and a bare
 * 6982 (a bare SW cannot be authenticated). */
static size_t refuse(uint8_t cla, uint16_t sw, uint8_t *r) {
  if ((cla & CLA_SM) && link_session_open()) return end_session(r);
  return sw_only(r, sw);
}

/* A protected command in an open session: unwrap, run on the plain data, wrap the whole response
 * (any SW), split the wrapped response through 61xx when it is over 256 bytes. */
static size_t run_protected(const struct cmd *c, uint8_t plain_cla, uint8_t *r) {
  struct cmd p;
  size_t d_len, n, w_len;
  uint16_t sw;
  int iso = plain_cla == CLA_ISO, wrapped;
  if (!link_unwrap(c->cla, c->ins, c->p1, c->p2, c->data, c->len, g.plain, &d_len))
    return sw_only(r, SW_SECURITY_STATUS); /* the session is over */
  p = *c;
  p.cla = plain_cla;
  p.data = g.plain;
  p.len = d_len;
  p.has_data = d_len > 0;
  p.le = iso && c->ins == INS_GET_CHALLENGE ? c->le : -1; /* Le is not covered: only GET CHALLENGE's counts */
  g.whole = 1;
  n = command(&p, g.inner);
  g.whole = 0;
  TEE_MemFill(g.plain, 0, d_len);
  sw = (uint16_t)(g.inner[n - 2] << 8 | g.inner[n - 1]);
  wrapped = link_wrap(g.inner, n - 2, sw, g.wrapped, &w_len);
  TEE_MemFill(g.inner, 0, n);
  if (!wrapped) return sw_only(r, SW_SECURITY_STATUS); /* the module failed: the session is over */
  /* GENERATE LINK KEY in a session: the new key is answered under the old session, which ends */
  if (!iso && c->ins == INS_GENERATE_LINK_KEY && sw == SW_OK) link_end();
  n = split(r, g.wrapped, w_len, sw);
  TEE_MemFill(g.wrapped, 0, w_len);
  return n;
}

/* One whole (reassembled) command, CLA without the chaining bit: the shielded-link gate
 * (docs/se-profile.md "Pairing: the link key", "Secure messaging on every later command"), then
 * the command. */
static size_t execute(const struct cmd *c, uint8_t *r) {
  uint8_t plain_cla = (uint8_t)(c->cla & ~CLA_SM);
  int iso = plain_cla == CLA_ISO;
  int never_protected = (iso && (c->ins == INS_SELECT || c->ins == INS_GET_RESPONSE)) ||
                        (!iso && c->ins == INS_OPEN_SECURE_SESSION);
  if (c->cla & CLA_SM) {
    if (!link_session_open() || never_protected) return end_session(r);
    return run_protected(c, plain_cla, r);
  }
  if (link_session_open() && !never_protected) return end_session(r);
  if (link_has_key() && !never_protected) {
    /* shielded: outside a session only SELECT, GET CHALLENGE, GET DATA, GET RESPONSE, OPEN */
    int clear_ok = iso ? c->ins == INS_GET_CHALLENGE : c->ins == INS_GET_DATA;
    if (!clear_ok) return sw_only(r, SW_SECURITY_STATUS);
  }
  /* SELECT and OPEN SECURE SESSION end a session in progress, then run normally */
  if ((iso && c->ins == INS_SELECT) || (!iso && c->ins == INS_OPEN_SECURE_SESSION)) link_end();
  return command(c, r);
}

static void drop_chain(void) {
  TEE_MemFill(g.chain, 0, g.chain_size);
  g.chain_size = 0;
  g.chain_active = 0;
}

static size_t dispatch(const uint8_t *a, size_t len, uint8_t *r) {
  struct cmd c;
  int chained, sm;
  uint8_t block_cla, plain_cla;
  size_t limit;
  if (len < 4) return sw_only(r, SW_WRONG_LENGTH);
  c.cla = a[0];
  c.ins = a[1];
  c.p1 = a[2];
  c.p2 = a[3];
  c.data = a + 5;
  c.len = 0;
  c.le = -1;
  /* body: case 1 (none), 2 (Le), 3 (Lc data), 4 (Lc data Le); short APDUs only */
  if (len == 5) {
    c.le = a[4] == 0 ? 256 : a[4];
  } else if (len > 5) {
    size_t lc = a[4];
    if (lc == 0) return refuse(c.cla, SW_WRONG_LENGTH, r); /* extended length: not supported */
    if (len == 5 + lc) {
      c.len = lc;
    } else if (len == 6 + lc) {
      c.len = lc;
      c.le = a[5 + lc] == 0 ? 256 : a[5 + lc];
    } else {
      return refuse(c.cla, SW_WRONG_LENGTH, r);
    }
  }
  c.has_data = len > 5;
  chained = (c.cla & CLA_CHAIN) != 0;
  sm = (c.cla & CLA_SM) != 0;
  block_cla = (uint8_t)(c.cla & ~CLA_CHAIN); /* the command's CLA, secure-messaging bit kept */
  plain_cla = (uint8_t)(block_cla & ~CLA_SM);
  if (plain_cla != CLA_ISO && plain_cla != CLA_PROPRIETARY) return refuse(c.cla, SW_CLA_NOT_SUPPORTED, r);
  /* any command but GET RESPONSE discards an unread long response */
  if (!(block_cla == CLA_ISO && c.ins == INS_GET_RESPONSE)) drop_long();
  /* a protected command that cannot be collected ends the session instead of 6883 / 6884 / 6700 */
  limit = sm ? MAX_PROTECTED_DATA : MAX_CHAINED_DATA;
  if (g.chain_active) {
    if (g.chain_ins == c.ins && g.chain_p1 == c.p1 && g.chain_p2 == c.p2 && g.chain_cla == block_cla) {
      if (g.chain_size + c.len > limit) {
        drop_chain();
        return refuse(c.cla, SW_WRONG_LENGTH, r);
      }
      TEE_MemMove(g.chain + g.chain_size, c.data, c.len);
      g.chain_size += c.len;
      if (chained) return sw_only(r, SW_OK);
      {
        size_t n;
        c.cla = block_cla;
        c.data = g.chain;
        c.len = g.chain_size;
        c.has_data = 1;
        n = execute(&c, r);
        drop_chain();
        return n;
      }
    }
    /* another command drops the chain; a chained block of another command breaks it (6883, or
     * for a protected chain the session) */
    {
      uint8_t chain_cla = g.chain_cla;
      drop_chain();
      if (chained) return refuse((chain_cla & CLA_SM) ? chain_cla : c.cla, SW_CHAIN_BROKEN, r);
    }
  }
  if (chained) {
    int chainable = plain_cla == CLA_PROPRIETARY && (c.ins == INS_AUTH || c.ins == INS_CIPHER);
    if (!sm && link_session_open()) return end_session(r); /* unprotected in a session: nothing runs */
    if (!chainable) return refuse(c.cla, SW_CHAINING_NOT_SUPPORTED, r);
    if (!c.has_data) return refuse(c.cla, SW_WRONG_LENGTH, r);
    g.chain_active = 1;
    g.chain_cla = block_cla;
    g.chain_ins = c.ins;
    g.chain_p1 = c.p1;
    g.chain_p2 = c.p2;
    TEE_MemMove(g.chain, c.data, c.len);
    g.chain_size = c.len;
    return sw_only(r, SW_OK);
  }
  c.cla = block_cla;
  return execute(&c, r);
}

size_t applet_process(const uint8_t *capdu, size_t len, uint8_t rapdu[APPLET_MAX_RAPDU]) {
  if (len > APPLET_MAX_CAPDU) return sw_only(rapdu, SW_WRONG_LENGTH);
  return dispatch(capdu, len, rapdu);
}

uint32_t applet_lifecycle(void) {
  return g.id.locked ? 2 : g.id.present ? 1 : 0;
}

void applet_reset(void) {
  link_end(); /* a reset ends the secure session: it is RAM */
  erase_all();
  drop_pending();
  drop_chain();
  drop_long();
  TEE_MemFill(g.work, 0, sizeof g.work);
}

TEE_Result applet_open(void) {
  TEE_Result res;
  TEE_MemFill(&g, 0, sizeof g);
  res = core_open();
  if (res != TEE_SUCCESS) return res;
  link_key_clear();
  res = storage_load(&g.id);
  if (res != TEE_SUCCESS) {
    EMSG("TID identity object unreadable: 0x%x", (unsigned)res);
    return res;
  }
  if (g.id.present && core_load_identity(g.id.tid, g.id.psk, g.id.suite) != CORE_OK) return TEE_ERROR_GENERIC;
  /* a stored link key that is not an SM2 private key: the object is not this TA's */
  if (g.id.has_link && link_key_load(g.id.link_sk) != CORE_OK) {
    EMSG("TID link key in the object is not a private key");
    return TEE_ERROR_CORRUPT_OBJECT;
  }
  return TEE_SUCCESS;
}

void applet_close(void) {
  applet_reset();
  link_key_clear();
  core_close();
  TEE_MemFill(&g, 0, sizeof g);
}
