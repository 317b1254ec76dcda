/**
 * Black-76 implied volatility.
 *
 * Method: reduce to the undiscounted out-of-the-money option (put-call parity), normalise by √(FK) so the
 * price is b(x, s) with x = -|ln(F/K)| ≤ 0 and s = σ√T, then solve b(x, s) = β with a bracketed,
 * safeguarded Newton iteration whose objective depends on the region (in the spirit of P. Jäckel, "By
 * Implication", Wilmott 2006, with objectives of our own):
 *  - b is convex in s below the inflection point s_c = √(2|x|) and concave above it;
 *  - s < min(|x|, s_c), deep out of the money: Newton on ln b as a function of v = 1/s². There
 *    ln b ≈ -x²v/2 - (3/2) ln v is nearly linear and convex, so the iteration from the right end of the
 *    bracket converges monotonically. ln b is evaluated as ln(φ(x/s)e^{-s²/8}) + ln(M(-d1) - M(-d2)) with
 *    the Mills ratio M, which does not underflow however far out of the money the strike is;
 *  - |x| < s < s_c: Newton on b(s) - β from s_c (convex, so monotone);
 *  - s > s_c, β ≤ e^{x/2}/2: Newton on b(s) - β from s_c (concave, so monotone);
 *  - s > s_c, β > e^{x/2}/2: Newton on ln(e^{x/2} - b(s)) - ln(e^{x/2} - β), with the complement written
 *    as a sum of positive terms, which stays well scaled as the price approaches its upper bound.
 * Any step leaving the current bracket is replaced by bisection, so the iteration always converges.
 */
import { type OptionType } from './black76.js';
import { millsRatio, normCdf, normPdf } from './normal.js';

export interface ImpliedVolInput {
  readonly type: OptionType;
  readonly forward: number;
  readonly strike: number;
  readonly years: number;
  readonly rate: number;
  /** Discounted option price in quote currency (same units as black76().price). */
  readonly price: number;
}

export type ImpliedVolErrorCode = 'PRICE_BELOW_INTRINSIC' | 'PRICE_ABOVE_MAXIMUM' | 'INVALID_INPUT';

export type ImpliedVolResult =
  | { readonly ok: true; readonly vol: number; readonly iterations: number }
  | { readonly ok: false; readonly code: ImpliedVolErrorCode; readonly message: string };

const MAX_ITERATIONS = 100;
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const STEP_TOLERANCE = 1e-13;
const BRACKET_TOLERANCE = 4 * Number.EPSILON;

/** Normalised out-of-the-money price b(x, s), x ≤ 0. */
function otmNormalised(x: number, s: number): number {
  const d1 = x / s + s / 2;
  const d2 = d1 - s;
  return Math.max(Math.exp(x / 2) * normCdf(d1) - Math.exp(-x / 2) * normCdf(d2), 0);
}

/** e^{x/2} - b(x, s) written as a sum of positive terms. */
function otmComplement(x: number, s: number): number {
  const d1 = x / s + s / 2;
  const d2 = d1 - s;
  return Math.exp(x / 2) * normCdf(-d1) + Math.exp(-x / 2) * normCdf(d2);
}

/**
 * ln b(x, s) and (∂b/∂s)/b for x < 0 and x/s + s/2 < 0, without underflow: both terms of b share the factor
 * φ(x/s)e^{-s²/8}, leaving b = φ(x/s)e^{-s²/8}·(M(-d1) - M(-d2)) with M the Mills ratio.
 */
function otmLogNormalised(x: number, s: number): { lnB: number; vegaOverB: number } {
  const d1 = x / s + s / 2;
  const d2 = d1 - s;
  const diff = millsRatio(-d1) - millsRatio(-d2);
  const lnB = (-0.5 * x * x) / (s * s) - (s * s) / 8 - LN_SQRT_2PI + Math.log(diff);
  return { lnB, vegaOverB: 1 / diff };
}

