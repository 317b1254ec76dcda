/**
 * Black-76: European options on the forward F of the underlying, discounted at a flat rate r.
 * V_call = e^{-rT} (F Φ(d1) - K Φ(d2)), V_put = e^{-rT} (K Φ(-d2) - F Φ(-d1)),
 * d1,2 = (ln(F/K) ± σ²T/2) / (σ√T)  (Black 1976; Hull, Options, Futures and Other Derivatives, ch. 18).
 */
import { normCdf, normPdf } from './normal.js';

export type OptionType = 'call' | 'put';

export interface Black76Input {
  readonly type: OptionType;
  /** Forward (or futures) price of the underlying for the option's expiry, quote currency. */
  readonly forward: number;
  readonly strike: number;
  /** Time to expiry in years (ACT/365 on the caller's side). */
  readonly years: number;
  /** Annualised lognormal volatility, 0.6 = 60 %. */
  readonly vol: number;
  /** Continuously compounded discount rate (annual). */
  readonly rate: number;
}

/**
 * Sensitivities of one unit of an instrument. Units (V in quote currency per unit):
 * delta = dV/dF, gamma = d²V/dF², vega = dV/dσ per 1.00 of vol, theta = dV/dt per year of calendar time
 * (= -dV/dT, forward held fixed), rho = dV/dr with F fixed, vanna = d²V/dF dσ, volga = d²V/dσ²,
 * charm = d(delta)/dt per year (= -d(delta)/dT).
 */
export interface Greeks {
  readonly delta: number;
  readonly gamma: number;
  readonly vega: number;
  readonly theta: number;
  readonly rho: number;
  readonly vanna: number;
  readonly volga: number;
  readonly charm: number;
}

export interface Black76Result extends Greeks {
  readonly price: number;
  /** dV per vol point (0.01 of vol) = vega / 100. */
  readonly vegaPerPoint: number;
}

/** Below this σ√T the option is treated as expired (keeps 1/s and ln(F/K)/s finite). */
const MIN_TOTAL_VOL = 1e-150;

export function assertFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
}

export function validateBlack76Input(input: Black76Input): void {
  if (input.type !== 'call' && input.type !== 'put') {
    throw new RangeError(`type must be 'call' or 'put', got ${String(input.type)}`);
  }
  for (const key of ['forward', 'strike', 'years', 'vol', 'rate'] as const) assertFinite(key, input[key]);
  if (input.forward <= 0) throw new RangeError(`forward must be > 0, got ${input.forward}`);
  if (input.strike <= 0) throw new RangeError(`strike must be > 0, got ${input.strike}`);
  if (input.years < 0) throw new RangeError(`years must be >= 0, got ${input.years}`);
  if (input.vol < 0) throw new RangeError(`vol must be >= 0, got ${input.vol}`);
}

/**
 * Undiscounted Black price F Φ(d1) - K Φ(d2) (call) with s = σ√T > 0. The out-of-the-money side is
 * evaluated directly and the in-the-money side through put-call parity, so a deep-ITM price is
 * intrinsic + a positive time value instead of a difference of two large, nearly equal terms.
 */
export function undiscountedBlack(type: OptionType, forward: number, strike: number, s: number): number {
  const x = Math.log(forward / strike);
  const d1 = x / s + s / 2;
  const d2 = d1 - s;
  const callOtm = forward <= strike;
  if (type === 'call') {
    if (callOtm) return Math.max(forward * normCdf(d1) - strike * normCdf(d2), 0);
    return forward - strike + Math.max(strike * normCdf(-d2) - forward * normCdf(-d1), 0);
  }
  if (!callOtm) return Math.max(strike * normCdf(-d2) - forward * normCdf(-d1), 0);
  return strike - forward + Math.max(forward * normCdf(d1) - strike * normCdf(d2), 0);
}

/** Black-76 price and Greeks of one option. Throws RangeError on invalid inputs. */
export function black76(input: Black76Input): Black76Result {
  validateBlack76Input(input);
  const { type, forward: F, strike: K, years: T, vol, rate: r } = input;
  const df = Math.exp(-r * T);
  const sqrtT = Math.sqrt(T);
  const s = vol * sqrtT;
  const sign = type === 'call' ? 1 : -1;

  if (!(s >= MIN_TOTAL_VOL)) {
    // No diffusion left: the option is worth its discounted intrinsic value and only discounting moves it.
    // At the money the delta is the limit of Φ(d1) as s -> 0, i.e. one half.
    const intrinsic = Math.max(sign * (F - K), 0);
    const price = df * intrinsic;
    const step = F === K ? 0.5 : sign * (F - K) > 0 ? 1 : 0;
    const delta = sign * df * step;
    return {
      price,
      delta,
      gamma: 0,
      vega: 0,
      vegaPerPoint: 0,
      theta: r * price,
      rho: -T * price,
      vanna: 0,
      volga: 0,
      charm: r * delta,
    };
  }

  const d1 = Math.log(F / K) / s + s / 2;
  const d2 = d1 - s;
  const price = df * undiscountedBlack(type, F, K, s);
  const pdf = normPdf(d1);
  const delta = type === 'call' ? df * normCdf(d1) : -df * normCdf(-d1);
  const gamma = (df * pdf) / (F * s);
  const vega = df * F * pdf * sqrtT;
  // dV/dT = -rV + df·F·φ(d1)·σ/(2√T); calendar time runs the other way.
  const theta = r * price - (df * F * pdf * vol) / (2 * sqrtT);
  const rho = -T * price;
  // s >= MIN_TOTAL_VOL here, so vol > 0 and T > 0.
  const vanna = (-df * pdf * d2) / vol;
  const volga = (vega * d1 * d2) / vol;
  // d(delta)/dT = -r·delta - df·φ(d1)·d2/(2T) for both calls and puts.
  const charm = r * delta + (df * pdf * d2) / (2 * T);
  return { price, delta, gamma, vega, vegaPerPoint: vega / 100, theta, rho, vanna, volga, charm };
}

/** Price only (skips the Greeks); same conventions and validation as black76. */
export function black76Price(input: Black76Input): number {
  validateBlack76Input(input);
  const s = input.vol * Math.sqrt(input.years);
  const df = Math.exp(-input.rate * input.years);
  if (!(s >= MIN_TOTAL_VOL)) {
    const sign = input.type === 'call' ? 1 : -1;
    return df * Math.max(sign * (input.forward - input.strike), 0);
  }
  return df * undiscountedBlack(input.type, input.forward, input.strike, s);
}

/**
 * Futures and perpetuals are linear in the underlying: one contract of `multiplier` units moves by
 * `multiplier` per unit move of its price, with no convexity, vol or time sensitivity.
 */
export function linearGreeks(multiplier: number): Greeks {
  assertFinite('multiplier', multiplier);
  return { delta: multiplier, gamma: 0, vega: 0, theta: 0, rho: 0, vanna: 0, volga: 0, charm: 0 };
}
