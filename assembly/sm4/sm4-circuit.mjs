// The SM4 S-box (GB/T 32907-2016 §6.2) as a Boolean circuit for bitsliced kernels, and the
// round-key constants that go with it. Imported by bitslice.gen.mjs (wasm SIMD, 32 blocks) and
// bitslice-scalar.gen.mjs (u32 / u64 planes, 8 / 16 blocks); it writes nothing itself.
//
// The circuit is derived here and checked on all 256 inputs when the module loads:
// 1. S(x) = A·inv(A·x ⊕ 0xD3) ⊕ 0xD3, inversion in GF(2^8) modulo x^8+x^7+x^6+x^5+x^4+x^2+1, A the
//    bit circulant whose row i is rotl(0xA7, i) (checked by brute force). The input constant is
//    moved in front of A (S(x) = S'(x ⊕ A⁻¹·0xD3) ⊕ 0xD3) and both constants are folded into the
//    round keys: the output constant only adds a known word to some state words (it depends on
//    the round number, not on data or key) and is cancelled again after 32 rounds; see KAPPA.
// 2. inv is computed in a tower GF(((2^2)^2)^2) with normal basis {Y, Y^16} over GF(2^4):
//    for x = a0·Y + a1·Y^16, Δ = x^17 = τ²·a0·a1 + N·(a0 + a1)² lies in GF(2^4) and
//    x⁻¹ = (Δ⁻¹·a1)·Y + (Δ⁻¹·a0)·Y^16. GF(2^4) products use 9 ANDs (Karatsuba over GF(2^2) over
//    GF(2)); Δ⁻¹ uses a 5-AND, 11-XOR GF(2^4) inverter (Boyar–Peralta), fitted to this basis
//    by a change of coordinates found by search. Structure: linear top layer, 9 ANDs, linear,
//    inverter, linear, 18 ANDs, linear bottom layer (the Boyar–Peralta shape).
// 3. The linear layers are all GF(2)-matrices computed here; their XOR counts come from Paar's
//    greedy common-subexpression elimination with seeded random tie-breaks (deterministic).
//    The tower basis (Y, h, g below) was picked by an offline search over bases for the
//    smallest total.
// Result: 118 gates (32 AND, 86 XOR, no NOT), against ~200 for a plain tower circuit.
import { par, gf256, matVec, rowsOf, matInv, INV16, INV16_OUT, evalGates, inv16, paar, bestPaar, single } from "../sbox-circuit.mjs";

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

const { gmul, gpow, ginv, sq } = gf256(0x1f5);
const fail = (what) => {
  throw new Error(`sm4-circuit.mjs: ${what}`);
};

// ---- 1. S(x) = A·inv(A·x ⊕ 0xD3) ⊕ 0xD3; S'(y) = A·inv(A·y), S(x) = S'(x ⊕ C_IN) ⊕ C_OUT ----
const A_ROWS = Array.from({ length: 8 }, (_, i) => ((0xa7 << i) | (0xa7 >>> (8 - i))) & 255);
const amul = (x) => matVec(A_ROWS, x);
const C_OUT = 0xd3;
const C_IN = matVec(matInv(A_ROWS, 8), C_OUT);
for (let x = 0; x < 256; x++) {
  if ((amul(ginv(amul(x) ^ C_OUT)) ^ C_OUT) !== SBOX[x]) fail("S-box decomposition");
  if ((amul(ginv(amul(x ^ C_IN))) ^ C_OUT) !== SBOX[x]) fail("input constant");
}
const sCore = (y) => amul(ginv(amul(y)));

// ---- 2. Tower basis: {Y, Y^16} over GF(2^4), {h0, h1} over GF(2^2), {g0, g1} over GF(2) ----
const Y = 7,
  H = [43, 92],
  G = [1, 93];
