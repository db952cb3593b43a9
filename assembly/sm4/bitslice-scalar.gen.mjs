// Generates bitslice-scalar.ts, SM4 (GB/T 32907-2016) bitsliced over plain integers for the
// portable build (no wasm SIMD), constant time: run
// `node assembly/sm4/bitslice-scalar.gen.mjs > assembly/sm4/bitslice-scalar.ts`.
//
// The same "byte-plane" bitslicing as bitslice.gen.mjs, with a u32 or u64 for a plane instead of
// a v128: word j (j = 0..3) of every block is 8 planes, plane b holds bit b of each of the word's
// four bytes. A plane is four lanes of 8 (u32) or 16 (u64) bits, lane q = the byte at offset q of
// the big-endian word in memory (byte position 3 - q, counted from the least significant byte),
// and bit i of a lane is block i. So a u32 plane carries 8 blocks (sm4Crypt8Scalar) and a u64
// plane 16 (sm4Crypt16Scalar). One round, for all blocks and bytes together:
//   X = W1 ^ W2 ^ W3 ^ rk   24 XORs, plus about 40 operations that turn rk's bits into lane masks
//                           (shifts, ANDs and a subtraction; no multiply, no table);
//   S(X)                    the S-box circuit of sm4-circuit.mjs (118 gates) on the 8 planes;
//   L(B)                    rotations by 2 move bits to the next plane (bits 6, 7 wrap into the
//                           next byte position), rotations by multiples of 8 bits of the word are
//                           rotations of the plane by whole lanes: 26 rotations and 32 XORs.
// Transposition in and out: blocks are loaded as u32 (or u64) words, and the bits are moved to the
// planes by SWAPMOVE steps, each exchanging one bit of the position inside a word with one bit of
// the word's index (and, for u64, two swaps of position bits inside each word). The generator
// tracks every bit through these steps and checks the layout before writing anything; the output
// runs the same steps in reverse order (each one is an involution).
// The round-key constants KAPPA fold the S-box's affine constants into the round keys, as in
// bitslice.gen.mjs. sm4TauScalar is the plain τ of one word on the same circuit (key schedule).

import { C_IN, C_OUT, CIRCUIT, KAPPA, N_AND, N_XOR, fail } from "./sm4-circuit.mjs";

const hex = (x, bits) => "0x" + x.toString(16).padStart(bits / 4, "0");
const out = [];
const emit = (s) => out.push(s);

/** Mask over a `bits`-bit word of the positions p with pred(p). */
const maskOf = (bits, pred) => {
  let m = 0n;
  for (let p = 0; p < bits; p++) if (pred(p)) m |= 1n << BigInt(p);
  return m;
};

/**
 * One kernel: `bits` = 32 (8 blocks) or 64 (16 blocks). Blocks are loaded as words of `bits`
 * bits: word index w, in-word position p; the transposition is a list of steps
 *   ["x", a, k]: exchange in-word address bit a with word-index bit k;
 *   ["s", a, c]: swap in-word address bits a < c inside every word.
 */
