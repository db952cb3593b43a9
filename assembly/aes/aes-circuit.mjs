// The AES S-box and its inverse (FIPS 197 §5.1.1, §5.3.2) as Boolean circuits for the bitsliced
// kernels of bitslice.gen.mjs; it writes nothing itself. The method is that of
// assembly/sm4/sm4-circuit.mjs, applied to AES's field and affine map:
// 1. S(x) = M·inv(x) ⊕ 0x63 and S⁻¹(x) = inv(M⁻¹·x ⊕ 0x05), inversion in GF(2^8) modulo
//    x^8+x^4+x^3+x+1, M the circulant whose row i is 0xF1 rotated left by i (FIPS 197 eq. 5.1).
//    The circuits compute the linear cores S'(x) = M·inv(x) and S⁻¹'(y) = inv(M⁻¹·y); the
//    constant 0x63 (0x05 = M⁻¹·0x63) is folded into the round keys: it passes ShiftRows and
//    MixColumns unchanged (the MixColumns coefficients 2 ⊕ 3 ⊕ 1 ⊕ 1 sum to 1), see aes.ts.
// 2. inv is computed in a tower GF(((2^2)^2)^2) with normal basis {Y, Y^16} over GF(2^4):
//    for x = a0·Y + a1·Y^16, Δ = x^17 = τ²·a0·a1 + N·(a0 + a1)² lies in GF(2^4) and
//    x⁻¹ = (Δ⁻¹·a1)·Y + (Δ⁻¹·a0)·Y^16. GF(2^4) products use 9 ANDs (Karatsuba over GF(2^2) over
//    GF(2)); Δ⁻¹ uses a 5-AND, 11-XOR GF(2^4) inverter (Boyar–Peralta), fitted to the basis by a
//    change of coordinates found by search. Linear top layer, 9 ANDs, linear, inverter, linear,
//    18 ANDs, linear bottom layer.
// 3. The linear layers' XOR counts come from Paar's greedy common-subexpression elimination with
//    seeded random tie-breaks (deterministic). The tower basis (Y, H, G below) was picked by an
//    offline search over bases for the smallest total of both circuits.
// Both circuits are checked on all 256 inputs when the module loads, against the S-box computed
// from its definition and against FIPS 197's printed values.
import { par, gf256, matVec, rowsOf, matInv, INV16, INV16_OUT, evalGates, inv16, paar, bestPaar, single } from "../sbox-circuit.mjs";

const { gmul, gpow, ginv, sq } = gf256(0x11b);
const fail = (what) => {
  throw new Error(`aes-circuit.mjs: ${what}`);
};

// ---- 1. The S-box from its definition, checked against FIPS 197's printed values ----
const M_ROWS = Array.from({ length: 8 }, (_, i) => ((0xf1 << i) | (0xf1 >>> (8 - i))) & 255);
const mmul = (x) => matVec(M_ROWS, x);
const M_INV_ROWS = matInv(M_ROWS, 8) ?? fail("M is not invertible");
const minv = (x) => matVec(M_INV_ROWS, x);
const SBOX = Array.from({ length: 256 }, (_, x) => mmul(ginv(x)) ^ 0x63);
const INV_SBOX = Array.from({ length: 256 }, (_, x) => ginv(minv(x ^ 0x63)));
// FIPS 197 Figure 7 (first and last row) and the §5.1.1 example S(53) = ED; Figure 14's first row
const FIG7 = [
  [0x00, [0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76]],
  [0xf0, [0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16]],
];
for (const [at, row] of FIG7) row.forEach((v, i) => SBOX[at + i] === v || fail(`S-box differs from FIPS 197 at ${at + i}`));
if (SBOX[0x53] !== 0xed) fail("S(53) != ED");
[0x52, 0x09, 0x6a, 0xd5, 0x30, 0x36, 0xa5, 0x38, 0xbf, 0x40, 0xa3, 0x9e, 0x81, 0xf3, 0xd7, 0xfb].forEach(
  (v, i) => INV_SBOX[i] === v || fail(`inverse S-box differs from FIPS 197 at ${i}`),
);
for (let x = 0; x < 256; x++) if (INV_SBOX[SBOX[x]] !== x) fail("S⁻¹ is not the inverse of S");

// ---- 2. Tower basis: {Y, Y^16} over GF(2^4), {h0, h1} over GF(2^2), {g0, g1} over GF(2) ----
// Y ∉ GF(2^4); H = {h, h^4} ⊂ GF(2^4) \ GF(2^2); G = {g, g^2} = GF(2^2) \ GF(2). Of the bases
// searched (Y among the first twelve elements outside GF(2^4), all such H and G), this one gives
// the fewest gates for the two circuits together.
const TOWER = { Y: 10, H: [81, 236], G: [188, 189] };

/**
 * The circuit of y -> post(inv(pre(y))) for GF(2)-linear pre and post, in the tower basis
 * {Y, H, G}; null when that basis does not work. `seed` seeds the tie-breaks.
 */
