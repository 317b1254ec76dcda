import { describe, expect, it } from '@jest/globals';
import { Decimal } from '@app/core';
import type { MarketSnapshot } from '@app/market-data';
import type { InstrumentInfo } from '@app/rfq';
import { riskAt } from './market-view.js';
import { aggregateRisk, breaches, type RiskLimitSet, zeroExposure } from './risk-measures.js';
import {
  capSize,
  quoteStructure,
  riskAversionPerUsd,
  roundQuote,
  type StrategyInventory,
  type StrategyLeg,
  type StructureQuoteInput,
  structureExposures,
  structureTheo,
  volOfVolPoints,
} from './strategy-pricing.js';

const d = (v: string | number) => new Decimal(v);
const NOW = new Date('2026-01-02T08:00:00Z');
const EXPIRY = new Date('2026-01-30T08:00:00Z'); // 28 days: bucket 7-30d

const SNAPSHOT: MarketSnapshot = {
  underlying: 'BTC',
  spot: 100_000,
  timestamp: NOW.getTime(),
  atmVol: 0.55,
  skew: -0.2,
  surface: { smile: 1, termSlope: 0.05, carry: 0, referenceYears: 30 / 365 },
  source: 'simulator',
};

function option(strike: number, type: 'CALL' | 'PUT', expiry = EXPIRY): InstrumentInfo {
  return {
    id: `id-${strike}-${type}`,
    name: `BTC-30JAN26-${strike}-${type[0]}`,
    kind: 'OPTION',
    underlying: 'BTC',
    expiry,
    strike: d(strike),
    optionType: type,
    tickSize: d(5),
    lotSize: d('0.01'),
    multiplier: d(1),
    active: true,
  };
}

const PERP: InstrumentInfo = {
  id: 'id-perp',
  name: 'BTC-PERPETUAL',
  kind: 'PERPETUAL',
  underlying: 'BTC',
  expiry: null,
  strike: null,
  optionType: null,
  tickSize: d('0.5'),
  lotSize: d('0.001'),
  multiplier: d(1),
  active: true,
};

const CALL = option(100_000, 'CALL');
const CALL_105 = option(105_000, 'CALL');

const leg = (instrument: InstrumentInfo, side: 'BUY' | 'SELL' = 'BUY', ratio = 1): StrategyLeg => ({
  side,
  ratio,
  risk: riskAt(SNAPSHOT, instrument, NOW),
});

const FLAT: StrategyInventory = { byUnderlying: {}, exposures: [], quantities: {} };

/** The book after holding `quantity` contracts of each instrument. */
function holding(...positions: Array<[InstrumentInfo, number]>): StrategyInventory {
  const risk = aggregateRisk(
    positions.map(([i, q]) => ({ quantity: q, risk: riskAt(SNAPSHOT, i, NOW) })),
    { BTC: SNAPSHOT.spot },
  );
  return {
    byUnderlying: risk.byUnderlying,
    exposures: risk.exposures,
    quantities: Object.fromEntries(positions.map(([i, q]) => [i.name, q])),
  };
}

const NO_LIMITS: RiskLimitSet = {
  maxAbsDelta: null,
  maxAbsGamma: null,
  maxAbsVega: null,
  maxGrossNotional: null,
  maxStressLoss: null,
};

function input(overrides: Partial<StructureQuoteInput> = {}): StructureQuoteInput {
  return {
    legs: [leg(CALL)],
    quantity: d(10),
    tick: d(5),
    lot: d('0.01'),
    markets: [{ underlying: 'BTC', spot: SNAPSHOT.spot, atmVol: SNAPSHOT.atmVol }],
    inventory: FLAT,
    params: {
      gamma: 0.1,
      k: 1.5,
      horizonSeconds: 3600,
      baseSpreadTicks: 2,
      maxSize: d(100),
      volOfVol: 1,
      spotVolCorrelation: -0.5,
    },
    limits: {},
    ...overrides,
  };
}

const mid = (q: { bid: { price: Decimal } | null; ask: { price: Decimal } | null }) =>
  q.bid!.price.plus(q.ask!.price).div(2).toNumber();

