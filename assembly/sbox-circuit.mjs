// The algebra and circuit tools the S-box circuit derivations share (sm4/sm4-circuit.mjs for SM4,
// aes/aes-circuit.mjs for AES): GF(2^8) arithmetic modulo either field polynomial, GF(2) matrices as
// arrays of row bitmasks, the 5 AND + 11 XOR GF(2^4) inverter of Boyar and Peralta (inputs 0..3,
// outputs INV16_OUT) and its table, gate evaluation, and Paar's greedy common-subexpression
// elimination for the linear layers with a seeded, deterministic tie-break (so the generated
// kernels are reproducible). Imported by generators only; nothing here runs in the module.

const fail = (what) => {
  throw new Error(`sbox-circuit.mjs: ${what}`);
};

export const par = (x) => {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
};
/** Arithmetic in GF(2^8) modulo the degree-8 polynomial `modulus` (AES: 0x11B; SM4: 0x1F5). */
export function gf256(modulus) {
  const gmul = (a, b) => {
    let r = 0;
    for (; b; b >>>= 1) {
      if (b & 1) r ^= a;
      a <<= 1;
      if (a & 0x100) a ^= modulus;
    }
    return r;
  };
  const gpow = (a, e) => {
    let r = 1;
    for (; e; e >>>= 1) {
      if (e & 1) r = gmul(r, a);
      a = gmul(a, a);
    }
    return r;
  };
  const ginv = (a) => (a ? gpow(a, 254) : 0);
  const sq = (a) => gmul(a, a);
  return { gmul, gpow, ginv, sq };
}
/** Bit i of the result is parity(rows[i] & x). */
export const matVec = (rows, x) => rows.reduce((r, row, i) => r | (par(row & x) << i), 0);
/** Rows of the GF(2)-linear function f (nin input bits, nout output bits). */
export const rowsOf = (f, nin, nout) => {
  const cols = Array.from({ length: nin }, (_, j) => f(1 << j));
  return Array.from({ length: nout }, (_, i) => cols.reduce((r, c, j) => r | (((c >> i) & 1) << j), 0));
};
/** Inverse of an n×n GF(2) matrix given by rows, or null. */
export function matInv(rows, n) {
  const m = rows.map((r, i) => [r, 1 << i]);
  for (let c = 0; c < n; c++) {
    const p = m.findIndex((r, i) => i >= c && (r[0] >> c) & 1);
    if (p < 0) return null;
    [m[c], m[p]] = [m[p], m[c]];
    for (let i = 0; i < n; i++)
      if (i !== c && (m[i][0] >> c) & 1) {
        m[i][0] ^= m[c][0];
        m[i][1] ^= m[c][1];
      }
  }
  return m.map((r) => r[1]);
}

// The GF(2^4) inverter (Boyar–Peralta), and its table.
export const INV16 = [
  ["x", 0, 1],
  ["a", 0, 2],
  ["x", 3, 5],
  ["a", 4, 6],
  ["x", 7, 1],
  ["x", 2, 3],
  ["x", 1, 5],
  ["a", 10, 9],
  ["x", 11, 3],
  ["x", 2, 12],
  ["x", 6, 12],
  ["a", 3, 14],
  ["x", 15, 13],
  ["x", 6, 15],
  ["a", 8, 17],
  ["x", 4, 18],
];
export const INV16_OUT = [8, 12, 16, 19];
export function evalGates(gates, inputs) {
  const v = inputs.slice();
  for (const [op, a, b] of gates) v.push(op === "x" ? v[a] ^ v[b] : v[a] & v[b]);
  return v;
}
export const inv16 = Array.from({ length: 16 }, (_, x) => {
  const v = evalGates(
    INV16,
    [0, 1, 2, 3].map((i) => (x >> i) & 1),
  );
  return INV16_OUT.reduce((r, s, i) => r | (v[s] << i), 0);
});
// All (Q, P) with coords(1/w) = P·inv16(Q·coords(w)): the inverter in this basis.

// Paar's greedy XOR elimination.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** XOR gates computing every target (bitmask over n inputs); random(): tie-break, or first. */
export function paar(targets, n, random) {
  const sets = targets.map((t) => Array.from({ length: n }, (_, i) => i).filter((i) => (t >>> i) & 1));
  const gates = [];
  for (let next = n; ; next++) {
    const count = new Map();
    let best = 0;
    for (const s of sets)
      for (let i = 0; i < s.length; i++)
        for (let j = i + 1; j < s.length; j++) {
          const key = Math.min(s[i], s[j]) * 4096 + Math.max(s[i], s[j]);
          const c = (count.get(key) ?? 0) + 1;
          count.set(key, c);
          best = Math.max(best, c);
        }
    if (best === 0) break;
    const cands = [...count]
      .filter(([, c]) => c === best)
      .map(([k]) => k)
      .sort((x, y) => x - y);
    const key = cands[random ? Math.floor(random() * cands.length) : 0];
    const [a, b] = [Math.floor(key / 4096), key % 4096];
    gates.push([a, b]);
    for (const s of sets) {
      const [ia, ib] = [s.indexOf(a), s.indexOf(b)];
      if (ia >= 0 && ib >= 0) {
        s.splice(Math.max(ia, ib), 1);
        s.splice(Math.min(ia, ib), 1);
        s.push(next);
      }
    }
  }
  return { gates, out: sets.map((s) => (s.length === 1 ? s[0] : fail("zero target"))) };
}
export function bestPaar(targets, n, trials, seed) {
  let best = paar(targets, n, null);
  const random = rng(seed);
  for (let t = 0; t < trials; t++) {
    const r = paar(targets, n, random);
    if (r.gates.length < best.gates.length) best = r;
  }
  return best;
}
export const single = (t) => (t & (t - 1)) === 0;
