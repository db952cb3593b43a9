// Scalar multiplication on the selected curve (curve.ts), with the same sequence of operations and memory
// accesses whatever the scalar's bits:
// - the scalar k (1 ≤ k < n) is first made smaller than 2^255 by taking n − k when its top bit is
//   set (and negating the result), then written in 64 signed radix-16 digits in [−8, 8]
//   (Booth recoding, as in OpenSSL's ecp_nistz256);
// - fixed base G: a table of d·16^i·G (d = 1..8, i = 0..63, affine, 40 KiB) built at the first
//   use, so [k]G is 64 mixed additions and no doubling; the curves share the table's memory (a
//   device uses one curve), so it holds the last curve used and is rebuilt (≈ 1 ms) when the
//   other curve asks for it;
// - variable base P: a table of P..8P made affine with one inversion, then 4 doublings and one
//   mixed addition per digit.
// Table entries are read by scanning the whole row with masks; a negative digit negates y by
// mask. Infinity (the accumulator before the first non-zero digit) and zero digits are handled
// by masked selection, tracked from the digits rather than tested on coordinates. The other exceptional cases
// (adding equal or opposite points) cannot occur: every partial sum has magnitude below
// 16^(i+1) < n and differs from the entry it is added to (see docs/abi.md, "Elliptic curves").
import { bnSub, cmov } from "./bn";
import { FE_SIZE, fpGx, fpGy, fpOne, fpNeg, fpInv, fpMul, fpCopy, fpEqual } from "./field";
import { scalarN } from "./scalar";
import { activeCurve } from "./curve";
import { AFFINE_SIZE, JAC_SIZE, jacDouble, jacAdd, jacAddAffine, jacIsInfinityMask, pointWipeScratch } from "./point";

const WINDOWS: usize = 64;
const ROW: usize = 8 * AFFINE_SIZE;                        // one window: 1·B … 8·B, B = 16^i G
const GTABLE: usize = memory.data(<i32>(WINDOWS * ROW), 16);
/** The curve GTABLE holds, or −1 before the first build. */
let gTableCurve: i32 = -1;
const VSTRIDE: usize = (JAC_SIZE + 15) & ~15;              // variable table entry, v128-aligned

const K: usize = memory.data(40, 16);                      // recoded scalar (+ 8 zero bytes)
const ACC: usize = memory.data(<i32>JAC_SIZE, 16);
const SUM: usize = memory.data(<i32>JAC_SIZE, 16);
const ENTRY: usize = memory.data(<i32>VSTRIDE, 16);        // selected entry (affine or Jacobian)
const NEG_Y: usize = memory.data(<i32>FE_SIZE, 16);
const VTABLE: usize = memory.data(<i32>VSTRIDE * 8, 16);   // P … 8P

/**
 * Load k (limbs, 1 ≤ k < n) into K as k or n − k, whichever is below 2^255.
 * Returns all ones when it took n − k (the result must then be negated).
 */