describe('structure theo and risk per unit', () => {
  it('theo is Σ side·ratio·mark', () => {
    const legs = [leg(CALL, 'BUY', 1), leg(CALL_105, 'SELL', 2)];
    const [a, b] = legs.map((l) => l.risk.mark);
    expect(structureTheo(legs)).toBeCloseTo(a! - 2 * b!, 9);
    expect(quoteStructure(input({ legs })).theo).toBeCloseTo(a! - 2 * b!, 9);
  });

  it('g is delta per underlying and vega per (underlying, expiry bucket), signed by side and ratio', () => {
    const legs = [leg(CALL, 'BUY', 1), leg(CALL_105, 'SELL', 2), leg(PERP, 'SELL', 1)];
    const [c, c2, p] = legs.map((l) => l.risk);
    const q = quoteStructure(input({ legs, quantity: d(1) }));
    expect(q.g['BTC:spot']).toBeCloseTo(c!.delta - 2 * c2!.delta - p!.delta, 12);
    expect(q.g['BTC:vol:7-30d']).toBeCloseTo(c!.vegaPerPoint - 2 * c2!.vegaPerPoint, 12);
    expect(q.g['BTC:vol:0-7d']).toBe(0);
    expect(structureExposures(legs).filter((e) => e.bucket === 'perp')).toEqual([]);
  });

  it('converts the strategy scales: γ per percent of spot, volOfVol lognormal', () => {
    expect(riskAversionPerUsd(0.1, 100_000)).toBeCloseTo(1e-4, 15);
    expect(volOfVolPoints(1, 0.55)).toBeCloseTo(55, 12);
  });
});

describe('rounding and sizes', () => {
  it('rounds the bid down and the ask up to the structure tick', () => {
    expect(roundQuote(4012.4, 4017.6, d(5))).toEqual({ bid: d(4010), ask: d(4020) });
    expect(roundQuote(-12.5, -7.5, d('0.5'))).toEqual({ bid: d('-12.5'), ask: d('-7.5') });
    const q = quoteStructure(input());
    for (const side of [q.bid!, q.ask!]) expect(side.price.mod(5).isZero()).toBe(true);
    expect(q.bid!.price.toNumber()).toBeLessThan(q.theo);
    expect(q.ask!.price.toNumber()).toBeGreaterThan(q.theo);
  });

  it('caps the size at maxSize and floors it to the structure lot', () => {
    expect(capSize(d(250), d(100), d('0.01'))).toEqual(d(100));
    expect(capSize(d('0.015'), d(100), d('0.01'))).toEqual(d('0.01'));
    expect(capSize(d('3.7'), d('2.55'), d('0.1'))).toEqual(d('2.5'));
    const q = quoteStructure(input({ quantity: d(250) }));
    expect(q.bid!.quantity).toEqual(d(100));
    expect(q.ask!.quantity).toEqual(d(100));
    const none = quoteStructure(input({ quantity: d('0.005') }));
    expect(none.bid).toBeNull();
    expect(none.ask).toBeNull();
  });

  it('widens with size: the inventory-risk half spread is linear in the quantity', () => {
    const small = quoteStructure(input({ quantity: d(1) }));
    const large = quoteStructure(input({ quantity: d(50) }));
    expect(large.ask!.price.minus(large.bid!.price).gt(small.ask!.price.minus(small.bid!.price))).toBe(true);
  });

  it('never bids zero or less for bought options', () => {
    const deepOtm = option(140_000, 'CALL');
    const q = quoteStructure(
      input({ legs: [leg(deepOtm)], params: { ...input().params, baseSpreadTicks: 200 } }),
    );
    expect(q.bid).toBeNull();
    expect(q.ask!.price.gt(0)).toBe(true);
    expect(q.notes.join()).toMatch(/bid dropped/);
  });
});

