/* <alloca.h> for the wasm2c output inside an OP-TEE TA (libutils has none); see math.h here. */
#ifndef TID_TA_COMPAT_ALLOCA_H
#define TID_TA_COMPAT_ALLOCA_H
#define alloca(n) __builtin_alloca(n)
#endif
