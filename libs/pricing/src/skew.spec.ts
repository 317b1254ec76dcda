import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { exposureVector, liquidityHalfSpread, quoteFromRisk, riskCovariance } from './skew.js';

describe('quoteFromRisk', () => {
  it('reduces exactly to Avellaneda–Stoikov (2008) for one linear instrument', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 50, max: 150, noNaN: true }), // s
        fc.integer({ min: -20, max: 20 }), // q
        fc.double({ min: 0.01, max: 1, noNaN: true }), // γ
        fc.double({ min: 0.5, max: 5, noNaN: true }), // σ
        fc.double({ min: 0, max: 1, noNaN: true }), // τ = T - t
        fc.double({ min: 0.5, max: 3, noNaN: true }), // k
        (s, q, gamma, sigma, tau, k) => {
          const quote = quoteFromRisk({
            theo: s,
            g: [1],
            inventory: [q],
            covariance: [[sigma * sigma * tau]],
            gamma,
            k,
            quantity: 1,
            baseHalfSpread: 0,
          });
          // Paper, eq. (29)-(30): r = s - qγσ²(T-t), δa + δb = γσ²(T-t) + (2/γ) ln(1 + γ/k).
          const reservation = s - q * gamma * sigma * sigma * tau;
          const spread = gamma * sigma * sigma * tau + (2 / gamma) * Math.log(1 + gamma / k);
          expect(Math.abs(quote.reservation - reservation)).toBeLessThanOrEqual(1e-12 * s);
          expect(Math.abs(quote.ask - quote.bid - spread)).toBeLessThanOrEqual(1e-12 * spread);
          expect(Math.abs(quote.ask + quote.bid - 2 * reservation)).toBeLessThanOrEqual(2e-12 * s);
        },
      ),
    );
    // And to the last bit on a hand-picked case.
    const q = quoteFromRisk({
      theo: 100,
      g: [1],
      inventory: [3],
      covariance: [[4 * 0.5]],
      gamma: 0.1,
      k: 1.5,
      quantity: 1,
      baseHalfSpread: 0,
    });
    expect(q.reservation).toBe(100 - 3 * 0.1 * 4 * 0.5);
    expect(q.shift).toBe(-0.6000000000000001);
    expect(Math.abs(q.halfSpread - (0.1 * 4 * 0.5) / 2 - Math.log(1 + 0.1 / 1.5) / 0.1)).toBeLessThan(1e-15);
  });

  it('splits the half spread into base, inventory-risk and liquidity parts', () => {
    const quote = quoteFromRisk({
      theo: 2500,
      g: [0.5, 12], // half a unit of delta, 12 per vol point of vega
      inventory: [-3, 40],
      covariance: [
        [900, -60],
        [-60, 16],
      ],
      gamma: 0.002,
      k: 0.3,
      quantity: 10,
      baseHalfSpread: 1.5,
    });
    const gSg = 0.5 * 0.5 * 900 + 2 * 0.5 * 12 * -60 + 12 * 12 * 16;
    const iSg = -3 * (900 * 0.5 - 60 * 12) + 40 * (-60 * 0.5 + 16 * 12);
    expect(quote.parts.base).toBe(1.5);
    expect(quote.parts.inventoryRisk).toBeCloseTo((0.002 / 2) * gSg * 10, 10);
    expect(quote.parts.liquidity).toBeCloseTo(Math.log(1 + 0.002 / 0.3) / 0.002, 10);
    expect(quote.shift).toBeCloseTo(-0.002 * iSg, 10);
    expect(quote.halfSpread).toBeCloseTo(
      quote.parts.base + quote.parts.inventoryRisk + quote.parts.liquidity,
      12,
    );
    expect(quote.bid).toBeCloseTo(2500 + quote.shift - quote.halfSpread, 10);
    // Long vega inventory and the instrument adds vega: the reservation price drops (we want to sell).
    expect(quote.shift).toBeLessThan(0);
  });

  it('has a continuous γ → 0 limit and validates its inputs', () => {
    expect(liquidityHalfSpread(0, 2)).toBe(0.5);
    expect(liquidityHalfSpread(1e-12, 2)).toBeCloseTo(0.5, 10);
    const base = {
      theo: 1,
      g: [1],
      inventory: [1],
      covariance: [[1]],
      gamma: 0.1,
      k: 1,
      quantity: 1,
      baseHalfSpread: 0,
    };
    expect(() => quoteFromRisk({ ...base, inventory: [1, 2] })).toThrow(/factors/);
    expect(() => quoteFromRisk({ ...base, covariance: [[1, 0]] })).toThrow(/1x1/);
    expect(() => quoteFromRisk({ ...base, k: 0 })).toThrow(/k/);
    expect(() => quoteFromRisk({ ...base, gamma: -1 })).toThrow(/gamma/);
  });
});

