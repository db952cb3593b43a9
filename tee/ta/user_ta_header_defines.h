/* OP-TEE TA properties (optee_os ta/user_ta_header.h conventions, GP TEE Internal Core API
 * 1.3.1 §4.5 "gpd.ta.*" properties): read by the TA dev kit when it links tid_ta. */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include "tid_ta.h"

#define TA_UUID TA_TID_UUID

/* One instance, one session at a time: the applet's RAM state (slots, pending request) is that
 * instance's, as a secure element has one state. Keep-alive is off: closing the session is a
 * power cycle and the RAM state is wiped. */
#define TA_FLAGS TA_FLAG_SINGLE_INSTANCE

/* the wasm core needs 4 pages (256 KiB) of linear memory from the heap, plus the module's state;
 * the translated functions use a few KiB of stack per call level */
#define TA_STACK_SIZE (64 * 1024)
#define TA_DATA_SIZE (512 * 1024)

#define TA_VERSION "1.0"
#define TA_DESCRIPTION "TID applet v1 (tid-wasm): device identity and TID mutual authentication"

#endif