const YS = [Y, gpow(Y, 16)];
const B16 = [0, 1].flatMap((j) => [0, 1].map((k) => gmul(H[j], G[k]))); // coordinate 2j+k
const B256 = [0, 1].flatMap((i) => B16.map((e) => gmul(YS[i], e))); // coordinate 4i+2j+k
const combine = (basis, c) => basis.reduce((r, e, m) => ((c >> m) & 1 ? r ^ e : r), 0);
const e16 = (c) => combine(B16, c & 15);
const co16 = new Map(Array.from({ length: 16 }, (_, c) => [e16(c), c]));
const co256 = new Map(Array.from({ length: 256 }, (_, c) => [combine(B256, c), c]));
if (co16.size !== 16 || co256.size !== 256) fail("tower basis is not a basis");
const c16 = (e) => co16.get(e) ?? fail("element outside GF(2^4)");
// Karatsuba: the 9 linear forms of a GF(2^4) element (over its 4 coordinates) whose pairwise
// ANDs give a product, and the constant each AND contributes: a·b = Σ_k (f_k(a)·f_k(b))·E_k.
const half = (J, k) => (J === 0 ? 1 << k : J === 1 ? 1 << (2 + k) : (1 << k) | (1 << (2 + k)));
const coef = (u) => [sq(u[0]) ^ gmul(u[0], u[1]), sq(u[1]) ^ gmul(u[0], u[1]), gmul(u[0], u[1])];
const FORMS = [],
  E = [];
for (let J = 0; J < 3; J++)
  for (let K = 0; K < 3; K++) {
    FORMS.push(K === 2 ? half(J, 0) ^ half(J, 1) : half(J, K));
    E.push(gmul(coef(H)[J], coef(G)[K]));
  }
for (let a = 0; a < 16; a++)
  for (let b = 0; b < 16; b++) {
    let r = 0;
    for (let k = 0; k < 9; k++) if (par(FORMS[k] & a) & par(FORMS[k] & b)) r ^= E[k];
    if (r !== gmul(e16(a), e16(b))) fail("GF(2^4) product formula");
  }
const TAU2 = sq(YS[0] ^ YS[1]),
  NORM = gmul(YS[0], YS[1]);
for (let c = 0; c < 256; c++) {
  const [a0, a1] = [e16(c), e16(c >> 4)];
  const d = gmul(TAU2, gmul(a0, a1)) ^ gmul(NORM, sq(a0 ^ a1));
  const x = combine(B256, c);
  if (d !== gpow(x, 17) || gmul(YS[0], gmul(ginv(d), a1)) ^ gmul(YS[1], gmul(ginv(d), a0)) ^ ginv(x)) fail("norm/inverse formula");
}

// ---- 3. GF(2^4) inverter: 5 AND + 11 XOR on inputs 0..3 (Boyar–Peralta), and coordinates ----
const FITS = [];
for (let q = 0; q < 65536; q++) {
  const Q = [q & 15, (q >> 4) & 15, (q >> 8) & 15, (q >> 12) & 15];
  if (!matInv(Q, 4)) continue;
  const g = new Array(16);
  for (let c = 0; c < 16; c++) g[c16(ginv(e16(c)))] = inv16[matVec(Q, c)];
  let linear = true;
  for (let c = 0; c < 16; c++) if ([0, 1, 2, 3].reduce((r, i) => ((c >> i) & 1 ? r ^ g[1 << i] : r), 0) !== g[c]) linear = false;
  const P =
    linear &&
    matInv(
      rowsOf((c) => g[c], 4, 4),
      4,
    );
  if (P) FITS.push({ Q, P });
}
if (FITS.length === 0) fail("the inverter does not fit this basis");

// ---- 4. Linear layers, Paar's greedy XOR elimination ----
/** The four linear layers' targets for one inverter fit. */
function layers({ Q, P }) {
  const towerRows = rowsOf((y) => co256.get(amul(y)), 8, 8); // y -> tower coordinates of A·y
  const top = [];
  for (let s = 0; s < 2; s++)
    for (const f of FORMS) top.push([0, 1, 2, 3].reduce((r, i) => ((f >> i) & 1 ? r ^ towerRows[4 * s + i] : r), 0));
  const lin = rowsOf(
    (y) => {
      const c = co256.get(amul(y));
      return c16(gmul(NORM, sq(e16(c) ^ e16(c >> 4))));
    },
    8,
    4,
  );
  for (let m = 0; m < 4; m++) top.push([0, 1, 2, 3].reduce((r, i) => ((Q[m] >> i) & 1 ? r ^ lin[i] : r), 0));
  // inverter input m over (p_0..p_8, l_0..l_3): Q·(τ²·a0·a1 + linear part)
  const mid = [0, 1, 2, 3].map((m) => E.reduce((r, e, k) => r | (par(Q[m] & c16(gmul(TAU2, e))) << k), 1 << (9 + m)));
  const forms = FORMS.map((f) => [0, 1, 2, 3].reduce((r, i) => ((f >> i) & 1 ? r ^ P[i] : r), 0));
  const bottom = rowsOf(
    (v) => {
      let lo = 0,
        hi = 0;
      for (let k = 0; k < 9; k++) {
        if ((v >> k) & 1) lo ^= c16(E[k]);
        if ((v >> (9 + k)) & 1) hi ^= c16(E[k]);
      }
      return amul(combine(B256, lo | (hi << 4)));
    },
    18,
    8,
  );
  return { top, mid, forms, bottom };
}
const cost = (L) =>
  [
    [L.top, 8],
    [L.mid, 13],
    [L.forms, 4],
    [L.bottom, 18],
  ].reduce(
    (s, [t, n]) =>
      s +
      paar(
        t.filter((x) => !single(x)),
        n,
        null,
      ).gates.length,
    0,
  );