describe('inventory skew', () => {
  it('a maker that just sold calls quotes the same calls higher; one that bought them, lower', () => {
    const flat = quoteStructure(input());
    const short = quoteStructure(input({ inventory: holding([CALL, -20]) }));
    const long = quoteStructure(input({ inventory: holding([CALL, 20]) }));
    expect(flat.shift).toBeCloseTo(0, 12);
    expect(short.shift).toBeGreaterThan(0);
    expect(short.reservation).toBeGreaterThan(flat.reservation);
    expect(short.ask!.price.gte(flat.ask!.price)).toBe(true);
    expect(short.bid!.price.gte(flat.bid!.price)).toBe(true);
    expect(mid(short)).toBeGreaterThan(mid(flat));
    expect(long.shift).toBeLessThan(0);
    expect(mid(long)).toBeLessThan(mid(flat));
    // Antisymmetric in the inventory.
    expect(long.shift).toBeCloseTo(-short.shift, 9);
  });

  it('a short-delta book (perpetuals sold) skews a call up through the spot factor alone', () => {
    const q = quoteStructure(input({ inventory: holding([PERP, -5]) }));
    expect(q.shift).toBeGreaterThan(0);
  });

  it('other underlyings do not move the reservation (no cross correlation configured)', () => {
    const eth = { ...holding(), exposures: [{ underlying: 'ETH', delta: -500 }] };
    expect(quoteStructure(input({ inventory: eth })).shift).toBeCloseTo(0, 12);
  });
});

describe('hard limits', () => {
  const limits = (l: Partial<RiskLimitSet>) => ({ BTC: { ...NO_LIMITS, ...l } });

  it('a book beyond its delta limit offers only the reducing side', () => {
    const book = holding([CALL, -20]); // about -10 BTC delta
    const q = quoteStructure(input({ inventory: book, quantity: d(20), limits: limits({ maxAbsDelta: 5 }) }));
    expect(q.ask).toBeNull(); // selling more calls moves delta further from zero
    expect(q.bid!.quantity).toEqual(d(20)); // buying 20 back flattens it
    expect(q.notes.join()).toMatch(/ask dropped: one lot would breach maxAbsDelta on BTC/);
  });

  it('shrinks a side to the largest size whose full fill fits', () => {
    const c = leg(CALL).risk;
    const q = quoteStructure(input({ quantity: d(100), limits: limits({ maxAbsDelta: 10 }) }));
    // Either side of 100 calls is ~50 BTC of delta: each side is cut to the last lot inside ±10.
    for (const side of [q.bid!, q.ask!]) {
      expect(side.quantity.lt(100)).toBe(true);
      expect(side.quantity.toNumber() * c.delta).toBeLessThanOrEqual(10 + 1e-9);
      expect((side.quantity.toNumber() + 0.01) * c.delta).toBeGreaterThan(10);
      expect(side.quantity.mod('0.01').isZero()).toBe(true);
    }
  });

  it('limits gross notional, which grows on both sides', () => {
    const q = quoteStructure(
      input({
        legs: [leg(PERP)],
        tick: d('0.5'),
        lot: d('0.001'),
        quantity: d(10),
        limits: limits({ maxGrossNotional: 500_000 }),
      }),
    );
    expect(q.bid!.quantity).toEqual(d(5));
    expect(q.ask!.quantity).toEqual(d(5));
    // Holding 5 short: buying reduces notional up to 10 back (to +5), selling adds nothing.
    const short = quoteStructure(
      input({
        legs: [leg(PERP)],
        tick: d('0.5'),
        lot: d('0.001'),
        quantity: d(10),
        inventory: holding([PERP, -5]),
        limits: limits({ maxGrossNotional: 500_000 }),
      }),
    );
    expect(short.bid!.quantity).toEqual(d(10));
    expect(short.ask).toBeNull();
  });

  it('vega limits per vol point', () => {
    const c = leg(CALL).risk;
    const q = quoteStructure(
      input({ quantity: d(100), limits: limits({ maxAbsVega: 10 * c.vegaPerPoint }) }),
    );
    expect(q.bid!.quantity.toNumber()).toBeCloseTo(10, 6);
    expect(q.ask!.quantity.toNumber()).toBeCloseTo(10, 6);
  });

  it('a trade may always move a breached measure back towards zero, never away', () => {
    expect(breaches(-12, -11, 10)).toBe(false);
    expect(breaches(-12, -13, 10)).toBe(true);
    expect(breaches(0, 10, 10)).toBe(false);
    expect(breaches(0, 10.5, 10)).toBe(true);
    expect(breaches(-12, 11, 10)).toBe(false); // through zero, smaller in size
    expect(zeroExposure().delta).toBe(0);
  });
});
