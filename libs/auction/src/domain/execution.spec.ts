import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DomainError, dec, isMultipleOf } from '@app/core';
import type { QuoteSide, Side } from '@app/rfq';
import { planExecution, type PlanExecutionInput } from './execution.js';
import type { ExecutionPlan, RankableQuote } from './types.js';

const T0 = Date.UTC(2026, 0, 1);

function quote(
  quoteId: string,
  side: QuoteSide,
  price: string,
  remaining: string,
  minQuantity: string | null = '0.1',
  seconds = 0,
): RankableQuote {
  return {
    quoteId,
    makerId: `maker-${quoteId}`,
    side,
    price: dec(price),
    remaining: dec(remaining),
    minQuantity: minQuantity === null ? null : dec(minQuantity),
    createdAt: new Date(T0 + seconds * 1000),
  };
}

function plan(overrides: Partial<PlanExecutionInput> & Pick<PlanExecutionInput, 'quotes'>): ExecutionPlan {
  return planExecution({
    takerSide: 'BUY',
    quantity: dec(10),
    limitPrice: null,
    lotSize: dec('0.1'),
    allOrNone: false,
    ...overrides,
  });
}

/** A plan as plain strings, so failures read well. */
function summary(p: ExecutionPlan) {
  return {
    allocations: p.allocations.map((a) => `${a.quoteId}:${a.quantity.toFixed()}@${a.price.toFixed()}`),
    filled: p.filled.toFixed(),
    unfilled: p.unfilled.toFixed(),
    skipped: p.skipped.map((s) => `${s.quoteId}:${s.reason}`),
  };
}