function loadScalar(k: usize): u64 {
  const flip: u64 = <u64>0 - <u64>(load<u32>(k, 28) >> 31);
  bnSub(K, scalarN(), k);
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

/** ENTRY = row[mag − 1] (entries `stride` bytes apart), or zeros when mag = 0; scans all 8. */
function select(row: usize, stride: usize, mag: u32): void {
  if (!ASC_FEATURE_SIMD) {
    // the portable build: the same scan with u64 words and masks
    for (let off: usize = 0; off < stride; off += 8) {
      let acc: u64 = 0;
      for (let j: u32 = 0; j < 8; j++) acc |= load<u64>(row + <usize>j * stride + off) & eqMask(j + 1, mag);
      store<u64>(ENTRY + off, acc);
    }
    return;
  }
  for (let off: usize = 0; off < stride; off += 16) {
    let acc = i64x2.splat(0);
    for (let j: u32 = 0; j < 8; j++) {
      const m = i64x2.splat(<i64>eqMask(j + 1, mag));
      acc = v128.or(acc, v128.and(v128.load(row + <usize>j * stride + off), m));
    }
    v128.store(ENTRY + off, acc);
  }
}

/** Negate ENTRY's y coordinate when `neg` is all ones. */
function condNegateY(neg: u64): void {
  fpNeg(NEG_Y, ENTRY + FE_SIZE);
  cmov(ENTRY + FE_SIZE, NEG_Y, neg, FE_SIZE);
}

/** Negate the y coordinate of the Jacobian point r when `neg` is all ones. */
function condNegatePoint(r: usize, neg: u64): void {
  fpNeg(NEG_Y, r + FE_SIZE);
  cmov(r + FE_SIZE, NEG_Y, neg, FE_SIZE);
}

// ---------------------------------------------------------------------------------------------
// Fixed base

const BASE: usize = memory.data(<i32>JAC_SIZE, 16);        // 16^i G
const ZS: usize = memory.data(<i32>FE_SIZE * 64, 16);      // Z of 8 windows' entries
const PREFIX: usize = memory.data(<i32>FE_SIZE * 64, 16);
const INV: usize = memory.data(<i32>FE_SIZE, 16);
const TMP: usize = memory.data(<i32>FE_SIZE, 16);

/**
 * Make `count` (≤ 64) points affine in place: x, y at pts + e·AFFINE_SIZE, their Z values in ZS
 * (overwritten). Montgomery's trick: one inversion for all, then x/Z², y/Z³. No Z is zero here
 * (multiples of a point of prime order n by less than n). Public data only.
 */
function normalize(pts: usize, count: usize): void {
  fpCopy(PREFIX, ZS);
  for (let e: usize = 1; e < count; e++) fpMul(PREFIX + e * FE_SIZE, PREFIX + (e - 1) * FE_SIZE, ZS + e * FE_SIZE);
  fpInv(INV, PREFIX + (count - 1) * FE_SIZE);
  for (let e: usize = count - 1; e > 0; e--) {
    fpMul(TMP, INV, PREFIX + (e - 1) * FE_SIZE);          // 1 / Z_e
    fpMul(INV, INV, ZS + e * FE_SIZE);
    fpCopy(ZS + e * FE_SIZE, TMP);
  }
  fpCopy(ZS, INV);
  for (let e: usize = 0; e < count; e++) {
    const pt = pts + e * AFFINE_SIZE;
    const zi = ZS + e * FE_SIZE;
    fpMul(TMP, zi, zi);
    fpMul(pt, pt, TMP);
    fpMul(TMP, TMP, zi);
    fpMul(pt + FE_SIZE, pt + FE_SIZE, TMP);
  }
}

/** Build GTABLE for the selected curve: entry (i, d) = d·16^i·G in affine form. Public data. */
function buildGTable(): void {
  fpCopy(BASE, fpGx());
  fpCopy(BASE + FE_SIZE, fpGy());
  fpCopy(BASE + 2 * FE_SIZE, fpOne());
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
        memory.copy(row + d * AFFINE_SIZE, VTABLE + d * JAC_SIZE, AFFINE_SIZE);
        fpCopy(ZS + (w * 8 + d) * FE_SIZE, VTABLE + d * JAC_SIZE + 2 * FE_SIZE);
      }
      for (let s = 0; s < 4; s++) jacDouble(BASE, BASE);
    }
    normalize(GTABLE + chunk * ROW, 64);
  }
  gTableCurve = <i32>activeCurve();
}

/** r (Jacobian) = [k]G for 1 ≤ k < n (limbs at k). */
export function mulBase(r: usize, k: usize): void {
  if (gTableCurve != <i32>activeCurve()) buildGTable();
  const flip = loadScalar(k);
  let accInf: u64 = ~<u64>0;                               // ACC is the point at infinity
  memory.fill(ACC, 0, JAC_SIZE);
  for (let i: usize = 0; i < WINDOWS; i++) {
    const dg = digit(i);
    const mag = dg & 0xff;
    const zero = eqMask(mag, 0);
    select(GTABLE + i * ROW, AFFINE_SIZE, mag);
    condNegateY(<u64>0 - <u64>(dg >> 8));
    jacAddAffine(SUM, ACC, ENTRY);
    fpCopy(ENTRY + 2 * FE_SIZE, fpOne());                   // the entry as a Jacobian point
    cmov(SUM, ENTRY, accInf, JAC_SIZE);                    // ACC at infinity: take the entry
    cmov(SUM, ACC, zero, JAC_SIZE);                        // digit 0: keep ACC
    memory.copy(ACC, SUM, JAC_SIZE);
    accInf &= zero;
  }
  memory.copy(r, ACC, JAC_SIZE);
  condNegatePoint(r, flip);
  wipeScratch();
}

// ---------------------------------------------------------------------------------------------
// Variable base

/**
 * r (Jacobian) = [k]Q for an affine point Q of order n and 1 ≤ k < n. The table Q … 8Q is made
 * affine (one inversion, public data) so each of the 64 additions is a mixed one.
 */
