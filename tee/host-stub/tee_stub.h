/* Test controls of the host stand-in of the GP TEE Internal Core API (tee_stub.c): only the native
 * test driver (ta_host.c) calls these; a real TEE has nothing like them. */
#ifndef TEE_STUB_H
#define TEE_STUB_H

#include <stddef.h>
#include <stdint.h>

/* Persistent objects live in files under dir (created by the caller), or in RAM when dir is NULL. */
void tee_stub_set_storage_dir(const char *dir);
/* TEST ONLY: the next TEE_GenerateRandom calls take these bytes first (then getrandom(2) again).
 * Returns -1 when the queue (4 KiB) is full. */
int tee_stub_queue_random(const uint8_t *bytes, size_t len);
/* Number of TEE_Malloc blocks not yet freed (a leak check for the tests). */
long tee_stub_live_allocations(void);
/* TEE_Panic calls `handler` (when not NULL) instead of exiting the process; the handler must not
 * return: fake_tee.c longjmps out of the TA with it, so a panic kills the TA instance, not the
 * host process. Without a handler (ta_host) TEE_Panic exits with status 70. */
void tee_stub_set_panic_handler(void (*handler)(uint32_t code));
/* TEST ONLY (fault injection): the TA's next call of a GP API function panics with `code`.
 * tee_stub_panic_pending() says whether that has not happened yet; tee_stub_disarm_panic()
 * cancels it. */
void tee_stub_arm_panic(uint32_t code);
int tee_stub_panic_pending(void);
void tee_stub_disarm_panic(void);

#endif