describe('riskCovariance', () => {
  const input = {
    tau: 1 / 365,
    underlyings: [
      {
        underlying: 'BTC',
        spot: 60000,
        vol: 0.5,
        volOfVol: { '0-7d': 120, '30-90d': 60 },
        spotVolCorrelation: -0.4,
        buckets: ['0-7d', '30-90d'],
      },
      { underlying: 'ETH', spot: 3000, vol: 0.7, volOfVol: 80, spotVolCorrelation: -0.3, buckets: ['0-7d'] },
    ],
    bucketCorrelation: 0.8,
    spotCorrelation: { BTC: { ETH: 0.85 } },
  };

  it('builds spot and vol factors with the documented units and correlations', () => {
    const { factors, covariance } = riskCovariance(input);
    expect(factors.map((f) => f.key)).toEqual([
      'BTC:spot',
      'BTC:vol:0-7d',
      'BTC:vol:30-90d',
      'ETH:spot',
      'ETH:vol:0-7d',
    ]);
    const cov = (i: number, j: number): number => covariance[i]![j]!;
    const sdBtc = 0.5 * 60000 * Math.sqrt(1 / 365);
    const sdVol7 = 120 * Math.sqrt(1 / 365);
    const sdVol30 = 60 * Math.sqrt(1 / 365);
    const sdEth = 0.7 * 3000 * Math.sqrt(1 / 365);
    const sdEthVol = 80 * Math.sqrt(1 / 365);
    expect(cov(0, 0)).toBeCloseTo((0.5 * 60000) ** 2 / 365, 6); // (σS)²τ
    expect(cov(1, 1)).toBeCloseTo(120 ** 2 / 365, 9); // vol points²
    expect(cov(0, 1)).toBeCloseTo(-0.4 * sdBtc * sdVol7, 9);
    expect(cov(1, 2)).toBeCloseTo(0.8 * sdVol7 * sdVol30, 9);
    expect(cov(0, 3)).toBeCloseTo(0.85 * sdBtc * sdEth, 6);
    expect(cov(0, 4)).toBeCloseTo(0.85 * -0.3 * sdBtc * sdEthVol, 9);
    expect(cov(1, 4)).toBeCloseTo(-0.4 * 0.85 * -0.3 * sdVol7 * sdEthVol, 9);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(cov(i, j)).toBe(cov(j, i));
  });

  it('feeds quoteFromRisk through exposureVector', () => {
    const { factors, covariance } = riskCovariance(input);
    const g = exposureVector(factors, [
      { underlying: 'BTC', delta: 0.3, bucket: '30-90d', vegaPerPoint: 95 },
    ]);
    expect(g).toEqual([0.3, 0, 95, 0, 0]);
    const inventory = exposureVector(factors, [
      { underlying: 'BTC', delta: -2 },
      { underlying: 'ETH', delta: 10, bucket: '0-7d', vegaPerPoint: -20 },
    ]);
    const quote = quoteFromRisk({
      theo: 4000,
      g,
      inventory,
      covariance,
      gamma: 1e-4,
      k: 0.01,
      quantity: 5,
      baseHalfSpread: 2,
    });
    expect(Number.isFinite(quote.bid)).toBe(true);
    expect(quote.bid).toBeLessThan(quote.ask);
    expect(() => exposureVector(factors, [{ underlying: 'SOL', delta: 1 }])).toThrow(/SOL:spot/);
    expect(() => exposureVector(factors, [{ underlying: 'BTC', vegaPerPoint: 1 }])).toThrow(/bucket/);
  });

  it('rejects correlation inputs that are not positive semi-definite', () => {
    expect(() =>
      riskCovariance({
        ...input,
        bucketCorrelation: -0.9,
        underlyings: [{ ...input.underlyings[0]!, spotVolCorrelation: -0.9 }],
      }),
    ).toThrow(/positive semi-definite/);
    expect(() => riskCovariance({ ...input, spotCorrelation: { BTC: { ETH: 1.5 } } })).toThrow(/correlation/);
  });
});
