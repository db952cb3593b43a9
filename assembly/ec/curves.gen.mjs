// Generates curves.ts — for each short-Weierstrass curve with a = −3 and p ≡ −1 (mod 2^29) the
// project uses, Montgomery multiplication, squaring and reduction modulo its prime as
// straight-line AssemblyScript, and its parameter block (field and scalar constants); and, for
// every curve, Montgomery multiplication modulo the group order n (snMontMul):
//   node assembly/ec/curves.gen.mjs > assembly/ec/curves.ts
// Curves: SM2 (sm2p256v1, GB/T 32918.5-2017) and P-256 (secp256r1, SEC 2 §2.4.2 / FIPS 186-4
// D.1.2.3). Adding a curve of the same shape is one more entry in CURVES.
//
// Representation (field.ts explains the bounds): 9 signed limbs of radix 2^29 (i32 in memory,
// i64 in registers), in the Montgomery domain with R = 2^261.
// Why (measured on this project's bench machine, docs/benchmarks.md § SM2):
// - wasm has no 64×64→128 multiply; with 29-bit limbs a product fits in 58 bits and a column of
//   9 products in 63, so columns are plain i64 sums — no per-product carry handling, half the
//   operations of 8 × 32-bit product scanning;
// - p ≡ −1 (mod 2^29), so the Montgomery quotient digit is just the low 29 bits of the column,
//   and adding q·p is a few shifted adds: each ±2^e term of p lands at limb ⌊e/29⌋ shifted by
//   e mod 29 (SM2: 2^256 = limb 8 << 24, 2^224 = limb 7 << 21, 2^96 = limb 3 << 9, 2^64 = limb
//   2 << 6; P-256 has 2^192 = limb 6 << 18 instead of the 2^64 term);
// - signed limbs make subtraction a limb-wise difference with no borrow and no offset;
// - sums are balanced trees so independent additions can run in parallel.
const CURVES = [
  {
    name: "Sm2",
    upper: "SM2",
    doc: "SM2 (sm2p256v1, GB/T 32918.5-2017)",
    // p = 2^256 − 2^224 − 2^96 + 2^64 − 1
    terms: [
      [256, 1n],
      [224, -1n],
      [96, -1n],
      [64, 1n],
      [0, -1n],
    ],
    b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
    gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
    gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
    n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
    // GB/T 32918.1 §6.1: d ∈ [1, n − 2]
    privLimitDoc: "n − 1 (GB/T 32918.1 §6.1: d ∈ [1, n − 2])",
    privLimit: (n) => n - 1n,
  },
  {
    name: "P256",
    upper: "P256",
    doc: "P-256 (secp256r1, SEC 2 §2.4.2, FIPS 186-4 D.1.2.3)",
    // p = 2^256 − 2^224 + 2^192 + 2^96 − 1
    terms: [
      [256, 1n],
      [224, -1n],
      [192, 1n],
      [96, 1n],
      [0, -1n],
    ],
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    // SEC 1 §3.2.1: d ∈ [1, n − 1]
    privLimitDoc: "n (SEC 1 §3.2.1: d ∈ [1, n − 1])",
    privLimit: (n) => n,
  },
];
const R = 2n ** 261n;
const LIMBS = 9;
const MASK = "0x1fffffff";
const out = [];
const emit = (s) => out.push(s);

// The parameter block: every curve's constants at the same offsets (bytes).
const FE = 40; // one field element: 9 × i32 limbs + padding
const BN = 32; // one 256-bit number: 8 × u32 limbs
const LAYOUT = [
  ["PARAM_P", FE, "p as non-negative 29-bit limbs (plain)"],
  ["PARAM_R2", FE, "R² mod p (plain limbs): multiplying by it enters the Montgomery domain"],
  ["PARAM_ONE", FE, "1 in the Montgomery domain (R mod p)"],
  ["PARAM_B", FE, "the curve coefficient b in the Montgomery domain"],
  ["PARAM_GX", FE, "x of the base point G in the Montgomery domain"],
  ["PARAM_GY", FE, "y of the base point G in the Montgomery domain"],
  ["PARAM_P32", BN, "p as 8 × u32 limbs (range checks on encoded coordinates)"],
  ["PARAM_N", BN, "the order n of G, 8 × u32 limbs"],
  ["PARAM_N_MINUS_2", BN, "n − 2, the exponent of the scalar inversion (public)"],
  ["PARAM_RN2", BN, "R² mod n, R = 2^256: enters the scalar Montgomery domain"],
  ["PARAM_PRIV_LIMIT", BN, "private keys are in [1, PRIV_LIMIT − 1]"],
  ["PARAM_N0", 16, "−n^(−1) mod 2^32 (u32, then padding)"],
];

