import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Decimal, DomainError, dec } from '@app/core';
import type { Side } from '@app/rfq';
import { buildFillPostings, takerLegSide, type FillPostingsInput, type PostingLine } from './postings.js';

const callSpread = [
  {
    instrumentName: 'BTC-25DEC26-100000-C',
    side: 'BUY' as const,
    ratio: dec(1),
    price: dec(1500),
    multiplier: dec(1),
  },
  {
    instrumentName: 'BTC-25DEC26-120000-C',
    side: 'SELL' as const,
    ratio: dec(2),
    price: dec(145),
    multiplier: dec(1),
  },
];

function fill(overrides: Partial<FillPostingsInput> = {}) {
  return buildFillPostings({
    takerId: 'taker',
    makerId: 'maker',
    feeAccountId: 'fees',
    takerSide: 'BUY',
    quantity: dec(5),
    legs: callSpread,
    takerFee: dec('2.5'),
    makerFee: dec(1),
    currency: 'USDC',
    ...overrides,
  });
}

const lines = (postings: PostingLine[]) =>
  postings.map((p) => `${p.accountId} ${p.assetCode} ${p.amount.toFixed()}`);

function sumsByAsset(postings: PostingLine[]): Map<string, Decimal> {
  const sums = new Map<string, Decimal>();
  for (const p of postings) sums.set(p.assetCode, (sums.get(p.assetCode) ?? dec(0)).plus(p.amount));
  return sums;
}

describe('takerLegSide', () => {
  it('keeps the leg side for a buying taker and flips it for a seller', () => {
    expect(takerLegSide('BUY', 'SELL')).toBe('SELL');
    expect(takerLegSide('SELL', 'SELL')).toBe('BUY');
    expect(takerLegSide('SELL', 'BUY')).toBe('SELL');
  });
});

describe('buildFillPostings', () => {
  it('books a taker buying a 1x2 call spread (the documented example)', () => {
    const result = fill();
    // premium = 5 × 1500 − 10 × 145 = 6050, paid by the taker to the maker
    expect(result.premium.toFixed()).toBe('6050');
    expect(lines(result.postings)).toEqual([
      'taker BTC-25DEC26-100000-C 5',
      'maker BTC-25DEC26-100000-C -5',
      'taker BTC-25DEC26-120000-C -10',
      'maker BTC-25DEC26-120000-C 10',
      'taker USDC -6052.5',
      'maker USDC 6049',
      'fees USDC 3.5',
    ]);
    expect(
      result.trades.map((t) => `${t.legIndex} ${t.side} ${t.quantity.toFixed()}@${t.price.toFixed()}`),
    ).toEqual(['0 BUY 5@1500', '1 SELL 10@145']);
  });

  it('flips every leg and the premium when the taker sells', () => {
    const result = fill({ takerSide: 'SELL' });
    expect(result.premium.toFixed()).toBe('-6050');
    expect(lines(result.postings)).toEqual([
      'taker BTC-25DEC26-100000-C -5',
      'maker BTC-25DEC26-100000-C 5',
      'taker BTC-25DEC26-120000-C 10',
      'maker BTC-25DEC26-120000-C -10',
      'taker USDC 6047.5',
      'maker USDC -6051',
      'fees USDC 3.5',
    ]);
    expect(result.trades.map((t) => t.side)).toEqual(['SELL', 'BUY']);
  });

  it('pays a negative premium (a credit structure) from the maker to a buying taker', () => {
    const legs = [
      { ...callSpread[0]!, price: dec(100) },
      { ...callSpread[1]!, price: dec(80) },
    ];
    const result = fill({ legs, takerFee: dec(0), makerFee: dec(0) });
    expect(result.premium.toFixed()).toBe('-300');
    expect(lines(result.postings).slice(-2)).toEqual(['taker USDC 300', 'maker USDC -300']);
  });

  it('applies the contract multiplier to the premium, not to the position', () => {
    const legs = [
      {
        instrumentName: 'ETH-PERPETUAL',
        side: 'BUY' as const,
        ratio: dec(1),
        price: dec('2500.5'),
        multiplier: dec('0.1'),
      },
    ];
    const result = fill({ legs, quantity: dec(3), takerFee: dec(0), makerFee: dec(0) });
    expect(result.premium.toFixed()).toBe('750.15');
    expect(lines(result.postings)).toEqual([
      'taker ETH-PERPETUAL 3',
      'maker ETH-PERPETUAL -3',
      'taker USDC -750.15',
      'maker USDC 750.15',
    ]);
  });

  it('merges postings of one account and asset and drops zeros', () => {
    // The maker is also the fee account here (e.g. a house account): its fee lines cancel.
    const result = fill({ feeAccountId: 'maker' });
    expect(lines(result.postings).slice(-2)).toEqual(['taker USDC -6052.5', 'maker USDC 6052.5']);
    const selfTrade = fill({ makerId: 'taker', takerFee: dec(0), makerFee: dec(0) });
    expect(selfTrade.postings).toEqual([]);
  });

  it('rounds the premium to 1e-8 USDC', () => {
    const legs = [{ ...callSpread[0]!, price: dec('0.123456789') }];
    expect(fill({ legs, quantity: dec(1) }).premium.toFixed()).toBe('0.12345679');
  });

  it('refuses a non-positive quantity or no legs', () => {
    expect(() => fill({ quantity: dec(0) })).toThrow(DomainError);
    expect(() => fill({ legs: [] })).toThrow(DomainError);
  });

  it('property: each asset sums to exactly zero and the premium follows the taker leg sides', () => {
    const arbLeg = fc.record({
      side: fc.constantFrom<Side>('BUY', 'SELL'),
      ratio: fc.integer({ min: 1, max: 100 }),
      price: fc.integer({ min: 0, max: 10_000_000 }),
      multiplier: fc.constantFrom('1', '0.1', '10', '0.001'),
    });
    fc.assert(
      fc.property(
        fc.array(arbLeg, { minLength: 1, maxLength: 8 }),
        fc.constantFrom<Side>('BUY', 'SELL'),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: -100_000, max: 100_000 }),
        fc.constantFrom(['t', 'm', 'f'], ['t', 'm', 'm'], ['t', 't', 'f']),
        (specs, takerSide, qty, takerFee, makerFee, [takerId, makerId, feeAccountId]) => {
          const legs = specs.map((s, i) => ({
            instrumentName: `I${i}`,
            side: s.side,
            ratio: dec(s.ratio),
            price: dec(s.price).div(100),
            multiplier: dec(s.multiplier),
          }));
          const quantity = dec(qty).div(1000);
          const result = buildFillPostings({
            takerId,
            makerId,
            feeAccountId,
            takerSide,
            quantity,
            legs,
            takerFee: dec(takerFee).div(1e4),
            makerFee: dec(makerFee).div(1e4),
            currency: 'USDC',
          });
          for (const sum of sumsByAsset(result.postings).values()) expect(sum.isZero()).toBe(true);
          const keys = result.postings.map((p) => `${p.accountId}/${p.assetCode}`);
          expect(new Set(keys).size).toBe(keys.length);
          expect(result.postings.every((p) => !p.amount.isZero())).toBe(true);
          const structureNet = legs.reduce(
            (sum, l) =>
              sum.plus(
                l.ratio
                  .mul(l.price)
                  .mul(l.multiplier)
                  .mul(l.side === 'BUY' ? 1 : -1),
              ),
            dec(0),
          );
          const expected = quantity.mul(structureNet).mul(takerSide === 'BUY' ? 1 : -1);
          expect(result.premium.eq(expected.toDecimalPlaces(8, Decimal.ROUND_HALF_EVEN))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
