/* Native test driver for the TID trusted application (docs/tee.md, "Testing without a TEE"): the
 * TA's own C code (tee/ta/), the wasm core translated by wasm2c and the host stand-in of the GP
 * API (tee_stub.c) in one program, driven the way a TEE client drives the TA: open a session,
 * TA_InvokeCommandEntryPoint(TRANSMIT / INFO), close.
 *
 *   ta_host [--storage DIR]          one request per stdin line, one answer line on stdout:
 *     HEX                TRANSMIT this C-APDU (may be empty) → the R-APDU in hex, or the
 *                        TEE_Result name (and the size asked for, for TEE_ERROR_SHORT_BUFFER)
 *     !short N HEX       TRANSMIT with an output memref of N bytes
 *     !oversize N        TRANSMIT an input memref of N zero bytes
 *     !types T HEX       TRANSMIT with the parameter types T (hex), both memrefs as usual
 *     !command N         invoke command ID N with no parameters
 *     !info              INFO → "info version=0100 flags=N lifecycle=N slots=N"
 *     !reset             close the session and open a new one (a power cycle: RAM state lost)
 *     !inject HEX        TEST ONLY: the next TEE_GenerateRandom bytes (e.g. Nd ‖ qd of AUTH BEGIN)
 *   ta_host --kat [--storage DIR]   the worked example (test/vectors/tid-v1-example.json), the
 *                        GB/T 32907 SM4 example, suite INTL's worked example
 *                        (test/vectors/tid-v1-intl-example.json) and the shielded link's worked example
 *                        (test/vectors/se-link-example.json) through TRANSMIT; prints one line per
 *                        check and exits 0 only when all pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tee_internal_api.h>
#include "tee_stub.h"
#include "tid_ta.h"

static void *g_session;

static const char *result_name(TEE_Result r) {
  switch (r) {
    case TEE_SUCCESS: return "TEE_SUCCESS";
    case TEE_ERROR_BAD_PARAMETERS: return "TEE_ERROR_BAD_PARAMETERS";
    case TEE_ERROR_SHORT_BUFFER: return "TEE_ERROR_SHORT_BUFFER";
    case TEE_ERROR_NOT_SUPPORTED: return "TEE_ERROR_NOT_SUPPORTED";
    case TEE_ERROR_BUSY: return "TEE_ERROR_BUSY";
    case TEE_ERROR_CORRUPT_OBJECT: return "TEE_ERROR_CORRUPT_OBJECT";
    default: return "TEE_ERROR_OTHER";
  }
}

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *len) {
  size_t n = strlen(s), i;
  if (n % 2 || n / 2 > cap) return -1;
  for (i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (uint8_t)v;
  }
  *len = n / 2;
  return 0;
}

static void print_hex(const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) printf("%02x", p[i]);
}

static TEE_Result open_session(void) {
  TEE_Param p[4];
  memset(p, 0, sizeof p);
  return TA_OpenSessionEntryPoint(TEE_PARAM_TYPES(0, 0, 0, 0), p, &g_session);
}

static const uint32_t TRANSMIT_TYPES =
    TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE);

/* TRANSMIT; prints the answer line. The buffers are heap blocks of exactly the sizes given, so a
 * TA that wrote past them would be caught by the allocator checks of a sanitizer build. */
static TEE_Result transmit(uint32_t types, const uint8_t *in, size_t in_len, size_t out_cap, uint8_t *rsp, size_t *rsp_len) {
  TEE_Param p[4];
  uint8_t *inb = malloc(in_len ? in_len : 1), *outb = malloc(out_cap ? out_cap : 1);
  TEE_Result r;
  if (!inb || !outb) exit(2);
  memcpy(inb, in, in_len);
  memset(p, 0, sizeof p);
  p[0].memref.buffer = inb;
  p[0].memref.size = in_len;
  p[1].memref.buffer = outb;
  p[1].memref.size = out_cap;
  r = TA_InvokeCommandEntryPoint(g_session, TA_TID_CMD_TRANSMIT, types, p);
  *rsp_len = p[1].memref.size;
  if (r == TEE_SUCCESS) {
    if (*rsp_len > out_cap) exit(3);
    memcpy(rsp, outb, *rsp_len);
  }
  free(inb);
  free(outb);
  return r;
}

