import { describe, expect, it } from '@jest/globals';

import { black76 } from './black76.js';
import { defaultSurface } from './surface.js';
import {
  DEFAULT_SPOT_SHOCKS,
  DEFAULT_VOL_SHOCKS,
  expiryBucket,
  marketFromSurfaces,
  portfolioGreeks,
  type PositionSpec,
  stressGrid,
  type StressMarket,
} from './stress.js';

const flatMarket: StressMarket = {
  underlyings: { BTC: { spot: 60000, forward: (years) => 60000 * Math.exp(0.05 * years) } },
  vol: () => 0.6,
  rate: 0.03,
};

const shortStraddle: PositionSpec[] = [
  { kind: 'option', underlying: 'BTC', type: 'call', strike: 60000, years: 30 / 365, quantity: -10 },
  { kind: 'option', underlying: 'BTC', type: 'put', strike: 60000, years: 30 / 365, quantity: -10 },
];

describe('stressGrid', () => {
  it('has one cell per spot × vol shock and zero P&L in the unshocked cell', () => {
    const result = stressGrid(shortStraddle, flatMarket);
    expect(result.spotShocks).toEqual(DEFAULT_SPOT_SHOCKS);
    expect(result.volShocks).toEqual(DEFAULT_VOL_SHOCKS);
    expect(result.pnl).toHaveLength(9);
    for (const row of result.pnl) expect(row).toHaveLength(7);
    expect(result.pnl[4]![3]).toBe(0);
  });

  it('a short straddle loses most at the largest spot move with the largest vol rise', () => {
    const result = stressGrid(shortStraddle, flatMarket);
    expect(Math.abs(result.worst.spotShock)).toBe(0.3);
    expect(result.worst.volShock).toBe(0.2);
    const all = result.pnl.flat();
    expect(result.worst.pnl).toBe(Math.min(...all));
    // Worse than anything with a smaller spot move, and worse than the same move without the vol rise.
    result.spotShocks.forEach((spot, i) => {
      if (Math.abs(spot) < 0.3)
        for (const cell of result.pnl[i]!) expect(cell).toBeGreaterThan(result.worst.pnl);
    });
    expect(result.pnl[8]![3]).toBeGreaterThan(result.pnl[8]![6]!);
    // Short options gain when nothing happens and vol falls.
    expect(result.pnl[4]![0]).toBeGreaterThan(0);
    // Full revaluation: the cell equals repricing by hand.
    const F = 60000 * Math.exp(0.05 * (30 / 365)) * 1.3;
    const byHand = (['call', 'put'] as const).reduce(
      (sum, type) =>
        sum -
        10 * black76({ type, forward: F, strike: 60000, years: 30 / 365, vol: 0.8, rate: 0.03 }).price +
        10 * black76({ type, forward: F / 1.3, strike: 60000, years: 30 / 365, vol: 0.6, rate: 0.03 }).price,
      0,
    );
    expect(result.pnl[8]![6]).toBeCloseTo(byHand, 6);
  });

  it('floors shocked vols at 1 % and values linear products by their notional change', () => {
    const lowVol: StressMarket = { ...flatMarket, vol: () => 0.1 };
    const book: PositionSpec[] = [
      { kind: 'option', underlying: 'BTC', type: 'call', strike: 80000, years: 0.5, quantity: 1 },
      { kind: 'perp', underlying: 'BTC', quantity: -2, multiplier: 1 },
      { kind: 'future', underlying: 'BTC', years: 0.25, quantity: 3, multiplier: 0.1 },
    ];
    const result = stressGrid(book, lowVol, { spotShocks: [-0.1, 0.1], volShocks: [-0.2, -0.15] });
    // Both vol shocks land on the floor, so the columns agree.
    expect(result.pnl[0]![0]).toBeCloseTo(result.pnl[0]![1]!, 9);
    const linear = -2 * 60000 * 0.1 + 0.3 * 60000 * Math.exp(0.05 * 0.25) * 0.1;
    const option = (bump: number, vol: number): number =>
      black76({
        type: 'call',
        forward: 60000 * Math.exp(0.025) * bump,
        strike: 80000,
        years: 0.5,
        vol,
        rate: 0.03,
      }).price;
    expect(result.pnl[1]![0]).toBeCloseTo(linear + option(1.1, 0.01) - option(1, 0.1), 6);
  });

  it('an empty book has a zero grid', () => {
    const result = stressGrid([], flatMarket);
    expect(result.worst).toEqual({ pnl: 0, spotShock: 0, volShock: 0 });
  });
});

