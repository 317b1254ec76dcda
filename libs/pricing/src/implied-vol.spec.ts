import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { black76, type OptionType } from './black76.js';
import { impliedVol } from './implied-vol.js';

const EPS = Number.EPSILON;

/**
 * Round-trip grid. Expiries 1 day to 2 years; vols 5 % to 300 %; strikes at standardised moneyness
 * z = ln(K/F)/(σ√T) from -8 to +8 (|z| = 8 is a delta around 1e-15: deep ITM on one side, deep OTM on the
 * other); calls and puts; r = 3 %.
 *
 * A price only pins the vol down to about ε·price/vega: for deep in-the-money options the time value
 * drowns in the intrinsic value's rounding (and in the worst cells the whole price is intrinsic to the last
 * bit). So the test asserts 1e-8 wherever that information limit is below 1e-10, and the information
 * limit itself (times a small factor) elsewhere — which is the best any solver can do.
 */
const YEARS = [1 / 365, 7 / 365, 30 / 365, 91 / 365, 1, 2];
const VOLS = [0.05, 0.2, 0.6, 1.5, 3];
const Z = [-8, -6, -4, -3, -2, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2, 3, 4, 6, 8];

describe('impliedVol round trips', () => {
  it('recovers the vol to 1e-8 wherever the price carries the information, and to the information limit elsewhere', () => {
    let strict = 0;
    let limited = 0;
    let maxIterations = 0;
    for (const years of YEARS) {
      for (const vol of VOLS) {
        for (const z of Z) {
          for (const type of ['call', 'put'] as const) {
            const forward = 100;
            const strike = forward * Math.exp(z * vol * Math.sqrt(years));
            const g = black76({ type, forward, strike, years, vol, rate: 0.03 });
            const result = impliedVol({ type, forward, strike, years, rate: 0.03, price: g.price });
            if (!result.ok)
              throw new Error(
                `no vol for ${JSON.stringify({ type, strike, years, vol })}: ${result.message}`,
              );
            maxIterations = Math.max(maxIterations, result.iterations);
            const resolution = (EPS * g.price) / g.vega;
            const error = Math.abs(result.vol - vol);
            if (100 * resolution <= 1e-8) {
              strict++;
              expect(error).toBeLessThanOrEqual(1e-8);
            } else {
              limited++;
              expect(error).toBeLessThanOrEqual(Math.max(4 * resolution, 1e-8));
            }
          }
        }
      }
    }
    // Most of the grid is in the strict region; the rest are deep ITM cells.
    expect(strict).toBeGreaterThan(0.85 * (strict + limited));
    expect(maxIterations).toBeLessThanOrEqual(8);
  });

  it('recovers out-of-the-money vols to 1e-12 relative on a fixed-strike grid (K/F from 0.25 to 4)', () => {
    for (const years of YEARS) {
      for (const vol of [0.1, 0.4, 0.8, 1.6]) {
        for (const ratio of [0.25, 0.5, 0.7, 0.9, 0.97, 1, 1.03, 1.1, 1.5, 2, 4]) {
          const type: OptionType = ratio >= 1 ? 'call' : 'put';
          const g = black76({ type, forward: 100, strike: 100 * ratio, years, vol, rate: 0 });
          if (g.price < 1e-290) continue; // underflow: nothing left to invert
          const result = impliedVol({
            type,
            forward: 100,
            strike: 100 * ratio,
            years,
            rate: 0,
            price: g.price,
          });
          expect(result.ok).toBe(true);
          if (result.ok) expect(Math.abs(result.vol / vol - 1)).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('converges for random arbitrage-free prices: the solved vol reprices the input (backward stable)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<OptionType>('call', 'put'),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 1 / 365, max: 2, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.double({ min: -0.05, max: 0.2, noNaN: true }),
        (type, logMoneyness, years, vol, rate) => {
          const forward = 50000;
          const strike = forward * Math.exp(logMoneyness);
          const { price, vega } = black76({ type, forward, strike, years, vol, rate });
          const result = impliedVol({ type, forward, strike, years, rate, price });
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(Number.isFinite(result.vol)).toBe(true);
          expect(result.iterations).toBeLessThanOrEqual(15);
          // The solved vol reproduces the price up to what a 1e-12 relative change of price or vol would do
          // (deep out-of-the-money prices move by ~(ln(K/F)/σ√T)² relative per relative change in vol).
          const repriced = black76({ type, forward, strike, years, vol: result.vol, rate }).price;
          expect(Math.abs(repriced - price)).toBeLessThanOrEqual(1e-12 * price + 1e-12 * vol * vega + 1e-300);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('inverts prices deep in the tail without underflow (down to ~1e-300 of the forward)', () => {
    for (const [strike, years, vol] of [
      [400, 1 / 365, 0.9],
      [130, 1 / 365, 0.3],
      [10, 7 / 365, 0.5],
      [100.5, 1 / 365, 0.01],
    ] as const) {
      const type: OptionType = strike > 100 ? 'call' : 'put';
      const price = black76({ type, forward: 100, strike, years, vol, rate: 0 }).price;
      expect(price).toBeGreaterThan(0);
      expect(price).toBeLessThan(1e-20);
      const result = impliedVol({ type, forward: 100, strike, years, rate: 0, price });
      expect(result.ok && Math.abs(result.vol / vol - 1)).toBeLessThan(1e-12);
    }
  });

  it('handles prices near the upper bound (vol in the hundreds of percent)', () => {
    const g = black76({ type: 'call', forward: 100, strike: 100, years: 2, vol: 5, rate: 0 });
    const result = impliedVol({ type: 'call', forward: 100, strike: 100, years: 2, rate: 0, price: g.price });
    expect(result.ok && Math.abs(result.vol - 5)).toBeLessThan(1e-9);
  });
});

describe('impliedVol failures', () => {
  const base = { type: 'call' as const, forward: 100, strike: 90, years: 0.5, rate: 0.05 };
  const df = Math.exp(-0.05 * 0.5);

  it('PRICE_BELOW_INTRINSIC below the discounted intrinsic value (and for negative prices)', () => {
    const r = impliedVol({ ...base, price: 10 * df - 1e-6 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('PRICE_BELOW_INTRINSIC');
      expect(r.message).toMatch(/intrinsic/);
    }
    expect(impliedVol({ ...base, type: 'put', strike: 110, price: 9 * df }).ok).toBe(false);
    expect(impliedVol({ ...base, strike: 120, price: -0.01 })).toMatchObject({
      ok: false,
      code: 'PRICE_BELOW_INTRINSIC',
    });
  });

  it('PRICE_ABOVE_MAXIMUM at or above the discounted forward (call) or strike (put)', () => {
    expect(impliedVol({ ...base, price: 100 * df })).toMatchObject({
      ok: false,
      code: 'PRICE_ABOVE_MAXIMUM',
    });
    expect(impliedVol({ ...base, price: 150 })).toMatchObject({ ok: false, code: 'PRICE_ABOVE_MAXIMUM' });
    expect(impliedVol({ ...base, type: 'put', price: 90 * df })).toMatchObject({
      ok: false,
      code: 'PRICE_ABOVE_MAXIMUM',
    });
  });

  it('INVALID_INPUT for non-finite or out-of-domain inputs', () => {
    expect(impliedVol({ ...base, price: NaN })).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    expect(impliedVol({ ...base, forward: 0, price: 1 })).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    expect(impliedVol({ ...base, strike: -5, price: 1 })).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    expect(impliedVol({ ...base, years: 0, price: 12 })).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    expect(impliedVol({ ...base, rate: Infinity, price: 12 })).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
    });
    expect(impliedVol({ ...base, type: 'fwd' as OptionType, price: 12 })).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
    });
  });

  it('a price exactly at intrinsic is a zero vol', () => {
    expect(impliedVol({ ...base, strike: 120, price: 0 })).toEqual({ ok: true, vol: 0, iterations: 0 });
    expect(impliedVol({ ...base, price: 10 })).toMatchObject({ ok: true }); // 10 > 10·df: positive time value
  });
});
