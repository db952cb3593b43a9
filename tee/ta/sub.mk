# Sources of the TID TA for OP-TEE's build (mk/subdir.mk conventions, as in optee_examples).
# gen/ holds the wasm core translated by wasm2c (`make gen`, see Makefile); it is not committed.
global-incdirs-y += . gen
# <math.h> and <alloca.h> for the generated code: OP-TEE's TA libraries have neither
global-incdirs-y += compat

# -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 (explicit bounds checks) is set in Makefile's CPPFLAGS

srcs-y += tid_ta.c
srcs-y += applet.c
srcs-y += storage.c
srcs-y += secure_session.c
srcs-y += core.c
srcs-y += wasm_rt_tee.c
srcs-y += gen/tid.c

# generated code: wasm2c's helpers are static inline functions and macros some of which go unused,
# its C is not written to OP-TEE's warning set
cflags-gen/tid.c-y += -Wno-unused-function -Wno-unused-parameter -Wno-unused-value -Wno-unused-variable
cflags-gen/tid.c-y += -Wno-missing-prototypes -Wno-missing-declarations -Wno-strict-prototypes
cflags-gen/tid.c-y += -Wno-declaration-after-statement -Wno-shadow -Wno-cast-align -Wno-sign-compare
cflags-gen/tid.c-y += -Wno-switch-default -Wno-nested-externs -Wno-bad-function-cast