static void answer(TEE_Result r, const uint8_t *rsp, size_t n) {
  if (r == TEE_SUCCESS) print_hex(rsp, n);
  else if (r == TEE_ERROR_SHORT_BUFFER) printf("%s %zu", result_name(r), n);
  else printf("%s", result_name(r));
  printf("\n");
}

static int serve(void) {
  static char line[8192];
  static uint8_t buf[4096], rsp[4096];
  size_t n, rn;
  while (fgets(line, sizeof line, stdin)) {
    char *nl = strpbrk(line, "\r\n");
    if (nl) *nl = 0;
    if (line[0] != '!') {
      if (unhex(line, buf, sizeof buf, &n) != 0) {
        printf("bad-input\n");
      } else {
        TEE_Result r = transmit(TRANSMIT_TYPES, buf, n, TA_TID_MAX_RAPDU, rsp, &rn);
        answer(r, rsp, rn);
      }
    } else if (strncmp(line, "!short ", 7) == 0) {
      char hex[8192];
      size_t cap;
      if (sscanf(line + 7, "%zu %8191s", &cap, hex) != 2 || cap > sizeof rsp || unhex(hex, buf, sizeof buf, &n) != 0) {
        printf("bad-input\n");
      } else {
        TEE_Result r = transmit(TRANSMIT_TYPES, buf, n, cap, rsp, &rn);
        answer(r, rsp, rn);
      }
    } else if (strncmp(line, "!oversize ", 10) == 0) {
      size_t len = (size_t)strtoul(line + 10, NULL, 10);
      if (len > sizeof buf) {
        printf("bad-input\n");
      } else {
        TEE_Result r;
        memset(buf, 0, len);
        r = transmit(TRANSMIT_TYPES, buf, len, TA_TID_MAX_RAPDU, rsp, &rn);
        answer(r, rsp, rn);
      }
    } else if (strncmp(line, "!types ", 7) == 0) {
      char hex[8192];
      unsigned types;
      if (sscanf(line + 7, "%x %8191s", &types, hex) != 2 || unhex(hex, buf, sizeof buf, &n) != 0) {
        printf("bad-input\n");
      } else {
        TEE_Result r = transmit(types, buf, n, TA_TID_MAX_RAPDU, rsp, &rn);
        answer(r, rsp, rn);
      }
    } else if (strncmp(line, "!command ", 9) == 0) {
      TEE_Param p[4];
      memset(p, 0, sizeof p);
      printf("%s\n", result_name(TA_InvokeCommandEntryPoint(g_session, (uint32_t)strtoul(line + 9, NULL, 0), 0, p)));
    } else if (strcmp(line, "!info") == 0) {
      TEE_Param p[4];
      TEE_Result r;
      memset(p, 0, sizeof p);
      r = TA_InvokeCommandEntryPoint(g_session, TA_TID_CMD_INFO,
                                     TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT, 0, 0), p);
      if (r != TEE_SUCCESS) printf("%s\n", result_name(r));
      else printf("info version=%04x flags=%u lifecycle=%u slots=%u\n", p[0].value.a, p[0].value.b, p[1].value.a, p[1].value.b);
    } else if (strcmp(line, "!reset") == 0) {
      TA_CloseSessionEntryPoint(g_session);
      printf("%s\n", result_name(open_session()));
    } else if (strncmp(line, "!inject ", 8) == 0) {
      if (unhex(line + 8, buf, sizeof buf, &n) != 0 || tee_stub_queue_random(buf, n) != 0) printf("bad-input\n");
      else printf("ok\n");
    } else {
      printf("bad-input\n");
    }
    fflush(stdout);
  }
  return 0;
}

/* ---- --kat ------------------------------------------------------------------------------------ */

struct step {
  const char *name, *capdu, *rapdu;
  /* queued for TEE_GenerateRandom before the step (NULL: nothing) */
  const char *random;
};

