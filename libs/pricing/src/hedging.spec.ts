import { describe, expect, it } from '@jest/globals';

import { depthSlippage, hedgeDecision, whalleyWilmottBand } from './hedging.js';

describe('whalleyWilmottBand', () => {
  it('computes H = (3/2 e^{-rτ} λ S Γ² / γ)^{1/3}', () => {
    const band = whalleyWilmottBand({
      gamma: 0.002,
      spot: 60000,
      costRate: 0.0005,
      riskAversion: 1e-4,
      rate: 0.05,
      tau: 0.25,
    });
    const h = Math.cbrt((1.5 * Math.exp(-0.05 * 0.25) * 0.0005 * 60000 * 0.002 ** 2) / 1e-4);
    expect(band.whalleyWilmott).toBeCloseTo(h, 14);
    expect(band.halfWidth).toBe(band.whalleyWilmott);
    expect(band.lower).toBeCloseTo(-h, 14);
    expect(band.upper).toBeCloseTo(h, 14);
    // Cube-root scaling: 8x the cost doubles the band; the band is symmetric in the sign of gamma.
    const wider = whalleyWilmottBand({
      gamma: -0.002,
      spot: 60000,
      costRate: 0.004,
      riskAversion: 1e-4,
      rate: 0.05,
      tau: 0.25,
    });
    expect(wider.halfWidth).toBeCloseTo(2 * h, 12);
  });

  it('applies the minimum width and centres on the target', () => {
    const band = whalleyWilmottBand({
      gamma: 0,
      spot: 3000,
      costRate: 0.001,
      riskAversion: 1,
      minHalfWidth: 0.5,
      target: 2,
    });
    expect(band).toEqual({ target: 2, halfWidth: 0.5, whalleyWilmott: 0, lower: 1.5, upper: 2.5 });
  });

  it('validates inputs', () => {
    expect(() => whalleyWilmottBand({ gamma: 1, spot: 100, costRate: 0.001, riskAversion: 0 })).toThrow(
      /riskAversion/,
    );
    expect(() => whalleyWilmottBand({ gamma: 1, spot: -1, costRate: 0.001, riskAversion: 1 })).toThrow(
      /spot/,
    );
  });
});

describe('hedgeDecision', () => {
  const band = { lower: -1, upper: 1 };
  it('does nothing inside the band, edges included', () => {
    expect(hedgeDecision({ delta: 0.3, band })).toBe(0);
    expect(hedgeDecision({ delta: 1, band })).toBe(0);
    expect(hedgeDecision({ delta: -1, band })).toBe(0);
  });
  it('trades back to the nearest edge outside it', () => {
    expect(hedgeDecision({ delta: 3.5, band })).toBe(-2.5);
    expect(hedgeDecision({ delta: -4, band })).toBe(3);
    const ww = whalleyWilmottBand({ gamma: 0.01, spot: 100, costRate: 0.01, riskAversion: 1, target: 5 });
    expect(5.2 + hedgeDecision({ delta: 5.2, band: ww })).toBeCloseTo(Math.min(5.2, ww.upper), 14);
  });
});

describe('depthSlippage', () => {
  const book = { mid: 100, halfSpread: 0.5, depthPerLevel: 2, levelStep: 0.25 };
  it('walks the asks for a buy and the bids for a sell', () => {
    // 5 units: 2 @ 100.5, 2 @ 100.75, 1 @ 101.0
    const buy = depthSlippage(5, book);
    expect(buy.cost).toBeCloseTo(2 * 0.5 + 2 * 0.75 + 1 * 1, 12);
    expect(buy.averagePrice).toBeCloseTo((2 * 100.5 + 2 * 100.75 + 101) / 5, 12);
    const sell = depthSlippage(-5, book);
    expect(sell.cost).toBeCloseTo(buy.cost, 12);
    expect(sell.averagePrice).toBeCloseTo((2 * 99.5 + 2 * 99.25 + 99) / 5, 12);
  });
  it('is free for zero quantity and grows faster than linearly', () => {
    expect(depthSlippage(0, book)).toEqual({ averagePrice: 100, cost: 0 });
    expect(depthSlippage(1, book).averagePrice).toBe(100.5);
    expect(depthSlippage(20, book).cost / 20).toBeGreaterThan(depthSlippage(10, book).cost / 10);
    expect(() => depthSlippage(1, { ...book, depthPerLevel: 0 })).toThrow(/depthPerLevel/);
  });
});
