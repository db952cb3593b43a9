/* The SE half of the shielded link (docs/se-profile.md "The shielded link", "OPEN SECURE
 * SESSION", "Secure messaging on every later command"): SCP11b's structure with SM2 / SM3 / SM4,
 * step for step as the simulated SE (hal/sim/secure-session.ts over reference/secure-link.ts and
 * reference/secure-messaging.ts):
 *
 *   Zee  = x(eSK.SE · ePK.host)     Zes = x(SK.SE · ePK.host)
 *   info = "TIDLINK1" ‖ ePK.host ‖ ePK.SE ‖ challenge
 *   KM   = KDF(Zee ‖ Zes ‖ info, 64) = receipt key ‖ S-ENC ‖ S-MAC ‖ S-RMAC
 *   receipt = CMAC-SM4(receipt key, ePK.host ‖ ePK.SE ‖ challenge)   the first MAC chaining value
 *   command:  chain' = CMAC-SM4(S-MAC, chain ‖ CLA' ‖ INS ‖ P1 ‖ P2 ‖ L(2) ‖ C), C-MAC = chain'[0..8)
 *             D = unpad(SM4-CBC⁻¹(S-ENC, ICV = SM4(S-ENC, 00×12 ‖ ctr), C))
 *   response: E = SM4-CBC(S-ENC, ICV' = SM4(S-ENC, 80 ‖ 00×11 ‖ ctr), pad(R))
 *             R-MAC = CMAC-SM4(S-RMAC, chain' ‖ E ‖ SW1 ‖ SW2)[0..8)
 *
 * All crypto is the wasm core's (core.c: sm2_keygen, sm2_ecdh, sm3_kdf, sm4_key_set, sm4 ECB /
 * CBC, sm4_cmac_final). The session keys live only as the module's SM4 key handles 8..10 (the
 * applet's slots are 0..7), expanded once and zeroed by sm4_key_clear at session end; eSK.SE, Zee,
 * Zes, KM, the receipt key and every plaintext buffer are wiped with TEE_MemFill (GP TEE Internal
 * Core API 1.3.1 §4.11) as soon as they are used. */
#include <string.h>
#include <tee_internal_api.h>
#include "core.h"
#include "secure_session.h"

/* module key handles: S-ENC, S-MAC, S-RMAC for the session; the receipt key while OPEN runs */
#define H_ENC 8
#define H_MAC 9
#define H_RMAC 10
#define H_RECEIPT 11

#define CLA_SM 0x04
#define CLA_CHAIN 0x10
#define MAX_COUNTER 0xFFFFFFFFu
#define CHALLENGE_SIZE 16

static const uint8_t LABEL[8] = {0x54, 0x49, 0x44, 0x4C, 0x49, 0x4E, 0x4B, 0x31}; /* "TIDLINK1" */

static struct {
  int has_key;
  uint8_t pk[LINK_PUBLIC_KEY_SIZE];
  int open;
  uint8_t chain[16];  /* the MAC chaining value: the receipt, then the last C-MAC */
  uint64_t next;      /* the counter the next command uses: 1.. 2^32 − 1 */
  int due;            /* a command was unwrapped and its response not yet wrapped */
  uint32_t due_counter;
  /* scratch: the C-MAC / R-MAC input (chain ‖ header ‖ L ‖ C, or chain ‖ E ‖ SW), a padded block run */
  uint8_t mac_input[16 + 6 + LINK_MAX_PROTECTED];
  uint8_t padded[LINK_MAX_WRAPPED];
} s;

/* 1 when a and b (n bytes) are equal; the time does not depend on where they differ */
static int ct_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  uint8_t d = 0;
  size_t i;
  for (i = 0; i < n; i++) d |= (uint8_t)(a[i] ^ b[i]);
  return d == 0;
}

int32_t link_key_load(const uint8_t sk[32]) {
  uint8_t pk[LINK_PUBLIC_KEY_SIZE];
  int32_t st = core_sm2_public(sk, pk);
  if (st != CORE_OK) {
    link_key_clear();
    return st;
  }
  /* a session in progress goes on: GENERATE LINK KEY answers under it, then the applet ends it */
  TEE_MemMove(s.pk, pk, sizeof pk);
  s.has_key = 1;
  return CORE_OK;
}

void link_key_clear(void) {
  link_end();
  TEE_MemFill(s.pk, 0, sizeof s.pk);
  s.has_key = 0;
}

int link_has_key(void) {
  return s.has_key;
}

const uint8_t *link_public_key(void) {
  return s.pk;
}

