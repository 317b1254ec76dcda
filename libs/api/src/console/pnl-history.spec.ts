import { describe, expect, it } from '@jest/globals';
import { Decimal } from '@app/core';
import { buildPnlHistory, LedgerEvent, PnlBaseline } from './pnl-history.js';

const d = (v: string | number) => new Decimal(v);
const flat: PnlBaseline = { cash: d(0), holdings: new Map(), prices: new Map(), events: 0 };
const event = (
  at: number,
  ref: string,
  cash: string,
  holdings: Record<string, string>,
  prices: Record<string, string>,
  kind: LedgerEvent['kind'] = 'FILL',
): LedgerEvent => ({
  at: new Date(at),
  kind,
  ref,
  cash: d(cash),
  holdings: new Map(Object.entries(holdings).map(([k, v]) => [k, d(v)])),
  prices: new Map(Object.entries(prices).map(([k, v]) => [k, d(v)])),
});

describe('buildPnlHistory', () => {
  it('values each point at the last traded prices, and the live point at marks', () => {
    const history = buildPnlHistory({
      baseline: flat,
      events: [
        // Sells 1 call at 4100 (fee 0.41): at its own trade price the P&L is −fee.
        event(1_000, 'f1', '4099.59', { C: '-1' }, { C: '4100' }),
        // Buys 1 perpetual at 100000 as a hedge; the call is still valued at 4100.
        event(2_000, 'h1', '-100000', { P: '1' }, { P: '100000' }, 'HEDGE'),
        // Buys the call back at 3900 (fee 0.39): +200 − 0.41 − 0.39.
        event(3_000, 'f2', '-3900.39', { C: '1' }, { C: '3900' }),
      ],
      multipliers: new Map([
        ['C', d(1)],
        ['P', d(1)],
      ]),
      liveMark: (name) => (name === 'P' ? d('100050') : null),
      now: new Date(4_000),
    });
    expect(history.points.map((p) => [p.event, p.ref, p.pnl])).toEqual([
      ['START', null, '0'],
      ['FILL', 'f1', '-0.41'],
      ['HEDGE', 'h1', '-0.41'],
      ['FILL', 'f2', '199.2'],
      ['NOW', null, '249.2'],
    ]);
    expect(history.points[3]).toMatchObject({ cash: '-99800.8', inventoryValue: '100000' });
    expect(history.staleAtNow).toEqual([]);
  });

  it('starts from the baseline of older events and says which instruments have no live mark', () => {
    const history = buildPnlHistory({
      baseline: {
        cash: d('500'),
        holdings: new Map([['F', d('-2')]]),
        prices: new Map([['F', d('300')]]),
        events: 7,
      },
      events: [event(10_000, 'f9', '10', {}, {})],
      multipliers: new Map([['F', d(10)]]),
      liveMark: () => null,
      now: new Date(20_000),
    });
    expect(history.points[0]).toMatchObject({ event: 'START', pnl: '-5500', inventoryValue: '-6000' });
    expect(history.points.at(-1)).toMatchObject({ event: 'NOW', pnl: '-5490', unpriced: [] });
    expect(history.staleAtNow).toEqual(['F']);
  });

  it('reports held instruments it cannot price instead of inventing a value', () => {
    const history = buildPnlHistory({
      baseline: { cash: d(0), holdings: new Map([['X', d('1')]]), prices: new Map(), events: 1 },
      events: [],
      multipliers: new Map(),
      liveMark: () => null,
      now: new Date(0),
    });
    expect(history.points).toEqual([
      {
        at: new Date(0).toISOString(),
        event: 'NOW',
        ref: null,
        cash: '0',
        inventoryValue: '0',
        pnl: '0',
        unpriced: ['X'],
      },
    ]);
    expect(history.staleAtNow).toEqual([]);
  });
});
