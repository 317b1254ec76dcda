import { describe, expect, it } from '@jest/globals';
import { Decimal } from '@app/core';
import { black76 } from '@app/pricing';
import {
  forwardFor,
  greeksFor,
  markFor,
  type MarketSnapshot,
  parseSnapshot,
  type PricedInstrument,
  valueInstrument,
  volFor,
  yearsBetween,
} from './market-snapshot.js';

const now = new Date('2025-03-07T12:00:00Z');
const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000);

const snapshot: MarketSnapshot = {
  underlying: 'BTC',
  spot: 100_000,
  timestamp: now.getTime(),
  atmVol: 0.55,
  skew: -0.2,
  surface: { smile: 1, termSlope: 0.05, carry: 0, referenceYears: 30 / 365 },
  source: 'simulator',
};

const option = (
  strike: number,
  optionType: 'CALL' | 'PUT',
  expiry: Date = inDays(30),
  multiplier = '1',
): PricedInstrument => ({
  name: `BTC-X-${strike}-${optionType[0]}`,
  kind: 'OPTION',
  underlying: 'BTC',
  expiry,
  strike: new Decimal(strike),
  optionType,
  multiplier: new Decimal(multiplier),
});

describe('volFor / forwardFor', () => {
  it('returns the ATM level at the reference expiry', () => {
    expect(volFor(snapshot, 100_000, inDays(30), now)).toBeCloseTo(0.55, 12);
  });

  it('has a negative skew: an OTM put is dearer in vol than the symmetric OTM call', () => {
    const put = volFor(snapshot, 90_000, inDays(30), now);
    const call = volFor(snapshot, 100_000 ** 2 / 90_000, inDays(30), now);
    expect(put).toBeGreaterThan(call);
  });

  it('carries the forward at the basis, and is spot once expired', () => {
    const carried = { ...snapshot, surface: { ...snapshot.surface, carry: 0.08 } };
    expect(forwardFor(carried, inDays(365), now)).toBeCloseTo(100_000 * Math.exp(0.08), 6);
    expect(forwardFor(carried, inDays(-1), now)).toBe(100_000);
    expect(forwardFor(snapshot, inDays(90), now)).toBe(100_000);
  });

  it('gives a finite vol at and after expiry', () => {
    expect(Number.isFinite(volFor(snapshot, 100_000, now, now))).toBe(true);
    expect(Number.isFinite(volFor(snapshot, 100_000, inDays(-3), now))).toBe(true);
  });

  it('counts years ACT/365', () => {
    expect(yearsBetween(now, inDays(365))).toBeCloseTo(1, 15);
    expect(yearsBetween(now, inDays(-1))).toBe(0);
  });
});

