/* <math.h> for the wasm2c output inside an OP-TEE TA, whose C library (libutils) has none.
 * wasm2c 1.0.32 defines its float helpers with these; the TID module does no floating point that
 * reaches them (the linked program references no libm symbol, checked by the native build), so
 * compiler builtins are enough to compile, and any real use would fail at link time, not run
 * wrong. */
#ifndef TID_TA_COMPAT_MATH_H
#define TID_TA_COMPAT_MATH_H

#define NAN (__builtin_nanf(""))
#define INFINITY (__builtin_inff())
#define isnan(x) __builtin_isnan(x)
#define signbit(x) __builtin_signbit(x)
#define fabs(x) __builtin_fabs(x)
#define fabsf(x) __builtin_fabsf(x)
#define sqrt(x) __builtin_sqrt(x)
#define sqrtf(x) __builtin_sqrtf(x)
#define ceil(x) __builtin_ceil(x)
#define ceilf(x) __builtin_ceilf(x)
#define floor(x) __builtin_floor(x)
#define floorf(x) __builtin_floorf(x)
#define trunc(x) __builtin_trunc(x)
#define truncf(x) __builtin_truncf(x)
#define nearbyint(x) __builtin_nearbyint(x)
#define nearbyintf(x) __builtin_nearbyintf(x)

#endif
