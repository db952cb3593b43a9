// Generates sbox.ts, the SM4 S-box τ (GB/T 32907-2016 §6.2) computed with arithmetic instead of a
// table look-up: run `node assembly/sm4/sbox.gen.mjs > assembly/sm4/sbox.ts`.
//
// Why: a 256-byte table indexed by secret bytes leaks them through the cache. Wasm SIMD has one
// 16-entry look-up that touches no memory, i8x16.swizzle, so the S-box is rebuilt from 4-bit
// pieces:
//
// 1. SM4's S-box is an inversion in GF(2^8) between two affine maps (found and checked below by
//    brute force): S(x) = A·inv(A·x ⊕ 0xD3) ⊕ 0xD3, inversion modulo
//    x^8 + x^7 + x^6 + x^5 + x^4 + x^2 + 1, A the 8×8 bit circulant whose row i is rotl(0xA7, i).
// 2. GF(2^8) is a degree-2 extension of its subfield GF(2^4). Pick ω with ω + ω^16 = 1; then
//    every y is i·ω + j·ω^16 with nibbles i, j in GF(2^4), and with N = ω^17 (in GF(2^4)) and
//    k = i + j the inverse comes from one-variable functions of nibbles and XORs only:
//      io = 1/(1/i + 1/(N·k)) + j,  jo = 1/(1/j + 1/(N·k)) + i,
//    and inv(y) is a GF(2)-linear function of (1/io, 1/jo). "1/0" is an out-of-range index
//    (0x80), which swizzle turns into 0, so zero needs no special case.
// 3. The input map A·x ⊕ 0xD3 followed by the change to (i, j) coordinates is affine, so it is
//    two 16-entry tables on the low and high nibble of x; the output map, from (io, jo) through
//    1/·, the linear combination, ω-coordinates and A, is two 16-entry tables plus 0xD3.
//
// Nine swizzles and fourteen other vector operations map 16 bytes at once. Every table and every
// step is verified here against the standard's table for all 256 inputs before anything is
// written.

// GB/T 32907-2016 §6.2, the S-box as the standard prints it (row = high nibble).
const SBOX = [
  0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7, 0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05, 0x2b, 0x67, 0x9a, 0x76, 0x2a, 0xbe, 0x04,
  0xc3, 0xaa, 0x44, 0x13, 0x26, 0x49, 0x86, 0x06, 0x99, 0x9c, 0x42, 0x50, 0xf4, 0x91, 0xef, 0x98, 0x7a, 0x33, 0x54, 0x0b, 0x43, 0xed, 0xcf,
  0xac, 0x62, 0xe4, 0xb3, 0x1c, 0xa9, 0xc9, 0x08, 0xe8, 0x95, 0x80, 0xdf, 0x94, 0xfa, 0x75, 0x8f, 0x3f, 0xa6, 0x47, 0x07, 0xa7, 0xfc, 0xf3,
  0x73, 0x17, 0xba, 0x83, 0x59, 0x3c, 0x19, 0xe6, 0x85, 0x4f, 0xa8, 0x68, 0x6b, 0x81, 0xb2, 0x71, 0x64, 0xda, 0x8b, 0xf8, 0xeb, 0x0f, 0x4b,
  0x70, 0x56, 0x9d, 0x35, 0x1e, 0x24, 0x0e, 0x5e, 0x63, 0x58, 0xd1, 0xa2, 0x25, 0x22, 0x7c, 0x3b, 0x01, 0x21, 0x78, 0x87, 0xd4, 0x00, 0x46,
  0x57, 0x9f, 0xd3, 0x27, 0x52, 0x4c, 0x36, 0x02, 0xe7, 0xa0, 0xc4, 0xc8, 0x9e, 0xea, 0xbf, 0x8a, 0xd2, 0x40, 0xc7, 0x38, 0xb5, 0xa3, 0xf7,
  0xf2, 0xce, 0xf9, 0x61, 0x15, 0xa1, 0xe0, 0xae, 0x5d, 0xa4, 0x9b, 0x34, 0x1a, 0x55, 0xad, 0x93, 0x32, 0x30, 0xf5, 0x8c, 0xb1, 0xe3, 0x1d,
  0xf6, 0xe2, 0x2e, 0x82, 0x66, 0xca, 0x60, 0xc0, 0x29, 0x23, 0xab, 0x0d, 0x53, 0x4e, 0x6f, 0xd5, 0xdb, 0x37, 0x45, 0xde, 0xfd, 0x8e, 0x2f,
  0x03, 0xff, 0x6a, 0x72, 0x6d, 0x6c, 0x5b, 0x51, 0x8d, 0x1b, 0xaf, 0x92, 0xbb, 0xdd, 0xbc, 0x7f, 0x11, 0xd9, 0x5c, 0x41, 0x1f, 0x10, 0x5a,
  0xd8, 0x0a, 0xc1, 0x31, 0x88, 0xa5, 0xcd, 0x7b, 0xbd, 0x2d, 0x74, 0xd0, 0x12, 0xb8, 0xe5, 0xb4, 0xb0, 0x89, 0x69, 0x97, 0x4a, 0x0c, 0x96,
  0x77, 0x7e, 0x65, 0xb9, 0xf1, 0x09, 0xc5, 0x6e, 0xc6, 0x84, 0x18, 0xf0, 0x7d, 0xec, 0x3a, 0xdc, 0x4d, 0x20, 0x79, 0xee, 0x5f, 0x3e, 0xd7,
  0xcb, 0x39, 0x48,
];

