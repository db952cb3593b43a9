// Scalar multiplication on the SM2 curve, with the same sequence of operations and memory
// accesses whatever the scalar's bits:
// - the scalar k (1 ≤ k < n) is first made smaller than 2^255 by taking n − k when its top bit is
//   set (and negating the result), then written in 64 signed radix-16 digits in [−8, 8]
//   (Booth recoding, as in OpenSSL's ecp_nistz256);
// - fixed base G: a table of d·16^i·G (d = 1..8, i = 0..63, affine, 32 KiB) built once at first
//   use, so [k]G is 64 mixed additions and no doubling;
// - variable base P: a table of P..8P, then 4 doublings and one addition per digit.
// Table entries are read by scanning the whole row with masks; a negative digit negates y by
// mask. Infinity and zero digits are handled by masked selection. The other exceptional cases
// (adding equal or opposite points) cannot occur: every partial sum has magnitude below
// 16^(i+1) < n and differs from the entry it is added to (see docs/abi.md, SM2).
import { bnSub, bnIsZeroMask, cmov } from "./bn";
import { P, fpSub, fpInv, fpMul } from "./field";
import { N } from "./scalar";
import { G, AFFINE_SIZE, JAC_SIZE, jacDouble, jacAdd, jacAddAffine, jacIsInfinityMask } from "./point";

const WINDOWS: usize = 64;
const ROW: usize = 8 * AFFINE_SIZE;                        // one window: 1·B … 8·B, B = 16^i G
const GTABLE: usize = memory.data(<i32>(WINDOWS * ROW), 16);
let gTableReady = false;

const K: usize = memory.data(40, 16);                      // recoded scalar (+ 8 zero bytes)
const ACC: usize = memory.data(<i32>JAC_SIZE, 16);
const SUM: usize = memory.data(<i32>JAC_SIZE, 16);
const ENTRY: usize = memory.data(<i32>JAC_SIZE, 16);       // selected entry (affine or Jacobian)
const NEG_Y: usize = memory.data(32, 16);
const VTABLE: usize = memory.data(<i32>JAC_SIZE * 8, 16); // P … 8P

/**
 * Load k (limbs, 1 ≤ k < n) into K as k or n − k, whichever is below 2^255.
 * Returns all ones when it took n − k (the result must then be negated).
 */
function loadScalar(k: usize): u64 {
  const flip: u64 = <u64>0 - <u64>(load<u32>(k, 28) >> 31);
  bnSub(K, N, k);
  cmov(K, k, ~flip, 32);
  store<u64>(K, 0, 32);
  return flip;
}

/** Booth digit i (bits 4i−1 … 4i+3 of K): returns magnitude | (sign << 8), magnitude 0..8. */
// @ts-ignore: decorator
@inline
function digit(i: usize): u32 {
  const bit = (i << 2) + 31;                               // bit 4i − 1, offset by 32
  const limb = (bit >> 5) - 1;                             // may be −1 for i = 0
  const pair: u64 = limb == <usize>-1
    ? <u64>load<u32>(K) << 32
    : load<u64>(K + (limb << 2));
  const w = <u32>(pair >> ((bit & 31))) & 0x1f;
  const s: u32 = ~((w >> 4) - 1);                          // all ones when the top bit is set
  let d: u32 = (1 << 5) - w - 1;
  d = (d & s) | (w & ~s);
  d = (d >> 1) + (d & 1);
  return d | ((s & 1) << 8);
}

/** Mask: all ones when a == b (both small), else 0. */
// @ts-ignore: decorator
@inline
function eqMask(a: u32, b: u32): u64 {
  return <u64>((<i64>(a ^ b) - 1) >> 63);
}

/** ENTRY (first `size` bytes) = row[mag − 1], or zeros when mag = 0; scans all 8 entries. */
function select(row: usize, size: usize, mag: u32): void {
  let a0 = i64x2.splat(0), a1 = i64x2.splat(0), a2 = i64x2.splat(0), a3 = i64x2.splat(0);
  let a4 = i64x2.splat(0), a5 = i64x2.splat(0);
  for (let j: u32 = 0; j < 8; j++) {
    const m = i64x2.splat(<i64>eqMask(j + 1, mag));
    const e = row + <usize>j * size;
    a0 = v128.or(a0, v128.and(v128.load(e), m));
    a1 = v128.or(a1, v128.and(v128.load(e, 16), m));
    a2 = v128.or(a2, v128.and(v128.load(e, 32), m));
    a3 = v128.or(a3, v128.and(v128.load(e, 48), m));
    if (size > 64) {                                       // size is not secret
      a4 = v128.or(a4, v128.and(v128.load(e, 64), m));
      a5 = v128.or(a5, v128.and(v128.load(e, 80), m));
    }
  }
  v128.store(ENTRY, a0); v128.store(ENTRY, a1, 16); v128.store(ENTRY, a2, 32); v128.store(ENTRY, a3, 48);
  if (size > 64) { v128.store(ENTRY, a4, 64); v128.store(ENTRY, a5, 80); }
}