function tree(ts) {
  if (ts.length === 1) return ts[0];
  const mid = ts.length >> 1;
  return `(${tree(ts.slice(0, mid))} + ${tree(ts.slice(mid))})`;
}

/** Balanced signed limbs (each in [−2^28, 2^28), top limb unbounded) of x (any integer ≥ 0). */
function limbs(x) {
  const ls = [];
  for (let i = 0; i < LIMBS - 1; i++) {
    let l = x & (2n ** 29n - 1n);
    if (l >= 2n ** 28n) l -= 2n ** 29n;
    ls.push(l);
    x = (x - l) >> 29n;
  }
  ls.push(x);
  return ls;
}
const u32 = (x) => "0x" + BigInt.asUintN(32, x).toString(16).padStart(8, "0");
const words = (x, count) => Array.from({ length: count }, (_, i) => (x >> BigInt(32 * i)) & 0xffffffffn);
const inverse = (a, m) => {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1) [r0, r1, s0, s1] = [r1, r0 % r1, s1, s0 - (r0 / r1) * s1];
  return ((s0 % m) + m) % m;
};

function loadLimbs(name, ptr) {
  const xs = [];
  for (let i = 0; i < LIMBS; i++) xs.push(`${name}${i} = <i64>load<i32>(${ptr}, ${4 * i})`);
  emit(`  const ${xs.slice(0, 5).join(", ")};`);
  emit(`  const ${xs.slice(5).join(", ")};`);
}

/** Limb index and shift of the term 2^e. */
const at = (e) => [Math.floor(e / 29), e % 29];
/** `x += c·(v << s)` as AssemblyScript. */
const addShifted = (x, c, v, s) => `${x} ${c > 0n ? "+=" : "-="} ${s ? `${v} << ${s}` : v};`;

emit(`// GENERATED by curves.gen.mjs — do not edit by hand; change the generator and rerun it.
// For each curve (${CURVES.map((c) => c.doc).join("; ")}):
// Montgomery multiplication, squaring and reduction modulo its prime over 9 signed radix-2^29
// limbs, R = 2^261, and its parameter block; then Montgomery multiplication modulo n for both
// (snMontMul, 8 × 32-bit limbs). See the generator for the design and field.ts for the bounds.
// Straight-line, time independent of the values; r may alias any input.
`);

emit(`// Offsets (bytes) in a curve's parameter block.`);
{
  let off = 0;
  for (const [name, size, doc] of LAYOUT) {
    emit(`/** ${doc} */`);
    emit(`export const ${name}: usize = ${off};`);
    off += size;
  }
  emit(`/** Bytes of one parameter block. */`);
  emit(`export const PARAMS_SIZE: usize = ${off};`);
  emit("");
}