int link_session_open(void) {
  return s.open;
}

void link_end(void) {
  core_slot_clear(H_ENC);
  core_slot_clear(H_MAC);
  core_slot_clear(H_RMAC);
  core_slot_clear(H_RECEIPT);
  TEE_MemFill(s.chain, 0, sizeof s.chain);
  TEE_MemFill(s.mac_input, 0, sizeof s.mac_input);
  TEE_MemFill(s.padded, 0, sizeof s.padded);
  s.next = 0;
  s.due = 0;
  s.due_counter = 0;
  s.open = 0;
}

int32_t link_open(const uint8_t sk[32], const uint8_t data[LINK_OPEN_SIZE], uint8_t answer[LINK_OPEN_SIZE]) {
  const uint8_t *epk_host = data, *challenge = data + LINK_PUBLIC_KEY_SIZE;
  uint8_t esk[32], epk_se[LINK_PUBLIC_KEY_SIZE];
  /* Z = Zee ‖ Zes ‖ info */
  uint8_t z[32 + 32 + sizeof LABEL + 2 * LINK_PUBLIC_KEY_SIZE + CHALLENGE_SIZE];
  uint8_t *info = z + 64, *exchanged = info + sizeof LABEL; /* ePK.host ‖ ePK.SE ‖ challenge */
  uint8_t km[64], receipt[16];
  int32_t st;
  link_end();
  st = core_sm2_keygen(esk, epk_se);
  if (st == CORE_OK) st = core_sm2_ecdh(esk, epk_host, z);
  TEE_MemFill(esk, 0, sizeof esk);
  if (st == CORE_OK) st = core_sm2_ecdh(sk, epk_host, z + 32);
  if (st == CORE_OK) {
    TEE_MemMove(info, LABEL, sizeof LABEL);
    TEE_MemMove(exchanged, epk_host, LINK_PUBLIC_KEY_SIZE);
    TEE_MemMove(exchanged + LINK_PUBLIC_KEY_SIZE, epk_se, LINK_PUBLIC_KEY_SIZE);
    TEE_MemMove(exchanged + 2 * LINK_PUBLIC_KEY_SIZE, challenge, CHALLENGE_SIZE);
    st = core_sm3_kdf(z, sizeof z, km, sizeof km);
  }
  TEE_MemFill(z, 0, 64); /* Zee, Zes */
  if (st == CORE_OK) st = core_slot_set(CORE_SUITE_SM, H_RECEIPT, km);
  if (st == CORE_OK) st = core_cmac(H_RECEIPT, exchanged, 2 * LINK_PUBLIC_KEY_SIZE + CHALLENGE_SIZE, receipt);
  core_slot_clear(H_RECEIPT);
  if (st == CORE_OK) st = core_slot_set(CORE_SUITE_SM, H_ENC, km + 16);
  if (st == CORE_OK) st = core_slot_set(CORE_SUITE_SM, H_MAC, km + 32);
  if (st == CORE_OK) st = core_slot_set(CORE_SUITE_SM, H_RMAC, km + 48);
  TEE_MemFill(km, 0, sizeof km);
  if (st != CORE_OK) {
    link_end();
    TEE_MemFill(receipt, 0, sizeof receipt);
    return st;
  }
  TEE_MemMove(s.chain, receipt, sizeof receipt);
  s.next = 1;
  s.due = 0;
  s.open = 1;
  TEE_MemMove(answer, epk_se, LINK_PUBLIC_KEY_SIZE);
  TEE_MemMove(answer + LINK_PUBLIC_KEY_SIZE, receipt, sizeof receipt);
  TEE_MemFill(receipt, 0, sizeof receipt);
  return CORE_OK;
}

/* ICV = SM4(S-ENC, first ‖ 00×11 ‖ counter(4, big-endian)); first = 00 (command) or 80 (response) */
static int32_t icv_of(uint8_t first, uint32_t counter, uint8_t icv[16]) {
  uint8_t block[16];
  int32_t st;
  TEE_MemFill(block, 0, sizeof block);
  block[0] = first;
  block[12] = (uint8_t)(counter >> 24);
  block[13] = (uint8_t)(counter >> 16);
  block[14] = (uint8_t)(counter >> 8);
  block[15] = (uint8_t)counter;
  st = core_slot_ecb(CORE_SUITE_SM, H_ENC, 1, block, icv, sizeof block);
  TEE_MemFill(block, 0, sizeof block);
  return st;
}