/* test/vectors/tid-v1-example.json through the profile's examples (docs/se-profile.md), with the
 * example's Nd ‖ qd injected into TEE_GenerateRandom; then GB/T 32907-2016 example 1 (SM4); then
 * test/vectors/tid-v1-intl-example.json: PROVISION with suite byte 01, GET DATA 00 05, AUTH BEGIN
 * / FINISH with its Nd ‖ qd injected, CIPHER (AES-128-ECB) of a zero block with its token; then
 * test/vectors/se-link-example.json: GENERATE LINK KEY draws SK.SE and OPEN SECURE SESSION eSK.SE
 * (both injected), the two protected commands and their responses byte for byte, and the second
 * command replayed, which must end the session with a bare 6982. */
static const char *KAT_RANDOM =
    "ec8f9eabc6fbab64689bef2cf4efec9c8f965f5e166f97efe5028ccbdb56c565b9604bd75bd4c15b2587bc2b7faf4757";
static const struct step KAT[] = {
    {"select", "00a4040009f05449444150507631", "6f0f8409f05449444150507631850201009000", NULL},
    {"provision", "80d8000018671007e10029b0a200112233445566778899aabbccddeeff", "9000", NULL},
    {"get-tid", "80ca000100", "671007e10029b0a29000", NULL},
    {"auth-begin", "80dc01000600005d19e2af00",
     "0110021000005d19e2af671007e10029b0a2ec8f9eabc6fbab64689bef2cf4efec9c00007c21c4973df1280a8d487f2bcc388bb49f7f04c0cc"
     "c71d5d9f2a9ef672cd30a7a06e6e3277a4120afd1d8d38706ccb9c1a65412300a322ad0565b5aab1d9cf728790498d838766b3f5febfa870b6"
     "fbe1e8c95fd40b288de6664ee59a13ac24ec9000", NULL},
    {"auth-finish", "80dc028084"
     "0110021000015d19e2b0671007e10029b0a20f1e2d3c4b5a69788796a5b4c3d2e1f000003b55f1a58e905ee70bfbd33aa84123e2b4449c3e"
     "09151f8be8a8cb7f972e5e8442e6cccc6e7fe52a0e147a4261a48fb05ac2d627adb769e7beb36a0c5f55d231f371503ea55b37abd4a50aecd11"
     "60a744006be7050f5ff71e14c69f456751f0b00",
     "105dd1bc653c4cb2fd6d0d621b3d00969000", NULL},
    {"slots", "80ca000300", "02000000000000009000", NULL},
    {"sm4-load", "805a0001100123456789abcdeffedcba9876543210", "9000", NULL},
    {"sm4-ecb", "80da0101100123456789abcdeffedcba987654321000", "681edf34d206965e86b3e94f536e42469000", NULL},
    {"intl-provision", "80d8000019671007e10029b0a200112233445566778899aabbccddeeff01", "9000", NULL},
    {"intl-suite", "80ca000500", "019000", NULL},
    {"intl-auth-begin", "80dc01000600005d19e2af00",
     "0120031000005d19e2af671007e10029b0a2ec8f9eabc6fbab64689bef2cf4efec9c000029ccff9b0bf4432c10dd4372faab5b3a2d821a6b"
     "99928abd3a21abd1339b8dbc4003b4ef2554b332baa48532298d2cad079a116c1803367d449d46b5d7b96668abeb60d8787673b813a2563c"
     "0f699d724fd9ec06bbe7ca56bd9d87b0cb9f087d9000",
     "ec8f9eabc6fbab64689bef2cf4efec9c80f12f752de7f7a5183ca9f415d62c925f3d672c6c1a0c1596ac88c57d3a4d01"},
    {"intl-auth-finish",
     "80dc0280840120031000015d19e2b0671007e10029b0a20f1e2d3c4b5a69788796a5b4c3d2e1f00000894dab719cd2215172094cc3d8c655"
     "377c4cf74eae77dd45f63d5f7e4f9398924f8638dc177faca4d3d5b873b4ee23f93ce0ebef20281ea3c4257957a39931c190a412ec6da3b5"
     "863709132f5cd476525e470b2e3d386665b88e8af7b8143db100",
     "dd24b8743cb3d587da3115af9e8fcf5a9000", NULL},
    {"intl-aes-ecb", "80da01001000000000000000000000000000000000", "608fef55b3d26dee4977ff7be5bf1fdf9000", NULL},
    {"link-generate", "8046000000", "2a8b8780ed9d7f5020744738b6d22973837a8ecf3582534ba1d1f34e221dbaf1b8b38670af94ee815d449db34a7f4e6d7410b2796372305d37a818c9f558d4779000", "8c1fe519bf088046e4b9b634d730908f0712be1eb797bf951c803875b8270626"},
    {"link-pk", "80ca000400", "2a8b8780ed9d7f5020744738b6d22973837a8ecf3582534ba1d1f34e221dbaf1b8b38670af94ee815d449db34a7f4e6d7410b2796372305d37a818c9f558d4779000", NULL},
    {"link-open", "80880000500153f31a686dc1dbb837ba30d964676d89129528795a129a4ed861a705c67e6d218d71c3df223702a23f373f0a7befb31094520894d2eae72223d98900829e600075ae6d43af3f94c742d187448f7c0900",
     "c950f3fdf22160bae85f6b1ef10ca21d99a73d71726a6c97aca6308b14b4a92bcc27b8024558b9d998706eec5c70b6f1b9a932f70b78bb5d15c32ccbc32d564e9cb687f0308c058a0ce726015ba46fd89000", "b16f5a873831576ec4186aa8a41e327d047b57e519a5d0032c48aeabb6648207"},
    {"link-get-tid", "84ca00010885bcde9e735ff2bc00", "36d7802d666476e982f8b81aa5dc3eadc8ae8735ba38b6a29000", NULL},
    {"link-load-key", "845a000028d1616ca2b079d89d292f0dd539e86682b4bbf37b56165a19556a702141ecc6354e2e45710c51462400", "d1e09a99091d5aab9000", NULL},
    {"link-replay", "845a000028d1616ca2b079d89d292f0dd539e86682b4bbf37b56165a19556a702141ecc6354e2e45710c51462400", "6982", NULL},
    {"link-info", "80ca000200", "01000108020001029000", NULL}, /* link key: yes; session: ended */
    {"link-clear-refused", "805a000010dfb985492562247eef51b9eb5c86cd2a", "6982", NULL},
};

