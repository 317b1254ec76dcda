import { describe, expect, it } from '@jest/globals';
import { defaultSurface, surfaceVol } from '@app/pricing';
import { calibrateSsvi, type SsviParams, ssviVol, type VolPoint } from './ssvi-calibration.js';

const truth: SsviParams = {
  atmVol: 0.58,
  skew: -0.25,
  smile: 1.2,
  termSlope: 0.08,
  referenceYears: 30 / 365,
};
const expiries = [7, 14, 30, 60, 90, 180].map((d) => d / 365);
const grid = (p: SsviParams): VolPoint[] =>
  expiries.flatMap((years) =>
    [-0.3, -0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2, 0.3].map((k) => ({ years, k, iv: ssviVol(p, k, years) })),
  );

describe('SSVI closed form', () => {
  it('matches the defaultSurface slices of @app/pricing at their expiries', () => {
    const surface = defaultSurface(100, { ...truth, expiries });
    for (const years of expiries) {
      for (const k of [-0.5, -0.1, 0, 0.2, 0.6]) {
        const strike = 100 * Math.exp(k);
        expect(ssviVol(truth, k, years)).toBeCloseTo(surfaceVol(surface, strike, years, 100), 12);
      }
    }
  });
});

describe('calibrateSsvi', () => {
  it('recovers the parameters of an SSVI market', () => {
    const fit = calibrateSsvi(grid(truth));
    expect(fit).not.toBeNull();
    expect(fit!.atmVol).toBeCloseTo(truth.atmVol, 4);
    expect(fit!.skew).toBeCloseTo(truth.skew, 3);
    expect(fit!.smile).toBeCloseTo(truth.smile, 2);
    expect(fit!.termSlope).toBeCloseTo(truth.termSlope, 3);
    expect(fit!.rmseVol).toBeLessThan(1e-4);
    // Far-wing points of the 7-day expiry (|k| > 2.5 σ√T) are left out.
    expect(fit!.points).toBeGreaterThan(48);
    expect(fit!.points).toBeLessThan(54);
  });

  it('finds a positive skew when calls are bid', () => {
    const fit = calibrateSsvi(grid({ ...truth, skew: 0.3 }), { start: { skew: -0.2 } });
    expect(fit!.skew).toBeCloseTo(0.3, 2);
  });

  it('keeps the term slope near zero when one expiry cannot identify it', () => {
    const points = grid(truth).filter((p) => p.years === 60 / 365);
    const fit = calibrateSsvi(points)!;
    expect(Math.abs(fit.termSlope)).toBeLessThan(0.05);
    // The level at that expiry is still right.
    expect(ssviVol(fit, 0, 60 / 365)).toBeCloseTo(ssviVol(truth, 0, 60 / 365), 3);
  });

  it('needs at least four usable points', () => {
    expect(calibrateSsvi([])).toBeNull();
    const few = grid(truth).slice(0, 3);
    expect(calibrateSsvi(few)).toBeNull();
    // Too short or absurd vols are filtered out.
    expect(calibrateSsvi(grid(truth).map((p) => ({ ...p, years: 1 / 365 })))).toBeNull();
    expect(calibrateSsvi(grid(truth).map((p) => ({ ...p, iv: Number.NaN })))).toBeNull();
  });
});
