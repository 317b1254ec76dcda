import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { dec } from '@app/core';
import { FLAT_POSITION, applyTrade, unrealisedPnl, type PositionState } from './positions.js';

const trade = (quantity: string | number, price: string | number, multiplier: string | number = 1) => ({
  quantity: dec(quantity),
  price: dec(price),
  multiplier: dec(multiplier),
});

const show = (p: PositionState) => [p.quantity.toFixed(), p.costBasis.toFixed(), p.realisedPnl.toFixed()];

describe('applyTrade (average cost)', () => {
  it('adds to the cost basis when opening or increasing', () => {
    const p1 = applyTrade(FLAT_POSITION, trade(2, 100));
    const p2 = applyTrade(p1, trade(3, 110));
    expect(show(p2)).toEqual(['5', '530', '0']);
  });

  it('realises P&L against the average cost when reducing', () => {
    const p = applyTrade(applyTrade(FLAT_POSITION, trade(5, '106')), trade(-2, 120));
    // average cost 106: 2 × (120 − 106) = 28 realised, 3 × 106 stays as cost
    expect(show(p)).toEqual(['3', '318', '28']);
  });

  it('closes out exactly', () => {
    const p = applyTrade(applyTrade(FLAT_POSITION, trade(3, 10)), trade(-3, 7));
    expect(show(p)).toEqual(['0', '0', '-9']);
  });

  it('crossing through zero closes, then opens the rest at the trade price', () => {
    const p = applyTrade(applyTrade(FLAT_POSITION, trade(2, 100)), trade(-5, 90));
    expect(show(p)).toEqual(['-3', '-270', '-20']);
  });

  it('handles shorts: a short has a negative cost basis and profits when bought back cheaper', () => {
    const short = applyTrade(FLAT_POSITION, trade(-4, 50, '0.1'));
    expect(show(short)).toEqual(['-4', '-20', '0']);
    const covered = applyTrade(short, trade(1, 40, '0.1'));
    expect(show(covered)).toEqual(['-3', '-15', '1']);
    expect(unrealisedPnl(covered, dec(45), dec('0.1')).toFixed()).toBe('1.5');
  });

  it('keeps a non-terminating average cost within 1e-12', () => {
    const p = applyTrade(applyTrade(FLAT_POSITION, trade(3, 10)), trade(-1, 10));
    expect(show(p)).toEqual(['2', '20', '0']);
    const q = applyTrade(applyTrade(FLAT_POSITION, trade(3, '10.01')), trade(-1, 11));
    expect(q.costBasis.toFixed()).toBe('20.02');
    const r = applyTrade({ quantity: dec(3), costBasis: dec(10), realisedPnl: dec(0) }, trade(-1, 4));
    expect(r.costBasis.toFixed()).toBe('6.666666666667');
    expect(r.realisedPnl.toFixed()).toBe('0.666666666667');
  });

  it('ignores a zero trade', () => {
    expect(show(applyTrade(FLAT_POSITION, trade(0, 100)))).toEqual(['0', '0', '0']);
  });

  it('property: realised + unrealised at any mark = cash flow + position × mark', () => {
    const arbTrade = fc.record({
      quantity: fc.integer({ min: -500, max: 500 }),
      price: fc.integer({ min: 0, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(arbTrade, { maxLength: 30 }),
        fc.constantFrom('1', '0.1', '0.001'),
        fc.integer({ min: 0, max: 1_000_000 }),
        (trades, m, markUnits) => {
          const multiplier = dec(m);
          const mark = dec(markUnits).div(100);
          let position: PositionState = FLAT_POSITION;
          let cash = dec(0);
          for (const t of trades) {
            const tr = trade(dec(t.quantity).div(10).toFixed(), dec(t.price).div(100).toFixed(), m);
            position = applyTrade(position, tr);
            cash = cash.minus(tr.quantity.mul(tr.price).mul(multiplier));
          }
          const total = position.realisedPnl.plus(unrealisedPnl(position, mark, multiplier));
          expect(total.eq(cash.plus(position.quantity.mul(mark).mul(multiplier)))).toBe(true);
          if (position.quantity.isZero()) expect(position.costBasis.isZero()).toBe(true);
        },
      ),
    );
  });
});
