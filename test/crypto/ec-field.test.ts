// The elliptic-curve field arithmetic (assembly/ec/field.ts, curves.ts) against BigInt, for both
// primes — SM2's (GB/T 32918.5) and P-256's (SEC 2) — including the bound
// rules of field.ts on extreme limbs: a multiplication input with limb factors L_a·L_b ≤ 14 and
// value factors V_a·V_b ≤ 22 gives the right residue and a tight output (limbs 0..7 within
// ±2^28, value ≤ 1.7p); fpReduce of any i32 limbs is tight and below 2^256 in magnitude.
// The field is internal, so this compiles a test-only entry (assembly/ec/field.test-entry.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { beforeAll, afterAll, describe, expect, it } from "vitest";

const PRIMES = [
  { name: "SM2", curve: 0, p: 2n ** 256n - 2n ** 224n - 2n ** 96n + 2n ** 64n - 1n },
  { name: "P-256", curve: 1, p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n },
];
const R = 2n ** 261n;
/** The prime under test (set by each describe block). */
let p = PRIMES[0]!.p;
const mod = (a: bigint): bigint => ((a % p) + p) % p;
function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = mod(b);
  for (; e > 0n; e >>= 1n, b = (b * b) % p) if (e & 1n) r = (r * b) % p;
  return r;
}
let Rinv = 0n;
const rand = (bits: number): bigint => BigInt("0x" + randomBytes(Math.ceil(bits / 8) + 1).toString("hex")) % 2n ** BigInt(bits);

type Fn = (...a: number[]) => number;
let x: Record<string, Fn> & { memory: WebAssembly.Memory };
let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ec-field-"));
  const cfg = join(dir, "asconfig.json");
  writeFileSync(cfg, JSON.stringify({ options: { runtime: "stub", exportRuntime: false, enable: ["simd"], bindings: false } }));
  const { default: asc } = await import("assemblyscript/asc");
  const entry = new URL("../../assembly/ec/field.test-entry.ts", import.meta.url).pathname;
  const out = join(dir, "field.wasm");
  const r = await asc.main([entry, "--outFile", out, "-O3", "--config", cfg, "--use", "abort="]);
  if (r.error) throw new Error(`asc: ${r.error.message}\n${r.stderr.toString()}`);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {});
  x = inst.exports as typeof x;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Operand slots in the entry's scratch area (each 40 bytes: 9 × i32 limbs + pad; bytes at BYTES).
const slot = (i: number): number => x.scratch!() + 64 * i;
const BYTES = 8;
const dv = (): DataView => new DataView(x.memory.buffer);
function putLimbs(at: number, ls: bigint[]): void {
  for (let i = 0; i < 10; i++) dv().setInt32(at + 4 * i, Number(ls[i] ?? 0n), true);
}
const getLimbs = (at: number): bigint[] => Array.from({ length: 9 }, (_, i) => BigInt(dv().getInt32(at + 4 * i, true)));
const value = (ls: bigint[]): bigint => ls.reduce((s, l, i) => s + l * 2n ** BigInt(29 * i), 0n);
function putBytes(at: number, v: bigint): void {
  const b = new Uint8Array(x.memory.buffer, at, 32);
  for (let i = 0; i < 32; i++) b[i] = Number((v >> BigInt(8 * (31 - i))) & 255n);
}
function getBytes(at: number): bigint {
  let v = 0n;
  for (const c of new Uint8Array(x.memory.buffer, at, 32)) v = (v << 8n) | BigInt(c);
  return v;
}
/** Load a canonical value into slot i (Montgomery form). */
function load(i: number, v: bigint): void {
  putBytes(slot(BYTES), v);
  x.fromBytes!(slot(i), slot(BYTES));
}
/** The value (out of the Montgomery domain) of slot i. */
function read(i: number): bigint {
  x.toBytes!(slot(BYTES), slot(i));
  return getBytes(slot(BYTES));
}
function expectTight(ls: bigint[]): void {
  for (let i = 0; i < 8; i++) expect(ls[i]! >= -(2n ** 28n) && ls[i]! <= 2n ** 28n).toBe(true);
  const v = value(ls);
  expect((v < 0n ? -v : v) * 10n <= 17n * p).toBe(true);
}
/** Limbs with |limb| ≤ L·2^28: all ±max when `extreme`, else random. */
function limbs(L: number, extreme: boolean): bigint[] {
  const m = BigInt(Math.floor(L * 2 ** 28));
  return Array.from({ length: 9 }, () => (extreme ? (Math.random() < 0.5 ? -m : m) : (rand(40) % (2n * m + 1n)) - m));
}