describe('planExecution', () => {
  it('fills a buyer from the cheapest asks, each at its own price', () => {
    const p = plan({
      quotes: [quote('a', 'ASK', '101', '4'), quote('b', 'ASK', '100', '5'), quote('c', 'ASK', '102', '8')],
    });
    expect(summary(p)).toEqual({
      allocations: ['b:5@100', 'a:4@101', 'c:1@102'],
      filled: '10',
      unfilled: '0',
      skipped: [],
    });
    expect(p.allocations[0]?.makerId).toBe('maker-b');
  });

  it('fills a seller from the highest bids and ignores asks', () => {
    const p = plan({
      takerSide: 'SELL',
      quantity: dec(6),
      quotes: [quote('a', 'BID', '99', '4'), quote('b', 'BID', '99.5', '3'), quote('x', 'ASK', '98', '100')],
    });
    expect(summary(p).allocations).toEqual(['b:3@99.5', 'a:3@99']);
  });

  it('gives the earlier quote priority at the same price', () => {
    const p = plan({
      quantity: dec(3),
      quotes: [quote('late', 'ASK', '100', '5', '0.1', 9), quote('early', 'ASK', '100', '2', '0.1', 1)],
    });
    expect(summary(p).allocations).toEqual(['early:2@100', 'late:1@100']);
  });

  it('fills partially and leaves the rest unfilled (immediate-or-cancel)', () => {
    const p = plan({ quotes: [quote('a', 'ASK', '100', '3'), quote('b', 'ASK', '101', '2.5')] });
    expect(summary(p)).toMatchObject({ filled: '5.5', unfilled: '4.5', skipped: [] });
  });

  it('stops at the first price beyond a buy limit and records every quote beyond it', () => {
    const p = plan({
      limitPrice: dec('100.5'),
      quotes: [
        quote('a', 'ASK', '100', '3'),
        quote('b', 'ASK', '101', '20'),
        quote('c', 'ASK', '100.5', '2'),
        quote('d', 'ASK', '105', '1'),
      ],
    });
    expect(summary(p)).toEqual({
      allocations: ['a:3@100', 'c:2@100.5'],
      filled: '5',
      unfilled: '5',
      skipped: ['b:PRICE_BEYOND_LIMIT', 'd:PRICE_BEYOND_LIMIT'],
    });
  });

  it('stops at the first bid below a sell limit, including negative prices', () => {
    const p = plan({
      takerSide: 'SELL',
      limitPrice: dec('-1'),
      quotes: [quote('a', 'BID', '-0.5', '3'), quote('b', 'BID', '-1.5', '20')],
    });
    expect(summary(p)).toMatchObject({ allocations: ['a:3@-0.5'], skipped: ['b:PRICE_BEYOND_LIMIT'] });
  });

  it('respects a maker minimum quantity', () => {
    const p = plan({
      quantity: dec(5),
      quotes: [
        quote('a', 'ASK', '100', '4', '1'),
        quote('b', 'ASK', '100.5', '10', '2'),
        quote('c', 'ASK', '101', '10', '1'),
      ],
    });
    // After a's 4, one unit is left: below b's minimum of 2, fine for c.
    expect(summary(p)).toMatchObject({
      allocations: ['a:4@100', 'c:1@101'],
      skipped: ['b:BELOW_MIN_QUANTITY'],
    });
  });

  it('takes an all-or-none quote only for its whole remaining', () => {
    const p = plan({
      quantity: dec(5),
      quotes: [
        quote('big', 'ASK', '99', '6', null),
        quote('fits', 'ASK', '100', '3', null),
        quote('c', 'ASK', '101', '9'),
      ],
    });
    expect(summary(p)).toMatchObject({
      allocations: ['fits:3@100', 'c:2@101'],
      skipped: ['big:ALL_OR_NONE'],
    });
  });

  it('rounds each take down to the lot', () => {
    const p = plan({
      quantity: dec(3),
      lotSize: dec(1),
      quotes: [
        quote('a', 'ASK', '100', '1.5', '0.5'),
        quote('b', 'ASK', '101', '0.5', '0.1'),
        quote('c', 'ASK', '102', '5'),
      ],
    });
    expect(summary(p)).toMatchObject({
      allocations: ['a:1@100', 'c:2@102'],
      skipped: ['b:NOT_LOT_MULTIPLE'],
    });
  });

  it('skips a maker whose minimum is only reached before lot rounding', () => {
    const p = plan({
      quantity: dec(3),
      lotSize: dec(1),
      quotes: [quote('a', 'ASK', '100', '1.5', '1.2'), quote('b', 'ASK', '101', '5')],
    });
    expect(summary(p)).toMatchObject({ allocations: ['b:3@101'], skipped: ['a:BELOW_MIN_QUANTITY'] });
  });

  it('skips an all-or-none quote whose remaining is off the lot', () => {
    const p = plan({
      lotSize: dec(1),
      quotes: [quote('a', 'ASK', '100', '2.5', null), quote('b', 'ASK', '101', '20')],
    });
    expect(summary(p)).toMatchObject({ allocations: ['b:10@101'], skipped: ['a:NOT_LOT_MULTIPLE'] });
  });

  it('with the taker all-or-none, trades nothing unless everything fills', () => {
    const quotes = [quote('a', 'ASK', '100', '4'), quote('b', 'ASK', '101', '4', null)];
    expect(summary(plan({ allOrNone: true, quotes }))).toEqual({
      allocations: [],
      filled: '0',
      unfilled: '10',
      skipped: ['a:ALL_OR_NONE', 'b:ALL_OR_NONE'],
    });
    expect(summary(plan({ allOrNone: true, quantity: dec(8), quotes }))).toMatchObject({
      allocations: ['a:4@100', 'b:4@101'],
      filled: '8',
      unfilled: '0',
    });
  });

  it('keeps the earlier skip reasons when the taker all-or-none fails', () => {
    const p = plan({
      allOrNone: true,
      limitPrice: dec(100),
      quotes: [quote('a', 'ASK', '100', '4'), quote('b', 'ASK', '101', '40')],
    });
    expect(summary(p).skipped).toEqual(['b:PRICE_BEYOND_LIMIT', 'a:ALL_OR_NONE']);
  });

  it('does not look past the quotes it needs', () => {
    const p = plan({
      quantity: dec(1),
      quotes: [quote('a', 'ASK', '100', '5'), quote('b', 'ASK', '100.5', '5', '3')],
    });
    expect(summary(p)).toMatchObject({ allocations: ['a:1@100'], skipped: [] });
  });

  it('returns an empty plan without quotes', () => {
    expect(summary(plan({ quotes: [] }))).toEqual({
      allocations: [],
      filled: '0',
      unfilled: '10',
      skipped: [],
    });
  });

  it('refuses a quantity off the lot, a non-positive quantity or lot', () => {
    expect(() => plan({ quantity: dec('1.05'), quotes: [] })).toThrow(
      expect.objectContaining({ code: 'VALIDATION.LOT' }),
    );
    expect(() => plan({ quantity: dec(0), quotes: [] })).toThrow(DomainError);
    expect(() => plan({ lotSize: dec(0), quotes: [] })).toThrow(
      expect.objectContaining({ code: 'VALIDATION.LOT' }),
    );
  });

  it('always respects lots, minimums, all-or-none, limits and the quantity', () => {
    const arbQuote = fc.record({
      side: fc.constantFrom<QuoteSide>('BID', 'ASK'),
      price: fc.integer({ min: 90, max: 110 }),
      remaining: fc.integer({ min: 1, max: 60 }),
      min: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
      seconds: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(
        fc.array(arbQuote, { maxLength: 10 }),
        fc.constantFrom<Side>('BUY', 'SELL'),
        fc.integer({ min: 1, max: 40 }),
        fc.option(fc.integer({ min: 90, max: 110 }), { nil: null }),
        fc.boolean(),
        (specs, takerSide, lots, limit, allOrNone) => {
          const lotSize = dec('0.5');
          const quotes = specs.map((s, i) =>
            quote(
              `q${i}`,
              s.side,
              String(s.price),
              dec(s.remaining).div(10).toFixed(),
              s.min === null ? null : dec(s.min).div(10).toFixed(),
              s.seconds,
            ),
          );
          const quantity = lotSize.mul(lots);
          const p = planExecution({
            takerSide,
            quantity,
            limitPrice: limit === null ? null : dec(limit),
            quotes,
            lotSize,
            allOrNone,
          });
          const byId = new Map(quotes.map((q) => [q.quoteId, q]));
          let total = dec(0);
          for (const a of p.allocations) {
            const q = byId.get(a.quoteId)!;
            expect(q.side).toBe(takerSide === 'BUY' ? 'ASK' : 'BID');
            expect(a.price.eq(q.price)).toBe(true);
            expect(a.quantity.gt(0) && isMultipleOf(a.quantity, lotSize)).toBe(true);
            expect(a.quantity.lte(q.remaining)).toBe(true);
            if (q.minQuantity === null) expect(a.quantity.eq(q.remaining)).toBe(true);
            else expect(a.quantity.gte(q.minQuantity)).toBe(true);
            if (limit !== null)
              expect(takerSide === 'BUY' ? a.price.lte(limit) : a.price.gte(limit)).toBe(true);
            total = total.plus(a.quantity);
          }
          expect(total.eq(p.filled)).toBe(true);
          expect(p.filled.plus(p.unfilled).eq(quantity)).toBe(true);
          if (allOrNone) expect(p.filled.isZero() || p.filled.eq(quantity)).toBe(true);
          const seen = [...p.allocations.map((a) => a.quoteId), ...p.skipped.map((s) => s.quoteId)];
          if (!allOrNone) expect(new Set(seen).size).toBe(seen.length);
        },
      ),
    );
  });
});