function kernel(name, bits, steps) {
  const T = bits === 32 ? "u32" : "u64";
  const nb = bits / 4; // blocks
  const lw = bits / 4; // lane width in bits
  const perWord = bits / 8; // bytes of a block per loaded word
  const words = 32;
  const lit = (v) => (bits === 32 ? hex(Number(v), 32) : `<u64>${hex(BigInt(v), 64)}`);
  // ---- track the transposition: label of a bit = (block i, byte m, bit b) ----
  const layout = Array.from({ length: words }, (_, w) =>
    Array.from({ length: bits }, (_, p) => {
      const i = Math.floor(w / (16 / perWord));
      const m = (w % (16 / perWord)) * perWord + (p >> 3);
      return { i, m, b: p & 7 };
    }),
  );
  for (const [op, a, c] of steps) {
    if (op === "x") {
      const d = 1 << a;
      for (let w = 0; w < words; w++)
        if (!((w >> c) & 1))
          for (let p = 0; p < bits; p++)
            if (!((p >> a) & 1)) [layout[w][p + d], layout[w | (1 << c)][p]] = [layout[w | (1 << c)][p], layout[w][p + d]];
    } else {
      const D = (1 << c) - (1 << a);
      for (let w = 0; w < words; w++)
        for (let p = 0; p < bits; p++)
          if ((p >> a) & 1 && !((p >> c) & 1)) [layout[w][p], layout[w][p + D]] = [layout[w][p + D], layout[w][p]];
    }
  }
  // each word must be one plane (j, b); position p = lw·q + blockBit(i), the same blockBit everywhere
  const planeAt = new Map();
  let blockBit = null;
  layout.forEach((word, w) => {
    const j = word[0].m >> 2,
      b = word[0].b;
    const bb = new Array(nb).fill(-1);
    word.forEach(({ i, m, b: bit }, p) => {
      if (m >> 2 !== j || bit !== b || (m & 3) !== Math.floor(p / lw)) fail(`${name}: word ${w} is not a plane at ${p}`);
      bb[i] = p % lw;
    });
    if (blockBit && bb.join() !== blockBit.join()) fail(`${name}: block order differs between planes`);
    blockBit = bb;
    planeAt.set(`${j},${b}`, w);
  });
  if (planeAt.size !== 32) fail(`${name}: planes missing`);

  const W = (j, b) => `w${j}_${b}`;
  const x = (w) => `x${w}`;
  const emitSteps = (list) => {
    for (const [op, a, c] of list) {
      if (op === "x") {
        const d = 1 << a;
        const m = lit(maskOf(bits, (p) => !((p >> a) & 1)));
        for (let w = 0; w < words; w++)
          if (!((w >> c) & 1)) {
            const y = w | (1 << c);
            emit(`    t = ((${x(w)} >> ${d}) ^ ${x(y)}) & ${m};`);
            emit(`    ${x(y)} ^= t;`);
            emit(`    ${x(w)} ^= t << ${d};`);
          }
      } else {
        const D = (1 << c) - (1 << a);
        const m = lit(maskOf(bits, (p) => (p >> a) & 1 && !((p >> c) & 1)));
        for (let w = 0; w < words; w++) {
          emit(`    t = ((${x(w)} >> ${D}) ^ ${x(w)}) & ${m};`);
          emit(`    ${x(w)} ^= t ^ (t << ${D});`);
        }
      }
    }
  };
  const offset = (w) => Math.floor(w / (16 / perWord)) * 16 + (w % (16 / perWord)) * perWord;

  emit(`
/**
 * Encrypts the ${nb} consecutive 16-byte blocks at \`src\` into \`dst\` (${16 * nb} bytes; \`src\` may equal
 * \`dst\`) with the 32 round keys at \`rk\` (u32 values rk_0..rk_31). Decrypts with the round keys
 * in reverse order. Planes are ${T}: ${nb} blocks × 4 byte positions.
 */
export function ${name}(rk: usize, src: usize, dst: usize): void {`);
  for (let j = 0; j < 4; j++) emit(`  let ${Array.from({ length: 8 }, (_, b) => `${W(j, b)}: ${T}`).join(", ")};`);
  emit(`  {
    // In: load the blocks as ${T} words, then move every bit to its plane.
    let t: ${T};`);
  for (let w = 0; w < words; w += 4)
    emit(`    let ${[0, 1, 2, 3].map((k) => `${x(w + k)} = load<${T}>(src, ${offset(w + k)})`).join(", ")};`);
  emitSteps(steps);
  for (let j = 0; j < 4; j++) emit(`    ${Array.from({ length: 8 }, (_, b) => `${W(j, b)} = ${x(planeAt.get(`${j},${b}`))};`).join(" ")}`);
  emit(`  }
  for (let r: usize = 0; r < 128; r += 32) {`);
  // R(v, s): lane q takes lane q + s (byte position p takes byte position p - s: rotl by 8s)
  const R = (v, s) => `rotr<${T}>(${v}, ${lw * s})`;
  const LSB = lit(maskOf(bits, (p) => p % lw === 0));
  for (let i = 0; i < 8; i++) {
    const [a, b, c, d] = [0, 1, 2, 3].map((k) => (i + k) % 4);
    emit(`    {
      // round 8n+${i}: ${W(a, "*")} ^= L(S(${W(b, "*")} ^ ${W(c, "*")} ^ ${W(d, "*")} ^ rk))
      // lane q of e holds rk's byte position 3 - q; plane b's mask is bit b of each lane copied to
      // the whole lane: (t << ${lw}) - t with t the lanes' bit b (no carry crosses a lane)`);
    if (bits === 32) emit(`      const e = bswap<u32>(load<u32>(rk + r, ${4 * i}) ^ ${hex(KAPPA[i], 32)});`);
    else
      emit(`      let e = <u64>bswap<u32>(load<u32>(rk + r, ${4 * i}) ^ ${hex(KAPPA[i], 32)});
      e = (e | (e << 16)) & <u64>0x0000ffff0000ffff;
      e = (e | (e << 8)) & <u64>0x00ff00ff00ff00ff;`);
    for (let bit = 0; bit < 8; bit++) {
      emit(`      const k${bit} = ${bit ? `(e >> ${bit})` : "e"} & ${LSB};`);
      emit(`      const s${bit} = ${W(b, bit)} ^ ${W(c, bit)} ^ ${W(d, bit)} ^ ((k${bit} << ${lw}) - k${bit});`);
    }
    CIRCUIT.gates.forEach(([op, p, q], g) => emit(`      const s${8 + g} = s${p} ${op === "x" ? "^" : "&"} s${q};`));
    const S = (bit) => `s${CIRCUIT.out[bit]}`;
    // L: with V_b = B_b ^ R1(B_b) and Z_b = B_b ^ R1(V_b), plane b of L(B) is
    // R3(V_b) ^ Z_{b-2} for b >= 2 and R3(V_b) ^ R1(Z_{b+6}) for b < 2.
    for (let bit = 0; bit < 8; bit++) emit(`      const v${bit} = ${S(bit)} ^ ${R(S(bit), 1)};`);
    for (let bit = 0; bit < 8; bit++) emit(`      const z${bit} = ${S(bit)} ^ ${R(`v${bit}`, 1)};`);
    for (let bit = 0; bit < 8; bit++) emit(`      ${W(a, bit)} ^= ${R(`v${bit}`, 3)} ^ ${bit >= 2 ? `z${bit - 2}` : R(`z${bit + 6}`, 1)};`);
    emit(`    }`);
  }
  emit(`  }
  {
    // Out: the block's word j is X_{35-j}, now in slot 3 - j; the steps of the input in reverse.
    let t: ${T};`);
  for (let w = 0; w < words; w += 4)
    emit(
      `    let ${[0, 1, 2, 3]
        .map((k) => {
          const { m, b } = layout[w + k][0];
          return `${x(w + k)} = ${W(3 - (m >> 2), b)}`;
        })
        .join(", ")};`,
    );
  emitSteps([...steps].reverse());
  for (let w = 0; w < words; w += 4) emit(`    ${[0, 1, 2, 3].map((k) => `store<${T}>(dst, ${x(w + k)}, ${offset(w + k)});`).join(" ")}`);
  emit(`  }
}`);
}