const fitCosts = FITS.map((f) => cost(layers(f)));
const LAYERS = layers(FITS[fitCosts.indexOf(Math.min(...fitCosts))]);

// ---- 5. The circuit: gates [op, a, b] over signals, inputs 0..7 = bits of y ----
const CIRCUIT = (() => {
  const gates = [];
  const add = (op, a, b) => gates.push([op, a, b]) + 7;
  const linear = (targets, inputs, seed) => {
    const multi = targets.filter((t) => !single(t));
    const r = bestPaar(multi, inputs.length, 100, seed);
    const sig = inputs.slice();
    for (const [a, b] of r.gates) sig.push(add("x", sig[a], sig[b]));
    let i = 0;
    return targets.map((t) => (single(t) ? sig[31 - Math.clz32(t)] : sig[r.out[i++]]));
  };
  const top = linear(LAYERS.top, [0, 1, 2, 3, 4, 5, 6, 7], 1);
  const [fa0, fa1, lin] = [top.slice(0, 9), top.slice(9, 18), top.slice(18)];
  const p = fa0.map((s, k) => add("a", s, fa1[k]));
  const v = linear(LAYERS.mid, [...p, ...lin], 2);
  for (const [op, a, b] of INV16) v.push(add(op, v[a], v[b]));
  const fd = linear(
    LAYERS.forms,
    INV16_OUT.map((i) => v[i]),
    3,
  );
  const q = fd.map((s, k) => add("a", s, fa1[k]));
  const r = fd.map((s, k) => add("a", s, fa0[k]));
  return { gates, out: linear(LAYERS.bottom, [...q, ...r], 4) };
})();
for (let y = 0; y < 256; y++) {
  const v = evalGates(
    CIRCUIT.gates,
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => (y >> i) & 1),
  );
  if (CIRCUIT.out.reduce((r, s, i) => r | (v[s] << i), 0) !== sCore(y)) fail(`circuit wrong at ${y}`);
  if ((CIRCUIT.out.reduce((r, s, i) => r | (v[s] << i), 0) ^ C_OUT) !== SBOX[y ^ C_IN]) fail(`S-box wrong at ${y}`);
}
const N_AND = CIRCUIT.gates.filter((g) => g[0] === "a").length;
const N_XOR = CIRCUIT.gates.length - N_AND;

// ---- 6. Round-key constants ----
// With W_i = W'_i ⊕ δ_i the kernel computes W'_{i+4} = W'_i ⊕ L(S'(W'_{i+1} ⊕ W'_{i+2} ⊕ W'_{i+3} ⊕
// rk_i ⊕ KAPPA[i mod 8])), where δ_{i+4} = δ_i ⊕ L(C_OUT·0x01010101), δ_0..3 = 0, so δ_i is that
// constant when ⌊i/4⌋ is odd, and KAPPA[i] = C_IN·0x01010101 ⊕ δ_{i+1} ⊕ δ_{i+2} ⊕ δ_{i+3}.
const rotl = (x, n) => ((x << n) | (x >>> (32 - n))) >>> 0;
const L = (b) => (b ^ rotl(b, 2) ^ rotl(b, 10) ^ rotl(b, 18) ^ rotl(b, 24)) >>> 0;
const delta = (i) => (Math.floor(i / 4) % 2 ? L((C_OUT * 0x01010101) >>> 0) : 0);
const KAPPA = Array.from({ length: 8 }, (_, i) => ((C_IN * 0x01010101) ^ delta(i + 1) ^ delta(i + 2) ^ delta(i + 3)) >>> 0);
if (delta(32) | delta(33) | delta(34) | delta(35)) fail("the output would need a correction");

export { SBOX, C_IN, C_OUT, CIRCUIT, N_AND, N_XOR, KAPPA, evalGates, fail };