// ---- GF(2^8) modulo x^8 + x^7 + x^6 + x^5 + x^4 + x^2 + 1 --------------------------------------
const POLY = 0x1f5;
const C = 0xd3;
const mul = (a, b) => {
  let r = 0;
  for (; b; b >>= 1) {
    if (b & 1) r ^= a;
    a <<= 1;
    if (a & 0x100) a ^= POLY;
  }
  return r;
};
const pow = (a, e) => {
  let r = 1;
  for (; e; e >>= 1, a = mul(a, a)) if (e & 1) r = mul(r, a);
  return r;
};
const inv = (a) => (a ? pow(a, 254) : 0);
const parity = (x) => {
  x ^= x >> 4;
  x ^= x >> 2;
  x ^= x >> 1;
  return x & 1;
};
const ROWS = Array.from({ length: 8 }, (_, i) => ((0xa7 << i) | (0xa7 >> (8 - i))) & 0xff);
const A = (x) => ROWS.reduce((y, row, i) => y | (parity(row & x) << i), 0);
for (let x = 0; x < 256; x++) if ((A(inv(A(x) ^ C)) ^ C) !== SBOX[x]) throw new Error(`S-box decomposition fails at ${x}`);

// ---- the subfield GF(2^4) and the ω-coordinates ---------------------------------------------------
const sub = [...Array(256).keys()].filter((z) => pow(z, 16) === z);
const g = sub.find((z) => pow(z, 3) !== 1 && pow(z, 5) !== 1 && z > 1);
const basis = [1, g, mul(g, g), mul(g, mul(g, g))];
const el = (n) => basis.reduce((e, b, bit) => ((n >> bit) & 1 ? e ^ b : e), 0);
const nib = new Map([...Array(16).keys()].map((n) => [el(n), n]));
if (nib.size !== 16 || sub.length !== 16) throw new Error("GF(2^4) basis");
const w = [...Array(256).keys()].find((z) => (z ^ pow(z, 16)) === 1);
const w16 = pow(w, 16);
const N = mul(w, w16);
if (!nib.has(N)) throw new Error("norm of ω outside GF(2^4)");
const coords = new Map();
for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) coords.set(mul(el(i), w) ^ mul(el(j), w16), (i << 4) | j);
if (coords.size !== 256) throw new Error("ω, ω^16 is not a basis");

// ---- the tables -------------------------------------------------------------------------------------
const OUT_OF_RANGE = 0x80;
const range16 = (f) => Array.from({ length: 16 }, (_, n) => f(n));
const tin = (x) => coords.get(A(x) ^ C); // (i << 4) | j
const TIN_LO = range16((n) => tin(n));
const TIN_HI = range16((n) => tin(n << 4) ^ tin(0));
const INV = range16((n) => (n ? nib.get(inv(el(n))) : OUT_OF_RANGE));
const INV_NK = range16((k) => (k ? nib.get(inv(mul(N, el(k)))) : OUT_OF_RANGE));
// inv(y) = i'ω + j'ω^16 with i' = N·u + (N+1)·v, j' = (N+1)·u + N·v, u = 1/io, v = 1/jo
const cu = mul(N, w) ^ mul(N ^ 1, w16);
const cv = mul(N ^ 1, w) ^ mul(N, w16);
const OUT_IO = range16((io) => A(mul(io ? inv(el(io)) : 0, cu)));
const OUT_JO = range16((jo) => A(mul(jo ? inv(el(jo)) : 0, cv)));