/** Negate ENTRY's y coordinate when `neg` is all ones (y ≠ 0 for every point of order n). */
function condNegateY(neg: u64): void {
  fpSub(NEG_Y, P, ENTRY + 32);
  cmov(ENTRY + 32, NEG_Y, neg, 32);
}

// ---------------------------------------------------------------------------------------------
// Fixed base

const BASE: usize = memory.data(<i32>JAC_SIZE, 16);        // 16^i G
const ZS: usize = memory.data(8 * 8 * 32, 16);             // Z of 8 windows' entries
const PREFIX: usize = memory.data(8 * 8 * 32, 16);
const INV: usize = memory.data(32, 16);
const TMP: usize = memory.data(32, 16);

/** Build GTABLE: entry (i, d) = d·16^i·G in affine form. Public data, done once. */
function buildGTable(): void {
  memory.copy(BASE, G, 64);
  memory.fill(BASE + 64, 0, 32);
  store<u32>(BASE + 64, 1);
  for (let chunk: usize = 0; chunk < WINDOWS; chunk += 8) {
    // 8 windows × 8 multiples in Jacobian form: x, y into the table, z into ZS
    for (let w: usize = 0; w < 8; w++) {
      const row = GTABLE + (chunk + w) * ROW;
      memory.copy(VTABLE, BASE, JAC_SIZE);
      for (let d: usize = 1; d < 8; d++) {
        const e = VTABLE + d * JAC_SIZE;
        if (d & 1) jacDouble(e, VTABLE + (d >> 1) * JAC_SIZE);  // 2, 4, 6, 8
        else jacAdd(e, e - JAC_SIZE, VTABLE);                   // 3, 5, 7
      }
      for (let d: usize = 0; d < 8; d++) {
        memory.copy(row + d * AFFINE_SIZE, VTABLE + d * JAC_SIZE, 64);
        memory.copy(ZS + (w * 8 + d) * 32, VTABLE + d * JAC_SIZE + 64, 32);
      }
      for (let s = 0; s < 4; s++) jacDouble(BASE, BASE);
    }
    // batch inversion of the 64 Z values (Montgomery's trick), then x/Z², y/Z³
    memory.copy(PREFIX, ZS, 32);
    for (let e: usize = 1; e < 64; e++) fpMul(PREFIX + e * 32, PREFIX + (e - 1) * 32, ZS + e * 32);
    fpInv(INV, PREFIX + 63 * 32);
    for (let e: usize = 63; e > 0; e--) {
      fpMul(TMP, INV, PREFIX + (e - 1) * 32);               // 1 / Z_e
      fpMul(INV, INV, ZS + e * 32);
      memory.copy(ZS + e * 32, TMP, 32);
    }
    memory.copy(ZS, INV, 32);
    for (let e: usize = 0; e < 64; e++) {
      const pt = GTABLE + chunk * ROW + e * AFFINE_SIZE;
      const zi = ZS + e * 32;
      fpMul(TMP, zi, zi);
      fpMul(pt, pt, TMP);
      fpMul(TMP, TMP, zi);
      fpMul(pt + 32, pt + 32, TMP);
    }
  }
  gTableReady = true;
}

