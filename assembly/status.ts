// Status codes of every wasm export (docs/abi.md "Conventions"): 0 = OK, negative = error, grouped
// by layer. This is the one table; bindings/status.ts mirrors it for TypeScript (a test keeps them
// equal).

export const OK: i32 = 0;

// -1xx arguments
export const ERR_BAD_PARAM: i32 = -100;        // a pointer/length/flag outside what the call accepts
export const ERR_BUFFER_TOO_SHORT: i32 = -101; // output capacity too small (the needed size is reported)
export const ERR_BAD_LENGTH: i32 = -102;       // an input length the algorithm cannot take
export const ERR_BAD_KEY_INDEX: i32 = -103;    // key or session slot index out of range
export const ERR_OUT_OF_BOUNDS: i32 = -104;    // pointer + length reaches outside linear memory

// -2xx state
export const ERR_NOT_INITIALISED: i32 = -200;
export const ERR_NO_PENDING_REQUEST: i32 = -201;
export const ERR_SLOT_EMPTY: i32 = -202;       // key / session slot holds no key
export const ERR_BUSY: i32 = -203;             // a call is already in progress on this context
export const ERR_TOKEN_IN_SE: i32 = -204;      // the SE keeps the session token inside: the wasm has no copy
export const ERR_WRONG_STATE: i32 = -205;      // a call out of order for this context (TID-TLS)

// -3xx protocol
export const ERR_BAD_FORMAT: i32 = -300;
export const ERR_UNSUPPORTED_VERSION: i32 = -301;
export const ERR_UNSUPPORTED_ALGORITHM: i32 = -302;
export const ERR_TID_MISMATCH: i32 = -303;
export const ERR_VERIFY_FAILED: i32 = -304;     // a MAC / tag / signature did not verify
export const ERR_REPLAY: i32 = -305;            // counter replayed or reordered (AEAD messages)

// -4xx crypto
export const ERR_BAD_POINT: i32 = -400;         // not on the curve, coordinate >= p, or infinity
export const ERR_RNG_FAILED: i32 = -401;
export const ERR_BAD_SCALAR: i32 = -402;        // private key 0 or >= n-1, or r/s out of range
export const ERR_BAD_PADDING: i32 = -403;       // PKCS#7 padding invalid on decrypt
export const ERR_CLOCK_FAILED: i32 = -404;      // the host's `now` failed or gave a time outside 0..2^32-1

// -5xx secure element and link (the SW is carried in the last SE status, see tid_last_sw)
export const ERR_SE_TIMEOUT: i32 = -500;
export const ERR_SE_NACK: i32 = -501;
export const ERR_SE_CHECKSUM: i32 = -502;
export const ERR_SE_STATUS_WORD: i32 = -503;
export const ERR_SE_IO: i32 = -504;
export const ERR_SE_NOT_CONFIGURED: i32 = -505; // SE backend chosen but the host gave no transceive
export const ERR_SE_NOT_AUTHENTIC: i32 = -506;  // shielded link: the SE did not prove the pinned link key
export const ERR_SE_SESSION_LOST: i32 = -507;   // shielded link: the session ended and the command could not be repeated safely
export const ERR_SE_BAD_MAC: i32 = -508;        // shielded link: a response failed its R-MAC or was malformed