static int kat(void) {
  uint8_t buf[1024], rsp[1024], want[1024];
  size_t n, rn, wn, i;
  int failed = 0;
  if (unhex(KAT_RANDOM, buf, sizeof buf, &n) != 0 || tee_stub_queue_random(buf, n) != 0) return 2;
  for (i = 0; i < sizeof KAT / sizeof KAT[0]; i++) {
    TEE_Result r;
    if (KAT[i].random &&
        (unhex(KAT[i].random, buf, sizeof buf, &n) != 0 || tee_stub_queue_random(buf, n) != 0))
      return 2;
    if (unhex(KAT[i].capdu, buf, sizeof buf, &n) != 0 || unhex(KAT[i].rapdu, want, sizeof want, &wn) != 0) return 2;
    r = transmit(TRANSMIT_TYPES, buf, n, TA_TID_MAX_RAPDU, rsp, &rn);
    if (r != TEE_SUCCESS || rn != wn || memcmp(rsp, want, wn) != 0) {
      printf("kat %s FAIL: ", KAT[i].name);
      answer(r, rsp, rn);
      failed = 1;
    } else {
      printf("kat %s ok\n", KAT[i].name);
    }
  }
  return failed;
}

int main(int argc, char **argv) {
  int i, run_kat = 0, rc;
  TEE_Result r;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--kat") == 0) run_kat = 1;
    else if (strcmp(argv[i], "--storage") == 0 && i + 1 < argc) tee_stub_set_storage_dir(argv[++i]);
    else {
      fprintf(stderr, "usage: ta_host [--kat] [--storage DIR]\n");
      return 2;
    }
  }
  r = TA_CreateEntryPoint();
  if (r == TEE_SUCCESS) r = open_session();
  if (r != TEE_SUCCESS) {
    fprintf(stderr, "ta_host: opening the session failed: %s\n", result_name(r));
    return 1;
  }
  rc = run_kat ? kat() : serve();
  TA_CloseSessionEntryPoint(g_session);
  TA_DestroyEntryPoint();
  if (tee_stub_live_allocations() != 0) {
    fprintf(stderr, "ta_host: %ld TEE_Malloc blocks never freed\n", tee_stub_live_allocations());
    return 1;
  }
  return rc;
}
