import { describe, expect, it } from '@jest/globals';

import {
  calibrateSvi,
  checkSviButterfly,
  type SviSlice,
  sviDensityFactor,
  sviTotalVariance,
  sviVol,
} from './svi.js';

function smile(slice: SviSlice, forward: number, years: number, ks: readonly number[]) {
  return ks.map((k) => ({ strike: forward * Math.exp(k), vol: sviVol(slice, k, years) }));
}

const K_GRID = Array.from({ length: 15 }, (_, i) => -0.6 + (1.2 * i) / 14);

describe('SVI slice', () => {
  it('evaluates raw SVI total variance and vol', () => {
    const slice: SviSlice = { a: 0.04, b: 0.4, rho: -0.4, m: 0.1, sigma: 0.2 };
    // w(k) = a + b(ρ(k-m) + √((k-m)² + σ²)); at k = m: a + bσ.
    expect(sviTotalVariance(slice, 0.1)).toBeCloseTo(0.04 + 0.4 * 0.2, 15);
    expect(sviVol(slice, 0.1, 0.5)).toBeCloseTo(Math.sqrt(0.12 / 0.5), 15);
    expect(() => sviVol(slice, 0, 0)).toThrow(RangeError);
  });
});

describe('calibrateSvi', () => {
  it.each<[string, SviSlice, number]>([
    ['3-month equity-like skew', { a: 0.01, b: 0.1, rho: -0.3, m: 0.05, sigma: 0.2 }, 0.25],
    ['1-year with negative a', { a: -0.02, b: 0.3, rho: -0.5, m: -0.1, sigma: 0.4 }, 1],
    ['1-week call skew', { a: 0.0005, b: 0.02, rho: 0.2, m: 0, sigma: 0.03 }, 7 / 365],
  ])('recovers known parameters from exact vols (%s)', (_name, slice, years) => {
    const fit = calibrateSvi(smile(slice, 100, years, K_GRID), 100, years);
    expect(fit.slice.a).toBeCloseTo(slice.a, 7);
    expect(fit.slice.b).toBeCloseTo(slice.b, 7);
    expect(fit.slice.rho).toBeCloseTo(slice.rho, 6);
    expect(fit.slice.m).toBeCloseTo(slice.m, 6);
    expect(fit.slice.sigma).toBeCloseTo(slice.sigma, 6);
    expect(fit.rmseVol).toBeLessThan(1e-9);
    expect(fit.maxAbsErrorVol).toBeLessThan(1e-9);
  });

  it('reports the fit error on noisy quotes, deterministically', () => {
    const truth: SviSlice = { a: 0.02, b: 0.15, rho: -0.25, m: 0, sigma: 0.15 };
    // Alternating ±0.5 vol point perturbation.
    const points = smile(truth, 30000, 0.5, K_GRID).map((p, i) => ({
      ...p,
      vol: p.vol + (i % 2 === 0 ? 0.005 : -0.005),
    }));
    const fit = calibrateSvi(points, 30000, 0.5);
    const again = calibrateSvi(points, 30000, 0.5);
    expect(again).toEqual(fit);
    expect(fit.rmseVol).toBeGreaterThan(0.003);
    expect(fit.rmseVol).toBeLessThan(0.006);
    expect(fit.maxAbsErrorVol).toBeGreaterThanOrEqual(fit.rmseVol);
    const recomputed = Math.sqrt(
      points.reduce((s, p) => s + (sviVol(fit.slice, Math.log(p.strike / 30000), 0.5) - p.vol) ** 2, 0) /
        points.length,
    );
    expect(fit.rmseVol).toBeCloseTo(recomputed, 14);
    expect(checkSviButterfly(fit.slice).ok).toBe(true);
  });

  it('respects the wing bound b(1+|ρ|) ≤ 2 even when the data want steeper wings', () => {
    const points = [-0.8, -0.4, -0.1, 0, 0.1, 0.4, 0.8].map((k) => ({
      strike: 100 * Math.exp(k),
      vol: 0.3 + 3 * k * k,
    }));
    const fit = calibrateSvi(points, 100, 1);
    expect(fit.slice.b * (1 + Math.abs(fit.slice.rho))).toBeLessThanOrEqual(2 + 1e-9);
    expect(fit.rmseVol).toBeGreaterThan(0);
  });

  it('rejects unusable input', () => {
    expect(() => calibrateSvi([{ strike: 100, vol: 0.5 }], 100, 1)).toThrow(/at least 5/);
    expect(() =>
      calibrateSvi(smile({ a: 0.01, b: 0.1, rho: 0, m: 0, sigma: 0.1 }, 100, 1, K_GRID), -1, 1),
    ).toThrow(/forward/);
    expect(() =>
      calibrateSvi(
        [...Array(5).keys()].map((i) => ({ strike: 90 + i, vol: -0.1 })),
        100,
        1,
      ),
    ).toThrow(/vol/);
  });
});

describe('checkSviButterfly', () => {
  it('accepts a well-behaved slice', () => {
    expect(checkSviButterfly({ a: 0.04, b: 0.4, rho: -0.4, m: 0.1, sigma: 0.2 })).toEqual({ ok: true });
  });

  it("rejects Axel Vogt's slice (Gatheral & Jacquier 2014, eq. 2.5) with the k of the negative density", () => {
    const vogt: SviSlice = { a: -0.041, b: 0.1331, rho: 0.306, m: 0.3586, sigma: 0.4153 };
    const check = checkSviButterfly(vogt);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.reason).toMatch(/butterfly arbitrage at k = /);
    const k = Number(/k = (-?[\d.]+)/.exec(check.reason)?.[1]);
    expect(sviDensityFactor(vogt, k)).toBeLessThan(0);
    expect(k).toBeGreaterThan(0.5);
    expect(k).toBeLessThan(1.2);
  });

  it('rejects negative variance, invalid parameters and wings steeper than Lee allows', () => {
    expect(checkSviButterfly({ a: -0.1, b: 0.1, rho: 0, m: 0, sigma: 0.1 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/negative/),
    });
    expect(checkSviButterfly({ a: 0.1, b: -0.1, rho: 0, m: 0, sigma: 0.1 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/b = /),
    });
    expect(checkSviButterfly({ a: 0.1, b: 0.1, rho: 1.2, m: 0, sigma: 0.1 })).toMatchObject({ ok: false });
    expect(checkSviButterfly({ a: 0.1, b: 0.1, rho: 0, m: 0, sigma: 0 })).toMatchObject({ ok: false });
    expect(checkSviButterfly({ a: 0.1, b: 1.8, rho: -0.5, m: 0, sigma: 0.5 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/Lee/),
    });
  });
});
