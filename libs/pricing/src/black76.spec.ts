import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { black76, type Black76Input, black76Price, linearGreeks, type OptionType } from './black76.js';

const optionInput = fc.record({
  type: fc.constantFrom<OptionType>('call', 'put'),
  forward: fc.double({ min: 20, max: 5000, noNaN: true }),
  logMoneyness: fc.double({ min: -1, max: 1, noNaN: true }),
  years: fc.double({ min: 2 / 365, max: 2, noNaN: true }),
  vol: fc.double({ min: 0.05, max: 2, noNaN: true }),
  rate: fc.double({ min: -0.02, max: 0.1, noNaN: true }),
});

function toInput(p: {
  type: OptionType;
  forward: number;
  logMoneyness: number;
  years: number;
  vol: number;
  rate: number;
}): Black76Input {
  return {
    type: p.type,
    forward: p.forward,
    strike: p.forward * Math.exp(p.logMoneyness),
    years: p.years,
    vol: p.vol,
    rate: p.rate,
  };
}

/** Central difference of f at x with step h. */
function central(f: (x: number) => number, x: number, h: number): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

function expectClose(actual: number, expected: number, absTol: number, relTol = 1e-6): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(absTol + relTol * Math.abs(expected));
}

describe('black76 reference values', () => {
  it("Hull, Options, Futures and Other Derivatives, chapter 'Futures Options', Black's model example: 4-month ATM put on crude futures", () => {
    // F0 = K = 20, r = 9 %, σ = 25 %, T = 4/12: "the put price is 1.12".
    const r = black76({ type: 'put', forward: 20, strike: 20, years: 4 / 12, vol: 0.25, rate: 0.09 });
    expect(r.price).toBeCloseTo(1.12, 2);
    // Same inputs at 40 digits (mpmath 1.3): 1.1166414565589434794.
    expect(r.price).toBeCloseTo(1.1166414565589435, 13);
  });

  it("Hull, chapter 'The Black-Scholes-Merton Model' example restated on the forward: S0 = 42, K = 40, r = 10 %, σ = 20 %, T = 0.5", () => {
    // Black–Scholes gives c = 4.76 and p = 0.81; Black-76 with F = S0·e^{rT} must agree.
    const forward = 42 * Math.exp(0.1 * 0.5);
    const call = black76({ type: 'call', forward, strike: 40, years: 0.5, vol: 0.2, rate: 0.1 });
    const put = black76({ type: 'put', forward, strike: 40, years: 0.5, vol: 0.2, rate: 0.1 });
    expect(call.price).toBeCloseTo(4.76, 2);
    expect(put.price).toBeCloseTo(0.81, 2);
    expect(call.price).toBeCloseTo(4.759422392871533, 12); // mpmath, 40 digits
    expect(put.price).toBeCloseTo(0.8085993729000936, 12);
  });

  it("Hull, chapter 'The Greek Letters' running example: S0 = 49, K = 50, r = 5 %, σ = 20 %, T = 20 weeks", () => {
    // Hull quotes price 2.40, Δ = 0.522, Γ = 0.066, vega = 12.1 in spot terms. With F = S0·e^{rT}:
    // Δ_S = Δ_F·e^{rT}, Γ_S = Γ_F·e^{2rT}; vega is the same in both parametrisations.
    const years = 20 / 52;
    const growth = Math.exp(0.05 * years);
    const r = black76({ type: 'call', forward: 49 * growth, strike: 50, years, vol: 0.2, rate: 0.05 });
    expect(r.price).toBeCloseTo(2.4, 2);
    expect(r.delta * growth).toBeCloseTo(0.522, 3);
    expect(r.gamma * growth * growth).toBeCloseTo(0.066, 3);
    expect(r.vega).toBeCloseTo(12.1, 1);
    expect(r.vegaPerPoint).toBeCloseTo(0.121, 3);
    expect(r.vega).toBeCloseTo(12.1054798826288, 11); // mpmath
  });

  it('keeps relative precision on tiny out-of-the-money prices', () => {
    // mpmath 40-digit references.
    const a = black76Price({ type: 'call', forward: 100, strike: 250, years: 7 / 365, vol: 0.8, rate: 0.05 });
    expect(Math.abs(a / Number('1.3687785799676343825e-16') - 1)).toBeLessThan(1e-12);
    const b = black76Price({ type: 'put', forward: 60000, strike: 30000, years: 1 / 365, vol: 0.5, rate: 0 });
    expect(Math.abs(b / Number('3.0065824539718771438e-153') - 1)).toBeLessThan(1e-10);
    const c = black76Price({ type: 'call', forward: 100, strike: 95, years: 0.5, vol: 0.6, rate: 0.03 });
    expect(Math.abs(c / Number('18.714520619484270782') - 1)).toBeLessThan(1e-15);
  });
});

describe('put-call parity', () => {
  it('C - P = e^{-rT}(F - K) to 1e-10 (relative to F) for random inputs', () => {
    fc.assert(
      fc.property(optionInput, (p) => {
        const input = toInput(p);
        const call = black76({ ...input, type: 'call' });
        const put = black76({ ...input, type: 'put' });
        const df = Math.exp(-input.rate * input.years);
        expect(Math.abs(call.price - put.price - df * (input.forward - input.strike))).toBeLessThan(
          1e-10 * input.forward,
        );
        expect(Math.abs(call.delta - put.delta - df)).toBeLessThan(1e-12);
        expect(call.gamma).toBeCloseTo(put.gamma, 12);
        expect(call.vega).toBe(put.vega);
      }),
      { numRuns: 500 },
    );
  });
});