export function mulPoint(r: usize, q: usize, k: usize): void {
  const flip = loadScalar(k);
  memory.copy(VTABLE, q, AFFINE_SIZE);
  fpCopy(VTABLE + 2 * FE_SIZE, fpOne());
  for (let d: usize = 1; d < 8; d++) {
    const e = VTABLE + d * VSTRIDE;
    if (d & 1) jacDouble(e, VTABLE + (d >> 1) * VSTRIDE);  // 2, 4, 6, 8
    else jacAdd(e, e - VSTRIDE, VTABLE);                   // 3, 5, 7
  }
  // affine table: Z values into ZS, x ‖ y packed down to AFFINE_SIZE apart, then normalised
  for (let d: usize = 0; d < 8; d++) fpCopy(ZS + d * FE_SIZE, VTABLE + d * VSTRIDE + 2 * FE_SIZE);
  for (let d: usize = 1; d < 8; d++) memory.copy(VTABLE + d * AFFINE_SIZE, VTABLE + d * VSTRIDE, AFFINE_SIZE);
  normalize(VTABLE, 8);
  let accInf: u64 = ~<u64>0;
  memory.fill(ACC, 0, JAC_SIZE);
  for (let i = <isize>WINDOWS - 1; i >= 0; i--) {
    if (i != <isize>WINDOWS - 1) for (let s = 0; s < 4; s++) jacDouble(ACC, ACC);
    const dg = digit(<usize>i);
    const mag = dg & 0xff;
    const zero = eqMask(mag, 0);
    select(VTABLE, AFFINE_SIZE, mag);
    condNegateY(<u64>0 - <u64>(dg >> 8));
    jacAddAffine(SUM, ACC, ENTRY);
    fpCopy(ENTRY + 2 * FE_SIZE, fpOne());                  // the entry as a Jacobian point
    cmov(SUM, ENTRY, accInf, JAC_SIZE);
    cmov(SUM, ACC, zero, JAC_SIZE);
    memory.copy(ACC, SUM, JAC_SIZE);
    accInf &= zero;
  }
  memory.copy(r, ACC, JAC_SIZE);
  condNegatePoint(r, flip);
  wipeScratch();
}

// ---------------------------------------------------------------------------------------------
// Public scalars (verification only): variable time, branches and table indices depend on the
// scalar, which is part of a signature.

const NAF: usize = memory.data(260);                       // wNAF digits, i8
const KW: usize = memory.data(40, 16);                     // 9-limb working copy of the scalar

/** Width-5 NAF of the public scalar k (limbs, < 2^256) into NAF; returns the digit count. */
function wnaf(k: usize): i32 {
  memory.copy(KW, k, 32);
  store<u32>(KW, 0, 32);
  let len = 0;
  for (;;) {
    let any: u32 = 0;
    for (let i: usize = 0; i < 36; i += 4) any |= load<u32>(KW + i);
    if (any == 0) break;
    let d: i32 = 0;
    const low = load<u32>(KW);
    if (low & 1) {
      d = <i32>(low & 31);
      if (d >= 16) d -= 32;
      // KW −= d (d odd, |d| < 16): borrow/carry through the limbs
      let c: i64 = -<i64>d;
      for (let i: usize = 0; i < 36 && c != 0; i += 4) {
        c += <i64>load<u32>(KW + i);
        store<u32>(KW + i, <u32>c);
        c >>= 32;
      }
    }
    store<i8>(NAF + <usize>len, <i8>d);
    len++;
    for (let i: usize = 0; i < 32; i += 4) {                // KW >>= 1
      store<u32>(KW + i, (load<u32>(KW + i) >> 1) | (load<u32>(KW + i + 4) << 31));
    }
    store<u32>(KW, load<u32>(KW, 32) >> 1, 32);
  }
  return len;
}

/** r (Jacobian) = [k]G for a public 0 ≤ k < n (k = 0 gives infinity): the table read directly. */
export function mulBasePublic(r: usize, k: usize): void {
  if (gTableCurve != <i32>activeCurve()) buildGTable();
  const flip = loadScalar(k);
  let accInf = true;
  for (let i: usize = 0; i < WINDOWS; i++) {
    const dg = digit(i);
    const mag = dg & 0xff;
    if (mag == 0) continue;
    memory.copy(ENTRY, GTABLE + i * ROW + <usize>(mag - 1) * AFFINE_SIZE, AFFINE_SIZE);
    if (dg >> 8) fpNeg(ENTRY + FE_SIZE, ENTRY + FE_SIZE);
    if (accInf) {
      memory.copy(ACC, ENTRY, AFFINE_SIZE);
      fpCopy(ACC + 2 * FE_SIZE, fpOne());
      accInf = false;
    } else {
      jacAddAffine(ACC, ACC, ENTRY);                      // never ±ACC (see the file's header)
    }
  }
  if (accInf) memory.fill(ACC, 0, JAC_SIZE);
  memory.copy(r, ACC, JAC_SIZE);
  if (flip) fpNeg(r + FE_SIZE, r + FE_SIZE);
  memory.fill(ACC, 0, JAC_SIZE);
}