export function deriveCircuit(pre, post, Y, H, G, trials = 100) {
  const YS = [Y, gpow(Y, 16)];
  const B16 = [0, 1].flatMap((j) => [0, 1].map((k) => gmul(H[j], G[k])));
  const B256 = [0, 1].flatMap((i) => B16.map((e) => gmul(YS[i], e)));
  const combine = (basis, c) => basis.reduce((r, e, m) => ((c >> m) & 1 ? r ^ e : r), 0);
  const e16 = (c) => combine(B16, c & 15);
  const co16 = new Map(Array.from({ length: 16 }, (_, c) => [e16(c), c]));
  const co256 = new Map(Array.from({ length: 256 }, (_, c) => [combine(B256, c), c]));
  if (co16.size !== 16 || co256.size !== 256) return null;
  for (const e of B16) if (gpow(e, 16) !== e) return null; // B16 must lie in GF(2^4)
  const c16 = (e) => co16.get(e) ?? fail("element outside GF(2^4)");
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
      if (r !== gmul(e16(a), e16(b))) return null;
    }
  const TAU2 = sq(YS[0] ^ YS[1]),
    NORM = gmul(YS[0], YS[1]);
  for (let c = 0; c < 256; c++) {
    const [a0, a1] = [e16(c), e16(c >> 4)];
    const d = gmul(TAU2, gmul(a0, a1)) ^ gmul(NORM, sq(a0 ^ a1));
    const x = combine(B256, c);
    if (d !== gpow(x, 17) || gmul(YS[0], gmul(ginv(d), a1)) ^ gmul(YS[1], gmul(ginv(d), a0)) ^ ginv(x)) return null;
  }
  // GF(2^4) inverter, 5 AND + 11 XOR on inputs 0..3 (Boyar–Peralta), fitted by (Q, P)
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
  if (FITS.length === 0) return null;
  const layers = ({ Q, P }) => {
    const towerRows = rowsOf((y) => co256.get(pre(y)), 8, 8);
    const top = [];
    for (let s = 0; s < 2; s++)
      for (const f of FORMS) top.push([0, 1, 2, 3].reduce((r, i) => ((f >> i) & 1 ? r ^ towerRows[4 * s + i] : r), 0));
    const lin = rowsOf(
      (y) => {
        const c = co256.get(pre(y));
        return c16(gmul(NORM, sq(e16(c) ^ e16(c >> 4))));
      },
      8,
      4,
    );
    for (let m = 0; m < 4; m++) top.push([0, 1, 2, 3].reduce((r, i) => ((Q[m] >> i) & 1 ? r ^ lin[i] : r), 0));
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
        return post(combine(B256, lo | (hi << 4)));
      },
      18,
      8,
    );
    return { top, mid, forms, bottom };
  };
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
  const L = layers(FITS[fitCosts.indexOf(Math.min(...fitCosts))]);
  const gates = [];
  const add = (op, a, b) => gates.push([op, a, b]) + 7;
  const linear = (targets, inputs, seed) => {
    const multi = targets.filter((t) => !single(t));
    const r = bestPaar(multi, inputs.length, trials, seed);
    const sig = inputs.slice();
    for (const [a, b] of r.gates) sig.push(add("x", sig[a], sig[b]));
    let i = 0;
    return targets.map((t) => (single(t) ? sig[31 - Math.clz32(t)] : sig[r.out[i++]]));
  };
  const top = linear(L.top, [0, 1, 2, 3, 4, 5, 6, 7], 1);
  const [fa0, fa1, lin] = [top.slice(0, 9), top.slice(9, 18), top.slice(18)];
  const p = fa0.map((s, k) => add("a", s, fa1[k]));
  const v = linear(L.mid, [...p, ...lin], 2);
  for (const [op, a, b] of INV16) v.push(add(op, v[a], v[b]));
  const fd = linear(
    L.forms,
    INV16_OUT.map((i) => v[i]),
    3,
  );
  const q = fd.map((s, k) => add("a", s, fa1[k]));
  const r = fd.map((s, k) => add("a", s, fa0[k]));
  const circuit = { gates, out: linear(L.bottom, [...q, ...r], 4) };
  for (let y = 0; y < 256; y++) if (evalCircuit(circuit, y) !== post(ginv(pre(y)))) fail(`circuit wrong at ${y}`);
  return circuit;
}

/** The circuit's output byte for input byte y. */
export function evalCircuit(circuit, y) {
  const v = evalGates(
    circuit.gates,
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => (y >> i) & 1),
  );
  return circuit.out.reduce((r, s, i) => r | (v[s] << i), 0);
}

const identity = (x) => x;
const FWD = deriveCircuit(identity, mmul, TOWER.Y, TOWER.H, TOWER.G) ?? fail("the tower basis does not work (S)");
const INV = deriveCircuit(minv, identity, TOWER.Y, TOWER.H, TOWER.G) ?? fail("the tower basis does not work (S⁻¹)");
for (let x = 0; x < 256; x++) {
  if ((evalCircuit(FWD, x) ^ 0x63) !== SBOX[x]) fail(`S wrong at ${x}`);
  if (evalCircuit(INV, x ^ 0x63) !== INV_SBOX[x]) fail(`S⁻¹ wrong at ${x}`);
}
const count = (c) => ({ and: c.gates.filter((g) => g[0] === "a").length, xor: c.gates.filter((g) => g[0] === "x").length });

export { SBOX, INV_SBOX, FWD, INV, count, fail };