emit(`// GENERATED by bitslice-scalar.gen.mjs — do not edit by hand; change the generator and rerun it.
// SM4 block cipher (GB/T 32907-2016) bitsliced over u32 and u64 planes, for the portable build
// (no wasm SIMD): 8 or 16 blocks at once, each 32-bit word of the blocks as 8 bit-planes, and the
// S-box as a ${CIRCUIT.gates.length}-gate Boolean circuit (${N_AND} AND, ${N_XOR} XOR) over them, derived and checked on
// all 256 inputs by sm4-circuit.mjs. Constant time: no table look-ups, no memory address or
// branch depends on key or data.`);
// u32: words (block i, word j) at index 4i + j; address bits 0-2 (bit) go to the index's block bits
kernel("sm4Crypt8Scalar", 32, [
  ["x", 0, 2],
  ["x", 1, 3],
  ["x", 2, 4],
]);
// u64: words (block i, half k) at index 2i + k; bits 0-2 and the word parity (address bit 5) go to
// the index's block bits, then address bits 3..5 rotate so the byte offset is the lane (bits 4, 5)
kernel("sm4Crypt16Scalar", 64, [
  ["x", 0, 1],
  ["x", 1, 2],
  ["x", 2, 3],
  ["x", 5, 4],
  ["s", 4, 5],
  ["s", 3, 4],
]);

// τ of one word: plane b = bit b of each byte, the circuit, and back.
const cin = (C_IN * 0x01010101) >>> 0,
  cout = (C_OUT * 0x01010101) >>> 0;
emit(`
/** τ (the S-box on each byte) of the word \`x\`, on the same circuit: constant time. */
export function sm4TauScalar(x: u32): u32 {
  const y = x ^ ${hex(cin, 32)};`);
for (let bit = 0; bit < 8; bit++) emit(`  const s${bit} = ${bit ? `(y >> ${bit})` : "y"} & 0x01010101;`);
CIRCUIT.gates.forEach(([op, p, q], g) => emit(`  const s${8 + g} = s${p} ${op === "x" ? "^" : "&"} s${q};`));
emit(
  `  return (${[0, 1, 2, 3, 4, 5, 6, 7].map((bit) => (bit ? `(s${CIRCUIT.out[bit]} << ${bit})` : `s${CIRCUIT.out[bit]}`)).join(" | ")}) ^ ${hex(cout, 32)};
}`,
);
console.log(out.join("\n"));
