/* The TID trusted application's entry points (GP TEE Internal Core API 1.3.1 §4.3:
 * TA_CreateEntryPoint, TA_OpenSessionEntryPoint, TA_InvokeCommandEntryPoint, …) and its two
 * commands, TRANSMIT and INFO (tid_ta.h; docs/tee.md "Commands"). Parameter types are checked
 * exactly (TEE_ERROR_BAD_PARAMETERS otherwise). The C-APDU is copied out of the shared memory
 * before anything reads it, so the normal world cannot change it under the applet, and that copy
 * is wiped after the command (it may carry a PSK or a session key). */
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>
#include "applet.h"
#include "tid_ta.h"

#ifndef TID_TA_INSECURE_PLATFORM
/* every platform this TA has been built for so far (QEMU, Raspberry Pi 3) is a development one */
#define TID_TA_INSECURE_PLATFORM 1
#endif

static int g_session_open;

TEE_Result TA_CreateEntryPoint(void) {
  return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void) {}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types, TEE_Param params[4], void **session) {
  TEE_Result res;
  (void)params;
  if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
    return TEE_ERROR_BAD_PARAMETERS;
  if (g_session_open) return TEE_ERROR_BUSY; /* one state, one user at a time */
  /* opening a session is a power-on: identity from storage, RAM state empty */
  res = applet_open();
  if (res != TEE_SUCCESS) {
    applet_close();
    return res;
  }
  g_session_open = 1;
  *session = &g_session_open;
  return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *session) {
  (void)session;
  applet_close();
  g_session_open = 0;
}

static TEE_Result transmit(uint32_t param_types, TEE_Param params[4]) {
  uint8_t capdu[APPLET_MAX_CAPDU];
  uint8_t rapdu[APPLET_MAX_RAPDU];
  size_t in_len, out_len;
  if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE,
                                     TEE_PARAM_TYPE_NONE))
    return TEE_ERROR_BAD_PARAMETERS;
  in_len = params[0].memref.size;
  if (in_len > APPLET_MAX_CAPDU || (in_len > 0 && !params[0].memref.buffer)) return TEE_ERROR_BAD_PARAMETERS;
  /* room for the largest R-APDU first: a command is never run when its answer could be lost */
  if (params[1].memref.size < APPLET_MAX_RAPDU) {
    params[1].memref.size = APPLET_MAX_RAPDU;
    return TEE_ERROR_SHORT_BUFFER;
  }
  if (!params[1].memref.buffer) return TEE_ERROR_BAD_PARAMETERS;
  TEE_MemMove(capdu, params[0].memref.buffer, in_len);
  out_len = applet_process(capdu, in_len, rapdu);
  TEE_MemMove(params[1].memref.buffer, rapdu, out_len);
  params[1].memref.size = out_len;
  TEE_MemFill(capdu, 0, sizeof capdu);
  TEE_MemFill(rapdu, 0, sizeof rapdu);
  return TEE_SUCCESS;
}

static TEE_Result info(uint32_t param_types, TEE_Param params[4]) {
  uint32_t flags = 0; /* TA_TID_INFO_NO_SHIELDED_LINK clear: this TA has the shielded link */
  if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE,
                                     TEE_PARAM_TYPE_NONE))
    return TEE_ERROR_BAD_PARAMETERS;
  if (TID_TA_INSECURE_PLATFORM) flags |= TA_TID_INFO_INSECURE_PLATFORM;
  params[0].value.a = (uint32_t)APPLET_VERSION_MAJOR << 8 | APPLET_VERSION_MINOR;
  params[0].value.b = flags;
  params[1].value.a = applet_lifecycle();
  params[1].value.b = 8;
  return TEE_SUCCESS;
}

TEE_Result TA_InvokeCommandEntryPoint(void *session, uint32_t cmd, uint32_t param_types, TEE_Param params[4]) {
  (void)session;
  switch (cmd) {
    case TA_TID_CMD_TRANSMIT: return transmit(param_types, params);
    case TA_TID_CMD_INFO: return info(param_types, params);
    default: return TEE_ERROR_NOT_SUPPORTED;
  }
}
