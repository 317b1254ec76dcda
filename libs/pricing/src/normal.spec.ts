import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { erf, erfc, normCdf, normPdf } from './normal.js';

// Φ(x) to 17 significant digits, computed with mpmath 1.3 (mp.dps = 40, mpmath.ncdf); strings keep the digits
// beyond double precision visible.
const REFERENCE: [number, string][] = [
  [-37.5, '4.6053530095819548e-308'],
  [-30, '4.9067139271481871e-198'],
  [-20, '2.7536241186062337e-89'],
  [-10, '7.6198530241605261e-24'],
  [-8.3, '5.205569744890254e-17'],
  [-6, '9.8658764503769814e-10'],
  [-4, '3.1671241833119921e-5'],
  [-3.1, '0.0009676032132183566'],
  [-2, '0.022750131948179207'],
  [-1, '0.15865525393145705'],
  [-0.663, '0.2536652770386165'],
  [-0.5, '0.3085375387259869'],
  [-0.3, '0.38208857781104737'],
  [-1e-5, '0.49999601057719605'],
  [0, '0.5'],
  [0.2, '0.57925970943910303'],
  [0.6629, '0.74630269913176323'],
  [1, '0.84134474606854295'],
  [2.5, '0.99379033467422386'],
  [5, '0.99999971334842812'],
  [6, '0.99999999901341235'],
];

describe('normCdf', () => {
  it.each(REFERENCE)('Φ(%p) matches the 40-digit reference to 1e-15 relative', (x, expected) => {
    expect(Math.abs(normCdf(x) / Number(expected) - 1)).toBeLessThan(1e-15);
  });

  it('is exact at the ends and NaN for NaN', () => {
    expect(normCdf(-Infinity)).toBe(0);
    expect(normCdf(Infinity)).toBe(1);
    expect(normCdf(-40)).toBe(0);
    expect(normCdf(9)).toBe(1);
    expect(normCdf(NaN)).toBeNaN();
  });

  it('satisfies Φ(x) + Φ(-x) = 1 and is monotone', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -9, max: 9, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (x, dx) => {
          expect(Math.abs(normCdf(x) + normCdf(-x) - 1)).toBeLessThan(2e-16);
          expect(normCdf(x + dx)).toBeGreaterThanOrEqual(normCdf(x));
        },
      ),
    );
  });

  it('has the density as its derivative', () => {
    for (const x of [-5, -2, -0.4, 0, 0.3, 1.7, 4]) {
      const h = 1e-5;
      expect((normCdf(x + h) - normCdf(x - h)) / (2 * h)).toBeCloseTo(normPdf(x), 9);
    }
  });
});

describe('erf / erfc', () => {
  it('agrees with the CDF and its own symmetries', () => {
    for (const x of [-6, -3, -1, -0.46875, -0.2, 0, 0.1, 0.46875, 0.5, 2, 4, 4.5, 10]) {
      expect(erf(x) + erfc(x)).toBeCloseTo(1, 15);
      expect(erfc(-x)).toBeCloseTo(2 - erfc(x), 15);
      expect(Math.abs(0.5 * erfc(-x / Math.SQRT2) - normCdf(x))).toBeLessThan(1e-15);
    }
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erf(-Infinity)).toBe(-1);
  });
});