/**
 * r (Jacobian) = [k]Q for an affine point Q of order n and a public 1 ≤ k < n (wNAF, w = 5).
 * Additions go through addPublic: here the exceptional case does occur (k = n − 6 ends by adding
 * −3Q to −3Q), and a signature's t = r + s can be chosen freely.
 */
export function mulPointPublic(r: usize, q: usize, k: usize): void {
  // odd multiples Q, 3Q, …, 15Q
  memory.copy(VTABLE, q, AFFINE_SIZE);
  fpCopy(VTABLE + 2 * FE_SIZE, fpOne());
  jacDouble(SUM, VTABLE);
  for (let j: usize = 1; j < 8; j++) jacAdd(VTABLE + j * VSTRIDE, VTABLE + (j - 1) * VSTRIDE, SUM);
  let accInf = true;
  for (let i = wnaf(k) - 1; i >= 0; i--) {
    if (!accInf) jacDouble(ACC, ACC);
    const d = <i32>load<i8>(NAF + <usize>i);
    if (d == 0) continue;
    memory.copy(ENTRY, VTABLE + <usize>((d < 0 ? -d : d) >> 1) * VSTRIDE, JAC_SIZE);
    if (d < 0) fpNeg(ENTRY + FE_SIZE, ENTRY + FE_SIZE);
    if (accInf) {
      memory.copy(ACC, ENTRY, JAC_SIZE);
      accInf = false;
    } else {
      addPublic(ACC, ACC, ENTRY);
    }
  }
  if (accInf) memory.fill(ACC, 0, JAC_SIZE);
  memory.copy(r, ACC, JAC_SIZE);
  memory.fill(ACC, 0, JAC_SIZE);
}

/**
 * r = p + q for public Jacobian points, any of them at infinity or equal (verification only:
 * the branches depend on public values). r may alias p or q.
 */
export function addPublic(r: usize, p: usize, q: usize): void {
  jacAdd(SUM, p, q);
  // Z3 = 2·Z1·Z2·H is zero exactly in the exceptional cases: p or q at infinity, or p = ±q
  if (jacIsInfinityMask(SUM) != 0) {
    if (jacIsInfinityMask(p) != 0) memory.copy(SUM, q, JAC_SIZE);
    else if (jacIsInfinityMask(q) != 0) memory.copy(SUM, p, JAC_SIZE);
    else if (sameY(p, q)) jacDouble(SUM, p);
    else memory.fill(SUM, 0, JAC_SIZE);
  }
  memory.copy(r, SUM, JAC_SIZE);
}

/** For p = ±q (same affine x), true when they have the same affine y: Y1·Z2³ = Y2·Z1³. */
function sameY(p: usize, q: usize): bool {
  const z: usize = FE_SIZE << 1, y: usize = FE_SIZE;
  fpMul(TMP, q + z, q + z);
  fpMul(TMP, TMP, q + z);
  fpMul(TMP, TMP, p + y);
  fpMul(INV, p + z, p + z);
  fpMul(INV, INV, p + z);
  fpMul(INV, INV, q + y);
  return fpEqual(TMP, INV);
}

function wipeScratch(): void {
  pointWipeScratch();
  memory.fill(K, 0, 40);
  memory.fill(ACC, 0, JAC_SIZE);
  memory.fill(SUM, 0, JAC_SIZE);
  memory.fill(ENTRY, 0, VSTRIDE);
  memory.fill(NEG_Y, 0, FE_SIZE);
  memory.fill(VTABLE, 0, 8 * VSTRIDE);
}

const PART: usize = memory.data(<i32>JAC_SIZE, 16);

/**
 * r (Jacobian) = [a]G + [b]Q for public scalars 0 ≤ a < n, 1 ≤ b < n and an affine point Q of
 * order n: the signature-verification equation of SM2 ([s]G + [t]P) and of ECDSA
 * ([u1]G + [u2]Q). Any result, infinity included, is handled (addPublic).
 */
export function mulAddPublic(r: usize, a: usize, q: usize, b: usize): void {
  mulBasePublic(PART, a);
  mulPointPublic(r, q, b);
  addPublic(r, r, PART);
  memory.fill(PART, 0, JAC_SIZE);
}
