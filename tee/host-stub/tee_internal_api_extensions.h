/* Host stand-in for OP-TEE's <tee_internal_api_extensions.h>: only the trace macros (which OP-TEE
 * takes from <trace.h> through this header) that the TID trusted application uses, on stderr. */
#ifndef TEE_INTERNAL_API_EXTENSIONS_H
#define TEE_INTERNAL_API_EXTENSIONS_H
#include <stdio.h>
#define EMSG(...) (fprintf(stderr, "E/TA: " __VA_ARGS__), (void)fputc('\n', stderr))
#define IMSG(...) ((void)0)
#define DMSG(...) ((void)0)
#endif
