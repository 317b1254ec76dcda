import { describe, expect, it } from '@jest/globals';

import {
  buildSurface,
  defaultSurface,
  type SurfaceSlice,
  surfaceForward,
  surfaceTotalVariance,
  surfaceVol,
} from './surface.js';
import { type SviSlice, sviTotalVariance, sviVol } from './svi.js';

const S1: SviSlice = { a: 0.002, b: 0.05, rho: -0.3, m: 0, sigma: 0.05 };
const S2: SviSlice = { a: 0.01, b: 0.1, rho: -0.3, m: 0, sigma: 0.1 };
const S3: SviSlice = { a: 0.04, b: 0.15, rho: -0.25, m: 0.02, sigma: 0.2 };

function slices(): SurfaceSlice[] {
  return [
    { years: 0.25, forward: 101, slice: S2 },
    { years: 30 / 365, forward: 100.3, slice: S1 },
    { years: 1, forward: 104, slice: S3 },
  ];
}

describe('buildSurface', () => {
  it('accepts an arbitrage-free surface and sorts the slices by expiry', () => {
    const built = buildSurface({ underlying: 'BTC', spot: 100, slices: slices() });
    expect(built.ok).toBe(true);
    if (built.ok) expect(built.surface.slices.map((s) => s.years)).toEqual([30 / 365, 0.25, 1]);
  });

  it('rejects butterfly arbitrage in a slice, naming the expiry and k', () => {
    const vogt: SviSlice = { a: -0.041, b: 0.1331, rho: 0.306, m: 0.3586, sigma: 0.4153 };
    const built = buildSurface({
      underlying: 'BTC',
      spot: 100,
      slices: [...slices().slice(0, 2), { years: 1, forward: 104, slice: vogt }],
    });
    expect(built.ok).toBe(false);
    if (!built.ok)
      expect(built.reason).toMatch(/^slice T=1\.000y \(365\.0d\): butterfly arbitrage at k = 0\.\d+/);
  });

  it('rejects calendar arbitrage (total variance falling with T at fixed k), naming both expiries and k', () => {
    // The 3-month slice has less total variance than the 1-month one on the put side.
    const low: SviSlice = { ...S1, a: 0.003, rho: 0.3 };
    const built = buildSurface({
      underlying: 'ETH',
      spot: 100,
      slices: [
        { years: 30 / 365, forward: 100, slice: { ...S1, a: 0.004 } },
        { years: 0.25, forward: 100, slice: low },
      ],
    });
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(built.reason).toMatch(
      /^calendar arbitrage between T=0\.08219y \(30\.0d\) and T=0\.2500y \(91\.3d\) at k=-?[\d.]+/,
    );
    const k = Number(/at k=(-?[\d.e+-]+)/.exec(built.reason)?.[1]);
    expect(sviTotalVariance(low, k)).toBeLessThan(sviTotalVariance({ ...S1, a: 0.004 }, k));
  });

  it('rejects calendar arbitrage that only shows in the far wings, beyond the k grid', () => {
    // The later slice sits well above on the grid but its wings are flatter: w2 - w1 ≈ 0.09 - 0.01|k|
    // turns negative only around |k| = 9.
    const built = buildSurface({
      underlying: 'BTC',
      spot: 100,
      slices: [
        { years: 0.1, forward: 100, slice: { a: 0.01, b: 0.1, rho: 0, m: 0, sigma: 0.1 } },
        { years: 0.2, forward: 100, slice: { a: 0.1, b: 0.09, rho: 0, m: 0, sigma: 0.1 } },
      ],
    });
    expect(built).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /^calendar arbitrage between T=0\.1000y \(36\.5d\) and T=0\.2000y \(73\.0d\) in the right \(k→\+∞\) wing/,
      ),
    });
  });

  it('rejects bad inputs with a reason', () => {
    expect(buildSurface({ underlying: 'BTC', spot: 100, slices: [] })).toMatchObject({ ok: false });
    expect(
      buildSurface({ underlying: 'BTC', spot: 100, slices: [{ years: 0, forward: 100, slice: S1 }] }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/years/),
    });
    expect(
      buildSurface({
        underlying: 'BTC',
        spot: 100,
        slices: [
          { years: 0.1, forward: 100, slice: S1 },
          { years: 0.1, forward: 100, slice: S2 },
        ],
      }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/share/) });
  });
});