// check the exact instruction sequence emitted below, with swizzle's out-of-range rule
const swz = (t, i) => (i < 16 ? t[i] : 0);
for (let x = 0; x < 256; x++) {
  const y = swz(TIN_LO, x & 15) ^ swz(TIN_HI, x >> 4);
  const i = y >> 4,
    j = y & 15;
  const a = swz(INV_NK, i ^ j);
  const io = swz(INV, swz(INV, i) ^ a) ^ j;
  const jo = swz(INV, swz(INV, j) ^ a) ^ i;
  const s = swz(OUT_IO, io) ^ swz(OUT_JO, jo) ^ C;
  if (s !== SBOX[x]) throw new Error(`vector S-box wrong at ${x}: ${s} != ${SBOX[x]}`);
}

// ---- output -----------------------------------------------------------------------------------------
const tables = [
  ["TIN_LO", TIN_LO, "input map A·x ⊕ 0xD3 into (i, j) coordinates, low nibble of x (constant included)"],
  ["TIN_HI", TIN_HI, "the same map's part from the high nibble of x"],
  ["INV", INV, "1/n in GF(2^4); 1/0 is out of range (reads as 0)"],
  ["INV_NK", INV_NK, "1/(N·k)"],
  ["OUT_IO", OUT_IO, "A·(1/io contribution to the inverse), a byte"],
  ["OUT_JO", OUT_JO, "A·(1/jo contribution to the inverse), a byte"],
  ["NIBBLE", range16(() => 0x0f), "low-nibble mask"],
  ["OUT_C", range16(() => C), "the output constant 0xD3"],
];
const hex = (b) => "0x" + b.toString(16).padStart(2, "0");
const out = [];
out.push(`// GENERATED by sbox.gen.mjs — do not edit by hand; change the generator and rerun it.
// SM4 S-box τ (GB/T 32907-2016 §6.2) on 16 bytes at once, by GF((2^4)^2) arithmetic with
// i8x16.swizzle as the only look-up: no memory access depends on the input, so its timing does
// not either. The generator explains the construction and checks it on all 256 inputs.

// Eight 16-byte tables, 16-byte aligned. Their addresses are constants, never data.
const TABLES: usize = memory.data<u8>(
  [`);
for (const [name, t, what] of tables) out.push(`    // ${name}: ${what}\n    ${t.map(hex).join(", ")},`);
out.push(`  ],
  16,
);
`);
tables.forEach(([name], k) => out.push(`const ${name}: usize = TABLES + ${k * 16};`));
out.push(`
/** τ applied to each of the 16 bytes of \`x\`. */
// @ts-ignore: decorator
@inline
export function sm4Tau16(x: v128): v128 {
  const nibble = v128.load(NIBBLE);
  const y = v128.xor(
    i8x16.swizzle(v128.load(TIN_LO), v128.and(x, nibble)),
    i8x16.swizzle(v128.load(TIN_HI), v128.and(i16x8.shr_u(x, 4), nibble)),
  );
  const i = v128.and(i16x8.shr_u(y, 4), nibble);
  const j = v128.and(y, nibble);
  const inv = v128.load(INV);
  const a = i8x16.swizzle(v128.load(INV_NK), v128.xor(i, j));
  const io = v128.xor(i8x16.swizzle(inv, v128.xor(i8x16.swizzle(inv, i), a)), j);
  const jo = v128.xor(i8x16.swizzle(inv, v128.xor(i8x16.swizzle(inv, j), a)), i);
  return v128.xor(v128.xor(i8x16.swizzle(v128.load(OUT_IO), io), i8x16.swizzle(v128.load(OUT_JO), jo)), v128.load(OUT_C));
}`);
console.log(out.join("\n"));