for (const curve of CURVES) {
  const { name, upper, terms, n } = curve;
  const p = terms.reduce((s, [e, c]) => s + c * 2n ** BigInt(e), 0n);
  if (p % 2n ** 29n !== 2n ** 29n - 1n) throw new Error(`${name}: p ≢ −1 mod 2^29`);
  if (terms[0][0] !== 256 || terms[0][1] !== 1n) throw new Error(`${name}: p must start at 2^256`);
  if (terms.at(-1)[0] !== 0 || terms.at(-1)[1] !== -1n) throw new Error(`${name}: p must end in −1`);
  if (n >= 2n ** 256n || n <= 2n ** 255n) throw new Error(`${name}: n must be a 256-bit number with its top bit set`);
  const mod = (a) => ((a % p) + p) % p;
  const upperTerms = terms.filter(([e]) => e > 0).sort((x, y) => x[0] - y[0]);

  // parameter block
  const block = [];
  const fe = (x) => [...limbs(x), 0n].map(u32);
  const plain = [];
  for (let x = p, i = 0; i < LIMBS; i++, x >>= 29n) plain.push(x & (2n ** 29n - 1n));
  block.push([...plain, 0n].map(u32));
  block.push(fe(mod(R * R)));
  block.push(fe(mod(R)));
  block.push(fe(mod(curve.b * R)));
  block.push(fe(mod(curve.gx * R)));
  block.push(fe(mod(curve.gy * R)));
  block.push(words(p, 8).map(u32));
  block.push(words(n, 8).map(u32));
  block.push(words(n - 2n, 8).map(u32));
  block.push(words(2n ** 512n % n, 8).map(u32));
  block.push(words(curve.privLimit(n), 8).map(u32));
  block.push([u32((2n ** 32n - inverse(n % 2n ** 32n, 2n ** 32n)) % 2n ** 32n), "0", "0", "0"]);
  emit(`/** The parameter block of ${curve.doc}; PRIV_LIMIT = ${curve.privLimitDoc}. */`);
  emit(`export const ${upper}_PARAMS: usize = memory.data<u32>([`);
  for (const row of block) emit(`  ${row.join(", ")},`);
  emit(`]);`);
  emit("");

  /** Emit the Montgomery reduction of columns t0..t16 and the store of the result into r. */
  const emitReduce = () => {
    for (let i = 0; i < LIMBS; i++) {
      emit(`  q = t${i} & ${MASK}; t${i + 1} += t${i} >> 29;`);
      emit(
        "  " +
          upperTerms
            .map(([e, c]) => {
              const [l, s] = at(e);
              return addShifted(`t${i + l}`, c, "q", s);
            })
            .join(" "),
      );
    }
    // result limbs t9..t16 (+ a ninth from the carries), normalised to balanced 29-bit limbs
    emit(`  let c: i64;`);
    for (let j = 0; j < 8; j++) {
      emit(
        `  c = (t${9 + j} + 0x10000000) >> 29; store<i32>(r, <i32>(t${9 + j} - (c << 29)), ${4 * j});` +
          (j < 7 ? ` t${10 + j} += c;` : ` store<i32>(r, <i32>c, 32);`),
      );
    }
  };
  const emitColumns = (products) => {
    for (let k = 0; k <= 16; k++) emit(`  let t${k}: i64 = ${tree(products[k])};`);
    emit(`  let q: i64;`);
  };

  emit(`/** r = a · b · R^(−1) mod p of ${curve.doc}. */
export function fpMul${name}(r: usize, a: usize, b: usize): void {`);
  loadLimbs("a", "a");
  loadLimbs("b", "b");
  {
    const cols = [];
    for (let k = 0; k <= 16; k++) {
      cols.push([]);
      for (let i = Math.max(0, k - 8); i <= Math.min(8, k); i++) cols[k].push(`a${i} * b${k - i}`);
    }
    emitColumns(cols);
  }
  emitReduce();
  emit(`}
`);

  emit(`/** r = a² · R^(−1) mod p of ${curve.doc}. */
export function fpSqr${name}(r: usize, a: usize): void {`);
  loadLimbs("a", "a");
  emit(`  const ${Array.from({ length: 8 }, (_, i) => `d${i} = a${i} << 1`).join(", ")};`);
  {
    const cols = [];
    for (let k = 0; k <= 16; k++) {
      cols.push([]);
      for (let i = Math.max(0, k - 8); i <= Math.min(8, k); i++) {
        const j = k - i;
        if (i < j) cols[k].push(`d${i} * a${j}`);
        else if (i === j) cols[k].push(`a${i} * a${i}`);
      }
    }
    emitColumns(cols);
  }
  emitReduce();
  emit(`}
`);

  // 2^256 ≡ 2^256 − p = −Σ (the terms of p below 2^256)
  const fold = terms
    .filter(([e]) => e < 256)
    .sort((x, y) => x[0] - y[0])
    .map(([e, c]) => {
      const [l, s] = at(e);
      return addShifted(`l${l}`, -c, "h", s);
    })
    .join(" ");
  emit(`/**
 * r ≡ a modulo p of ${curve.doc}, tight (limbs 0..7 in [−2^28, 2^28), |value| < 2^256):
 * carries, then folds the bits above 2^256 back in (2^256 ≡ 2^256 − p). Accepts any stored element.
 */
export function fpReduce${name}(r: usize, a: usize): void {
  let l0 = <i64>load<i32>(a, 0), l1 = <i64>load<i32>(a, 4), l2 = <i64>load<i32>(a, 8);
  let l3 = <i64>load<i32>(a, 12), l4 = <i64>load<i32>(a, 16), l5 = <i64>load<i32>(a, 20);
  let l6 = <i64>load<i32>(a, 24), l7 = <i64>load<i32>(a, 28), l8 = <i64>load<i32>(a, 32);
  let c: i64;
  for (let pass = 0; pass < 2; pass++) {
${Array.from({ length: 8 }, (_, i) => `    c = (l${i} + 0x10000000) >> 29; l${i} -= c << 29; l${i + 1} += c;`).join("\n")}
    if (pass == 0) {
      // l8 carries weight 2^232; h = the part from 2^256 up (rounded), folded back
      const h = (l8 + 0x800000) >> 24;
      l8 -= h << 24;
      ${fold}
    }
  }
  store<i32>(r, <i32>l0, 0); store<i32>(r, <i32>l1, 4); store<i32>(r, <i32>l2, 8);
  store<i32>(r, <i32>l3, 12); store<i32>(r, <i32>l4, 16); store<i32>(r, <i32>l5, 20);
  store<i32>(r, <i32>l6, 24); store<i32>(r, <i32>l7, 28); store<i32>(r, <i32>l8, 32);
}
`);
}