/** r (Jacobian) = [k]G for 1 ≤ k < n (limbs at k). */
export function mulBase(r: usize, k: usize): void {
  if (!gTableReady) buildGTable();
  const flip = loadScalar(k);
  memory.fill(ACC, 0, JAC_SIZE);                           // infinity
  for (let i: usize = 0; i < WINDOWS; i++) {
    const dg = digit(i);
    const mag = dg & 0xff;
    select(GTABLE + i * ROW, AFFINE_SIZE, mag);
    condNegateY(<u64>0 - <u64>(dg >> 8));
    jacAddAffine(SUM, ACC, ENTRY);
    // ACC at infinity: take the entry (Z = 1); digit 0: keep ACC
    const accInf = jacIsInfinityMask(ACC);
    memory.fill(ENTRY + 64, 0, 32);
    store<u32>(ENTRY + 64, 1);
    cmov(SUM, ENTRY, accInf, JAC_SIZE);
    cmov(SUM, ACC, eqMask(mag, 0), JAC_SIZE);
    memory.copy(ACC, SUM, JAC_SIZE);
  }
  memory.copy(r, ACC, JAC_SIZE);
  fpSub(NEG_Y, P, r + 32);
  cmov(r + 32, NEG_Y, flip, 32);
  wipeScratch();
}

// ---------------------------------------------------------------------------------------------
// Variable base

/** r (Jacobian) = [k]Q for an affine point Q of order n and 1 ≤ k < n. */
export function mulPoint(r: usize, q: usize, k: usize): void {
  const flip = loadScalar(k);
  memory.copy(VTABLE, q, 64);
  memory.fill(VTABLE + 64, 0, 32);
  store<u32>(VTABLE + 64, 1);
  for (let d: usize = 1; d < 8; d++) {
    const e = VTABLE + d * JAC_SIZE;
    if (d & 1) jacDouble(e, VTABLE + (d >> 1) * JAC_SIZE);
    else jacAdd(e, e - JAC_SIZE, VTABLE);
  }
  memory.fill(ACC, 0, JAC_SIZE);
  for (let i = <isize>WINDOWS - 1; i >= 0; i--) {
    if (i != <isize>WINDOWS - 1) for (let s = 0; s < 4; s++) jacDouble(ACC, ACC);
    const dg = digit(<usize>i);
    const mag = dg & 0xff;
    select(VTABLE, JAC_SIZE, mag);
    condNegateY(<u64>0 - <u64>(dg >> 8));
    jacAdd(SUM, ACC, ENTRY);
    cmov(SUM, ENTRY, jacIsInfinityMask(ACC), JAC_SIZE);
    cmov(SUM, ACC, eqMask(mag, 0), JAC_SIZE);
    memory.copy(ACC, SUM, JAC_SIZE);
  }
  memory.copy(r, ACC, JAC_SIZE);
  fpSub(NEG_Y, P, r + 32);
  cmov(r + 32, NEG_Y, flip, 32);
  wipeScratch();
}

/**
 * r = p + q for public Jacobian points, any of them at infinity or equal (verification only:
 * the branches depend on public values).
 */
export function addPublic(r: usize, p: usize, q: usize): void {
  if (jacIsInfinityMask(p) != 0) { memory.copy(r, q, JAC_SIZE); return; }
  if (jacIsInfinityMask(q) != 0) { memory.copy(r, p, JAC_SIZE); return; }
  jacAdd(SUM, p, q);
  if (bnIsZeroMask(SUM + 64) != 0) {
    // H = 0 (Z3 = 2 Z1 Z2 H): p = ±q; p = q when the doubling differs from infinity
    jacDouble(ENTRY, p);
    memory.copy(SUM, ENTRY, JAC_SIZE);
    if (!sameY(p, q)) memory.fill(SUM, 0, JAC_SIZE);
  }
  memory.copy(r, SUM, JAC_SIZE);
}

/** For p = ±q (same affine x), true when they have the same affine y: Y1·Z2³ = Y2·Z1³. */
function sameY(p: usize, q: usize): bool {
  fpMul(TMP, q + 64, q + 64);
  fpMul(TMP, TMP, q + 64);
  fpMul(TMP, TMP, p + 32);
  fpMul(INV, p + 64, p + 64);
  fpMul(INV, INV, p + 64);
  fpMul(INV, INV, q + 32);
  const x = (load<u64>(TMP) ^ load<u64>(INV)) | (load<u64>(TMP, 8) ^ load<u64>(INV, 8))
    | (load<u64>(TMP, 16) ^ load<u64>(INV, 16)) | (load<u64>(TMP, 24) ^ load<u64>(INV, 24));
  return x == 0;
}

function wipeScratch(): void {
  memory.fill(K, 0, 40);
  memory.fill(ACC, 0, JAC_SIZE);
  memory.fill(SUM, 0, JAC_SIZE);
  memory.fill(ENTRY, 0, JAC_SIZE);
  memory.fill(NEG_Y, 0, 32);
  memory.fill(VTABLE, 0, 8 * JAC_SIZE);
}
