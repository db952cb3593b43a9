// The curve the elliptic-curve code works on. ec/ is one implementation of the short-Weierstrass
// curves with a = −3 and p ≡ −1 (mod 2^29) that the module supports — SM2 (GB/T 32918.5-2017)
// and P-256 (SEC 2 §2.4.2) — and every entry point of a curve's own code (sm2/, p256/) selects
// its curve first with useCurve. The selection is a public value, so the dispatch in field.ts
// branches on it; the constants are read from the selected curve's parameter block (curves.ts).
import { SM2_PARAMS, P256_PARAMS } from "./curves";
import { HAS_SM, HAS_INTL } from "../suites";

/** SM2, sm2p256v1 (GB/T 32918.5-2017). */
export const CURVE_SM2: u32 = 0;
/** P-256, secp256r1 (SEC 2 §2.4.2, FIPS 186-4 D.1.2.3). */
export const CURVE_P256: u32 = 1;

let active: u32 = CURVE_SM2;
let params: usize = SM2_PARAMS;

/** Select the curve the ec/ functions work on until the next call. */
export function useCurve(curve: u32): void {
  active = curve;
  params = curve == CURVE_P256 ? P256_PARAMS : SM2_PARAMS;
}

/** The selected curve. */
// @ts-ignore: decorator
@inline
export function activeCurve(): u32 {
  return active;
}

/**
 * True when the selected curve is P-256. A build with one suite (suites.ts) answers at compile
 * time, so the other curve's field code is not in it.
 */
// @ts-ignore: decorator
@inline
export function isP256(): bool {
  return HAS_INTL && (!HAS_SM || active == CURVE_P256);
}

/** The address of the constant at `offset` (a PARAM_* of curves.ts) of the selected curve. */
// @ts-ignore: decorator
@inline
export function param(offset: usize): usize {
  return params + offset;
}