describe('Greeks against central finite differences', () => {
  it('every Greek matches a bump-and-reprice estimate over random inputs', () => {
    fc.assert(
      fc.property(optionInput, (p) => {
        const input = toInput(p);
        const { forward: F, years: T, vol, rate } = input;
        const r = black76(input);
        const price = (over: Partial<Black76Input>): number => black76({ ...input, ...over }).price;
        const greeks = (over: Partial<Black76Input>) => black76({ ...input, ...over });
        // Bumps are small against the option's own width (σ√T in log-moneyness), not just against F.
        const s = vol * Math.sqrt(T);
        const hF = 1e-3 * F * s;
        const hV = 1e-4 * vol;
        const hT = 1e-4 * T;
        // Natural scales of each Greek so that tolerances are meaningful in every regime.
        const gammaScale = 1 / (F * s);
        const vegaScale = F * Math.sqrt(T);

        expectClose(
          r.delta,
          central((x) => price({ forward: x }), F, hF),
          1e-7,
        );
        expectClose(
          r.gamma,
          central((x) => greeks({ forward: x }).delta, F, hF),
          1e-6 * gammaScale,
          1e-5,
        );
        expectClose(
          r.vega,
          central((x) => price({ vol: x }), vol, hV),
          1e-7 * vegaScale,
        );
        expectClose(
          r.theta,
          -central((x) => price({ years: x }), T, hT),
          1e-6 * F * Math.max(vol / Math.sqrt(T), 1),
          1e-5,
        );
        expectClose(
          r.rho,
          central((x) => price({ rate: x }), rate, 1e-5),
          1e-8 * F,
        );
        expectClose(
          r.vanna,
          central((x) => greeks({ vol: x }).delta, vol, hV),
          1e-6 / s,
          1e-5,
        );
        expectClose(
          r.volga,
          central((x) => greeks({ vol: x }).vega, vol, hV),
          (1e-6 * vegaScale) / s,
          1e-5,
        );
        expectClose(r.charm, -central((x) => greeks({ years: x }).delta, T, hT), 1e-6 / T, 1e-5);
        expect(r.vegaPerPoint).toBeCloseTo(r.vega / 100, 14);
      }),
      { numRuns: 400 },
    );
  });
});

describe('limits', () => {
  it('at expiry (years = 0) the option is intrinsic with a step delta and no NaN', () => {
    const itm = black76({ type: 'call', forward: 110, strike: 100, years: 0, vol: 0.5, rate: 0.05 });
    expect(itm.price).toBe(10);
    expect(itm.delta).toBe(1);
    const otm = black76({ type: 'put', forward: 110, strike: 100, years: 0, vol: 0.5, rate: 0.05 });
    expect(otm.price).toBe(0);
    expect(otm.delta).toBe(-0);
    const atm = black76({ type: 'call', forward: 100, strike: 100, years: 0, vol: 0.5, rate: 0 });
    expect(atm.delta).toBe(0.5);
    for (const r of [itm, otm, atm]) {
      for (const value of Object.values(r)) expect(Number.isFinite(value)).toBe(true);
      expect(r.gamma).toBe(0);
      expect(r.vega).toBe(0);
    }
  });

  it('at zero vol the option is discounted intrinsic; theta is pure discounting', () => {
    const r = black76({ type: 'put', forward: 90, strike: 100, years: 0.5, vol: 0, rate: 0.04 });
    const df = Math.exp(-0.02);
    expect(r.price).toBeCloseTo(10 * df, 14);
    expect(r.delta).toBeCloseTo(-df, 14);
    expect(r.theta).toBeCloseTo(0.04 * r.price, 14);
    expect(r.rho).toBeCloseTo(-0.5 * r.price, 14);
    for (const value of Object.values(r)) expect(Number.isFinite(value)).toBe(true);
  });

  it('converges continuously to the limits as years → 0 and vol → 0', () => {
    for (const years of [1e-6, 1e-10, 1e-14]) {
      const r = black76({ type: 'call', forward: 101, strike: 100, years, vol: 0.8, rate: 0.01 });
      expect(r.price).toBeCloseTo(1, 2);
      expect(r.delta).toBeCloseTo(1, 6);
      for (const value of Object.values(r)) expect(Number.isFinite(value)).toBe(true);
    }
    const atm = black76({ type: 'call', forward: 100, strike: 100, years: 1e-12, vol: 0.5, rate: 0 });
    expect(atm.delta).toBeCloseTo(0.5, 6);
    const deep = black76({ type: 'call', forward: 100, strike: 1e6, years: 2, vol: 1e-9, rate: 0 });
    expect(deep.price).toBe(0);
    expect(Object.values(deep).every(Number.isFinite)).toBe(true);
  });

  it('rejects invalid inputs', () => {
    const base: Black76Input = { type: 'call', forward: 100, strike: 100, years: 1, vol: 0.5, rate: 0 };
    expect(() => black76({ ...base, forward: 0 })).toThrow(RangeError);
    expect(() => black76({ ...base, strike: -1 })).toThrow(/strike/);
    expect(() => black76({ ...base, years: -1 })).toThrow(/years/);
    expect(() => black76({ ...base, vol: NaN })).toThrow(/vol/);
    expect(() => black76({ ...base, type: 'straddle' as OptionType })).toThrow(/type/);
  });
});

describe('linearGreeks', () => {
  it('futures and perpetuals: delta = multiplier, everything else zero', () => {
    expect(linearGreeks(0.1)).toEqual({
      delta: 0.1,
      gamma: 0,
      vega: 0,
      theta: 0,
      rho: 0,
      vanna: 0,
      volga: 0,
      charm: 0,
    });
    expect(linearGreeks(-1).delta).toBe(-1);
  });
});
