import { describe, expect, it } from '@jest/globals';
import { Decimal } from '@app/core';
import { type MarketSnapshot, valueInstrument } from '@app/market-data';
import type { InstrumentInfo } from '@app/rfq';
import { buildRiskReport } from './risk-report.js';

const d = (v: string | number) => new Decimal(v);
const NOW = new Date('2026-01-02T08:00:00Z');
const SNAPSHOT: MarketSnapshot = {
  underlying: 'BTC',
  spot: 100_000,
  timestamp: NOW.getTime(),
  atmVol: 0.55,
  skew: -0.2,
  surface: { smile: 1, termSlope: 0.05, carry: 0, referenceYears: 30 / 365 },
  source: 'simulator',
};
const base = { tickSize: d(5), lotSize: d('0.01'), multiplier: d(1), active: true };
const CALL: InstrumentInfo = {
  ...base,
  id: 'c',
  name: 'BTC-30JAN26-100000-C',
  kind: 'OPTION',
  underlying: 'BTC',
  expiry: new Date('2026-01-30T08:00:00Z'),
  strike: d(100_000),
  optionType: 'CALL',
};
const PERP: InstrumentInfo = {
  ...base,
  id: 'p',
  name: 'BTC-PERPETUAL',
  kind: 'PERPETUAL',
  underlying: 'BTC',
  expiry: null,
  strike: null,
  optionType: null,
};
const ETH_PERP: InstrumentInfo = { ...PERP, id: 'e', name: 'ETH-PERPETUAL', underlying: 'ETH' };

describe('risk report', () => {
  const report = buildRiskReport({
    accountId: 'maker',
    positions: [
      { instrument: CALL, quantity: d(-10), costBasis: d(-41_000), realisedPnl: d(0) },
      { instrument: PERP, quantity: d(4), costBasis: d(400_100), realisedPnl: d('12.5') },
    ],
    snapshots: { BTC: SNAPSHOT },
    fresh: { BTC: true },
    now: NOW,
  });
  const mark = valueInstrument(SNAPSHOT, CALL, NOW);

  it('values positions at mark: unrealised = q × mark × multiplier − cost basis', () => {
    const call = report.positions.find((p) => p.instrument === CALL.name)!;
    const m = d(mark.price).toDecimalPlaces(8);
    expect(call.mark).toBe(m.toFixed());
    expect(call.unrealisedPnl).toBe(m.mul(-10).plus(41_000).toDecimalPlaces(8).toFixed());
    const perp = report.positions.find((p) => p.instrument === PERP.name)!;
    expect(perp.unrealisedPnl).toBe('-100');
    expect(report.pnl.realised).toBe('12.5');
    expect(report.pnl.total).toBe(d(report.pnl.realised).plus(report.pnl.unrealised).toFixed());
    expect(report.pnl.complete).toBe(true);
  });

  it('sums Greeks by underlying and expiry bucket (vega per vol point, theta per day)', () => {
    const btc = report.greeks.byUnderlying.BTC!;
    expect(btc.delta).toBeCloseTo(-10 * mark.greeks.delta + 4, 9);
    expect(btc.vegaPerPoint).toBeCloseTo(-10 * mark.greeks.vegaPerPoint, 9);
    expect(btc.thetaPerDay).toBeCloseTo(-10 * mark.greeks.thetaPerDay, 9);
    expect(report.greeks.byBucket.BTC!['7-30d']!.vegaPerPoint).toBeCloseTo(btc.vegaPerPoint, 9);
    expect(report.greeks.byBucket.BTC!.perp!.delta).toBe(4);
    expect(btc.grossNotional).toBe('1400000');
  });

  it('runs the ±5/10/20/30 % × ±5/10/20 point grid and reports the worst loss', () => {
    const grid = report.stress.all;
    expect(grid.spotShocks).toEqual([-0.3, -0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2, 0.3]);
    expect(grid.volShocks).toEqual([-0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2]);
    expect(grid.pnl[4]![3]).toBe('0');
    // Short calls with a small long perp: the worst cell is spot up, vol up.
    expect(grid.worst.spotShock).toBe(0.3);
    expect(grid.worst.volShock).toBe(0.2);
    expect(Number(report.worstStressLoss)).toBeGreaterThan(0);
    expect(report.worstStressLoss).toBe(d(grid.worst.pnl).neg().toFixed());
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('reports an underlying without market data as incomplete rather than failing', () => {
    const r = buildRiskReport({
      accountId: 'maker',
      positions: [{ instrument: ETH_PERP, quantity: d(1), costBasis: d(3500), realisedPnl: d(0) }],
      snapshots: {},
      fresh: {},
      now: NOW,
    });
    expect(r.pnl.complete).toBe(false);
    expect(r.positions[0]!.mark).toBeNull();
    expect(r.marketData.ETH).toEqual({ fresh: false, spot: null, atmVol: null, timestamp: null });
  });
});
