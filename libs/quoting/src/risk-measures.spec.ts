import { describe, expect, it } from '@jest/globals';
import { Decimal } from '@app/core';
import type { InstrumentInfo } from '@app/rfq';
import { linearFallbackRisk } from './market-view.js';
import {
  aggregateRisk,
  describeBreach,
  exposureBreaches,
  type InstrumentRisk,
  type RiskLimitSet,
  zeroExposure,
} from './risk-measures.js';

const risk = (over: Partial<InstrumentRisk>): InstrumentRisk => ({
  instrument: 'X',
  underlying: 'BTC',
  kind: 'OPTION',
  multiplier: 1,
  bucket: '7-30d',
  mark: 5000,
  delta: 0.5,
  gamma: 2e-5,
  vegaPerPoint: 100,
  thetaPerDay: -50,
  ...over,
});

const LIMITS: RiskLimitSet = {
  maxAbsDelta: 50,
  maxAbsGamma: null,
  maxAbsVega: 1000,
  maxGrossNotional: null,
  maxStressLoss: null,
};

describe('book risk measures', () => {
  it('sums by underlying and bucket, gross notional on |q|, and lists the factor exposures', () => {
    const r = aggregateRisk(
      [
        { quantity: -10, risk: risk({}) },
        {
          quantity: 3,
          risk: risk({
            instrument: 'P',
            kind: 'PERPETUAL',
            bucket: 'perp',
            delta: 1,
            gamma: 0,
            vegaPerPoint: 0,
            thetaPerDay: 0,
          }),
        },
        { quantity: 2, risk: risk({ underlying: 'ETH', delta: 0.4 }) },
      ],
      { BTC: 100_000, ETH: 3_500 },
    );
    expect(r.byUnderlying.BTC).toEqual({
      delta: -2,
      gamma: -2e-4,
      vegaPerPoint: -1000,
      thetaPerDay: 500,
      grossNotional: 1_300_000,
    });
    expect(r.byBucket.BTC!.perp!.delta).toBe(3);
    expect(r.exposures).toEqual([
      { underlying: 'BTC', delta: -2 },
      { underlying: 'BTC', bucket: '7-30d', vegaPerPoint: -1000 },
      { underlying: 'ETH', delta: 0.8 },
      { underlying: 'ETH', bucket: '7-30d', vegaPerPoint: 200 },
    ]);
  });

  it('names every limit a move breaches, with the values', () => {
    const before = { ...zeroExposure(), delta: -40, vegaPerPoint: -900 };
    const after = { ...zeroExposure(), delta: -60, vegaPerPoint: -1100 };
    const found = exposureBreaches('BTC', before, after, LIMITS);
    expect(found.map((b) => b.limit)).toEqual(['maxAbsDelta', 'maxAbsVega']);
    expect(describeBreach(found[0]!)).toBe('maxAbsDelta on BTC: -60 beyond 50 (was -40)');
    expect(exposureBreaches('BTC', after, before, LIMITS)).toEqual([]);
  });

  it('without market data counts linear instruments at their multiplier and options at nothing', () => {
    const base = {
      id: 'i',
      underlying: 'BTC',
      tickSize: new Decimal('0.5'),
      lotSize: new Decimal('0.001'),
      multiplier: new Decimal(1),
      active: true,
      strike: null,
      optionType: null,
    };
    const now = new Date('2026-01-01T00:00:00Z');
    const perp: InstrumentInfo = { ...base, name: 'BTC-PERPETUAL', kind: 'PERPETUAL', expiry: null };
    const future: InstrumentInfo = {
      ...base,
      name: 'BTC-F',
      kind: 'FUTURE',
      expiry: new Date('2026-03-01T00:00:00Z'),
    };
    const option: InstrumentInfo = {
      ...base,
      name: 'BTC-C',
      kind: 'OPTION',
      expiry: new Date('2026-03-01T00:00:00Z'),
      strike: new Decimal(100_000),
      optionType: 'CALL',
    };
    expect(linearFallbackRisk(perp, now)).toMatchObject({ delta: 1, gamma: 0, bucket: 'perp' });
    expect(linearFallbackRisk(future, now)).toMatchObject({ delta: 1, vegaPerPoint: 0, bucket: '30-90d' });
    expect(linearFallbackRisk(option, now)).toMatchObject({ delta: 0, gamma: 0, vegaPerPoint: 0 });
  });
});
