import { describe, expect, it } from '@jest/globals';
import { Decimal } from '@app/core';
import { whalleyWilmottBand } from '@app/pricing';
import { hedgeBook, planHedge } from './hedge-plan.js';

const d = (v: string | number) => new Decimal(v);
const PERP = { tickSize: d('0.5'), lotSize: d('0.001'), multiplier: d(1) };
const BASE = { gamma: -5e-4, spot: 100_000, costRate: 2e-4, riskAversion: 1e-4, perp: PERP };

describe('hedge plan', () => {
  it('the book is relative to the index: 0.5 bp half spread and step, 250k USDC a level', () => {
    expect(hedgeBook(100_000)).toEqual({ mid: 100_000, halfSpread: 5, levelStep: 5, depthPerLevel: 2.5 });
    expect(hedgeBook(3_500).depthPerLevel).toBeCloseTo(71.43, 2);
  });

  it('does nothing inside the Whalley–Wilmott band', () => {
    const band = whalleyWilmottBand({
      gamma: BASE.gamma,
      spot: BASE.spot,
      costRate: BASE.costRate,
      riskAversion: BASE.riskAversion,
    });
    expect(band.halfWidth).toBeGreaterThan(0.1);
    expect(planHedge({ ...BASE, delta: band.upper * 0.99 })).toBeNull();
    expect(planHedge({ ...BASE, delta: band.lower * 0.99 })).toBeNull();
  });

  it('buys perpetuals back to the lower edge when short delta, paying above the index', () => {
    const plan = planHedge({ ...BASE, delta: -10 })!;
    expect(plan.side).toBe('BUY');
    // To the edge, rounded toward zero to the lot: the book ends at most one lot outside it.
    expect(plan.deltaAfter).toBeLessThanOrEqual(plan.band.lower + 1e-12);
    expect(plan.deltaAfter).toBeGreaterThan(plan.band.lower - 0.001 - 1e-12);
    expect(plan.quantity.mod('0.001').isZero()).toBe(true);
    expect(plan.price.mod('0.5').isZero()).toBe(true);
    expect(plan.price.gt(100_000)).toBe(true);
    // ~9.6 BTC walks four 2.5 BTC levels: average cost between 0.5 and 2.5 bp.
    const bp = plan.price.minus(100_000).div(100_000).mul(1e4).toNumber();
    expect(bp).toBeGreaterThan(0.5);
    expect(bp).toBeLessThan(2.5);
    expect(plan.slippageCost).toEqual(plan.price.minus(plan.referencePrice).mul(plan.quantity));
  });

  it('sells when long delta, receiving below the index', () => {
    const plan = planHedge({ ...BASE, delta: 3 })!;
    expect(plan.side).toBe('SELL');
    expect(plan.price.lt(100_000)).toBe(true);
    expect(plan.slippageCost.gt(0)).toBe(true);
    expect(plan.deltaAfter).toBeGreaterThanOrEqual(plan.band.upper - 1e-12);
  });

  it('a flat-gamma book uses one lot as the band: less than a lot outside is left alone', () => {
    const flat = { ...BASE, gamma: 0 };
    expect(planHedge({ ...flat, delta: 0.0015 })).toBeNull();
    const plan = planHedge({ ...flat, delta: 2.5 })!;
    expect(plan.band.halfWidth).toBe(0.001);
    expect(plan.quantity).toEqual(d('2.499'));
  });
});