// Scalar Montgomery multiplication modulo n (any odd 256-bit n: both curves' orders), CIOS over
// 8 × 32-bit limbs held in locals: each u32 × u32 product plus two u32 terms fits a u64, so the
// carries are plain shifts. Straight-line, time independent of the values.
{
  const M = "0xffffffff";
  emit(`/**
 * r = a · b · 2^(−256) mod n for a, b < n (8 little-endian u32 limbs each); n and
 * ninv = −n^(−1) mod 2^32 are the curve's. Montgomery's CIOS method, unrolled; r may alias a or b.
 */
export function snMontMul(r: usize, a: usize, b: usize, n: usize, ninv: u64): void {`);
  for (let j = 0; j < 8; j++) emit(`  const a${j} = <u64>load<u32>(a, ${4 * j}), n${j} = <u64>load<u32>(n, ${4 * j});`);
  emit(`  let t0: u64 = 0, t1: u64 = 0, t2: u64 = 0, t3: u64 = 0, t4: u64 = 0, t5: u64 = 0, t6: u64 = 0, t7: u64 = 0;`);
  emit(`  let t8: u64 = 0, c: u64, m: u64, bi: u64, h: u64;`);
  for (let i = 0; i < 8; i++) {
    emit(`  // limb ${i} of b: t += a·b${i}, then t = (t + m·n) / 2^32`);
    emit(`  bi = <u64>load<u32>(b, ${4 * i});`);
    emit(`  c = t0 + a0 * bi; t0 = c & ${M};`);
    for (let j = 1; j < 8; j++) emit(`  c = (c >> 32) + t${j} + a${j} * bi; t${j} = c & ${M};`);
    emit(`  c = (c >> 32) + t8; t8 = c & ${M}; h = c >> 32;`);
    emit(`  m = (t0 * ninv) & ${M};`);
    emit(`  c = (t0 + m * n0) >> 32;`);
    for (let j = 1; j < 8; j++) emit(`  c += t${j} + m * n${j}; t${j - 1} = c & ${M}; c >>= 32;`);
    emit(`  c += t8; t7 = c & ${M}; t8 = h + (c >> 32);`);
  }
  emit(`  // t < 2n: subtract n once when t ≥ n (t8 is the ninth limb)`);
  emit(`  let d: i64 = <i64>t0 - <i64>n0;`);
  emit(`  const u0 = <u64>d & ${M};`);
  for (let j = 1; j < 8; j++) emit(`  d = (d >> 32) + <i64>t${j} - <i64>n${j}; const u${j} = <u64>d & ${M};`);
  emit(`  const keep = <u64>((d >> 32) + <i64>t8);   // −1 (all ones) when t < n: keep t; 0: take t − n`);
  for (let j = 0; j < 8; j++) emit(`  store<u32>(r, <u32>((t${j} & keep) | (u${j} & ~keep)), ${4 * j});`);
  emit(`}`);
}

process.stdout.write(out.join("\n").replace(/\n+$/, "") + "\n");