/** ∂b/∂s = φ(x/s)·e^{-s²/8}. */
function otmVega(x: number, s: number): number {
  return normPdf(x / s) * Math.exp((-s * s) / 8);
}

interface Solution {
  readonly s: number;
  readonly iterations: number;
}

/** Solves b(x, s) = beta for s, with x ≤ 0 and 0 < beta < e^{x/2}. */
export function solveNormalisedOtm(x: number, beta: number): Solution {
  const upperBound = Math.exp(x / 2);
  const sc = Math.sqrt(-2 * x);
  const bc = sc > 0 ? otmNormalised(x, sc) : 0;

  // Below s_c the deep out-of-the-money part (x/s < -1) behaves like exp(-x²/2s²) and wants the log
  // objective; between s = |x| and s_c the price is nearly linear in s and plain Newton is faster.
  const sMid = Math.min(-x, sc);
  const bMid = sMid > 0 && sMid < sc ? otmNormalised(x, sMid) : 0;
  type Region = 'lower-log' | 'lower-direct' | 'upper-direct' | 'upper-complement';
  const region: Region =
    beta <= bc
      ? beta <= bMid || sMid >= sc
        ? 'lower-log'
        : 'lower-direct'
      : beta <= upperBound / 2
        ? 'upper-direct'
        : 'upper-complement';
  const lnBeta = Math.log(beta);
  const target = upperBound - beta; // exact for beta in [upperBound/2, upperBound] (Sterbenz)
  const lnTarget = Math.log(target);

  let lo: number;
  let hi: number;
  let s: number;
  switch (region) {
    case 'lower-log':
      lo = 0;
      hi = sMid;
      s = hi;
      break;
    case 'lower-direct':
      lo = sMid;
      hi = sc;
      s = hi;
      break;
    case 'upper-direct':
    case 'upper-complement':
      lo = sc;
      hi = Math.max(2 * sc, 1);
      for (let i = 0; i < 60 && otmComplement(x, hi) > target; i++) {
        lo = hi;
        hi *= 2;
      }
      // x = 0 has s_c = 0: start from the at-the-money slope b ≈ s/√(2π) instead.
      s = lo > 0 ? lo : Math.min(0.5 * hi, beta * Math.sqrt(2 * Math.PI));
      break;
  }

  // Returns the objective (decreasing orientation: positive means s is too small) and the Newton step.
  const evaluate = (s: number): { value: number; step: number } => {
    const vega = otmVega(x, s);
    switch (region) {
      case 'lower-log': {
        // Newton in v = 1/s² on ln b: ln b ≈ -x²v/2 - (3/2) ln v + const is nearly linear and convex in v,
        // so the iteration from the right end of the bracket (smallest v) converges monotonically.
        const { lnB, vegaOverB } = otmLogNormalised(x, s);
        const excess = lnB - lnBeta;
        // G(v) = ln b - ln β, G'(v) = -(b'/b)·s³/2; Newton v -= G/G', then back to s.
        const nextV = 1 / (s * s) + (2 * excess) / (vegaOverB * s * s * s);
        return { value: -excess, step: nextV > 0 ? 1 / Math.sqrt(nextV) - s : NaN };
      }
      case 'lower-direct':
      case 'upper-direct': {
        const diff = otmNormalised(x, s) - beta;
        return { value: -diff, step: -diff / vega };
      }
      case 'upper-complement': {
        const c = otmComplement(x, s);
        if (c <= 0) return { value: -Infinity, step: NaN };
        const value = Math.log(c) - lnTarget;
        // g = ln c - ln c_t, g' = -b'/c
        return { value, step: (value * c) / vega };
      }
    }
  };

  let edgeTried = false;
  for (let iteration = 1; iteration <= MAX_ITERATIONS; iteration++) {
    const { value, step } = evaluate(s);
    if (value === 0) return { s, iterations: iteration };
    if (value > 0) lo = Math.max(lo, s);
    else hi = Math.min(hi, s);
    // Newton is quadratic, so once its step is this small the point it aims at is exact to rounding.
    // The test comes before the bracket guard: bracket edges set from the region split can coincide with
    // the root, and a last step landing a hair outside must not restart bisection.
    const next = s + step;
    if (Number.isFinite(next) && Math.abs(step) <= STEP_TOLERANCE * s) {
      return { s: Math.min(Math.max(next, lo), hi), iterations: iteration };
    }
    const inside = Number.isFinite(next) && next > lo && next < hi;
    if (inside) {
      s = next;
    } else if (!edgeTried && Number.isFinite(next) && Math.abs(next - lo) <= STEP_TOLERANCE * s) {
      edgeTried = true; // the root sits on the bracket edge to rounding: look there once rather than bisect
      s = lo;
    } else if (!edgeTried && Number.isFinite(next) && Math.abs(next - hi) <= STEP_TOLERANCE * s) {
      edgeTried = true;
      s = hi;
    } else {
      if (hi - lo <= BRACKET_TOLERANCE * hi) return { s: 0.5 * (lo + hi), iterations: iteration };
      s = 0.5 * (lo + hi);
    }
  }
  return { s, iterations: MAX_ITERATIONS };
}

