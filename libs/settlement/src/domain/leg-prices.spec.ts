import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Decimal, DomainError, dec, isMultipleOf } from '@app/core';
import type { Side } from '@app/rfq';
import { allocateLegPrices, type LegPriceInput } from './leg-prices.js';

function leg(side: Side, ratio: number, theo: number, tickSize: string): LegPriceInput {
  return { side, ratio: dec(ratio), theo, tickSize: dec(tickSize) };
}

function net(legs: readonly LegPriceInput[], prices: readonly Decimal[]): Decimal {
  return legs.reduce(
    (sum, l, i) => sum.plus(l.ratio.mul(prices[i]!).mul(l.side === 'BUY' ? 1 : -1)),
    new Decimal(0),
  );
}

const strings = (xs: Decimal[]) => xs.map((x) => x.toFixed());

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('allocateLegPrices', () => {
  it('returns the theoretical values when they already make the net price', () => {
    const legs = [leg('BUY', 1, 1520.5, '0.5'), leg('SELL', 1, 830, '0.5')];
    expect(strings(allocateLegPrices({ netPrice: dec('690.5'), legs }))).toEqual(['1520.5', '830']);
  });

  it('spreads the difference in proportion to ratio × theo (the documented example)', () => {
    const legs = [leg('BUY', 1, 1523.37, '0.5'), leg('SELL', 2, 162.4, '0.5')];
    const prices = allocateLegPrices({ netPrice: dec(1210), legs });
    expect(strings(prices)).toEqual(['1533', '161.5']);
    expect(net(legs, prices).toFixed()).toBe('1210');
  });

  it('handles a negative net price (a credit structure)', () => {
    const legs = [leg('BUY', 1, 120.2, '0.5'), leg('SELL', 1, 160.9, '0.5')];
    const prices = allocateLegPrices({ netPrice: dec('-35.5'), legs });
    expect(strings(prices)).toEqual(['122.5', '158']);
  });

  it('puts the rounding residual on the largest leg, which may leave its tick', () => {
    // Every leg rounds to 0.5 ticks; the structure tick is 0.01, so the net price is off the
    // legs' grid and the largest leg (by ratio × price) takes the 0.01 residual.
    const legs = [leg('BUY', 1, 100, '0.5'), leg('SELL', 2, 30, '0.5'), leg('BUY', 1, 10, '0.01')];
    const prices = allocateLegPrices({ netPrice: dec('50.01'), legs });
    expect(strings(prices)).toEqual(['100.01', '30', '10']);
    expect(isMultipleOf(prices[0]!, dec('0.5'))).toBe(false);
    expect(net(legs, prices).toFixed()).toBe('50.01');
  });

  it('uses equal weights when every theo is 0', () => {
    const legs = [leg('BUY', 1, 0, '0.5'), leg('BUY', 1, 0, '0.5')];
    expect(strings(allocateLegPrices({ netPrice: dec(3), legs }))).toEqual(['1.5', '1.5']);
  });

  it('never goes below 0 and moves the residual to the next largest leg', () => {
    // The sold leg A is the largest after rounding (B rounds to 0 on its 10 tick), but it
    // cannot absorb +4.02 without going negative: it goes to 0 and B takes the rest.
    const legs = [leg('SELL', 1, 0.02, '0.01'), leg('BUY', 1, 4, '10')];
    const prices = allocateLegPrices({ netPrice: dec(4), legs });
    expect(strings(prices)).toEqual(['0', '4']);
  });

  it('is exact when no ratio divides the residual', () => {
    const legs = [leg('BUY', 2, 120.2, '0.5'), leg('SELL', 3, 160.9, '0.5')];
    for (const p of ['0.0001', '-0.0003', '17.0001', '-1234.5677']) {
      const prices = allocateLegPrices({ netPrice: dec(p), legs });
      expect(net(legs, prices).toFixed()).toBe(dec(p).toFixed());
      expect(prices.every((x) => x.gte(0) && x.decimalPlaces() <= 8)).toBe(true);
    }
  });

  it('refuses a net price no non-negative leg prices can make', () => {
    expect(codeOf(() => allocateLegPrices({ netPrice: dec(-1), legs: [leg('BUY', 1, 5, '0.5')] }))).toBe(
      'SETTLEMENT.PRICE_NOT_ALLOCATABLE',
    );
    expect(
      codeOf(() =>
        allocateLegPrices({ netPrice: dec(1), legs: [leg('SELL', 1, 5, '0.5'), leg('SELL', 2, 1, '0.5')] }),
      ),
    ).toBe('SETTLEMENT.PRICE_NOT_ALLOCATABLE');
    // 3·a − 6·b is a multiple of 3e-8: 0.0001 cannot be made with 8-decimal prices.
    expect(
      codeOf(() =>
        allocateLegPrices({
          netPrice: dec('0.0001'),
          legs: [leg('BUY', 3, 5, '0.5'), leg('SELL', 6, 1, '0.5')],
        }),
      ),
    ).toBe('SETTLEMENT.PRICE_NOT_ALLOCATABLE');
  });

  it('refuses malformed legs', () => {
    expect(codeOf(() => allocateLegPrices({ netPrice: dec(1), legs: [] }))).toBe('SETTLEMENT.INVALID_LEGS');
    expect(
      codeOf(() => allocateLegPrices({ netPrice: dec(1), legs: [leg('BUY', 1, Number.NaN, '0.5')] })),
    ).toBe('SETTLEMENT.INVALID_LEGS');
    expect(codeOf(() => allocateLegPrices({ netPrice: dec(1), legs: [leg('BUY', 1, 1, '0')] }))).toBe(
      'SETTLEMENT.INVALID_LEGS',
    );
  });

  it('property: prices are ≥ 0, at 8 decimals, and add up to the net price exactly', () => {
    const arbLeg = fc.record({
      side: fc.constantFrom<Side>('BUY', 'SELL'),
      ratio: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 100 })),
      theo: fc.oneof(
        fc.constant(0),
        fc.double({ min: 0, max: 100_000, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
      ),
      tick: fc.constantFrom('0.0001', '0.0005', '0.01', '0.5', '1', '5'),
    });
    fc.assert(
      fc.property(
        fc.array(arbLeg, { minLength: 1, maxLength: 8 }),
        fc.oneof(fc.integer({ min: -20, max: 20 }), fc.integer({ min: -2_000_000_000, max: 2_000_000_000 })),
        (specs, ticks) => {
          const legs = specs.map((s) => leg(s.side, s.ratio, s.theo, s.tick));
          const minTick = Decimal.min(...legs.map((l) => l.tickSize));
          let netPrice = minTick.mul(ticks);
          if (specs.every((s) => s.side === 'BUY')) netPrice = netPrice.abs();
          if (specs.every((s) => s.side === 'SELL')) netPrice = netPrice.abs().negated();
          const g = specs.map((s) => s.ratio).reduce(gcd);
          const exactlyExpressible = netPrice.mul(1e8).mod(g).isZero();
          if (!exactlyExpressible) {
            expect(codeOf(() => allocateLegPrices({ netPrice, legs }))).toBe(
              'SETTLEMENT.PRICE_NOT_ALLOCATABLE',
            );
            return;
          }
          const prices = allocateLegPrices({ netPrice, legs });
          expect(prices).toHaveLength(legs.length);
          expect(net(legs, prices).eq(netPrice)).toBe(true);
          for (const p of prices) expect(p.gte(0) && p.decimalPlaces() <= 8).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