describe('surfaceVol', () => {
  const built = buildSurface({ underlying: 'BTC', spot: 100, slices: slices() });
  if (!built.ok) throw new Error(built.reason);
  const surface = built.surface;

  it('reproduces each slice at its own expiry', () => {
    for (const s of surface.slices) {
      for (const k of [-0.5, -0.1, 0, 0.2]) {
        expect(surfaceVol(surface, s.forward * Math.exp(k), s.years, s.forward)).toBeCloseTo(
          sviVol(s.slice, k, s.years),
          14,
        );
      }
    }
  });

  it('interpolates linearly in total variance at fixed log-moneyness', () => {
    const years = (0.25 + 1) / 2;
    const k = -0.2;
    const expected = (sviTotalVariance(S2, k) + sviTotalVariance(S3, k)) / 2;
    expect(surfaceTotalVariance(surface, k, years)).toBeCloseTo(expected, 15);
    expect(surfaceVol(surface, 102 * Math.exp(k), years, 102)).toBeCloseTo(Math.sqrt(expected / years), 14);
  });

  it('extrapolates with flat vol before the first and after the last expiry', () => {
    const k = 0.1;
    expect(surfaceVol(surface, 100 * Math.exp(k), 1 / 365, 100)).toBeCloseTo(sviVol(S1, k, 30 / 365), 14);
    expect(surfaceVol(surface, 100 * Math.exp(k), 3, 100)).toBeCloseTo(sviVol(S3, k, 1), 14);
  });

  it('interpolates forwards with a piecewise constant carry', () => {
    expect(surfaceForward(surface, 0)).toBe(100);
    expect(surfaceForward(surface, 0.25)).toBeCloseTo(101, 12);
    const mid = surfaceForward(surface, 0.625);
    expect(mid).toBeCloseTo(Math.sqrt(101 * 104), 10);
    expect(surfaceForward(surface, 2)).toBeCloseTo(100 * (104 / 100) ** 2, 10);
  });
});

describe('defaultSurface', () => {
  it('builds an arbitrage-free crypto surface whose ATM level and skew follow the parameters', () => {
    const surface = defaultSurface(60000, { atmVol: 0.55, skew: -0.2, carry: 0.05 });
    expect(surface.slices).toHaveLength(9);
    const years = 30 / 365;
    const forward = surfaceForward(surface, years);
    expect(forward).toBeCloseTo(60000 * Math.exp(0.05 * years), 6);
    expect(surfaceVol(surface, forward, years, forward)).toBeCloseTo(0.55, 12);
    // Negative skew: 10 % OTM puts above 10 % OTM calls.
    expect(surfaceVol(surface, forward * 0.9, years, forward)).toBeGreaterThan(
      surfaceVol(surface, forward * 1.1, years, forward),
    );
    const bullish = defaultSurface(60000, { atmVol: 0.55, skew: 0.3 });
    expect(surfaceVol(bullish, 54000, years, 60000)).toBeLessThan(surfaceVol(bullish, 66000, years, 60000));
  });

  it('stays arbitrage-free across the parameter ranges a simulator will use', () => {
    for (const atmVol of [0.2, 0.6, 1.5]) {
      for (const skew of [-0.9, -0.3, 0, 0.5]) {
        for (const termSlope of [-0.3, 0, 0.3]) {
          for (const smile of [0.5, 1, 3]) {
            expect(() => defaultSurface(2000, { atmVol, skew, termSlope, smile })).not.toThrow();
          }
        }
      }
    }
    expect(() => defaultSurface(100, { atmVol: 0.5, skew: 1 })).toThrow(/skew/);
    expect(() => defaultSurface(100, { atmVol: 0.5, skew: 0, termSlope: -0.6 })).toThrow(/termSlope/);
  });
});