describe('portfolioGreeks', () => {
  it('aggregates by underlying and expiry bucket in spot terms', () => {
    const book: PositionSpec[] = [
      { kind: 'option', underlying: 'BTC', type: 'call', strike: 65000, years: 3 / 365, quantity: 2 },
      { kind: 'option', underlying: 'BTC', type: 'put', strike: 55000, years: 60 / 365, quantity: -1 },
      { kind: 'future', underlying: 'BTC', years: 120 / 365, quantity: 1 },
      { kind: 'perp', underlying: 'BTC', quantity: -0.5 },
      {
        kind: 'option',
        underlying: 'ETH',
        type: 'call',
        strike: 3000,
        years: 10 / 365,
        quantity: 5,
        multiplier: 1,
      },
    ];
    const market: StressMarket = {
      underlyings: { ...flatMarket.underlyings, ETH: { spot: 3000 } },
      vol: (u) => (u === 'BTC' ? 0.6 : 0.8),
      rate: 0.03,
    };
    const risk = portfolioGreeks(book, market);
    expect(Object.keys(risk.byBucket.BTC!).sort()).toEqual(['0-7d', '30-90d', '90d+', 'perp']);
    expect(Object.keys(risk.byBucket.ETH!)).toEqual(['7-30d']);
    const F3 = 60000 * Math.exp(0.05 * (3 / 365));
    const call = black76({ type: 'call', forward: F3, strike: 65000, years: 3 / 365, vol: 0.6, rate: 0.03 });
    expect(risk.byBucket.BTC!['0-7d']!.delta).toBeCloseTo(2 * call.delta * (F3 / 60000), 12);
    expect(risk.byBucket.BTC!['0-7d']!.gamma).toBeCloseTo(2 * call.gamma * (F3 / 60000) ** 2, 15);
    expect(risk.byBucket.BTC!['0-7d']!.vegaPerPoint).toBeCloseTo(2 * call.vegaPerPoint, 10);
    expect(risk.byBucket.BTC!.perp!.delta).toBe(-0.5);
    expect(risk.byBucket.BTC!['90d+']!.delta).toBeCloseTo(Math.exp(0.05 * (120 / 365)), 12);
    const buckets = Object.values(risk.byBucket.BTC!);
    expect(risk.byUnderlying.BTC!.delta).toBeCloseTo(
      buckets.reduce((s, g) => s + g.delta, 0),
      12,
    );
    expect(risk.byUnderlying.BTC!.vega).toBeCloseTo(
      buckets.reduce((s, g) => s + g.vega, 0),
      9,
    );
    expect(risk.byUnderlying.ETH!.premium).toBeGreaterThan(0);
  });

  it('buckets expiries by days and works on a surface-backed market', () => {
    expect([0, 6.99 / 365, 7 / 365, 29 / 365, 30 / 365, 89 / 365, 90 / 365, 2].map(expiryBucket)).toEqual([
      '0-7d',
      '0-7d',
      '7-30d',
      '7-30d',
      '30-90d',
      '30-90d',
      '90d+',
      '90d+',
    ]);
    const market = marketFromSurfaces(
      [defaultSurface(60000, { atmVol: 0.6, skew: -0.2, underlying: 'BTC' })],
      0.03,
    );
    const risk = portfolioGreeks(shortStraddle, market);
    expect(risk.byUnderlying.BTC!.gamma).toBeLessThan(0);
    expect(risk.byUnderlying.BTC!.vega).toBeLessThan(0);
    expect(stressGrid(shortStraddle, market).worst.pnl).toBeLessThan(0);
  });
});