for (const prime of PRIMES)
  describe(`${prime.name} field arithmetic mod p (against BigInt)`, () => {
    beforeAll(() => {
      p = prime.p;
      Rinv = pow(R, p - 2n);
      x.useCurve!(prime.curve);
    });

    it("round-trips bytes and flags encodings ≥ p", () => {
      for (const v of [0n, 1n, 2n, p - 1n, 2n ** 255n, p - 2n ** 200n, rand(256) % p]) {
        putBytes(slot(BYTES), v);
        expect(x.fromBytes!(slot(0), slot(BYTES))).not.toBe(0);
        expectTight(getLimbs(slot(0)));
        expect(read(0)).toBe(v);
      }
      for (const v of [p, p + 1n, 2n ** 256n - 1n]) {
        putBytes(slot(BYTES), v);
        expect(x.fromBytes!(slot(0), slot(BYTES))).toBe(0);
        expect(read(0)).toBe(mod(v)); // still the residue
      }
    });

    it("multiplies, squares, adds, subtracts, inverts and takes square roots", () => {
      const specials = [0n, 1n, p - 1n, p - 2n, 2n ** 255n, 2n ** 224n, 2n ** 32n - 1n, p >> 1n];
      for (let t = 0; t < 600; t++) {
        const a = t < 64 ? specials[t % 8]! : rand(256) % p;
        const b = t < 64 ? specials[t >> 3]! : rand(256) % p;
        load(0, a);
        load(1, b);
        x.fpMul!(slot(2), slot(0), slot(1));
        expect(read(2)).toBe((a * b) % p);
        x.fpSqr!(slot(2), slot(0));
        expect(read(2)).toBe((a * a) % p);
        x.fpAdd!(slot(2), slot(0), slot(1));
        x.fpReduce!(slot(2), slot(2));
        expect(read(2)).toBe((a + b) % p);
        x.fpSub!(slot(2), slot(0), slot(1));
        x.fpReduce!(slot(2), slot(2));
        expect(read(2)).toBe(mod(a - b));
        if (t % 20 === 0) {
          x.fpInv!(slot(2), slot(0));
          expect(read(2)).toBe(pow(a, p - 2n));
          const ok = x.fpSqrt!(slot(2), slot(0)) !== 0;
          const square = a === 0n || pow(a, (p - 1n) / 2n) === 1n;
          expect(ok).toBe(square);
          if (ok) expect(read(2) ** 2n % p).toBe(a);
        }
      }
    });

    it("keeps the bounds of field.ts on extreme limbs (multiplication inputs)", () => {
      // (L_a, L_b) pairs with L_a·L_b ≤ 14, the documented limit (limbs are i32: L < 8)
      const pairs: [number, number][] = [
        [1, 1],
        [2, 2],
        [2, 3.5],
        [3.5, 4],
        [1, 7.99],
        [1.75, 7.99],
        [3.7, 3.7],
      ];
      for (let t = 0; t < 1200; t++) {
        const [La, Lb] = pairs[t % pairs.length]!;
        const extreme = t % 2 === 0;
        const la = limbs(La, extreme),
          lb = limbs(Lb, extreme);
        // keep V_a·V_b ≤ 22 by shrinking the top limbs when needed
        const fp = Number(p);
        while (Math.abs(((Number(value(la)) / fp) * Number(value(lb))) / fp) > 22) {
          la[8] = la[8]! / 2n;
          lb[8] = lb[8]! / 2n;
        }
        putLimbs(slot(0), la);
        putLimbs(slot(1), lb);
        x.fpMul!(slot(2), slot(0), slot(1));
        const out = getLimbs(slot(2));
        expectTight(out);
        expect(mod(value(out) - value(la) * value(lb) * Rinv)).toBe(0n);
        if (La * La <= 14) {
          while (Math.abs(Number(value(la)) / fp) ** 2 > 22) la[8] = la[8]! / 2n;
          putLimbs(slot(0), la);
          x.fpSqr!(slot(2), slot(0));
          const sq = getLimbs(slot(2));
          expectTight(sq);
          expect(mod(value(sq) - value(la) * value(la) * Rinv)).toBe(0n);
        }
      }
    });

    it("gives the right residue when only the value bound is passed (a doubling's alpha²)", () => {
      // point.ts squares alpha = 3·(a tight product) unreduced: 3 limbs (3 × 3 ≤ 14) and a value
      // up to 5.1p, so V_a² ≈ 26 > 22. The result is still the right residue with limbs 0..7
      // within ±2^28 and |value| ≤ p + |a·b|/R; it goes straight into fpReduce.
      const fp = Number(p);
      for (let t = 0; t < 600; t++) {
        const la = limbs(3, t % 2 === 0),
          lb = t % 3 === 0 ? la : limbs(3, t % 2 === 1);
        for (const ls of [la, lb]) while (Math.abs(Number(value(ls)) / fp) > 5.1) ls[8] = ls[8]! / 2n;
        putLimbs(slot(0), la);
        putLimbs(slot(1), lb);
        x.fpMul!(slot(2), slot(0), slot(1));
        x.fpSqr!(slot(3), slot(0));
        for (const [out, prod] of [
          [getLimbs(slot(2)), value(la) * value(lb)],
          [getLimbs(slot(3)), value(la) * value(la)],
        ] as const) {
          for (let i = 0; i < 8; i++) expect(out[i]! >= -(2n ** 28n) && out[i]! <= 2n ** 28n).toBe(true);
          const v = value(out);
          expect((v < 0n ? -v : v) * R <= p * R + (prod < 0n ? -prod : prod)).toBe(true);
          expect(mod(v - prod * Rinv)).toBe(0n);
        }
      }
    });

    it("reduces any stored element to a tight one below 2^256", () => {
      const max = 2n ** 31n - 1n,
        min = -(2n ** 31n);
      const cases: bigint[][] = [Array(9).fill(max), Array(9).fill(min), Array(9).fill(0n)];
      for (let t = 0; t < 2000; t++) cases.push(Array.from({ length: 9 }, () => rand(32) - 2n ** 31n));
      for (const ls of cases) {
        putLimbs(slot(0), ls);
        x.fpReduce!(slot(1), slot(0));
        const out = getLimbs(slot(1));
        for (let i = 0; i < 8; i++) expect(out[i]! >= -(2n ** 28n) && out[i]! < 2n ** 28n).toBe(true);
        const v = value(out);
        expect((v < 0n ? -v : v) < 2n ** 256n).toBe(true);
        expect(mod(v - value(ls))).toBe(0n);
      }
    });
  });