function failure(code: ImpliedVolErrorCode, message: string): ImpliedVolResult {
  return { ok: false, code, message };
}

/** Black-76 implied volatility of a discounted European option price. Never throws. */
export function impliedVol(input: ImpliedVolInput): ImpliedVolResult {
  const { type, forward: F, strike: K, years: T, rate: r, price } = input;
  if (type !== 'call' && type !== 'put') return failure('INVALID_INPUT', `type must be 'call' or 'put'`);
  for (const [name, value] of [
    ['forward', F],
    ['strike', K],
    ['years', T],
    ['rate', r],
    ['price', price],
  ] as const) {
    if (!Number.isFinite(value))
      return failure('INVALID_INPUT', `${name} must be a finite number, got ${value}`);
  }
  if (F <= 0) return failure('INVALID_INPUT', `forward must be > 0, got ${F}`);
  if (K <= 0) return failure('INVALID_INPUT', `strike must be > 0, got ${K}`);
  if (T <= 0) return failure('INVALID_INPUT', `years must be > 0, got ${T}`);

  const df = Math.exp(-r * T);
  const undiscounted = price / df;
  const intrinsic = type === 'call' ? Math.max(F - K, 0) : Math.max(K - F, 0);
  const maximum = type === 'call' ? F : K;
  // A few ulps of slack: e^{-rT}·(intrinsic)/e^{-rT} need not round back to the intrinsic value exactly, and a
  // deep-ITM price whose time value is below one ulp is still a valid (zero-vol) price.
  if (undiscounted < intrinsic * (1 - 4 * Number.EPSILON)) {
    return failure(
      'PRICE_BELOW_INTRINSIC',
      `price ${price} is below the discounted intrinsic value ${df * intrinsic}: no volatility reproduces it`,
    );
  }
  if (undiscounted >= maximum) {
    return failure(
      'PRICE_ABOVE_MAXIMUM',
      `price ${price} is at or above the upper bound ${df * maximum} (${type === 'call' ? 'discounted forward' : 'discounted strike'}): no finite volatility reproduces it`,
    );
  }
  // Time value = price of the out-of-the-money twin (put-call parity).
  const timeValue = undiscounted - intrinsic;
  if (timeValue <= 0) return { ok: true, vol: 0, iterations: 0 };

  const x = -Math.abs(Math.log(F / K));
  const beta = timeValue / Math.sqrt(F * K);
  if (beta >= Math.exp(x / 2)) {
    return failure(
      'PRICE_ABOVE_MAXIMUM',
      `price ${price} is at the upper bound once rounding is accounted for`,
    );
  }
  const { s, iterations } = solveNormalisedOtm(x, beta);
  return { ok: true, vol: s / Math.sqrt(T), iterations };
}