int link_unwrap(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t len, uint8_t *plain,
                size_t *plain_len) {
  size_t c_len, m_len, i;
  uint32_t counter;
  uint8_t next[16], icv[16];
  int32_t st;
  *plain_len = 0;
  if (!s.open) return 0;
  if ((cla & CLA_SM) == 0 || len < LINK_MAC_SIZE || (len - LINK_MAC_SIZE) % 16 != 0 || len > LINK_MAX_PROTECTED)
    goto fail;
  if (s.next > MAX_COUNTER) goto fail; /* the counter ran out: a new session is needed */
  counter = (uint32_t)s.next++;
  c_len = len - LINK_MAC_SIZE;
  TEE_MemMove(s.mac_input, s.chain, 16);
  s.mac_input[16] = (uint8_t)((cla | CLA_SM) & ~CLA_CHAIN);
  s.mac_input[17] = ins;
  s.mac_input[18] = p1;
  s.mac_input[19] = p2;
  s.mac_input[20] = (uint8_t)(len >> 8); /* L = |C| + 8 */
  s.mac_input[21] = (uint8_t)len;
  TEE_MemMove(s.mac_input + 22, data, c_len);
  m_len = 22 + c_len;
  st = core_cmac(H_MAC, s.mac_input, m_len, next);
  TEE_MemFill(s.mac_input, 0, m_len);
  if (st != CORE_OK || !ct_equal(next, data + c_len, LINK_MAC_SIZE)) {
    TEE_MemFill(next, 0, sizeof next);
    goto fail;
  }
  if (c_len > 0) {
    /* encrypt-then-MAC: the C-MAC is checked before anything is decrypted */
    st = icv_of(0x00, counter, icv);
    if (st == CORE_OK) st = core_cbc(H_ENC, 0, icv, data, s.padded, c_len);
    TEE_MemFill(icv, 0, sizeof icv);
    if (st != CORE_OK) goto fail_next;
    /* ISO/IEC 9797-1 method 2 in the last block: 00 … back to one 80; at least one byte of D */
    i = c_len;
    while (i > c_len - 16 && s.padded[i - 1] == 0x00) i--;
    if (i == c_len - 16 || s.padded[i - 1] != 0x80 || i - 1 == 0) goto fail_next;
    if (i - 1 > LINK_MAX_DATA) { /* D over 1024 bytes ends the session too */
      TEE_MemFill(s.padded, 0, c_len);
      goto fail_next;
    }
    *plain_len = i - 1;
    TEE_MemMove(plain, s.padded, *plain_len);
    TEE_MemFill(s.padded, 0, c_len);
  }
  TEE_MemMove(s.chain, next, 16);
  TEE_MemFill(next, 0, sizeof next);
  s.due = 1;
  s.due_counter = counter;
  return 1;
fail_next:
  TEE_MemFill(next, 0, sizeof next);
fail:
  link_end();
  return 0;
}

int link_wrap(const uint8_t *r, size_t r_len, uint16_t sw, uint8_t *out, size_t *out_len) {
  size_t e_len = 0, m_len;
  uint8_t icv[16], mac[16];
  int32_t st = CORE_OK;
  *out_len = 0;
  if (!s.open || !s.due || r_len > LINK_MAX_RESPONSE) goto fail;
  if (r_len > 0) {
    e_len = (r_len / 16 + 1) * 16;
    TEE_MemFill(s.padded, 0, e_len);
    TEE_MemMove(s.padded, r, r_len);
    s.padded[r_len] = 0x80;
    st = icv_of(0x80, s.due_counter, icv);
    if (st == CORE_OK) st = core_cbc(H_ENC, 1, icv, s.padded, out, e_len);
    TEE_MemFill(icv, 0, sizeof icv);
    TEE_MemFill(s.padded, 0, e_len);
    if (st != CORE_OK) goto fail;
  }
  TEE_MemMove(s.mac_input, s.chain, 16);
  TEE_MemMove(s.mac_input + 16, out, e_len);
  s.mac_input[16 + e_len] = (uint8_t)(sw >> 8);
  s.mac_input[17 + e_len] = (uint8_t)sw;
  m_len = 18 + e_len;
  st = core_cmac(H_RMAC, s.mac_input, m_len, mac);
  TEE_MemFill(s.mac_input, 0, m_len);
  if (st != CORE_OK) goto fail;
  TEE_MemMove(out + e_len, mac, LINK_MAC_SIZE);
  TEE_MemFill(mac, 0, sizeof mac);
  *out_len = e_len + LINK_MAC_SIZE;
  s.due = 0;
  return 1;
fail:
  link_end();
  return 0;
}