describe('markFor / greeksFor', () => {
  it('marks an ATM call at Black-76 on the surface vol', () => {
    const years = 30 / 365;
    const direct = black76({ type: 'call', forward: 100_000, strike: 100_000, years, vol: 0.55, rate: 0 });
    expect(markFor(snapshot, option(100_000, 'CALL'), now)).toBeCloseTo(direct.price, 6);
    // ≈ 0.4·F·σ√T for an ATM option.
    expect(direct.price).toBeCloseTo(0.4 * 100_000 * 0.55 * Math.sqrt(years), -2);
  });

  it('keeps put-call parity (undiscounted): C − P = F − K', () => {
    const carried = { ...snapshot, surface: { ...snapshot.surface, carry: 0.05 } };
    const expiry = inDays(60);
    const c = markFor(carried, option(95_000, 'CALL', expiry), now);
    const p = markFor(carried, option(95_000, 'PUT', expiry), now);
    expect(c - p).toBeCloseTo(forwardFor(carried, expiry, now) - 95_000, 6);
  });

  it('scales option Greeks by the multiplier, with vega per point and theta per day', () => {
    const expiry = inDays(45);
    const years = yearsBetween(now, expiry);
    const vol = volFor(snapshot, 110_000, expiry, now);
    const r = black76({ type: 'call', forward: 100_000, strike: 110_000, years, vol, rate: 0 });
    const g = greeksFor(snapshot, option(110_000, 'CALL', expiry, '0.1'), now);
    expect(g.delta).toBeCloseTo(r.delta * 0.1, 12);
    expect(g.gamma).toBeCloseTo(r.gamma * 0.1, 15);
    expect(g.vega).toBeCloseTo(r.vega * 0.1, 9);
    expect(g.vegaPerPoint).toBeCloseTo(r.vegaPerPoint * 0.1, 9);
    expect(g.theta).toBeCloseTo(r.theta * 0.1, 9);
    expect(g.thetaPerDay).toBeCloseTo((r.theta / 365) * 0.1, 9);
    expect(g.delta).toBeGreaterThan(0);
    expect(g.theta).toBeLessThan(0);
  });

  it('takes delta in spot when there is a basis (dF/dS = F/S)', () => {
    const carried = { ...snapshot, surface: { ...snapshot.surface, carry: 0.1 } };
    const expiry = inDays(180);
    const v = valueInstrument(carried, option(100_000, 'PUT', expiry), now);
    const r = black76({
      type: 'put',
      forward: v.forward,
      strike: 100_000,
      years: v.years,
      vol: v.vol,
      rate: 0,
    });
    expect(v.greeks.delta).toBeCloseTo(r.delta * (v.forward / 100_000), 12);
  });

  it('marks an expired option at intrinsic', () => {
    expect(markFor(snapshot, option(90_000, 'CALL', inDays(-1)), now)).toBeCloseTo(10_000, 9);
    expect(markFor(snapshot, option(90_000, 'PUT', inDays(-1)), now)).toBe(0);
  });

  it('marks futures at the forward and perpetuals at spot, with delta = multiplier·dF/dS', () => {
    const carried = { ...snapshot, surface: { ...snapshot.surface, carry: 0.06 } };
    const future: PricedInstrument = {
      name: 'BTC-27JUN25',
      kind: 'FUTURE',
      underlying: 'BTC',
      expiry: inDays(112),
      strike: null,
      optionType: null,
      multiplier: new Decimal(1),
    };
    const perp: PricedInstrument = { ...future, name: 'BTC-PERPETUAL', kind: 'PERPETUAL', expiry: null };
    const f = forwardFor(carried, inDays(112), now);
    expect(markFor(carried, future, now)).toBeCloseTo(f, 9);
    expect(greeksFor(carried, future, now).delta).toBeCloseTo(f / 100_000, 12);
    expect(markFor(carried, perp, now)).toBe(100_000);
    expect(greeksFor(carried, perp, now)).toEqual({
      delta: 1,
      gamma: 0,
      vega: 0,
      vegaPerPoint: 0,
      theta: 0,
      thetaPerDay: 0,
    });
  });

  it('refuses an instrument of another underlying or an option without a strike', () => {
    expect(() => markFor(snapshot, { ...option(3_500, 'CALL'), underlying: 'ETH' }, now)).toThrow(RangeError);
    expect(() => markFor(snapshot, { ...option(100_000, 'CALL'), strike: null }, now)).toThrow(RangeError);
  });
});

describe('parseSnapshot', () => {
  it('round-trips a snapshot through JSON', () => {
    expect(parseSnapshot(JSON.stringify(snapshot))).toEqual(snapshot);
    const calibrated = {
      ...snapshot,
      source: 'deribit' as const,
      calibration: { points: 40, rmseVol: 0.002 },
    };
    expect(parseSnapshot(JSON.stringify(calibrated))).toEqual(calibrated);
  });

  it('rejects what pricing cannot use', () => {
    expect(parseSnapshot('{"underlying":')).toBeNull();
    expect(parseSnapshot('null')).toBeNull();
    expect(parseSnapshot(JSON.stringify({ ...snapshot, spot: -1 }))).toBeNull();
    expect(parseSnapshot(JSON.stringify({ ...snapshot, skew: 1 }))).toBeNull();
    expect(parseSnapshot(JSON.stringify({ ...snapshot, atmVol: 'high' }))).toBeNull();
    expect(parseSnapshot(JSON.stringify({ ...snapshot, surface: undefined }))).toBeNull();
    expect(parseSnapshot(JSON.stringify({ ...snapshot, source: 'other' }))).toBeNull();
  });
});
